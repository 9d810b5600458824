//! The `quantbot` binary as a user runs it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn quantbot(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_quantbot"));
    cmd.current_dir(dir).env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd
}

#[test]
fn missing_token_exits_with_one_line_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let out = quantbot(dir.path()).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("TELEGRAM_BOT_TOKEN") && stderr.contains(".env.example"), "{stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"), "{stderr}");
}

#[test]
fn empty_token_from_env_example_is_treated_as_missing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/.env.example"), dir.path().join(".env")).unwrap();
    let out = quantbot(dir.path()).arg("run").output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("TELEGRAM_BOT_TOKEN is not set"), "{stderr}");
}

#[test]
fn migrate_creates_the_sqlite_file_without_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let out = quantbot(dir.path()).arg("migrate").env("RUST_LOG", "warn").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.path().join("data/quantbot.db").exists(), "default sqlite://data/quantbot.db was not created");
}

#[test]
fn help_lists_the_subcommands() {
    let dir = tempfile::tempdir().unwrap();
    let out = quantbot(dir.path()).arg("--help").output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("run") && stdout.contains("migrate"), "{stdout}");
}

#[test]
fn bad_config_values_are_reported_without_echoing_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let out = quantbot(dir.path())
        .env("TELEGRAM_BOT_TOKEN", "123:abc")
        .env("WALLET_MASTER_KEY", "not-hex-SECRET")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("WALLET_MASTER_KEY"), "{stderr}");
    assert!(!stderr.contains("not-hex-SECRET"), "{stderr}");
}
