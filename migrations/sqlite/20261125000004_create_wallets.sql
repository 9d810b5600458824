CREATE TABLE wallets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users(id),
    pubkey TEXT NOT NULL UNIQUE,
    label TEXT,
    is_default BIGINT NOT NULL DEFAULT 0,
    ciphertext BLOB NOT NULL,       -- AES-256-GCM(secret key), tag included
    nonce BLOB NOT NULL,            -- 96-bit, fresh per encryption
    key_version BIGINT NOT NULL,      -- master key version the row is sealed under
    created_at BIGINT NOT NULL,
    removed_at BIGINT
);
CREATE INDEX wallets_user_idx ON wallets(user_id);
