//! The phone verification jobs: `phone.send_code` and `phone.check_code`.
//! Each asks Twilio Verify and turns the answer into an outcome that
//! `samia.phone_verification_outcome` records (rules in `samia_core::phone`).

use crate::db::Query;
use crate::http::outbound::ProviderError;
pub use crate::jobs::Failure;
use crate::jobs::Job;
use crate::twilio::{CallError, Twilio, Verification};

pub const SEND: &str = samia_core::jobs::PHONE_SEND_CODE;
pub const CHECK: &str = samia_core::jobs::PHONE_CHECK_CODE;

/// The payload fields dropped from a phone job when it ends (done, dead or
/// cancelled): the code the user typed is not kept.
pub const FORGET: &[&str] = &["code"];

/// What to record about a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub verification_id: i64,
    pub outcome: &'static str,
    pub provider_ref: Option<String>,
    pub error_code: Option<String>,
}

/// Twilio error codes that answer the question rather than fail to: per
/// operation, the outcome to record.
const ANSWERS: &[(&str, u32, &str)] = &[
    (CHECK, 20404, "expired"), // no pending verification: expired, used or never sent
    (CHECK, 60202, "failed"),  // too many wrong codes
    (SEND, 60200, "failed"),   // the number is not a valid destination
    (SEND, 60203, "failed"),   // too many sends to this number
    (SEND, 60205, "failed"),   // the number cannot receive SMS (landline)
    (SEND, 60410, "failed"),   // Twilio's fraud guard blocked the destination
    (SEND, 60605, "failed"),   // the destination country is not enabled
    (SEND, 21211, "failed"),   // invalid 'To' number
    (SEND, 21408, "failed"),   // region not permitted
    (SEND, 21610, "failed"),   // the recipient unsubscribed (STOP)
];

fn payload_field<'a>(job: &'a Job, name: &str) -> Result<&'a serde_json::Value, Failure> {
    job.payload
        .get(name)
        .ok_or_else(|| Failure::Permanent(format!("job {} has no payload field {name:?}", job.id)))
}

fn verification_id(job: &Job) -> Result<i64, Failure> {
    payload_field(job, "verification_id")?
        .as_i64()
        .ok_or_else(|| {
            Failure::Permanent(format!("job {}: verification_id is not a number", job.id))
        })
}

fn text<'a>(job: &'a Job, name: &str) -> Result<&'a str, Failure> {
    payload_field(job, name)?
        .as_str()
        .ok_or_else(|| Failure::Permanent(format!("job {}: {name} is not text", job.id)))
}

/// Does one attempt of a phone job: the report, and Twilio's result for
/// the metrics (`ok`, `transport`, `body`, `429`, `5xx`, `4xx`).
pub async fn perform(twilio: &Twilio, job: &Job) -> Result<(Report, String), Failure> {
    let id = verification_id(job)?;
    let phone = text(job, "phone")?;
    let (op, answer) = match job.kind.as_str() {
        SEND => {
            // Jobs queued before the locale was kept have none.
            let locale = job.payload.get("locale").and_then(|l| l.as_str());
            (SEND, twilio.start_verification(phone, locale).await)
        }
        CHECK => (
            CHECK,
            twilio.check_verification(phone, text(job, "code")?).await,
        ),
        other => {
            return Err(Failure::Permanent(format!(
                "no handler for job kind {other}"
            )))
        }
    };
    // The provider's result, for the metrics.
    let result = match &answer {
        Ok(_) => "ok".to_string(),
        Err(e) => e.code().to_string(),
    };
    interpret(op, id, answer).map(|report| (report, result))
}

/// Turns Twilio's answer into a report or a failure.
pub fn interpret(
    op: &str,
    verification_id: i64,
    answer: Result<Verification, CallError>,
) -> Result<Report, Failure> {
    let report =
        |outcome: &'static str, provider_ref: Option<String>, error_code: Option<String>| Report {
            verification_id,
            outcome,
            provider_ref,
            error_code,
        };
    match answer {
        Ok(v) if op == SEND => Ok(report("sent", v.sid, None)),
        Ok(v) => {
            let outcome = match v.status.as_str() {
                "approved" => "approved",
                "pending" => "incorrect",
                _ => "expired",
            };
            Ok(report(outcome, v.sid, None))
        }
        Err(e) => {
            let code = match &e {
                CallError::Status { code, .. } => *code,
                _ => None,
            };
            match ANSWERS
                .iter()
                .find(|(o, c, _)| *o == op && Some(*c) == code)
            {
                Some((_, c, outcome)) => Ok(report(outcome, None, Some(format!("twilio_{c}")))),
                None => Err(Failure::from_provider(&e)),
            }
        }
    }
}

/// What the client sees when a job is dead-lettered: a send that never
/// went out failed; a code that could not be checked may be submitted again.
pub fn report_when_dead(job: &Job) -> Option<Report> {
    let id = verification_id(job).ok()?;
    let outcome = match job.kind.as_str() {
        SEND => "failed",
        CHECK => "unchecked",
        _ => return None,
    };
    Some(Report {
        verification_id: id,
        outcome,
        provider_ref: None,
        error_code: Some("provider_unavailable".into()),
    })
}

/// Records a report (in the caller's transaction).
pub async fn apply<C: Query>(client: &C, report: &Report) -> Result<(), tokio_postgres::Error> {
    client
        .fetch_one(
            "select samia.phone_verification_outcome($1, $2, $3, $4)",
            &[
                &report.verification_id,
                &report.outcome,
                &report.provider_ref,
                &report.error_code,
            ],
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16, code: Option<u32>) -> Result<Verification, CallError> {
        Err(CallError::Status {
            status,
            code,
            message: "m".into(),
            retry_after: None,
        })
    }

    #[test]
    fn answers_become_outcomes_and_outages_retries() {
        let sent = interpret(
            SEND,
            1,
            Ok(Verification {
                sid: Some("VE1".into()),
                status: "pending".into(),
            }),
        );
        assert_eq!(sent.map(|r| r.outcome), Ok("sent"));
        let wrong = interpret(
            CHECK,
            1,
            Ok(Verification {
                sid: None,
                status: "pending".into(),
            }),
        );
        assert_eq!(wrong.map(|r| r.outcome), Ok("incorrect"));
        let right = interpret(
            CHECK,
            1,
            Ok(Verification {
                sid: None,
                status: "approved".into(),
            }),
        );
        assert_eq!(right.map(|r| r.outcome), Ok("approved"));
        assert_eq!(
            interpret(CHECK, 1, status(404, Some(20404))).map(|r| r.outcome),
            Ok("expired")
        );
        let blocked = interpret(SEND, 1, status(429, Some(60203))).expect("answer");
        assert_eq!(
            (blocked.outcome, blocked.error_code.as_deref()),
            ("failed", Some("twilio_60203"))
        );
        assert!(matches!(
            interpret(SEND, 1, status(429, Some(20429))),
            Err(Failure::Transient { .. })
        ));
        assert!(matches!(
            interpret(SEND, 1, status(503, None)),
            Err(Failure::Transient { .. })
        ));
        // A wrong service sid on send is configuration, not an answer.
        assert!(matches!(
            interpret(SEND, 1, status(404, Some(20404))),
            Err(Failure::Transient { .. })
        ));
        assert!(matches!(
            interpret(SEND, 1, status(400, Some(12345))),
            Err(Failure::Permanent(_))
        ));
        assert!(matches!(
            interpret(SEND, 1, Err(CallError::Transport("timed out".into()))),
            Err(Failure::Transient { .. })
        ));
    }
}
