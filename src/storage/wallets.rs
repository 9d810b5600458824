//! Wallets (sealed keys only), confirmation buttons, the withdrawal allowlist and outflows.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, flag};
use crate::domain::money::Lamports;
use crate::domain::user::UserId;
use crate::domain::wallet::PendingKind;
use crate::ports::{
    AllowedAddress, InsertWalletError, Outflow, PendingAction, RepoError, SealFn, SealedWallet, WalletRecord,
    WalletRepo,
};
use crate::wallet::Sealed;
use crate::wallet::vault::NONCE_LEN;

/// Settings key of the outflow freeze.
const FREEZE_KEY: &str = "wallet.outflows_frozen_until";
const COLUMNS: &str = "id, user_id, pubkey, is_default, created_at";
const SEALED_COLUMNS: &str = "id, user_id, pubkey, is_default, created_at, ciphertext, nonce, key_version";

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn record(row: &AnyRow) -> Result<WalletRecord, RepoError> {
    Ok(WalletRecord {
        id: row.try_get("id")?,
        user_id: UserId(row.try_get("user_id")?),
        pubkey: row.try_get("pubkey")?,
        is_default: flag(row.try_get("is_default")?),
        created_at_ms: row.try_get("created_at")?,
    })
}

fn sealed_wallet(row: &AnyRow) -> Result<SealedWallet, RepoError> {
    let nonce_bytes: Vec<u8> = row.try_get("nonce")?;
    let nonce: [u8; NONCE_LEN] =
        nonce_bytes.try_into().map_err(|_| RepoError::Corrupt("wallet nonce has the wrong length".to_owned()))?;
    let version: i64 = row.try_get("key_version")?;
    Ok(SealedWallet {
        record: record(row)?,
        sealed: Sealed { ciphertext: row.try_get("ciphertext")?, nonce },
        key_version: i32::try_from(version).map_err(|_| RepoError::Corrupt("wallet key version".to_owned()))?,
    })
}

fn i64_of(v: u64) -> Result<i64, RepoError> {
    i64::try_from(v).map_err(|_| RepoError::Corrupt("amount exceeds BIGINT".to_owned()))
}

#[async_trait]
impl WalletRepo for Db {
    #[tracing::instrument(skip_all, fields(user_id = user.0))]
    async fn insert_wallet(
        &self,
        user: UserId,
        pubkey: &str,
        seal: SealFn<'_>,
    ) -> Result<WalletRecord, InsertWalletError> {
        let mut tx = self.begin_write().await.map_err(RepoError::from)?;
        let existing = sqlx::query("SELECT id, user_id, removed_at FROM wallets WHERE pubkey = $1")
            .bind(pubkey.to_owned())
            .fetch_optional(&mut *tx)
            .await
            .map_err(RepoError::from)?;
        let has_default = sqlx::query(
            "SELECT COUNT(*) AS n FROM wallets WHERE user_id = $1 AND is_default = 1 AND removed_at IS NULL",
        )
        .bind(user.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(RepoError::from)?
        .try_get::<i64, _>("n")
        .map_err(RepoError::from)?
            > 0;
        let is_default = i64::from(!has_default);
        let now = now_ms();
        let id: i64 = match existing {
            Some(row) => {
                let owner: i64 = row.try_get("user_id").map_err(RepoError::from)?;
                let removed: Option<i64> = row.try_get("removed_at").map_err(RepoError::from)?;
                if owner != user.0 || removed.is_none() {
                    return Err(InsertWalletError::Duplicate);
                }
                let id: i64 = row.try_get("id").map_err(RepoError::from)?;
                sqlx::query("UPDATE wallets SET removed_at = NULL, is_default = $1, created_at = $2 WHERE id = $3")
                    .bind(is_default)
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(RepoError::from)?;
                id
            }
            None => sqlx::query(
                "INSERT INTO wallets (user_id, pubkey, is_default, ciphertext, nonce, key_version, created_at) \
                 VALUES ($1, $2, $3, $4, $5, 0, $6) RETURNING id",
            )
            .bind(user.0)
            .bind(pubkey.to_owned())
            .bind(is_default)
            .bind(Vec::<u8>::new())
            .bind(Vec::<u8>::new())
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(RepoError::from)?
            .try_get("id")
            .map_err(RepoError::from)?,
        };
        // Sealing failure drops `tx`, which rolls the row back.
        let (sealed, version) = seal(id)?;
        sqlx::query("UPDATE wallets SET ciphertext = $1, nonce = $2, key_version = $3 WHERE id = $4")
            .bind(sealed.ciphertext.clone())
            .bind(sealed.nonce.to_vec())
            .bind(i64::from(version))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(RepoError::from)?;
        tx.commit().await.map_err(RepoError::from)?;
        Ok(WalletRecord {
            id,
            user_id: user,
            pubkey: pubkey.to_owned(),
            is_default: is_default == 1,
            created_at_ms: now,
        })
    }

    async fn list_wallets(&self, user: UserId) -> Result<Vec<WalletRecord>, RepoError> {
        let sql = format!("SELECT {COLUMNS} FROM wallets WHERE user_id = $1 AND removed_at IS NULL ORDER BY id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user.0).fetch_all(self.pool()).await?;
        rows.iter().map(record).collect()
    }

    async fn find_wallet(&self, user: UserId, pubkey: &str) -> Result<Option<WalletRecord>, RepoError> {
        let sql = format!("SELECT {COLUMNS} FROM wallets WHERE user_id = $1 AND pubkey = $2 AND removed_at IS NULL");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user.0)
            .bind(pubkey.to_owned())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(record).transpose()
    }

    async fn wallet_by_id(&self, user: UserId, wallet_id: i64) -> Result<Option<WalletRecord>, RepoError> {
        let sql = format!("SELECT {COLUMNS} FROM wallets WHERE user_id = $1 AND id = $2 AND removed_at IS NULL");
        let row =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user.0).bind(wallet_id).fetch_optional(self.pool()).await?;
        row.as_ref().map(record).transpose()
    }

    async fn default_wallet(&self, user: UserId) -> Result<Option<WalletRecord>, RepoError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM wallets WHERE user_id = $1 AND is_default = 1 AND removed_at IS NULL ORDER BY id"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user.0).fetch_optional(self.pool()).await?;
        row.as_ref().map(record).transpose()
    }

    async fn default_wallets(
        &self,
        users: &[UserId],
    ) -> Result<std::collections::HashMap<UserId, WalletRecord>, RepoError> {
        let mut out = std::collections::HashMap::with_capacity(users.len());
        for chunk in users.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT {COLUMNS} FROM wallets WHERE is_default = 1 AND removed_at IS NULL AND user_id IN ({}) \
                 ORDER BY id",
                marks.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for user in chunk {
                q = q.bind(user.0);
            }
            for row in q.fetch_all(self.pool()).await? {
                let w = record(&row)?;
                out.entry(w.user_id).or_insert(w);
            }
        }
        Ok(out)
    }

    #[tracing::instrument(skip_all, fields(user_id = user.0, wallet_id))]
    async fn set_default(&self, user: UserId, wallet_id: i64) -> Result<bool, RepoError> {
        let mut tx = self.begin_write().await?;
        let owned = sqlx::query("SELECT id FROM wallets WHERE id = $1 AND user_id = $2 AND removed_at IS NULL")
            .bind(wallet_id)
            .bind(user.0)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if !owned {
            return Ok(false);
        }
        sqlx::query("UPDATE wallets SET is_default = 0 WHERE user_id = $1").bind(user.0).execute(&mut *tx).await?;
        sqlx::query("UPDATE wallets SET is_default = 1 WHERE id = $1").bind(wallet_id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    }

    #[tracing::instrument(skip_all, fields(user_id = user.0, wallet_id))]
    async fn remove_wallet(&self, user: UserId, wallet_id: i64) -> Result<bool, RepoError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE wallets SET removed_at = $1, is_default = 0 WHERE id = $2 AND user_id = $3 AND removed_at IS NULL",
        )
        .bind(now_ms())
        .bind(wallet_id)
        .bind(user.0)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        let defaults: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM wallets WHERE user_id = $1 AND is_default = 1 AND removed_at IS NULL",
        )
        .bind(user.0)
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
        if defaults == 0 {
            sqlx::query(
                "UPDATE wallets SET is_default = 1 WHERE id = \
                 (SELECT MIN(id) FROM wallets WHERE user_id = $1 AND removed_at IS NULL)",
            )
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    async fn load_sealed(&self, user: UserId, wallet_id: i64) -> Result<Option<SealedWallet>, RepoError> {
        let sql = format!("SELECT {SEALED_COLUMNS} FROM wallets WHERE id = $1 AND user_id = $2 AND removed_at IS NULL");
        let row =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(wallet_id).bind(user.0).fetch_optional(self.pool()).await?;
        row.as_ref().map(sealed_wallet).transpose()
    }

    async fn open_positions(&self, wallet_id: i64) -> Result<u32, RepoError> {
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM positions WHERE wallet_id = $1 AND state = 'open'")
            .bind(wallet_id)
            .fetch_one(self.pool())
            .await?
            .try_get("n")?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    async fn wallets_not_on_version(&self, version: i32, limit: u32) -> Result<Vec<SealedWallet>, RepoError> {
        let sql = format!("SELECT {SEALED_COLUMNS} FROM wallets WHERE key_version <> $1 ORDER BY id LIMIT $2");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(i64::from(version))
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(sealed_wallet).collect()
    }

    #[tracing::instrument(skip_all, fields(wallet_id, from_version, to_version))]
    async fn reseal(
        &self,
        wallet_id: i64,
        from_version: i32,
        sealed: &Sealed,
        to_version: i32,
    ) -> Result<bool, RepoError> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE wallets SET ciphertext = $1, nonce = $2, key_version = $3 WHERE id = $4 AND key_version = $5",
        )
        .bind(sealed.ciphertext.clone())
        .bind(sealed.nonce.to_vec())
        .bind(i64::from(to_version))
        .bind(wallet_id)
        .bind(i64::from(from_version))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn create_pending(&self, action: &PendingAction) -> Result<(), RepoError> {
        let payload =
            serde_json::to_string(&action.kind).map_err(|e| RepoError::Corrupt(format!("pending action: {e}")))?;
        sqlx::query(
            "INSERT INTO pending_actions (nonce, user_id, payload, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(action.nonce.clone())
        .bind(action.user_id.0)
        .bind(payload)
        .bind(action.expires_at_ms)
        .bind(now_ms())
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn take_pending(&self, user: UserId, nonce: &str, now_ms: i64) -> Result<Option<PendingAction>, RepoError> {
        let taken = sqlx::query(
            "UPDATE pending_actions SET used_at = $1 \
             WHERE nonce = $2 AND user_id = $3 AND used_at IS NULL AND expires_at > $1",
        )
        .bind(now_ms)
        .bind(nonce.to_owned())
        .bind(user.0)
        .execute(self.writer())
        .await?
        .rows_affected()
            == 1;
        if !taken {
            return Ok(None);
        }
        let row = sqlx::query("SELECT payload, expires_at FROM pending_actions WHERE nonce = $1")
            .bind(nonce.to_owned())
            .fetch_one(self.pool())
            .await?;
        let payload: String = row.try_get("payload")?;
        let kind: PendingKind =
            serde_json::from_str(&payload).map_err(|e| RepoError::Corrupt(format!("pending action: {e}")))?;
        Ok(Some(PendingAction {
            nonce: nonce.to_owned(),
            user_id: user,
            kind,
            expires_at_ms: row.try_get("expires_at")?,
        }))
    }

    async fn allowlist(&self, user: UserId) -> Result<Vec<AllowedAddress>, RepoError> {
        let rows = sqlx::query("SELECT address, usable_after FROM withdrawal_addresses WHERE user_id = $1 ORDER BY id")
            .bind(user.0)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| Ok(AllowedAddress { address: r.try_get("address")?, usable_after_ms: r.try_get("usable_after")? }))
            .collect()
    }

    async fn add_allowed(&self, user: UserId, address: &str, usable_after_ms: i64) -> Result<bool, RepoError> {
        let n = sqlx::query(
            "INSERT INTO withdrawal_addresses (user_id, address, usable_after, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, address) DO NOTHING",
        )
        .bind(user.0)
        .bind(address.to_owned())
        .bind(usable_after_ms)
        .bind(now_ms())
        .execute(self.writer())
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    async fn record_outflow(&self, outflow: &Outflow, now_ms: i64) -> Result<(), RepoError> {
        sqlx::query(
            "INSERT INTO outflows (user_id, wallet_id, destination, lamports, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(outflow.user_id.0)
        .bind(outflow.wallet_id)
        .bind(outflow.destination.clone())
        .bind(i64_of(outflow.amount.0)?)
        .bind(now_ms)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn outflows_since(&self, since_ms: i64) -> Result<Lamports, RepoError> {
        // Summed in Rust: SUM() of BIGINT is NUMERIC on PostgreSQL, which `Any` cannot decode.
        let rows = sqlx::query("SELECT lamports FROM outflows WHERE created_at >= $1")
            .bind(since_ms)
            .fetch_all(self.pool())
            .await?;
        let mut total = 0u64;
        for row in &rows {
            let v: i64 = row.try_get("lamports")?;
            total = total.saturating_add(u64::try_from(v).unwrap_or(0));
        }
        Ok(Lamports(total))
    }

    async fn outflow_freeze_until(&self) -> Result<Option<i64>, RepoError> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(FREEZE_KEY)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| r.try_get::<String, _>("value")).transpose()?.and_then(|v| v.parse::<i64>().ok()))
    }

    async fn freeze_outflows(&self, until_ms: i64) -> Result<(), RepoError> {
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(FREEZE_KEY)
        .bind(until_ms.to_string())
        .bind(now_ms())
        .execute(self.writer())
        .await?;
        Ok(())
    }
}
