//! Supabase access tokens, checked as Supabase checks them (CONTRACT.md
//! section 12): HS256 with the project's JWT secret, or the project's
//! asymmetric signing keys (RS256, ES256) from its JWKS, with `exp` and
//! `aud = authenticated` required. The user is `sub`; the user's role and
//! block state come from the database, never from the token.

use crate::error::CliError;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
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
        value_parser = crate::secret_arg,
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
}

/// Why a token was refused: all of them are HTTP 401.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no access token: send Authorization: Bearer <the user's Supabase access token>")]
    Missing,
    #[error("the access token has expired: refresh the session and try again")]
    Expired,
    #[error("the access token is not for signed-in users (aud must be authenticated)")]
    Audience,
    #[error("the access token's signature does not verify")]
    Signature,
    #[error("the access token is not a valid Supabase token: {0}")]
    Malformed(String),
    #[error("the access token is signed with a key the project does not list")]
    UnknownKey,
}

impl AuthError {
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Missing => "missing_token",
            AuthError::Expired => "token_expired",
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
    set: JwkSet,
    fetched: Instant,
}

/// Checks access tokens. Clones share the key cache.
#[derive(Clone)]
pub struct Verifier {
    secret: Option<Arc<SecretString>>,
    jwks_url: Option<String>,
    http: reqwest::Client,
    keys: Arc<RwLock<Option<Keys>>>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("hs256", &self.secret.is_some())
            .field("jwks_url", &self.jwks_url)
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
        Verifier::new(
            secret.map(|s| SecretString::from(s.expose_secret().to_string())),
            jwks_url.map(str::to_string),
            timeout,
        )
        .map(Some)
    }

    pub fn new(
        secret: Option<SecretString>,
        jwks_url: Option<String>,
        timeout: Duration,
    ) -> Result<Verifier, CliError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| CliError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Verifier {
            secret: secret.map(Arc::new),
            jwks_url,
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
            Algorithm::RS256 | Algorithm::ES256 => self.public_key(header.kid.as_deref()).await?,
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

    async fn public_key(&self, kid: Option<&str>) -> Result<DecodingKey, AuthError> {
        let url = self.jwks_url.as_deref().ok_or(AuthError::UnknownKey)?;
        let find = |keys: &Option<Keys>| -> Option<DecodingKey> {
            let set = &keys.as_ref()?.set;
            let jwk = match kid {
                Some(kid) => set.find(kid)?,
                None if set.keys.len() == 1 => set.keys.first()?,
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
                Ok(set) => {
                    *keys = Some(Keys {
                        set,
                        fetched: Instant::now(),
                    })
                }
                Err(e) => tracing::warn!(url, error = %e, "cannot fetch the project's JWKS"),
            }
        }
        find(&keys).ok_or(AuthError::UnknownKey)
    }

    async fn fetch(&self, url: &str) -> Result<JwkSet, String> {
        let response = self.http.get(url).send().await.map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()));
        }
        let body = response.bytes().await.map_err(|e| e.to_string())?;
        serde_json::from_slice::<JwkSet>(&body).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SECRET: &str = "a-test-jwt-secret-of-thirty-two-characters!";

    fn now() -> u64 {
        crate::storage::token::now_secs()
    }

    fn hs256(claims: Value) -> String {
        crate::storage::token::sign(SECRET.as_bytes(), &claims).unwrap_or_default()
    }

    fn verifier() -> Verifier {
        Verifier::new(
            Some(SecretString::from(SECRET)),
            None,
            Duration::from_secs(1),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    const USER: &str = "10000000-0000-4000-8000-000000000001";

    #[tokio::test]
    async fn a_users_token_is_accepted_and_every_fault_refused() {
        let v = verifier();
        let good = hs256(
            json!({"sub": USER, "aud": "authenticated", "role": "authenticated", "exp": now() + 60}),
        );
        let ok = v.verify(Some(&format!("Bearer {good}"))).await;
        assert_eq!(ok.map(|v| v.user).ok().as_deref(), Some(USER));

        let cases = [
            (None, AuthError::Missing),
            (Some("Basic abc".to_string()), AuthError::Missing),
            (
                Some(format!(
                    "Bearer {}",
                    hs256(json!({"sub": USER, "aud": "authenticated", "exp": now() - 60}))
                )),
                AuthError::Expired,
            ),
            (
                Some(format!(
                    "Bearer {}",
                    hs256(json!({"sub": USER, "aud": "anon", "exp": now() + 60}))
                )),
                AuthError::Audience,
            ),
            (
                Some(format!(
                    "Bearer {}",
                    hs256(json!({"sub": USER, "exp": now() + 60}))
                )),
                AuthError::Audience,
            ),
            (
                Some(format!(
                    "Bearer {}",
                    crate::storage::token::sign(
                        b"another-secret-entirely-another-secret",
                        &json!({"sub": USER, "aud": "authenticated", "exp": now() + 60})
                    )
                    .unwrap_or_default()
                )),
                AuthError::Signature,
            ),
        ];
        for (header, want) in cases {
            let got = v.verify(header.as_deref()).await.err();
            assert_eq!(got, Some(want), "{header:?}");
        }
        let not_a_user =
            hs256(json!({"sub": "service", "aud": "authenticated", "exp": now() + 60}));
        assert!(matches!(
            v.verify(Some(&format!("Bearer {not_a_user}"))).await,
            Err(AuthError::Malformed(_))
        ));
    }

    #[tokio::test]
    async fn asymmetric_tokens_are_checked_against_the_projects_jwks() {
        use ring::rand::SystemRandom;
        use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .unwrap_or_else(|e| panic!("{e}"));
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap_or_else(|e| panic!("{e}"));
        let point = pair.public_key().as_ref();
        use base64::Engine;
        let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        let jwks = json!({"keys": [{
            "kty": "EC", "crv": "P-256", "kid": "key-1", "alg": "ES256", "use": "sig",
            "x": b64(&point[1..33]), "y": b64(&point[33..65]),
        }]});
        let app = axum::Router::new().route(
            "/auth/v1/.well-known/jwks.json",
            axum::routing::get(move || {
                let jwks = jwks.clone();
                async move { axum::Json(jwks) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        let v = Verifier::new(
            None,
            Some(format!("http://{addr}/auth/v1/.well-known/jwks.json")),
            Duration::from_secs(2),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let sign = |kid: &str, claims: Value| {
            let mut header = jsonwebtoken::Header::new(Algorithm::ES256);
            header.kid = Some(kid.into());
            jsonwebtoken::encode(
                &header,
                &claims,
                &jsonwebtoken::EncodingKey::from_ec_der(pkcs8.as_ref()),
            )
            .unwrap_or_default()
        };
        let claims = json!({"sub": USER, "aud": "authenticated", "exp": now() + 60});
        let good = sign("key-1", claims.clone());
        let ok = v.verify(Some(&format!("Bearer {good}"))).await;
        assert_eq!(ok.map(|v| v.user).ok().as_deref(), Some(USER));
        let unknown = sign("key-2", claims);
        assert_eq!(
            v.verify(Some(&format!("Bearer {unknown}"))).await.err(),
            Some(AuthError::UnknownKey)
        );
        // An HS256 token when the project has no secret configured.
        let hs = hs256(json!({"sub": USER, "aud": "authenticated", "exp": now() + 60}));
        assert_eq!(
            v.verify(Some(&format!("Bearer {hs}"))).await.err(),
            Some(AuthError::UnknownKey)
        );
    }
}
