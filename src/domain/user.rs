//! Users as the bot knows them.

use super::lang::Lang;

/// A Telegram user id (also our user primary key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub i64);

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A trader.
    User,
    /// Runs the bot.
    Admin,
}

impl Role {
    /// Storage code.
    pub fn code(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Admin => "admin",
        }
    }

    /// Parses a storage code; unknown codes are plain users (least privilege).
    pub fn from_code(code: &str) -> Self {
        if code == "admin" { Self::Admin } else { Self::User }
    }
}

/// A registered user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Telegram user id.
    pub id: UserId,
    /// Private chat id with the bot (equals the user id for private chats).
    pub chat_id: i64,
    /// Telegram @username, if any.
    pub username: Option<String>,
    /// Interface language.
    pub lang: Lang,
    /// Role.
    pub role: Role,
    /// False once the user blocked the bot.
    pub is_active: bool,
    /// Registration time, unix milliseconds.
    pub created_at_ms: i64,
}
