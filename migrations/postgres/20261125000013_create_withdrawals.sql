CREATE TABLE withdrawal_addresses (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    address TEXT NOT NULL,
    usable_after BIGINT NOT NULL,     -- 24 h lock on new addresses
    created_at BIGINT NOT NULL,
    UNIQUE (user_id, address)
);
CREATE TABLE outflows (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL,
    wallet_id BIGINT,
    destination TEXT NOT NULL,
    lamports BIGINT NOT NULL,
    intent_id BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX outflows_time_idx ON outflows(created_at);
