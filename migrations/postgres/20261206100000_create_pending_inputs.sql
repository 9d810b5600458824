-- A prompt waiting for the user's next private message ("send the SOL amount", "send the new
-- stop-loss %"): at most one per user, replaced by a newer prompt, cancelled by a button, and
-- ignored once expired. `used_by` is the message that answered it: a redelivered update of
-- the same message takes the same prompt again (and its trade is then a duplicate), any other
-- message finds it used.
CREATE TABLE pending_inputs (
    user_id BIGINT PRIMARY KEY REFERENCES users(id),
    kind TEXT NOT NULL,               -- what the answer is for, e.g. `buy:<mint>`, `cfg:<key>`
    expires_at BIGINT NOT NULL,
    used_by BIGINT,                   -- message id of the answer, set once
    created_at BIGINT NOT NULL
);
