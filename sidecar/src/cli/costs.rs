//! `samia costs`: what the paid providers were used for in a day or a
//! month, against each budget of `app_config` (keys in
//! `samia_core::config`): Twilio Verify codes (all countries and per
//! country of the number), TikTok API requests, and the storage each user
//! holds against the quota. `samia health` warns from 80% of a day's budget.

use crate::db::DbArgs;
use crate::db::Query as _;
use crate::error::CliError;
use samia_core::config;
use serde::Serialize;
use serde_json::json;
use std::process::ExitCode;
use tokio_postgres::GenericClient;

/// What the paid providers were used for against each budget of
/// app_config: verification codes (all countries and per country),
/// TikTok requests, the largest users' storage against the quota. Today
/// (UTC) unless a day or a month is given.
#[derive(clap::Args)]
pub struct CostsArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// A day, YYYY-MM-DD (UTC).
    #[arg(long)]
    pub day: Option<String>,
    /// A month, YYYY-MM; daily budgets count once per day of it.
    #[arg(long)]
    pub month: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `samia costs`.
pub async fn command(args: CostsArgs) -> Result<ExitCode, CliError> {
    let (_, client) = super::connect(&args.db).await?;
    run(
        &**client,
        args.day.as_deref(),
        args.month.as_deref(),
        args.json,
    )
    .await
}

/// One budget and its use.
#[derive(Debug, Clone, Serialize)]
pub struct Usage {
    pub budget: String,
    pub used: i64,
    pub limit: i64,
}

impl Usage {
    pub fn share(&self) -> f64 {
        if self.limit <= 0 {
            1.0
        } else {
            self.used as f64 / self.limit as f64
        }
    }
}

/// The period: `[from, to)` dates (UTC) and its number of days.
pub struct Period {
    pub from: String,
    pub to: String,
    pub days: i64,
    pub label: String,
}

/// The period named by `--day YYYY-MM-DD`, `--month YYYY-MM`, or today (UTC).
pub async fn period<C: GenericClient>(
    client: &C,
    day: Option<&str>,
    month: Option<&str>,
) -> Result<Period, CliError> {
    let (sql, arg) = match (day, month) {
        (Some(_), Some(_)) => {
            return Err(CliError::Config("give --day or --month, not both".into()))
        }
        (None, Some(m)) => (
            "select d::text, (d + interval '1 month')::date::text,
                    ((d + interval '1 month')::date - d)::bigint
               from (select to_date($1, 'YYYY-MM') as d) x",
            m.to_string(),
        ),
        (Some(d), None) => (
            "select d::text, (d + 1)::text, 1::bigint from (select $1::date as d) x",
            d.to_string(),
        ),
        (None, None) => (
            "select d::text, (d + 1)::text, 1::bigint from (select (now() at time zone 'UTC')::date as d) x",
            String::new(),
        ),
    };
    let row = if arg.is_empty() {
        client.fetch_one(sql, &[]).await
    } else {
        client.fetch_one(sql, &[&arg]).await
    }
    .map_err(|e| {
        CliError::Config(format!(
            "the period {arg:?} is not a date: {}",
            crate::error::describe(&e)
        ))
    })?;
    let from: String = row
        .try_get(0)
        .map_err(CliError::db_in("reading the period"))?;
    let to: String = row
        .try_get(1)
        .map_err(CliError::db_in("reading the period"))?;
    let days: i64 = row
        .try_get(2)
        .map_err(CliError::db_in("reading the period"))?;
    let label = month.map(str::to_string).unwrap_or_else(|| from.clone());
    Ok(Period {
        from,
        to,
        days,
        label,
    })
}

async fn setting<C: GenericClient>(
    client: &C,
    key: &str,
) -> Result<Option<serde_json::Value>, CliError> {
    crate::db::setting(client, key)
        .await
        .map_err(CliError::db_in("reading app_config"))
}

/// Every budget's use in `period`; a daily budget counts once per day of it.
pub async fn usage<C: GenericClient>(client: &C, period: &Period) -> Result<Vec<Usage>, CliError> {
    let mut out = Vec::new();
    let daily = config::number(
        setting(client, config::OTP_DAILY_BUDGET).await?.as_ref(),
        config::DEFAULT_OTP_DAILY_BUDGET,
    );
    let per_country = setting(client, config::OTP_DAILY_BUDGET_PER_COUNTRY).await?;
    let rows = client
        .fetch_all(
            "select country, count(*) from public.phone_verifications
              where created_at >= $1::text::date and created_at < $2::text::date
              group by country order by count(*) desc, country",
            &[&period.from, &period.to],
        )
        .await
        .map_err(CliError::db_in("counting verification codes"))?;
    let mut total = 0;
    let mut countries = Vec::new();
    for r in rows {
        let country: Option<String> = r
            .try_get(0)
            .map_err(CliError::db_in("counting verification codes"))?;
        let n: i64 = r
            .try_get(1)
            .map_err(CliError::db_in("counting verification codes"))?;
        total += n;
        let limit = config::per_country(
            per_country.as_ref(),
            country.as_deref(),
            config::DEFAULT_OTP_DAILY_BUDGET_PER_COUNTRY,
        );
        countries.push(Usage {
            budget: format!(
                "otp codes, {}",
                country.as_deref().unwrap_or("unknown country")
            ),
            used: n,
            limit: limit.saturating_mul(period.days),
        });
    }
    out.push(Usage {
        budget: "otp codes, all countries".into(),
        used: total,
        limit: daily.saturating_mul(period.days),
    });
    out.extend(countries);
    let requests: i64 = client
        .fetch_one(
            "select coalesce(sum(requests), 0)::bigint from ops.tiktok_usage
              where day >= $1::text::date and day < $2::text::date",
            &[&period.from, &period.to],
        )
        .await
        .and_then(|r| r.try_get(0))
        .map_err(CliError::db_in("counting TikTok requests"))?;
    out.push(Usage {
        budget: "tiktok requests".into(),
        used: requests,
        limit: config::number(
            setting(client, config::TIKTOK_DAILY_REQUESTS)
                .await?
                .as_ref(),
            config::DEFAULT_TIKTOK_DAILY_REQUESTS,
        )
        .saturating_mul(period.days),
    });
    let quota = config::number(
        setting(client, config::STORAGE_QUOTA).await?.as_ref(),
        config::DEFAULT_STORAGE_QUOTA,
    );
    let rows = client
        .fetch_all(
            "select owner_id::text, sum(bytes)::bigint from public.media_assets
              where owner_id is not null and status <> 'invalid'
              group by owner_id order by 2 desc limit 5",
            &[],
        )
        .await
        .map_err(CliError::db_in("adding up storage"))?;
    for r in rows {
        let owner: String = r.try_get(0).map_err(CliError::db_in("adding up storage"))?;
        let bytes: Option<i64> = r.try_get(1).map_err(CliError::db_in("adding up storage"))?;
        out.push(Usage {
            budget: format!("storage bytes, user {owner} (now)"),
            used: bytes.unwrap_or(0),
            limit: quota,
        });
    }
    Ok(out)
}

/// Pushes per day of the period: sent, and to dead tokens (no budget: FCM
/// does not charge; counted to watch the volume). Empty before V26.
pub async fn pushes<C: GenericClient>(
    client: &C,
    period: &Period,
) -> Result<Vec<(String, i64, i64)>, CliError> {
    let context = CliError::db_in("counting pushes");
    let present: bool = client
        .fetch_one("select to_regclass('ops.push_sends') is not null", &[])
        .await
        .and_then(|r| r.try_get(0))
        .map_err(CliError::db_in("counting pushes"))?;
    if !present {
        return Ok(Vec::new());
    }
    let rows = client
        .fetch_all(
            "select to_char(d, 'YYYY-MM-DD'),
                    (select count(*) from ops.push_sends s where s.status = 'sent'
                        and s.sent_at >= d and s.sent_at < d + interval '1 day'),
                    (select count(*) from ops.push_sends s where s.status = 'dead'
                        and s.send_at >= d and s.send_at < d + interval '1 day')
               from generate_series($1::text::date, $2::text::date - 1, interval '1 day') d
              order by d",
            &[&period.from, &period.to],
        )
        .await
        .map_err(context)?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect::<Result<_, tokio_postgres::Error>>()
        .map_err(CliError::db_in("counting pushes"))
}

pub async fn run<C: GenericClient>(
    client: &C,
    day: Option<&str>,
    month: Option<&str>,
    as_json: bool,
) -> Result<ExitCode, CliError> {
    let period = period(client, day, month).await?;
    let lines = usage(client, &period).await?;
    let pushes = pushes(client, &period).await?;
    if as_json {
        let days: Vec<_> = pushes
            .iter()
            .map(|(day, sent, dead)| json!({ "day": day, "sent": sent, "dead_tokens": dead }))
            .collect();
        println!(
            "{}",
            json!({ "period": { "from": period.from, "to": period.to, "days": period.days }, "usage": lines, "pushes": days })
        );
    } else {
        println!(
            "costs for {} (UTC; daily budgets count once per day)",
            period.label
        );
        for u in &lines {
            println!(
                "  {:<52} {:>12} of {:>12}  {:>5.1}%{}",
                u.budget,
                u.used,
                u.limit,
                100.0 * u.share(),
                if u.used > u.limit { "  OVER" } else { "" }
            );
        }
        for (day, sent, dead) in &pushes {
            println!("  pushes {day}: {sent} sent, {dead} to dead tokens");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Today's budgets at or past 80%, for `samia health`.
pub async fn warnings<C: GenericClient>(client: &C) -> Result<Vec<String>, CliError> {
    if client
        .fetch_one("select to_regclass('ops.tiktok_usage') is null", &[])
        .await
        .and_then(|r| r.try_get::<_, bool>(0))
        .map_err(CliError::db_in("checking the migrations"))?
    {
        return Ok(Vec::new());
    }
    let today = period(client, None, None).await?;
    let mut out = waiting_pushes(client).await?;
    out.extend(
        usage(client, &today)
            .await?
            .into_iter()
            .filter(|u| !u.budget.starts_with("storage") && config::nearly_spent(u.used, u.limit))
            .map(|u| {
                format!(
                    "{} at {:.0}% of today's budget ({} of {})",
                    u.budget,
                    100.0 * u.share(),
                    u.used,
                    u.limit
                )
            }),
    );
    Ok(out)
}

/// Pushes held back by FCM for ten minutes or more (a rejected service
/// account, FCM unavailable): the notices are in the app, not on phones.
async fn waiting_pushes<C: GenericClient>(client: &C) -> Result<Vec<String>, CliError> {
    let row = client
        .fetch_opt(
            "select count(*), max(s.error) from ops.push_sends s
              where to_regclass('ops.push_sends') is not null
                and s.status in ('queued', 'sending') and s.error is not null
                and s.send_at < now() - interval '10 minutes'
             having count(*) > 0",
            &[],
        )
        .await;
    // Before V26 there is no such table: nothing to say.
    let Ok(Some(row)) = row else {
        return Ok(Vec::new());
    };
    let n: i64 = row
        .try_get(0)
        .map_err(CliError::db_in("reading the pushes"))?;
    let error: Option<String> = row
        .try_get(1)
        .map_err(CliError::db_in("reading the pushes"))?;
    Ok(vec![format!(
        "{n} pushes are waiting on FCM: {}",
        error.unwrap_or_default()
    )])
}
