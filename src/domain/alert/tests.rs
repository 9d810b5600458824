use std::str::FromStr;

use proptest::prelude::*;
use rust_decimal::Decimal;
use solana_pubkey::Pubkey;

use super::rules::{self, ActiveHours, AlertMode, MarketView, Override, RuleSkip, SettingKey, SubscriptionSettings};
use super::scan::utf16_slice;
use super::*;
use crate::domain::exit::ExitRules;
use crate::domain::money::{Bps, Lamports};
use crate::domain::user_config::TakeProfitStep;

const MINT: &str = "Coyj3LtKn1BNSgWc9HsGK5SKoGfEoDaymig4wrN6pump";
const OTHER: &str = "EM1WnMcHLeMqBFWKoNstRj7qautMwSphqRQVBVw1pump";
const PAIR: &str = "8sLbNZoA1cfnvMJLPfp98ZLAnFSYCFApfJKMbiXNLwxj";

fn mint() -> Pubkey {
    Pubkey::from_str(MINT).unwrap()
}

fn text_only(kind: AlertKind, text: &str) -> Result<ParsedAlert, SkipReason> {
    parse(kind, &Post { text, entities: &[], button_urls: &[] })
}

struct Case {
    name: &'static str,
    kind: AlertKind,
    text: String,
    expect: Result<&'static str, SkipReason>,
}

fn case(name: &'static str, kind: AlertKind, text: &str, expect: Result<&'static str, SkipReason>) -> Case {
    Case { name, kind, text: text.to_owned(), expect }
}

#[test]
fn realistic_posts_parse_as_expected() {
    use AlertKind::{CaDrop, Generic, Signal};
    let zw = format!("CA: {}\u{200B}{}\u{2060}{}\u{FEFF}", &MINT[..10], &MINT[10..30], &MINT[30..]);
    let rtl = format!("\u{202B}عملة جديدة 🚀\u{202C}\n\u{200F}CA: {MINT}\nשלום");
    let homoglyph = MINT.replacen('o', "о", 1); // Cyrillic о
    let greek = MINT.replacen('K', "Κ", 1); // Greek Kappa
    let fullwidth = MINT.replacen('C', "Ｃ", 1);
    let big = format!("{}\nCA: {MINT}\n{}", "🚀 moon ".repeat(4_000), "x".repeat(20_000));
    let cases = [
        // TC1: the sample channel post (cashtag, code entity, pump.fun link, jup.ag text link).
        case(
            "sample",
            CaDrop,
            &format!("🚀 NEW CALL: $PEPE\nCA: {MINT}\nChart: https://pump.fun/coin/{MINT}\nBuy here 👉 Jupiter"),
            Ok(MINT),
        ),
        case("bare mint", CaDrop, MINT, Ok(MINT)),
        case("caption with emoji", CaDrop, &format!("Second pick 💎 {MINT} (pump)"), Ok(MINT)),
        case("glued to label", CaDrop, &format!("CA:{MINT}"), Ok(MINT)),
        case("glued to cyrillic word", CaDrop, &format!("контракт{MINT}"), Ok(MINT)),
        case("chinese label", CaDrop, &format!("合约地址：{MINT} 冲"), Ok(MINT)),
        case("zero width inside", CaDrop, &zw, Ok(MINT)),
        case("rtl text and marks", CaDrop, &rtl, Ok(MINT)),
        case("pump.fun link only", CaDrop, &format!("👀 https://pump.fun/coin/{MINT}"), Ok(MINT)),
        case("pump.fun link without scheme", CaDrop, &format!("pump.fun/{MINT}"), Ok(MINT)),
        case("birdeye", CaDrop, &format!("https://birdeye.so/token/{MINT}?chain=solana"), Ok(MINT)),
        case("solscan token", CaDrop, &format!("https://solscan.io/token/{MINT}"), Ok(MINT)),
        case("gmgn", CaDrop, &format!("https://gmgn.ai/sol/token/{MINT}"), Ok(MINT)),
        case("dexscreener only (weak)", CaDrop, &format!("https://dexscreener.com/solana/{MINT}"), Ok(MINT)),
        case(
            "photon pair ignored next to CA",
            CaDrop,
            &format!("CA {MINT}\nhttps://photon-sol.tinyastro.io/en/lp/{PAIR}"),
            Ok(MINT),
        ),
        case(
            "dexscreener pair ignored next to CA",
            CaDrop,
            &format!("{MINT}\ndexscreener.com/solana/{PAIR}"),
            Ok(MINT),
        ),
        case("same mint twice", CaDrop, &format!("{MINT}\n{MINT}\nhttps://pump.fun/coin/{MINT}"), Ok(MINT)),
        case("two mints", CaDrop, &format!("1) {MINT}\n2) {OTHER}"), Err(SkipReason::SeveralMints)),
        case(
            "two weak links",
            CaDrop,
            &format!("dexscreener.com/solana/{MINT} dexscreener.com/solana/{OTHER}"),
            Err(SkipReason::SeveralMints),
        ),
        case("no mint", CaDrop, "gm frens, big call in 5 minutes 🚀", Err(SkipReason::NoMint)),
        case("wsol is not a mint", CaDrop, "So11111111111111111111111111111111111111112", Err(SkipReason::NoMint)),
        case("twitter link ignored", CaDrop, &format!("https://x.com/{MINT}"), Err(SkipReason::NoMint)),
        case("cyrillic homoglyph", CaDrop, &homoglyph, Err(SkipReason::Homoglyph)),
        case("greek homoglyph", CaDrop, &format!("CA: {greek}"), Err(SkipReason::Homoglyph)),
        case("fullwidth homoglyph", CaDrop, &fullwidth, Err(SkipReason::Homoglyph)),
        case("homoglyph next to real", CaDrop, &format!("{MINT} {homoglyph}"), Err(SkipReason::Homoglyph)),
        case("invalid base58 (0OIl)", CaDrop, "Coyj3LtKn1BNSgWc9HsGK5SKoGfEoDaymig4wrN6pu0l", Err(SkipReason::NoMint)),
        case("warning word", CaDrop, &format!("⚠️ SCAM, avoid: {MINT}"), Err(SkipReason::Warning)),
        case("rug", CaDrop, &format!("dev rugged {MINT}"), Err(SkipReason::Warning)),
        case("drug is not rug", Generic, &format!("buy the drug {MINT}"), Ok(MINT)),
        case("64 KiB body", CaDrop, &big, Ok(MINT)),
        case("generic with keyword", Generic, &format!("Aped this one 🦍 — new CALL {MINT}"), Ok(MINT)),
        case("generic russian", Generic, &format!("Купить сейчас {MINT}"), Ok(MINT)),
        case("generic without keyword", Generic, &format!("interesting chart {MINT}"), Err(SkipReason::NoKeyword)),
        case(
            "live trade entry",
            Signal,
            &format!("🟢 LIVE TRADE ENTRY\nBUY $XYZ\nCA: {MINT}\nEntry: 0.0000123\nSL: -25%\nTP1: +50% TP2: +100%"),
            Ok(MINT),
        ),
        case(
            "ichimoku",
            Signal,
            &format!("📈 Ichimoku signal $BONK\nTenkan/Kijun bullish cross on 15m\nPrice above the cloud ☁️\n{MINT}"),
            Ok(MINT),
        ),
        case("bearish ichimoku", Signal, &format!("Ichimoku bearish TK cross\n{MINT}"), Err(SkipReason::NotABuy)),
        case("sell signal", Signal, &format!("🔴 SELL $XYZ\nCA: {MINT}"), Err(SkipReason::NotABuy)),
        case("no side", Signal, &format!("$XYZ\nCA: {MINT}\nTP: 2x"), Err(SkipReason::NoSignal)),
    ];
    for c in &cases {
        let got = text_only(c.kind, &c.text).map(|a| a.mint.to_string());
        assert_eq!(got.as_deref().map_err(|e| *e), c.expect, "case {}", c.name);
    }
}

#[test]
fn entities_use_utf16_offsets() {
    // "🚀" is 2 UTF-16 units; "é" 1; the code entity starts after them.
    let text = format!("🚀é {MINT} end");
    assert_eq!(utf16_slice(&text, 4, 44), Some(MINT));
    assert_eq!(utf16_slice(&text, 0, 2), Some("🚀"));
    assert_eq!(utf16_slice(&text, 1, 2), None, "splits a surrogate pair");
    assert_eq!(utf16_slice(&text, 4, 10_000), None);
    assert_eq!(utf16_slice(&text, usize::MAX, 2), None);
    assert_eq!(utf16_slice("", 0, 0), Some(""));
}

#[test]
fn text_links_and_buttons_count() {
    let entities = [PostEntity {
        kind: EntityKind::TextLink,
        offset: 0,
        length: 5,
        url: Some(format!("https://jup.ag/swap/SOL-{MINT}")),
    }];
    let post = Post { text: "Chart", entities: &entities, button_urls: &[] };
    assert_eq!(parse(AlertKind::CaDrop, &post).map(|a| a.mint), Ok(mint()));
    let buttons = [format!("https://pump.fun/coin/{MINT}")];
    let post = Post { text: "New launch, button below", entities: &[], button_urls: &buttons };
    assert_eq!(parse(AlertKind::CaDrop, &post).map(|a| a.mint), Ok(mint()));
    let buttons = [format!("https://t.me/somebot?start={MINT}")];
    let post = Post { text: "bot link", entities: &[], button_urls: &buttons };
    assert_eq!(parse(AlertKind::CaDrop, &post), Err(SkipReason::NoMint));
    // A bogus entity range changes nothing and does not panic.
    let entities = [PostEntity { kind: EntityKind::Code, offset: 3, length: 999, url: None }];
    let post = Post { text: MINT, entities: &entities, button_urls: &[] };
    assert_eq!(parse(AlertKind::CaDrop, &post).map(|a| a.mint), Ok(mint()));
}

#[test]
fn signal_levels_are_read() {
    struct Tc {
        text: &'static str,
        entry: Option<&'static str>,
        sl: Option<u32>,
        tp: Vec<(u32, u8)>,
    }
    let cases = [
        Tc {
            text: "🟢 LIVE TRADE ENTRY\nBUY $XYZ\nEntry: 0.0000123\nSL: -25%\nTP1: +50% TP2: +100%",
            entry: Some("0.0000123"),
            sl: Some(2_500),
            tp: vec![(5_000, 50), (10_000, 100)],
        },
        Tc {
            text: "LONG $ABC\nentry 0.0002\nstop loss 0.00015\ntargets: 0.0003 / 0.0004 / 0.0006",
            entry: Some("0.0002"),
            sl: Some(2_500),
            tp: vec![(5_000, 33), (10_000, 33), (20_000, 100)],
        },
        Tc {
            text: "Bullish cross ✅\nTP: 2x, 3x\nSL 30%",
            entry: None,
            sl: Some(3_000),
            tp: vec![(10_000, 50), (20_000, 100)],
        },
        Tc { text: "**BUY** now\nSL: 0.0001\nTP: 0.0003", entry: None, sl: None, tp: vec![] },
        Tc { text: "Buy\nTake profit: 40%", entry: None, sl: None, tp: vec![(4_000, 100)] },
        Tc { text: "Buy\n🎯 x5", entry: None, sl: None, tp: vec![(40_000, 100)] },
    ];
    for c in cases {
        let got = signal::parse_levels(c.text).unwrap();
        assert_eq!(got.entry, c.entry.map(|e| Decimal::from_str(e).unwrap()), "{}", c.text);
        assert_eq!(got.stop_loss_bps, c.sl, "{}", c.text);
        let tp: Vec<(u32, u8)> = got.take_profit.iter().map(|s| (s.gain_bps, s.sell_pct)).collect();
        assert_eq!(tp, c.tp, "{}", c.text);
    }
}

#[test]
fn duplicate_calls_trigger_once_per_window() {
    let mut f = DuplicateFilter::new(60_000);
    let m = mint();
    assert!(f.admit(1, m, 1_000));
    assert!(!f.admit(1, m, 30_000));
    assert!(!f.admit(1, m, 60_999));
    assert!(f.admit(2, m, 30_000), "another source is another call");
    assert!(f.admit(1, m, 61_000), "window over");
    for i in 0..5_000 {
        f.admit(i, m, 200_000 + i);
    }
    assert!(f.len() <= 5_100);
    assert!(!f.is_empty());
}

#[test]
fn settings_parse_all_or_nothing() {
    let s = SubscriptionSettings::default();
    let next = s
        .apply(&[
            "sol=0.5",
            "mode=confirm",
            "max_mcap=500",
            "min_liquidity=10",
            "max_impact=5",
            "sl=20",
            "tp=100:50,300:100",
            "trailing=off",
            "daily_cap=3",
            "hours=8-20",
        ])
        .unwrap();
    assert_eq!(next.buy, Lamports(500_000_000));
    assert_eq!(next.mode, AlertMode::Confirm);
    assert_eq!(next.max_price_impact, Some(Bps(500)));
    assert_eq!(next.stop_loss, Override::Set(2_000));
    assert_eq!(next.trailing, Override::Off);
    assert_eq!(next.active_hours, Some(ActiveHours { start: 8, end: 20 }));
    for k in SettingKey::ALL {
        assert_eq!(next.set(k, &next.display(k)).unwrap(), next, "display of {} round-trips", k.name());
    }
    let json = serde_json::to_string(&next).unwrap();
    assert_eq!(serde_json::from_str::<SubscriptionSettings>(&json).unwrap(), next);
    assert_eq!(
        s.apply(&["sol=0.5", "mode=yolo"]),
        Err(rules::SettingError::InvalidValue(SettingKey::Mode, "yolo".into()))
    );
    assert!(matches!(s.apply(&["nope=1"]), Err(rules::SettingError::UnknownKey(_))));
    assert!(matches!(s.apply(&["sol"]), Err(rules::SettingError::Malformed(_))));
    for bad in [
        "sol=0",
        "sol=-1",
        "sol=101",
        "sl=100",
        "hours=5-5",
        "hours=25-3",
        "daily_cap=0",
        "max_impact=0",
        "tp=300:50,100:100",
    ] {
        assert!(s.apply(&[bad]).is_err(), "{bad}");
    }
}

#[test]
fn rules_skip_with_the_right_reason() {
    let market = MarketView {
        market_cap: Some(Lamports(400_000_000_000)),
        liquidity: Lamports(20_000_000_000),
        price_impact: Bps(100),
        quoted: Lamports(100_000_000),
    };
    let base = SubscriptionSettings::default();
    let noon = 12 * 3_600_000;
    assert_eq!(rules::check(&base, Err("venue.no_route"), 0, noon), Ok(()), "no market rule, no quote needed");
    let s = base.apply(&["max_mcap=300"]).unwrap();
    assert!(matches!(rules::check(&s, Ok(&market), 0, noon), Err(RuleSkip::MarketCap { .. })));
    let s = base.apply(&["max_mcap=500", "min_liquidity=30"]).unwrap();
    assert!(matches!(rules::check(&s, Ok(&market), 0, noon), Err(RuleSkip::Liquidity { .. })));
    let s = base.apply(&["sol=1", "max_impact=5"]).unwrap();
    assert!(matches!(rules::check(&s, Ok(&market), 0, noon), Err(RuleSkip::PriceImpact { .. })), "10x size ≈ 10 %");
    let s = base.apply(&["sol=0.1", "max_impact=5"]).unwrap();
    assert_eq!(rules::check(&s, Ok(&market), 0, noon), Ok(()));
    assert_eq!(rules::check(&s, Err("venue.no_route"), 0, noon), Err(RuleSkip::NoMarket("venue.no_route".into())));
    let s = base.apply(&["daily_cap=2"]).unwrap();
    assert_eq!(rules::check(&s, Ok(&market), 1, noon), Ok(()));
    assert_eq!(rules::check(&s, Ok(&market), 2, noon), Err(RuleSkip::DailyCap(2)));
    let s = base.apply(&["hours=22-6"]).unwrap();
    assert!(matches!(rules::check(&s, Ok(&market), 0, noon), Err(RuleSkip::Hours(_))));
    assert_eq!(rules::check(&s, Ok(&market), 0, 23 * 3_600_000), Ok(()));
    assert_eq!(rules::check(&s, Ok(&market), 0, 86_400_000 + 3_600_000), Ok(()));
}

#[test]
fn exit_rules_merge_defaults_signal_and_overrides() {
    let base = ExitRules { stop_loss_bps: Some(3_000), take_profit: vec![], trailing: None, time_exit_ms: Some(1) };
    let sig = SignalLevels {
        entry: None,
        stop_loss_bps: Some(2_500),
        take_profit: vec![TakeProfitStep { gain_bps: 5_000, sell_pct: 100 }],
    };
    let s = SubscriptionSettings::default();
    let r = rules::exit_rules(&base, Some(&sig), &s);
    assert_eq!(r.stop_loss_bps, Some(2_500));
    assert_eq!(r.take_profit.len(), 1);
    assert_eq!(r.time_exit_ms, Some(1));
    let s = s.apply(&["sl=off", "tp=200:100", "trailing=10:5"]).unwrap();
    let r = rules::exit_rules(&base, Some(&sig), &s);
    assert_eq!(r.stop_loss_bps, None);
    assert_eq!(r.take_profit, vec![TakeProfitStep { gain_bps: 20_000, sell_pct: 100 }]);
    assert!(r.trailing.is_some());
}

#[test]
fn kinds_round_trip() {
    for k in AlertKind::ALL {
        assert_eq!(AlertKind::from_code(k.code()), Some(k));
    }
    assert_eq!(AlertKind::from_code("CA-DROP"), Some(AlertKind::CaDrop));
    assert_eq!(alert_key(-100_123, 7), "-100123:7");
    let parsed = text_only(AlertKind::Signal, &format!("BUY\n{MINT}\nSL 10%")).unwrap();
    assert!(parsed.to_json().contains(MINT));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096), off in 0usize..5000, len in 0usize..5000) {
        let text = String::from_utf8_lossy(&bytes);
        let entities = [
            PostEntity { kind: EntityKind::Code, offset: off, length: len, url: None },
            PostEntity { kind: EntityKind::Url, offset: len, length: off, url: None },
            PostEntity { kind: EntityKind::TextLink, offset: 0, length: 1, url: Some(text.to_string()) },
        ];
        let buttons = [text.to_string()];
        for kind in AlertKind::ALL {
            let _ = parse(kind, &Post { text: &text, entities: &entities, button_urls: &buttons });
        }
    }

    #[test]
    fn random_strings_never_panic(text in "\\PC{0,600}", mint_at in 0usize..600) {
        let mut s = text.clone();
        let at = (0..=mint_at.min(s.len())).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(0);
        s.insert_str(at, MINT);
        for kind in AlertKind::ALL {
            let _ = parse(kind, &Post { text: &s, entities: &[], button_urls: &[] });
        }
        let _ = signal::parse_levels(&text);
        let _ = SubscriptionSettings::default().apply(&text.split_whitespace().collect::<Vec<_>>());
    }
}
