//! Supabase Realtime as its server uses the database (supabase/realtime,
//! `lib/realtime/tenants/authorization.ex` and `lib/extensions/postgres_cdc_rls/`),
//! on the Supabase-shaped cluster (`scripts/supabase.sh`), whose databases
//! have Realtime's schema `realtime` and one partition of
//! `realtime.messages` for every date. No Realtime server runs: these
//! functions make its queries, on a connection of `supabase_admin` (the
//! server's database user in the self-hosted compose file), so that a test
//! sees what a client of the server would be allowed or sent.
//!
//! - Private channels: [`authorize`] runs the server's read and write checks
//!   against the policies of `realtime.messages`.
//! - Broadcast (from the database): [`mark`], then [`broadcasts`], the rows
//!   `realtime.send` wrote since.
//! - Postgres Changes: [`create_slot`], [`subscribe`], then [`list_changes`],
//!   what `realtime.list_changes` hands each subscription.

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};
use std::collections::HashSet;
use tokio_postgres::{Client, GenericClient};
use uuid::Uuid;

/// The publication whose tables Postgres Changes watches (created by
/// Supabase's init scripts).
pub const PUBLICATION: &str = "supabase_realtime";

/// The limits of one [`list_changes`]: at most this many changes read from
/// the slot (the server's poll reads 100, its default `poll_max_changes`;
/// more here so that one call sees a test's changes at once), and
/// `poll_max_record_bytes` as the server's default, above which a record
/// keeps only its short values and the change says `Error 413`.
pub const MAX_CHANGES: i32 = 1000;
pub const MAX_RECORD_BYTES: i32 = 1024 * 1024;

const INSUFFICIENT_PRIVILEGE: &str = "42501";

/// What a client may do on a private channel, as the server decides it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Access {
    pub read_broadcast: bool,
    pub read_presence: bool,
    pub write_broadcast: bool,
    pub write_presence: bool,
}

/// The settings the server gives a transaction before it checks a policy
/// (`Authorization.set_conn_config`): the role, the topic, the JWT's claims
/// (whole, and its `sub` and `role` each in a setting of its own) and the
/// request's headers (none here).
async fn set_conn_config(
    tx: &impl GenericClient,
    role: &str,
    claims: &Value,
    topic: &str,
) -> Result<()> {
    let sub = claims.get("sub").and_then(Value::as_str);
    tx.execute(
        "select set_config('role', $1, true),
                set_config('realtime.topic', $2, true),
                set_config('request.jwt.claims', $3, true),
                set_config('request.jwt.claim.sub', $4, true),
                set_config('request.jwt.claim.role', $1, true),
                set_config('request.headers', '{}', true)",
        &[&role, &topic, &claims.to_string(), &sub],
    )
    .await
    .with_context(|| format!("setting role {role} and topic {topic}"))?;
    Ok(())
}

/// The server's authorisation of a private channel `topic` for a client
/// whose JWT has `claims` and role `role`, on `admin` (a `supabase_admin`
/// connection to the database), changing nothing:
///
/// - read: in one transaction, a `broadcast` and a `presence` row for the
///   topic are inserted as `supabase_admin` (no row-level security), then,
///   under the client's role and claims, selected again by id: each row
///   the policies let through grants reading that extension; rolled back;
/// - write: in one transaction, under the client's role and claims, a
///   `broadcast` row and then a `presence` row are inserted, each in a
///   savepoint (without `RETURNING`, so only the insert policies decide):
///   success grants writing, `insufficient_privilege` (42501) refuses it;
///   rolled back.
///
/// Any other error (no partition for the row's date, a policy that fails)
/// is an error here, as the server then refuses the channel.
///
/// The rows carry `inserted_at`/`updated_at` as the server sends them: its
/// clock in UTC (`NaiveDateTime.utc_now`).
pub async fn authorize(
    admin: &mut Client,
    role: &str,
    claims: &Value,
    topic: &str,
) -> Result<Access> {
    let mut access = Access::default();

    let tx = admin.transaction().await?;
    let broadcast = Uuid::new_v4().to_string();
    let presence = Uuid::new_v4().to_string();
    tx.execute(
        "insert into realtime.messages (id, topic, extension, inserted_at, updated_at)
         values ($1::text::uuid, $3, 'broadcast', clock_timestamp() at time zone 'utc',
                 clock_timestamp() at time zone 'utc'),
                ($2::text::uuid, $3, 'presence', clock_timestamp() at time zone 'utc',
                 clock_timestamp() at time zone 'utc')",
        &[&broadcast, &presence, &topic],
    )
    .await
    .with_context(|| format!("the read check's rows for topic {topic}"))?;
    set_conn_config(&tx, role, claims, topic).await?;
    let rows = tx
        .query(
            "select id::text from realtime.messages where id in ($1::text::uuid, $2::text::uuid)",
            &[&broadcast, &presence],
        )
        .await
        .with_context(|| format!("the read check of topic {topic} as {role}"))?;
    for row in rows {
        let id: String = row.get(0);
        access.read_broadcast |= id == broadcast;
        access.read_presence |= id == presence;
    }
    tx.rollback().await?;

    let mut tx = admin.transaction().await?;
    set_conn_config(&tx, role, claims, topic).await?;
    for extension in ["broadcast", "presence"] {
        let savepoint = tx.savepoint(format!("write_{extension}")).await?;
        let allowed = match savepoint
            .execute(
                "insert into realtime.messages (topic, extension, inserted_at, updated_at)
                 values ($1, $2, clock_timestamp() at time zone 'utc', clock_timestamp() at time zone 'utc')",
                &[&topic, &extension],
            )
            .await
        {
            Ok(_) => {
                savepoint.commit().await?;
                true
            }
            Err(e) if crate::sqlstate(&e) == Some(INSUFFICIENT_PRIVILEGE) => {
                savepoint.rollback().await?;
                false
            }
            Err(e) => {
                return Err(anyhow!(e).context(format!(
                    "the write check ({extension}) of topic {topic} as {role}"
                )))
            }
        };
        match extension {
            "broadcast" => access.write_broadcast = allowed,
            _ => access.write_presence = allowed,
        }
    }
    tx.rollback().await?;
    Ok(access)
}

/// The broadcast rows of `realtime.messages` when [`mark`] was called:
/// [`broadcasts`] returns the others. Ids, not a time: `inserted_at` is the
/// inserting transaction's `now()`, so a transaction that began before the
/// mark can still add rows after it.
#[derive(Debug, Clone, Default)]
pub struct Marker {
    seen: HashSet<Uuid>,
}

/// One broadcast row (`extension = 'broadcast'`) of `realtime.messages`:
/// what the server would send on `topic` (to the clients the channel's
/// policies admit, when `private`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broadcast {
    pub topic: String,
    pub event: Option<String>,
    /// `realtime.send` adds the message's id to it as `id` unless the
    /// payload has one.
    pub payload: Value,
    /// A null `private` counts as public.
    pub private: bool,
}

/// Marks the broadcasts present now (see [`Marker`]).
pub async fn mark(admin: &Client) -> Result<Marker> {
    let rows = admin
        .query(
            "select id::text from realtime.messages where extension = 'broadcast'",
            &[],
        )
        .await
        .context("reading the broadcast rows of realtime.messages")?;
    let seen = rows
        .iter()
        .map(|r| parse_uuid(r.get(0)))
        .collect::<Result<_>>()?;
    Ok(Marker { seen })
}

/// The broadcasts written (and committed) since `marker`, oldest first: by
/// `inserted_at` (the start of the writing transaction; in the session's
/// time zone for `realtime.send`), then by statement within that
/// transaction (the row's `cmin`).
pub async fn broadcasts(admin: &Client, marker: &Marker) -> Result<Vec<Broadcast>> {
    let rows = admin
        .query(
            "select id::text, topic, event, payload::text, coalesce(private, false)
               from realtime.messages
              where extension = 'broadcast'
              order by inserted_at, cmin::text::bigint",
            &[],
        )
        .await
        .context("reading the broadcast rows of realtime.messages")?;
    let mut out = Vec::new();
    for row in rows {
        if marker.seen.contains(&parse_uuid(row.get(0))?) {
            continue;
        }
        let payload: Option<String> = row.get(3);
        out.push(Broadcast {
            topic: row.get(1),
            event: row.get(2),
            payload: match payload {
                Some(text) => serde_json::from_str(&text)?,
                None => Value::Null,
            },
            private: row.get(4),
        });
    }
    Ok(out)
}

/// A logical replication slot for Postgres Changes, made as the server makes
/// its own (`Replications.prepare_replication`): plugin `wal2json`,
/// temporary. It belongs to `admin`'s session, so [`list_changes`] must be
/// called on the same connection, and it goes when that connection closes
/// (or with [`drop_slot`]). Slot names are the cluster's: include something
/// unique to the test, such as its database's name. Only changes made after
/// the slot exists are decoded.
pub async fn create_slot(admin: &Client, name: &str) -> Result<()> {
    admin
        .execute(
            "select pg_create_logical_replication_slot($1::text::name, 'wal2json', true)",
            &[&name],
        )
        .await
        .with_context(|| {
            format!(
                "creating the wal2json slot {name} (needs postgresql-15-wal2json and the \
                 cluster's settings of scripts/supabase.sh)"
            )
        })?;
    Ok(())
}

/// Drops a slot made by [`create_slot`] on this connection.
pub async fn drop_slot(admin: &Client, name: &str) -> Result<()> {
    admin
        .execute("select pg_drop_replication_slot($1::text::name)", &[&name])
        .await
        .with_context(|| format!("dropping the slot {name}"))?;
    Ok(())
}

/// Subscribes to Postgres Changes of `table` (`schema.table`, or `table` in
/// schema `public`, as the client's `postgres_changes` parameters) with the
/// JWT `claims` of the subscriber, as the server does
/// (`Subscriptions.create`): every event, no filter, all columns. The role
/// the changes are checked as, `claims_role`, is a column generated from
/// `claims->>'role'`. Refused when the table is not in the publication.
/// Note that the server matches the schema and the table with LIKE, so an
/// `_` in the name also matches any one character.
pub async fn subscribe(admin: &Client, table: &str, claims: &Value) -> Result<Uuid> {
    let (schema, name) = table.split_once('.').unwrap_or(("public", table));
    let id = Uuid::new_v4();
    let rows = admin
        .query(
            "with sub_tables as (
                 select format('%I.%I', pub.schemaname, pub.tablename)::regclass as entity
                   from pg_publication_tables pub
                  where pub.pubname = $1
                    and pub.schemaname like (case $2 when '*' then '%' else $2 end) escape ''
                    and pub.tablename like (case $3 when '*' then '%' else $3 end) escape ''
             )
             insert into realtime.subscription as x
                 (subscription_id, entity, filters, claims, action_filter, selected_columns)
             select $4::text::uuid, sub_tables.entity, '{}', $5::text::jsonb, '*', null
               from sub_tables
             on conflict (subscription_id, entity, filters, action_filter, coalesce(selected_columns, '{}'))
             do update set claims = excluded.claims, created_at = now()
             returning id",
            &[
                &PUBLICATION,
                &schema,
                &name,
                &id.to_string(),
                &claims.to_string(),
            ],
        )
        .await
        .with_context(|| format!("subscribing to {table}"))?;
    if rows.is_empty() {
        bail!("subscribing to {table}: no table of publication {PUBLICATION} matches");
    }
    Ok(id)
}

/// Ends a subscription (`Subscriptions.delete`).
pub async fn unsubscribe(admin: &Client, id: Uuid) -> Result<()> {
    admin
        .execute(
            "delete from realtime.subscription where subscription_id = $1::text::uuid",
            &[&id.to_string()],
        )
        .await
        .context("deleting a subscription")?;
    Ok(())
}

/// One change as `realtime.list_changes` hands it to the server: for the
/// subscriptions in `subscription_ids` (of one claims role), which the
/// server sends it to.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// `INSERT`, `UPDATE` or `DELETE`.
    pub kind: String,
    pub schema: String,
    pub table: String,
    /// The new row's columns that the subscribers' role may select
    /// (`{}` for a delete or an error).
    pub record: Value,
    /// An update's or delete's old values that the role may select, as far
    /// as the table's replica identity logs them (by default its primary
    /// key); `{}` for an insert, null when the role may select none of them.
    /// A delete on a table with row-level security keeps the primary key
    /// only.
    pub old_record: Value,
    /// The table's columns that the role may select (empty for an error).
    pub columns: Vec<String>,
    pub subscription_ids: Vec<Uuid>,
    /// E.g. `Error 401: Unauthorized` when the role may not select the
    /// primary key; the change then has no record.
    pub errors: Vec<String>,
    /// The whole `wal` object, for anything else.
    pub wal: Value,
}

/// Reads the slot as the server's poller does: `realtime.list_changes`
/// on [`PUBLICATION`] (limits above), which consumes the changes. A change
/// nobody may see is not returned at all; a delete cannot be checked
/// against row-level security and goes to every subscriber of the table.
pub async fn list_changes(admin: &Client, slot: &str) -> Result<Vec<Change>> {
    Ok(poll(admin, slot, MAX_CHANGES).await?.0)
}

/// One call of `realtime.list_changes` reading at most `max_changes`
/// changes of the slot (the server's poll: 100 by default, again at once
/// while a call returns rows): the changes some subscription may see, and
/// how many changes the call took from the slot (`slot_changes_count`;
/// 0 when the slot is drained).
pub async fn poll(admin: &Client, slot: &str, max_changes: i32) -> Result<(Vec<Change>, i64)> {
    let rows = admin
        .query(
            "select wal::text, subscription_ids::text[], errors, slot_changes_count
               from realtime.list_changes($1::text::name, $2::text::name, $3, $4)",
            &[&PUBLICATION, &slot, &max_changes, &MAX_RECORD_BYTES],
        )
        .await
        .with_context(|| format!("realtime.list_changes on slot {slot}"))?;
    let taken = rows
        .first()
        .and_then(|r| r.get::<_, Option<i64>>(3))
        .unwrap_or(0);
    let mut out = Vec::new();
    for row in rows {
        // With nothing for any subscription, one row of nulls carries the
        // slot's count of changes.
        let Some(wal) = row.get::<_, Option<String>>(0) else {
            continue;
        };
        let wal: Value = serde_json::from_str(&wal)?;
        let text = |key: &str| {
            wal.get(key)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let columns = match wal.get("columns") {
            Some(Value::Array(cols)) => cols
                .iter()
                .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        let ids: Option<Vec<String>> = row.get(1);
        out.push(Change {
            kind: text("type"),
            schema: text("schema"),
            table: text("table"),
            record: wal.get("record").cloned().unwrap_or_else(|| json!({})),
            old_record: wal.get("old_record").cloned().unwrap_or_else(|| json!({})),
            columns,
            subscription_ids: ids
                .unwrap_or_default()
                .iter()
                .map(|s| parse_uuid(s))
                .collect::<Result<_>>()?,
            errors: row.get::<_, Option<Vec<String>>>(2).unwrap_or_default(),
            wal,
        });
    }
    Ok((out, taken))
}

fn parse_uuid(text: &str) -> Result<Uuid> {
    Uuid::parse_str(text).with_context(|| format!("reading the uuid {text}"))
}
