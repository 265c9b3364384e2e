//! HS256 JSON Web Tokens as Supabase signs them with the project's JWT
//! secret: API keys (`"role": "service_role"` or `"anon"`), user access
//! tokens (`sub`, `"role": "authenticated"`, `"aud": "authenticated"`,
//! `exp`) and the tokens of signed URLs (`url`, `iat`, `exp`).
//!
//! Verification follows the `jsonwebtoken` package of Node.js that Supabase
//! Storage uses: no clock leeway, `exp` checked when present, the audience
//! not checked, and its error messages ("jwt expired", "invalid
//! signature", "jwt malformed", "jwt must be provided").

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value};
use std::time::{SystemTime, UNIX_EPOCH};

/// Why a token was refused; the text is what Storage answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("jwt must be provided")]
    Missing,
    #[error("jwt expired")]
    Expired,
    #[error("invalid signature")]
    BadSignature,
    #[error("invalid algorithm")]
    BadAlgorithm,
    #[error("jwt malformed")]
    Malformed,
    #[error("jwt not active")]
    NotYetValid,
    /// Signing failed (only with an unusable key).
    #[error("cannot sign the token: {0}")]
    Sign(String),
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Signs `claims` with HS256.
pub fn sign(secret: &[u8], claims: &Value) -> Result<String, TokenError> {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .map_err(|e| TokenError::Sign(e.to_string()))
}

/// Checks an HS256 token and returns its claims (a JSON object).
pub fn verify(secret: &[u8], token: &str) -> Result<Map<String, Value>, TokenError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(TokenError::Missing);
    }
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.validate_aud = false;
    validation.validate_nbf = true;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Value>(token, &DecodingKey::from_secret(secret), &validation)
        .map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => TokenError::Expired,
            ErrorKind::InvalidSignature => TokenError::BadSignature,
            ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => TokenError::BadAlgorithm,
            ErrorKind::ImmatureSignature => TokenError::NotYetValid,
            _ => TokenError::Malformed,
        })?;
    match data.claims {
        Value::Object(claims) => Ok(claims),
        _ => Err(TokenError::Malformed),
    }
}

#[cfg(test)]
/// An API key of `role` (`service_role` or `anon`), as a Supabase project
/// issues them: ten years of validity.
pub fn api_key(secret: &[u8], role: &str) -> Result<String, TokenError> {
    let now = now_secs();
    sign(
        secret,
        &serde_json::json!({ "iss": "supabase", "role": role, "iat": now, "exp": now + 10 * 365 * 86_400 }),
    )
}

#[cfg(test)]
/// A user's access token valid for `seconds`.
pub fn user_token(secret: &[u8], sub: &str, seconds: u64) -> Result<String, TokenError> {
    let now = now_secs();
    sign(
        secret,
        &serde_json::json!({
            "sub": sub, "role": "authenticated", "aud": "authenticated",
            "iat": now, "exp": now + seconds,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SECRET: &[u8] = b"a-test-secret-of-at-least-32-characters";

    #[test]
    fn a_signed_token_verifies_and_keeps_its_claims() {
        let token = user_token(SECRET, "u1", 60).expect("signed");
        let claims = verify(SECRET, &token).expect("valid");
        assert_eq!(claims["sub"], "u1");
        assert_eq!(claims["role"], "authenticated");
        let key = api_key(SECRET, "service_role").expect("signed");
        assert_eq!(
            verify(SECRET, &format!(" {key} ")).expect("valid")["role"],
            "service_role"
        );
    }

    #[test]
    fn refusals_use_the_words_storage_answers() {
        let expired = sign(SECRET, &json!({ "sub": "u1", "exp": now_secs() - 1 })).expect("signed");
        assert_eq!(verify(SECRET, &expired), Err(TokenError::Expired));
        assert_eq!(TokenError::Expired.to_string(), "jwt expired");
        let other = user_token(b"another-secret-of-at-least-32-chars", "u1", 60).expect("signed");
        assert_eq!(verify(SECRET, &other), Err(TokenError::BadSignature));
        assert_eq!(verify(SECRET, "not.a.jwt"), Err(TokenError::Malformed));
        assert_eq!(verify(SECRET, ""), Err(TokenError::Missing));
        let later = sign(SECRET, &json!({ "nbf": now_secs() + 600 })).expect("signed");
        assert_eq!(verify(SECRET, &later), Err(TokenError::NotYetValid));
        // A token without exp never expires (the service's own keys may have none).
        let forever = sign(SECRET, &json!({ "role": "anon" })).expect("signed");
        assert!(verify(SECRET, &forever).is_ok());
        let hs384 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS384),
            &json!({ "role": "service_role" }),
            &EncodingKey::from_secret(SECRET),
        )
        .expect("signed");
        assert_eq!(verify(SECRET, &hs384), Err(TokenError::BadAlgorithm));
    }
}
