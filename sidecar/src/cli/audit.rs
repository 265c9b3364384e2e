//! `samia audit seal|verify`: the tamper-evident chain over `public.audit_log`.
//!
//! `seal` appends seals for committed, unsealed rows (the daemon does this
//! continuously; the command is for operators and tests). `verify` recomputes
//! the whole chain from the rows themselves, here, with the same code that
//! sealed it, and names the first row where it breaks.

use crate::db::DbArgs;
use crate::db::Query as _;
use crate::error::CliError;
use samia_core::audit::{self, AuditRow, Seal, GENESIS};
use std::process::ExitCode;
use std::time::Instant;
use tokio_postgres::{Client, Row};

/// The tamper-evident audit chain: seal new rows, or verify every sealed row.
#[derive(clap::Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub db: DbArgs,
    #[command(subcommand)]
    pub action: AuditAction,
}

#[derive(clap::Subcommand)]
pub enum AuditAction {
    /// Seal committed audit rows that are not sealed yet, oldest first.
    Seal,
    /// Recompute the chain from the rows and name the first edited, deleted or
    /// reordered row. Exits 1 when the chain is broken.
    Verify {
        /// A seal and hash printed by an earlier verify, as SEQ:HASH; the chain
        /// must still hold that hash at that seal (catches a rewritten chain).
        #[arg(long, value_name = "SEQ:HASH")]
        anchor: Vec<String>,
    },
}

/// `samia audit`.
pub async fn command(args: AuditArgs) -> Result<ExitCode, CliError> {
    let (_, client) = super::connect(&args.db).await?;
    match args.action {
        AuditAction::Seal => seal(&client).await,
        AuditAction::Verify { anchor } => verify(&client, &anchor).await,
    }
}

const BATCH: i64 = 10_000;

pub async fn seal(client: &Client) -> Result<ExitCode, CliError> {
    let started = Instant::now();
    let total = crate::sealer::seal_all_with(client, |n| eprintln!("sealed {n} rows so far"))
        .await
        .map_err(|e| CliError::db("sealing audit rows", e))?;
    println!(
        "sealed {total} audit rows in {} ms",
        started.elapsed().as_millis()
    );
    Ok(ExitCode::SUCCESS)
}

/// `SEQ:HASH` as printed by `verify`.
fn parse_anchor(text: &str) -> Result<(i64, audit::Hash), CliError> {
    let bad = || {
        CliError::Config(format!(
            "--anchor {text:?} is not SEQ:HASH (a seal number and 64 hex digits)"
        ))
    };
    let (seq, hash) = text.split_once(':').ok_or_else(bad)?;
    let seq: i64 = seq.trim().parse().map_err(|_| bad())?;
    let hash = audit::from_hex(hash.trim()).ok_or_else(bad)?;
    Ok((seq, hash))
}

/// A seal and, unless it was deleted, the audit row it covers (the columns
/// of `verify`'s query).
fn sealed_row(r: &Row) -> Result<(Seal, Option<AuditRow>), CliError> {
    let read = |e| CliError::db("reading seals", e);
    let seq: i64 = r.try_get(0).map_err(read)?;
    let hash = |i: usize| -> Result<audit::Hash, CliError> {
        let bytes: Vec<u8> = r.try_get(i).map_err(read)?;
        bytes
            .as_slice()
            .try_into()
            .map_err(|_| CliError::Refused(format!("seal {seq} has a malformed hash")))
    };
    let seal = Seal {
        seq,
        audit_id: r.try_get(1).map_err(read)?,
        prev_hash: hash(2)?,
        row_hash: hash(3)?,
    };
    let present: bool = r.try_get(4).map_err(read)?;
    let row = if present {
        Some(AuditRow {
            id: r.try_get(5).map_err(read)?,
            actor: r.try_get(6).map_err(read)?,
            actor_role: r.try_get(7).map_err(read)?,
            event: r.try_get(8).map_err(read)?,
            entity: r.try_get(9).map_err(read)?,
            entity_id: r.try_get(10).map_err(read)?,
            meta: r.try_get(11).map_err(read)?,
            created_at_us: r.try_get(12).map_err(read)?,
        })
    } else {
        None
    };
    Ok((seal, row))
}

pub async fn verify(client: &Client, anchors: &[String]) -> Result<ExitCode, CliError> {
    let anchors = anchors
        .iter()
        .map(|a| parse_anchor(a))
        .collect::<Result<Vec<_>, _>>()?;
    let started = Instant::now();
    let sql = format!(
        "select s.seq, s.audit_id, s.prev_hash, s.row_hash, a.id is not null, {}
           from ops.audit_seals s
           left join public.audit_log a on a.id = s.audit_id
          where s.seq > $1
          order by s.seq
          limit $2",
        audit::ROW_COLUMNS
    );
    let (mut prev, mut next_seq) = (GENESIS, 1_i64);
    loop {
        let rows = client
            .fetch_all(&sql, &[&(next_seq - 1), &BATCH])
            .await
            .map_err(|e| CliError::db("reading seals", e))?;
        if rows.is_empty() {
            break;
        }
        let batch = rows.iter().map(sealed_row).collect::<Result<Vec<_>, _>>()?;
        for (seal, _) in &batch {
            if let Some((_, expected)) = anchors.iter().find(|(seq, _)| *seq == seal.seq) {
                if seal.row_hash != *expected {
                    println!("BROKEN at seal {}", seal.seq);
                    return Err(CliError::Refused(format!(
                        "audit chain rewritten: seal {} no longer holds the anchored hash {}",
                        seal.seq,
                        audit::to_hex(expected)
                    )));
                }
            }
        }
        match audit::verify(prev, next_seq, batch.iter().map(|(s, r)| (s, r.as_ref()))) {
            Ok((hash, seq)) => {
                prev = hash;
                next_seq = seq;
            }
            Err(broken) => {
                println!("BROKEN at {broken}");
                return Err(CliError::Refused(format!("audit chain broken: {broken}")));
            }
        }
    }
    let sealed = next_seq - 1;
    if let Some((seq, _)) = anchors.iter().find(|(seq, _)| *seq > sealed || *seq < 1) {
        return Err(CliError::Refused(format!(
            "audit chain shortened: anchored seal {seq} does not exist (the chain has {sealed} seals)"
        )));
    }
    // Unsealed rows: normal for a moment after commit; a row older than the
    // newest sealed one for over ten minutes was inserted behind the chain.
    let row = client
        .fetch_one(
            "select count(*),
                    count(*) filter (where a.created_at < now() - interval '10 minutes'
                                       and a.id < coalesce((select max(audit_id) from ops.audit_seals), 0)),
                    min(a.id) filter (where a.created_at < now() - interval '10 minutes'
                                       and a.id < coalesce((select max(audit_id) from ops.audit_seals), 0))
               from public.audit_log a
              where not exists (select 1 from ops.audit_seals s where s.audit_id = a.id)",
            &[],
        )
        .await
        .map_err(|e| CliError::db("counting unsealed rows", e))?;
    let read = |e| CliError::db("counting unsealed rows", e);
    let unsealed: i64 = row.try_get(0).map_err(read)?;
    let behind: i64 = row.try_get(1).map_err(read)?;
    let first_behind: Option<i64> = row.try_get(2).map_err(read)?;
    println!(
        "audit chain intact: {sealed} sealed rows, head {sealed}:{} ({} ms)",
        audit::to_hex(&prev),
        started.elapsed().as_millis()
    );
    if unsealed > 0 {
        println!("{unsealed} rows not sealed yet (run `samia audit seal`, or the daemon does it)");
    }
    if behind > 0 {
        return Err(CliError::Refused(format!(
            "{behind} unsealed audit rows sit behind sealed ones for over ten minutes, first audit_log row {}: \
             rows were inserted behind the chain",
            first_behind.unwrap_or_default()
        )));
    }
    Ok(ExitCode::SUCCESS)
}
