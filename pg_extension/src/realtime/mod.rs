//! Live updates through Supabase Realtime (CONTRACT.md section 14).
//!
//! - Broadcast from the database: the triggers of [`triggers`] hand the
//!   messages `samia_core::realtime` derives from each change to
//!   `realtime.send(payload, event, topic, true)`, in the same transaction.
//!   Where `realtime.send` does not exist (plain PostgreSQL, a Supabase
//!   without Realtime) nothing is sent. Whether it exists is looked up once
//!   per session and again after any function of the database is created,
//!   replaced or dropped (a syscache callback), so installing Realtime later
//!   needs no migration. `realtime.send` itself turns its failures (no
//!   partition for today) into a warning: the change commits.
//! - `samia.realtime_setup()`: the policies on `realtime.messages` that
//!   authorise the private topics, and the product's tables in the
//!   publication `supabase_realtime` (Postgres Changes), each added when
//!   missing. `samia migrate up` and `samia run` call it, so a Realtime
//!   installed later is set up by the next of either.

mod triggers;

use crate::{config, errors, plans, subxact};
use pgrx::prelude::*;
use pgrx::PgOid;
use samia_core::realtime::{Broadcast, STAFF_TOPICS};
use std::cell::Cell;

/// The tables whose changes Postgres Changes subscribers may follow.
pub const PUBLISHED: [&str; 5] = [
    "orders",
    "notifications",
    "calls",
    "phone_verifications",
    "horoscopes",
];

thread_local! {
    /// Does `realtime.send` exist: 0 not known (since the last change of a
    /// function), 1 no, 2 yes.
    static SEND: Cell<u8> = const { Cell::new(0) };
}

/// A function was created, replaced or dropped somewhere: look again.
unsafe extern "C-unwind" fn functions_changed(_arg: pg_sys::Datum, _cache: i32, _hash: u32) {
    SEND.set(0);
}

/// At load: forget what was known of `realtime.send` when functions change.
pub fn init() {
    // SAFETY: registers a callback that only resets a flag; PostgreSQL
    // keeps it for the life of the backend.
    unsafe {
        pg_sys::CacheRegisterSyscacheCallback(
            pg_sys::SysCacheIdentifier::PROCOID as i32,
            Some(functions_changed),
            pg_sys::Datum::from(0),
        );
    }
}

/// Does this database have Realtime's `send`?
pub fn available() -> bool {
    match SEND.get() {
        1 => false,
        2 => true,
        _ => {
            let found = errors::spi(
                plans::value::<bool>(
                    "select pg_catalog.to_regprocedure('realtime.send(jsonb,text,text,boolean)') is not null",
                    &[],
                    &[],
                ),
                "looking for realtime.send",
            )
            .unwrap_or(false);
            SEND.set(if found { 2 } else { 1 });
            found
        }
    }
}

/// Sends `messages` as private broadcasts, in the current transaction, as
/// the extension's owner (who may insert into `realtime.messages`: nobody
/// writes there through the API). Nothing when Realtime is absent.
///
/// The rows are those `realtime.send(payload, event, topic, true)` inserts
/// (a generated id, also the payload's `id`; extension `broadcast`), written
/// by one statement in one subtransaction instead of a call with its own
/// subtransaction per message. As with `realtime.send`, a failure (no
/// partition for today) is a warning and the change commits.
pub fn send(messages: &[Broadcast]) {
    if messages.is_empty() || !available() {
        return;
    }
    let batch = serde_json::Value::Array(messages.iter().map(Broadcast::to_json).collect());
    let insert = || {
        plans::execute(
            "insert into realtime.messages (id, payload, event, topic, private, extension)
             select m.id,
                    case when m.payload ? 'id' then m.payload
                         else pg_catalog.jsonb_set(m.payload, '{id}', pg_catalog.to_jsonb(m.id)) end,
                    m.event, m.topic, true, 'broadcast'
               from (select pg_catalog.gen_random_uuid() id, e -> 'payload' payload,
                            e ->> 'event' event, e ->> 'topic' topic
                       from pg_catalog.jsonb_array_elements($1) e) m",
            &[PgOid::from(pg_sys::JSONBOID)],
            &[pgrx::JsonB(batch).into()],
        )
    };
    let failed = match subxact::attempt(|| config::as_owner(insert)) {
        Ok(Ok(())) => return,
        Ok(Err(spi)) => spi.to_string(),
        Err(message) => message,
    };
    // Realtime's own words for it, so one search finds both.
    warning!("WarnSendingBroadcastMessage: {failed}");
}

/// The policies on `realtime.messages`: (name, definition). A user reads
/// their own topic (blocked or not), staff (unblocked monitors, admins,
/// superadmins) the staff topics, everyone the public horoscopes topic.
/// No policy lets anyone insert: nobody writes to a topic through the API.
fn policies() -> [(&'static str, String); 3] {
    let staff = STAFF_TOPICS
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ");
    [
        (
            "samia_user_reads_own_topic",
            "for select to authenticated using (extension = 'broadcast' \
             and topic = 'user:' || (select auth.uid())::text)"
                .to_string(),
        ),
        (
            "samia_staff_read_staff_topics",
            format!(
                "for select to authenticated using (extension = 'broadcast' \
                 and topic in ({staff}) and (select samia.is_staff()))"
            ),
        ),
        (
            "samia_everyone_reads_horoscopes",
            format!(
                "for select to anon, authenticated using (extension = 'broadcast' \
                 and topic = '{}')",
                samia_core::realtime::HOROSCOPES
            ),
        ),
    ]
}

fn spi_bool(sql: &str, what: &str) -> bool {
    errors::spi(Spi::get_one::<bool>(sql), what).unwrap_or(false)
}

fn spi_run(sql: &str, what: &str) {
    errors::spi(Spi::run(sql), what);
}

/// Sets up what Realtime needs of the database, adding only what is
/// missing; returns what it added and what it found.
#[pg_extern(volatile, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn realtime_setup() -> pgrx::JsonB {
    let mut policies_added = Vec::new();
    let mut tables_added = Vec::new();
    let messages = spi_bool(
        "select to_regclass('realtime.messages') is not null",
        "looking for realtime.messages",
    );
    if messages {
        for (name, definition) in policies() {
            let exists = spi_bool(
                &format!(
                    "select exists (select 1 from pg_catalog.pg_policies where schemaname = 'realtime'
                       and tablename = 'messages' and policyname = '{name}')"
                ),
                "reading the policies of realtime.messages",
            );
            if !exists {
                spi_run(
                    &format!("create policy {name} on realtime.messages {definition}"),
                    "creating a policy on realtime.messages",
                );
                policies_added.push(name);
            }
        }
    }
    let publication = spi_bool(
        "select exists (select 1 from pg_catalog.pg_publication where pubname = 'supabase_realtime')",
        "looking for the publication supabase_realtime",
    );
    let all_tables = spi_bool(
        "select coalesce((select puballtables from pg_catalog.pg_publication
                           where pubname = 'supabase_realtime'), false)",
        "reading the publication supabase_realtime",
    );
    if publication && !all_tables {
        for table in PUBLISHED {
            let member = spi_bool(
                &format!(
                    "select exists (select 1 from pg_catalog.pg_publication_tables
                      where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = '{table}')"
                ),
                "reading the publication supabase_realtime",
            );
            if !member {
                spi_run(
                    &format!("alter publication supabase_realtime add table public.{table}"),
                    "adding a table to the publication supabase_realtime",
                );
                tables_added.push(table);
            }
        }
    }
    SEND.set(0);
    let mut status = realtime_status().0;
    status["policies_added"] = serde_json::json!(policies_added);
    status["tables_added"] = serde_json::json!(tables_added);
    pgrx::JsonB(status)
}

/// What Realtime finds in this database: whether `realtime.send` exists
/// (broadcasts are sent), the product's policies on `realtime.messages`,
/// and which of the product's tables are in `supabase_realtime`.
#[pg_extern(stable, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn realtime_status() -> pgrx::JsonB {
    let names: Vec<&str> = policies().iter().map(|(n, _)| *n).collect();
    let tables: Vec<&str> = PUBLISHED.to_vec();
    let status = errors::spi(
        Spi::get_one_with_args::<pgrx::JsonB>(
            "select jsonb_build_object(
               'send', to_regprocedure('realtime.send(jsonb,text,text,boolean)') is not null,
               'messages', to_regclass('realtime.messages') is not null,
               'policies', coalesce((select jsonb_agg(policyname order by policyname)
                                       from pg_catalog.pg_policies
                                      where schemaname = 'realtime' and tablename = 'messages'
                                        and policyname = any($1)), '[]'),
               'publication', exists (select 1 from pg_catalog.pg_publication
                                       where pubname = 'supabase_realtime'),
               'published', coalesce((select jsonb_agg(tablename order by tablename)
                                        from pg_catalog.pg_publication_tables
                                       where pubname = 'supabase_realtime' and schemaname = 'public'
                                         and tablename = any($2)), '[]'))",
            &[names.into(), tables.into()],
        ),
        "reading Realtime's state",
    );
    status.unwrap_or_else(|| pgrx::JsonB(serde_json::json!({})))
}
