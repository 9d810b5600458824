//! /healthz and /metrics over real HTTP.

use crate::on_both_databases;
use crate::support::{TestApp, TestDb};

async fn healthz_and_metrics_report_the_running_bot(db: &TestDb) {
    let app = TestApp::spawn(db, &[]).await;
    let cur = app.tg.call_count().await;
    app.tg.send_private(42, "en", "/help").await;
    app.tg.next_text_to(cur, 42).await;

    let health = reqwest::get(format!("http://{}/healthz", app.ops)).await.unwrap();
    assert_eq!(health.status(), 200);
    let body: serde_json::Value = health.json().await.unwrap();
    assert_eq!(body["database"], true);
    assert_eq!(body["telegram_polling"], true);

    let metrics = reqwest::get(format!("http://{}/metrics", app.ops)).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("quantbot_updates_total{kind=\"message\"} 1"), "{metrics}");
    assert!(metrics.contains("quantbot_command_duration_seconds_count{command=\"help\"} 1"), "{metrics}");
    assert!(metrics.contains("quantbot_telegram_up 1"), "{metrics}");
    app.stop().await;
}
on_both_databases!(healthz_and_metrics_report_the_running_bot);
