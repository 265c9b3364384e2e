//! Supabase access tokens, checked as Supabase checks them (CONTRACT.md
//! section 12): HS256 with the project's JWT secret, or the project's
//! asymmetric signing keys (RS256, ES256) from its JWKS, with `exp` and
//! `aud = authenticated` required, `nbf` respected when present, and `iss`
//! checked when the project's issuer is configured. A key from the JWKS
//! verifies only the algorithm it is published for. The user is `sub`; the
//! user's role and block state come from the database, never from the token.

use crate::error::CliError;
use crate::http::outbound;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, KeyOperations, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// How the sidecar checks the apps' access tokens.
#[derive(clap::Args, Debug)]
pub struct AuthArgs {
    /// The project's JWT secret (Supabase: Settings, API, JWT secret), for
    /// HS256 access tokens. Prefer the environment.
    #[arg(
        id = "supabase_jwt_secret",
        long = "supabase-jwt-secret",
        env = "SUPABASE_JWT_SECRET",
        value_name = "SECRET",
        value_parser = crate::secret::secret_arg,
        hide_env_values = true
    )]
    jwt_secret: Option<SecretString>,
    /// The project's JWKS, for asymmetric access tokens (Supabase:
    /// `https://<project>/auth/v1/.well-known/jwks.json`).
    #[arg(
        long = "supabase-jwks-url",
        env = "SUPABASE_JWKS_URL",
        value_name = "URL"
    )]
    jwks_url: Option<String>,
    /// The issuer every access token must name in `iss`, exactly (Supabase:
    /// `https://<project>/auth/v1`, e.g.
    /// `https://abcdefghijklmnop.supabase.co/auth/v1`). Unset: `iss` is not
    /// checked. Set it when the secret or the keys could also sign tokens of
    /// another issuer.
    #[arg(
        long = "supabase-jwt-issuer",
        env = "SUPABASE_JWT_ISSUER",
        value_name = "URL"
    )]
    jwt_issuer: Option<String>,
}

/// Why a token was refused: all of them are HTTP 401.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no access token: send Authorization: Bearer <the user's Supabase access token>")]
    Missing,
    #[error("the access token has expired: refresh the session and try again")]
    Expired,
    #[error("the access token is not valid yet (nbf): check the device's clock and try again")]
    NotYetValid,
    #[error("the access token was not issued by this project's Supabase Auth (iss)")]
    Issuer,
    #[error("the access token is not for signed-in users (aud must be authenticated)")]
    Audience,
    #[error("the access token's signature does not verify")]
    Signature,
    #[error("the access token is not a valid Supabase token: {0}")]
    Malformed(String),
    #[error("the access token is not signed with a key the project lists for its algorithm")]
    UnknownKey,
}

impl AuthError {
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Missing => "missing_token",
            AuthError::Expired => "token_expired",
            AuthError::NotYetValid => "token_not_yet_valid",
            AuthError::Issuer => "wrong_issuer",
            AuthError::Audience => "wrong_audience",
            AuthError::Signature => "bad_signature",
            AuthError::Malformed(_) => "invalid_token",
            AuthError::UnknownKey => "unknown_key",
        }
    }
}

/// A verified token: the user and every claim, as PostgREST hands them to
/// the database in `request.jwt.claims`.
#[derive(Debug, Clone)]
pub struct Verified {
    pub user: String,
    pub claims: Map<String, Value>,
}

struct Keys {
    jwks: Vec<Jwk>,
    fetched: Instant,
}

/// Checks access tokens. Clones share the key cache.
#[derive(Clone)]
pub struct Verifier {
    secret: Option<Arc<SecretString>>,
    jwks_url: Option<String>,
    issuer: Option<String>,
    http: reqwest::Client,
    keys: Arc<RwLock<Option<Keys>>>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("hs256", &self.secret.is_some())
            .field("jwks_url", &self.jwks_url)
            .field("issuer", &self.issuer)
            .finish()
    }
}

/// Keys are fetched again after this long, or sooner for an unknown `kid`
/// (at most once per [`REFETCH_FLOOR`]).
const KEYS_TTL: Duration = Duration::from_secs(600);
const REFETCH_FLOOR: Duration = Duration::from_secs(30);
/// Clock skew allowed on `exp` and `nbf`.
const LEEWAY_SECS: u64 = 5;

impl Verifier {
    /// `None` when neither a secret nor a JWKS is configured.
    pub fn from_args(args: &AuthArgs, timeout: Duration) -> Result<Option<Verifier>, CliError> {
        let secret = args
            .jwt_secret
            .as_ref()
            .filter(|s| !s.expose_secret().trim().is_empty());
        let jwks_url = args
            .jwks_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty());
        if let Some(url) = jwks_url {
            if !(url.starts_with("https://") || crate::http::is_loopback_http(url)) {
                return Err(CliError::Config(format!(
                    "SUPABASE_JWKS_URL {url:?} must be https:// (plain http only on loopback)"
                )));
            }
        }
        if secret.is_none() && jwks_url.is_none() {
            return Ok(None);
        }
        let issuer = args
            .jwt_issuer
            .as_deref()
            .map(str::trim)
            .filter(|i| !i.is_empty());
        Verifier::new(
            secret.map(|s| SecretString::from(s.expose_secret().to_string())),
            jwks_url.map(str::to_string),
            issuer.map(str::to_string),
            timeout,
        )
        .map(Some)
    }

    pub fn new(
        secret: Option<SecretString>,
        jwks_url: Option<String>,
        issuer: Option<String>,
        timeout: Duration,
    ) -> Result<Verifier, CliError> {
        let http = outbound::client(timeout)?;
        Ok(Verifier {
            secret: secret.map(Arc::new),
            jwks_url,
            issuer,
            http,
            keys: Arc::new(RwLock::new(None)),
        })
    }

    /// Checks `authorization` (the header's value, `Bearer <token>`).
    pub async fn verify(&self, authorization: Option<&str>) -> Result<Verified, AuthError> {
        let token = authorization
            .map(str::trim)
            .and_then(|a| {
                a.get(..7)
                    .filter(|p| p.eq_ignore_ascii_case("bearer "))
                    .map(|_| a[7..].trim())
            })
            .filter(|t| !t.is_empty())
            .ok_or(AuthError::Missing)?;
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| AuthError::Malformed(e.to_string()))?;
        let key = match header.alg {
            Algorithm::HS256 => {
                let secret = self.secret.as_ref().ok_or(AuthError::UnknownKey)?;
                DecodingKey::from_secret(secret.expose_secret().as_bytes())
            }
            Algorithm::RS256 | Algorithm::ES256 => {
                self.public_key(header.alg, header.kid.as_deref()).await?
            }
            other => {
                return Err(AuthError::Malformed(format!(
                    "algorithm {other:?} is not used by Supabase"
                )))
            }
        };
        let mut validation = Validation::new(header.alg);
        validation.leeway = LEEWAY_SECS;
        validation.set_audience(&["authenticated"]);
        validation.set_required_spec_claims(&["exp", "sub", "aud"]);
        let data =
            jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation).map_err(|e| {
                match e.kind() {
                    ErrorKind::ExpiredSignature => AuthError::Expired,
                    ErrorKind::InvalidAudience => AuthError::Audience,
                    ErrorKind::InvalidSignature => AuthError::Signature,
                    ErrorKind::MissingRequiredClaim(c) if c == "aud" => AuthError::Audience,
                    _ => AuthError::Malformed(e.to_string()),
                }
            })?;
        check_not_before(&data.claims, jsonwebtoken::get_current_timestamp())?;
        if let Some(issuer) = &self.issuer {
            if data.claims.get("iss").and_then(Value::as_str) != Some(issuer.as_str()) {
                return Err(AuthError::Issuer);
            }
        }
        let user = data
            .claims
            .get("sub")
            .and_then(Value::as_str)
            .filter(|s| uuid::Uuid::parse_str(s).is_ok())
            .ok_or_else(|| AuthError::Malformed("sub is not a user id".into()))?
            .to_string();
        Ok(Verified {
            user,
            claims: data.claims,
        })
    }

    /// The project's key for a token signed with `alg` by `kid`: only a key
    /// [`usable_for`] that algorithm. A token without `kid` may use the only
    /// key of a set of one.
    async fn public_key(
        &self,
        alg: Algorithm,
        kid: Option<&str>,
    ) -> Result<DecodingKey, AuthError> {
        let url = self.jwks_url.as_deref().ok_or(AuthError::UnknownKey)?;
        let find = |keys: &Option<Keys>| -> Option<DecodingKey> {
            let jwks = &keys.as_ref()?.jwks;
            let jwk = match kid {
                Some(kid) => jwks
                    .iter()
                    .find(|k| k.common.key_id.as_deref() == Some(kid) && usable_for(k, alg))?,
                None if jwks.len() == 1 => jwks.first().filter(|k| usable_for(k, alg))?,
                None => return None,
            };
            DecodingKey::from_jwk(jwk).ok()
        };
        let fresh_enough = |keys: &Option<Keys>, age: Duration| {
            keys.as_ref().is_some_and(|k| k.fetched.elapsed() < age)
        };
        {
            let keys = self.keys.read().await;
            if fresh_enough(&keys, KEYS_TTL) {
                if let Some(key) = find(&keys) {
                    return Ok(key);
                }
                if fresh_enough(&keys, REFETCH_FLOOR) {
                    return Err(AuthError::UnknownKey);
                }
            }
        }
        let mut keys = self.keys.write().await;
        if !fresh_enough(&keys, REFETCH_FLOOR) {
            match self.fetch(url).await {
                Ok(jwks) => {
                    *keys = Some(Keys {
                        jwks,
                        fetched: Instant::now(),
                    })
                }
                Err(e) => tracing::warn!(url, error = %e, "cannot fetch the project's JWKS"),
            }
        }
        find(&keys).ok_or(AuthError::UnknownKey)
    }

    async fn fetch(&self, url: &str) -> Result<Vec<Jwk>, String> {
        let answer = outbound::send(self.http.get(url), &[])
            .await
            .map_err(|e| e.to_string())?;
        if !answer.is_success() {
            return Err(format!("HTTP {}", answer.status));
        }
        parse_jwks(&answer.body)
    }
}

/// The keys of a JWKS document. Each key is read on its own and one this
/// crate cannot read (an algorithm or key type it does not know) is left
/// out: it could verify nothing here, and it must not take the project's
/// other keys with it.
fn parse_jwks(body: &[u8]) -> Result<Vec<Jwk>, String> {
    #[derive(serde::Deserialize)]
    struct Document {
        keys: Vec<Value>,
    }
    let document: Document = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    Ok(document
        .keys
        .into_iter()
        .filter_map(|key| match serde_json::from_value::<Jwk>(key) {
            Ok(jwk) => Some(jwk),
            Err(e) => {
                tracing::debug!(error = %e, "a key of the project's JWKS is left out");
                None
            }
        })
        .collect())
}

/// The one algorithm a key of this type verifies here: EC P-256 ES256, RSA
/// RS256, OKP Ed25519 EdDSA. A key's type alone says what it can verify,
/// so a key is never tried with an algorithm of another family or curve.
fn fitting_algorithm(params: &AlgorithmParameters) -> Option<(Algorithm, KeyAlgorithm)> {
    match params {
        AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
            Some((Algorithm::ES256, KeyAlgorithm::ES256))
        }
        AlgorithmParameters::RSA(_) => Some((Algorithm::RS256, KeyAlgorithm::RS256)),
        AlgorithmParameters::OctetKeyPair(okp) if okp.curve == EllipticCurve::Ed25519 => {
            Some((Algorithm::EdDSA, KeyAlgorithm::EdDSA))
        }
        _ => None,
    }
}

/// Whether the project's key `jwk` may verify a token signed with `alg`
/// (RFC 7517 section 4): the key is for signatures (`use` absent or `sig`,
/// `key_ops` absent or holding `verify`), its type fits `alg`, and its own
/// `alg`, when given, is `alg`. A key published for encryption or for
/// another algorithm is never turned to verifying tokens.
fn usable_for(jwk: &Jwk, alg: Algorithm) -> bool {
    let common = &jwk.common;
    let for_signatures = matches!(common.public_key_use, None | Some(PublicKeyUse::Signature));
    let may_verify = common
        .key_operations
        .as_ref()
        .is_none_or(|ops| ops.contains(&KeyOperations::Verify));
    let fits = fitting_algorithm(&jwk.algorithm).is_some_and(|(fit, declared)| {
        fit == alg && common.key_algorithm.is_none_or(|a| a == declared)
    });
    for_signatures && may_verify && fits
}

/// `nbf`, when the token has one, must not be later than `now` (with the
/// leeway `exp` has). Checked here rather than by `jsonwebtoken`, which
/// skips an `nbf` it cannot read as a whole number of seconds (a string, a
/// number past `u64`): such a token is refused as malformed instead.
fn check_not_before(claims: &Map<String, Value>, now: u64) -> Result<(), AuthError> {
    let Some(nbf) = claims.get("nbf") else {
        return Ok(());
    };
    let nbf = nbf
        .as_f64()
        .ok_or_else(|| AuthError::Malformed("nbf is not a time".into()))?;
    if nbf > now.saturating_add(LEEWAY_SECS) as f64 {
        return Err(AuthError::NotYetValid);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
