//! `samia lineage order|media|horoscope|profile ID`: the chain of custody
//! of an item, oldest first, from the rows themselves and their audit and
//! moderation records: who uploaded which file with which sha256, who
//! approved or rejected, when it was delivered or published, and the TikTok
//! post a horoscope came from. Related items are followed one step (an
//! order's files and chart, a file's orders, horoscopes and posts, a
//! horoscope's audio and post).

use crate::db::Query as _;
use crate::db::{DbArgs, Param};
use crate::error::CliError;
use serde::Serialize;
use serde_json::{json, Value};
use std::process::ExitCode;
use tokio_postgres::GenericClient;

/// The chain of custody of an order, a file, a horoscope or a profile,
/// oldest first: its own timestamps and every audit and moderation
/// record of it and of what it links to (files with their sha256, the
/// approvals, the TikTok post a horoscope came from).
#[derive(clap::Args)]
pub struct LineageArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// What to trace.
    #[arg(value_enum)]
    pub item: Item,
    /// Its id (a number; a uuid for a profile).
    pub id: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `samia lineage`.
pub async fn command(args: LineageArgs) -> Result<ExitCode, CliError> {
    let (_, client) = super::connect(&args.db).await?;
    run(&**client, args.item, &args.id, args.json).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Item {
    Order,
    Media,
    Horoscope,
    Profile,
}

/// One step of the chain.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// UTC, `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
    pub at: String,
    /// `row` (from the item's own columns), `audit` or `moderation`.
    pub source: &'static str,
    pub what: String,
    pub subject: String,
    pub actor: Option<String>,
    pub actor_role: Option<String>,
    pub details: Value,
}

const AT: &str = "to_char(%s at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";

fn at(column: &str) -> String {
    AT.replace("%s", column)
}

/// The records of the item and what it links to.
struct Chain {
    events: Vec<Event>,
    /// (table, id) whose audit records belong to the chain.
    subjects: Vec<(&'static str, String)>,
}

impl Chain {
    fn fact(
        &mut self,
        at: Option<String>,
        what: impl Into<String>,
        subject: String,
        actor: Option<String>,
        details: Value,
    ) {
        if let Some(at) = at {
            self.events.push(Event {
                at,
                source: "row",
                what: what.into(),
                subject,
                actor,
                actor_role: None,
                details,
            });
        }
    }
}

async fn rows<C: GenericClient>(
    client: &C,
    sql: &str,
    args: &[&dyn Param],
) -> Result<Vec<tokio_postgres::Row>, CliError> {
    client
        .fetch_all(sql, args)
        .await
        .map_err(CliError::db_in("reading the item"))
}

fn text(row: &tokio_postgres::Row, i: usize) -> Result<Option<String>, CliError> {
    row.try_get::<_, Option<String>>(i)
        .map_err(CliError::db_in("reading the item"))
}

async fn media<C: GenericClient>(
    client: &C,
    chain: &mut Chain,
    id: i64,
    role: &str,
) -> Result<(), CliError> {
    let sql = format!(
        "select {}, owner_id::text, kind, bucket, path, sha256, status, error, bytes::text,
                meta -> 'probe' ->> 'object_version'
           from public.media_assets where id = $1",
        at("created_at")
    );
    for r in rows(client, &sql, &[&id]).await? {
        let subject = format!("media_assets/{id}");
        chain.fact(
            text(&r, 0)?,
            format!("{role} registered"),
            subject.clone(),
            text(&r, 1)?,
            json!({
                "kind": text(&r, 2)?, "bucket": text(&r, 3)?, "path": text(&r, 4)?,
                "sha256": text(&r, 5)?, "status": text(&r, 6)?, "error": text(&r, 7)?,
                "bytes": text(&r, 8)?, "probed_object_version": text(&r, 9)?,
            }),
        );
        chain.subjects.push(("media_assets", id.to_string()));
    }
    Ok(())
}

async fn post<C: GenericClient>(
    client: &C,
    chain: &mut Chain,
    filter: &str,
    id: i64,
) -> Result<(), CliError> {
    let sql = format!(
        "select {}, id, post_id, share_url, left(caption, 120), status, classified_by::text, {},
                detected_scope, detected_zodiac, detected_date::text, {}, source_media_id
           from public.tiktok_posts where {filter} = $1",
        at("create_time"),
        at("classified_at"),
        at("created_at"),
    );
    for r in rows(client, &sql, &[&id]).await? {
        let post_id: i64 = r.try_get(1).map_err(CliError::db_in("reading the post"))?;
        let subject = format!("tiktok_posts/{post_id}");
        chain.fact(
            text(&r, 0)?,
            "posted on TikTok",
            subject.clone(),
            None,
            json!({ "tiktok_id": text(&r, 2)?, "share_url": text(&r, 3)?, "caption": text(&r, 4)? }),
        );
        chain.fact(
            text(&r, 11)?,
            "synced from TikTok",
            subject.clone(),
            None,
            json!({ "status": text(&r, 5)?, "scope": text(&r, 8)?, "zodiac": text(&r, 9)?, "ref_date": text(&r, 10)? }),
        );
        chain.fact(
            text(&r, 7)?,
            "classified by hand",
            subject,
            text(&r, 6)?,
            json!({}),
        );
        chain.subjects.push(("tiktok_posts", post_id.to_string()));
        if let Some(source) = r
            .try_get::<_, Option<i64>>(12)
            .map_err(CliError::db_in("reading the post"))?
        {
            media(client, chain, source, "source file").await?;
        }
    }
    Ok(())
}

async fn gather<C: GenericClient>(client: &C, item: Item, id: &str) -> Result<Chain, CliError> {
    let mut chain = Chain {
        events: Vec::new(),
        subjects: Vec::new(),
    };
    let number = || {
        id.parse::<i64>()
            .map_err(|_| CliError::Config(format!("{id:?} is not an id (a whole number)")))
    };
    match item {
        Item::Order => {
            let n = number()?;
            let sql = format!(
                "select {}, o.user_id::text, s.code, o.status::text, {}, o.input_media_id, o.output_media_id,
                        o.assigned_reader::text
                   from public.orders o join public.services s on s.id = o.service_id where o.id = $1",
                at("o.created_at"),
                at("o.delivered_at")
            );
            let found = rows(client, &sql, &[&n]).await?;
            let Some(r) = found.first() else {
                return Err(CliError::Refused(format!("there is no order {n}")));
            };
            let subject = format!("orders/{n}");
            chain.fact(
                text(r, 0)?,
                "order placed",
                subject.clone(),
                text(r, 1)?,
                json!({ "service": text(r, 2)?, "status now": text(r, 3)?, "reader": text(r, 7)? }),
            );
            chain.fact(text(r, 4)?, "delivered", subject, None, json!({}));
            chain.subjects.push(("orders", n.to_string()));
            if let Some(m) = r
                .try_get::<_, Option<i64>>(5)
                .map_err(CliError::db_in("reading the order"))?
            {
                media(client, &mut chain, m, "input file").await?;
            }
            if let Some(m) = r
                .try_get::<_, Option<i64>>(6)
                .map_err(CliError::db_in("reading the order"))?
            {
                media(client, &mut chain, m, "answer").await?;
            }
            let sql = format!(
                "select {}, id from public.astro_charts where order_id = $1",
                at("computed_at")
            );
            for r in rows(client, &sql, &[&n]).await? {
                let chart: i64 = r.try_get(1).map_err(CliError::db_in("reading the chart"))?;
                chain.fact(
                    text(&r, 0)?,
                    "natal chart computed",
                    format!("astro_charts/{chart}"),
                    None,
                    json!({}),
                );
            }
        }
        Item::Media => {
            let n = number()?;
            media(client, &mut chain, n, "file").await?;
            if chain.events.is_empty() {
                return Err(CliError::Refused(format!("there is no media {n}")));
            }
            for r in rows(
                client,
                "select id, case when output_media_id = $1 then 'answer' else 'input' end
                   from public.orders where input_media_id = $1 or output_media_id = $1",
                &[&n],
            )
            .await?
            {
                let order: i64 = r.try_get(0).map_err(CliError::db_in("reading orders"))?;
                chain.subjects.push(("orders", order.to_string()));
            }
            for r in rows(
                client,
                "select id from public.horoscopes where audio_media_id = $1",
                &[&n],
            )
            .await?
            {
                let h: i64 = r
                    .try_get(0)
                    .map_err(CliError::db_in("reading horoscopes"))?;
                chain.subjects.push(("horoscopes", h.to_string()));
            }
            post(client, &mut chain, "media_id", n).await?;
        }
        Item::Horoscope => {
            let n = number()?;
            let sql = format!(
                "select {}, scope, zodiac, ref_date::text, audio_media_id, {}, approved_by::text, {}, rejected_by::text, rejected_reason
                   from public.horoscopes where id = $1",
                at("created_at"),
                at("approved_at"),
                at("rejected_at")
            );
            let found = rows(client, &sql, &[&n]).await?;
            let Some(r) = found.first() else {
                return Err(CliError::Refused(format!("there is no horoscope {n}")));
            };
            let subject = format!("horoscopes/{n}");
            chain.fact(
                text(r, 0)?,
                "draft created",
                subject.clone(),
                None,
                json!({ "scope": text(r, 1)?, "zodiac": text(r, 2)?, "ref_date": text(r, 3)? }),
            );
            chain.fact(
                text(r, 5)?,
                "published",
                subject.clone(),
                text(r, 6)?,
                json!({}),
            );
            chain.fact(
                text(r, 7)?,
                "rejected",
                subject,
                text(r, 8)?,
                json!({ "reason": text(r, 9)? }),
            );
            chain.subjects.push(("horoscopes", n.to_string()));
            if let Some(m) = r
                .try_get::<_, Option<i64>>(4)
                .map_err(CliError::db_in("reading the horoscope"))?
            {
                media(client, &mut chain, m, "audio").await?;
            }
            post(client, &mut chain, "horoscope_id", n).await?;
        }
        Item::Profile => {
            let uid = uuid::Uuid::parse_str(id)
                .map_err(|_| CliError::Config(format!("{id:?} is not a user id (a uuid)")))?;
            let sql = format!(
                "select {}, email, (select code from public.roles r where r.id = p.role_id), is_blocked, blocked_reason
                   from public.profiles p where id = $1::text::uuid",
                at("created_at")
            );
            let found = rows(client, &sql, &[&uid.to_string()]).await?;
            let Some(r) = found.first() else {
                return Err(CliError::Refused(format!("there is no profile {uid}")));
            };
            chain.fact(
                text(r, 0)?,
                "profile created",
                format!("profiles/{uid}"),
                None,
                json!({ "email": text(r, 1)?, "role now": text(r, 2)?, "blocked now": r.try_get::<_, bool>(3).map_err(CliError::db_in("reading the profile"))? }),
            );
            chain.subjects.push(("profiles", uid.to_string()));
        }
    }
    records(client, &mut chain).await?;
    chain.events.sort_by(|a, b| a.at.cmp(&b.at));
    Ok(chain)
}

/// The moderation records' name of a table.
fn target_kind(table: &str) -> &'static str {
    match table {
        "orders" => "order",
        "media_assets" => "media",
        "horoscopes" => "horoscope",
        "profiles" => "profile",
        _ => "",
    }
}

async fn records<C: GenericClient>(client: &C, chain: &mut Chain) -> Result<(), CliError> {
    let tables: Vec<String> = chain.subjects.iter().map(|(t, _)| t.to_string()).collect();
    let ids: Vec<String> = chain.subjects.iter().map(|(_, i)| i.clone()).collect();
    let kinds: Vec<String> = chain
        .subjects
        .iter()
        .map(|(t, _)| target_kind(t).to_string())
        .collect();
    let sql = format!(
        "select {}, event, actor::text, actor_role, entity || '/' || entity_id, meta::text
           from public.audit_log a
          where (a.entity, a.entity_id) in (select * from unnest($1::text[], $2::text[]))
          order by a.created_at, a.id",
        at("a.created_at")
    );
    for r in rows(client, &sql, &[&tables, &ids]).await? {
        let meta = text(&r, 5)?
            .and_then(|m| serde_json::from_str(&m).ok())
            .unwrap_or(Value::Null);
        chain.events.push(Event {
            at: text(&r, 0)?.unwrap_or_default(),
            source: "audit",
            what: text(&r, 1)?.unwrap_or_default(),
            subject: text(&r, 4)?.unwrap_or_default(),
            actor: text(&r, 2)?,
            actor_role: text(&r, 3)?,
            details: meta,
        });
    }
    let sql = format!(
        "select {}, action, actor_id::text, target_kind || '/' || target_id, reason
           from public.moderation_actions m
          where (m.target_kind, m.target_id) in (select * from unnest($1::text[], $2::text[]))
          order by m.created_at, m.id",
        at("m.created_at")
    );
    for r in rows(client, &sql, &[&kinds, &ids]).await? {
        chain.events.push(Event {
            at: text(&r, 0)?.unwrap_or_default(),
            source: "moderation",
            what: text(&r, 1)?.unwrap_or_default(),
            subject: text(&r, 3)?.unwrap_or_default(),
            actor: text(&r, 2)?,
            actor_role: None,
            details: json!({ "reason": text(&r, 4)? }),
        });
    }
    Ok(())
}

pub async fn run<C: GenericClient>(
    client: &C,
    item: Item,
    id: &str,
    as_json: bool,
) -> Result<ExitCode, CliError> {
    let chain = gather(client, item, id).await?;
    if as_json {
        println!(
            "{}",
            json!({ "item": format!("{item:?}").to_lowercase(), "id": id, "events": chain.events })
        );
        return Ok(ExitCode::SUCCESS);
    }
    for e in &chain.events {
        let who = match (&e.actor, &e.actor_role) {
            (Some(a), Some(r)) => format!(" by {a} ({r})"),
            (Some(a), None) => format!(" by {a}"),
            (None, Some(r)) => format!(" by {r}"),
            (None, None) => String::new(),
        };
        let details = match &e.details {
            Value::Object(m) if m.values().all(Value::is_null) => String::new(),
            Value::Null => String::new(),
            d => format!("  {d}"),
        };
        println!(
            "{}  {:<10} {:<28} {}{who}{details}",
            e.at, e.source, e.what, e.subject
        );
    }
    Ok(ExitCode::SUCCESS)
}
