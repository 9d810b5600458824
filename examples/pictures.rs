//! Renders the sample pictures shown in the README: `cargo run --example pictures` writes
//! `docs/pnl-card.png`, `docs/pnl-card-loss.png` and `docs/equity-chart.png`.

use quantbot::domain::lang::Lang;
use quantbot::domain::stats::RealizedTrade;
use quantbot::telegram::reply::chart::equity_png;
use quantbot::telegram::reply::pics::{PnlCard, pnl_card_png};

const SOL: i64 = 1_000_000_000;
const HOUR: i64 = 3_600_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    std::fs::create_dir_all(&out)?;
    let t0 = 1_796_000_000_000;
    let win = PnlCard {
        position_id: 42,
        title: "BONK".to_owned(),
        subtitle: "Bonk · DezXAZ…B263".to_owned(),
        entry: 250_000_000,
        value: Some(i128::from(SOL) * 7 / 10),
        open: false,
        paper: false,
        opened_ms: t0,
        until_ms: t0 + 2 * HOUR + 17 * 60_000,
    };
    std::fs::write(out.join("pnl-card.png"), pnl_card_png(&win, Lang::En)?)?;
    let loss = PnlCard {
        position_id: 43,
        title: "Собака".to_owned(),
        subtitle: "7xKXtg…sgAsU".to_owned(),
        entry: 100_000_000,
        value: Some(63_500_000),
        open: true,
        paper: true,
        opened_ms: t0,
        until_ms: t0 + 26 * HOUR,
    };
    std::fs::write(out.join("pnl-card-loss.png"), pnl_card_png(&loss, Lang::Ru)?)?;
    let pnls = [12, -4, 30, 8, -15, 22, 5, -9, 40, 11];
    let trades: Vec<RealizedTrade> = pnls
        .iter()
        .zip(0i64..)
        .map(|(p, i)| RealizedTrade {
            pnl: p * SOL / 1000,
            opened_at_ms: t0 + i * 5 * HOUR,
            closed_at_ms: t0 + i * 5 * HOUR + 2 * HOUR,
        })
        .collect();
    std::fs::write(out.join("equity-chart.png"), equity_png(&trades, Lang::En)?)?;
    Ok(())
}
