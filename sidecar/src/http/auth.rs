//! Supabase access tokens, checked as Supabase checks them (CONTRACT.md
//! section 12): HS256 with the project's JWT secret, or the project's
//! asymmetric signing keys (RS256, ES256) from its JWKS, with `exp` and
//! `aud = authenticated` required, `nbf` respected when present, and `iss`
//! checked when the project's issuer is configured. A key from the JWKS
//! verifies only the algorithm it is published for. The user is `sub`; the
//! user's role and block state come from the database, never from the token.

use crate::error::CliError;
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
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| CliError::Config(format!("cannot build the HTTP client: {e}")))?;
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
        let response = self.http.get(url).send().await.map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()));
        }
        let body = response.bytes().await.map_err(|e| e.to_string())?;
        parse_jwks(&body)
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
mod tests {
    use super::*;
    use base64::Engine;
    use ring::rand::SystemRandom;
    use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    use serde_json::json;

    const SECRET: &str = "a-test-jwt-secret-of-thirty-two-characters!";
    const ISSUER: &str = "https://abcdefghijklmnop.supabase.co/auth/v1";

    fn now() -> u64 {
        jsonwebtoken::get_current_timestamp()
    }

    /// `claims` signed with HS256 and `secret`.
    fn sign(secret: &[u8], claims: &Value) -> String {
        let key = jsonwebtoken::EncodingKey::from_secret(secret);
        jsonwebtoken::encode(&jsonwebtoken::Header::new(Algorithm::HS256), claims, &key)
            .unwrap_or_default()
    }

    fn hs256(claims: Value) -> String {
        sign(SECRET.as_bytes(), &claims)
    }

    fn verifier_with_issuer(issuer: Option<&str>) -> Verifier {
        Verifier::new(
            Some(SecretString::from(SECRET)),
            None,
            issuer.map(str::to_string),
            Duration::from_secs(1),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn verifier() -> Verifier {
        verifier_with_issuer(None)
    }

    fn bearer(token: &str) -> Option<String> {
        Some(format!("Bearer {token}"))
    }

    const USER: &str = "10000000-0000-4000-8000-000000000001";

    /// A user's claims, valid for an hour, with `extra` merged in.
    fn claims(extra: Value) -> Value {
        let mut claims = json!({"sub": USER, "aud": "authenticated", "exp": now() + 3600});
        if let (Some(all), Some(extra)) = (claims.as_object_mut(), extra.as_object()) {
            all.extend(extra.clone());
        }
        claims
    }

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
                    sign(
                        b"another-secret-entirely-another-secret",
                        &json!({"sub": USER, "aud": "authenticated", "exp": now() + 60})
                    )
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
    async fn a_token_is_refused_before_its_not_before_time() {
        let v = verifier();
        let later = hs256(claims(json!({"nbf": now() + 1800})));
        assert_eq!(
            v.verify(bearer(&later).as_deref()).await.err(),
            Some(AuthError::NotYetValid)
        );
        assert_eq!(AuthError::NotYetValid.code(), "token_not_yet_valid");
        // Too large for a whole number of seconds, still a time to wait for.
        let far = hs256(claims(json!({"nbf": 1.0e30})));
        assert_eq!(
            v.verify(bearer(&far).as_deref()).await.err(),
            Some(AuthError::NotYetValid)
        );
        let unreadable = hs256(claims(json!({"nbf": "tomorrow"})));
        assert!(matches!(
            v.verify(bearer(&unreadable).as_deref()).await,
            Err(AuthError::Malformed(_))
        ));
        for nbf in [now() - 1800, now()] {
            let valid = hs256(claims(json!({ "nbf": nbf })));
            let got = v.verify(bearer(&valid).as_deref()).await;
            assert_eq!(got.map(|v| v.user).ok().as_deref(), Some(USER), "nbf {nbf}");
        }
    }

    #[tokio::test]
    async fn the_issuer_is_checked_exactly_when_one_is_configured() {
        let checked = verifier_with_issuer(Some(ISSUER));
        let ours = hs256(claims(json!({ "iss": ISSUER })));
        let got = checked.verify(bearer(&ours).as_deref()).await;
        assert_eq!(got.map(|v| v.user).ok().as_deref(), Some(USER));
        let others = [
            json!({"iss": "https://another-project.supabase.co/auth/v1"}),
            json!({ "iss": format!("{ISSUER}/") }),
            json!({ "iss": [ISSUER] }),
            json!({}),
        ];
        for extra in others {
            let token = hs256(claims(extra.clone()));
            assert_eq!(
                checked.verify(bearer(&token).as_deref()).await.err(),
                Some(AuthError::Issuer),
                "{extra}"
            );
        }
        assert_eq!(AuthError::Issuer.code(), "wrong_issuer");

        let unchecked = verifier();
        let foreign = hs256(claims(
            json!({"iss": "https://another-project.supabase.co/auth/v1"}),
        ));
        let got = unchecked.verify(bearer(&foreign).as_deref()).await;
        assert_eq!(got.map(|v| v.user).ok().as_deref(), Some(USER));
    }

    #[test]
    fn the_issuer_setting_is_read_and_a_blank_one_ignored() {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            auth: AuthArgs,
        }
        let parsed = |args: &[&str]| {
            let cli = Cli::try_parse_from(args).unwrap_or_else(|e| panic!("{e}"));
            Verifier::from_args(&cli.auth, Duration::from_secs(1))
                .unwrap_or_else(|e| panic!("{e}"))
                .and_then(|v| v.issuer)
        };
        let set = [
            "samia",
            "--supabase-jwt-secret",
            SECRET,
            "--supabase-jwt-issuer",
            ISSUER,
        ];
        assert_eq!(parsed(&set).as_deref(), Some(ISSUER));
        let blank = [
            "samia",
            "--supabase-jwt-secret",
            SECRET,
            "--supabase-jwt-issuer",
            " ",
        ];
        assert_eq!(parsed(&blank), None);
    }

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The RSA public key of RFC 7517 appendix A.1: a key whose type is
    /// RSA, for checks that refuse before any signature is verified.
    const RSA_N: &str = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

    /// A project with one P-256 key pair, published in its JWKS (served on
    /// loopback) once per entry of `keys`: each entry's members (`kid`,
    /// `alg`, `use`, ...) are added to the key's `kty`, `crv`, `x` and `y`.
    /// Entries with a `kty` of their own are published as they are.
    struct Project {
        pkcs8: Vec<u8>,
        verifier: Verifier,
    }

    impl Project {
        async fn start(keys: Vec<Value>) -> Project {
            let rng = SystemRandom::new();
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .unwrap_or_else(|e| panic!("{e}"));
            let pair =
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
                    .unwrap_or_else(|e| panic!("{e}"));
            let point = pair.public_key().as_ref();
            let public = json!({
                "kty": "EC", "crv": "P-256", "x": b64(&point[1..33]), "y": b64(&point[33..65]),
            });
            let keys: Vec<Value> = keys
                .into_iter()
                .map(|entry| {
                    if entry.get("kty").is_some() {
                        return entry;
                    }
                    let mut key = public.clone();
                    if let (Some(key), Some(entry)) = (key.as_object_mut(), entry.as_object()) {
                        key.extend(entry.clone());
                    }
                    key
                })
                .collect();
            let jwks = json!({ "keys": keys });
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
            let verifier = Verifier::new(
                None,
                Some(format!("http://{addr}/auth/v1/.well-known/jwks.json")),
                None,
                Duration::from_secs(2),
            )
            .unwrap_or_else(|e| panic!("{e}"));
            Project {
                pkcs8: pkcs8.as_ref().to_vec(),
                verifier,
            }
        }

        /// A user's token signed by the project's key, naming `kid`.
        fn es256(&self, kid: &str) -> String {
            let mut header = jsonwebtoken::Header::new(Algorithm::ES256);
            header.kid = Some(kid.into());
            jsonwebtoken::encode(
                &header,
                &claims(json!({})),
                &jsonwebtoken::EncodingKey::from_ec_der(&self.pkcs8),
            )
            .unwrap_or_default()
        }

        async fn verify(&self, token: &str) -> Result<String, AuthError> {
            self.verifier
                .verify(bearer(token).as_deref())
                .await
                .map(|v| v.user)
        }
    }

    /// A user's token whose header says `alg` and `kid`, with a signature
    /// of the right length for RS256 that verifies under no key.
    fn forged(alg: &str, kid: &str) -> String {
        let header = json!({"alg": alg, "typ": "JWT", "kid": kid});
        format!(
            "{}.{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims(json!({})).to_string().as_bytes()),
            b64(&[0u8; 256])
        )
    }

    #[tokio::test]
    async fn asymmetric_tokens_are_checked_against_the_projects_jwks() {
        let project =
            Project::start(vec![json!({"kid": "key-1", "alg": "ES256", "use": "sig"})]).await;
        assert_eq!(
            project
                .verify(&project.es256("key-1"))
                .await
                .ok()
                .as_deref(),
            Some(USER)
        );
        assert_eq!(
            project.verify(&project.es256("key-2")).await.err(),
            Some(AuthError::UnknownKey)
        );
        // An HS256 token when the project has no secret configured.
        let hs = hs256(claims(json!({})));
        assert_eq!(project.verify(&hs).await.err(), Some(AuthError::UnknownKey));
    }

    #[tokio::test]
    async fn a_key_declaring_another_algorithm_is_not_used() {
        let project = Project::start(vec![
            json!({"kid": "es384", "alg": "ES384", "use": "sig"}),
            json!({"kid": "rs256", "alg": "RS256"}),
        ])
        .await;
        // The P-256 key would verify the signature: its `alg` says no.
        for kid in ["es384", "rs256"] {
            assert_eq!(
                project.verify(&project.es256(kid)).await.err(),
                Some(AuthError::UnknownKey),
                "{kid}"
            );
        }
    }

    #[tokio::test]
    async fn a_key_is_used_only_with_the_algorithm_its_type_fits() {
        let project = Project::start(vec![
            json!({"kid": "ec-es256", "alg": "ES256", "use": "sig"}),
            json!({"kid": "ec-bare"}),
            json!({"kty": "RSA", "kid": "rsa-bare", "n": RSA_N, "e": "AQAB"}),
            json!({"kty": "RSA", "kid": "rsa-es256", "alg": "ES256", "n": RSA_N, "e": "AQAB"}),
        ])
        .await;
        // An EC key declaring ES256 never checks a token saying RS256.
        assert_eq!(
            project.verify(&forged("RS256", "ec-es256")).await.err(),
            Some(AuthError::UnknownKey)
        );
        // A key without `alg`: its type decides.
        assert_eq!(
            project
                .verify(&project.es256("ec-bare"))
                .await
                .ok()
                .as_deref(),
            Some(USER)
        );
        assert_eq!(
            project.verify(&forged("RS256", "ec-bare")).await.err(),
            Some(AuthError::UnknownKey)
        );
        assert_eq!(
            project.verify(&forged("ES256", "rsa-bare")).await.err(),
            Some(AuthError::UnknownKey)
        );
        // RS256 does reach the RSA key, whose signature check then fails.
        assert_eq!(
            project.verify(&forged("RS256", "rsa-bare")).await.err(),
            Some(AuthError::Signature)
        );
        // Declaring an algorithm its type does not fit makes a key unusable.
        assert_eq!(
            project.verify(&forged("ES256", "rsa-es256")).await.err(),
            Some(AuthError::UnknownKey)
        );
    }

    #[tokio::test]
    async fn a_key_not_published_for_verifying_signatures_is_not_used() {
        let project = Project::start(vec![
            json!({"kid": "enc", "alg": "ES256", "use": "enc"}),
            json!({"kid": "other-use", "use": "something-else"}),
            json!({"kid": "ops-encrypt", "key_ops": ["encrypt", "sign"]}),
            json!({"kid": "ops-none", "key_ops": []}),
            json!({"kid": "ops-verify", "alg": "ES256", "key_ops": ["verify"]}),
            json!({"kid": "sig", "use": "sig"}),
        ])
        .await;
        for kid in ["enc", "other-use", "ops-encrypt", "ops-none"] {
            assert_eq!(
                project.verify(&project.es256(kid)).await.err(),
                Some(AuthError::UnknownKey),
                "{kid}"
            );
        }
        for kid in ["ops-verify", "sig"] {
            assert_eq!(
                project.verify(&project.es256(kid)).await.ok().as_deref(),
                Some(USER),
                "{kid}"
            );
        }
    }

    #[tokio::test]
    async fn an_unreadable_key_in_the_jwks_leaves_the_others_usable() {
        let project = Project::start(vec![
            json!({"kty": "EC", "crv": "P-521", "kid": "future", "alg": "ES512", "x": "AA", "y": "AA"}),
            json!({"kty": "unknown", "kid": "odd"}),
            json!({"kid": "key-1", "alg": "ES256", "use": "sig"}),
        ])
        .await;
        assert_eq!(
            project
                .verify(&project.es256("key-1"))
                .await
                .ok()
                .as_deref(),
            Some(USER)
        );
        assert_eq!(
            project.verify(&project.es256("future")).await.err(),
            Some(AuthError::UnknownKey)
        );
    }
}
