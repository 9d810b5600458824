//! Pure, synchronous domain logic: no tokio, sqlx, teloxide or network types.

pub mod lang;
pub mod money;
pub mod risk;
pub mod user;
pub mod user_config;
pub mod wallet;
