//! Pictures through the fake Bot API, on both databases: the "PnL card" button under the
//! position view and under a sell notice sends a PNG (open, then closed trade), a double tap
//! sends one picture, someone else's position or a group chat gets none.

use quantbot::domain::lang::Lang;
use quantbot::i18n::tr;
use serde_json::json;

use crate::on_both_databases;
use crate::support::TestDb;
use crate::trading_commands::{
    ALICE, answer, buttons, notice, paper_buy, photo_file, prefix, press_with_id, say, setup,
};

const BOB: i64 = 5353;

async fn photos_since(app: &crate::support::TestApp, cursor: usize) -> Vec<crate::support::fake_telegram::Call> {
    app.tg.calls().await.into_iter().skip(cursor).filter(|c| c.method == "sendPhoto").collect()
}

async fn pnl_card_button_sends_one_picture_per_press(db: &TestDb) {
    let env = setup(db, false).await;
    let p = paper_buy(&env).await;
    let data = format!("pc:{}", p.id);

    // The position list / position view offers the PnL card button.
    let list = say(&env.app, "/positions").await;
    assert!(buttons(&list).contains(&data), "{:?}", buttons(&list));

    // A double tap (two presses, two callback ids) sends one picture of the open position.
    let cur = env.app.tg.call_count().await;
    press_with_id(&env.app, "tap1", ALICE, ALICE, list.message_id(), &data).await;
    press_with_id(&env.app, "tap2", ALICE, ALICE, list.message_id(), &data).await;
    answer(&env.app, cur, "tap1").await;
    answer(&env.app, cur, "tap2").await;
    let photo = env.app.tg.wait_for(cur, "sendPhoto", |b| b["chat_id"] == json!(ALICE)).await;
    let file = photo_file(&photo);
    assert_eq!(file["png"], json!(true), "{file}");
    assert_eq!((file["width"].clone(), file["height"].clone()), (json!(1000), json!(600)), "{file}");
    assert!(file["file_bytes"].as_u64().unwrap() > 10_000, "{file}");
    let caption = photo.body["caption"].as_str().unwrap();
    assert!(caption.starts_with(&prefix("pics.caption_open")), "{caption}");
    assert!(caption.contains(&format!("#{}", p.id)), "{caption}");
    // Time for a second picture to be rendered (debug build) and sent, were it made.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(photos_since(&env.app, cur).await.len(), 1, "a double tap sends one picture");

    // Someone else's position: no picture, a "not found".
    let cur = env.app.tg.call_count().await;
    press_with_id(&env.app, "bob1", BOB, BOB, list.message_id(), &data).await;
    answer(&env.app, cur, "bob1").await;
    let refused = env.app.tg.next_text_to(cur, BOB).await;
    assert!(crate::trading_commands::text(&refused).contains(&format!("#{}", p.id)));
    // In a group: refused, no picture (private data only in a private chat).
    env.app.tg.press(ALICE, -100_777, list.message_id(), &data).await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert!(photos_since(&env.app, cur).await.is_empty(), "no picture for Bob or the group");

    // Selling it all: the sell notice carries the button; it sends the closed trade's card.
    let cur = env.app.tg.call_count().await;
    say(&env.app, &format!("/sell #{} 100", p.id)).await;
    let sold = notice(&env.app, cur, &prefix("trade.sold")).await;
    assert!(buttons(&sold).contains(&data), "{:?}", buttons(&sold));
    let cur = env.app.tg.call_count().await;
    env.app.tg.press(ALICE, ALICE, sold.message_id(), &data).await;
    let closed = env.app.tg.wait_for(cur, "sendPhoto", |b| b["chat_id"] == json!(ALICE)).await;
    let caption = closed.body["caption"].as_str().unwrap();
    assert!(caption.starts_with(&prefix("pics.caption_closed")), "{caption}");
    assert_eq!(photo_file(&closed)["png"], json!(true));

    // A Chinese user gets a Chinese caption (labels inside the picture stay English).
    say(&env.app, "/language zh").await;
    let cur = env.app.tg.call_count().await;
    // Another message (the claim window of the first one may still run).
    env.app.tg.press(ALICE, ALICE, 999_999, &data).await;
    let zh = env.app.tg.wait_for(cur, "sendPhoto", |b| b["chat_id"] == json!(ALICE)).await;
    let want = tr(Lang::Zh, "pics.caption_closed", &[]).split("%{").next().unwrap().to_owned();
    assert!(zh.body["caption"].as_str().unwrap().starts_with(&want), "{}", zh.body["caption"]);
    env.app.stop().await;
}
on_both_databases!(pnl_card_button_sends_one_picture_per_press);
