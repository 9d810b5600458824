CREATE TABLE users (
    id BIGINT PRIMARY KEY,            -- Telegram user id
    chat_id BIGINT NOT NULL,          -- private chat with the bot
    username TEXT,
    language TEXT NOT NULL DEFAULT 'en',
    role TEXT NOT NULL DEFAULT 'user',
    is_active BIGINT NOT NULL DEFAULT 1,   -- 0 once the user blocked the bot
    paused BIGINT NOT NULL DEFAULT 0,      -- admin /pause
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
