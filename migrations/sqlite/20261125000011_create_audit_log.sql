CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_user_id BIGINT,
    action TEXT NOT NULL,
    target TEXT,
    details TEXT,                     -- never secrets
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_log_time_idx ON audit_log(created_at);
