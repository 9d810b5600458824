-- Trade and admin notices, stored before they are sent and marked after delivery, so a crash or
-- a Telegram outage never loses a fill message (at-least-once). Fill rows carry the position and
-- side, so the startup check can find trades recorded without a notice (a kill between the fill
-- and its message). Sent rows are kept two days for that check, then pruned.
CREATE TABLE outbox_notices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL,
    chat_id BIGINT NOT NULL,
    kind TEXT NOT NULL,               -- fill | refused | failed | pending | alert | admin
    position_id BIGINT,               -- fills only
    side TEXT,                        -- fills only: buy | sell
    body TEXT NOT NULL,               -- rendered text (never secrets)
    keyboard TEXT,                    -- inline keyboard JSON
    state TEXT NOT NULL,              -- pending | sent | failed
    attempts BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX outbox_notices_state_idx ON outbox_notices(state, id);
CREATE INDEX outbox_notices_fill_idx ON outbox_notices(position_id, side);
-- Trades recorded before this moment are never re-notified by the startup check.
INSERT INTO settings (key, value, updated_at)
VALUES ('outbox.fills_since', CAST(CAST(strftime('%s', 'now') AS INTEGER) * 1000 AS TEXT), CAST(strftime('%s', 'now') AS INTEGER) * 1000)
ON CONFLICT (key) DO NOTHING;
