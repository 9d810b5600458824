//! One integration test binary: the real app against fakes on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod admin;
mod alerts;
mod chain;
mod copy;
mod home;
mod i18n;
mod monitor;
mod ops;
mod orders;
mod outbox;
mod pics;
mod safety;
mod storage;
mod telegram_flows;
mod trade_pipeline;
mod trading;
mod trading_commands;
mod venues;
mod wallet;
mod wallet_keys;
