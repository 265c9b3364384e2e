//! `samia qa`: the data-QA sweep. Each check counts rows that break the data
//! contract and shows a few of their ids.

use crate::db::DbArgs;
use crate::db::Query as _;
use crate::error::CliError;
use serde_json::json;
use std::process::ExitCode;
use tokio_postgres::Client;

/// Data-QA sweep: counts rows that break the data contract. Exits 1 when
/// any check finds a problem.
#[derive(clap::Args)]
pub struct QaArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `samia qa`.
pub async fn command(args: QaArgs) -> Result<ExitCode, CliError> {
    let (_, client) = super::connect(&args.db).await?;
    run(&client, args.json).await
}

/// One QA check: a query returning the ids (as text) of offending rows.
pub struct Check {
    pub name: &'static str,
    pub what: &'static str,
    pub sql: &'static str,
}

pub const CHECKS: &[Check] = &[
    Check {
        name: "profiles_without_role",
        what: "profiles whose role_id is missing or not in roles",
        sql: "select p.id::text from public.profiles p
               left join public.roles r on r.id = p.role_id where r.id is null",
    },
    Check {
        name: "orders_without_service",
        what: "orders whose service_id is not in services",
        sql: "select o.id::text from public.orders o
               left join public.services s on s.id = o.service_id where s.id is null",
    },
    // The spec's version counted every media row that is not an order's output,
    // so input media (coffee-cup photos, voice notes) and horoscope audio were
    // reported as orphans. A media row is in use when anything references it;
    // rows younger than a day are being uploaded and not yet linked.
    Check {
        name: "media_orphans",
        what: "media older than a day that no order, horoscope or TikTok post references",
        sql: "select m.id::text from public.media_assets m
               where m.created_at < now() - interval '1 day'
                 and not exists (select from public.orders o
                                  where o.input_media_id = m.id or o.output_media_id = m.id)
                 and not exists (select from public.horoscopes h where h.audio_media_id = m.id)
                 and not exists (select from public.tiktok_posts t where t.media_id = m.id)",
    },
    Check {
        name: "profiles_zodiac_mismatch",
        what: "profiles whose zodiac is not samia.zodiac_of(dob)",
        sql: "select p.id::text from public.profiles p
               where p.zodiac is distinct from samia.zodiac_of(p.dob)",
    },
    Check {
        name: "profiles_country_code_mismatch",
        what: "profiles whose country_code is not their country's calling code",
        sql: "select p.id::text from public.profiles p
               left join public.countries c on c.code = p.country
               where p.country_code is distinct from c.dial_code",
    },
    Check {
        name: "profiles_unknown_country",
        what: "profiles whose country is not in countries",
        sql: "select p.id::text from public.profiles p
               where p.country is not null
                 and not exists (select from public.countries c where c.code = p.country)",
    },
    Check {
        name: "auth_users_without_profile",
        what: "auth.users rows with no profile",
        sql: "select u.id::text from auth.users u
               where not exists (select from public.profiles p where p.id = u.id)",
    },
    Check {
        name: "delivered_orders_without_delivered_at",
        what: "delivered orders with no delivered_at",
        sql: "select o.id::text from public.orders o
               where o.status = 'delivered' and o.delivered_at is null",
    },
    // A registered file whose object is gone without the trigger noticing
    // (storage.objects written with triggers off), or a media row still
    // ready although its object changed since the probe.
    Check {
        name: "media_without_object",
        what: "media rows naming a bucket and path with no object there, not marked invalid",
        sql: "select m.id::text from public.media_assets m
               where m.bucket is not null and m.status <> 'invalid'
                 and not exists (select from storage.objects o
                                  where o.bucket_id = m.bucket and o.name = m.path)",
    },
    Check {
        name: "media_ready_but_changed",
        what: "ready media whose object's version is not the one probed",
        sql: "select m.id::text from public.media_assets m
               join storage.objects o on o.bucket_id = m.bucket and o.name = m.path
               where m.status = 'ready'
                 and o.version is distinct from m.meta -> 'probe' ->> 'object_version'",
    },
    // Probes end within minutes; a file pending for an hour has a dead or
    // stuck probe job (samia jobs list --kind media.probe).
    Check {
        name: "media_pending_over_an_hour",
        what: "media still pending (not probed) an hour after registration",
        sql: "select m.id::text from public.media_assets m
               where m.status = 'pending' and m.bucket is not null
                 and m.created_at < now() - interval '1 hour'",
    },
    // A phone listed after it was verified: the profile keeps it verified
    // until staff act (block the profile, or ask for another number).
    Check {
        name: "verified_phones_on_the_blocklist",
        what: "profiles whose verified phone is on the blocklist",
        sql: "select p.id::text from public.profiles p
               join public.blocklist b on b.kind = 'phone' and b.value = p.phone
              where p.phone_verified and not p.is_blocked and b.lifted_at is null
                and (b.expires_at is null or b.expires_at > now())",
    },
    // A published horoscope must be playable.
    Check {
        name: "published_horoscopes_without_ready_audio",
        what: "published horoscopes whose audio is missing or not ready",
        sql: "select h.id::text from public.horoscopes h
               left join public.media_assets m on m.id = h.audio_media_id
              where h.approved_at is not null and h.audio_media_id is not null
                and m.status is distinct from 'ready'",
    },
    // A call and its order move together (the webhooks, drops and deadlines
    // write both in one transaction).
    Check {
        name: "calls_without_a_matching_order_state",
        what: "calls whose order's status does not match the call (live, ended or dropped)",
        sql: "select c.order_id::text as id from public.calls c join public.orders o on o.id = c.order_id
              where (c.ended_at is null and o.status in ('delivered', 'cancelled'))
                 or (c.started_at is not null and c.ended_at is null and o.status <> 'in_progress')
                 or (c.end_reason = 'completed' and o.status <> 'delivered')
                 or (c.end_reason in ('failed', 'dropped_by_monitor') and o.status <> 'cancelled')",
    },
    // Push devices the apps have not registered again for 90 days: candidates
    // to drop (an app refreshes its token at every start).
    Check {
        name: "push_devices_silent_90_days",
        what: "enabled push devices not seen for 90 days",
        sql: "select d.id::text from public.push_devices d
              where d.disabled_at is null and d.last_seen_at < now() - interval '90 days'",
    },
    Check {
        name: "notifications_whose_pushes_are_all_dead",
        what: "notifications pushed to devices that were all dead (the user saw it only in the app)",
        sql: "select s.notification_id::text as id from ops.push_sends s
              group by s.notification_id having bool_and(s.status = 'dead')",
    },
];

/// Not a query: today's use of each budget, as `samia costs` reports it.
const BUDGETS: Check = Check {
    name: "budgets_exceeded_today",
    what:
        "budgets of app_config used past their limit today (UTC), or users over the storage quota",
    sql: "",
};

const SAMPLE: i64 = 5;

pub async fn run(client: &Client, as_json: bool) -> Result<ExitCode, CliError> {
    let mut results = Vec::with_capacity(CHECKS.len());
    for check in CHECKS {
        let sql = format!(
            "with bad as ({}) select (select count(*) from bad),
                    array(select id from bad order by id limit {SAMPLE})",
            check.sql
        );
        let failed = |e| CliError::db(format!("QA check {}", check.name), e);
        let row = client.fetch_one(&sql, &[]).await.map_err(failed)?;
        let count: i64 = row.try_get(0).map_err(failed)?;
        let sample: Vec<String> = row.try_get(1).map_err(failed)?;
        results.push((check, count, sample));
    }
    if client
        .fetch_one("select to_regclass('ops.tiktok_usage') is not null", &[])
        .await
        .and_then(|r| r.try_get::<_, bool>(0))
        .map_err(|e| CliError::db("QA check budgets_exceeded_today", e))?
    {
        let today = super::costs::period(client, None, None).await?;
        let over: Vec<String> = super::costs::usage(client, &today)
            .await?
            .into_iter()
            .filter(|u| u.used > u.limit)
            .map(|u| u.budget)
            .collect();
        let sample = over.iter().take(SAMPLE as usize).cloned().collect();
        results.push((&BUDGETS, over.len() as i64, sample));
    }
    let failing = results.iter().filter(|(_, n, _)| *n > 0).count();

    if as_json {
        let checks: Vec<_> = results
            .iter()
            .map(|(c, n, s)| json!({ "name": c.name, "what": c.what, "count": n, "sample": s }))
            .collect();
        println!("{}", json!({ "ok": failing == 0, "checks": checks }));
    } else {
        for (check, count, sample) in &results {
            if *count == 0 {
                println!("ok    {:<40} 0", check.name);
            } else {
                println!(
                    "FAIL  {:<40} {count}  ({}; e.g. {})",
                    check.name,
                    check.what,
                    sample.join(", ")
                );
            }
        }
        println!("{} checks, {failing} failing", results.len());
    }
    Ok(if failing == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
