//! QuantBot: a self-hosted, Telegram-first Solana trading bot.
//!
//! Layout: `domain` is pure and synchronous; `ports` holds the traits behind which all I/O lives;
//! `storage`, `telegram`, `solana`, `venues` and `wallet` are adapters; `startup` wires them.
#![forbid(unsafe_code)]

rust_i18n::i18n!("locales", fallback = "en");

pub mod app;
pub mod config;
pub mod domain;
pub mod failpoint;
pub mod http;
pub mod i18n;
pub mod operator;
pub mod ports;
pub mod solana;
pub mod startup;
pub mod storage;
pub mod telegram;
pub mod telemetry;
pub mod venues;
pub mod wallet;
