//! Table tests: one case per rule, plus the exit and mode rules.

use proptest::prelude::*;

use super::*;
use crate::domain::user_config::LossStreak;

const SOL: u64 = 1_000_000_000;

fn config() -> UserConfig {
    UserConfig {
        trading_enabled: true,
        dry_run: false,
        max_position: Lamports(SOL / 2),
        max_total_exposure: Lamports(2 * SOL),
        daily_loss_limit: Some(Lamports(SOL / 2)),
        weekly_loss_limit: Some(Lamports(SOL)),
        monthly_loss_limit: Some(Lamports(2 * SOL)),
        max_open_positions: 3,
        min_sol_reserve: Lamports(10_000_000),
        max_price_impact: Bps(500),
        loss_streak: Some(LossStreak { losses: 3, cooldown_minutes: 60 }),
        max_drawdown: Some(Bps(5_000)),
        min_liquidity: Some(Lamports(5 * SOL)),
        ..UserConfig::default()
    }
}

fn snapshot() -> RiskSnapshot {
    RiskSnapshot { wallet_balance: Lamports(10 * SOL), now_ms: 1_000_000_000, ..RiskSnapshot::default() }
}

fn proposal() -> EntryProposal {
    EntryProposal {
        amount: Lamports(SOL / 10),
        fees: Lamports(2_000_000),
        price_impact: Bps(100),
        liquidity: Lamports(30 * SOL),
    }
}

struct Case {
    name: &'static str,
    config: fn(&mut UserConfig),
    snap: fn(&mut RiskSnapshot),
    proposal: fn(&mut EntryProposal),
    expect: Option<&'static str>,
}

fn none<T>(_: &mut T) {}

#[test]
fn each_rule_refuses_exactly_its_case() {
    let cases = [
        Case { name: "happy path", config: none, snap: none, proposal: none, expect: None },
        Case {
            name: "kill switch",
            config: none,
            snap: |s| s.kill_switch = KillSwitch::Entries,
            proposal: none,
            expect: Some("kill_switch"),
        },
        Case {
            name: "breaker",
            config: none,
            snap: |s| s.consecutive_execution_failures = 5,
            proposal: none,
            expect: Some("execution_breaker"),
        },
        Case {
            name: "breaker below N",
            config: none,
            snap: |s| s.consecutive_execution_failures = 4,
            proposal: none,
            expect: None,
        },
        Case {
            name: "paused",
            config: none,
            snap: |s| s.user_paused = true,
            proposal: none,
            expect: Some("user_paused"),
        },
        Case {
            name: "disabled",
            config: |c| c.trading_enabled = false,
            snap: none,
            proposal: none,
            expect: Some("trading_disabled"),
        },
        Case {
            name: "size",
            config: none,
            snap: none,
            proposal: |p| p.amount = Lamports(SOL / 2 + 1),
            expect: Some("max_position"),
        },
        Case {
            name: "size at limit",
            config: none,
            snap: none,
            proposal: |p| p.amount = Lamports(SOL / 2),
            expect: None,
        },
        Case {
            name: "exposure",
            config: none,
            snap: |s| s.exposure = Lamports(2 * SOL - SOL / 20),
            proposal: none,
            expect: Some("max_exposure"),
        },
        Case {
            name: "daily loss",
            config: none,
            snap: |s| s.realized_day = -((SOL / 2) as i64),
            proposal: none,
            expect: Some("daily_loss"),
        },
        Case {
            name: "daily loss not yet",
            config: none,
            snap: |s| s.realized_day = -((SOL / 2) as i64) + 1,
            proposal: none,
            expect: None,
        },
        Case {
            name: "daily profit",
            config: none,
            snap: |s| s.realized_day = 5 * SOL as i64,
            proposal: none,
            expect: None,
        },
        Case {
            name: "weekly loss",
            config: none,
            snap: |s| s.realized_week = -(SOL as i64),
            proposal: none,
            expect: Some("weekly_loss"),
        },
        Case {
            name: "monthly loss",
            config: none,
            snap: |s| s.realized_month = -2 * SOL as i64,
            proposal: none,
            expect: Some("monthly_loss"),
        },
        Case {
            name: "no loss limit",
            config: |c| c.daily_loss_limit = None,
            snap: |s| s.realized_day = -100 * SOL as i64,
            proposal: none,
            expect: None,
        },
        Case {
            name: "open positions",
            config: none,
            snap: |s| s.open_positions = 3,
            proposal: none,
            expect: Some("max_open_positions"),
        },
        Case {
            name: "adding to an open position",
            config: none,
            snap: |s| {
                s.open_positions = 3;
                s.adds_to_open_position = true
            },
            proposal: none,
            expect: None,
        },
        Case {
            name: "loss streak cooling down",
            config: none,
            snap: |s| {
                s.consecutive_losses = 3;
                s.last_loss_at_ms = s.now_ms - 59 * 60_000
            },
            proposal: none,
            expect: Some("loss_streak"),
        },
        Case {
            name: "loss streak cooled down",
            config: none,
            snap: |s| {
                s.consecutive_losses = 3;
                s.last_loss_at_ms = s.now_ms - 60 * 60_000
            },
            proposal: none,
            expect: None,
        },
        Case {
            name: "drawdown",
            config: none,
            snap: |s| {
                s.equity_peak = SOL as i64;
                s.equity_now = 0
            },
            proposal: none,
            expect: Some("drawdown"),
        },
        Case {
            name: "drawdown below cap",
            config: none,
            snap: |s| {
                s.equity_peak = SOL as i64;
                s.equity_now = 1
            },
            proposal: none,
            expect: None,
        },
        Case {
            name: "balance",
            config: none,
            snap: |s| s.wallet_balance = Lamports(SOL / 10 + 2_000_000 + 10_000_000 - 1),
            proposal: none,
            expect: Some("balance"),
        },
        Case {
            name: "balance exact",
            config: none,
            snap: |s| s.wallet_balance = Lamports(SOL / 10 + 2_000_000 + 10_000_000),
            proposal: none,
            expect: None,
        },
        Case {
            name: "impact",
            config: none,
            snap: none,
            proposal: |p| p.price_impact = Bps(501),
            expect: Some("price_impact"),
        },
        Case {
            name: "liquidity",
            config: none,
            snap: none,
            proposal: |p| p.liquidity = Lamports(5 * SOL - 1),
            expect: Some("liquidity"),
        },
        Case {
            name: "liquidity off",
            config: |c| c.min_liquidity = None,
            snap: none,
            proposal: |p| p.liquidity = Lamports(0),
            expect: None,
        },
    ];
    for case in cases {
        let mut c = config();
        let mut s = snapshot();
        let mut p = proposal();
        (case.config)(&mut c);
        (case.snap)(&mut s);
        (case.proposal)(&mut p);
        let got = approve_entry((), &p, &c, &s, &GlobalLimits::default());
        assert_eq!(got.as_ref().err().map(RiskRefusal::rule), case.expect, "{}: {got:?}", case.name);
    }
}

#[test]
fn exits_ignore_entry_limits_but_not_the_hard_kill_switch() {
    let mut c = config();
    c.trading_enabled = false;
    let s = RiskSnapshot {
        kill_switch: KillSwitch::Entries,
        user_paused: true,
        realized_day: -100 * SOL as i64,
        consecutive_execution_failures: 99,
        wallet_balance: Lamports(0),
        ..snapshot()
    };
    assert!(approve_exit((), &c, &s).is_ok());
    let hard = RiskSnapshot { kill_switch: KillSwitch::Hard, ..s };
    assert_eq!(approve_exit((), &c, &hard).err(), Some(RiskRefusal::KillSwitch));
}

#[test]
fn dry_run_makes_paper_trades() {
    let mut c = config();
    let live = approve_entry(1, &proposal(), &c, &snapshot(), &GlobalLimits::default());
    assert_eq!(live.map(|a| a.mode()), Ok(TradeMode::Live));
    c.dry_run = true;
    let paper = approve_entry(1, &proposal(), &c, &snapshot(), &GlobalLimits::default());
    assert_eq!(paper.map(|a| a.mode()), Ok(TradeMode::Paper));
    c.dry_run = false;
    let global = RiskSnapshot { global_dry_run: true, ..snapshot() };
    assert_eq!(
        approve_entry(1, &proposal(), &c, &global, &GlobalLimits::default()).map(|a| a.mode()),
        Ok(TradeMode::Paper)
    );
}

#[test]
fn kill_switch_codes_fail_safe() {
    for k in [KillSwitch::Off, KillSwitch::Entries, KillSwitch::Hard] {
        assert_eq!(KillSwitch::from_code(k.code()), k);
    }
    assert_eq!(KillSwitch::from_code("garbage"), KillSwitch::Hard);
}

proptest! {
    #[test]
    fn no_panic_and_limits_hold_over_full_ranges(
        amount in any::<u64>(), fees in any::<u64>(), balance in any::<u64>(), exposure in any::<u64>(),
        day in any::<i64>(), peak in any::<i64>(), now in any::<i64>(), impact in any::<u16>(),
    ) {
        let c = config();
        let p = EntryProposal { amount: Lamports(amount), fees: Lamports(fees), price_impact: Bps(impact), liquidity: Lamports(u64::MAX) };
        let s = RiskSnapshot { wallet_balance: Lamports(balance), exposure: Lamports(exposure), realized_day: day, equity_peak: peak, equity_now: 0, now_ms: now, ..RiskSnapshot::default() };
        if approve_entry((), &p, &c, &s, &GlobalLimits::default()).is_ok() {
            prop_assert!(amount <= c.max_position.0);
            prop_assert!(u128::from(exposure) + u128::from(amount) <= u128::from(c.max_total_exposure.0));
            prop_assert!(u128::from(amount) + u128::from(fees) + u128::from(c.min_sol_reserve.0) <= u128::from(balance));
            prop_assert!(impact <= c.max_price_impact.0);
        }
    }
}

/// The rule that refused, if any (the baseline passes every rule, so with one input varied the
/// refusal, if any, is that input's rule).
fn refused_by(c: &UserConfig, s: &RiskSnapshot, p: &EntryProposal) -> Option<&'static str> {
    approve_entry((), p, c, s, &GlobalLimits::default()).err().map(|r| r.rule())
}

proptest! {
    /// Each rule refuses if and only if its own condition holds, over the full input ranges.
    #[test]
    fn each_rule_refuses_iff_its_condition_holds(
        amount in any::<u64>(), exposure in any::<u64>(), realized in any::<i64>(), open in any::<u32>(),
        adds in any::<bool>(), losses in any::<u32>(), last_loss in any::<i64>(), now in any::<i64>(),
        peak in any::<i64>(), equity in any::<i64>(), balance in any::<u64>(), impact in any::<u16>(),
        liquidity in any::<u64>(), failures in any::<u32>(),
    ) {
        let c = config();

        let p = EntryProposal { amount: Lamports(amount), ..proposal() };
        prop_assert_eq!(refused_by(&c, &snapshot(), &p) == Some("max_position"), amount > c.max_position.0);

        let s = RiskSnapshot { exposure: Lamports(exposure), ..snapshot() };
        let over = u128::from(exposure) + u128::from(proposal().amount.0) > u128::from(c.max_total_exposure.0);
        prop_assert_eq!(refused_by(&c, &s, &proposal()) == Some("max_exposure"), over);

        let loss = -i128::from(realized);
        let s = RiskSnapshot { realized_day: realized, ..snapshot() };
        let limit = i128::from(c.daily_loss_limit.map_or(u64::MAX, |l| l.0));
        prop_assert_eq!(refused_by(&c, &s, &proposal()) == Some("daily_loss"), loss >= limit);
        let s = RiskSnapshot { realized_week: realized, ..snapshot() };
        let limit = i128::from(c.weekly_loss_limit.map_or(u64::MAX, |l| l.0));
        prop_assert_eq!(refused_by(&c, &s, &proposal()) == Some("weekly_loss"), loss >= limit);
        let s = RiskSnapshot { realized_month: realized, ..snapshot() };
        let limit = i128::from(c.monthly_loss_limit.map_or(u64::MAX, |l| l.0));
        prop_assert_eq!(refused_by(&c, &s, &proposal()) == Some("monthly_loss"), loss >= limit);

        let s = RiskSnapshot { open_positions: open, adds_to_open_position: adds, ..snapshot() };
        prop_assert_eq!(refused_by(&c, &s, &proposal()) == Some("max_open_positions"), !adds && open >= c.max_open_positions);

        let s = RiskSnapshot { consecutive_losses: losses, last_loss_at_ms: last_loss, now_ms: now, ..snapshot() };
        let streak = c.loss_streak.unwrap();
        let cooling = i128::from(now) < i128::from(last_loss) + i128::from(streak.cooldown_minutes) * 60_000;
        let until_saturates = i128::from(last_loss) + i128::from(streak.cooldown_minutes) * 60_000 > i128::from(i64::MAX);
        if !until_saturates {
            prop_assert_eq!(refused_by(&c, &s, &proposal()) == Some("loss_streak"), losses >= streak.losses && cooling);
        }

        let s = RiskSnapshot { equity_peak: peak, equity_now: equity, ..snapshot() };
        let dd = i128::from(peak) - i128::from(equity);
        let hit = dd > 0 && dd * 10_000 >= i128::from(c.max_total_exposure.0) * i128::from(c.max_drawdown.unwrap().0);
        prop_assert_eq!(refused_by(&c, &s, &proposal()) == Some("drawdown"), hit);

        let s = RiskSnapshot { wallet_balance: Lamports(balance), ..snapshot() };
        let p = proposal();
        let needed = u128::from(p.amount.0) + u128::from(p.fees.0) + u128::from(c.min_sol_reserve.0);
        prop_assert_eq!(refused_by(&c, &s, &p) == Some("balance"), needed > u128::from(balance));

        let p = EntryProposal { price_impact: Bps(impact), ..proposal() };
        prop_assert_eq!(refused_by(&c, &snapshot(), &p) == Some("price_impact"), impact > c.max_price_impact.0);

        let p = EntryProposal { liquidity: Lamports(liquidity), ..proposal() };
        prop_assert_eq!(refused_by(&c, &snapshot(), &p) == Some("liquidity"), liquidity < c.min_liquidity.unwrap().0);

        let s = RiskSnapshot { consecutive_execution_failures: failures, ..snapshot() };
        let breaker = GlobalLimits::default().execution_failure_breaker;
        prop_assert_eq!(refused_by(&c, &s, &proposal()) == Some("execution_breaker"), failures >= breaker);
    }

    /// The loss budgets refuse the largest possible loss too (`i64::MIN` has no negation).
    #[test]
    fn loss_budgets_hold_at_the_extremes(realized in prop_oneof![Just(i64::MIN), Just(i64::MIN + 1), any::<i64>()]) {
        let s = RiskSnapshot { realized_day: realized, ..snapshot() };
        let refused = refused_by(&config(), &s, &proposal()) == Some("daily_loss");
        prop_assert_eq!(refused, -i128::from(realized) >= i128::from(SOL / 2));
    }
}

#[test]
fn realized_windows_come_from_the_realized_sells() {
    use crate::domain::stats::RealizedTrade;
    const DAY: i64 = 86_400_000;
    let now = 100 * DAY;
    let t = |pnl: i64, days_ago: i64| RealizedTrade { pnl, opened_at_ms: 0, closed_at_ms: now - days_ago * DAY };
    let mut s = RiskSnapshot { now_ms: now, ..RiskSnapshot::default() };
    s.apply_realized(&[t(-1_000, 40), t(-300, 20), t(500, 6), t(-200, 1)]);
    assert_eq!((s.realized_week, s.realized_month), (300, 0));
    assert_eq!((s.equity_now, s.equity_peak, s.consecutive_losses), (-1_000, 0, 1));
}
