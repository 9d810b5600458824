//! Every /wallet form through the fake Bot API and the fake chain, on both databases: replies,
//! buttons (owner, replay, cancel), deleted secrets, DB state and chain state.

use quantbot::domain::lang::Lang;
use quantbot::domain::user::UserId;
use quantbot::ports::WalletRepo;
use quantbot::solana::ids::{TOKEN_2022_PROGRAM, TOKEN_PROGRAM};
use quantbot::telegram::Reply;
use quantbot::telegram::reply::wallet::{ImportFailure, WalletReply};
use quantbot::wallet::ImportError;
use serde_json::json;
use solana_keypair::Keypair;
use solana_pubkey::Pubkey;
use solana_signer::Signer;
use sqlx::Row;

use crate::on_both_databases;
use crate::support::fake_chain::FakeChain;
use crate::support::fake_telegram::Call;
use crate::support::{TestApp, TestDb};

const ALICE: i64 = 123_456_789;
const MALLORY: i64 = 666_000_666;
const ADMIN: i64 = 1;
pub const MASTER_HEX: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
const SOL: u64 = 1_000_000_000;

fn text(call: &Call) -> String {
    call.body["text"].as_str().unwrap_or_default().to_owned()
}

fn en(reply: WalletReply) -> String {
    Reply::Wallet(Box::new(reply)).text(Lang::En)
}

fn button_data(call: &Call, index: usize) -> String {
    call.body["reply_markup"]["inline_keyboard"][0][index]["callback_data"].as_str().unwrap_or_default().to_owned()
}

struct Env {
    app: TestApp,
    chain: FakeChain,
}

async fn spawn(db: &TestDb, extra: &[(&str, &str)]) -> Env {
    let chain = FakeChain::start().await;
    let rpc = chain.rpc_url(0);
    let mut vars: Vec<(&str, &str)> =
        vec![("HELIUS_RPC_URL", rpc.as_str()), ("WALLET_MASTER_KEY", MASTER_HEX), ("DRY_RUN", "false")];
    vars.extend_from_slice(extra);
    let app = TestApp::spawn(db, &vars).await;
    Env { app, chain }
}

impl Env {
    /// Sends a private `/wallet …` and returns the bot's next message to the sender.
    async fn say(&self, user: i64, cmd: &str) -> Call {
        let cur = self.app.tg.call_count().await;
        self.app.tg.send_private(user, "en", cmd).await;
        self.app.tg.next_text_to(cur, user).await
    }

    /// Presses a button and returns the toast text (empty when none).
    async fn press(&self, user: i64, chat: i64, message_id: i64, data: &str) -> String {
        let cur = self.app.tg.call_count().await;
        let id = self.app.tg.press(user, chat, message_id, data).await;
        let answer = self.app.tg.wait_for(cur, "answerCallbackQuery", |b| b["callback_query_id"] == json!(id)).await;
        answer.body["text"].as_str().unwrap_or_default().to_owned()
    }

    async fn wallets(&self, user: i64) -> Vec<String> {
        self.app.db.list_wallets(UserId(user)).await.unwrap().into_iter().map(|w| w.pubkey).collect()
    }

    async fn add(&self, user: i64) -> String {
        let before = self.wallets(user).await;
        self.say(user, "/wallet add").await;
        self.wallets(user).await.into_iter().find(|w| !before.contains(w)).expect("new wallet")
    }
}

async fn add_list_default_and_balance(db: &TestDb) {
    let env = spawn(db, &[]).await;
    let cur = env.app.tg.call_count().await;
    env.app.tg.send_private(ALICE, "en", "/wallet add").await;
    let created = env.app.tg.next_text_to(cur, ALICE).await;
    let first = env.wallets(ALICE).await[0].clone();
    assert_eq!(text(&created), en(WalletReply::Created { address: first.clone() }));
    let second = env.add(ALICE).await;

    // Rows hold only sealed keys: 64 key bytes + 16-byte tag, a 96-bit nonce, key version 1.
    let rows = sqlx::query("SELECT pubkey, ciphertext, nonce, key_version, is_default FROM wallets ORDER BY id")
        .fetch_all(env.app.db.pool())
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert_eq!(row.get::<Vec<u8>, _>("ciphertext").len(), 80);
        assert_eq!(row.get::<Vec<u8>, _>("nonce").len(), 12);
        assert_eq!(row.get::<i64, _>("key_version"), 1);
    }
    assert_eq!(rows[0].get::<i64, _>("is_default"), 1);
    assert_eq!(rows[1].get::<i64, _>("is_default"), 0);

    let first_pk: Pubkey = first.parse().unwrap();
    env.chain.fund(&first_pk, 2 * SOL + 500_000_000);
    let list = text(&env.say(ALICE, "/wallet list").await);
    assert!(list.contains(&format!("{first} - 2.5 SOL (default)")), "{list}");
    assert!(list.contains(&format!("{second} - 0 SOL")), "{list}");

    let reply = env.say(ALICE, &format!("/wallet default {second}")).await;
    assert_eq!(text(&reply), en(WalletReply::DefaultSet { address: second.clone() }));
    let default = env.app.db.default_wallet(UserId(ALICE)).await.unwrap().unwrap();
    assert_eq!(default.pubkey, second);
    let bogus = "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin";
    let reply = env.say(ALICE, &format!("/wallet default {bogus}")).await;
    assert_eq!(text(&reply), en(WalletReply::NotFound { address: bogus.to_owned() }));
    assert_eq!(env.app.db.default_wallet(UserId(ALICE)).await.unwrap().unwrap().pubkey, second);

    // Balance: SOL plus tokens of both programs in UI units.
    let mint_a = Pubkey::new_unique();
    let mint_b = Pubkey::new_unique();
    env.chain.add_token_account(&first_pk, &mint_a, 1_234_500, 6, &TOKEN_PROGRAM);
    env.chain.add_token_account(&first_pk, &mint_b, 42, 0, &TOKEN_2022_PROGRAM);
    let body = text(&env.say(ALICE, &format!("/wallet balance {first}")).await);
    assert!(body.contains("SOL: 2.5"), "{body}");
    assert!(body.contains(&format!("{mint_a}: 1.2345")), "{body}");
    assert!(body.contains(&format!("{mint_b}: 42")), "{body}");
    let body = text(&env.say(ALICE, "/wallet balance").await);
    assert!(body.contains(&second) && body.contains("SOL: 0") && body.contains("No tokens."), "{body}");

    // Another user sees none of it.
    assert_eq!(text(&env.say(MALLORY, "/wallet list").await), en(WalletReply::NoWallets));
    let reply = env.say(MALLORY, &format!("/wallet balance {first}")).await;
    assert_eq!(text(&reply), en(WalletReply::NotFound { address: first.clone() }));
    assert_eq!(text(&env.say(ALICE, "/wallet frobnicate").await), en(WalletReply::Usage));
    env.app.stop().await;
}
on_both_databases!(add_list_default_and_balance);

async fn import_accepts_every_format_and_always_deletes_the_message(db: &TestDb) {
    let env = spawn(db, &[]).await;
    let full = Keypair::new();
    let seed = Keypair::new();
    let json_kp = Keypair::new();
    let seed_b58 = bs58::encode(&seed.to_bytes()[..32]).into_string();
    let json_text = serde_json::to_string(&json_kp.to_bytes().to_vec()).unwrap();
    let cases = [(full.to_base58_string(), full.pubkey()), (seed_b58, seed.pubkey()), (json_text, json_kp.pubkey())];
    for (secret, pubkey) in cases {
        let cur = env.app.tg.call_count().await;
        let mid = env.app.tg.send_private(ALICE, "en", &format!("/wallet import {secret}")).await;
        let deleted = env.app.tg.wait_for(cur, "deleteMessage", |b| b["message_id"] == json!(mid)).await;
        assert_eq!(deleted.body["chat_id"], json!(ALICE));
        let reply = env.app.tg.next_text_to(cur, ALICE).await;
        let expected = WalletReply::Import { result: Ok(pubkey.to_string()), deleted: true };
        assert_eq!(text(&reply), en(expected));
    }
    assert_eq!(env.wallets(ALICE).await.len(), 3);

    // Bad input: explained, deleted, nothing stored.
    let mut mismatched = full.to_bytes();
    mismatched[32..].copy_from_slice(&seed.pubkey().to_bytes());
    let bad = [
        ("not-a-key!".to_owned(), ImportFailure::Invalid(ImportError::InvalidEncoding)),
        ("[1,2,300]".to_owned(), ImportFailure::Invalid(ImportError::InvalidJsonArray)),
        (bs58::encode([7u8; 16]).into_string(), ImportFailure::Invalid(ImportError::WrongLength { len: 16 })),
        (bs58::encode(mismatched).into_string(), ImportFailure::Invalid(ImportError::PublicKeyMismatch)),
        (bs58::encode([0u8; 32]).into_string(), ImportFailure::Invalid(ImportError::KnownWeakKey)),
        (full.to_base58_string(), ImportFailure::Duplicate),
    ];
    for (input, failure) in bad {
        let cur = env.app.tg.call_count().await;
        let mid = env.app.tg.send_private(ALICE, "en", &format!("/wallet import {input}")).await;
        env.app.tg.wait_for(cur, "deleteMessage", |b| b["message_id"] == json!(mid)).await;
        let reply = env.app.tg.next_text_to(cur, ALICE).await;
        assert_eq!(text(&reply), en(WalletReply::Import { result: Err(failure), deleted: true }), "{input}");
        assert!(!text(&reply).contains(&input));
    }
    let reply = env.say(ALICE, "/wallet import").await;
    assert_eq!(text(&reply), en(WalletReply::Import { result: Err(ImportFailure::Missing), deleted: true }));
    assert_eq!(env.wallets(ALICE).await.len(), 3);
    // Someone else cannot claim a registered wallet.
    let reply = env.say(MALLORY, &format!("/wallet import {}", full.to_base58_string())).await;
    assert_eq!(text(&reply), en(WalletReply::Import { result: Err(ImportFailure::Duplicate), deleted: true }));
    assert!(env.wallets(MALLORY).await.is_empty());
    env.app.stop().await;
}
on_both_databases!(import_accepts_every_format_and_always_deletes_the_message);

/// Ten users import a wallet at the same moment: every import is stored (on SQLite the writes
/// queue on one writer connection instead of failing with "database is locked").
async fn ten_concurrent_imports_all_succeed(db: &TestDb) {
    let env = spawn(db, &[]).await;
    let users: Vec<i64> = (0..10).map(|i| 9_100 + i).collect();
    for u in &users {
        env.say(*u, "/start").await;
    }
    let keys: Vec<Keypair> = users.iter().map(|_| Keypair::new()).collect();
    let cur = env.app.tg.call_count().await;
    let sends = users.iter().zip(&keys).map(|(u, kp)| {
        let tg = env.app.tg.clone();
        let text = format!("/wallet import {}", kp.to_base58_string());
        let u = *u;
        async move { tg.send_private(u, "en", &text).await }
    });
    futures::future::join_all(sends).await;
    for (u, kp) in users.iter().zip(&keys) {
        let expected = en(WalletReply::Import { result: Ok(kp.pubkey().to_string()), deleted: true });
        env.app.tg.wait_for(cur, "sendMessage", |b| b["chat_id"] == json!(u) && b["text"] == json!(expected)).await;
        // Beside the wallet /start created.
        let wallets = env.wallets(*u).await;
        assert_eq!(wallets.len(), 2, "{wallets:?}");
        assert!(wallets.contains(&kp.pubkey().to_string()), "{wallets:?}");
    }
    env.app.stop().await;
}
on_both_databases!(ten_concurrent_imports_all_succeed);

async fn wallet_is_refused_in_groups_and_without_a_master_key(db: &TestDb) {
    let env = spawn(db, &[]).await;
    let group = -100_123;
    let cur = env.app.tg.call_count().await;
    env.app.tg.send_group(ALICE, group, "/wallet list").await;
    let reply = env.app.tg.next_text_to(cur, group).await;
    assert_eq!(text(&reply), en(WalletReply::GroupRefused { deleted: None }));

    let kp = Keypair::new();
    let cur = env.app.tg.call_count().await;
    let mid = env.app.tg.send_group(ALICE, group, &format!("/wallet import {}", kp.to_base58_string())).await;
    env.app.tg.wait_for(cur, "deleteMessage", |b| b["message_id"] == json!(mid) && b["chat_id"] == json!(group)).await;
    let reply = env.app.tg.next_text_to(cur, group).await;
    assert_eq!(text(&reply), en(WalletReply::GroupRefused { deleted: Some(true) }));
    assert!(env.wallets(ALICE).await.is_empty());
    env.app.stop().await;

    // Without WALLET_MASTER_KEY the bot runs and says custody is off.
    let app = TestApp::spawn(db, &[]).await;
    let cur = app.tg.call_count().await;
    app.tg.send_private(555, "ru", "/wallet add").await;
    let reply = app.tg.next_text_to(cur, 555).await;
    assert_eq!(text(&reply), Reply::Wallet(Box::new(WalletReply::NotConfigured)).text(Lang::Ru));
    app.stop().await;
}
on_both_databases!(wallet_is_refused_in_groups_and_without_a_master_key);

async fn remove_needs_the_owners_confirmation_and_twice_with_open_positions(db: &TestDb) {
    let env = spawn(db, &[]).await;
    let first = env.add(ALICE).await;
    let second = env.add(ALICE).await;

    let ask = env.say(ALICE, &format!("/wallet remove {first}")).await;
    assert!(text(&ask).starts_with(&format!("Remove the wallet {first}?")), "{}", text(&ask));
    let yes = button_data(&ask, 0);
    let no = button_data(&ask, 1);
    assert!(yes.starts_with("w:y:") && no.starts_with("w:n:"));
    let stale = Reply::StaleButton.text(Lang::En);
    // Foreign presses: Mallory on Alice's message (in Alice's chat, and replayed into her own).
    assert_eq!(env.press(MALLORY, ALICE, ask.message_id(), &yes).await, stale);
    assert_eq!(env.press(MALLORY, MALLORY, ask.message_id(), &yes).await, stale);
    // Forged data.
    assert_eq!(env.press(ALICE, ALICE, ask.message_id(), "w:y:00000000000000000000000000000000").await, stale);
    assert_eq!(env.press(ALICE, ALICE, ask.message_id(), "w:y:nothex").await, stale);
    assert_eq!(env.wallets(ALICE).await.len(), 2);

    let cur = env.app.tg.call_count().await;
    assert_eq!(env.press(ALICE, ALICE, ask.message_id(), &yes).await, "");
    let edit = env.app.tg.wait_for(cur, "editMessageText", |_| true).await;
    assert_eq!(text(&edit), en(WalletReply::Removed { address: first.clone() }));
    assert_eq!(env.wallets(ALICE).await, vec![second.clone()]);
    // The remaining wallet became the default.
    assert_eq!(env.app.db.default_wallet(UserId(ALICE)).await.unwrap().unwrap().pubkey, second);
    // Replays change nothing.
    assert_eq!(env.press(ALICE, ALICE, ask.message_id(), &yes).await, stale);
    assert_eq!(env.press(ALICE, ALICE, ask.message_id(), &no).await, stale);

    // Cancel.
    let ask = env.say(ALICE, &format!("/wallet remove {second}")).await;
    let cur = env.app.tg.call_count().await;
    env.press(ALICE, ALICE, ask.message_id(), &button_data(&ask, 1)).await;
    let edit = env.app.tg.wait_for(cur, "editMessageText", |_| true).await;
    assert_eq!(text(&edit), en(WalletReply::Cancelled));
    assert_eq!(env.press(ALICE, ALICE, ask.message_id(), &button_data(&ask, 0)).await, stale);
    assert_eq!(env.wallets(ALICE).await, vec![second.clone()]);

    // With an open position: two confirmations.
    let wallet_id = env.app.db.find_wallet(UserId(ALICE), &second).await.unwrap().unwrap().id;
    sqlx::query(
        "INSERT INTO positions (user_id, wallet_id, mint, state, token_amount, token_decimals, cost_lamports, is_paper, opened_at, updated_at) \
         VALUES ($1, $2, 'mint', 'open', '1', 6, 1000, 0, 0, 0)",
    )
    .bind(ALICE)
    .bind(wallet_id)
    .execute(env.app.db.pool())
    .await
    .unwrap();
    let ask = env.say(ALICE, &format!("/wallet remove {second}")).await;
    let expected = WalletReply::ConfirmRemove {
        nonce: button_data(&ask, 0)[4..].to_owned(),
        address: second.clone(),
        open_positions: 1,
        second: false,
    };
    assert_eq!(text(&ask), en(expected));
    let cur = env.app.tg.call_count().await;
    env.press(ALICE, ALICE, ask.message_id(), &button_data(&ask, 0)).await;
    let again = env.app.tg.wait_for(cur, "editMessageText", |_| true).await;
    assert!(text(&again).starts_with("Second confirmation"), "{}", text(&again));
    assert_eq!(env.wallets(ALICE).await, vec![second.clone()]);
    let cur = env.app.tg.call_count().await;
    env.press(ALICE, ALICE, ask.message_id(), &button_data(&again, 0)).await;
    let done = env.app.tg.wait_for(cur, "editMessageText", |_| true).await;
    assert_eq!(text(&done), en(WalletReply::Removed { address: second.clone() }));
    assert!(env.wallets(ALICE).await.is_empty());
    let removed: i64 = sqlx::query("SELECT COUNT(*) AS n FROM wallets WHERE removed_at IS NOT NULL")
        .fetch_one(env.app.db.pool())
        .await
        .unwrap()
        .get("n");
    assert_eq!(removed, 2);
    env.app.stop().await;
}
on_both_databases!(remove_needs_the_owners_confirmation_and_twice_with_open_positions);

/// Rent reclaim: `/wallet balance` shows what the empty token accounts hold, `/wallet cleanup`
/// asks once and closes them in one transaction; the rent is back in the wallet and the
/// accounts with balance are untouched. A second cleanup finds nothing.
async fn cleanup_closes_empty_token_accounts_and_returns_their_rent(db: &TestDb) {
    let env = spawn(db, &[]).await;
    let address = env.add(ALICE).await;
    let owner: Pubkey = address.parse().unwrap();
    env.chain.fund(&owner, 1_000_000_000);
    let empty: Vec<Pubkey> =
        (0..3).map(|_| env.chain.add_token_account(&owner, &Pubkey::new_unique(), 0, 6, &TOKEN_PROGRAM)).collect();
    let held = env.chain.add_token_account(&owner, &Pubkey::new_unique(), 5_000, 6, &TOKEN_PROGRAM);
    let rent: u64 = empty.iter().map(|a| env.chain.balance_of(a)).sum();
    let balance = env.say(ALICE, "/wallet balance").await;
    assert!(text(&balance).contains("♻️ 3 empty token accounts"), "{}", text(&balance));

    let ask = env.say(ALICE, "/wallet cleanup").await;
    assert!(text(&ask).starts_with("Close 3 empty token accounts"), "{}", text(&ask));
    let before = env.chain.balance_of(&owner);
    let cur = env.app.tg.call_count().await;
    env.press(ALICE, ALICE, ask.message_id(), &button_data(&ask, 0)).await;
    let done = env.app.tg.wait_for(cur, "editMessageText", |_| true).await;
    assert!(text(&done).starts_with("♻️ Closed 3 empty token accounts"), "{}", text(&done));
    for a in &empty {
        assert!(env.chain.account(a).is_none(), "closed");
    }
    assert_eq!(env.chain.token_amount(&held), Some(5_000), "an account with tokens is untouched");
    let after = env.chain.balance_of(&owner);
    assert!(after > before && after <= before + rent && before + rent - after < 100_000, "{before} {after} {rent}");
    let again = env.say(ALICE, "/wallet cleanup").await;
    assert_eq!(text(&again), en(WalletReply::NothingToClean));
    env.app.stop().await;
}
on_both_databases!(cleanup_closes_empty_token_accounts_and_returns_their_rent);

async fn export_sends_the_key_once_protected_and_deletes_it(db: &TestDb) {
    let env = spawn(db, &[("WALLET_EXPORT_DELETE_SECS", "1")]).await;
    let kp = Keypair::new();
    env.say(ALICE, &format!("/wallet import {}", kp.to_base58_string())).await;
    let address = kp.pubkey().to_string();
    let ask = env.say(ALICE, &format!("/wallet export {address}")).await;
    assert!(!text(&ask).contains(&kp.to_base58_string()));
    let yes = button_data(&ask, 0);
    assert_eq!(env.press(MALLORY, ALICE, ask.message_id(), &yes).await, Reply::StaleButton.text(Lang::En));

    let cur = env.app.tg.call_count().await;
    env.press(ALICE, ALICE, ask.message_id(), &yes).await;
    let edit = env.app.tg.wait_for(cur, "editMessageText", |_| true).await;
    assert_eq!(text(&edit), en(WalletReply::ExportSent { address: address.clone(), ttl_secs: 1 }));
    let secret = env.app.tg.wait_for(cur, "sendMessage", |b| b["protect_content"] == json!(true)).await;
    assert!(text(&secret).ends_with(&kp.to_base58_string()));
    let secret_id = secret.message_id();
    env.app.tg.wait_for(cur, "deleteMessage", |b| b["message_id"] == json!(secret_id)).await;
    assert_eq!(env.press(ALICE, ALICE, ask.message_id(), &yes).await, Reply::StaleButton.text(Lang::En));
    let exports = env.app.tg.calls().await.iter().filter(|c| text(c).contains(&kp.to_base58_string())).count();
    assert_eq!(exports, 1);
    env.app.stop().await;
}
on_both_databases!(export_sends_the_key_once_protected_and_deletes_it);

/// A restart within the deletion delay must not leave the exported key in the chat: the deletion
/// is persisted and the sweeper deletes overdue messages at start.
async fn an_exported_key_is_still_deleted_after_a_restart(db: &TestDb) {
    let vars = [("WALLET_EXPORT_DELETE_SECS", "3600")];
    let env = spawn(db, &vars).await;
    let kp = Keypair::new();
    env.say(ALICE, &format!("/wallet import {}", kp.to_base58_string())).await;
    let ask = env.say(ALICE, &format!("/wallet export {}", kp.pubkey())).await;
    let cur = env.app.tg.call_count().await;
    env.press(ALICE, ALICE, ask.message_id(), &button_data(&ask, 0)).await;
    let secret = env.app.tg.wait_for(cur, "sendMessage", |b| b["protect_content"] == json!(true)).await;
    let secret_id = secret.message_id();
    let pending = |db: quantbot::storage::Db| async move {
        sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM scheduled_deletions WHERE chat_id = $1 AND message_id = $2",
        )
        .bind(ALICE)
        .bind(secret_id)
        .fetch_one(db.pool())
        .await
        .unwrap()
        .get::<i64, _>("n")
    };
    for _ in 0..100 {
        if pending(env.app.db.clone()).await == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(pending(env.app.db.clone()).await, 1, "the deletion is persisted");
    env.app.stop().await;
    // The process was down past the delay.
    let offline = db.open().await;
    sqlx::query("UPDATE scheduled_deletions SET delete_at = 0").execute(offline.pool()).await.unwrap();
    offline.close().await;

    let again = spawn(db, &vars).await;
    again
        .app
        .tg
        .wait_for(0, "deleteMessage", |b| b["chat_id"] == json!(ALICE) && b["message_id"] == json!(secret_id))
        .await;
    for _ in 0..100 {
        if pending(again.app.db.clone()).await == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(pending(again.app.db.clone()).await, 0, "the schedule entry is settled");
    again.app.stop().await;
}
on_both_databases!(an_exported_key_is_still_deleted_after_a_restart);

/// Imports a funded wallet and returns it.
async fn funded(env: &Env, lamports: u64) -> Keypair {
    let kp = Keypair::new();
    env.say(ALICE, &format!("/wallet import {}", kp.to_base58_string())).await;
    env.chain.fund(&kp.pubkey(), lamports);
    kp
}

async fn confirm_withdraw(env: &Env, ask: &Call) -> String {
    let cur = env.app.tg.call_count().await;
    env.press(ALICE, ALICE, ask.message_id(), &button_data(ask, 0)).await;
    text(&env.app.tg.wait_for(cur, "editMessageText", |_| true).await)
}

async fn withdraw_validates_confirms_signs_and_sends(db: &TestDb) {
    let env = spawn(db, &[]).await;
    let kp = funded(&env, 2 * SOL).await;
    let dest = Pubkey::new_unique();
    env.chain.fund(&dest, 1);

    for (cmd, block) in [
        ("/wallet withdraw abc x", quantbot::app::wallet::WithdrawBlock::BadAmount),
        (
            &*format!("/wallet withdraw 0.1 {}x", &dest.to_string()[..10]),
            quantbot::app::wallet::WithdrawBlock::BadAddress,
        ),
        (&*format!("/wallet withdraw 0.1 {}", kp.pubkey()), quantbot::app::wallet::WithdrawBlock::SameAddress),
    ] {
        assert_eq!(text(&env.say(ALICE, cmd).await), en(WalletReply::WithdrawBlocked(block)), "{cmd}");
    }
    assert_eq!(text(&env.say(ALICE, "/wallet withdraw 1").await), en(WalletReply::Usage));
    let too_much = text(&env.say(ALICE, &format!("/wallet withdraw 5 {dest}")).await);
    assert!(too_much.starts_with("Not enough SOL"), "{too_much}");

    let ask = env.say(ALICE, &format!("/wallet withdraw 0.5 {dest}")).await;
    let body = text(&ask);
    assert!(body.contains("Withdraw 0.5 SOL") && body.contains(&dest.to_string()), "{body}");
    assert!(body.contains("Network fee: 0.00000512 SOL"), "{body}");
    // Mallory cannot trigger it.
    assert_eq!(
        env.press(MALLORY, ALICE, ask.message_id(), &button_data(&ask, 0)).await,
        Reply::StaleButton.text(Lang::En)
    );
    assert_eq!(env.chain.balance_of(&dest), 1);

    let done = confirm_withdraw(&env, &ask).await;
    assert!(done.starts_with(&format!("Sent 0.5 SOL to {dest}.")), "{done}");
    assert_eq!(env.chain.balance_of(&dest), 1 + SOL / 2);
    assert_eq!(env.chain.balance_of(&kp.pubkey()), 2 * SOL - SOL / 2 - 5_120);
    // Replay: nothing more moves.
    assert_eq!(
        env.press(ALICE, ALICE, ask.message_id(), &button_data(&ask, 0)).await,
        Reply::StaleButton.text(Lang::En)
    );
    assert_eq!(env.chain.balance_of(&dest), 1 + SOL / 2);

    // `all` leaves the fee and the rent reserve.
    let ask = env.say(ALICE, &format!("/wallet withdraw all {dest}")).await;
    assert!(confirm_withdraw(&env, &ask).await.starts_with("Sent "));
    assert_eq!(env.chain.balance_of(&kp.pubkey()), 890_880);
    let nothing = text(&env.say(ALICE, &format!("/wallet withdraw all {dest}")).await);
    assert!(nothing.starts_with("Nothing to withdraw"), "{nothing}");
    let outflows: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM outflows").fetch_one(env.app.db.pool()).await.unwrap().get("n");
    assert_eq!(outflows, 2);
    env.app.stop().await;
}
on_both_databases!(withdraw_validates_confirms_signs_and_sends);

async fn withdraw_allowlist_locks_new_addresses_for_a_day(db: &TestDb) {
    let env = spawn(db, &[]).await;
    funded(&env, 2 * SOL).await;
    let listed = Pubkey::new_unique();
    let other = Pubkey::new_unique();
    env.chain.fund(&listed, 1);
    env.chain.fund(&other, 1);
    assert!(text(&env.say(ALICE, "/wallet allowlist").await).starts_with("Your withdrawal allowlist is empty"));
    let added = text(&env.say(ALICE, &format!("/wallet allowlist add {listed}")).await);
    assert!(added.starts_with(&format!("Added {listed}")), "{added}");
    let again = text(&env.say(ALICE, &format!("/wallet allowlist add {listed}")).await);
    assert!(again.contains("already on your withdrawal allowlist"), "{again}");
    let bad = text(&env.say(ALICE, "/wallet allowlist add nope").await);
    assert_eq!(bad, en(WalletReply::WithdrawBlocked(quantbot::app::wallet::WithdrawBlock::BadAddress)));
    let list = text(&env.say(ALICE, "/wallet allowlist").await);
    assert!(list.contains(&format!("{listed} - locked until")), "{list}");

    let refused = text(&env.say(ALICE, &format!("/wallet withdraw 0.1 {other}")).await);
    assert_eq!(refused, en(WalletReply::WithdrawBlocked(quantbot::app::wallet::WithdrawBlock::NotAllowlisted)));
    let locked = text(&env.say(ALICE, &format!("/wallet withdraw 0.1 {listed}")).await);
    assert!(locked.contains("locked until"), "{locked}");

    // A day later (simulated by moving the lock back) the address works.
    sqlx::query("UPDATE withdrawal_addresses SET usable_after = 0").execute(env.app.db.pool()).await.unwrap();
    let ask = env.say(ALICE, &format!("/wallet withdraw 0.1 {listed}")).await;
    assert!(confirm_withdraw(&env, &ask).await.starts_with("Sent 0.1 SOL"));
    assert_eq!(env.chain.balance_of(&listed), 1 + SOL / 10);
    env.app.stop().await;
}
on_both_databases!(withdraw_allowlist_locks_new_addresses_for_a_day);

async fn hourly_outflow_limit_freezes_withdrawals_and_tells_admins(db: &TestDb) {
    let env = spawn(db, &[("WITHDRAW_LIMIT_SOL_PER_HOUR", "1")]).await;
    // The admin has talked to the bot (so they have a language).
    env.say(ADMIN, "/start").await;
    funded(&env, 5 * SOL).await;
    let dest = Pubkey::new_unique();
    env.chain.fund(&dest, 1);
    let ask = env.say(ALICE, &format!("/wallet withdraw 0.6 {dest}")).await;
    assert!(confirm_withdraw(&env, &ask).await.starts_with("Sent 0.6 SOL"));

    let ask = env.say(ALICE, &format!("/wallet withdraw 0.6 {dest}")).await;
    let cur = env.app.tg.call_count().await;
    let refused = confirm_withdraw(&env, &ask).await;
    assert!(refused.starts_with("This withdrawal would exceed"), "{refused}");
    let note = env.app.tg.next_text_to(cur, ADMIN).await;
    assert!(
        text(&note).starts_with(&format!("Outflow limit reached: user {ALICE} asked to withdraw 0.6 SOL")),
        "{}",
        text(&note)
    );
    assert_eq!(env.chain.balance_of(&dest), 1 + 600_000_000);

    let frozen = text(&env.say(ALICE, &format!("/wallet withdraw 0.1 {dest}")).await);
    assert!(frozen.starts_with("Withdrawals are frozen until"), "{frozen}");
    env.app.stop().await;
}
on_both_databases!(hourly_outflow_limit_freezes_withdrawals_and_tells_admins);

async fn withdraw_is_refused_in_dry_run(db: &TestDb) {
    let env = spawn(db, &[("DRY_RUN", "true")]).await;
    funded(&env, 2 * SOL).await;
    let reply = text(&env.say(ALICE, &format!("/wallet withdraw 0.1 {}", Pubkey::new_unique())).await);
    assert_eq!(reply, en(WalletReply::WithdrawBlocked(quantbot::app::wallet::WithdrawBlock::DryRun)));
    env.app.stop().await;
}
on_both_databases!(withdraw_is_refused_in_dry_run);
