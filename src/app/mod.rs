//! Use-cases, generic over ports; no Telegram or database types here.

pub mod admin;
pub mod broadcast;
pub mod connector;
pub mod copy;
pub mod exits;
pub mod home;
pub mod keys;
pub mod livetrade;
pub mod monitor;
pub mod orders;
pub mod panic;
pub mod positions;
pub mod prices;
pub mod reclaim;
pub mod recovery;
pub mod safety;
pub mod trade;
pub mod usd;
pub mod wallet;
pub mod watcher;
pub mod withdraw;
