CREATE TABLE trades (
    id BIGSERIAL PRIMARY KEY,
    intent_id BIGINT REFERENCES trade_intents(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    position_id BIGINT REFERENCES positions(id),
    mint TEXT NOT NULL,
    side TEXT NOT NULL,
    sol_lamports BIGINT NOT NULL,     -- SOL spent (buy) or received (sell), before fees
    token_amount TEXT NOT NULL,
    fee_network_lamports BIGINT NOT NULL DEFAULT 0,
    fee_priority_lamports BIGINT NOT NULL DEFAULT 0,
    fee_tip_lamports BIGINT NOT NULL DEFAULT 0,
    fee_protocol_lamports BIGINT NOT NULL DEFAULT 0,
    realized_pnl_lamports BIGINT NOT NULL DEFAULT 0,
    price TEXT,                       -- decimal SOL per UI token, display only
    signature TEXT,
    is_paper BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX trades_user_time_idx ON trades(user_id, created_at);
