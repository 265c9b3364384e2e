//! LiveKit's JSON Web Tokens, minted and checked as LiveKit does
//! (livekit/protocol `auth/accesstoken.go`, `auth/verifier.go`,
//! `auth/grants.go`): HS256 with the API secret, `iss` the API key, `sub`
//! the identity, `exp` required, one minute of leeway on `exp` and `nbf`.
//! Both sides take the time as an argument, so the fake's clock and the
//! webhook check can be moved in tests.

use base64::Engine;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The clock skew LiveKit tolerates on `exp` and `nbf`.
pub const LEEWAY: Duration = Duration::from_secs(60);

fn is_false(b: &bool) -> bool {
    !*b
}

/// The `video` claim, with LiveKit's names. `None` permissions are unset,
/// which LiveKit reads as allowed (see [`VideoGrant::may_publish`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct VideoGrant {
    #[serde(skip_serializing_if = "is_false")]
    pub room_create: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub room_list: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub room_admin: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub room_join: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub room: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub can_publish: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub can_subscribe: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub can_publish_data: Option<bool>,
    #[serde(skip_serializing_if = "is_false")]
    pub hidden: bool,
}

impl VideoGrant {
    /// Whether LiveKit lets the holder publish tracks: unset means yes.
    pub fn may_publish(&self) -> bool {
        self.can_publish.unwrap_or(true)
    }

    /// Whether LiveKit lets the holder subscribe: unset means yes.
    pub fn may_subscribe(&self) -> bool {
        self.can_subscribe.unwrap_or(true)
    }

    /// Whether LiveKit lets the holder send data: unset follows publishing.
    pub fn may_publish_data(&self) -> bool {
        self.can_publish_data.unwrap_or_else(|| self.may_publish())
    }
}

/// What a token says, once checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub iss: String,
    pub sub: Option<String>,
    pub name: Option<String>,
    /// Unix seconds.
    pub exp: u64,
    pub nbf: Option<u64>,
    pub video: Option<VideoGrant>,
    pub sha256: Option<String>,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("no token was given")]
    Missing,
    #[error("the token is not a JWT")]
    Malformed,
    #[error("the token was issued by API key {0:?}, which is not this server's")]
    UnknownKey(String),
    #[error("the token's signature does not match the API secret")]
    BadSignature,
    #[error("the token is not signed with HS256")]
    BadAlgorithm,
    #[error("the token has no exp claim")]
    MissingExp,
    #[error("the token expired at {0} (Unix seconds)")]
    Expired(u64),
    #[error("the token is not valid before {0} (Unix seconds)")]
    NotYetValid(u64),
    /// Minting refused: what was wrong with the request.
    #[error("{0}")]
    Mint(String),
}

impl TokenError {
    /// A short stable name.
    pub fn code(&self) -> &'static str {
        match self {
            TokenError::Missing => "unauthorized",
            TokenError::Malformed => "invalid_token",
            TokenError::UnknownKey(_) => "invalid_api_key",
            TokenError::BadSignature | TokenError::BadAlgorithm => "bad_signature",
            TokenError::MissingExp => "invalid_token",
            TokenError::Expired(_) => "token_expired",
            TokenError::NotYetValid(_) => "token_not_yet_valid",
            TokenError::Mint(_) => "mint_failed",
        }
    }
}

/// Seconds since the Unix epoch at `at`.
pub fn unix(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// What to put in a token.
#[derive(Debug, Clone, Default)]
pub struct Mint<'a> {
    pub identity: Option<&'a str>,
    pub name: Option<&'a str>,
    pub video: Option<&'a VideoGrant>,
    pub sha256: Option<&'a str>,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<&'a str>,
    iat: u64,
    nbf: u64,
    exp: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    video: Option<&'a VideoGrant>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256: Option<&'a str>,
}

/// Signs a token of API key `key`, valid from `now` for `ttl` (whole
/// seconds, at least one); returns it and when it expires.
pub fn mint(
    key: &str,
    secret: &SecretString,
    what: &Mint<'_>,
    now: SystemTime,
    ttl: Duration,
) -> Result<(String, SystemTime), TokenError> {
    if key.is_empty() || secret.expose_secret().is_empty() {
        return Err(TokenError::Mint(
            "the API key and secret must not be empty".into(),
        ));
    }
    if ttl.as_secs() == 0 {
        return Err(TokenError::Mint(
            "a token must live at least one second".into(),
        ));
    }
    let iat = unix(now);
    let exp = iat + ttl.as_secs();
    let claims = Claims {
        iss: key,
        sub: what.identity,
        iat,
        nbf: iat,
        exp,
        name: what.name,
        video: what.video,
        sha256: what.sha256,
    };
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.expose_secret().as_bytes()),
    )
    .map_err(|e| TokenError::Mint(format!("cannot sign the token: {e}")))?;
    Ok((token, UNIX_EPOCH + Duration::from_secs(exp)))
}

/// The claims of a JWT, read without checking anything.
pub fn peek(token: &str) -> Result<serde_json::Map<String, Value>, TokenError> {
    let mut parts = token.split('.');
    let (Some(_), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| TokenError::Malformed)?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(claims)) => Ok(claims),
        _ => Err(TokenError::Malformed),
    }
}

fn seconds(v: Option<&Value>) -> Option<u64> {
    let v = v?;
    v.as_u64()
        .or_else(|| v.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
}

/// Checks a token as LiveKit does: readable, issued by API key `key`,
/// HS256 with `secret`, with an `exp` not passed and an `nbf` reached at
/// `now`, each within [`LEEWAY`].
pub fn verify(
    token: &str,
    key: &str,
    secret: &SecretString,
    now: SystemTime,
) -> Result<Verified, TokenError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(TokenError::Missing);
    }
    let claims = peek(token)?;
    let iss = claims
        .get("iss")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if iss != key {
        return Err(TokenError::UnknownKey(iss));
    }
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(
        token,
        &DecodingKey::from_secret(secret.expose_secret().as_bytes()),
        &validation,
    )
    .map_err(|e| match e.kind() {
        ErrorKind::InvalidSignature => TokenError::BadSignature,
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => TokenError::BadAlgorithm,
        _ => TokenError::Malformed,
    })?;
    let now = unix(now);
    let leeway = LEEWAY.as_secs();
    let exp = seconds(claims.get("exp")).ok_or(TokenError::MissingExp)?;
    if now > exp.saturating_add(leeway) {
        return Err(TokenError::Expired(exp));
    }
    let nbf = seconds(claims.get("nbf"));
    if let Some(nbf) = nbf.filter(|nbf| now.saturating_add(leeway) < *nbf) {
        return Err(TokenError::NotYetValid(nbf));
    }
    let text = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let video = match claims.get("video") {
        None | Some(Value::Null) => None,
        Some(v) => Some(serde_json::from_value(v.clone()).map_err(|_| TokenError::Malformed)?),
    };
    Ok(Verified {
        iss,
        sub: text("sub"),
        name: text("name"),
        exp,
        nbf,
        video,
        sha256: text("sha256"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY: &str = "APIkey1";

    fn secret() -> SecretString {
        SecretString::from("a-livekit-secret-of-32-characters-x")
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn a_minted_token_verifies_with_its_claims() {
        let grant = VideoGrant {
            room_join: true,
            room: "call-1".into(),
            can_publish: Some(false),
            ..VideoGrant::default()
        };
        let what = Mint {
            identity: Some("u1"),
            name: Some("Ann"),
            video: Some(&grant),
            sha256: None,
        };
        let (token, exp) =
            mint(KEY, &secret(), &what, at(1_000), Duration::from_secs(600)).expect("minted");
        assert_eq!(exp, at(1_600));
        let v = verify(&token, KEY, &secret(), at(1_000)).expect("valid");
        assert_eq!(v.sub.as_deref(), Some("u1"));
        assert_eq!(v.name.as_deref(), Some("Ann"));
        assert_eq!((v.exp, v.nbf), (1_600, Some(1_000)));
        assert_eq!(v.video.as_ref(), Some(&grant));
        let claims = peek(&token).expect("readable");
        assert_eq!(claims["iat"], json!(1_000));
        assert_eq!(
            claims["video"],
            json!({"roomJoin": true, "room": "call-1", "canPublish": false})
        );
    }

    #[test]
    fn the_leeway_is_one_minute_each_way() {
        let what = Mint::default();
        let (token, _) =
            mint(KEY, &secret(), &what, at(1_000), Duration::from_secs(100)).expect("minted");
        assert!(verify(&token, KEY, &secret(), at(1_160)).is_ok());
        assert_eq!(
            verify(&token, KEY, &secret(), at(1_161)),
            Err(TokenError::Expired(1_100))
        );
        assert!(verify(&token, KEY, &secret(), at(940)).is_ok());
        assert_eq!(
            verify(&token, KEY, &secret(), at(939)),
            Err(TokenError::NotYetValid(1_000))
        );
    }

    #[test]
    fn refusals_name_what_was_wrong() {
        let what = Mint::default();
        let now = at(1_000);
        let (token, _) = mint(KEY, &secret(), &what, now, Duration::from_secs(60)).expect("minted");
        let other = SecretString::from("another-secret-of-32-characters-xx");
        assert_eq!(
            verify(&token, KEY, &other, now),
            Err(TokenError::BadSignature)
        );
        assert_eq!(
            verify(&token, "APIother", &secret(), now),
            Err(TokenError::UnknownKey(KEY.into()))
        );
        assert_eq!(
            verify("a.b", KEY, &secret(), now),
            Err(TokenError::Malformed)
        );
        assert_eq!(verify("  ", KEY, &secret(), now), Err(TokenError::Missing));
        let no_exp = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &json!({"iss": KEY, "sub": "u1"}),
            &EncodingKey::from_secret(secret().expose_secret().as_bytes()),
        )
        .expect("signed");
        assert_eq!(
            verify(&no_exp, KEY, &secret(), now),
            Err(TokenError::MissingExp)
        );
        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &json!({"iss": KEY, "exp": 2_000}),
            &EncodingKey::from_secret(secret().expose_secret().as_bytes()),
        )
        .expect("signed");
        assert_eq!(
            verify(&hs512, KEY, &secret(), now),
            Err(TokenError::BadAlgorithm)
        );
        assert!(mint(KEY, &secret(), &what, now, Duration::from_millis(500)).is_err());
    }

    #[test]
    fn unset_permissions_read_as_livekit_reads_them() {
        let unset = VideoGrant::default();
        assert!(unset.may_publish() && unset.may_subscribe() && unset.may_publish_data());
        let listen = VideoGrant {
            can_publish: Some(false),
            ..VideoGrant::default()
        };
        assert!(!listen.may_publish() && !listen.may_publish_data() && listen.may_subscribe());
    }
}
