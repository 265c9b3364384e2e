//! Phone numbers and verification codes as clients type them, and the cost
//! guards of phone verification.
//!
//! - [`normalize`] turns what a client typed (Arabic-Indic or Persian digits,
//!   spaces, dashes, a `00` international prefix, a national number with the
//!   profile's country) into E.164, and refuses numbers that cannot receive
//!   an SMS or would cost the product money to reach (premium rate, shared
//!   cost). The verdict per number type is the table [`NUMBER_TYPES`].
//! - [`normalize_code`] folds a typed one-time code to ASCII digits.
//! - [`check_send_limits`] applies the `app_config` limits on sends.

use phonenumber::metadata::DATABASE;
use phonenumber::{country, Mode, Type};
use std::fmt;

/// What becomes of a number of a given type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Can receive a code by SMS.
    Accept,
    /// Refused, with the reason shown to the client.
    Reject(&'static str),
}

/// The verdict for every libphonenumber number type.
pub const NUMBER_TYPES: &[(Type, Verdict)] = &[
    (Type::Mobile, Verdict::Accept),
    (Type::FixedLineOrMobile, Verdict::Accept),
    (Type::PersonalNumber, Verdict::Accept),
    (Type::Voip, Verdict::Accept),
    (
        Type::PremiumRate,
        Verdict::Reject("is a premium-rate number"),
    ),
    (Type::SharedCost, Verdict::Reject("is a shared-cost number")),
    (
        Type::TollFree,
        Verdict::Reject("is a toll-free number, which cannot receive SMS"),
    ),
    (
        Type::FixedLine,
        Verdict::Reject("is a landline, which cannot receive SMS"),
    ),
    (Type::Uan, Verdict::Reject("is a company (UAN) number")),
    (Type::Pager, Verdict::Reject("is a pager number")),
    (
        Type::Voicemail,
        Verdict::Reject("is a voicemail access number"),
    ),
    (Type::ShortCode, Verdict::Reject("is a short code")),
    (Type::Emergency, Verdict::Reject("is an emergency number")),
    (
        Type::StandardRate,
        Verdict::Reject("is a standard-rate service number"),
    ),
    (
        Type::Carrier,
        Verdict::Reject("is a carrier service number"),
    ),
    (
        Type::NoInternational,
        Verdict::Reject("cannot be reached from abroad"),
    ),
    (
        Type::Unknown,
        Verdict::Reject("is not a number in use in its country"),
    ),
];

/// The verdict for a number type (unknown types are refused).
pub fn verdict_of(kind: Type) -> Verdict {
    NUMBER_TYPES
        .iter()
        .find(|(t, _)| *t == kind)
        .map(|(_, v)| *v)
        .unwrap_or(Verdict::Reject("is of a kind that cannot receive SMS"))
}

/// A number that may receive a verification code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    /// E.164, e.g. `+201001234567`.
    pub e164: String,
    /// The number's country (ISO 3166-1 alpha-2), when libphonenumber knows it.
    pub country: Option<String>,
    /// The international calling code, e.g. `+20`.
    pub calling_code: String,
}

/// Why a phone number was refused. The message names the value; [`hint`]
/// says what to do.
///
/// [`hint`]: PhoneError::hint
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneError {
    Empty,
    /// A national number, and no country to read it in.
    NoCountry {
        input: String,
    },
    /// Not a phone number at all.
    Unparsable {
        input: String,
    },
    /// Parsed, but not a valid number of its country.
    Invalid {
        input: String,
    },
    /// Valid, but of a kind that cannot or must not receive a code.
    Rejected {
        e164: String,
        reason: &'static str,
    },
    /// Carries an extension (`ext. 12`), which SMS cannot reach.
    Extension {
        input: String,
    },
}

impl fmt::Display for PhoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PhoneError::Empty => write!(f, "the phone number is empty"),
            PhoneError::NoCountry { input } => write!(
                f,
                "phone number {input:?} has no country code and your profile has no country"
            ),
            PhoneError::Unparsable { input } => write!(f, "{input:?} is not a phone number"),
            PhoneError::Invalid { input } => {
                write!(f, "phone number {input:?} is not a valid number")
            }
            PhoneError::Rejected { e164, reason } => write!(f, "phone number {e164} {reason}"),
            PhoneError::Extension { input } => write!(
                f,
                "phone number {input:?} has an extension, which cannot receive SMS"
            ),
        }
    }
}

impl std::error::Error for PhoneError {}

impl PhoneError {
    pub fn hint(&self) -> &'static str {
        match self {
            PhoneError::Rejected { .. } | PhoneError::Extension { .. } => {
                "use a mobile number that can receive SMS"
            }
            _ => "give a mobile number in international format, e.g. +20 100 123 4567, or a national number with your profile's country set",
        }
    }
}

/// Folds Arabic-Indic (U+0660..U+0669) and Extended Arabic-Indic / Persian
/// (U+06F0..U+06F9) digits, and full-width digits and plus, to ASCII.
pub fn fold_digits(input: &str) -> String {
    input
        .chars()
        .map(|c| match c {
            '\u{0660}'..='\u{0669}' => digit(c as u32 - 0x0660),
            '\u{06F0}'..='\u{06F9}' => digit(c as u32 - 0x06F0),
            '\u{FF10}'..='\u{FF19}' => digit(c as u32 - 0xFF10),
            '\u{FF0B}' => '+',
            other => other,
        })
        .collect()
}

fn digit(n: u32) -> char {
    char::from_digit(n, 10).unwrap_or('0')
}

/// Characters that carry no meaning in a typed number: separators, and the
/// direction marks that right-to-left keyboards insert.
fn is_filler(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '.'
                | '('
                | ')'
                | '/'
                | '\u{00A0}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2010}'..='\u{2015}'
        )
}

/// Normalizes a typed phone number to E.164. `default_country` (the
/// profile's ISO 3166-1 alpha-2 code) reads national numbers such as
/// `0100 123 4567` in Egypt.
pub fn normalize(input: &str, default_country: Option<&str>) -> Result<Normalized, PhoneError> {
    let shown: String = input.trim().chars().take(40).collect();
    let folded = fold_digits(input);
    let mut compact: String = folded.chars().filter(|c| !is_filler(*c)).collect();
    if compact.is_empty() {
        return Err(PhoneError::Empty);
    }
    if let Some(rest) = compact.strip_prefix("00") {
        compact = format!("+{rest}");
    }
    if compact.len() > 40 {
        return Err(PhoneError::Unparsable { input: shown });
    }
    let region =
        default_country.and_then(|c| c.trim().to_ascii_uppercase().parse::<country::Id>().ok());
    if !compact.starts_with('+') && region.is_none() {
        return Err(PhoneError::NoCountry { input: shown });
    }
    let number = phonenumber::parse(region, &compact).map_err(|_| PhoneError::Unparsable {
        input: shown.clone(),
    })?;
    if number.extension().is_some() {
        return Err(PhoneError::Extension { input: shown });
    }
    if !phonenumber::is_valid(&number) {
        return Err(PhoneError::Invalid { input: shown });
    }
    let e164 = number.format().mode(Mode::E164).to_string();
    if let Verdict::Reject(reason) = verdict_of(number.number_type(&DATABASE)) {
        return Err(PhoneError::Rejected { e164, reason });
    }
    Ok(Normalized {
        e164,
        country: number.country().id().map(|id| id.as_ref().to_string()),
        calling_code: format!("+{}", number.country().code()),
    })
}

/// Shortest and longest one-time code Twilio Verify sends.
pub const CODE_DIGITS: std::ops::RangeInclusive<usize> = 4..=10;
/// How many codes a client may submit for one verification before
/// requesting a new one (Twilio Verify allows five checks).
pub const MAX_CHECKS_PER_CODE: i64 = 5;

/// Folds a typed one-time code (any digits, spaces and dashes) to ASCII
/// digits, or says what is wrong with it.
pub fn normalize_code(input: &str) -> Result<String, String> {
    let folded: String = fold_digits(input)
        .chars()
        .filter(|c| !is_filler(*c))
        .collect();
    let shown: String = input.trim().chars().take(20).collect();
    if folded.is_empty() {
        return Err("the verification code is empty".into());
    }
    if !folded.chars().all(|c| c.is_ascii_digit()) || !CODE_DIGITS.contains(&folded.len()) {
        return Err(format!(
            "verification code {shown:?} is not {} to {} digits",
            CODE_DIGITS.start(),
            CODE_DIGITS.end()
        ));
    }
    Ok(folded)
}

/// How long a sent code stays valid unless `app_config`
/// `otp.code_ttl_minutes` says otherwise.
pub const DEFAULT_CODE_TTL_MINUTES: i64 = 10;

/// The cost guards, from `app_config`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendLimits {
    /// `otp.max_sends_per_phone_10min`
    pub per_phone_10min: i64,
    /// `otp.max_sends_per_user_day`
    pub per_user_day: i64,
}

impl Default for SendLimits {
    fn default() -> Self {
        SendLimits {
            per_phone_10min: 3,
            per_user_day: 10,
        }
    }
}

/// Codes already requested in each window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendCounts {
    pub phone_10min: i64,
    pub user_day: i64,
}

/// May one more code be sent? The error says which limit was reached.
pub fn check_send_limits(e164: &str, limits: SendLimits, counts: SendCounts) -> Result<(), String> {
    if counts.phone_10min >= limits.per_phone_10min {
        return Err(format!(
            "{} codes were already sent to {e164} in the last 10 minutes (the limit is {}): wait before asking again",
            counts.phone_10min, limits.per_phone_10min
        ));
    }
    if counts.user_day >= limits.per_user_day {
        return Err(format!(
            "you already asked for {} codes today (the limit is {}): try again tomorrow",
            counts.user_day, limits.per_user_day
        ));
    }
    Ok(())
}

/// What the provider said about a verification, and what it does to the
/// `phone_verifications` row: allowed only from the listed statuses (a late
/// answer for a superseded or finished verification changes nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutcomeRule {
    pub outcome: &'static str,
    pub from: &'static [&'static str],
    pub to: &'static str,
    /// Marks the profile's phone as verified.
    pub verifies: bool,
}

/// Every outcome the sidecar may report.
pub const OUTCOMES: &[OutcomeRule] = &[
    OutcomeRule {
        outcome: "sent",
        from: &["queued"],
        to: "sent",
        verifies: false,
    },
    OutcomeRule {
        outcome: "approved",
        from: &["sent"],
        to: "verified",
        verifies: true,
    },
    OutcomeRule {
        outcome: "incorrect",
        from: &["sent"],
        to: "sent",
        verifies: false,
    },
    OutcomeRule {
        outcome: "expired",
        from: &["sent"],
        to: "expired",
        verifies: false,
    },
    OutcomeRule {
        outcome: "failed",
        from: &["queued", "sent"],
        to: "failed",
        verifies: false,
    },
    // An operator cancelled the send (`samia jobs cancel`).
    OutcomeRule {
        outcome: "canceled",
        from: &["queued"],
        to: "canceled",
        verifies: false,
    },
    // The provider could not be asked (outage): the code may be submitted again.
    OutcomeRule {
        outcome: "unchecked",
        from: &["sent"],
        to: "sent",
        verifies: false,
    },
];

pub fn outcome_rule(outcome: &str) -> Option<&'static OutcomeRule> {
    OUTCOMES.iter().find(|r| r.outcome == outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str, country: Option<&str>) -> String {
        match normalize(input, country) {
            Ok(n) => n.e164,
            Err(e) => panic!("{input:?}: {e}"),
        }
    }

    #[test]
    fn national_and_international_forms_agree() {
        assert_eq!(ok("+20 100 123 4567", None), "+201001234567");
        assert_eq!(ok("00201001234567", None), "+201001234567");
        assert_eq!(ok("0100-123-4567", Some("EG")), "+201001234567");
        assert_eq!(ok("(010) 0123 4567", Some("eg")), "+201001234567");
        assert_eq!(ok("0512345678", Some("SA")), "+966512345678");
        assert_eq!(ok("+966 51 234 5678", Some("EG")), "+966512345678");
    }

    #[test]
    fn arabic_indic_and_persian_digits_are_folded() {
        assert_eq!(ok("٠١٠٠١٢٣٤٥٦٧", Some("EG")), "+201001234567");
        assert_eq!(ok("+٢٠ ١٠٠ ١٢٣ ٤٥٦٧", None), "+201001234567");
        assert_eq!(ok("۰۱۰۰۱۲۳۴۵۶۷", Some("EG")), "+201001234567");
        assert_eq!(
            ok("\u{200E}+20\u{00A0}100\u{200F}1234567", None),
            "+201001234567"
        );
        let n = normalize("٠٠٩٦٦٥١٢٣٤٥٦٧٨", None).expect("valid");
        assert_eq!(n.e164, "+966512345678");
        assert_eq!(n.country.as_deref(), Some("SA"));
        assert_eq!(n.calling_code, "+966");
    }

    #[test]
    fn premium_rate_and_landlines_are_refused() {
        let premium = normalize("+44 909 876 5432", None);
        assert!(
            matches!(premium, Err(PhoneError::Rejected { reason, .. }) if reason.contains("premium-rate")),
            "{premium:?}"
        );
        let egypt_premium = normalize("0900 123 4567", Some("EG"));
        assert!(
            matches!(egypt_premium, Err(PhoneError::Rejected { .. })),
            "{egypt_premium:?}"
        );
        let landline = normalize("+20 2 2345 6789", None);
        assert!(
            matches!(landline, Err(PhoneError::Rejected { reason, .. }) if reason.contains("landline")),
            "{landline:?}"
        );
    }

    #[test]
    fn nonsense_is_named_in_the_error() {
        let e = normalize("call me maybe", Some("EG")).expect_err("nonsense");
        assert!(e.to_string().contains("call me maybe"), "{e}");
        assert!(matches!(normalize("  ", None), Err(PhoneError::Empty)));
        assert!(matches!(
            normalize("0100 123 4567", None),
            Err(PhoneError::NoCountry { .. })
        ));
        assert!(matches!(
            normalize("+20 100", None),
            Err(PhoneError::Invalid { .. } | PhoneError::Unparsable { .. })
        ));
        assert!(normalize(&"9".repeat(5000), Some("EG")).is_err());
    }

    #[test]
    fn every_number_type_has_a_verdict() {
        assert_eq!(verdict_of(Type::Mobile), Verdict::Accept);
        assert!(matches!(verdict_of(Type::PremiumRate), Verdict::Reject(_)));
        let mut seen = std::collections::HashSet::new();
        for (t, _) in NUMBER_TYPES {
            assert!(seen.insert(format!("{t:?}")), "{t:?} listed twice");
        }
        assert_eq!(seen.len(), 17);
    }

    #[test]
    fn outcomes_move_only_from_their_statuses() {
        let approved = outcome_rule("approved").expect("known");
        assert_eq!(approved.to, "verified");
        assert!(approved.verifies && !approved.from.contains(&"canceled"));
        assert!(OUTCOMES.iter().filter(|r| r.verifies).count() == 1);
        assert!(outcome_rule("teleported").is_none());
    }

    #[test]
    fn codes_are_folded_and_checked() {
        assert_eq!(normalize_code(" ١٢٣ ٤٥٦ ").as_deref(), Ok("123456"));
        assert_eq!(normalize_code("۱۲۳۴").as_deref(), Ok("1234"));
        assert!(normalize_code("12a456").is_err());
        assert!(normalize_code("123").is_err());
        assert!(normalize_code("12345678901").is_err());
        assert!(normalize_code("").is_err());
    }

    #[test]
    fn limits_name_the_one_reached() {
        let limits = SendLimits::default();
        let fine = SendCounts {
            phone_10min: 2,
            user_day: 9,
        };
        assert!(check_send_limits("+201001234567", limits, fine).is_ok());
        let phone = check_send_limits(
            "+201001234567",
            limits,
            SendCounts {
                phone_10min: 3,
                user_day: 3,
            },
        )
        .expect_err("phone limit");
        assert!(
            phone.contains("+201001234567") && phone.contains("10 minutes"),
            "{phone}"
        );
        let user = check_send_limits(
            "+201001234567",
            limits,
            SendCounts {
                phone_10min: 0,
                user_day: 10,
            },
        )
        .expect_err("user limit");
        assert!(user.contains("today"), "{user}");
    }
}
