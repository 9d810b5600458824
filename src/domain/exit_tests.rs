//! Table tests for `evaluate`.

use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;

fn d(v: &str) -> Decimal {
    v.parse().unwrap_or_default()
}

fn rules() -> ExitRules {
    ExitRules {
        stop_loss_bps: Some(3_000),
        take_profit: vec![
            TakeProfitStep { gain_bps: 10_000, sell_pct: 50 },
            TakeProfitStep { gain_bps: 20_000, sell_pct: 25 },
            TakeProfitStep { gain_bps: 40_000, sell_pct: 100 },
        ],
        trailing: Some(Trailing { arm_bps: 300, trail_bps: 200 }),
        time_exit_ms: Some(48 * 3_600_000),
    }
}

fn pos(tokens: u64, peak: &str, tp_done: u32) -> PositionView {
    PositionView {
        entry: d("1"),
        tokens,
        opened_at_ms: 0,
        peak: d(peak),
        progress: ExitProgress { tp_done, initial_tokens: 1_000 },
    }
}

struct Case {
    name: &'static str,
    pos: PositionView,
    price: &'static str,
    now: i64,
    rules: ExitRules,
    want: Option<(ExitRule, u64, bool)>,
}

#[test]
fn evaluate_table() {
    let no_trail = ExitRules { trailing: None, ..rules() };
    let cases = [
        Case { name: "TC1 flat: nothing", pos: pos(1_000, "1", 0), price: "1", now: 1, rules: rules(), want: None },
        Case {
            name: "TC2 stop-loss at -30%",
            pos: pos(1_000, "1", 0),
            price: "0.7",
            now: 1,
            rules: rules(),
            want: Some((ExitRule::StopLoss, 1_000, true)),
        },
        Case {
            name: "TC3 just above stop",
            pos: pos(1_000, "1", 0),
            price: "0.7001",
            now: 1,
            rules: no_trail.clone(),
            want: None,
        },
        Case {
            name: "TC4 time exit",
            pos: pos(1_000, "1", 0),
            price: "1",
            now: 48 * 3_600_000,
            rules: rules(),
            want: Some((ExitRule::Time, 1_000, true)),
        },
        Case {
            name: "TC5 trailing not armed below +3%",
            pos: pos(1_000, "1.02", 0),
            price: "0.99",
            now: 1,
            rules: rules(),
            want: None,
        },
        Case {
            name: "TC6 trailing armed at +3% and fired 2% under the peak",
            pos: pos(1_000, "1.03", 0),
            price: "1.0094",
            now: 1,
            rules: rules(),
            want: Some((ExitRule::Trailing, 1_000, true)),
        },
        Case {
            name: "TC7 trailing armed, above stop",
            pos: pos(1_000, "1.10", 0),
            price: "1.0781",
            now: 1,
            rules: rules(),
            want: None,
        },
        Case {
            name: "TC8 first TP step sells 50% of the initial size",
            pos: pos(1_000, "1", 0),
            price: "2",
            now: 1,
            rules: no_trail.clone(),
            want: Some((ExitRule::TakeProfit(0), 500, false)),
        },
        Case {
            name: "TC9 first step done: nothing at +100%",
            pos: pos(500, "2", 1),
            price: "2",
            now: 1,
            rules: no_trail.clone(),
            want: None,
        },
        Case {
            name: "TC10 second step sells 25% of the initial size",
            pos: pos(500, "2", 1),
            price: "3",
            now: 1,
            rules: no_trail.clone(),
            want: Some((ExitRule::TakeProfit(1), 250, false)),
        },
        Case {
            name: "TC11 gap through steps 1 and 2 sells 75%",
            pos: pos(1_000, "1", 0),
            price: "3.5",
            now: 1,
            rules: no_trail.clone(),
            want: Some((ExitRule::TakeProfit(1), 750, false)),
        },
        Case {
            name: "TC12 gap through every step sells all",
            pos: pos(1_000, "1", 0),
            price: "6",
            now: 1,
            rules: no_trail.clone(),
            want: Some((ExitRule::TakeProfit(2), 1_000, true)),
        },
        Case {
            name: "TC13 last step sells the rest",
            pos: pos(250, "3", 2),
            price: "5",
            now: 1,
            rules: no_trail.clone(),
            want: Some((ExitRule::TakeProfit(2), 250, true)),
        },
        Case {
            name: "TC14 partial fill left fewer tokens than the step",
            pos: pos(100, "1", 0),
            price: "2",
            now: 1,
            rules: no_trail.clone(),
            want: Some((ExitRule::TakeProfit(0), 100, true)),
        },
        Case {
            name: "TC15 stop-loss wins over a stale ladder",
            pos: pos(1_000, "1", 0),
            price: "0.5",
            now: 48 * 3_600_000,
            rules: rules(),
            want: Some((ExitRule::StopLoss, 1_000, true)),
        },
        Case {
            name: "TC16 no rules: nothing",
            pos: pos(1_000, "1", 0),
            price: "0.0001",
            now: i64::MAX,
            rules: ExitRules::default(),
            want: None,
        },
        Case {
            name: "TC17 empty position: nothing",
            pos: pos(0, "1", 0),
            price: "0.1",
            now: 1,
            rules: rules(),
            want: None,
        },
    ];
    for c in cases {
        let got = evaluate(&c.pos, d(c.price), c.now, &c.rules).map(|x| (x.rule, x.tokens, x.closes));
        assert_eq!(got, c.want, "{}", c.name);
    }
}

#[test]
fn peak_only_rises() {
    assert_eq!(next_peak(d("2"), d("1")), d("2"));
    assert_eq!(next_peak(d("2"), d("3")), d("3"));
}

#[test]
fn default_rules_come_from_config() {
    let r = ExitRules::from_config(&UserConfig::default());
    assert_eq!(r.stop_loss_bps, Some(3_000));
    assert_eq!(r.trailing, Some(Trailing { arm_bps: 300, trail_bps: 200 }));
    assert_eq!(r.time_exit_ms, Some(48 * 3_600_000));
    assert!(!r.is_empty());
}

proptest! {
    #[test]
    fn never_sells_more_than_held(tokens in 0u64..=u64::MAX, initial in 0u64..=u64::MAX, done in 0u32..5, price in 0i64..1_000_000, peak in 0i64..1_000_000, now in any::<i64>()) {
        let p = PositionView { entry: Decimal::new(1_000, 3), tokens, opened_at_ms: 0, peak: Decimal::new(peak, 3), progress: ExitProgress { tp_done: done, initial_tokens: initial } };
        if let Some(x) = evaluate(&p, Decimal::new(price, 3), now, &rules()) {
            prop_assert!(x.tokens <= tokens && x.tokens > 0);
            prop_assert!(!x.closes || x.tokens == tokens);
        }
    }
}

#[test]
fn the_plan_agrees_with_evaluate_on_the_table_edges() {
    // Prices at, just above and just below every threshold of `rules()` (entry 1, peak 1.5).
    let prices = ["0.7", "0.70000001", "0.69999999", "1.47", "1.4700001", "1.4699999", "2", "1.9999999", "3", "5", "0"];
    for tp_done in 0..4 {
        for peak in ["1", "1.02", "1.03", "1.5"] {
            let p = pos(1_000, peak, tp_done);
            let plan = ExitPlan::new(&p, &rules());
            for price in prices {
                for now in [1, 48 * 3_600_000 - 1, 48 * 3_600_000] {
                    let want = evaluate(&p, d(price), now, &rules());
                    assert_eq!(plan.evaluate(&p, d(price), now, &rules()), want, "{peak} {price} {now} {tp_done}");
                }
            }
        }
    }
}

proptest! {
    #[test]
    fn the_plan_decides_exactly_like_evaluate(entry in 1i64..1_000_000_000, price in 0i64..5_000_000_000, peak_up in 0i64..3_000_000_000, done in 0u32..4, sl in proptest::option::of(1u32..10_000), arm in 0u32..5_000, trail in 0u32..10_000, age in 0i64..200, now_extra in 0i64..10) {
        let entry_d = Decimal::new(entry, 20);
        let p = PositionView { entry: entry_d, tokens: 1_000, opened_at_ms: 0, peak: entry_d + Decimal::new(peak_up, 20), progress: ExitProgress { tp_done: done, initial_tokens: 1_000 } };
        let r = ExitRules { stop_loss_bps: sl, trailing: Some(Trailing { arm_bps: arm, trail_bps: trail }), time_exit_ms: Some(age), ..rules() };
        let plan = ExitPlan::new(&p, &r);
        let price = Decimal::new(price, 20);
        prop_assert_eq!(plan.evaluate(&p, price, now_extra * 20, &r), evaluate(&p, price, now_extra * 20, &r));
    }
}

#[test]
fn every_rule_that_fires_names_itself_with_its_figures() {
    let r = rules();
    let steps = u32::try_from(r.take_profit.len()).unwrap();
    assert_eq!(ExitRule::StopLoss.reason(&r), ExitReason::StopLoss { loss_bps: r.stop_loss_bps.unwrap() });
    assert_eq!(ExitRule::Time.reason(&r), ExitReason::Time { after_ms: r.time_exit_ms.unwrap() });
    assert_eq!(ExitRule::Trailing.reason(&r), ExitReason::Trailing { trail_bps: r.trailing.unwrap().trail_bps });
    assert_eq!(
        ExitRule::TakeProfit(1).reason(&r),
        ExitReason::TakeProfit { step: 2, steps, gain_bps: r.take_profit[1].gain_bps }
    );
    // The decision a price gap makes names the last step it sells.
    let p = pos(1_000, "1", 0);
    let d = evaluate(
        &p,
        Decimal::from(100),
        1,
        &ExitRules { stop_loss_bps: None, trailing: None, time_exit_ms: None, ..r.clone() },
    )
    .unwrap();
    assert_eq!(
        d.rule.reason(&r),
        ExitReason::TakeProfit { step: steps, steps, gain_bps: r.take_profit[r.take_profit.len() - 1].gain_bps }
    );
}
