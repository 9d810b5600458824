//! Solana PubSub over one WebSocket (Helius `wss://…/?api-key=` or any RPC's ws URL):
//! `logsSubscribe {mentions: [wallet]}` per watched wallet, a ping every `ping_every` (Helius
//! drops idle sockets after 10 minutes; two missed intervals = dead), reconnect with capped
//! exponential backoff and jitter, and a resubscription of every wallet on each connection.
//!
//! Talks to the WebSocket only; never calls RPC and never signs. The reader forwards each
//! notification into a bounded channel and awaits nothing else, so a slow consumer slows the
//! socket (TCP back-pressure) instead of losing messages. After every (re)subscription it sends
//! [`WsEvent::Subscribed`]: the consumer backfills from its cursors then, so a gap is never lost.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use solana_pubkey::Pubkey;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

/// Connection tunables.
#[derive(Debug, Clone)]
pub struct WsSettings {
    /// `wss://` URL (may hold an API key: never logged).
    pub url: SecretString,
    /// WebSocket ping interval.
    pub ping_every: Duration,
    /// First reconnect delay.
    pub backoff_min: Duration,
    /// Largest reconnect delay.
    pub backoff_max: Duration,
}

impl WsSettings {
    /// Defaults for `url`: ping every 30 s, backoff 0.5 s → 30 s.
    pub fn new(url: SecretString) -> Self {
        Self {
            url,
            ping_every: Duration::from_secs(30),
            backoff_min: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
        }
    }
}

/// What the watcher hears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsEvent {
    /// Every wallet of the set was subscribed on connection number `connection` (1-based):
    /// backfill now.
    Subscribed {
        /// Connections made so far.
        connection: u64,
    },
    /// A confirmed transaction mentioning `wallet`.
    Logs {
        /// The watched wallet.
        wallet: Pubkey,
        /// Its signature (base58).
        signature: String,
        /// It landed and failed.
        failed: bool,
    },
    /// The connection dropped; a reconnect follows.
    Disconnected,
}

/// Runs until `stop` turns true or the consumer is gone: connect, subscribe `wallets` (and
/// follow changes of the set), forward notifications, reconnect on any failure.
pub async fn run(
    settings: WsSettings,
    mut wallets: watch::Receiver<BTreeSet<Pubkey>>,
    out: mpsc::Sender<WsEvent>,
    mut stop: watch::Receiver<bool>,
) {
    let mut delay = settings.backoff_min;
    let mut connection = 0u64;
    loop {
        if *stop.borrow() || out.is_closed() {
            return;
        }
        // No socket while nobody is watched (no credits, no idle connection).
        tokio::select! {
            r = wallets.wait_for(|w| !w.is_empty()) => if r.is_err() { return },
            _ = stop.changed() => return,
        }
        connection += 1;
        let ended = session(&settings, connection, &mut wallets, &out, &mut stop).await;
        match ended {
            Ended::Stopped => return,
            Ended::Failed { subscribed, reason } => {
                tracing::warn!(connection, reason, "wallet watcher socket lost; reconnecting");
                if out.send(WsEvent::Disconnected).await.is_err() {
                    return;
                }
                if subscribed {
                    delay = settings.backoff_min;
                }
            }
        }
        let jitter = Duration::from_millis(rand::random::<u64>() % (delay.as_millis() as u64 / 4 + 1));
        tokio::select! {
            () = tokio::time::sleep(delay + jitter) => {}
            _ = stop.changed() => return,
        }
        delay = (delay * 2).min(settings.backoff_max);
    }
}

enum Ended {
    Stopped,
    Failed { subscribed: bool, reason: String },
}

/// Per-connection subscription bookkeeping (ids do not survive a reconnect).
#[derive(Default)]
struct Subs {
    next_id: u64,
    /// Request id → wallet (subscribe requests in flight).
    pending: HashMap<u64, Pubkey>,
    /// Subscription id → wallet.
    by_sub: HashMap<u64, Pubkey>,
    /// Wallet → subscription id.
    by_wallet: HashMap<Pubkey, u64>,
    /// Wallets the set holds now.
    wanted: BTreeSet<Pubkey>,
}

impl Subs {
    fn subscribe(&mut self, wallet: Pubkey) -> Message {
        self.next_id += 1;
        self.pending.insert(self.next_id, wallet);
        let req = json!({"jsonrpc": "2.0", "id": self.next_id, "method": "logsSubscribe",
            "params": [{"mentions": [wallet.to_string()]}, {"commitment": "confirmed"}]});
        Message::Text(req.to_string().into())
    }

    fn unsubscribe(&mut self, wallet: &Pubkey) -> Option<Message> {
        let sub = self.by_wallet.remove(wallet)?;
        self.by_sub.remove(&sub);
        self.next_id += 1;
        let req = json!({"jsonrpc": "2.0", "id": self.next_id, "method": "logsUnsubscribe", "params": [sub]});
        Some(Message::Text(req.to_string().into()))
    }

    /// A reply or a notification; returns the event to forward, if any.
    fn on_text(&mut self, text: &str) -> Option<WsEvent> {
        let v: Value = serde_json::from_str(text).ok()?;
        if let Some(id) = v["id"].as_u64() {
            let wallet = self.pending.remove(&id)?;
            match v["result"].as_u64() {
                Some(sub) if self.wanted.contains(&wallet) => {
                    self.by_sub.insert(sub, wallet);
                    self.by_wallet.insert(wallet, sub);
                }
                Some(_) => {}
                None => tracing::warn!(%wallet, error = %v["error"], "logsSubscribe refused"),
            }
            return None;
        }
        if v["method"] != "logsNotification" {
            return None;
        }
        let params = &v["params"];
        let wallet = *self.by_sub.get(&params["subscription"].as_u64()?)?;
        let value = &params["result"]["value"];
        let signature = value["signature"].as_str()?.to_owned();
        Some(WsEvent::Logs { wallet, signature, failed: !value["err"].is_null() })
    }
}

async fn session(
    settings: &WsSettings,
    connection: u64,
    wallets: &mut watch::Receiver<BTreeSet<Pubkey>>,
    out: &mpsc::Sender<WsEvent>,
    stop: &mut watch::Receiver<bool>,
) -> Ended {
    let failed = |subscribed: bool, reason: String| Ended::Failed { subscribed, reason };
    let connect = tokio_tungstenite::connect_async_with_config(settings.url.expose_secret(), None, true);
    let socket = tokio::select! {
        r = tokio::time::timeout(Duration::from_secs(10), connect) => match r {
            Ok(Ok((socket, _))) => socket,
            // The error text of a failed connect names no URL parts beyond the host.
            Ok(Err(e)) => return failed(false, format!("connect: {}", redact(&e.to_string()))),
            Err(_) => return failed(false, "connect timed out".to_owned()),
        },
        _ = stop.changed() => return Ended::Stopped,
    };
    let (mut sink, mut stream) = socket.split();
    let mut subs = Subs { wanted: wallets.borrow_and_update().clone(), ..Subs::default() };
    for w in subs.wanted.clone() {
        let msg = subs.subscribe(w);
        if let Err(e) = sink.send(msg).await {
            return failed(false, format!("subscribe: {e}"));
        }
    }
    let mut announced = false;
    let mut ping = tokio::time::interval(settings.ping_every);
    ping.tick().await;
    let mut last_heard = Instant::now();
    loop {
        if !announced && subs.pending.is_empty() {
            announced = true;
            if out.send(WsEvent::Subscribed { connection }).await.is_err() {
                return Ended::Stopped;
            }
        }
        tokio::select! {
            msg = stream.next() => {
                last_heard = Instant::now();
                match msg {
                    Some(Ok(Message::Text(text))) => {
                        if let Some(event) = subs.on_text(text.as_str())
                            && out.send(event).await.is_err()
                        {
                            return Ended::Stopped;
                        }
                    }
                    Some(Ok(Message::Ping(data))) => {
                        if let Err(e) = sink.send(Message::Pong(data)).await {
                            return failed(announced, format!("pong: {e}"));
                        }
                    }
                    Some(Ok(Message::Close(_))) | None => return failed(announced, "closed by the server".to_owned()),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return failed(announced, format!("read: {e}")),
                }
            }
            _ = ping.tick() => {
                if last_heard.elapsed() > settings.ping_every * 2 {
                    return failed(announced, "no answer to two pings".to_owned());
                }
                if let Err(e) = sink.send(Message::Ping(Vec::new().into())).await {
                    return failed(announced, format!("ping: {e}"));
                }
            }
            changed = wallets.changed() => {
                if changed.is_err() {
                    return Ended::Stopped;
                }
                let next = wallets.borrow_and_update().clone();
                let mut msgs = Vec::new();
                for gone in subs.wanted.difference(&next).copied().collect::<Vec<_>>() {
                    msgs.extend(subs.unsubscribe(&gone));
                }
                let added: Vec<Pubkey> = next.difference(&subs.wanted).copied().collect();
                subs.wanted = next;
                for w in added {
                    msgs.push(subs.subscribe(w));
                }
                for m in msgs {
                    if let Err(e) = sink.send(m).await {
                        return failed(announced, format!("resubscribe: {e}"));
                    }
                }
            }
            _ = stop.changed() => {
                let _ = sink.send(Message::Close(None)).await;
                return Ended::Stopped;
            }
        }
    }
}

/// Drops a query string (an `api-key=`) from an error text.
fn redact(text: &str) -> String {
    match text.find('?') {
        Some(i) => format!("{}?…", &text[..i]),
        None => text.to_owned(),
    }
}

/// The WebSocket URL for an RPC URL: `https` → `wss`, `http` → `ws`, same host, path and query
/// (Helius serves both on one host).
pub fn ws_url_for(rpc: &str) -> Option<String> {
    if let Some(rest) = rpc.strip_prefix("https://") {
        Some(format!("wss://{rest}"))
    } else {
        rpc.strip_prefix("http://").map(|rest| format!("ws://{rest}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ws_url_is_derived_from_the_rpc_url() {
        assert_eq!(
            ws_url_for("https://mainnet.helius-rpc.com/?api-key=k").as_deref(),
            Some("wss://mainnet.helius-rpc.com/?api-key=k")
        );
        assert_eq!(ws_url_for("http://127.0.0.1:9/rpc/0").as_deref(), Some("ws://127.0.0.1:9/rpc/0"));
        assert_eq!(ws_url_for("ftp://x"), None);
    }

    #[test]
    fn notifications_map_to_their_wallet_and_replies_to_subscriptions() {
        let w = Pubkey::new_unique();
        let mut subs = Subs { wanted: [w].into_iter().collect(), ..Subs::default() };
        let _ = subs.subscribe(w);
        assert_eq!(subs.on_text(r#"{"jsonrpc":"2.0","id":1,"result":77}"#), None);
        let note = r#"{"jsonrpc":"2.0","method":"logsNotification","params":{"result":{"context":{"slot":5},
            "value":{"signature":"abc","err":null,"logs":[]}},"subscription":77}}"#;
        assert_eq!(subs.on_text(note), Some(WsEvent::Logs { wallet: w, signature: "abc".to_owned(), failed: false }));
        // Unknown subscription ids (a stale one after an unsubscribe) and junk are ignored.
        assert_eq!(subs.on_text(&note.replace("77}", "78}")), None);
        assert_eq!(subs.on_text("not json"), None);
        assert!(subs.unsubscribe(&w).is_some());
        assert_eq!(subs.on_text(note), None);
    }
}
