//! Locale completeness and no user-visible string outside `locales/`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use quantbot::domain::lang::Lang;
use quantbot::domain::user_config::ConfigKey;
use quantbot::telegram::Command;

/// Every key of locale `code`: `locales/{code}.json` merged with any `locales/{topic}.{code}.json`
/// (rust-i18n loads both shapes); a key defined in two files is a defect.
fn load(code: &str) -> BTreeMap<String, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
    let mut all = BTreeMap::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".json") else { continue };
        if stem != code && !stem.ends_with(&format!(".{code}")) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text).unwrap();
        for (k, v) in map.into_iter().filter(|(k, _)| k != "_version") {
            let dup = all.insert(k.clone(), v.as_str().unwrap().to_owned());
            assert!(dup.is_none(), "{name}: key {k} is defined in two locale files");
        }
    }
    all
}

fn placeholders(s: &str) -> BTreeSet<String> {
    s.split("%{").skip(1).filter_map(|p| p.split_once('}').map(|(name, _)| name.to_owned())).collect()
}

#[test]
fn every_locale_has_every_key_with_the_same_placeholders() {
    let en = load("en");
    for lang in Lang::ALL {
        let other = load(lang.code());
        let missing: Vec<_> = en.keys().filter(|k| !other.contains_key(*k)).collect();
        let extra: Vec<_> = other.keys().filter(|k| !en.contains_key(*k)).collect();
        assert!(missing.is_empty() && extra.is_empty(), "{}: missing {missing:?}, extra {extra:?}", lang.code());
        for (k, v) in &en {
            assert_eq!(placeholders(v), placeholders(&other[k]), "{}: placeholders of {k}", lang.code());
            assert!(!other[k].trim().is_empty(), "{}: {k} is empty", lang.code());
        }
    }
}

#[test]
fn every_locale_is_compiled_in() {
    let compiled = quantbot::i18n::compiled_locales();
    for lang in Lang::ALL {
        assert!(compiled.iter().any(|c| c == lang.code()), "{} not compiled", lang.code());
    }
}

#[test]
fn keys_built_at_runtime_exist() {
    let en = load("en");
    let mut needed: Vec<String> = Command::names().into_iter().map(|n| format!("cmd.{n}")).collect();
    for k in ConfigKey::ALL {
        needed.push(format!("config.key.{}", k.name()));
        needed.push(format!("config.allowed.{}", k.name()));
    }
    for key in needed {
        assert!(en.contains_key(&key), "missing {key}");
    }
}

/// Every literal key passed to `tr(` in `src/` exists.
#[test]
fn literal_keys_in_code_exist() {
    let en = load("en");
    let mut checked = 0;
    for file in rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src")) {
        let text = std::fs::read_to_string(&file).unwrap();
        for literal in string_literals(&text) {
            let looks_like_key = literal.contains('.')
                && !literal.contains(' ')
                && literal.split('.').next().is_some_and(|ns| {
                    ["start", "help", "cmd", "language", "livetrade", "common", "button", "config", "errors"]
                        .contains(&ns)
                });
            if looks_like_key && !literal.ends_with('.') && !literal.contains('{') {
                checked += 1;
                assert!(en.contains_key(&literal), "{}: key {literal} not in locales/en.json", file.display());
            }
        }
    }
    assert!(checked > 20, "key scan found only {checked} keys: the scanner is broken");
}

/// No sentence-like string literal in the Telegram adapter bypasses the locale files.
#[test]
fn telegram_code_has_no_hardcoded_user_text() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/telegram");
    for file in rust_files(&dir) {
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for line in code.lines() {
            let t = line.trim_start();
            if t.starts_with("//") || t.starts_with("#[") || t.contains("tracing::") {
                continue;
            }
            for literal in string_literals(line) {
                let words =
                    literal.split_whitespace().filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 2).count();
                assert!(words < 2, "{}: hard-coded user text {literal:?}; put it in locales/", file.display());
            }
        }
    }
}

fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// Naive extraction of "…" literals (good enough for our code style; escapes are skipped).
fn string_literals(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut prev = ' ';
    while let Some(c) = chars.next() {
        if c == '"' && prev != '\'' && prev != '\\' {
            let mut lit = String::new();
            let mut escaped = false;
            for d in chars.by_ref() {
                if escaped {
                    escaped = false;
                    lit.push(d);
                    continue;
                }
                match d {
                    '\\' => escaped = true,
                    '"' => break,
                    _ => lit.push(d),
                }
            }
            out.push(lit);
            prev = '"';
        } else {
            prev = c;
        }
    }
    out
}

/// Every reason code the trading core can produce has a localized text in every language, and
/// every code a failure can render to is in the list.
#[test]
fn every_trade_reason_code_is_localized() {
    use quantbot::telegram::reply::trade::reason_codes;
    for lang in ["en", "ru", "zh"] {
        let map = load(lang);
        for code in reason_codes() {
            assert!(map.contains_key(&format!("reason.{code}")), "{lang}: reason.{code} missing");
        }
    }
    for code in quantbot::domain::failure::TradeFailure::CODES {
        if let Some(f) = quantbot::domain::failure::TradeFailure::from_code(code) {
            assert!(reason_codes().any(|c| c == f.code()), "{code} renders to an unlisted code");
        }
    }
}
