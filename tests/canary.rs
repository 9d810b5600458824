//! Canary: a full /wallet flow (import a known secret, list, balance, export, withdraw) with every
//! log line captured at TRACE, then the secret is searched for in base58, hex, base64, JSON-array
//! and Debug forms in all log output, in every Bot API call except the export message itself,
//! and in every database column except `wallets.ciphertext`. Zero hits allowed.
//!
//! Its own test binary, because it installs a process-wide tracing subscriber.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "it/support/mod.rs"]
mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde_json::json;
use solana_keypair::Keypair;
use solana_pubkey::Pubkey;
use solana_signer::Signer;
use sqlx::{Column, Row};
use support::fake_chain::FakeChain;
use support::fake_telegram::Call;
use support::{TestApp, TestDb};

const ALICE: i64 = 4_242_424_242;
const MASTER_HEX: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logs() -> &'static Buffer {
    static LOGS: std::sync::OnceLock<Buffer> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .try_init()
            .expect("install the TRACE subscriber");
        buffer
    })
}

/// The canary key: a fixed seed, so its forms are known.
fn canary() -> Keypair {
    let mut seed = [0u8; 32];
    for (i, b) in seed.iter_mut().enumerate() {
        *b = 0xC0 ^ u8::try_from(i).unwrap();
    }
    Keypair::new_from_array(seed)
}

/// Every textual form the secret (keypair bytes or seed) could leak in.
fn forms(kp: &Keypair) -> Vec<String> {
    let full = kp.to_bytes();
    let seed = &full[..32];
    let mut out = Vec::new();
    for bytes in [&full[..], seed] {
        out.push(bs58::encode(bytes).into_string());
        out.push(hex::encode(bytes));
        out.push(hex::encode_upper(bytes));
        out.push(base64::engine::general_purpose::STANDARD.encode(bytes));
        out.push(base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes));
        out.push(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes));
        out.push(serde_json::to_string(&bytes.to_vec()).unwrap());
        out.push(format!("{bytes:?}"));
    }
    // Prefixes are enough to catch a truncated leak; 20 characters of any form never occur by chance.
    out.into_iter().map(|f| f.chars().take(20).collect()).collect()
}

fn hits(haystack: &str, forms: &[String]) -> Vec<String> {
    forms.iter().filter(|f| haystack.contains(f.as_str())).cloned().collect()
}

fn button(call: &Call) -> String {
    call.body["reply_markup"]["inline_keyboard"][0][0]["callback_data"].as_str().unwrap().to_owned()
}

async fn say(app: &TestApp, text: &str) -> Call {
    let cur = app.tg.call_count().await;
    app.tg.send_private(ALICE, "en", text).await;
    app.tg.next_text_to(cur, ALICE).await
}

async fn press(app: &TestApp, ask: &Call) -> Call {
    let cur = app.tg.call_count().await;
    app.tg.press(ALICE, ALICE, ask.message_id(), &button(ask)).await;
    app.tg.wait_for(cur, "editMessageText", |_| true).await
}

/// Every column of every row except `wallets.ciphertext`, as text (blobs also as raw bytes).
async fn scan_database(db: &quantbot::storage::Db, forms: &[String], raw: &[&[u8]]) -> (usize, Vec<String>) {
    let tables_sql = match db.backend() {
        quantbot::storage::Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table'",
        quantbot::storage::Backend::Postgres => {
            "SELECT tablename::text AS name FROM pg_tables WHERE schemaname = 'public'"
        }
    };
    let tables: Vec<String> =
        sqlx::query(tables_sql).fetch_all(db.pool()).await.unwrap().iter().map(|r| r.get("name")).collect();
    let mut cells = 0;
    let mut found = Vec::new();
    for table in tables {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM {table}"))).fetch_all(db.pool()).await;
        let Ok(rows) = rows else { continue };
        for row in rows {
            for (i, col) in row.columns().iter().enumerate() {
                if table == "wallets" && col.name() == "ciphertext" {
                    continue;
                }
                cells += 1;
                let text = if let Ok(Some(s)) = row.try_get::<Option<String>, _>(i) {
                    s
                } else if let Ok(Some(v)) = row.try_get::<Option<i64>, _>(i) {
                    v.to_string()
                } else if let Ok(Some(b)) = row.try_get::<Option<Vec<u8>>, _>(i) {
                    if raw.iter().any(|r| b.windows(r.len()).any(|w| w == *r)) {
                        found.push(format!("{table}.{} holds raw secret bytes", col.name()));
                    }
                    String::from_utf8_lossy(&b).into_owned()
                } else {
                    String::new()
                };
                for hit in hits(&text, forms) {
                    found.push(format!("{table}.{}: {hit}", col.name()));
                }
            }
        }
    }
    (cells, found)
}

async fn canary_secret_never_leaks(db: &TestDb) {
    let logs = logs();
    let kp = canary();
    let forms = forms(&kp);
    let chain = FakeChain::start().await;
    let rpc = chain.rpc_url(0);
    let vars = [("HELIUS_RPC_URL", rpc.as_str()), ("WALLET_MASTER_KEY", MASTER_HEX), ("DRY_RUN", "false")];
    let app = TestApp::spawn(db, &vars).await;
    chain.fund(&kp.pubkey(), 3_000_000_000);
    chain.add_token_account(&kp.pubkey(), &Pubkey::new_unique(), 5_000_000, 6, &quantbot::solana::ids::TOKEN_PROGRAM);

    let cur = app.tg.call_count().await;
    let mid = app.tg.send_private(ALICE, "en", &format!("/wallet import {}", kp.to_base58_string())).await;
    app.tg.wait_for(cur, "deleteMessage", |b| b["message_id"] == json!(mid)).await;
    let imported = app.tg.next_text_to(cur, ALICE).await;
    assert!(imported.body["text"].as_str().unwrap().contains(&kp.pubkey().to_string()));
    say(&app, "/wallet list").await;
    let balance = say(&app, "/wallet balance").await;
    assert!(balance.body["text"].as_str().unwrap().contains("SOL: 3"));

    let ask = say(&app, &format!("/wallet export {}", kp.pubkey())).await;
    let cur = app.tg.call_count().await;
    press(&app, &ask).await;
    let export = app.tg.wait_for(cur, "sendMessage", |b| b["protect_content"] == json!(true)).await;
    // The scanner does find the secret where it is meant to be.
    assert!(!hits(export.body["text"].as_str().unwrap(), &forms).is_empty());

    let dest = Pubkey::new_unique();
    chain.fund(&dest, 1);
    let ask = say(&app, &format!("/wallet withdraw 1 {dest}")).await;
    let done = press(&app, &ask).await;
    assert!(done.body["text"].as_str().unwrap().starts_with("Sent 1 SOL"), "{}", done.body);
    let calls = app.tg.calls().await;
    app.stop().await;

    let log_text = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(log_text.contains("TRACE") && log_text.contains("withdrawal sent"), "logs were not captured");
    let log_hits = hits(&log_text, &forms);
    assert!(log_hits.is_empty(), "secret in logs: {log_hits:?}");

    let mut scanned = 0;
    for call in &calls {
        if call.body.get("protect_content") == Some(&json!(true)) {
            continue; // the export message itself
        }
        scanned += 1;
        let text = format!("{} {} {}", call.method, call.body, call.result);
        assert!(hits(&text, &forms).is_empty(), "secret in Bot API call {}: {}", call.method, call.body);
    }
    assert!(scanned > 10, "only {scanned} Bot API calls scanned");

    let full = kp.to_bytes();
    let handle = db.open().await;
    let (cells, found) = scan_database(&handle, &forms, &[&full[..], &full[..32]]).await;
    handle.close().await;
    assert!(cells > 50, "only {cells} database cells scanned");
    assert!(found.is_empty(), "secret in the database: {found:?}");
    let _ = writeln!(
        std::io::stderr(),
        "canary: scanned {} log bytes, {scanned} Bot API calls, {cells} DB cells",
        log_text.len()
    );
}
on_both_databases!(canary_secret_never_leaks);
