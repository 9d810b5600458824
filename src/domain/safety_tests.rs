use proptest::prelude::*;

use super::fixtures::{self, MintSpec};
use super::*;

fn key(n: u8) -> Pubkey {
    Pubkey::new_from_array([n; 32])
}

fn t22(extensions: Vec<(u16, Vec<u8>)>) -> MintSpec {
    MintSpec { supply: 1_000_000_000_000_000, decimals: 6, extensions, token_2022: true, ..MintSpec::default() }
}

fn spl() -> MintSpec {
    MintSpec { supply: 1_000_000_000_000_000, decimals: 6, ..MintSpec::default() }
}

/// One fixture: the mint, the holder facts, and what `normal` / `strict` / `off` decide.
struct Case {
    name: &'static str,
    program: Pubkey,
    mint: MintSpec,
    top10_bps: Option<u32>,
    creator_bps: Option<u32>,
    venue: VenueFacts,
    round_trip: Option<RoundTrip>,
    /// Expected refusal rule under normal, strict, off (`None` = buys).
    expect: [Option<&'static str>; 3],
    /// Expected card level of the Token-2022 item.
    ext: Level,
}

fn case(name: &'static str, program: Pubkey, mint: MintSpec, expect: [Option<&'static str>; 3], ext: Level) -> Case {
    Case {
        name,
        program,
        mint,
        top10_bps: Some(1_500),
        creator_bps: Some(100),
        venue: VenueFacts::Curve { progress_bps: 2_000 },
        round_trip: Some(RoundTrip::Sellable),
        expect,
        ext,
    }
}

fn cases() -> Vec<Case> {
    let t = TOKEN_PROGRAM;
    let x = TOKEN_2022_PROGRAM;
    let ok = Level::Ok;
    let warn = Level::Warn;
    let bad = Level::Danger;
    let pump = |m: MintSpec| MintSpec { extensions: vec![fixtures::metadata_pointer(key(9))], ..m };
    vec![
        case("clean spl", t, spl(), [None, None, None], ok),
        case("clean t22 (pump create_v2)", x, pump(t22(vec![])), [None, None, None], ok),
        case("t22 no extensions", x, t22(vec![]), [None, None, None], ok),
        case(
            "mint authority",
            t,
            MintSpec { mint_authority: Some(key(1)), ..spl() },
            [None, Some("mint_authority"), None],
            ok,
        ),
        case(
            "freeze authority",
            t,
            MintSpec { freeze_authority: Some(key(2)), ..spl() },
            [Some("freeze"), Some("freeze"), None],
            ok,
        ),
        case(
            "both authorities",
            t,
            MintSpec { mint_authority: Some(key(1)), freeze_authority: Some(key(2)), ..spl() },
            [Some("freeze"), Some("freeze"), None],
            ok,
        ),
        case(
            "t22 freeze authority",
            x,
            MintSpec { freeze_authority: Some(key(2)), ..t22(vec![]) },
            [Some("freeze"), Some("freeze"), None],
            ok,
        ),
        case("transfer fee 0 fixed", x, t22(vec![fixtures::transfer_fee(0, 0, None)]), [None, None, None], ok),
        case(
            "transfer fee 0 mutable",
            x,
            t22(vec![fixtures::transfer_fee(0, 0, Some(key(3)))]),
            [None, None, None],
            warn,
        ),
        case(
            "transfer fee 1%",
            x,
            t22(vec![fixtures::transfer_fee(100, u64::MAX, Some(key(3)))]),
            [None, Some("transfer_fee"), None],
            warn,
        ),
        case(
            "transfer fee 50%",
            x,
            t22(vec![fixtures::transfer_fee(5_000, u64::MAX, None)]),
            [None, Some("transfer_fee"), None],
            warn,
        ),
        case(
            "transfer hook",
            x,
            t22(vec![fixtures::transfer_hook(Some(key(4)), Some(key(5)))]),
            [Some("transfer_hook"), Some("transfer_hook"), None],
            bad,
        ),
        case(
            "transfer hook authority, no program",
            x,
            t22(vec![fixtures::transfer_hook(Some(key(4)), None)]),
            [None, None, None],
            warn,
        ),
        case(
            "permanent delegate",
            x,
            t22(vec![fixtures::key_ext(12, key(6))]),
            [Some("permanent_delegate"), Some("permanent_delegate"), None],
            bad,
        ),
        case(
            "non-transferable",
            x,
            t22(vec![fixtures::non_transferable()]),
            [Some("non_transferable"), Some("non_transferable"), None],
            bad,
        ),
        case(
            "default state frozen",
            x,
            t22(vec![fixtures::default_state(2)]),
            [Some("default_frozen"), Some("default_frozen"), None],
            bad,
        ),
        case("default state initialized", x, t22(vec![fixtures::default_state(1)]), [None, None, None], ok),
        case(
            "pausable, paused",
            x,
            t22(vec![fixtures::pausable(key(7), true)]),
            [Some("paused"), Some("paused"), None],
            bad,
        ),
        case("pausable, running", x, t22(vec![fixtures::pausable(key(7), false)]), [None, None, None], warn),
        case("mint close authority", x, t22(vec![fixtures::key_ext(3, key(8))]), [None, None, None], warn),
        case("scaled ui amount", x, t22(vec![fixtures::scaled_ui_amount(key(8))]), [None, None, None], warn),
        case(
            "fee + hook + delegate",
            x,
            t22(vec![
                fixtures::transfer_fee(300, 10, None),
                fixtures::transfer_hook(None, Some(key(5))),
                fixtures::key_ext(12, key(6)),
            ]),
            [Some("permanent_delegate"), Some("permanent_delegate"), None],
            bad,
        ),
        Case { top10_bps: Some(8_000), ..case("concentrated holders", t, spl(), [None, Some("top10"), None], ok) },
        Case { top10_bps: Some(2_000), ..case("spread holders", t, spl(), [None, None, None], ok) },
        Case { creator_bps: Some(2_500), ..case("creator holds 25%", t, spl(), [None, Some("dev_share"), None], ok) },
        Case {
            venue: VenueFacts::Pool { quote_lamports: Some(85_000_000_000) },
            ..case("migrated to a pool", t, spl(), [None, None, None], ok)
        },
        Case {
            round_trip: Some(RoundTrip::CannotSell("custom program error: 0x1770".to_owned())),
            ..case(
                "hook token whose sell fails",
                x,
                t22(vec![fixtures::transfer_hook(None, Some(key(5)))]),
                [Some("cannot_sell"), Some("cannot_sell"), None],
                bad,
            )
        },
        Case { round_trip: None, ..case("round trip not run", t, spl(), [None, Some("sell_unverified"), None], ok) },
        Case {
            top10_bps: None,
            creator_bps: None,
            ..case("holders unknown", t, spl(), [None, Some("unavailable"), None], ok)
        },
    ]
}

#[test]
fn fixture_mints_are_classified_exactly() {
    let cases = cases();
    assert!(cases.len() >= 24, "{} fixtures", cases.len());
    let presets = [SafetyLevel::Normal, SafetyLevel::Strict, SafetyLevel::Off];
    let mut right = 0;
    let mut total = 0;
    for c in &cases {
        let bytes = c.mint.bytes();
        let mint = decode_mint(&c.program, &bytes).unwrap_or_else(|e| panic!("{}: {e}", c.name));
        assert_eq!(mint.token_2022, c.program == TOKEN_2022_PROGRAM, "{}", c.name);
        assert_eq!((mint.supply, mint.decimals), (c.mint.supply, c.mint.decimals), "{}", c.name);
        assert_eq!(mint.mint_authority, c.mint.mint_authority, "{}", c.name);
        assert_eq!(mint.freeze_authority, c.mint.freeze_authority, "{}", c.name);
        let safety = TokenSafety {
            mint,
            top10_bps: c.top10_bps,
            creator_bps: c.creator_bps,
            age_secs: Some(3_600),
            age_lower_bound: false,
            meta: None,
            venue: c.venue,
            round_trip: c.round_trip.clone(),
        };
        let items = classify(&safety);
        let ext = items.iter().find(|(k, _)| *k == Check::Extensions).map(|(_, l)| *l);
        total += 1;
        right += usize::from(ext == Some(c.ext));
        assert_eq!(ext, Some(c.ext), "{}: card item", c.name);
        for (level, want) in presets.iter().zip(c.expect) {
            let got = evaluate(Some(&safety), &SafetyRules::preset(*level)).err().map(|r| r.rule());
            total += 1;
            right += usize::from(got == want);
            assert_eq!(got, want, "{} under {}", c.name, level.code());
        }
    }
    assert_eq!(right, total, "100 % of {total} classifications");
}

#[test]
fn decoded_extension_values_are_read_through() {
    let bytes = t22(vec![
        fixtures::transfer_fee(250, 42, Some(key(3))),
        fixtures::transfer_hook(Some(key(4)), Some(key(5))),
        fixtures::key_ext(3, key(8)),
    ])
    .bytes();
    let m = decode_mint(&TOKEN_2022_PROGRAM, &bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m.transfer_fee, Some(TransferFeeFacts { bps: 250, maximum_fee: 42, mutable: true }));
    assert_eq!(m.transfer_hook, Some(Some(key(5))));
    assert_eq!(m.mint_close_authority, Some(key(8)));
}

#[test]
fn wrong_owner_and_garbage_are_not_mints() {
    assert_eq!(decode_mint(&key(1), &spl().bytes()), Err(MintDecodeError::NotATokenProgram));
    assert_eq!(decode_mint(&TOKEN_PROGRAM, &[0; 82]), Err(MintDecodeError::NotAMint));
    assert_eq!(decode_mint(&TOKEN_PROGRAM, &[1; 10]), Err(MintDecodeError::NotAMint));
    // A Token-2022 mint is never read under the SPL Token owner.
    let t22_bytes = t22(vec![fixtures::non_transferable()]).bytes();
    assert_eq!(decode_mint(&TOKEN_PROGRAM, &t22_bytes), Err(MintDecodeError::NotAMint));
}

#[test]
fn unavailable_data_refuses_only_under_strict() {
    assert_eq!(evaluate(None, &SafetyRules::preset(SafetyLevel::Strict)), Err(SafetyRefusal::Unavailable));
    assert_eq!(evaluate(None, &SafetyRules::preset(SafetyLevel::Normal)), Ok(()));
    assert_eq!(evaluate(None, &SafetyRules::preset(SafetyLevel::Off)), Ok(()));
}

#[test]
fn min_age_refuses_a_coin_known_to_be_younger_and_strict_refuses_an_unknown_age() {
    let spec = MintSpec { supply: 1_000_000, decimals: 6, ..MintSpec::default() };
    let coin = |age: Option<u64>, lower_bound: bool| TokenSafety {
        mint: decode_mint(&TOKEN_PROGRAM, &spec.bytes()).unwrap(),
        top10_bps: Some(1_000),
        creator_bps: Some(0),
        age_secs: age,
        age_lower_bound: lower_bound,
        meta: None,
        venue: VenueFacts::Curve { progress_bps: 500 },
        round_trip: Some(RoundTrip::Sellable),
    };
    let young = Err(SafetyRefusal::TooYoung { min_secs: 600 });
    for level in [SafetyLevel::Normal, SafetyLevel::Strict] {
        let rules = SafetyRules { min_age_secs: Some(600), ..SafetyRules::preset(level) };
        let strict = level == SafetyLevel::Strict;
        assert_eq!(evaluate(Some(&coin(Some(599), false)), &rules), young, "{level:?}: 599 s old");
        assert_eq!(evaluate(Some(&coin(Some(600), false)), &rules), Ok(()), "{level:?}: exactly old enough");
        assert_eq!(evaluate(Some(&coin(Some(7_200), true)), &rules), Ok(()), "{level:?}: at least 2 h old");
        // "At least 5 min" and "unknown" do not prove the coin young: only strict refuses them.
        let unproven = if strict { young.clone() } else { Ok(()) };
        assert_eq!(evaluate(Some(&coin(Some(300), true)), &rules), unproven, "{level:?}: at least 300 s");
        assert_eq!(evaluate(Some(&coin(None, false)), &rules), unproven, "{level:?}: unknown age");
    }
    let off = SafetyRules { min_age_secs: None, ..SafetyRules::preset(SafetyLevel::Normal) };
    assert_eq!(evaluate(Some(&coin(Some(1), false)), &off), Ok(()));
}

#[test]
fn source_overrides_apply_on_top_of_the_user_rules() {
    let user = SafetyRules::default();
    let o =
        SafetyOverrides { max_top10_bps: Limit::Set(3_500), deny_freeze: Some(false), ..SafetyOverrides::default() };
    let r = user.with(&o);
    assert_eq!((r.max_top10_bps, r.deny_freeze, r.require_sellable), (Some(3_500), false, true));
    let strict = user.with(&SafetyOverrides { level: Some(SafetyLevel::Strict), ..SafetyOverrides::default() });
    assert_eq!(strict, SafetyRules::preset(SafetyLevel::Strict));
    assert!(SafetyOverrides::default().is_empty());
}

#[test]
fn every_rule_reads_back() {
    for rule in SafetyRefusal::RULES {
        assert_eq!(SafetyRefusal::from_rule(rule).map(|r| r.rule()), Some(rule));
    }
}

proptest! {
    #[test]
    fn arbitrary_account_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..600), t22 in any::<bool>()) {
        let owner = if t22 { TOKEN_2022_PROGRAM } else { TOKEN_PROGRAM };
        if let Ok(m) = decode_mint(&owner, &data) {
            let s = TokenSafety { mint: m, top10_bps: None, creator_bps: None, age_secs: None, age_lower_bound: false, meta: None, venue: VenueFacts::Unknown, round_trip: None };
            let _ = classify(&s);
            let _ = evaluate(Some(&s), &SafetyRules::preset(SafetyLevel::Strict));
        }
    }

    #[test]
    fn arbitrary_tlv_after_a_valid_base_never_panics(tlv in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut data = t22(vec![]).bytes();
        data.truncate(166);
        data.extend_from_slice(&tlv);
        let _ = decode_mint(&TOKEN_2022_PROGRAM, &data);
    }
}

#[test]
fn refusal_details_show_value_and_limit() {
    assert_eq!(SafetyRefusal::Top10 { bps: 8_050, max: 3_500 }.detail(), "80.5% > 35%");
    assert_eq!(SafetyRefusal::TransferFee { bps: 125, max: 0 }.detail(), "1.25% > 0%");
    assert_eq!(SafetyRefusal::CannotSell("x".into()).detail(), "x");
}
