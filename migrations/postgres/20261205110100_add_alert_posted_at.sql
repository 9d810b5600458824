-- An alert is as old as its post (Telegram's message date), not as our receipt of it.
-- Price at receipt (SOL per UI token, decimal text) is the drift reference for posts without
-- a usable Entry price.
ALTER TABLE alerts ADD COLUMN posted_at BIGINT;
ALTER TABLE alerts ADD COLUMN receipt_price TEXT;
