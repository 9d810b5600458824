//! Editing one position's exit rules (stop-loss, take-profit ladder, trailing stop, time exit,
//! break-even). Pure. An edit never regresses ladder progress: the steps already sold stay as
//! they were, and a new ladder only adds steps above the last one sold, so an edit never re-runs
//! a take-profit step already taken.

use super::exit::{ExitProgress, ExitRules};
use super::user_config::{TakeProfitStep, Trailing};

/// One change to a position's exits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExitEdit {
    /// Stop-loss distance below the entry, basis points (`None`: off).
    StopLoss(Option<u32>),
    /// The take-profit ladder (empty: no further steps).
    TakeProfit(Vec<TakeProfitStep>),
    /// Trailing stop (`None`: off).
    Trailing(Option<Trailing>),
    /// Time exit after this long since open, ms (`None`: off).
    TimeExit(Option<i64>),
    /// Stop-loss at the entry price (fees included).
    BreakEven,
}

/// `rules` after `edit`, with `progress` (the ladder steps already sold) kept.
pub fn apply(rules: &ExitRules, progress: ExitProgress, edit: &ExitEdit) -> ExitRules {
    let mut out = rules.clone();
    match edit {
        ExitEdit::StopLoss(bps) => out.stop_loss_bps = bps.map(|b| b.min(10_000)),
        ExitEdit::BreakEven => out.stop_loss_bps = Some(0),
        ExitEdit::Trailing(t) => out.trailing = *t,
        ExitEdit::TimeExit(ms) => out.time_exit_ms = *ms,
        ExitEdit::TakeProfit(steps) => out.take_profit = ladder(&rules.take_profit, progress, steps),
    }
    out
}

/// The steps already sold, then the new steps above the last one sold (in gain order).
fn ladder(old: &[TakeProfitStep], progress: ExitProgress, new: &[TakeProfitStep]) -> Vec<TakeProfitStep> {
    let done = usize::try_from(progress.tp_done).unwrap_or(usize::MAX).min(old.len());
    let mut out: Vec<TakeProfitStep> = old[..done].to_vec();
    let floor = out.last().map(|s| s.gain_bps);
    let mut fresh: Vec<TakeProfitStep> =
        new.iter().copied().filter(|s| floor.is_none_or(|f| s.gain_bps > f) && s.sell_pct > 0).collect();
    fresh.sort_by_key(|s| s.gain_bps);
    fresh.dedup_by_key(|s| s.gain_bps);
    out.extend(fresh);
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::exit::{PositionView, evaluate};

    fn step(gain_bps: u32, sell_pct: u8) -> TakeProfitStep {
        TakeProfitStep { gain_bps, sell_pct }
    }

    #[test]
    fn a_new_ladder_keeps_the_sold_steps_and_drops_steps_at_or_below_them() {
        let rules = ExitRules { take_profit: vec![step(10_000, 50), step(20_000, 100)], ..ExitRules::default() };
        let progress = ExitProgress { tp_done: 1, initial_tokens: 1_000 };
        let edited =
            apply(&rules, progress, &ExitEdit::TakeProfit(vec![step(10_000, 50), step(30_000, 100), step(5_000, 10)]));
        assert_eq!(edited.take_profit, vec![step(10_000, 50), step(30_000, 100)]);
        assert_eq!(apply(&rules, progress, &ExitEdit::BreakEven).stop_loss_bps, Some(0));
        assert_eq!(apply(&rules, progress, &ExitEdit::StopLoss(Some(20_000))).stop_loss_bps, Some(10_000));
    }

    fn ladders() -> impl Strategy<Value = Vec<TakeProfitStep>> {
        proptest::collection::vec((1_u32..50_000, 1_u8..=100).prop_map(|(g, p)| step(g, p)), 0..6).prop_map(|mut v| {
            v.sort_by_key(|s| s.gain_bps);
            v.dedup_by_key(|s| s.gain_bps);
            v
        })
    }

    proptest! {
        /// Whatever the edit, the steps already sold are unchanged and no step at or below the
        /// last one sold is added: at any price, the ladder never sells a step that was taken.
        #[test]
        fn an_edit_never_regresses_ladder_progress(
            old in ladders(),
            new in ladders(),
            done in 0_u32..6,
            price_pct in 0_i64..60_000,
        ) {
            let done = done.min(u32::try_from(old.len()).unwrap());
            let progress = ExitProgress { tp_done: done, initial_tokens: 1_000_000 };
            let rules = ExitRules { take_profit: old.clone(), ..ExitRules::default() };
            let edited = apply(&rules, progress, &ExitEdit::TakeProfit(new));
            let d = usize::try_from(done).unwrap();
            prop_assert_eq!(&edited.take_profit[..d], &old[..d]);
            let floor = old[..d].last().map_or(0, |s| s.gain_bps);
            prop_assert!(edited.take_profit[d..].iter().all(|s| s.gain_bps > floor));
            prop_assert!(edited.take_profit.windows(2).all(|w| w[0].gain_bps < w[1].gain_bps));
            // Evaluated: a take-profit decision never names a step index below `done`.
            let entry = rust_decimal::Decimal::new(1, 6);
            let pos = PositionView { entry, tokens: 1_000_000, opened_at_ms: 0, peak: entry, progress };
            let price = entry * rust_decimal::Decimal::new(10_000 + price_pct, 4);
            if let Some(dec) = evaluate(&pos, price, 0, &edited)
                && let crate::domain::exit::ExitRule::TakeProfit(i) = dec.rule
            {
                prop_assert!(i >= done, "step {} re-run (done {})", i, done);
            }
        }
    }
}
