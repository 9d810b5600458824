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
    /// Quote a buy of <sol> SOL of <mint> through the bot's router (Pump.fun / PumpSwap /
    /// Jupiter) and print venue, expected and minimum out, price impact, fees, liquidity, price.
    Quote {
        /// Token mint (base58).
        mint: String,
        /// SOL to spend, e.g. 0.1.
        sol: String,
    },
    /// Build the full buy transaction for <wallet> (any address) and simulate it unsigned
    /// (sigVerify off, blockhash replaced); prints the outcome, logs tail, units, token delta.
    SimulateBuy {
        /// The buying wallet's address (base58); nothing is signed.
        wallet: String,
        /// Token mint (base58).
        mint: String,
        /// SOL to spend, e.g. 0.1.
        sol: String,
    },
    /// Ask the running bot's /healthz (on HTTP_LISTEN) and exit 0 when it answers 200: the
    /// Docker HEALTHCHECK (the runtime image has no curl).
    Healthcheck,
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
        Cmd::Healthcheck => {
            let config = Config::load(Needs::DatabaseOnly)?;
            let report = quantbot::http::check_health(config.http_listen).await?;
            println!("{report}");
            Ok(())
        }
        Cmd::Migrate => {
            let config = Config::load(Needs::DatabaseOnly)?;
            init_tracing(config.log_format);
            let db = open_database(&config).await?;
            db.close().await;
            tracing::info!("migrations applied");
            Ok(())
        }
        Cmd::Quote { mint, sol } => {
            let (mint, amount) = quantbot::operator::parse_buy_args(&mint, &sol)?;
            let config = Config::load(Needs::DatabaseOnly)?;
            init_operator_tracing();
            let chain = std::sync::Arc::new(quantbot::startup::build_helius(&config, None)?);
            let router = quantbot::startup::build_router(&config, chain).await?;
            print!("{}", quantbot::operator::quote_buy(&router, mint, amount).await?);
            Ok(())
        }
        Cmd::SimulateBuy { wallet, mint, sol } => {
            let (mint, amount) = quantbot::operator::parse_buy_args(&mint, &sol)?;
            let owner: solana_pubkey::Pubkey =
                wallet.trim().parse().map_err(|_| anyhow::anyhow!("<wallet> is not a base58 address: {wallet}"))?;
            let config = Config::load(Needs::DatabaseOnly)?;
            init_operator_tracing();
            let chain = std::sync::Arc::new(quantbot::startup::build_helius(&config, None)?);
            let router = quantbot::startup::build_router(&config, chain.clone()).await?;
            print!("{}", quantbot::operator::simulate_buy(&router, &chain, owner, mint, amount).await?);
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

/// Operator commands print their result on stdout, so their logs (warnings by default) go to
/// stderr.
fn init_operator_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}
