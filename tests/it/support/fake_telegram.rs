//! A fake Telegram Bot API server on 127.0.0.1 (ephemeral port), real HTTP.
//!
//! It answers the methods the bot uses, records every call, long-polls `getUpdates` with offsets
//! and lets tests inject messages, callback queries and channel posts.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::{Mutex, Notify};

/// One recorded Bot API call.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub body: Value,
    /// The `result` the fake answered with.
    pub result: Value,
    /// Whether the fake accepted the call (not a 429, 403 or injected 5xx).
    pub ok: bool,
    /// When it arrived.
    pub at: tokio::time::Instant,
}

impl Call {
    /// The message id of a sent or edited message.
    pub fn message_id(&self) -> i64 {
        self.result["message_id"].as_i64().expect("call returned a message")
    }
}

#[derive(Default)]
struct Inner {
    updates: Vec<Value>,
    next_update_id: i64,
    next_message_id: i64,
    calls: Vec<Call>,
    limits: LimitState,
}

/// Optional Telegram limit enforcement (off unless a test turns it on): every message send or
/// edit is timed on arrival; exceeding the global rate (sliding 1 s window), the per-chat
/// interval or 20 messages a minute in a group is recorded as a violation and answered 429.
/// Chats can be marked blocked (403), a 429 can be injected (and any request during its retry
/// window is a violation), a share of requests can be answered 502, and sends can be held
/// unanswered after N deliveries (to kill a client mid-request).
#[derive(Default)]
struct LimitState {
    enforce: Option<(u32, Duration)>,
    group_window: std::collections::HashMap<i64, std::collections::VecDeque<tokio::time::Instant>>,
    /// Percent of outbox requests answered 502, and a counter that spreads them evenly.
    fail_pct: u64,
    fail_counter: u64,
    failed_total: usize,
    window: std::collections::VecDeque<tokio::time::Instant>,
    chat_last: std::collections::HashMap<i64, tokio::time::Instant>,
    violations: Vec<String>,
    blocked: std::collections::HashSet<i64>,
    inject_after: Option<(usize, u64)>,
    retry_window: Option<(tokio::time::Instant, tokio::time::Instant)>,
    /// Delay from each injected 429 to the next accepted send.
    retry_gaps: Vec<Duration>,
    hold_after: Option<usize>,
    delivered: std::collections::HashMap<i64, usize>,
    delivered_total: usize,
}

/// Methods that post or edit a message (limited by Telegram).
const SEND_METHODS: [&str; 7] = [
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "copyMessage",
    "editMessageText",
    "editMessageCaption",
    "editMessageReplyMarkup",
];
/// Every method the bot's outbox calls (a 429 window applies to all of them; 502s are injected
/// into all of them).
const OUTBOX_METHODS: [&str; 9] = [
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "copyMessage",
    "editMessageText",
    "editMessageCaption",
    "editMessageReplyMarkup",
    "answerCallbackQuery",
    "deleteMessage",
];

fn bad_gateway() -> Value {
    json!({"ok": false, "error_code": 502, "description": "Bad Gateway"})
}

enum Gate {
    Pass,
    Reject(Value),
    PassThenHold,
}

fn too_many(secs: u64) -> Value {
    json!({"ok": false, "error_code": 429, "description": format!("Too Many Requests: retry after {secs}"),
           "parameters": {"retry_after": secs}})
}

fn gate(l: &mut LimitState, method: &str, body: &Value) -> Gate {
    if !OUTBOX_METHODS.contains(&method) {
        return Gate::Pass;
    }
    let now = tokio::time::Instant::now();
    let chat = body["chat_id"].as_i64().unwrap_or(0);
    if let Some((from, to)) = l.retry_window {
        if now < to {
            // Requests already in flight when the 429 was answered may still arrive.
            if now > from + Duration::from_millis(100) {
                l.violations.push(format!("{method} to {chat} during retry_after"));
            }
            return Gate::Reject(too_many((to - now).as_secs() + 1));
        }
        if SEND_METHODS.contains(&method) {
            l.retry_gaps.push(now - from);
            l.retry_window = None;
        }
    }
    if l.fail_pct > 0 {
        l.fail_counter += 1;
        // Evenly spread: request n fails when the running share of failures is below the target.
        if (l.failed_total as u64) * 100 < l.fail_counter * l.fail_pct {
            l.failed_total += 1;
            return Gate::Reject(bad_gateway());
        }
    }
    if !SEND_METHODS.contains(&method) {
        return Gate::Pass;
    }
    let is_new = !method.starts_with("edit");
    if let Some((n, secs)) = l.inject_after.as_mut() {
        if *n == 0 {
            let secs = *secs;
            l.inject_after = None;
            l.retry_window = Some((now, now + Duration::from_secs(secs)));
            return Gate::Reject(too_many(secs));
        }
        *n -= 1;
    }
    if is_new && l.blocked.contains(&chat) {
        return Gate::Reject(
            json!({"ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}),
        );
    }
    if let Some((per_sec, interval)) = l.enforce {
        while l.window.front().is_some_and(|t| now - *t >= Duration::from_secs(1)) {
            l.window.pop_front();
        }
        let global = l.window.len() >= per_sec as usize;
        let per_chat = l.chat_last.get(&chat).is_some_and(|t| now - *t < interval);
        let group = l.group_window.entry(chat).or_default();
        while group.front().is_some_and(|t| now - *t >= Duration::from_secs(60)) {
            group.pop_front();
        }
        let per_group = chat < 0 && group.len() >= 20;
        if global || per_chat || per_group {
            let which = if global {
                "global rate"
            } else if per_chat {
                "per-chat interval"
            } else {
                "20 per minute in a group"
            };
            l.violations.push(format!("{method} to {chat}: {which} exceeded"));
            return Gate::Reject(too_many(1));
        }
        l.window.push_back(now);
        if chat < 0 {
            group.push_back(now);
        }
    }
    l.chat_last.insert(chat, now);
    if is_new {
        *l.delivered.entry(chat).or_default() += 1;
        l.delivered_total += 1;
        if l.hold_after.is_some_and(|n| l.delivered_total > n) {
            return Gate::PassThenHold;
        }
    }
    Gate::Pass
}

#[derive(Default)]
struct Shared {
    inner: Mutex<Inner>,
    new_update: Notify,
}

/// The running fake.
#[derive(Clone)]
pub struct FakeTelegram {
    pub url: String,
    shared: Arc<Shared>,
}

pub const BOT_ID: i64 = 7_000_000_001;

fn get_me() -> Value {
    let text = include_str!("../../fixtures/telegram/getMe.response.json");
    serde_json::from_str::<Value>(text).expect("fixture")["result"].clone()
}

impl FakeTelegram {
    pub async fn start() -> Self {
        let shared = Arc::new(Shared::default());
        {
            let mut inner = shared.inner.lock().await;
            inner.next_update_id = 1;
            inner.next_message_id = 1000;
        }
        let app = Router::new().route("/{token}/{method}", post(handle)).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind fake telegram");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url: format!("http://{addr}"), shared }
    }

    /// Queues a raw update (its `update_id` is assigned here).
    pub async fn push_update(&self, mut update: Value) -> i64 {
        let mut inner = self.shared.inner.lock().await;
        let id = inner.next_update_id;
        inner.next_update_id += 1;
        update["update_id"] = json!(id);
        inner.updates.push(update);
        drop(inner);
        self.shared.new_update.notify_waiters();
        id
    }

    async fn next_message_id(&self) -> i64 {
        let mut inner = self.shared.inner.lock().await;
        inner.next_message_id += 1;
        inner.next_message_id
    }

    /// A private text message from `user`.
    pub async fn send_private(&self, user: i64, lang: &str, text: &str) -> i64 {
        let mid = self.next_message_id().await;
        let mut msg = json!({
            "message_id": mid,
            "from": {"id": user, "is_bot": false, "first_name": format!("User{user}"), "username": format!("user{user}"), "language_code": lang},
            "chat": {"id": user, "type": "private", "first_name": format!("User{user}")},
            "date": 1_795_000_000,
            "text": text,
        });
        add_command_entity(&mut msg, text);
        self.push_update(json!({"message": msg})).await;
        mid
    }

    /// A text message from `user` in the group `chat`.
    pub async fn send_group(&self, user: i64, chat: i64, text: &str) -> i64 {
        let mid = self.next_message_id().await;
        let mut msg = json!({
            "message_id": mid,
            "from": {"id": user, "is_bot": false, "first_name": format!("User{user}"), "language_code": "en"},
            "chat": {"id": chat, "type": "supergroup", "title": "Traders"},
            "date": 1_795_000_000,
            "text": text,
        });
        add_command_entity(&mut msg, text);
        self.push_update(json!({"message": msg})).await;
        mid
    }

    /// A button press by `user` on message `message_id` in chat `chat`.
    pub async fn press(&self, user: i64, chat: i64, message_id: i64, data: &str) -> String {
        let id = format!("cb{}", self.next_message_id().await);
        let chat_obj = if chat > 0 {
            json!({"id": chat, "type": "private", "first_name": format!("User{chat}")})
        } else {
            json!({"id": chat, "type": "supergroup", "title": "Traders"})
        };
        self.push_update(json!({"callback_query": {
            "id": id,
            "from": {"id": user, "is_bot": false, "first_name": format!("User{user}"), "language_code": "en"},
            "message": {"message_id": message_id, "from": {"id": BOT_ID, "is_bot": true, "first_name": "Trade Bot", "username": "example_trade_bot"},
                        "chat": chat_obj, "date": 1_795_000_000, "text": "menu"},
            "chat_instance": "42",
            "data": data,
        }}))
        .await;
        id
    }

    /// All calls so far.
    pub async fn calls(&self) -> Vec<Call> {
        self.shared.inner.lock().await.calls.clone()
    }

    /// Number of calls so far (use as a cursor).
    pub async fn call_count(&self) -> usize {
        self.shared.inner.lock().await.calls.len()
    }

    /// Waits until an accepted call to `method` after `cursor` satisfies `pred`; panics after
    /// 10 s. Refused attempts (429, 403, injected 5xx) are skipped: they delivered nothing.
    pub async fn wait_for(&self, cursor: usize, method: &str, pred: impl Fn(&Value) -> bool) -> Call {
        self.wait_for_within(cursor, method, Duration::from_secs(10), pred).await
    }

    /// [`Self::wait_for`] with a custom deadline.
    pub async fn wait_for_within(
        &self,
        cursor: usize,
        method: &str,
        within: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Call {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            {
                let inner = self.shared.inner.lock().await;
                if let Some(c) = inner.calls.iter().skip(cursor).find(|c| c.ok && c.method == method && pred(&c.body)) {
                    return c.clone();
                }
            }
            if tokio::time::Instant::now() > deadline {
                let calls = self.calls().await;
                let seen: Vec<_> = calls.iter().skip(cursor).map(|c| format!("{} {}", c.method, c.body)).collect();
                panic!("no {method} call matched within {within:?}; calls after cursor: {seen:#?}");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Turns on limit enforcement: at most `per_sec` sends in any 1 s window, and at least
    /// `chat_interval` between two sends to one chat. Clears earlier timing state.
    pub async fn enforce_limits(&self, per_sec: u32, chat_interval: Duration) {
        let mut inner = self.shared.inner.lock().await;
        inner.limits.enforce = Some((per_sec, chat_interval));
        inner.limits.window.clear();
        inner.limits.chat_last.clear();
        inner.limits.group_window.clear();
    }

    /// Answers `pct` % of the bot's requests (sends, edits, callback answers, deletions) with
    /// 502 Bad Gateway, spread evenly; 0 turns it off.
    pub async fn fail_percent(&self, pct: u64) {
        let mut inner = self.shared.inner.lock().await;
        inner.limits.fail_pct = pct;
        inner.limits.fail_counter = 0;
        inner.limits.failed_total = 0;
    }

    /// How many requests were answered with an injected 502.
    pub async fn failed_total(&self) -> usize {
        self.shared.inner.lock().await.limits.failed_total
    }

    /// Every new message to `chat` is answered 403 "bot was blocked by the user".
    pub async fn block_chat(&self, chat: i64) {
        self.shared.inner.lock().await.limits.blocked.insert(chat);
    }

    /// Lets `after` more sends through, then answers the next one 429 with `retry_after = secs`;
    /// any send during the following `secs` seconds is a violation.
    pub async fn inject_retry_after(&self, after: usize, secs: u64) {
        self.shared.inner.lock().await.limits.inject_after = Some((after, secs));
    }

    /// For each injected 429: how long until the next accepted send.
    pub async fn retry_gaps(&self) -> Vec<Duration> {
        self.shared.inner.lock().await.limits.retry_gaps.clone()
    }

    /// Once `n` messages were delivered in total, later deliveries are recorded but never answered.
    #[allow(dead_code)] // used by tests/broadcast_kill.rs
    pub async fn hold_sends_after(&self, n: usize) {
        self.shared.inner.lock().await.limits.hold_after = Some(n);
    }

    /// Limit violations so far.
    pub async fn violations(&self) -> Vec<String> {
        self.shared.inner.lock().await.limits.violations.clone()
    }

    /// Accepted new messages per chat (edits excluded).
    pub async fn deliveries(&self) -> std::collections::HashMap<i64, usize> {
        self.shared.inner.lock().await.limits.delivered.clone()
    }

    /// Accepted new messages in total (edits excluded).
    #[allow(dead_code)] // used by tests/broadcast_kill.rs
    pub async fn delivered_total(&self) -> usize {
        self.shared.inner.lock().await.limits.delivered_total
    }

    /// Waits for the next `sendMessage` to `chat` after `cursor` and returns its text.
    pub async fn next_text_to(&self, cursor: usize, chat: i64) -> Call {
        self.wait_for(cursor, "sendMessage", |b| b["chat_id"] == json!(chat)).await
    }
}

fn add_command_entity(msg: &mut Value, text: &str) {
    if text.starts_with('/') {
        let len = text.split_whitespace().next().map_or(0, |c| c.encode_utf16().count());
        msg["entities"] = json!([{"type": "bot_command", "offset": 0, "length": len}]);
    }
}

async fn parse_body(req: Request) -> Value {
    let is_multipart = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if is_multipart {
        let mut out = serde_json::Map::new();
        if let Ok(mut mp) = Multipart::from_request(req, &()).await {
            while let Ok(Some(field)) = mp.next_field().await {
                let name = field.name().unwrap_or("").to_owned();
                let is_file = field.file_name().is_some();
                let data = field.bytes().await.unwrap_or_default();
                let value = if is_file {
                    let png = data.starts_with(b"\x89PNG\r\n\x1a\n") && data.get(12..16) == Some(&b"IHDR"[..]);
                    let be = |r: std::ops::Range<usize>| data.get(r).and_then(|b| <[u8; 4]>::try_from(b).ok());
                    let (width, height) = match (png, be(16..20), be(20..24)) {
                        (true, Some(w), Some(h)) => (json!(u32::from_be_bytes(w)), json!(u32::from_be_bytes(h))),
                        _ => (Value::Null, Value::Null),
                    };
                    json!({"file_bytes": data.len(), "png": png, "width": width, "height": height})
                } else {
                    let text = String::from_utf8_lossy(&data).into_owned();
                    serde_json::from_str(&text).unwrap_or(Value::String(text))
                };
                out.insert(name, value);
            }
        }
        return Value::Object(out);
    }
    let bytes = Bytes::from_request(req, &()).await.unwrap_or_default();
    serde_json::from_slice(&bytes).unwrap_or(json!({}))
}

fn ok(result: Value) -> Value {
    json!({"ok": true, "result": result})
}

fn chat_for(id: &Value) -> Value {
    let id = id.as_i64().unwrap_or(0);
    if id > 0 {
        json!({"id": id, "type": "private", "first_name": format!("User{id}")})
    } else {
        json!({"id": id, "type": "supergroup", "title": "Traders"})
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    Path((token, method)): Path<(String, String)>,
    req: Request,
) -> axum::Json<Value> {
    if !token.starts_with("bot") {
        return axum::Json(json!({"ok": false, "error_code": 404, "description": "Not Found"}));
    }
    // The Bot API treats method names case-insensitively (teloxide sends `GetMe`); normalise to
    // the documented lowerCamelCase.
    let method = canonical(&method);
    let body = parse_body(req).await;
    let gated = gate(&mut shared.inner.lock().await.limits, &method, &body);
    let hold = matches!(gated, Gate::PassThenHold);
    let reply = match gated {
        Gate::Reject(error) => error,
        Gate::Pass | Gate::PassThenHold => respond(&shared, &method, &body).await,
    };
    if method != "getUpdates" {
        let result = reply["result"].clone();
        let ok = reply["ok"].as_bool().unwrap_or(false);
        let at = tokio::time::Instant::now();
        shared.inner.lock().await.calls.push(Call { method, body, result, ok, at });
    }
    if hold {
        // Delivered, but the client never hears back (it gets killed mid-request).
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    axum::Json(reply)
}

async fn respond(shared: &Shared, method: &str, body: &Value) -> Value {
    match method {
        "getMe" => ok(get_me()),
        "getUpdates" => {
            let offset = body["offset"].as_i64().unwrap_or(0);
            let timeout = body["timeout"].as_u64().unwrap_or(0).min(1);
            let deadline = tokio::time::Instant::now() + Duration::from_millis(timeout * 500 + 1);
            loop {
                let notified = shared.new_update.notified();
                {
                    let mut inner = shared.inner.lock().await;
                    inner.updates.retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
                    if !inner.updates.is_empty() {
                        return ok(Value::Array(inner.updates.clone()));
                    }
                }
                if tokio::time::timeout_at(deadline, notified).await.is_err() {
                    return ok(json!([]));
                }
            }
        }
        "sendMessage" | "sendPhoto" | "sendDocument" | "editMessageText" | "editMessageReplyMarkup" => {
            let message_id = match body["message_id"].as_i64() {
                Some(id) => id,
                None => {
                    let mut inner = shared.inner.lock().await;
                    inner.next_message_id += 1;
                    inner.next_message_id
                }
            };
            let mut msg = json!({
                "message_id": message_id,
                "from": {"id": BOT_ID, "is_bot": true, "first_name": "Trade Bot", "username": "example_trade_bot"},
                "chat": chat_for(&body["chat_id"]),
                "date": 1_795_000_000,
            });
            if let Some(text) = body.get("text") {
                msg["text"] = text.clone();
            }
            if let Some(markup) = body.get("reply_markup") {
                msg["reply_markup"] = markup.clone();
            }
            ok(msg)
        }
        "copyMessage" => {
            let mut inner = shared.inner.lock().await;
            inner.next_message_id += 1;
            ok(json!({"message_id": inner.next_message_id}))
        }
        "answerCallbackQuery" | "deleteMessage" | "setMyCommands" | "deleteWebhook" | "setWebhook" => ok(json!(true)),
        "getWebhookInfo" => ok(json!({"url": "", "has_custom_certificate": false, "pending_update_count": 0})),
        _ => json!({"ok": false, "error_code": 404, "description": "Not Found: method not found"}),
    }
}

fn canonical(method: &str) -> String {
    const KNOWN: [&str; 16] = [
        "copyMessage",
        "editMessageCaption",
        "getMe",
        "getUpdates",
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "editMessageText",
        "editMessageReplyMarkup",
        "answerCallbackQuery",
        "deleteMessage",
        "setMyCommands",
        "deleteWebhook",
        "setWebhook",
        "getWebhookInfo",
        "close",
    ];
    KNOWN.iter().find(|k| k.eq_ignore_ascii_case(method)).map_or_else(|| method.to_owned(), |k| (*k).to_owned())
}
