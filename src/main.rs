//! `quantbot`: run the bot (default) or apply migrations.

use clap::{Parser, Subcommand};
use quantbot::config::{Config, Needs};
use quantbot::startup::{App, open_database, shutdown_signal};
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
    }
}
