//! The owner's TikTok authorization, kept in `ops.tiktok_account` (one row,
//! never readable by an API role; migration V16): the OAuth `state` values
//! handed out by `samia tiktok connect`, the tokens, and whether syncing
//! stopped because the authorization is gone.
//!
//! Access tokens last about two hours; [`access_token`] refreshes them
//! ahead of expiry with the row locked, and stores the rotated refresh
//! token (the old one dies at TikTok) in the same transaction, so two
//! sidecars never both spend the same refresh token.

use super::client::{TikTokClient, Tokens};
use super::errors::TikTokError;
use crate::db::Query as _;
use secrecy::{ExposeSecret, SecretString};
use std::time::{Duration, SystemTime};
use tokio_postgres::{Client, GenericClient};

/// Refresh this long before the access token expires.
pub const REFRESH_AHEAD: Duration = Duration::from_secs(10 * 60);

/// Why no access token is at hand.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(
        "TikTok is not connected: run `samia tiktok connect` and have the owner allow the app"
    )]
    NotConnected,
    #[error("TikTok syncing stopped: {0}; run `samia tiktok connect` again")]
    Stopped(String),
    #[error(transparent)]
    TikTok(TikTokError),
    #[error("database: {0}")]
    Db(String),
}

impl From<tokio_postgres::Error> for AccountError {
    fn from(e: tokio_postgres::Error) -> AccountError {
        AccountError::Db(crate::error::describe(&e))
    }
}

/// Hands out a fresh OAuth `state` (good once, for ten minutes).
pub async fn new_state(client: &Client) -> Result<String, tokio_postgres::Error> {
    let state = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    client
        .exec(
            "delete from ops.tiktok_oauth_states where expires_at < now()",
            &[],
        )
        .await?;
    client
        .exec(
            "insert into ops.tiktok_oauth_states (state) values ($1)",
            &[&state],
        )
        .await?;
    Ok(state)
}

/// Spends a `state`: true when it was handed out and has not expired.
pub async fn take_state<C: GenericClient>(
    client: &C,
    state: &str,
) -> Result<bool, tokio_postgres::Error> {
    let row = client
        .fetch_opt(
            "delete from ops.tiktok_oauth_states where state = $1 returning expires_at > now()",
            &[&state],
        )
        .await?;
    Ok(row
        .and_then(|r| r.try_get::<_, bool>(0).ok())
        .unwrap_or(false))
}

/// Stores new tokens (a connection or a refresh) and clears a stop.
pub async fn store<C: GenericClient>(
    client: &C,
    tokens: &Tokens,
    connected: bool,
) -> Result<(), tokio_postgres::Error> {
    client
        .exec(
            "insert into ops.tiktok_account as a
                    (id, open_id, scope, access_token, access_expires_at, refresh_token,
                     refresh_expires_at, connected_at, stopped, updated_at)
             values (true, $1, $2, $3, $4, $5, $6, now(), null, now())
             on conflict (id) do update
               set open_id = excluded.open_id, scope = excluded.scope,
                   access_token = excluded.access_token,
                   access_expires_at = excluded.access_expires_at,
                   refresh_token = excluded.refresh_token,
                   refresh_expires_at = excluded.refresh_expires_at,
                   connected_at = case when $7 then now() else a.connected_at end,
                   stopped = null, updated_at = now()",
            &[
                &tokens.open_id,
                &tokens.scope,
                &tokens.access_token.expose_secret(),
                &tokens.access_expires_at,
                &tokens.refresh_token.expose_secret(),
                &tokens.refresh_expires_at,
                &connected,
            ],
        )
        .await?;
    Ok(())
}

/// Records that syncing stopped and why (shown by `samia health` and
/// `/healthz` until the owner connects again).
pub async fn stop<C: GenericClient>(client: &C, reason: &str) -> Result<(), tokio_postgres::Error> {
    client
        .exec(
            "update ops.tiktok_account set stopped = $1, updated_at = now()",
            &[&reason],
        )
        .await?;
    Ok(())
}

/// A usable access token: the stored one, or a refreshed one when it
/// expires within [`REFRESH_AHEAD`] (or `force`, after TikTok refused it).
/// A refresh TikTok refuses for good stops syncing.
pub async fn access_token(
    db: &mut Client,
    tiktok: &TikTokClient,
    force: bool,
) -> Result<SecretString, AccountError> {
    let tx = db.transaction().await?;
    let row = tx
        .fetch_opt(
            "select access_token, refresh_token, stopped,
                    access_expires_at < now() + make_interval(secs => $1)
               from ops.tiktok_account where id for update",
            &[&REFRESH_AHEAD.as_secs_f64()],
        )
        .await?;
    let Some(row) = row else {
        return Err(AccountError::NotConnected);
    };
    let access: Option<String> = row.try_get(0)?;
    let refresh: Option<String> = row.try_get(1)?;
    let stopped: Option<String> = row.try_get(2)?;
    let expiring: Option<bool> = row.try_get(3)?;
    if let Some(reason) = stopped {
        return Err(AccountError::Stopped(reason));
    }
    let Some(refresh) = refresh else {
        return Err(AccountError::NotConnected);
    };
    if let (Some(access), false, Some(false)) = (access, force, expiring) {
        return Ok(SecretString::from(access));
    }
    match tiktok.refresh(&SecretString::from(refresh)).await {
        Ok(tokens) => {
            store(&tx, &tokens, false).await?;
            tx.commit().await?;
            tracing::info!(
                access_expires_in_s = tokens
                    .access_expires_at
                    .duration_since(SystemTime::now())
                    .map(|d| d.as_secs())
                    .unwrap_or(0),
                "refreshed the TikTok tokens"
            );
            Ok(tokens.access_token)
        }
        Err(e) if e.stops_sync() => {
            let reason = e.to_string();
            stop(&tx, &reason).await?;
            tx.commit().await?;
            tracing::error!(error = %reason, "TikTok syncing stopped");
            Err(AccountError::Stopped(reason))
        }
        Err(e) => Err(AccountError::TikTok(e)),
    }
}

/// What operators see of the account.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Status {
    pub connected: bool,
    pub open_id: Option<String>,
    pub scope: Option<String>,
    pub stopped: Option<String>,
    pub access_expires_at: Option<String>,
    pub refresh_expires_at: Option<String>,
    pub last_sync_at: Option<String>,
    pub last_sync_error: Option<String>,
    pub last_sync_new: Option<i32>,
}

/// The account's state, without the tokens; `None` when the table is not
/// there yet (migrations pending).
pub async fn status<C: GenericClient>(client: &C) -> Result<Option<Status>, tokio_postgres::Error> {
    if client
        .fetch_one("select to_regclass('ops.tiktok_account') is not null", &[])
        .await?
        .try_get::<_, bool>(0)?
    {
        let row = client
            .fetch_opt(
                "select open_id, scope, stopped,
                        to_char(access_expires_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                        to_char(refresh_expires_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                        to_char(last_sync_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                        last_sync_error, last_sync_new, refresh_token is not null
                   from ops.tiktok_account where id",
                &[],
            )
            .await?;
        let Some(r) = row else {
            return Ok(Some(Status::default()));
        };
        return Ok(Some(Status {
            connected: r.try_get::<_, bool>(8)?,
            open_id: r.try_get(0)?,
            scope: r.try_get(1)?,
            stopped: r.try_get(2)?,
            access_expires_at: r.try_get(3)?,
            refresh_expires_at: r.try_get(4)?,
            last_sync_at: r.try_get(5)?,
            last_sync_error: r.try_get(6)?,
            last_sync_new: r.try_get(7)?,
        }));
    }
    Ok(None)
}
