//! Endpoints: short translators from a parsed command or button into `app/` use-cases, answering
//! through the [`Ctx`]. Storage failures propagate to the router, which apologizes.

pub mod admin;
pub mod alerts;
pub mod copy;
pub mod home;
pub mod livetrade;
pub mod orders;
pub mod positions;
pub mod start;
pub mod text;
pub mod trading;
pub mod wallet;

use crate::telegram::ctx::Ctx;
pub use crate::telegram::ctx::{HandlerError, HandlerResult};
use crate::telegram::reply::Reply;

/// `true` in the private chat with the sender; elsewhere refuses (the command changes state or
/// shows private data) and returns `false`.
pub fn private_only(ctx: &Ctx) -> bool {
    if !ctx.private {
        ctx.reply(Reply::PrivateOnly);
    }
    ctx.private
}
