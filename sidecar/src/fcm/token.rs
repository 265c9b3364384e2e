//! Access tokens for FCM: an RS256 JWT assertion signed with the service
//! account's key is exchanged at its `token_uri` (RFC 7523, `grant_type`
//! `urn:ietf:params:oauth:grant-type:jwt-bearer`), and the access token is
//! kept until five minutes before it expires. One exchange runs at a time:
//! senders that need a token while one is being fetched wait for it and
//! share it.
//!
//! The JWT is assembled here rather than with `jsonwebtoken`: that crate
//! (as the workspace builds it, without PEM support) signs RSA only with a
//! PKCS#1 key, and Google's keys are PKCS#8, which `ring` reads directly.
//! The fake FCM checks these assertions with `jsonwebtoken`.

use super::account::ServiceAccount;
use super::errors::FcmError;
use crate::http::outbound::{self, excerpt, scrub};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::Mutex;

/// The grant type of a JWT assertion (RFC 7523 section 2.1).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// The scope that allows sending messages.
pub const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";

/// How long an assertion is valid: Google's longest.
pub const ASSERTION_TTL: Duration = Duration::from_secs(3600);

/// A token is not used in its last five minutes.
pub const MARGIN: Duration = Duration::from_secs(300);

/// When Google names no lifetime: its usual one.
const DEFAULT_EXPIRES_IN: u64 = 3600;

/// How much of an answer that is not the token endpoint's an error shows.
const EXCERPT: usize = 200;

fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The signed assertion of `account` at `now`: header `{"alg": "RS256",
/// "typ": "JWT", "kid"}`, claims `iss`, `scope`, `aud` (the token URI),
/// `iat` and `exp` (an hour later).
pub fn assertion(account: &ServiceAccount, now: SystemTime) -> Result<SecretString, FcmError> {
    let mut header = json!({ "alg": "RS256", "typ": "JWT" });
    if let Some(kid) = &account.private_key_id {
        header["kid"] = json!(kid);
    }
    let iat = unix(now);
    let claims = json!({
        "iss": account.client_email,
        "scope": SCOPE,
        "aud": account.token_uri,
        "iat": iat,
        "exp": iat + ASSERTION_TTL.as_secs(),
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = account
        .key
        .sign(signing_input.as_bytes())
        .map_err(FcmError::Request)?;
    Ok(SecretString::from(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    )))
}

/// An access token, and until when it is used.
#[derive(Clone)]
pub struct AccessToken {
    pub value: SecretString,
    pub fresh_until: Instant,
}

/// Until when a token that lives `expires_in` seconds from `sent` is used:
/// five minutes before it expires (a token living five minutes or less
/// serves only the request it was fetched for).
pub fn fresh_until(sent: Instant, expires_in: u64) -> Instant {
    sent + Duration::from_secs(expires_in).saturating_sub(MARGIN)
}

/// The access token kept between sends; one fetch at a time.
#[derive(Default)]
pub struct TokenCache(Mutex<Option<AccessToken>>);

impl TokenCache {
    /// The kept token while it is fresh, otherwise one from `fetch` (run
    /// while the others wait), then kept.
    pub async fn get<F, Fut>(&self, fetch: F) -> Result<SecretString, FcmError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<AccessToken, FcmError>>,
    {
        let mut slot = self.0.lock().await;
        if let Some(token) = slot.as_ref().filter(|t| Instant::now() < t.fresh_until) {
            return Ok(token.value.clone());
        }
        let token = fetch().await?;
        let value = token.value.clone();
        *slot = Some(token);
        Ok(value)
    }

    /// Forgets `used` (refused by FCM), unless another sender has already
    /// replaced it.
    pub async fn forget(&self, used: &SecretString) {
        let mut slot = self.0.lock().await;
        if slot
            .as_ref()
            .is_some_and(|t| t.value.expose_secret() == used.expose_secret())
        {
            *slot = None;
        }
    }
}

/// Exchanges a new assertion of `account` for an access token.
pub async fn fetch(
    http: &reqwest::Client,
    account: &ServiceAccount,
) -> Result<AccessToken, FcmError> {
    let assertion = assertion(account, SystemTime::now())?;
    let secret = assertion.expose_secret();
    let request = http
        .post(&account.token_uri)
        .form(&[("grant_type", JWT_BEARER), ("assertion", secret)]);
    let sent = Instant::now();
    let answer = outbound::send(request, &[secret]).await?;
    tracing::debug!(status = answer.status, "the token endpoint answered");
    let json = answer.json().filter(Value::is_object);
    if answer.is_success() {
        let json = json.unwrap_or_default();
        let value = json
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| FcmError::Protocol {
                status: answer.status,
                excerpt: "the token endpoint answered without an access_token".into(),
            })?;
        if let Some(kind) = json.get("token_type").and_then(Value::as_str) {
            if !kind.eq_ignore_ascii_case("bearer") {
                return Err(FcmError::Protocol {
                    status: answer.status,
                    excerpt: format!("the token endpoint answered a {kind:?} token, not Bearer"),
                });
            }
        }
        let expires_in = json
            .get("expires_in")
            .and_then(Value::as_u64)
            .unwrap_or(DEFAULT_EXPIRES_IN);
        return Ok(AccessToken {
            value: SecretString::from(value.to_string()),
            fresh_until: fresh_until(sent, expires_in),
        });
    }
    // OAuth's error shape: {"error": "invalid_grant", "error_description": "..."}.
    let text = |name: &str| {
        json.as_ref()
            .and_then(|j| j.get(name))
            .and_then(Value::as_str)
            .map(|s| scrub(s, &[secret]))
    };
    match text("error") {
        Some(code) => Err(FcmError::from_token_refusal(
            answer.status,
            &code,
            text("error_description").as_deref().unwrap_or(""),
            answer.retry_after,
        )),
        None => Err(FcmError::from_plain_answer(
            answer.status,
            excerpt(&answer.body, &[secret], EXCERPT),
            answer.retry_after,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fcm::testing::{account_json, key_pem};
    use jsonwebtoken::{Algorithm, DecodingKey, Validation};

    #[test]
    fn assertions_carry_googles_claims_and_verify_with_the_public_key() {
        let account = ServiceAccount::from_json(
            &account_json("https://oauth2.googleapis.com/token").to_string(),
            "test",
        )
        .expect("valid");
        let now = UNIX_EPOCH + Duration::from_secs(1_717_200_000);
        let jwt = assertion(&account, now).expect("signed");
        let jwt = jwt.expose_secret();
        let header = jsonwebtoken::decode_header(jwt).expect("a header");
        assert_eq!(header.alg, Algorithm::RS256);
        assert_eq!(header.typ.as_deref(), Some("JWT"));
        assert_eq!(header.kid.as_deref(), Some("k1"));
        let key = DecodingKey::from_rsa_der(&account.key.public_key_der());
        let mut validation = Validation::new(Algorithm::RS256);
        validation.validate_exp = false;
        validation.set_audience(&["https://oauth2.googleapis.com/token"]);
        validation.set_issuer(&["firebase-adminsdk@samia-test.iam.gserviceaccount.com"]);
        let claims = jsonwebtoken::decode::<Value>(jwt, &key, &validation)
            .expect("verifies")
            .claims;
        assert_eq!(
            claims,
            json!({
                "iss": "firebase-adminsdk@samia-test.iam.gserviceaccount.com",
                "scope": "https://www.googleapis.com/auth/firebase.messaging",
                "aud": "https://oauth2.googleapis.com/token",
                "iat": 1_717_200_000u64,
                "exp": 1_717_203_600u64,
            })
        );
        // Another key does not verify it.
        let other = crate::fcm::testing::new_key_pem();
        assert_ne!(other, key_pem());
        let other = super::super::account::SigningKey::from_pem(&other).expect("a key");
        let wrong = DecodingKey::from_rsa_der(&other.public_key_der());
        assert!(jsonwebtoken::decode::<Value>(jwt, &wrong, &validation).is_err());
    }

    #[test]
    fn tokens_are_used_until_five_minutes_before_they_expire() {
        let sent = Instant::now();
        assert_eq!(fresh_until(sent, 3599), sent + Duration::from_secs(3299));
        assert_eq!(fresh_until(sent, 300), sent);
        assert_eq!(fresh_until(sent, 10), sent);
    }

    #[tokio::test]
    async fn one_fetch_serves_every_waiting_sender() {
        let cache = std::sync::Arc::new(TokenCache::default());
        let fetches = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut senders = Vec::new();
        for _ in 0..8 {
            let (cache, fetches) = (cache.clone(), fetches.clone());
            senders.push(tokio::spawn(async move {
                cache
                    .get(|| async {
                        let n = fetches.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok(AccessToken {
                            value: SecretString::from(format!("ya29.t{n}")),
                            fresh_until: fresh_until(Instant::now(), 3599),
                        })
                    })
                    .await
                    .expect("a token")
                    .expose_secret()
                    .to_string()
            }));
        }
        for sender in senders {
            assert_eq!(sender.await.expect("joined"), "ya29.t0");
        }
        assert_eq!(fetches.load(std::sync::atomic::Ordering::SeqCst), 1);
        // A refused token is forgotten only if it is still the one kept.
        cache.forget(&SecretString::from("ya29.other")).await;
        let kept = cache
            .get(|| async { Err(FcmError::Request("no fetch expected".into())) })
            .await
            .expect("still kept");
        assert_eq!(kept.expose_secret(), "ya29.t0");
        cache.forget(&kept).await;
        let again = cache
            .get(|| async {
                Ok(AccessToken {
                    value: SecretString::from("ya29.t1"),
                    fresh_until: Instant::now(),
                })
            })
            .await
            .expect("fetched again");
        assert_eq!(again.expose_secret(), "ya29.t1");
    }
}
