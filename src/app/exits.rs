//! Position control: edit one position's stop-loss, take-profit ladder, trailing stop and time
//! exit, move the stop to break-even, or cancel its exits. The edit is stored with the position
//! and handed to the monitor, so it takes effect on the next tick; ladder progress is kept
//! ([`crate::domain::exit_edit`]).

use super::trade::{StoredExit, Trading};
use crate::domain::exit::ExitRules;
use crate::domain::exit_edit::{ExitEdit, apply};
use crate::domain::user::UserId;
use crate::ports::RepoError;

/// A change to one position's exits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Edit one rule.
    Edit(ExitEdit),
    /// Cancel every exit of the position (nothing sells it but the user).
    CancelAll,
}

/// The position's exits now (its own, or the user's defaults in force); `None`: no open position
/// with that id.
///
/// # Errors
/// Storage failures.
pub async fn current(trading: &Trading, user: UserId, position_id: i64) -> Result<Option<StoredExit>, RepoError> {
    let ports = trading.ports();
    let Some(p) = ports.positions.position(user, position_id).await?.filter(|p| p.is_open) else {
        return Ok(None);
    };
    let mut stored = StoredExit::parse(p.exit_rules.as_deref());
    if stored.rules.is_empty() && !stored.exits_off {
        stored.rules = ExitRules::from_config(&ports.users.config(user).await?);
    }
    if stored.progress.initial_tokens == 0 {
        stored.progress.initial_tokens = p.book.tokens;
    }
    Ok(Some(stored))
}

/// Applies `change` to position `position_id` of `user`; returns the exits now in force.
///
/// # Errors
/// Storage failures.
pub async fn change(
    trading: &Trading,
    user: UserId,
    position_id: i64,
    change: &Change,
) -> Result<Option<StoredExit>, RepoError> {
    let Some(mut stored) = current(trading, user, position_id).await? else { return Ok(None) };
    match change {
        Change::CancelAll => {
            stored.rules = ExitRules::default();
            stored.exits_off = true;
        }
        Change::Edit(edit) => {
            stored.rules = apply(&stored.rules, stored.progress, edit);
            // Every rule turned off one by one is the same as cancelling: the defaults do not
            // come back.
            stored.exits_off = stored.rules.is_empty();
        }
    }
    let json = serde_json::to_string(&stored).map_err(|e| RepoError::Corrupt(format!("exit json: {e}")))?;
    let positions = &trading.ports().positions;
    positions.set_exit_state(position_id, &json).await?;
    if let Some(record) = positions.position(user, position_id).await? {
        trading.announce(record);
    }
    Ok(Some(stored))
}
