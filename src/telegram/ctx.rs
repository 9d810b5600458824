//! The per-update context the router builds (and dptree injects) for every command, message and
//! button press: who, where, in which language, with the services. Its methods are the only way
//! an endpoint talks to Telegram, and every one of them goes through the outbox.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use teloxide::types::{InlineKeyboardMarkup, MessageEntity};

use super::callback::Callback;
use super::deps::BotDeps;
use super::outbox::{Delivered, Envelope, Priority, Request, Retry, SendError};
use super::reply::Reply;
use crate::domain::lang::Lang;
use crate::domain::user::{User, UserId};
use crate::ports::{RepoError, SeenUser};

/// The context of one update.
#[derive(Clone)]
pub struct Ctx {
    /// The services.
    pub deps: Arc<BotDeps>,
    /// Telegram's update id (logs).
    pub update_id: u32,
    /// The chat the update came from (the button's message chat for presses).
    pub chat: i64,
    /// Whether that chat is the private chat with the sender.
    pub private: bool,
    /// The sender.
    pub user_id: UserId,
    /// The stored user (always set in private chats; in groups only when already registered).
    pub user: Option<User>,
    /// Whether this update registered the user.
    pub created: bool,
    /// The sender's language.
    pub lang: Lang,
    /// The command message, or the message the pressed button is on.
    pub message_id: i32,
    /// The callback query, for button presses.
    pub query: Option<String>,
    /// The pressed button, parsed once (`None` for messages and for unknown or forged data).
    pub button: Option<Callback>,
    /// The user could not be loaded or registered (storage down): only an apology is possible.
    pub degraded: bool,
    answered: Arc<AtomicBool>,
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("update_id", &self.update_id)
            .field("chat", &self.chat)
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

/// Where an update came from, as the router sees it.
#[derive(Debug, Clone)]
pub struct Origin {
    /// Update id.
    pub update_id: u32,
    /// Chat id.
    pub chat: i64,
    /// Private chat with the sender.
    pub private: bool,
    /// Message id (command message or the button's message).
    pub message_id: i32,
    /// Callback query id.
    pub query: Option<String>,
    /// The pressed button.
    pub button: Option<Callback>,
}

/// Converts a Telegram user id to our `i64` key.
pub fn user_key(id: teloxide::types::UserId) -> i64 {
    i64::try_from(id.0).unwrap_or(i64::MAX)
}

impl Ctx {
    /// Builds the context. In a private chat the sender is registered (or refreshed, which is the
    /// only place their notification chat is set); in a group nothing is written, the stored
    /// user is only read.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn build(deps: Arc<BotDeps>, from: &teloxide::types::User, origin: Origin) -> Result<Self, RepoError> {
        let id = user_key(from.id);
        let hint = Lang::from_telegram(from.language_code.as_deref());
        let (user, created) = if origin.private {
            let seen = SeenUser {
                id: UserId(id),
                chat_id: origin.chat,
                username: from.username.clone(),
                lang: hint,
                is_config_admin: deps.config_admins.contains(&id),
            };
            let (user, created) = deps.users.register(&seen).await?;
            (Some(user), created)
        } else {
            (deps.users.get(UserId(id)).await?, false)
        };
        let lang = user.as_ref().map_or(hint, |u| u.lang);
        Ok(Self {
            deps,
            update_id: origin.update_id,
            chat: origin.chat,
            private: origin.private,
            user_id: UserId(id),
            user,
            created,
            lang,
            message_id: origin.message_id,
            query: origin.query,
            button: origin.button,
            degraded: false,
            answered: Arc::new(AtomicBool::new(false)),
        })
    }

    /// A context that could not load the user (storage down): enough to apologize.
    pub fn degraded(deps: Arc<BotDeps>, from: &teloxide::types::User, origin: Origin) -> Self {
        Self {
            deps,
            update_id: origin.update_id,
            chat: origin.chat,
            private: origin.private,
            user_id: UserId(user_key(from.id)),
            user: None,
            created: false,
            lang: Lang::from_telegram(from.language_code.as_deref()),
            message_id: origin.message_id,
            query: origin.query,
            button: origin.button,
            degraded: true,
            answered: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Whether the button press was answered.
    pub fn was_answered(&self) -> bool {
        self.answered.load(Ordering::SeqCst)
    }

    fn envelope(&self, request: Request) -> Envelope {
        Envelope::new(self.chat, Priority::Interactive, request).user(self.user_id)
    }

    fn text_request(&self, lang: Lang, reply: &Reply) -> Request {
        if reply.is_html() {
            let markup = reply.keyboard(lang).map(teloxide::types::ReplyMarkup::InlineKeyboard);
            return Request::Html { text: reply.text(lang), markup };
        }
        Request::text(reply.text(lang), reply.keyboard(lang))
    }

    /// Sends an HTML prompt that asks for a typed answer (Telegram's force-reply: the user's
    /// keyboard opens with a reply to it).
    pub fn prompt(&self, reply: impl Into<Reply>) {
        let reply = reply.into();
        let placeholder = crate::i18n::tr(self.lang, "ux.prompt.placeholder", &[]);
        let force = teloxide::types::ForceReply::new().input_field_placeholder(Some(placeholder));
        let text =
            if reply.is_html() { reply.text(self.lang) } else { super::reply::home::esc(&reply.text(self.lang)) };
        let request = Request::Html { text, markup: Some(teloxide::types::ReplyMarkup::ForceReply(force)) };
        self.deps.outbox.send(self.envelope(request));
    }

    /// Sends `reply` to this chat in the user's language.
    pub fn reply(&self, reply: impl Into<Reply>) {
        self.reply_in(self.lang, reply);
    }

    /// Sends `reply` to this chat in `lang` (e.g. right after a language change).
    pub fn reply_in(&self, lang: Lang, reply: impl Into<Reply>) {
        let reply = reply.into();
        self.deps.outbox.send(self.envelope(self.text_request(lang, &reply)));
    }

    /// Sends `reply` and waits until Telegram accepted it; returns the message id.
    ///
    /// # Errors
    /// The final delivery failure.
    pub async fn reply_and_wait(&self, reply: impl Into<Reply>) -> Result<Option<i32>, SendError> {
        let reply = reply.into();
        let request = self.text_request(self.lang, &reply);
        sent_id(self.deps.outbox.send_and_wait(self.envelope(request)).await)
    }

    /// Replaces the pressed button's message with `reply`.
    pub fn edit(&self, reply: impl Into<Reply>) {
        self.edit_in(self.lang, reply);
    }

    /// Replaces the pressed button's message with `reply` rendered in `lang`.
    pub fn edit_in(&self, lang: Lang, reply: impl Into<Reply>) {
        let reply = reply.into();
        let (text, keyboard) = (reply.text(lang), reply.keyboard(lang));
        let request = if reply.is_html() {
            Request::EditHtml { message_id: self.message_id, text, keyboard }
        } else {
            Request::Edit { message_id: self.message_id, text, keyboard }
        };
        self.deps.outbox.send(self.envelope(request));
    }

    /// Replaces (or with `None` removes) the keyboard of the pressed button's message.
    pub fn edit_keyboard(&self, keyboard: Option<InlineKeyboardMarkup>) {
        self.deps.outbox.send(self.envelope(Request::EditMarkup { message_id: self.message_id, keyboard }));
    }

    /// Answers the button press (once; later calls do nothing). `toast` shows as a notification.
    pub fn answer(&self, toast: Option<Reply>) {
        let Some(query_id) = self.query.clone() else {
            return;
        };
        if self.answered.swap(true, Ordering::SeqCst) {
            return;
        }
        let text = toast.map(|t| t.text(self.lang));
        self.deps.outbox.send(self.envelope(Request::Answer { query_id, text }));
    }

    /// Sends a PNG with a caption.
    pub fn photo(&self, png: Vec<u8>, file_name: &'static str, caption: impl Into<Reply>) {
        let caption = caption.into().text(self.lang);
        self.deps.outbox.send(self.envelope(Request::Photo { png: Arc::new(png), file_name, caption }));
    }

    /// Sends a protected text (forwarding and saving disabled) and waits for its message id.
    /// Retried only when Telegram surely did not receive it, so a secret is never sent twice.
    ///
    /// # Errors
    /// The final delivery failure.
    pub async fn send_protected(&self, text: String) -> Result<Option<i32>, SendError> {
        let request = Request::Text { text, markup: None, protect: true, entities: vec![] };
        sent_id(self.deps.outbox.send_and_wait(self.envelope(request).retry(Retry::SafeOnly)).await)
    }

    /// Deletes a message in this chat and waits for the outcome.
    ///
    /// # Errors
    /// The final delivery failure.
    pub async fn delete(&self, message_id: i32) -> Result<(), SendError> {
        self.deps.outbox.send_and_wait(self.envelope(Request::Delete { message_id })).await.map(|_| ())
    }

    /// Sends text with formatting entities (a broadcast preview) and waits.
    ///
    /// # Errors
    /// The final delivery failure.
    pub async fn send_entities(&self, text: String, entities: Vec<MessageEntity>) -> Result<(), SendError> {
        let request = Request::Text { text, markup: None, protect: false, entities };
        self.deps.outbox.send_and_wait(self.envelope(request)).await.map(|_| ())
    }

    /// Copies a message into this chat (a broadcast preview) and waits.
    ///
    /// # Errors
    /// The final delivery failure.
    pub async fn copy_here(&self, from_chat: i64, message_id: i32) -> Result<(), SendError> {
        self.deps.outbox.send_and_wait(self.envelope(Request::Copy { from_chat, message_id })).await.map(|_| ())
    }

    /// Resolves a public `@username` to its chat id.
    ///
    /// # Errors
    /// The final delivery failure (unknown username: `Rejected`).
    pub async fn resolve_chat(&self, username: &str) -> Result<i64, SendError> {
        let request = Request::GetChat { username: username.to_owned() };
        match self.deps.outbox.send_and_wait(self.envelope(request)).await? {
            Delivered::Chat(id) => Ok(id),
            _ => Err(SendError::Rejected(String::from("getChat"))),
        }
    }

    /// Sends `reply` to another user's private chat as a notice (admin alerts).
    pub fn notify(&self, user: UserId, chat: i64, lang: Lang, reply: impl Into<Reply>) {
        let reply = reply.into();
        let request = Request::text(reply.text(lang), reply.keyboard(lang));
        self.deps.outbox.send(Envelope::new(chat, Priority::Notice, request).user(user));
    }
}

fn sent_id(outcome: Result<Delivered, SendError>) -> Result<Option<i32>, SendError> {
    match outcome? {
        Delivered::Ok(id) => Ok(id),
        Delivered::Chat(_) | Delivered::Skipped => Ok(None),
    }
}

/// An unexpected failure inside an endpoint (storage, mostly): the router counts it, logs it
/// with the update id and sends the user a short apology.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;
/// Endpoint result.
pub type HandlerResult = Result<(), HandlerError>;
