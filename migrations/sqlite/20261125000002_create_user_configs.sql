CREATE TABLE user_configs (
    user_id BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    trading_enabled BIGINT NOT NULL DEFAULT 0,
    dry_run BIGINT NOT NULL DEFAULT 1,
    settings TEXT NOT NULL,           -- JSON of domain::user_config::UserConfig (money in base units)
    updated_at BIGINT NOT NULL
);
