use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;

fn d(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn limit(direction: Direction, level: Decimal) -> OrderView {
    let trigger = Trigger { direction, level };
    OrderView {
        side: Side::Buy,
        plan: Plan::Limit { trigger, spec: TriggerSpec::Move { bps: -2_000 } },
        size: Size::Lamports(1_000),
        fills: 0,
        next_at_ms: 0,
        expires_at_ms: None,
    }
}

fn dca(total: u64, slices: u32, interval_ms: i64, start: i64) -> OrderView {
    OrderView {
        side: Side::Buy,
        plan: Plan::Dca { slices, interval_ms, min_price: None, max_price: None },
        size: Size::Lamports(total),
        fills: 0,
        next_at_ms: start,
        expires_at_ms: None,
    }
}

#[test]
fn triggers_parse_as_typed() {
    let below = Direction::AtOrBelow;
    let above = Direction::AtOrAbove;
    for (text, want) in [
        ("price<=0.0000012", TriggerSpec::Price { direction: below, sol: d("0.0000012") }),
        ("price >= 0,5", TriggerSpec::Price { direction: above, sol: d("0.5") }),
        ("mcap<=30k", TriggerSpec::MarketCap { direction: below, sol: d("30000") }),
        ("MC>=1.5m", TriggerSpec::MarketCap { direction: above, sol: d("1500000") }),
        ("-20%", TriggerSpec::Move { bps: -2_000 }),
        ("+12.5%", TriggerSpec::Move { bps: 1_250 }),
        ("50%", TriggerSpec::Move { bps: 5_000 }),
        ("2x", TriggerSpec::Multiple { times: d("2") }),
        ("0.5x", TriggerSpec::Multiple { times: d("0.5") }),
    ] {
        assert_eq!(TriggerSpec::parse(text), Ok(want), "{text}");
    }
    for bad in
        ["", "price", "price=1", "price<=-1", "price<=0", "mcap<=abc", "0%", "-100%", "-150%", "1x", "x", "%", "2y"]
    {
        assert_eq!(TriggerSpec::parse(bad), Err(OrderError::Trigger), "{bad}");
    }
}

#[test]
fn triggers_resolve_to_the_monitor_price_unit() {
    let m = Market { decimals: 6, supply: 1_000_000_000_000_000, reference: Some(d("0.00000003")) };
    // 0.0000012 SOL per whole token = 1.2e-12 SOL per raw unit (6 decimals).
    let t = TriggerSpec::parse("price<=0.0000012").unwrap().resolve(&m).unwrap();
    assert_eq!(t, Trigger { direction: Direction::AtOrBelow, level: d("0.0000000000012") });
    // 30k SOL market cap over 1e15 raw units = 3e-11 per raw unit.
    let t = TriggerSpec::parse("mcap<=30k").unwrap().resolve(&m).unwrap();
    assert_eq!(t.level, d("0.00000000003"));
    let t = TriggerSpec::parse("-20%").unwrap().resolve(&m).unwrap();
    assert_eq!(t, Trigger { direction: Direction::AtOrBelow, level: d("0.000000024") });
    let t = TriggerSpec::parse("2x").unwrap().resolve(&m).unwrap();
    assert_eq!(t, Trigger { direction: Direction::AtOrAbove, level: d("0.00000006") });
    let no_ref = Market { reference: None, ..m };
    assert_eq!(TriggerSpec::parse("2x").unwrap().resolve(&no_ref), Err(OrderError::Reference));
    let no_supply = Market { supply: 0, ..m };
    assert_eq!(TriggerSpec::parse("mcap<=1k").unwrap().resolve(&no_supply), Err(OrderError::Reference));
}

#[test]
fn durations_parse_within_their_range() {
    let r = 60_000..=MAX_EXPIRY_MS;
    assert_eq!(parse_duration("1h", r.clone()), Ok(3_600_000));
    assert_eq!(parse_duration("24h", r.clone()), Ok(86_400_000));
    assert_eq!(parse_duration("30m", r.clone()), Ok(1_800_000));
    assert_eq!(parse_duration("7d", r.clone()), Ok(7 * 86_400_000));
    for bad in ["", "h", "0h", "-1h", "31d", "1w", "1.5h", "30s"] {
        assert_eq!(parse_duration(bad, r.clone()), Err(OrderError::Duration), "{bad}");
    }
}

#[test]
fn slices_add_up_exactly() {
    assert_eq!((0..3).map(|i| slice(10, 3, i)).collect::<Vec<_>>(), [4, 3, 3]);
    assert_eq!(slice(10, 3, 3), 0);
    assert_eq!(check_dca(10, 11), Err(OrderError::Amount));
    assert_eq!(check_dca(10, 1), Err(OrderError::Slices));
    assert_eq!(check_dca(1_000, 10), Ok(()));
}

#[test]
fn a_dca_slice_waits_for_its_time_and_its_bounds() {
    let mut o = dca(1_000, 4, 60_000, 100);
    o.plan = Plan::Dca { slices: 4, interval_ms: 60_000, min_price: Some(d("2")), max_price: Some(d("5")) };
    assert_eq!(o.evaluate(Some(d("3")), 99), None, "not yet");
    assert_eq!(o.evaluate(Some(d("6")), 100), None, "above the bound");
    assert_eq!(o.evaluate(None, 100), None, "bounds need a price");
    assert_eq!(o.evaluate(Some(d("5")), 100), Some(OrderDecision::Fire { fill: 1, size: Size::Lamports(250) }));
    let next = o.after_fill(1, 100);
    assert_eq!((next.fills, next.next_at_ms), (1, 60_100));
    // A late slice pushes the next one a full interval after it.
    assert_eq!(next.after_fill(2, 500_000).next_at_ms, 560_000);
}

fn direction() -> impl Strategy<Value = Direction> {
    prop_oneof![Just(Direction::AtOrBelow), Just(Direction::AtOrAbove)]
}

proptest! {
    /// Over any price path, a limit order fires at the first tick whose price is through its
    /// level, never before, and never on a tick whose price is on the other side.
    #[test]
    fn a_trigger_fires_iff_the_tick_price_crosses_it(
        dir in direction(),
        level in 1_i64..1_000_000,
        path in proptest::collection::vec(1_i64..1_000_000, 1..40),
    ) {
        let level = Decimal::new(level, 12);
        let o = limit(dir, level);
        let first = path.iter().position(|p| {
            let p = Decimal::new(*p, 12);
            match dir { Direction::AtOrBelow => p <= level, Direction::AtOrAbove => p >= level }
        });
        let fired = path.iter().position(|p| o.evaluate(Some(Decimal::new(*p, 12)), 0).is_some());
        prop_assert_eq!(fired, first);
        if let Some(i) = fired {
            prop_assert_eq!(o.evaluate(Some(Decimal::new(path[i], 12)), 0), Some(OrderDecision::Fire { fill: 1, size: Size::Lamports(1_000) }));
            let filled = o.after_fill(1, 0);
            prop_assert!(path.iter().all(|p| filled.evaluate(Some(Decimal::new(*p, 12)), 0).is_none()), "one fill only");
        }
        prop_assert_eq!(o.evaluate(None, 0), None, "no price, no fill");
    }

    /// Expiry is exact to the millisecond: one ms before it the order may fill, at it and after
    /// it the order only expires, whatever the price.
    #[test]
    fn expiry_is_exact_to_the_tick(expires in 1_i64..10_000_000, now in 0_i64..20_000_000, p in 1_i64..100) {
        let mut o = limit(Direction::AtOrAbove, Decimal::ONE);
        o.expires_at_ms = Some(expires);
        let d = o.evaluate(Some(Decimal::from(p)), now);
        if now >= expires {
            prop_assert_eq!(d, Some(OrderDecision::Expire));
        } else {
            prop_assert!(matches!(d, Some(OrderDecision::Fire { .. })), "{:?}", d);
        }
        let mut dc = dca(1_000, 10, 60_000, 0);
        dc.expires_at_ms = Some(expires);
        prop_assert_eq!(dc.evaluate(None, now) == Some(OrderDecision::Expire), now >= expires);
    }

    /// A DCA over N slices, driven by ticks at arbitrary times, makes exactly N fills that spend
    /// the planned total exactly (each slice within one unit of total / N), each no earlier than
    /// one interval after the previous one.
    #[test]
    fn dca_spends_the_planned_total_over_its_slices(
        total in 2_u64..1_000_000_000_000,
        slices in 2_u32..=100,
        interval in 60_000_i64..600_000,
        gaps in proptest::collection::vec(1_i64..200_000, 1..400),
    ) {
        prop_assume!(check_dca(total, slices).is_ok());
        let mut o = dca(total, slices, interval, 0);
        let (mut now, mut spent, mut fills, mut last_at) = (0_i64, 0_u64, 0_u32, None::<i64>);
        let mut gaps = gaps.into_iter().cycle();
        while !o.is_done() {
            if let Some(OrderDecision::Fire { fill, size: Size::Lamports(n) }) = o.evaluate(None, now) {
                prop_assert_eq!(fill, fills + 1);
                let even = total / u64::from(slices);
                prop_assert!(n == even || n == even + 1, "slice {} vs {}", n, even);
                if let Some(at) = last_at { prop_assert!(now - at >= interval); }
                spent += n;
                fills += 1;
                last_at = Some(now);
                o = o.after_fill(fill, now);
            }
            now += gaps.next().unwrap_or(1);
        }
        prop_assert_eq!((spent, fills), (total, slices));
        prop_assert_eq!(o.evaluate(None, now + 10 * interval), None, "nothing after the last slice");
    }
}
