//! Operator commands (`quantbot quote`, `quantbot simulate-buy`): the bot's own router and
//! transaction builder, run once against the configured RPC and Jupiter, printed as text.
//!
//! Talks to Helius (reads, `simulateTransaction`) and Jupiter through the same adapters the bot
//! uses. Never signs and never sends: `simulate-buy` simulates an unsigned transaction with
//! signature verification off and the blockhash replaced, for any address.

use std::fmt::Write as _;

use anyhow::Context as _;
use solana_pubkey::Pubkey;
use solana_signature::Signature;
use solana_transaction::versioned::VersionedTransaction;

use crate::app::trade::token_account_amount;
use crate::domain::money::{Bps, Lamports, TokenAmount};
use crate::domain::position::Side;
use crate::ports::{ChainClient, Quote, QuoteRequest, Swapper};
use crate::solana::errors::{TxFailure, instruction_programs};
use crate::solana::helius::HeliusClient;
use crate::solana::instructions::{AtaSpec, ComputeUnits, MicroLamportsPerCu};
use crate::solana::policy::{PolicyScope, TxPolicy};
use crate::solana::tx::{ComputeBudget, TxDraft};
use crate::venues::router::VenueRouter;

/// Slippage the operator commands quote with.
pub const OPERATOR_SLIPPAGE: Bps = Bps(500);
/// Log lines of the simulation printed by `simulate-buy`.
const LOG_TAIL: usize = 12;

/// Parses `<mint>` and `<sol>` arguments.
///
/// # Errors
/// A readable message naming the bad argument.
pub fn parse_buy_args(mint: &str, sol: &str) -> anyhow::Result<(Pubkey, Lamports)> {
    let mint: Pubkey = mint.trim().parse().map_err(|_| anyhow::anyhow!("<mint> is not a base58 address: {mint}"))?;
    let amount =
        Lamports::parse_sol(sol.trim()).map_err(|e| anyhow::anyhow!("<sol> is not a SOL amount ({e}): {sol}"))?;
    if amount.0 == 0 {
        anyhow::bail!("<sol> must be greater than zero");
    }
    Ok((mint, amount))
}

/// `quantbot quote <mint> <sol>`: quotes a buy and renders it.
///
/// # Errors
/// Venue errors, with their cause.
pub async fn quote_buy(router: &VenueRouter, mint: Pubkey, amount: Lamports) -> anyhow::Result<String> {
    let request = QuoteRequest { mint, side: Side::Buy, amount_in: amount.0, slippage: OPERATOR_SLIPPAGE };
    let quote = router.quote(&request).await.with_context(|| format!("quoting a buy of {amount} of {mint}"))?;
    Ok(render_quote(&quote))
}

/// Renders a quote for people (UI units, SOL, percent).
pub fn render_quote(q: &Quote) -> String {
    let out = |raw: u64| match q.request.side {
        Side::Buy => format!("{} tokens (raw {raw})", TokenAmount::new(raw, q.token_decimals)),
        Side::Sell => format!("{}", Lamports(raw)),
    };
    let mut s = String::new();
    let _ = writeln!(s, "venue:        {}", q.venue.code());
    let _ = writeln!(s, "mint:         {} ({} decimals)", q.request.mint, q.token_decimals);
    let _ = writeln!(s, "program:      {}", q.token_program);
    let _ = writeln!(s, "spend:        {}", Lamports(q.request.amount_in));
    let _ = writeln!(s, "expected out: {}", out(q.expected_out));
    let _ = writeln!(s, "min out:      {} (slippage {} bps)", out(q.min_out), q.request.slippage.0);
    let _ =
        writeln!(s, "price impact: {}%", (q.price_impact.to_fraction() * rust_decimal::Decimal::from(100)).normalize());
    let _ = writeln!(s, "venue fees:   {}", q.venue_fee);
    let _ = writeln!(s, "liquidity:    {}", q.liquidity);
    let _ = writeln!(s, "price:        {} SOL per token", q.price.normalize());
    match q.market_cap {
        Some(cap) => {
            let _ = writeln!(s, "market cap:   {cap}");
        }
        None => {
            let _ = writeln!(s, "market cap:   unknown");
        }
    }
    s
}

/// `quantbot simulate-buy <wallet> <mint> <sol>`: plans the buy for `owner`, compiles it with
/// our compute budget, checks the signing policy, and simulates it unsigned. Renders the
/// outcome, the tail of the logs, units and the token/SOL balance changes.
///
/// # Errors
/// Venue, build or RPC failures (a failing simulation is a normal outcome, not an error).
pub async fn simulate_buy(
    router: &VenueRouter,
    chain: &HeliusClient,
    owner: Pubkey,
    mint: Pubkey,
    amount: Lamports,
) -> anyhow::Result<String> {
    let request = QuoteRequest { mint, side: Side::Buy, amount_in: amount.0, slippage: OPERATOR_SLIPPAGE };
    let quote = router.quote(&request).await.context("quote")?;
    let plan = router.plan(&quote, &owner, &crate::ports::PlanOptions::default()).await.context("plan")?;
    let unit_price = chain.priority_fee_estimate(&[mint]).await.unwrap_or(0);
    let budget =
        ComputeBudget { unit_limit: ComputeUnits(plan.compute_unit_limit), unit_price: MicroLamportsPerCu(unit_price) };
    let mut draft = TxDraft::new(owner, budget);
    draft.extend(plan.instructions.clone()).set_lookup_tables(plan.lookup_tables.clone());
    let blockhash = chain.latest_blockhash().await.context("latest blockhash")?;
    let message = draft.compile(blockhash.blockhash).context("compiling the transaction")?;
    let token_account = AtaSpec { owner, mint, token_program: quote.token_program }.address();
    let scope = PolicyScope {
        user: owner,
        own_token_accounts: &[token_account],
        withdraw_destinations: &[],
        lookup_tables: &plan.lookup_tables,
    };
    let policy = TxPolicy::new(Vec::new()).check(&message, &scope);
    let programs = instruction_programs(&message);
    let signers = usize::from(message.header().num_required_signatures);
    let tx = VersionedTransaction { signatures: vec![Signature::default(); signers], message };
    let watch = [token_account, owner];
    let pre = chain.accounts(&watch).await.context("reading balances")?;
    let sim = chain.simulate_unsigned(&tx, &watch).await.context("simulateTransaction")?;

    let mut s = render_quote(&quote);
    let _ = writeln!(
        s,
        "instructions: {} ({} lookup tables), CU limit {}",
        plan.instructions.len(),
        plan.lookup_tables.len(),
        plan.compute_unit_limit
    );
    let _ = writeln!(s, "rent:         {}", plan.rent);
    let _ = writeln!(s, "policy:       {}", policy.map_or_else(|v| format!("REFUSED ({v})"), |()| "ok".to_owned()));
    match &sim.err {
        None => {
            let _ = writeln!(s, "simulation:   ok");
        }
        Some(err) => {
            let _ = writeln!(s, "simulation:   FAILED: {} ({err})", TxFailure::from_json(err, &programs));
        }
    }
    let _ = writeln!(s, "units:        {}", sim.units_consumed.map_or_else(|| "n/a".to_owned(), |u| u.to_string()));
    let pre_tokens = token_account_amount(pre.first().and_then(Option::as_ref));
    let post_tokens = token_account_amount(sim.accounts.first().and_then(Option::as_ref));
    let pre_sol = pre.get(1).and_then(Option::as_ref).map_or(0, |a| a.lamports.0);
    let post_sol = sim.accounts.get(1).and_then(Option::as_ref).map_or(pre_sol, |a| a.lamports.0);
    let gained = post_tokens.saturating_sub(pre_tokens);
    let _ = writeln!(s, "token delta:  +{} tokens (raw {gained})", TokenAmount::new(gained, quote.token_decimals));
    let _ = writeln!(s, "SOL delta:    -{}", Lamports(pre_sol.saturating_sub(post_sol)));
    let _ = writeln!(s, "logs (last {LOG_TAIL}):");
    let skip = sim.logs.len().saturating_sub(LOG_TAIL);
    for line in sim.logs.iter().skip(skip) {
        let _ = writeln!(s, "  {line}");
    }
    Ok(s)
}
