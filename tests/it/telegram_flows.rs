//! /start, /help, /language and every /livetrade form through the fake Bot API, on both
//! databases, checking what the bot sent and what the database holds.

use quantbot::domain::lang::Lang;
use quantbot::domain::user::UserId;
use quantbot::domain::user_config::{ConfigKey, UserConfig};
use quantbot::ports::UserRepo;
use quantbot::telegram::{Command, Reply};
use serde_json::json;

use crate::on_both_databases;
use crate::support::{TestApp, TestDb};

const ALICE: i64 = 123_456_789;
const MALLORY: i64 = 666_000_666;

fn text(call: &crate::support::fake_telegram::Call) -> String {
    call.body["text"].as_str().unwrap_or_default().to_owned()
}

async fn start_registers_the_user_in_their_telegram_language(db: &TestDb) {
    let app = TestApp::spawn(db, &[]).await;
    let cur = app.tg.call_count().await;
    app.tg.send_private(ALICE, "ru", "/start").await;
    let sent = app.tg.next_text_to(cur, ALICE).await;
    // In a private chat /start is the home screen (here without custody: no wallet).
    assert!(text(&sent).starts_with(&quantbot::i18n::tr(Lang::Ru, "ux.home.title", &[])), "{}", text(&sent));
    assert!(text(&sent).contains(&quantbot::i18n::tr(Lang::Ru, "ux.home.no_custody", &[])), "{}", text(&sent));
    let user = app.db.get(UserId(ALICE)).await.unwrap().expect("registered");
    assert_eq!(user.lang, Lang::Ru);
    assert_eq!(user.chat_id, ALICE);
    assert_eq!(user.username.as_deref(), Some("user123456789"));

    // A second /start is a welcome back and keeps the language.
    let cur = app.tg.call_count().await;
    app.tg.send_private(ALICE, "en", "/start").await;
    let sent = app.tg.next_text_to(cur, ALICE).await;
    assert!(text(&sent).starts_with(&quantbot::i18n::tr(Lang::Ru, "ux.home.title", &[])), "{}", text(&sent));
    assert_eq!(app.db.get(UserId(ALICE)).await.unwrap().unwrap().lang, Lang::Ru);
    app.stop().await;
}
on_both_databases!(start_registers_the_user_in_their_telegram_language);

async fn help_lists_every_command_in_the_users_language(db: &TestDb) {
    let app = TestApp::spawn(db, &[]).await;
    let cur = app.tg.call_count().await;
    app.tg.send_private(ALICE, "zh-hans", "/help").await;
    let sent = app.tg.next_text_to(cur, ALICE).await;
    let body = text(&sent);
    assert_eq!(body, Reply::Help.text(Lang::Zh));
    for name in Command::names() {
        assert!(body.contains(&format!("/{name} - ")), "{name} missing from help: {body}");
    }
    assert!(body.contains("选择界面语言"), "{body}");
    app.stop().await;
}
on_both_databases!(help_lists_every_command_in_the_users_language);

async fn command_menu_is_registered_for_every_locale(db: &TestDb) {
    let app = TestApp::spawn(db, &[]).await;
    for lang in Lang::ALL {
        let call = app.tg.wait_for(0, "setMyCommands", |b| b["language_code"] == json!(lang.code())).await;
        let cmds = call.body["commands"].as_array().cloned().unwrap_or_default();
        assert_eq!(cmds.len(), Command::names().len());
        assert!(cmds.iter().all(|c| !c["command"].as_str().unwrap_or("/").starts_with('/')));
        let expected = Command::localized(lang);
        assert_eq!(cmds[0]["description"].as_str(), Some(expected[0].description.as_str()));
    }
    app.tg.wait_for(0, "setMyCommands", |b| b.get("language_code").is_none()).await;
    app.stop().await;
}
on_both_databases!(command_menu_is_registered_for_every_locale);

async fn language_can_be_picked_by_argument_or_button(db: &TestDb) {
    let app = TestApp::spawn(db, &[]).await;
    let cur = app.tg.call_count().await;
    app.tg.send_private(ALICE, "en", "/language").await;
    let picker = app.tg.next_text_to(cur, ALICE).await;
    assert_eq!(text(&picker), Reply::LanguagePicker.text(Lang::En));
    let buttons = picker.body["reply_markup"]["inline_keyboard"][0].as_array().cloned().unwrap_or_default();
    assert_eq!(buttons.len(), 3);

    let cur = app.tg.call_count().await;
    app.tg.send_private(ALICE, "en", "/language de").await;
    let sent = app.tg.next_text_to(cur, ALICE).await;
    assert_eq!(text(&sent), Reply::LanguageUnknown { value: "de".into() }.text(Lang::En));
    assert_eq!(app.db.get(UserId(ALICE)).await.unwrap().unwrap().lang, Lang::En);

    let cur = app.tg.call_count().await;
    app.tg.send_private(ALICE, "en", "/language zh").await;
    let sent = app.tg.next_text_to(cur, ALICE).await;
    assert_eq!(text(&sent), Reply::LanguageSet.text(Lang::Zh));
    assert_eq!(app.db.get(UserId(ALICE)).await.unwrap().unwrap().lang, Lang::Zh);

    // The button switches back and edits the picker message in place.
    let cur = app.tg.call_count().await;
    let mid = picker.message_id();
    app.tg.press(ALICE, ALICE, mid, "lang:ru").await;
    let edit = app.tg.wait_for(cur, "editMessageText", |_| true).await;
    assert_eq!(text(&edit), Reply::LanguageSet.text(Lang::Ru));
    app.tg.wait_for(cur, "answerCallbackQuery", |_| true).await;
    assert_eq!(app.db.get(UserId(ALICE)).await.unwrap().unwrap().lang, Lang::Ru);
    app.stop().await;
}
on_both_databases!(language_can_be_picked_by_argument_or_button);

async fn livetrade_enable_status_disable(db: &TestDb) {
    let app = TestApp::spawn(db, &[]).await;
    let cur = app.tg.call_count().await;
    app.tg.send_private(ALICE, "en", "/livetrade enable").await;
    let sent = app.tg.next_text_to(cur, ALICE).await;
    assert_eq!(text(&sent), Reply::LiveTradeEnabled { dry_run: true }.text(Lang::En));
    assert!(app.db.config(UserId(ALICE)).await.unwrap().trading_enabled);

    let cur = app.tg.call_count().await;
    app.tg.send_private(ALICE, "en", "/livetrade status").await;
    let sent = app.tg.next_text_to(cur, ALICE).await;
    let body = text(&sent);
    assert!(body.contains("Live trading: enabled"), "{body}");
    assert!(body.contains("Dry-run: on"), "{body}");
    assert!(body.contains("Realized PnL today: 0 SOL"), "{body}");
    assert!(body.contains("Exposure: 0 SOL in 0 open positions (limit 1 SOL)"), "{body}");
    assert!(body.contains(&quantbot::i18n::tr(Lang::En, "livetrade.global_dry_run", &[])), "{body}");
    assert_eq!(sent.body["reply_markup"]["inline_keyboard"][0][0]["callback_data"], json!("lt:off"));

    // The Disable button under the status works and re-renders the status.
    let cur = app.tg.call_count().await;
    let mid = sent.message_id();
    app.tg.press(ALICE, ALICE, mid, "lt:off").await;
    let edit = app.tg.wait_for(cur, "editMessageText", |_| true).await;
    app.tg.wait_for(cur, "answerCallbackQuery", |_| true).await;
    assert!(text(&edit).contains("Live trading: disabled"), "{}", text(&edit));
    assert!(!app.db.config(UserId(ALICE)).await.unwrap().trading_enabled);

    let cur = app.tg.call_count().await;
    app.tg.send_private(ALICE, "en", "/livetrade enable").await;
    app.tg.next_text_to(cur, ALICE).await;
    let cur = app.tg.call_count().await;
    app.tg.send_private(ALICE, "en", "/livetrade disable").await;
    let sent = app.tg.next_text_to(cur, ALICE).await;
    assert_eq!(text(&sent), Reply::LiveTradeDisabled.text(Lang::En));
    assert!(!app.db.config(UserId(ALICE)).await.unwrap().trading_enabled);

    for usage in ["/livetrade", "/livetrade dance"] {
        let cur = app.tg.call_count().await;
        app.tg.send_private(ALICE, "en", usage).await;
        let sent = app.tg.next_text_to(cur, ALICE).await;
        assert_eq!(text(&sent), Reply::LiveTradeUsage.text(Lang::En));
    }
    app.stop().await;
}
on_both_databases!(livetrade_enable_status_disable);

async fn livetrade_config_by_command_validates_and_persists(db: &TestDb) {
    let app = TestApp::spawn(db, &[]).await;
    let user = UserId(ALICE);

    let cur = app.tg.call_count().await;
    app.tg.send_private(ALICE, "en", "/livetrade config").await;
    let menu = app.tg.next_text_to(cur, ALICE).await;
    assert_eq!(text(&menu), Reply::ConfigMenu(Box::default()).text(Lang::En));
    let rows = menu.body["reply_markup"]["inline_keyboard"].as_array().cloned().unwrap_or_default();
    let buttons: usize = rows.iter().map(|r| r.as_array().map_or(0, Vec::len)).sum();
    assert_eq!(buttons, ConfigKey::ALL.len());

    // Good values are saved, one key at a time.
    let good = [
        ("max_position_sol", "0.25"),
        ("max_total_exposure_sol", "3"),
        ("slippage_bps", "300"),
        ("priority_fee", "250000"),
        ("daily_loss_limit_sol", "off"),
        ("max_open_positions", "7"),
        ("dry_run", "off"),
        ("stop_loss_pct", "12.5"),
        ("take_profit", "50:50,150:100"),
        ("trailing_stop", "10:5"),
    ];
    let mut expected = UserConfig::default();
    for (key, value) in good {
        let k = ConfigKey::parse(key).unwrap();
        expected = expected.set(k, value).unwrap();
        let cur = app.tg.call_count().await;
        app.tg.send_private(ALICE, "en", &format!("/livetrade config {key} {value}")).await;
        let sent = app.tg.next_text_to(cur, ALICE).await;
        assert_eq!(text(&sent), Reply::ConfigUpdated(k, Box::new(expected.clone())).text(Lang::En));
        assert_eq!(app.db.config(user).await.unwrap(), expected, "after {key}");
    }

    // Bad input: a localized reply that says what is allowed, and nothing changes.
    let bad: [(&str, Reply); 6] = [
        ("slippage_bps 0", Reply::ConfigInvalid { key: ConfigKey::SlippageBps, value: "0".into() }),
        ("slippage_bps lots", Reply::ConfigInvalid { key: ConfigKey::SlippageBps, value: "lots".into() }),
        ("dry_run perhaps", Reply::ConfigInvalid { key: ConfigKey::DryRun, value: "perhaps".into() }),
        ("leverage 100", Reply::ConfigUnknownKey { key: "leverage".into() }),
        ("max_total_exposure_sol 0.1", Reply::ConfigExposureBelowPosition),
        ("slippage_bps", Reply::ConfigMissingValue(ConfigKey::SlippageBps)),
    ];
    for (args, reply) in bad {
        let cur = app.tg.call_count().await;
        app.tg.send_private(ALICE, "en", &format!("/livetrade config {args}")).await;
        let sent = app.tg.next_text_to(cur, ALICE).await;
        assert_eq!(text(&sent), reply.text(Lang::En), "{args}");
        assert_eq!(app.db.config(user).await.unwrap(), expected, "{args} must change nothing");
    }
    let allowed = quantbot::i18n::tr(Lang::En, "config.allowed.slippage_bps", &[]);
    assert!(Reply::ConfigInvalid { key: ConfigKey::SlippageBps, value: "0".into() }.text(Lang::En).contains(&allowed));

    // Russian users get Russian refusals.
    let cur = app.tg.call_count().await;
    app.tg.send_private(ALICE, "en", "/language ru").await;
    app.tg.next_text_to(cur, ALICE).await;
    let cur = app.tg.call_count().await;
    app.tg.send_private(ALICE, "en", "/livetrade config slippage_bps 99999").await;
    let sent = app.tg.next_text_to(cur, ALICE).await;
    assert_eq!(text(&sent), Reply::ConfigInvalid { key: ConfigKey::SlippageBps, value: "99999".into() }.text(Lang::Ru));
    assert_eq!(app.db.config(user).await.unwrap(), expected);
    app.stop().await;
}
on_both_databases!(livetrade_config_by_command_validates_and_persists);

async fn livetrade_config_by_buttons_acts_only_for_the_owner(db: &TestDb) {
    let app = TestApp::spawn(db, &[]).await;
    let user = UserId(ALICE);
    let cur = app.tg.call_count().await;
    app.tg.send_private(ALICE, "en", "/livetrade config").await;
    let menu = app.tg.next_text_to(cur, ALICE).await;
    let mid = menu.message_id();

    let cur = app.tg.call_count().await;
    app.tg.press(ALICE, ALICE, mid, "cfg:k:dry_run").await;
    let pick = app.tg.wait_for(cur, "editMessageText", |_| true).await;
    app.tg.wait_for(cur, "answerCallbackQuery", |_| true).await;
    assert_eq!(text(&pick), Reply::ConfigPick(ConfigKey::DryRun, Box::default()).text(Lang::En));
    assert_eq!(pick.body["reply_markup"]["inline_keyboard"][0][1]["callback_data"], json!("cfg:s:dry_run:off"));

    let cur = app.tg.call_count().await;
    app.tg.press(ALICE, ALICE, mid, "cfg:s:dry_run:off").await;
    let ack = app.tg.wait_for(cur, "answerCallbackQuery", |_| true).await;
    let expected = UserConfig::default().set(ConfigKey::DryRun, "off").unwrap();
    assert_eq!(
        ack.body["text"].as_str().unwrap_or_default(),
        Reply::ConfigUpdated(ConfigKey::DryRun, Box::new(expected.clone())).text(Lang::En)
    );
    assert_eq!(app.db.config(user).await.unwrap(), expected);

    // Mallory presses a button on a message in Alice's chat (forged or replayed): refused.
    let cur = app.tg.call_count().await;
    app.tg.press(MALLORY, ALICE, mid, "cfg:s:dry_run:on").await;
    let ack = app.tg.wait_for(cur, "answerCallbackQuery", |_| true).await;
    assert_eq!(ack.body["text"].as_str().unwrap_or_default(), Reply::StaleButton.text(Lang::En));
    assert_eq!(app.db.config(user).await.unwrap(), expected);
    assert!(app.db.get(UserId(MALLORY)).await.unwrap().is_none(), "a foreign press must not even register the presser");

    // Forged data (a value that is not an offered preset) is refused too.
    let cur = app.tg.call_count().await;
    app.tg.press(ALICE, ALICE, mid, "cfg:s:slippage_bps:4999").await;
    let ack = app.tg.wait_for(cur, "answerCallbackQuery", |_| true).await;
    assert_eq!(ack.body["text"].as_str().unwrap_or_default(), Reply::StaleButton.text(Lang::En));
    assert_eq!(app.db.config(user).await.unwrap(), expected);

    // A preset that breaks a cross-key rule is refused with the reason.
    let cur = app.tg.call_count().await;
    app.tg.press(ALICE, ALICE, mid, "cfg:s:max_position_sol:1").await;
    app.tg.wait_for(cur, "answerCallbackQuery", |_| true).await;
    let expected = expected.set(ConfigKey::MaxPositionSol, "1").unwrap();
    assert_eq!(app.db.config(user).await.unwrap(), expected);
    let cur = app.tg.call_count().await;
    app.tg.press(ALICE, ALICE, mid, "cfg:s:max_total_exposure_sol:0.5").await;
    let ack = app.tg.wait_for(cur, "answerCallbackQuery", |_| true).await;
    assert_eq!(ack.body["text"].as_str().unwrap_or_default(), Reply::ConfigExposureBelowPosition.text(Lang::En));
    assert_eq!(app.db.config(user).await.unwrap(), expected);
    app.stop().await;
}
on_both_databases!(livetrade_config_by_buttons_acts_only_for_the_owner);

async fn livetrade_is_refused_in_groups_and_unknown_commands_get_help(db: &TestDb) {
    let app = TestApp::spawn(db, &[]).await;
    let group = -1_001_234_567_890;
    let cur = app.tg.call_count().await;
    app.tg.send_group(ALICE, group, "/livetrade enable").await;
    let sent = app.tg.next_text_to(cur, group).await;
    assert_eq!(text(&sent), Reply::PrivateOnly.text(Lang::En));
    assert!(!app.db.config(UserId(ALICE)).await.unwrap().trading_enabled);

    let cur = app.tg.call_count().await;
    app.tg.send_private(ALICE, "en", "/frobnicate").await;
    let sent = app.tg.next_text_to(cur, ALICE).await;
    assert_eq!(text(&sent), Reply::UnknownCommand.text(Lang::En));
    app.stop().await;
}
on_both_databases!(livetrade_is_refused_in_groups_and_unknown_commands_get_help);
