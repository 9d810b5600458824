CREATE TABLE alert_subscriptions (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    source_id BIGINT NOT NULL REFERENCES alert_sources(id) ON DELETE CASCADE,
    settings TEXT NOT NULL,           -- JSON: size, mode, filters, exits, caps, hours
    enabled BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    UNIQUE (user_id, source_id)
);
