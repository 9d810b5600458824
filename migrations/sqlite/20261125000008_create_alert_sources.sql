CREATE TABLE alert_sources (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id BIGINT NOT NULL UNIQUE,   -- numeric chat id; only this identifies a source
    username TEXT,
    kind TEXT NOT NULL,               -- ca_drop | signal | generic
    name TEXT NOT NULL UNIQUE,
    enabled BIGINT NOT NULL DEFAULT 1,
    created_by BIGINT NOT NULL,
    last_post_at BIGINT,
    created_at BIGINT NOT NULL
);
