-- Bot messages to delete later (exported keys): survives restarts, swept at start and every few seconds.
CREATE TABLE scheduled_deletions (
    chat_id BIGINT NOT NULL,
    message_id BIGINT NOT NULL,
    delete_at BIGINT NOT NULL,
    PRIMARY KEY (chat_id, message_id)
);
