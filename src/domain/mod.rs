//! Pure, synchronous domain logic: no tokio, sqlx, teloxide or network types.

pub mod alert;
pub mod breaker;
pub mod copy;
pub mod exit;
pub mod exit_edit;
pub mod failure;
pub mod intent;
pub mod lang;
pub mod money;
pub mod order;
pub mod position;
pub mod risk;
pub mod safety;
pub mod stats;
pub mod token_meta;
pub mod user;
pub mod user_config;
pub mod wallet;
