CREATE TABLE alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_key TEXT NOT NULL UNIQUE,   -- source chat + message id: redelivery is harmless
    source_id BIGINT NOT NULL REFERENCES alert_sources(id) ON DELETE CASCADE,
    mint TEXT,
    parsed TEXT,                      -- JSON of the parsed alert, or the skip reason
    received_at BIGINT NOT NULL
);
