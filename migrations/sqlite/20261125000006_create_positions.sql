CREATE TABLE positions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users(id),
    wallet_id BIGINT REFERENCES wallets(id),
    mint TEXT NOT NULL,
    state TEXT NOT NULL,              -- open | closed
    token_amount TEXT NOT NULL,       -- raw token units held
    token_decimals BIGINT NOT NULL,
    cost_lamports BIGINT NOT NULL,    -- cost basis of the open amount incl. all fees
    realized_pnl_lamports BIGINT NOT NULL DEFAULT 0,
    exit_rules TEXT,                  -- JSON
    peak_price TEXT,                  -- decimal, trailing stop
    is_paper BIGINT NOT NULL,
    source TEXT,
    opened_at BIGINT NOT NULL,
    closed_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX positions_user_state_idx ON positions(user_id, state);
