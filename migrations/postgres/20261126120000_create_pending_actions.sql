-- One-shot confirmation buttons (/wallet remove, export, withdraw). The callback data carries
-- only the random nonce; what the button does, for whom, and until when lives here, so a
-- replayed or foreign callback changes nothing.
CREATE TABLE pending_actions (
    nonce TEXT PRIMARY KEY,           -- 128-bit random, hex
    user_id BIGINT NOT NULL REFERENCES users(id),
    payload TEXT NOT NULL,            -- JSON: the confirmed action (never secrets)
    expires_at BIGINT NOT NULL,
    used_at BIGINT,                   -- set once, atomically, when the button is pressed
    created_at BIGINT NOT NULL
);
CREATE INDEX pending_actions_user_idx ON pending_actions(user_id);
