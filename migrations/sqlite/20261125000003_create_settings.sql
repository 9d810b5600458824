CREATE TABLE settings (
    key TEXT PRIMARY KEY,             -- e.g. wallet.kdf, wallet.key_check.v1, killswitch
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
