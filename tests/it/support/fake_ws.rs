//! A fake Solana PubSub WebSocket on 127.0.0.1 (ephemeral port, TCP_NODELAY): answers
//! `logsSubscribe {mentions: [wallet]}` / `logsUnsubscribe` with per-connection subscription
//! ids, pushes `logsNotification`s for a wallet on demand (shapes from
//! shared/reference/ws/solana-ws.exchanges.json), answers pings, and can drop every connection
//! and refuse new ones (a provider outage).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use solana_pubkey::Pubkey;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

#[derive(Default)]
struct State {
    accepting: bool,
    next_sub: u64,
    next_conn: u64,
    /// Connection id → its outgoing queue.
    conns: HashMap<u64, mpsc::UnboundedSender<Option<Message>>>,
    /// Wallet → (connection id, subscription id).
    subs: HashMap<Pubkey, Vec<(u64, u64)>>,
    connections_made: u64,
}

/// The running fake.
#[derive(Clone)]
pub struct FakeWs {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl FakeWs {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind fake ws");
        let url = format!("ws://{}", listener.local_addr().expect("addr"));
        let state = Arc::new(Mutex::new(State { accepting: true, ..State::default() }));
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                if !shared.lock().unwrap().accepting {
                    drop(stream);
                    continue;
                }
                tokio::spawn(serve(shared.clone(), stream));
            }
        });
        Self { url, state }
    }

    /// Pushes a `logsNotification` for `wallet` to every subscription of it; returns how many.
    pub fn notify(&self, wallet: &Pubkey, signature: &str) -> usize {
        let s = self.state.lock().unwrap();
        let mut sent = 0;
        for (conn, sub) in s.subs.get(wallet).into_iter().flatten() {
            let note = json!({"jsonrpc": "2.0", "method": "logsNotification", "params": {
                "result": {"context": {"slot": 5_208_469}, "value": {"signature": signature, "err": null,
                    "logs": ["Program 6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P invoke [1]",
                             "Program log: Instruction: Buy",
                             "Program 6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P success"]}},
                "subscription": sub}});
            if let Some(tx) = s.conns.get(conn)
                && tx.send(Some(Message::Text(note.to_string().into()))).is_ok()
            {
                sent += 1;
            }
        }
        sent
    }

    /// Drops every connection and, with `accept = false`, refuses new ones until allowed again.
    pub fn outage(&self, accept: bool) {
        let mut s = self.state.lock().unwrap();
        s.accepting = accept;
        for (_, tx) in s.conns.drain() {
            let _ = tx.send(None);
        }
        s.subs.clear();
    }

    pub fn accept(&self, accept: bool) {
        self.state.lock().unwrap().accepting = accept;
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.state.lock().unwrap().connections_made
    }

    /// Waits until `wallet` has a live subscription (up to 10 s).
    pub async fn wait_subscribed(&self, wallet: &Pubkey) {
        for _ in 0..1_000 {
            if self.state.lock().unwrap().subs.get(wallet).is_some_and(|v| !v.is_empty()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("{wallet} was never subscribed");
    }
}

async fn serve(state: Arc<Mutex<State>>, stream: tokio::net::TcpStream) {
    let Ok(socket) = tokio_tungstenite::accept_async(stream).await else { return };
    let (mut sink, mut source) = socket.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Option<Message>>();
    let conn = {
        let mut s = state.lock().unwrap();
        s.next_conn += 1;
        s.connections_made += 1;
        let id = s.next_conn;
        s.conns.insert(id, tx.clone());
        id
    };
    let writer = tokio::spawn(async move {
        while let Some(msg) = rx.recv().await {
            let Some(msg) = msg else {
                let _ = sink.close().await;
                return;
            };
            if sink.send(msg).await.is_err() {
                return;
            }
        }
    });
    while let Some(Ok(msg)) = source.next().await {
        match msg {
            Message::Text(text) => {
                let Ok(v) = serde_json::from_str::<Value>(text.as_str()) else { continue };
                let answer = {
                    let mut s = state.lock().unwrap();
                    if !s.conns.contains_key(&conn) {
                        break;
                    }
                    answer(&mut s, conn, &v)
                };
                if tx.send(Some(Message::Text(answer.to_string().into()))).is_err() {
                    break;
                }
            }
            Message::Ping(data) => {
                let _ = tx.send(Some(Message::Pong(data)));
            }
            Message::Close(_) => break,
            _ => {}
        }
    }
    let mut s = state.lock().unwrap();
    s.conns.remove(&conn);
    for list in s.subs.values_mut() {
        list.retain(|(c, _)| *c != conn);
    }
    writer.abort();
}

fn answer(s: &mut State, conn: u64, v: &Value) -> Value {
    let id = v["id"].clone();
    match v["method"].as_str() {
        Some("logsSubscribe") => {
            let mentions = v["params"][0]["mentions"].as_array();
            let wallet = match mentions {
                Some(list) if list.len() == 1 => list[0].as_str().and_then(|t| t.parse::<Pubkey>().ok()),
                _ => None,
            };
            let Some(wallet) = wallet else {
                return json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32602, "message": "Invalid params"}});
            };
            s.next_sub += 1;
            let sub = s.next_sub;
            s.subs.entry(wallet).or_default().push((conn, sub));
            json!({"jsonrpc": "2.0", "id": id, "result": sub})
        }
        Some("logsUnsubscribe") => {
            let sub = v["params"][0].as_u64();
            for list in s.subs.values_mut() {
                list.retain(|(c, k)| !(*c == conn && Some(*k) == sub));
            }
            json!({"jsonrpc": "2.0", "id": id, "result": true})
        }
        _ => json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "Method not found"}}),
    }
}
