//! The outbox: the one paced, retrying queue every Bot API send, edit, delete, photo, callback
//! answer and copy goes through (command replies, button answers, trade notices, admin notices,
//! broadcasts). One task owns a [`schedule::Scheduler`] and hands requests to short-lived send
//! tasks; their results come back as feedback (pause, retry).
//!
//! - Limits: one global budget under Telegram's ≈30 messages/s, ≈1/s per private chat and
//!   20/min per group, fair across chats, with priorities (see [`schedule`]).
//! - 429: every request waits for exactly `retry_after` from the moment it was answered (a
//!   global pause); the refused request is retried first.
//! - 5xx and network errors: retried with exponential backoff and jitter (up to
//!   [`MAX_ATTEMPTS`]); a timeout after sending (maybe delivered) is retried only for requests
//!   marked [`Retry::Always`].
//! - 403 (blocked, deactivated, kicked): the user is marked inactive.
//!
//! Callers either fire and forget ([`Outbox::send`]) or wait for the outcome
//! ([`Outbox::send_and_wait`], e.g. to learn a message id). Durable notices are in
//! [`notices`].

pub mod notices;
pub mod schedule;

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use teloxide::prelude::*;
use teloxide::types::{
    CallbackQueryId, ChatId, InlineKeyboardMarkup, InputFile, MessageEntity, MessageId, ParseMode, Recipient,
    ReplyMarkup,
};
use teloxide::{ApiError, RequestError};
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::time::Instant;

pub use schedule::{Limits, Next, Pacing, Priority, Scheduler};

use crate::domain::user::UserId;
use crate::ports::admin::AdminRepo;
use crate::telemetry::{Liveness, Metrics};

/// Attempts for a request that keeps failing with 5xx or network errors.
pub const MAX_ATTEMPTS: u32 = 10;
/// Requests in flight at once.
const MAX_IN_FLIGHT: usize = 64;

/// One Bot API call.
#[derive(Debug, Clone)]
pub enum Request {
    /// `sendMessage`.
    Text {
        /// Text.
        text: String,
        /// Inline keyboard or force-reply.
        markup: Option<ReplyMarkup>,
        /// `protect_content` (exported keys).
        protect: bool,
        /// Formatting entities (broadcast text).
        entities: Vec<MessageEntity>,
    },
    /// `editMessageText`.
    Edit {
        /// Message.
        message_id: i32,
        /// New text.
        text: String,
        /// New keyboard.
        keyboard: Option<InlineKeyboardMarkup>,
    },
    /// `editMessageReplyMarkup` (`None` removes the keyboard).
    EditMarkup {
        /// Message.
        message_id: i32,
        /// New keyboard.
        keyboard: Option<InlineKeyboardMarkup>,
    },
    /// `deleteMessage`.
    Delete {
        /// Message.
        message_id: i32,
    },
    /// `sendPhoto` of an in-memory PNG.
    Photo {
        /// PNG bytes.
        png: Arc<Vec<u8>>,
        /// File name.
        file_name: &'static str,
        /// Caption.
        caption: String,
    },
    /// `answerCallbackQuery` (toast text is cut to 200 characters).
    Answer {
        /// The query.
        query_id: String,
        /// Toast.
        text: Option<String>,
    },
    /// `copyMessage` from another chat.
    Copy {
        /// Source chat.
        from_chat: i64,
        /// Source message.
        message_id: i32,
    },
    /// `getChat` of a public `@username` (resolving an alert source).
    GetChat {
        /// The username without `@`.
        username: String,
    },
    /// `sendMessage` in HTML parse mode (the text is escaped by its renderer).
    Html {
        /// HTML text.
        text: String,
        /// Inline keyboard or force-reply.
        markup: Option<ReplyMarkup>,
    },
    /// `editMessageText` in HTML parse mode.
    EditHtml {
        /// Message.
        message_id: i32,
        /// New HTML text.
        text: String,
        /// New keyboard.
        keyboard: Option<InlineKeyboardMarkup>,
    },
}

impl Request {
    /// A plain text message with an optional inline keyboard.
    pub fn text(text: impl Into<String>, keyboard: Option<InlineKeyboardMarkup>) -> Self {
        Self::Text {
            text: text.into(),
            markup: keyboard.map(ReplyMarkup::InlineKeyboard),
            protect: false,
            entities: vec![],
        }
    }

    fn method(&self) -> &'static str {
        match self {
            Self::Text { .. } | Self::Html { .. } => "sendMessage",
            Self::Edit { .. } | Self::EditHtml { .. } => "editMessageText",
            Self::EditMarkup { .. } => "editMessageReplyMarkup",
            Self::Delete { .. } => "deleteMessage",
            Self::Photo { .. } => "sendPhoto",
            Self::Answer { .. } => "answerCallbackQuery",
            Self::Copy { .. } => "copyMessage",
            Self::GetChat { .. } => "getChat",
        }
    }

    fn pacing(&self, chat: i64) -> Pacing {
        match self {
            Self::Answer { .. } | Self::Delete { .. } | Self::GetChat { .. } => Pacing::Unpaced,
            _ => Pacing::of_chat(chat),
        }
    }
}

/// When a failed request is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// 429, 5xx, network errors and timeouts (a duplicate is better than a lost message).
    Always,
    /// 429, 5xx and errors before the request reached Telegram; never after a timeout.
    SafeOnly,
    /// Never; the caller gets the failure (it keeps its own delivery state). 429 still pauses
    /// everything.
    Never,
}

/// A successful call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    /// Telegram accepted it; the message id for sends, copies and edits.
    Ok(Option<i32>),
    /// The chat id a `getChat` resolved.
    Chat(i64),
    /// The claim refused it (e.g. a cancelled broadcast); nothing was sent.
    Skipped,
}

/// A failed call, sorted by what the caller does next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// 429 (only for [`Retry::Never`]; the outbox is paused for this long).
    #[error("too many requests: retry after {0:?}")]
    RetryAfter(Duration),
    /// The user blocked the bot, was deactivated, or the chat is gone.
    #[error("recipient unreachable")]
    Blocked,
    /// Telegram refused the request (4xx).
    #[error("rejected: {0}")]
    Rejected(String),
    /// 5xx or a network error before Telegram processed it, out of attempts.
    #[error("transient: {0}")]
    Transient(String),
    /// A timeout or unreadable answer: it may have been delivered.
    #[error("ambiguous: {0}")]
    Ambiguous(String),
    /// The outbox stopped.
    #[error("outbox stopped")]
    Stopped,
}

/// Runs right before the request is sent; `false` skips it (e.g. claims a broadcast delivery).
pub type Claim = Box<dyn FnOnce() -> BoxFuture<'static, bool> + Send>;
/// Runs once with the final outcome (e.g. marks a stored notice delivered).
pub type OnDone = Box<dyn FnOnce(&Result<Delivered, SendError>) -> BoxFuture<'static, ()> + Send>;

/// A queued request with its delivery options.
pub struct Envelope {
    /// Target chat.
    pub chat: i64,
    /// The call.
    pub request: Request,
    /// Urgency.
    pub priority: Priority,
    /// Retry policy.
    pub retry: Retry,
    /// The user behind the chat (marked inactive on 403).
    pub user: Option<UserId>,
    /// Runs right before sending.
    pub claim: Option<Claim>,
    /// Runs with the outcome.
    pub on_done: Option<OnDone>,
    done: Option<oneshot::Sender<Result<Delivered, SendError>>>,
    attempts: u32,
}

impl std::fmt::Debug for Envelope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Envelope")
            .field("chat", &self.chat)
            .field("method", &self.request.method())
            .field("priority", &self.priority)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

impl Envelope {
    /// A request to `chat` at `priority`, retried on every transient failure.
    pub fn new(chat: i64, priority: Priority, request: Request) -> Self {
        Self {
            chat,
            request,
            priority,
            retry: Retry::Always,
            user: None,
            claim: None,
            on_done: None,
            done: None,
            attempts: 0,
        }
    }

    /// Sets the retry policy.
    #[must_use]
    pub fn retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    /// Names the user behind the chat (marked inactive when Telegram says they blocked the bot).
    #[must_use]
    pub fn user(mut self, user: UserId) -> Self {
        self.user = Some(user);
        self
    }

    /// Adds a claim that runs right before sending.
    #[must_use]
    pub fn claim(mut self, claim: Claim) -> Self {
        self.claim = Some(claim);
        self
    }

    /// Adds a completion hook.
    #[must_use]
    pub fn on_done(mut self, hook: OnDone) -> Self {
        self.on_done = Some(hook);
        self
    }

    async fn finish(mut self, outcome: Result<Delivered, SendError>) {
        if let Some(hook) = self.on_done.take() {
            hook(&outcome).await;
        }
        if let Some(tx) = self.done.take() {
            let _ = tx.send(outcome);
        }
    }
}

/// What the outbox reports to and reads from the rest of the bot.
#[derive(Clone)]
pub struct OutboxHooks {
    /// Marks users who blocked the bot inactive.
    pub users: Option<Arc<dyn AdminRepo>>,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// Telegram liveness (every accepted call).
    pub liveness: Arc<Liveness>,
}

impl std::fmt::Debug for OutboxHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxHooks").finish_non_exhaustive()
    }
}

enum Feedback {
    /// A paced request to this chat was answered (or skipped).
    Done(i64),
    Pause(Instant),
    Retry(Envelope, bool),
}

/// The handle: cheap to clone; every clone feeds the same queue.
#[derive(Clone, Debug)]
pub struct Outbox {
    tx: mpsc::UnboundedSender<Envelope>,
}

impl Outbox {
    /// Starts the worker. Once `stop` resolves it delivers what is queued and in flight, then
    /// ends (the caller bounds that with a deadline; stored notices that did not go out are sent
    /// after the next start).
    pub fn start(
        bot: Bot,
        limits: Limits,
        hooks: OutboxHooks,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(bot, limits, hooks, rx, stop));
        (Self { tx }, task)
    }

    /// Queues a request; its outcome is only logged (and passed to its hook).
    pub fn send(&self, envelope: Envelope) {
        if let Err(mpsc::error::SendError(env)) = self.tx.send(envelope) {
            tracing::warn!(chat_id = env.chat, "outbox stopped; request dropped");
            tokio::spawn(env.finish(Err(SendError::Stopped)));
        }
    }

    /// Queues a request and waits for its final outcome.
    ///
    /// # Errors
    /// The final failure after the retry policy ran out.
    pub async fn send_and_wait(&self, mut envelope: Envelope) -> Result<Delivered, SendError> {
        let (tx, rx) = oneshot::channel();
        envelope.done = Some(tx);
        self.send(envelope);
        rx.await.unwrap_or(Err(SendError::Stopped))
    }
}

async fn run(
    bot: Bot,
    limits: Limits,
    hooks: OutboxHooks,
    mut rx: mpsc::UnboundedReceiver<Envelope>,
    stop: impl Future<Output = ()> + Send + 'static,
) {
    let mut sched: Scheduler<Envelope> = Scheduler::new(limits);
    let (fb_tx, mut fb_rx) = mpsc::unbounded_channel::<Feedback>();
    let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut stop = std::pin::pin!(stop);
    let mut open = true;
    let mut draining = false;
    loop {
        // Take what was queued before looking at `draining`: a request sent just before the
        // stop (a shutdown notice) is delivered, whichever branch the last `select!` chose.
        while let Ok(env) = rx.try_recv() {
            enqueue(&mut sched, env, false);
        }
        while let Ok(fb) = fb_rx.try_recv() {
            apply(&mut sched, fb);
        }
        if draining && sched.is_empty() && slots.available_permits() == MAX_IN_FLIGHT {
            break;
        }
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            tokio::select! {
                _ = slots.acquire() => {}
                Some(fb) = fb_rx.recv() => apply(&mut sched, fb),
                () = &mut stop, if !draining => draining = true,
            }
            continue;
        };
        let wake = match sched.next(Instant::now()) {
            Next::Send(env) => {
                let ctx = SendCtx { bot: bot.clone(), hooks: hooks.clone(), feedback: fb_tx.clone() };
                tokio::spawn(async move {
                    ctx.perform(env).await;
                    drop(permit);
                });
                continue;
            }
            Next::WaitUntil(t) => Some(t),
            Next::Idle if draining => {
                // Nothing queued: wait for requests in flight (their retries may queue more).
                drop(permit);
                tokio::select! {
                    Some(fb) = fb_rx.recv() => apply(&mut sched, fb),
                    () = tokio::time::sleep(Duration::from_millis(20)) => {}
                }
                continue;
            }
            Next::Idle => None,
        };
        drop(permit);
        let sleep = async {
            match wake {
                Some(t) => tokio::time::sleep_until(t).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            env = rx.recv(), if open => match env {
                Some(env) => enqueue(&mut sched, env, false),
                None => open = false,
            },
            Some(fb) = fb_rx.recv() => apply(&mut sched, fb),
            () = sleep => {}
            () = &mut stop, if !draining => draining = true,
        }
    }
    tracing::debug!("outbox drained");
}

fn enqueue(sched: &mut Scheduler<Envelope>, env: Envelope, front: bool) {
    let now = Instant::now();
    let pacing = env.request.pacing(env.chat);
    let (chat, priority) = (env.chat, env.priority);
    if front {
        sched.push_front(now, chat, pacing, priority, env);
    } else {
        sched.push(now, chat, pacing, priority, env);
    }
}

fn apply(sched: &mut Scheduler<Envelope>, fb: Feedback) {
    match fb {
        Feedback::Done(chat) => sched.done(Instant::now(), chat),
        Feedback::Pause(until) => sched.pause_until(until),
        Feedback::Retry(env, front) => enqueue(sched, env, front),
    }
}

struct SendCtx {
    bot: Bot,
    hooks: OutboxHooks,
    feedback: mpsc::UnboundedSender<Feedback>,
}

/// How one attempt ended.
enum Attempt {
    Ok(Delivered),
    RetryAfter(Duration),
    Blocked,
    Rejected(String),
    Transient(String),
    Ambiguous(String),
}

impl SendCtx {
    async fn perform(self, mut env: Envelope) {
        let paced = env.request.pacing(env.chat) != Pacing::Unpaced;
        if let Some(claim) = env.claim.take()
            && !claim().await
        {
            if paced {
                let _ = self.feedback.send(Feedback::Done(env.chat));
            }
            env.finish(Ok(Delivered::Skipped)).await;
            return;
        }
        env.attempts += 1;
        let outcome = call(&self.bot, env.chat, &env.request).await;
        // Answered: the budget unit and the chat's spacing count from now.
        if paced {
            let _ = self.feedback.send(Feedback::Done(env.chat));
        }
        let method = env.request.method();
        match outcome {
            Attempt::Ok(delivered) => {
                self.hooks.liveness.telegram_ok(chrono::Utc::now().timestamp_millis());
                env.finish(Ok(delivered)).await;
            }
            Attempt::RetryAfter(after) => {
                self.hooks.metrics.error("telegram_429");
                tracing::warn!(method, retry_after_ms = after.as_millis() as u64, "Telegram asked to slow down");
                let _ = self.feedback.send(Feedback::Pause(Instant::now() + after));
                if env.retry == Retry::Never {
                    env.finish(Err(SendError::RetryAfter(after))).await;
                } else {
                    self.retry_now(env);
                }
            }
            Attempt::Blocked => {
                if let (Some(users), Some(user)) = (&self.hooks.users, env.user)
                    && let Err(e) = users.mark_inactive(user).await
                {
                    tracing::error!(user_id = user.0, error.message = %e, "cannot mark a user inactive");
                }
                env.finish(Err(SendError::Blocked)).await;
            }
            Attempt::Rejected(e) => {
                self.hooks.metrics.error("telegram");
                tracing::warn!(method, chat_id = env.chat, error.message = %e, "Telegram rejected a request");
                env.finish(Err(SendError::Rejected(e))).await;
            }
            Attempt::Transient(e) => {
                self.hooks.metrics.error("telegram_transient");
                if env.retry == Retry::Never || env.attempts >= MAX_ATTEMPTS {
                    tracing::warn!(method, chat_id = env.chat, error.message = %e, "request failed; giving up");
                    env.finish(Err(SendError::Transient(e))).await;
                } else {
                    self.retry_later(env);
                }
            }
            Attempt::Ambiguous(e) => {
                self.hooks.metrics.error("telegram_transient");
                if env.retry == Retry::Always && env.attempts < MAX_ATTEMPTS {
                    self.retry_later(env);
                } else {
                    tracing::warn!(method, chat_id = env.chat, error.message = %e, "request outcome unknown");
                    env.finish(Err(SendError::Ambiguous(e))).await;
                }
            }
        }
    }

    fn retry_now(&self, env: Envelope) {
        if let Err(mpsc::error::SendError(Feedback::Retry(env, _))) = self.feedback.send(Feedback::Retry(env, true)) {
            tokio::spawn(env.finish(Err(SendError::Stopped)));
        }
    }

    fn retry_later(&self, env: Envelope) {
        let delay = backoff(env.attempts);
        let feedback = self.feedback.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            if let Err(mpsc::error::SendError(Feedback::Retry(env, _))) = feedback.send(Feedback::Retry(env, false)) {
                env.finish(Err(SendError::Stopped)).await;
            }
        });
    }
}

/// Exponential backoff with ±50 % jitter: 250 ms, 500 ms, 1 s … capped at 8 s.
pub fn backoff(attempt: u32) -> Duration {
    let base = Duration::from_millis(250).saturating_mul(1 << attempt.saturating_sub(1).min(5));
    let base = base.min(Duration::from_secs(8));
    base.mul_f64(0.5 + rand::random::<f64>())
}

async fn call(bot: &Bot, chat: i64, request: &Request) -> Attempt {
    let result = match request {
        Request::Text { text, markup, protect, entities } => {
            let mut r = bot.send_message(ChatId(chat), text.as_str());
            if let Some(m) = markup {
                r = r.reply_markup(m.clone());
            }
            if *protect {
                r = r.protect_content(true);
            }
            if !entities.is_empty() {
                r = r.entities(entities.clone());
            }
            r.await.map(|m| Some(m.id.0))
        }
        Request::Edit { message_id, text, keyboard } => {
            let mut r = bot.edit_message_text(ChatId(chat), MessageId(*message_id), text.as_str());
            if let Some(kb) = keyboard {
                r = r.reply_markup(kb.clone());
            }
            r.await.map(|m| Some(m.id.0))
        }
        Request::Html { text, markup } => {
            let mut r = bot.send_message(ChatId(chat), text.as_str()).parse_mode(ParseMode::Html);
            if let Some(m) = markup {
                r = r.reply_markup(m.clone());
            }
            r.await.map(|m| Some(m.id.0))
        }
        Request::EditHtml { message_id, text, keyboard } => {
            let mut r =
                bot.edit_message_text(ChatId(chat), MessageId(*message_id), text.as_str()).parse_mode(ParseMode::Html);
            if let Some(kb) = keyboard {
                r = r.reply_markup(kb.clone());
            }
            r.await.map(|m| Some(m.id.0))
        }
        Request::EditMarkup { message_id, keyboard } => {
            let mut r = bot.edit_message_reply_markup(ChatId(chat), MessageId(*message_id));
            if let Some(kb) = keyboard {
                r = r.reply_markup(kb.clone());
            }
            r.await.map(|m| Some(m.id.0))
        }
        Request::Delete { message_id } => bot.delete_message(ChatId(chat), MessageId(*message_id)).await.map(|_| None),
        Request::Photo { png, file_name, caption } => {
            let photo = InputFile::memory(png.as_ref().clone()).file_name(*file_name);
            bot.send_photo(ChatId(chat), photo).caption(caption.as_str()).await.map(|m| Some(m.id.0))
        }
        Request::Answer { query_id, text } => {
            let mut r = bot.answer_callback_query(CallbackQueryId(query_id.clone()));
            if let Some(text) = text {
                r = r.text(text.chars().take(200).collect::<String>());
            }
            r.await.map(|_| None)
        }
        Request::Copy { from_chat, message_id } => {
            bot.copy_message(ChatId(chat), ChatId(*from_chat), MessageId(*message_id)).await.map(|m| Some(m.0))
        }
        Request::GetChat { username } => {
            return match bot.get_chat(Recipient::ChannelUsername(format!("@{username}"))).await {
                Ok(found) => Attempt::Ok(Delivered::Chat(found.id.0)),
                Err(e) => classify(e),
            };
        }
    };
    match result {
        Ok(id) => Attempt::Ok(Delivered::Ok(id)),
        Err(e) => classify(e),
    }
}

/// Descriptions of Bot API 5xx answers (500, 502, 503, 504).
const SERVER_ERRORS: [&str; 4] = ["Internal", "Gateway", "Unavailable", "Timeout"];

fn classify(e: RequestError) -> Attempt {
    match e {
        RequestError::RetryAfter(after) => Attempt::RetryAfter(after.duration()),
        // Editing to the same content: the message already shows what we want.
        RequestError::Api(ApiError::MessageNotModified) => Attempt::Ok(Delivered::Ok(None)),
        RequestError::Api(
            ApiError::BotBlocked
            | ApiError::UserDeactivated
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::ChatNotFound
            | ApiError::CantInitiateConversation
            | ApiError::CantTalkWithBots,
        ) => Attempt::Blocked,
        // 5xx ("Internal Server Error", "Bad Gateway"): Telegram did not process it.
        RequestError::Api(ApiError::Unknown(text)) if SERVER_ERRORS.iter().any(|m| text.contains(m)) => {
            Attempt::Transient(text)
        }
        RequestError::Api(other) => Attempt::Rejected(other.to_string()),
        RequestError::MigrateToChatId(_) => Attempt::Rejected(e.to_string()),
        // Nothing reached Telegram: safe to retry.
        RequestError::Network(ref n) if n.is_connect() => Attempt::Transient(e.to_string()),
        // The request may have been processed (timeout after sending, unreadable answer).
        other => Attempt::Ambiguous(other.to_string()),
    }
}
