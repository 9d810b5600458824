CREATE TABLE trade_intents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,  -- user+alert, user+message, position+rule
    user_id BIGINT NOT NULL REFERENCES users(id),
    wallet_id BIGINT REFERENCES wallets(id),
    side TEXT NOT NULL,               -- buy | sell | withdraw
    mint TEXT NOT NULL,
    venue TEXT,
    origin TEXT NOT NULL,             -- manual | alert | exit | withdraw
    alert_id TEXT,
    position_id BIGINT,
    amount_in TEXT NOT NULL,          -- lamports (buy) or raw tokens (sell), decimal text
    min_amount_out TEXT,
    dry_run BIGINT NOT NULL,
    state TEXT NOT NULL,              -- pending|signed|sent|confirmed|failed|expired|unknown
    signed_tx BLOB,                 -- the exact bytes sent; only these are ever re-sent
    signature TEXT,
    last_valid_block_height BIGINT,
    error TEXT,
    received_at BIGINT,               -- alert received (latency metric)
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX trade_intents_state_idx ON trade_intents(state);
CREATE INDEX trade_intents_user_idx ON trade_intents(user_id);
