//! The storage suite: the same assertions on SQLite and PostgreSQL.

use quantbot::domain::lang::Lang;
use quantbot::domain::money::Lamports;
use quantbot::domain::user::{Role, UserId};
use quantbot::domain::user_config::{ConfigKey, UserConfig};
use quantbot::ports::{AuditEntry, AuditLog, SeenUser, TradingStatsRepo, UserRepo};
use quantbot::storage::SettingsRepo;
use sqlx::Row;

use crate::on_both_databases;
use crate::support::TestDb;

fn seen(id: i64, lang: Lang, admin: bool) -> SeenUser {
    SeenUser { id: UserId(id), chat_id: id, username: Some(format!("u{id}")), lang, is_config_admin: admin }
}

async fn users_register_once_and_keep_their_language(db: &TestDb) {
    let db = db.open().await;
    let (u, created) = db.register(&seen(10, Lang::Zh, false)).await.unwrap();
    assert!(created);
    assert_eq!((u.lang, u.role, u.is_active), (Lang::Zh, Role::User, true));
    db.set_language(UserId(10), Lang::Ru).await.unwrap();
    let (u, created) = db.register(&seen(10, Lang::En, false)).await.unwrap();
    assert!(!created);
    assert_eq!(u.lang, Lang::Ru, "re-registering must not reset the chosen language");
    // Config admins are not persisted as admins: removing them from ADMIN_USER_IDS revokes them.
    let (admin, _) = db.register(&seen(11, Lang::En, true)).await.unwrap();
    assert_eq!(admin.role, Role::User);
    assert!(db.get(UserId(12)).await.unwrap().is_none());
}
on_both_databases!(users_register_once_and_keep_their_language);

async fn user_config_round_trips_and_defaults(db: &TestDb) {
    let db = db.open().await;
    db.register(&seen(20, Lang::En, false)).await.unwrap();
    assert_eq!(db.config(UserId(20)).await.unwrap(), UserConfig::default());
    let mut cfg = UserConfig::default().set(ConfigKey::TakeProfit, "25:10,50:20,1000:100").unwrap();
    cfg = cfg.set(ConfigKey::PriorityFee, "123456").unwrap();
    cfg.trading_enabled = true;
    db.save_config(UserId(20), &cfg).await.unwrap();
    assert_eq!(db.config(UserId(20)).await.unwrap(), cfg);
    let row = sqlx::query("SELECT trading_enabled, dry_run FROM user_configs WHERE user_id = $1")
        .bind(20_i64)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!((row.get::<i64, _>("trading_enabled"), row.get::<i64, _>("dry_run")), (1, 1));
    cfg.dry_run = false;
    db.save_config(UserId(20), &cfg).await.unwrap();
    assert!(!db.config(UserId(20)).await.unwrap().dry_run);
}
on_both_databases!(user_config_round_trips_and_defaults);

async fn trading_summary_sums_today_and_open_positions(db: &TestDb) {
    let db = db.open().await;
    db.register(&seen(30, Lang::En, false)).await.unwrap();
    let zero = db.summary(UserId(30), 0).await.unwrap();
    assert_eq!((zero.realized_today_lamports, zero.exposure, zero.open_positions), (0, Lamports(0), 0));
    let day = 1_795_536_000_000_i64;
    for (pnl, at) in [(-5_000_000_i64, day + 10), (2_000_000, day + 20), (9_999_999, day - 1)] {
        sqlx::query("INSERT INTO trades (user_id, mint, side, sol_lamports, token_amount, realized_pnl_lamports, is_paper, created_at) VALUES ($1, 'M', 'sell', 1, '1', $2, 1, $3)")
            .bind(30_i64).bind(pnl).bind(at).execute(db.pool()).await.unwrap();
    }
    for (state, cost) in [("open", 100_000_000_i64), ("open", 50_000_000), ("closed", 70_000_000)] {
        sqlx::query("INSERT INTO positions (user_id, mint, state, token_amount, token_decimals, cost_lamports, is_paper, opened_at, updated_at) VALUES ($1, 'M', $2, '18446744073709551615', 6, $3, 1, 0, 0)")
            .bind(30_i64).bind(state).bind(cost).execute(db.pool()).await.unwrap();
    }
    let s = db.summary(UserId(30), day).await.unwrap();
    assert_eq!(s.realized_today_lamports, -3_000_000);
    assert_eq!(s.exposure, Lamports(150_000_000));
    assert_eq!(s.open_positions, 2);
    // u64::MAX raw token amounts survive (stored as text).
    let row = sqlx::query("SELECT token_amount FROM positions WHERE user_id = $1 LIMIT 1")
        .bind(30_i64)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(row.get::<String, _>("token_amount").parse::<u64>().unwrap(), u64::MAX);
}
on_both_databases!(trading_summary_sums_today_and_open_positions);

async fn settings_audit_and_idempotency_keys(db: &TestDb) {
    let db = db.open().await;
    assert_eq!(db.get_setting("killswitch").await.unwrap(), None);
    db.put_setting("killswitch", "on").await.unwrap();
    db.put_setting("killswitch", "off").await.unwrap();
    assert_eq!(db.get_setting("killswitch").await.unwrap().as_deref(), Some("off"));

    db.record(AuditEntry {
        actor: Some(UserId(1)),
        action: "test.action".into(),
        target: Some("x".into()),
        details: None,
    })
    .await
    .unwrap();
    let n: i64 = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM audit_log WHERE action = 'test.action'")
        .fetch_one(db.pool())
        .await
        .unwrap()
        .get("n");
    assert_eq!(n, 1);

    // The intent idempotency key is unique on both engines.
    db.register(&seen(40, Lang::En, false)).await.unwrap();
    let insert = "INSERT INTO trade_intents (idempotency_key, user_id, side, mint, origin, amount_in, dry_run, state, created_at, updated_at) VALUES ($1, 40, 'buy', 'M', 'alert', '100', 1, 'pending', 0, 0)";
    sqlx::query(insert).bind("40:alert:1").execute(db.pool()).await.unwrap();
    assert!(
        sqlx::query(insert).bind("40:alert:1").execute(db.pool()).await.is_err(),
        "duplicate idempotency key accepted"
    );
    let signed = vec![0_u8, 1, 2, 255];
    sqlx::query("UPDATE trade_intents SET signed_tx = $1, state = 'signed' WHERE idempotency_key = $2")
        .bind(signed.clone())
        .bind("40:alert:1")
        .execute(db.pool())
        .await
        .unwrap();
    let row = sqlx::query("SELECT signed_tx FROM trade_intents WHERE idempotency_key = $1")
        .bind("40:alert:1")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(row.get::<Vec<u8>, _>("signed_tx"), signed);
}
on_both_databases!(settings_audit_and_idempotency_keys);

async fn migrations_are_idempotent(db: &TestDb) {
    let first = db.open().await;
    first.migrate().await.unwrap();
    first.close().await;
    let again = db.open().await;
    assert!(again.ping().await);
}
on_both_databases!(migrations_are_idempotent);

fn intent(user: i64, key: &str) -> quantbot::domain::intent::NewIntent {
    use quantbot::domain::intent::{IdempotencyKey, IntentOrigin, NewIntent};
    NewIntent {
        key: IdempotencyKey::alert(UserId(user), key),
        user: UserId(user),
        wallet_id: None,
        side: quantbot::domain::position::Side::Buy,
        mint: "So11111111111111111111111111111111111111112".into(),
        origin: IntentOrigin::Alert,
        alert_id: Some(key.into()),
        position_id: None,
        amount_in: u64::MAX,
        dry_run: true,
        received_at_ms: Some(5),
    }
}

async fn intents_are_idempotent_and_move_forward_only(db: &TestDb) {
    use quantbot::domain::intent::IntentState;
    use quantbot::ports::{Inserted, IntentRepo, SignedTx};
    let db = db.open().await;
    db.register(&seen(50, Lang::En, false)).await.unwrap();
    let first = intent(50, "chan:1");
    let Inserted::New(id) = db.insert_if_new(&first).await.unwrap() else { panic!("first insert must be new") };
    // Redelivery of the same alert: no new row, the first intent's state is reported.
    match db.insert_if_new(&first).await.unwrap() {
        Inserted::Existing(existing) => {
            assert_eq!(existing.id, id);
            assert_eq!(existing.state, IntentState::Pending);
            assert_eq!(existing.new, first);
        }
        Inserted::New(_) => panic!("duplicate key created a second intent"),
    }
    let signed = SignedTx {
        venue: "pumpfun".into(),
        min_amount_out: 42,
        bytes: vec![1, 2, 3],
        signature: "sig".into(),
        last_valid_block_height: 1_000,
    };
    assert!(db.mark_signed(id, &signed).await.unwrap());
    assert!(!db.mark_signed(id, &signed).await.unwrap(), "signing twice must be refused");
    assert!(!db.transition(id, IntentState::Pending, IntentState::Failed, None).await.unwrap(), "stale CAS accepted");
    assert!(db.transition(id, IntentState::Signed, IntentState::Sent, None).await.unwrap());
    assert_eq!(db.unfinished().await.unwrap().iter().map(|i| i.id).collect::<Vec<_>>(), vec![id]);
    assert!(db.transition(id, IntentState::Sent, IntentState::Confirmed, None).await.unwrap());
    assert!(!db.transition(id, IntentState::Confirmed, IntentState::Failed, Some("x")).await.unwrap());
    let stored = db.intent(id).await.unwrap().unwrap();
    assert_eq!(
        (stored.state, stored.signed_tx, stored.last_valid_block_height),
        (IntentState::Confirmed, Some(vec![1, 2, 3]), Some(1_000))
    );
    assert_eq!(stored.min_amount_out, Some(42));
    assert!(db.unfinished().await.unwrap().is_empty());

    // Bulk insert: 1,000 intents in one statement, duplicates skipped.
    let batch: Vec<_> = (0..1_000).map(|i| intent(50, &format!("bulk:{i}"))).collect();
    assert_eq!(db.insert_many(&batch).await.unwrap(), 1_000);
    assert_eq!(db.insert_many(&batch[..10]).await.unwrap(), 0);
    assert_eq!(db.unfinished().await.unwrap().len(), 1_000);
}
on_both_databases!(intents_are_idempotent_and_move_forward_only);

fn fill_record(
    intent_id: i64,
    side: quantbot::domain::position::Side,
    sol: u64,
    tokens: u64,
    paper: bool,
    at: i64,
) -> quantbot::ports::FillRecord {
    use quantbot::domain::position::{Fees, Fill};
    quantbot::ports::FillRecord {
        intent_id: Some(intent_id),
        user: UserId(60),
        wallet_id: None,
        position_id: None,
        mint: "MintA".into(),
        decimals: 6,
        is_paper: paper,
        fill: Fill {
            side,
            sol: Lamports(sol),
            tokens,
            fees: Fees { network: Lamports(5_000), ..Fees::default() },
            at_ms: at,
        },
        price: Some("0.000001".parse().unwrap()),
        signature: Some(format!("sig{intent_id}")),
        exit_rules: Some("{}".into()),
        source: Some("manual".into()),
    }
}

async fn fills_open_add_reduce_and_close_positions_idempotently(db: &TestDb) {
    use quantbot::domain::position::Side;
    use quantbot::ports::{PositionRepo, RecordError};
    let db = db.open().await;
    db.register(&seen(60, Lang::En, false)).await.unwrap();
    let user = UserId(60);
    // Intent rows are needed for the foreign key.
    let mut intent_ids = Vec::new();
    for i in 0..5 {
        let quantbot::ports::Inserted::New(id) =
            quantbot::ports::IntentRepo::insert_if_new(&db, &intent(60, &format!("pos:{i}"))).await.unwrap()
        else {
            panic!()
        };
        intent_ids.push(id);
    }

    assert!(matches!(
        db.record_fill(&fill_record(intent_ids[0], Side::Sell, 1, 1, false, 1)).await,
        Err(RecordError::Position(_))
    ));
    let r = db.record_fill(&fill_record(intent_ids[0], Side::Buy, 100_000_000, 1_000_000, false, 10)).await.unwrap();
    assert!(r.new && r.position.is_open);
    assert_eq!((r.position.book.tokens, r.position.book.cost), (1_000_000, Lamports(100_005_000)));
    // Replaying the same intent (crash after confirmation) changes nothing.
    let again =
        db.record_fill(&fill_record(intent_ids[0], Side::Buy, 100_000_000, 1_000_000, false, 10)).await.unwrap();
    assert!(!again.new);
    assert_eq!(again.position, r.position);
    // Paper fills live in a separate position.
    let paper = db.record_fill(&fill_record(intent_ids[1], Side::Buy, 1, 1, true, 11)).await.unwrap();
    assert_ne!(paper.position.id, r.position.id);
    // Add, then sell half, then the rest.
    let r = db.record_fill(&fill_record(intent_ids[2], Side::Buy, 100_000_000, 1_000_000, false, 20)).await.unwrap();
    assert_eq!((r.position.book.tokens, r.position.book.cost), (2_000_000, Lamports(200_010_000)));
    let r = db.record_fill(&fill_record(intent_ids[3], Side::Sell, 150_000_000, 1_000_000, false, 30)).await.unwrap();
    assert_eq!(r.realization.map(|x| x.pnl), Some(150_000_000 - 5_000 - 100_005_000));
    assert!(r.position.is_open);
    let r = db.record_fill(&fill_record(intent_ids[4], Side::Sell, 50_000_000, 1_000_000, false, 40)).await.unwrap();
    assert!(!r.position.is_open && r.position.closed_at_ms == Some(40));
    assert_eq!(r.position.book.realized, (150_000_000 - 5_000 - 100_005_000) + (50_000_000 - 5_000 - 100_005_000));

    assert_eq!(db.open_positions(user).await.unwrap().len(), 1, "only the paper position stays open");
    assert_eq!(db.all_open_positions().await.unwrap().len(), 1);
    let history = db.trade_history(user, 0, 10).await.unwrap();
    assert_eq!(history.len(), 5);
    assert_eq!(history[0].at_ms, 40);
    assert_eq!(db.trade_history(user, 4, 10).await.unwrap().len(), 1);
    let realized = db.realized_trades(user).await.unwrap();
    assert_eq!(realized.len(), 2);
    assert_eq!(realized[0].opened_at_ms, 10);
    let summary = db.summary(user, 0).await.unwrap();
    assert_eq!(summary.realized_today_lamports, r.position.book.realized);
}
on_both_databases!(fills_open_add_reduce_and_close_positions_idempotently);
