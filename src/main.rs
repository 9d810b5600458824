//! `quantbot`: run the bot (default) or apply migrations.

use clap::{Parser, Subcommand};
use quantbot::config::{Config, Needs};
use quantbot::startup::{App, open_database, rotate_master_key, shutdown_signal};
use quantbot::telemetry::init_tracing;

/// QuantBot: a self-hosted, Telegram-first Solana trading bot.
#[derive(Debug, Parser)]
#[command(name = "quantbot", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run the bot (default): migrate, then poll Telegram until SIGINT/SIGTERM.
    Run,
    /// Apply database migrations and exit.
    Migrate,
    /// Re-encrypt every wallet under a new master key (WALLET_NEW_MASTER_KEY or
    /// WALLET_NEW_MASTER_PASSPHRASE); safe to interrupt and rerun.
    RotateMasterKey,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One line, whole cause chain, no backtrace.
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Cmd::Run) {
        Cmd::Run => {
            let config = Config::load(Needs::Bot)?;
            init_tracing(config.log_format);
            let app = App::build(config).await?;
            app.run(shutdown_signal(), |_| {}).await
        }
        Cmd::Migrate => {
            let config = Config::load(Needs::DatabaseOnly)?;
            init_tracing(config.log_format);
            let db = open_database(&config).await?;
            db.close().await;
            tracing::info!("migrations applied");
            Ok(())
        }
        Cmd::RotateMasterKey => {
            let config = Config::load(Needs::DatabaseOnly)?;
            init_tracing(config.log_format);
            let db = open_database(&config).await?;
            let report = rotate_master_key(&config, &db, None).await;
            db.close().await;
            let report = report?;
            println!(
                "rotation complete: {} wallet(s) re-encrypted, master key version is now {}. Move the new key into \
                 WALLET_MASTER_KEY / WALLET_MASTER_PASSPHRASE and clear WALLET_NEW_MASTER_*.",
                report.moved, report.to_version
            );
            Ok(())
        }
    }
}
