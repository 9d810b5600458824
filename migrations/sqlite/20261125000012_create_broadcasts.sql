CREATE TABLE broadcasts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    admin_user_id BIGINT NOT NULL,
    payload TEXT NOT NULL,            -- JSON: text, entities, photo file id
    state TEXT NOT NULL,              -- draft | running | done | cancelled
    status_chat_id BIGINT,
    status_message_id BIGINT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE TABLE broadcast_deliveries (
    broadcast_id BIGINT NOT NULL REFERENCES broadcasts(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL,
    state TEXT NOT NULL,              -- pending | sending | sent | blocked | failed
    attempts BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (broadcast_id, user_id)
);
