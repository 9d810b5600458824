use super::*;

fn trade(side: LeaderSide, tokens: u64, held_before: u64) -> LeaderTrade {
    LeaderTrade {
        signature: "sig".to_owned(),
        slot: 1,
        block_time: None,
        leader: Pubkey::new_unique(),
        mint: Pubkey::new_unique(),
        side,
        venue: LeaderVenue::PumpFun,
        sol: Lamports(1_000_000_000),
        tokens,
        held_before,
    }
}

fn sol(text: &str) -> Lamports {
    Lamports::parse_sol(text).unwrap_or(Lamports::ZERO)
}

#[test]
fn a_sell_of_a_third_sells_a_third_of_our_position_within_one_bp() {
    struct Case {
        sold: u64,
        held: u64,
        ours: u64,
    }
    let cases = [
        Case { sold: 1, held: 3, ours: 999_999_999 },
        Case { sold: 123_456_789, held: 987_654_321, ours: 55_555_555_555 },
        Case { sold: 5, held: 10, ours: 7 },
        Case { sold: 10, held: 10, ours: 12_345 },
        Case { sold: 11, held: 10, ours: 12_345 },
        Case { sold: u64::MAX / 3, held: u64::MAX, ours: u64::MAX },
    ];
    for c in cases {
        let t = trade(LeaderSide::Sell, c.sold, c.held);
        let ours = t.our_share_of(c.ours);
        // Exact to one raw unit (rounded down), so within 1 bp for any position of 10,000 raw
        // units or more (every real position: pump coins have 6 decimals).
        let leader = Decimal::from(c.sold.min(c.held)) / Decimal::from(c.held);
        let (sold, held, pos, got) =
            (u128::from(c.sold.min(c.held)), u128::from(c.held), u128::from(c.ours), u128::from(ours));
        assert!(got * held <= sold * pos && sold * pos < (got + 1) * held, "{} of {}: {ours}", c.sold, c.held);
        if c.ours >= 10_000 {
            let us = Decimal::from(ours) / Decimal::from(c.ours);
            assert!((leader - us).abs() * Decimal::from(10_000) < Decimal::ONE, "{} of {}", c.sold, c.held);
        }
        assert!(ours <= c.ours);
    }
    assert_eq!(trade(LeaderSide::Sell, 1, 4).sold_share_bps(), 2_500);
    assert_eq!(trade(LeaderSide::Sell, 9, 4).sold_share_bps(), 10_000);
    assert_eq!(trade(LeaderSide::Buy, 9, 4).our_share_of(100), 0);
    assert_eq!(trade(LeaderSide::Sell, 9, 0).our_share_of(100), 0);
}

#[test]
fn percent_sizing_is_clamped_to_min_and_max() {
    let s = CopySettings::default().apply(&["pct=10", "min=0.05", "max=0.5"]).unwrap_or_default();
    assert_eq!(size(&s, sol("1")), sol("0.1"));
    assert_eq!(size(&s, sol("0.1")), sol("0.05"));
    assert_eq!(size(&s, sol("100")), sol("0.5"));
    let fixed = CopySettings::default().apply(&["sol=0.2"]).unwrap_or_default();
    assert_eq!(size(&fixed, sol("100")), sol("0.2"));
}

#[test]
fn buy_decisions_follow_caps_pause_and_adds() {
    struct Case {
        words: &'static [&'static str],
        state: FollowState,
        want: Result<Lamports, CopySkip>,
    }
    let st =
        |buys_today, open, holds_mint, losses_in_a_row| FollowState { buys_today, open, holds_mint, losses_in_a_row };
    let cases = [
        // TC1: defaults copy the fixed size.
        Case { words: &["sol=0.1"], state: st(0, 0, false, 0), want: Ok(sol("0.1")) },
        // TC2: the day's cap.
        Case { words: &["max_day=3"], state: st(3, 0, false, 0), want: Err(CopySkip::DailyCap(3)) },
        // TC3: open positions cap for a new token, not for an add.
        Case { words: &["max_open=2", "sol=0.1"], state: st(0, 2, false, 0), want: Err(CopySkip::MaxOpen(2)) },
        Case { words: &["max_open=2", "sol=0.1"], state: st(0, 2, true, 0), want: Ok(sol("0.1")) },
        // TC4: adds off.
        Case { words: &["adds=off"], state: st(0, 1, true, 0), want: Err(CopySkip::AlreadyHeld) },
        // TC5: paused after losses.
        Case { words: &["pause_losses=3"], state: st(0, 0, false, 3), want: Err(CopySkip::Paused(3)) },
        Case { words: &["pause_losses=3", "sol=0.3"], state: st(0, 0, false, 2), want: Ok(sol("0.3")) },
    ];
    for (i, c) in cases.iter().enumerate() {
        let s = CopySettings::default().apply(c.words).unwrap_or_default();
        assert_eq!(decide_buy(&s, sol("1"), c.state), c.want, "TC{i}");
    }
}

#[test]
fn sells_are_copied_only_when_on_and_held() {
    let held = FollowState { holds_mint: true, ..FollowState::default() };
    let on = CopySettings::default();
    assert_eq!(decide_sell(&on, held), Ok(()));
    assert_eq!(decide_sell(&on, FollowState::default()), Err(CopySkip::NotHeld));
    let off = on.apply(&["buys_only=on"]).unwrap_or_default();
    assert_eq!(decide_sell(&off, held), Err(CopySkip::SellsOff));
    let again = off.apply(&["sells=on"]).unwrap_or_default();
    assert_eq!(decide_sell(&again, held), Ok(()));
}

#[test]
fn bad_settings_are_refused_and_change_nothing() {
    let s = CopySettings::default();
    assert!(matches!(s.apply(&["pct=0"]), Err(CopySettingError::InvalidValue(CopyKey::Pct, _))));
    assert!(matches!(s.apply(&["min=0.1"]), Err(CopySettingError::InvalidValue(CopyKey::Min, _))));
    assert_eq!(s.apply(&["pct=5", "min=2", "max=1"]), Err(CopySettingError::MinAboveMax));
    assert!(matches!(s.apply(&["max_day=0"]), Err(CopySettingError::InvalidValue(CopyKey::MaxDay, _))));
    assert!(matches!(s.apply(&["sells=maybe"]), Err(CopySettingError::InvalidValue(CopyKey::Sells, _))));
    assert!(matches!(s.apply(&["bogus=1"]), Err(CopySettingError::Alert(SettingError::UnknownKey(_)))));
    assert!(matches!(s.apply(&["sol"]), Err(CopySettingError::Alert(SettingError::Malformed(_)))));
    assert!(matches!(s.apply(&[]), Err(CopySettingError::Alert(SettingError::Malformed(_)))));
    // Alert keys go through: exits, safety.
    assert!(s.apply(&["sl=30", "max_impact=5"]).is_ok());
}

#[test]
fn settings_round_trip_through_json_and_summarise() {
    let s = CopySettings::default()
        .apply(&["pct=12.5", "min=0.02", "max=0.4", "adds=off", "max_open=off"])
        .unwrap_or_default();
    assert_eq!(CopySettings::from_json(&s.to_json()), s);
    assert_eq!(
        s.summary(),
        "pct=12.5 min=0.02 max=0.4 sells=on adds=off max_day=20 max_open=off pause_losses=off dev_sell=default"
    );
    assert_eq!(CopySettings::from_json("not json"), CopySettings::default());
}

#[test]
fn names_are_short_words() {
    assert!(valid_name("whale_1"));
    assert!(!valid_name(""));
    assert!(!valid_name("has space"));
    assert!(!valid_name(&"x".repeat(25)));
}

#[test]
fn dev_sell_fires_only_on_a_creator_sell_of_at_least_the_share() {
    assert_eq!(DevSellRule::parse("off"), Ok(None));
    let rule =
        DevSellRule::parse("100:50").ok().flatten().unwrap_or(DevSellRule { sell_pct: 1, min_creator_sold_bps: 1 });
    assert_eq!(rule, DevSellRule { sell_pct: 100, min_creator_sold_bps: 5_000 });
    assert_eq!(DevSellRule::parse("50%:12.5%"), Ok(Some(DevSellRule { sell_pct: 50, min_creator_sold_bps: 1_250 })));
    for bad in ["", "0:10", "101:10", "50", "50:0", "50:101", "x:y"] {
        assert_eq!(DevSellRule::parse(bad), Err(BadDevSellRule), "{bad}");
    }
    assert_eq!(rule.fires(&trade(LeaderSide::Sell, 5, 10)), Some(100));
    assert_eq!(rule.fires(&trade(LeaderSide::Sell, 4, 10)), None);
    assert_eq!(rule.fires(&trade(LeaderSide::Buy, 10, 10)), None);
    assert_eq!(DevSellRule::display(Some(rule)), "100:50");
    // Per source: set wins, off wins, inherit takes the user's rule.
    assert_eq!(effective_dev_sell(Some(&Override::Off), Some(rule)), None);
    assert_eq!(effective_dev_sell(Some(&Override::Inherit), Some(rule)), Some(rule));
    assert_eq!(effective_dev_sell(None, None), None);
    let s = CopySettings::default().apply(&["dev_sell=25:10"]).unwrap_or_default();
    assert_eq!(s.rules.dev_sell, Override::Set(DevSellRule { sell_pct: 25, min_creator_sold_bps: 1_000 }));
    assert_eq!(
        effective_dev_sell(Some(&s.rules.dev_sell), None),
        Some(DevSellRule { sell_pct: 25, min_creator_sold_bps: 1_000 })
    );
}
