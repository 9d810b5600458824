-- Copy trading: who follows which leader wallet (per-user name and settings JSON), the leader
-- transactions already handled (each signature once per leader: a redelivered notification or a
-- backfill overlap is a no-op), and per leader the newest handled signature, where the backfill
-- after a reconnect starts.
CREATE TABLE copy_follows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users(id),
    leader TEXT NOT NULL,             -- wallet address (base58)
    name TEXT NOT NULL,               -- the user's name for it (lower case)
    settings TEXT NOT NULL,           -- JSON: size, sells, caps, alert rules
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (user_id, name),
    UNIQUE (user_id, leader)
);
CREATE INDEX copy_follows_leader_idx ON copy_follows(leader);
CREATE TABLE copy_leader_signatures (
    leader TEXT NOT NULL,
    signature TEXT NOT NULL,
    slot BIGINT NOT NULL,
    outcome TEXT NOT NULL,            -- buy | sell | none | failed
    seen_at BIGINT NOT NULL,
    PRIMARY KEY (leader, signature)
);
CREATE TABLE copy_cursors (
    leader TEXT PRIMARY KEY,
    last_signature TEXT NOT NULL,
    last_slot BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- Per-user copy-trading settings: the dev-sell exit rule (JSON; null = off).
CREATE TABLE copy_user_settings (
    user_id BIGINT PRIMARY KEY REFERENCES users(id),
    dev_sell TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
