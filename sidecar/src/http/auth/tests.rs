//! Access tokens checked as Supabase checks them: HS256 with the
//! project's secret, and asymmetric keys from a JWKS served on loopback.

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
    let not_a_user = hs256(json!({"sub": "service", "aud": "authenticated", "exp": now() + 60}));
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
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
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
    let project = Project::start(vec![json!({"kid": "key-1", "alg": "ES256", "use": "sig"})]).await;
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
