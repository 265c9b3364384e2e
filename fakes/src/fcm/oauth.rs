//! The fake's token endpoint, `POST /token`, as Google's
//! `https://oauth2.googleapis.com/token` answers a service account: a form
//! with `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` and an
//! `assertion`, a JWT checked with the account's public key (RS256 only),
//! `iss` the account's email, `aud` this endpoint, a `scope`, `iat` and an
//! `exp` at most an hour after it. Answers `{"access_token", "expires_in",
//! "token_type": "Bearer"}` or OAuth's `{"error", "error_description"}`
//! (400).

use super::answers::{oauth_error, plain_page, token_fault, with_retry_after};
use super::{Issued, Shared};
use crate::faults::after_delay;
use crate::form;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use samia_sidecar::fcm::token::JWT_BEARER;
use samia_sidecar::http::Body;
use serde::Deserialize;
use serde_json::json;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Google's words for an assertion outside its time rules.
const SHORT_LIVED: &str = "Invalid JWT: Token must be a short-lived token (60 minutes) and in a \
    reasonable timeframe. Check your iat and exp values in the JWT claim.";

/// The clock skew allowed on `iat` and `exp`.
const LEEWAY: u64 = 60;

#[derive(Deserialize)]
struct Claims {
    iat: u64,
    exp: u64,
    #[serde(default)]
    scope: Option<String>,
}

/// Why an assertion is refused: OAuth's error code and description.
type Refusal = (&'static str, String);

fn invalid_grant(description: impl Into<String>) -> Refusal {
    ("invalid_grant", description.into())
}

pub async fn token(State(fake): State<Shared>, headers: HeaderMap, Body(body): Body) -> Response {
    let fault = fake.faults.take(|f| super::fault_applies(f, "token"));
    let (response, code) = match after_delay(fault).await {
        Some(fault) if fault.flag("plain") => {
            let status = fault.status(StatusCode::BAD_GATEWAY);
            (
                with_retry_after(plain_page(status), &fault),
                "plain".to_string(),
            )
        }
        Some(fault) => (
            with_retry_after(token_fault(&fault), &fault),
            "injected".to_string(),
        ),
        None => match grant(&fake, &headers, &body) {
            Ok(answer) => (answer, "ok".to_string()),
            Err((error, description)) => (
                oauth_error(StatusCode::BAD_REQUEST, error, &description),
                error.to_string(),
            ),
        },
    };
    fake.log("token", response.status().as_u16(), &code);
    response
}

fn grant(fake: &Shared, headers: &HeaderMap, body: &[u8]) -> Result<Response, Refusal> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err((
            "invalid_request",
            "Expected a form (application/x-www-form-urlencoded)".into(),
        ));
    }
    let form = form(body);
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    match field("grant_type") {
        Some(JWT_BEARER) => {}
        Some(other) => {
            return Err((
                "unsupported_grant_type",
                format!("Invalid grant_type: {other}"),
            ))
        }
        None => {
            return Err((
                "invalid_request",
                "Missing required parameter: grant_type".into(),
            ))
        }
    }
    let assertion = field("assertion").filter(|a| !a.is_empty()).ok_or((
        "invalid_request",
        "Missing required parameter: assertion".to_string(),
    ))?;
    let claims = verify(fake, assertion)?;
    if fake.lock().disabled {
        return Err(invalid_grant("Invalid grant: account not found"));
    }
    let scopes: Vec<String> = claims
        .scope
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_string)
        .collect();
    if scopes.is_empty() {
        return Err((
            "invalid_scope",
            "Invalid OAuth scope or ID token audience provided.".into(),
        ));
    }
    let ttl = fake.settings.token_ttl;
    let access_token = format!("ya29.fake-{}", uuid::Uuid::new_v4().simple());
    fake.lock().issued.insert(
        access_token.clone(),
        Issued {
            expires_at: SystemTime::now() + Duration::from_secs(ttl),
            scopes,
            revoked: false,
        },
    );
    Ok(Json(json!({
        "access_token": access_token,
        "expires_in": ttl,
        "token_type": "Bearer",
    }))
    .into_response())
}

/// The claims of an assertion signed with the account's key, for this
/// endpoint, by the account, now.
fn verify(fake: &Shared, assertion: &str) -> Result<Claims, Refusal> {
    let header = jsonwebtoken::decode_header(assertion)
        .map_err(|_| invalid_grant("Invalid JWT: the assertion is not a JWT"))?;
    if header.alg != Algorithm::RS256 {
        return Err(invalid_grant(format!(
            "Invalid JWT: algorithm {:?} is not RS256",
            header.alg
        )));
    }
    let settings = &fake.settings;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_required_spec_claims(&["iss", "aud", "exp"]);
    validation.set_issuer(&[settings.client_email.as_str()]);
    validation.set_audience(&[settings.token_uri.as_str()]);
    validation.leeway = LEEWAY;
    let claims = jsonwebtoken::decode::<Claims>(assertion, &fake.public_key, &validation)
        .map_err(|e| match e.kind() {
            ErrorKind::InvalidSignature | ErrorKind::InvalidRsaKey(_) | ErrorKind::Crypto(_) => {
                invalid_grant("Invalid JWT Signature.")
            }
            ErrorKind::ExpiredSignature | ErrorKind::ImmatureSignature => {
                invalid_grant(SHORT_LIVED)
            }
            ErrorKind::InvalidIssuer => invalid_grant("Invalid grant: account not found"),
            ErrorKind::InvalidAudience => invalid_grant(format!(
                "Invalid JWT: Failed audience check. The right audience is {}",
                settings.token_uri
            )),
            ErrorKind::MissingRequiredClaim(claim) => {
                invalid_grant(format!("Invalid JWT: the claim {claim} is missing"))
            }
            _ => invalid_grant(format!("Invalid JWT: {e}")),
        })?
        .claims;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let short_lived = claims.exp > claims.iat && claims.exp - claims.iat <= 3600;
    if !short_lived || claims.iat > now + LEEWAY {
        return Err(invalid_grant(SHORT_LIVED));
    }
    Ok(claims)
}
