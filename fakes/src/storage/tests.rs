//! The client against the fake Storage on loopback, over a scratch
//! database: the errors as Storage answers them, the rows it writes, the
//! policies deciding, signed URLs that expire, and the token checks.

use super::testing::{finish, start, user, ALICE, BOB, SECRET};
use super::token;
use samia_sidecar::storage::StorageError;
use serde_json::{json, Value};
use std::time::Duration;

async fn raw(
    method: reqwest::Method,
    url: &str,
    token: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Vec<u8>) {
    let mut request = reqwest::Client::new()
        .request(method, url)
        .header("content-type", content_type)
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the fake answers");
    let status = response.status().as_u16();
    (status, response.bytes().await.expect("a body").to_vec())
}

fn storage_error(status: u16, body: &[u8]) -> StorageError {
    StorageError::from_answer(status, None, body)
}

fn json_of(body: &[u8]) -> Value {
    serde_json::from_slice(body).expect("a JSON body")
}

#[tokio::test]
async fn uploads_write_rows_as_storage_does_and_refusals_map_to_errors() {
    let (scratch, served) = start().await;
    let client = served.service_client();
    let path = format!("{ALICE}/answer.m4a");

    let first = client
        .upload(
            "readings",
            &path,
            b"first".to_vec().into(),
            "audio/mp4",
            false,
        )
        .await
        .expect("uploaded");
    assert_eq!(first.key, format!("readings/{path}"));
    let row = scratch
        .pool
        .get()
        .await
        .expect("a connection")
        .query_one(
            "select id::text, owner_id, version, metadata from storage.objects
              where bucket_id = 'readings' and name = $1",
            &[&path],
        )
        .await
        .expect("the row");
    let (id, owner_id, version): (String, Option<String>, String) =
        (row.get(0), row.get(1), row.get(2));
    let metadata: String = scratch
        .pool
        .get()
        .await
        .expect("a connection")
        .query_one(
            "select metadata::text from storage.objects where id::text = $1",
            &[&id],
        )
        .await
        .expect("the row")
        .get(0);
    let metadata: Value = serde_json::from_str(&metadata).expect("JSON");
    assert_eq!(first.id.as_deref(), Some(id.as_str()));
    assert_eq!(owner_id, None, "the service key has no sub");
    // md5("first")
    assert_eq!(metadata["eTag"], "\"8b04d5e3775d298e78455efc5ca404d5\"");
    assert_eq!(metadata["size"], 5);
    assert_eq!(metadata["contentLength"], 5);
    assert_eq!(metadata["mimetype"], "audio/mp4");
    assert_eq!(metadata["httpStatusCode"], 200);
    assert_eq!(metadata["cacheControl"], "max-age=3600");
    assert!(metadata["lastModified"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
    assert_eq!(served.blobs().len(), 1);

    let again = client
        .upload(
            "readings",
            &path,
            b"second".to_vec().into(),
            "audio/mp4",
            false,
        )
        .await;
    assert!(
        matches!(again, Err(StorageError::Duplicate { .. })),
        "{again:?}"
    );
    assert_eq!(served.blobs().len(), 1, "a refused upload leaves no file");
    client
        .upload(
            "readings",
            &path,
            b"second".to_vec().into(),
            "audio/mp4",
            true,
        )
        .await
        .expect("replaced");
    let new_version: String = scratch
        .pool
        .get()
        .await
        .expect("a connection")
        .query_one(
            "select version from storage.objects where bucket_id = 'readings' and name = $1",
            &[&path],
        )
        .await
        .expect("the row")
        .get(0);
    assert_ne!(new_version, version, "every write is a new version");
    assert_eq!(served.blobs().len(), 1, "the old version's file is gone");
    let mut download = client.download("readings", &path).await.expect("found");
    assert_eq!(download.content_type(), Some("audio/mp4"));
    let mut got = Vec::new();
    while let Some(chunk) = download.chunk().await.expect("a chunk") {
        got.extend_from_slice(&chunk);
    }
    assert_eq!(got, b"second");

    let nowhere = client
        .upload("nowhere", "a/b", b"x".to_vec().into(), "audio/mp4", false)
        .await;
    assert!(
        matches!(nowhere, Err(StorageError::NotFound { .. })),
        "{nowhere:?}"
    );
    let big = client
        .upload("tiny", "a/b", vec![0u8; 1001].into(), "audio/mp4", false)
        .await;
    assert!(matches!(big, Err(StorageError::TooLarge { .. })), "{big:?}");
    let huge = client
        .upload(
            "tiny",
            "a/b",
            vec![0u8; 8 * 1024 * 1024].into(),
            "audio/mp4",
            false,
        )
        .await;
    assert!(
        matches!(huge, Err(StorageError::TooLarge { .. })),
        "{huge:?}"
    );
    assert_eq!(
        served.blobs().len(),
        1,
        "nothing of the refused uploads is kept"
    );
    client
        .upload("tiny", "a/b", vec![0u8; 1000].into(), "audio/mp4", false)
        .await
        .expect("exactly the limit fits");
    let text = client
        .upload(
            "readings",
            "a/b.txt",
            b"x".to_vec().into(),
            "text/plain",
            false,
        )
        .await;
    assert_eq!(
        text,
        Err(StorageError::InvalidMime {
            message: "mime type text/plain is not supported".into()
        })
    );
    let (status, body) = raw(
        reqwest::Method::POST,
        &served.url("object/readings/a//b"),
        Some(&token::api_key(SECRET.as_bytes(), "service_role").expect("a key")),
        "audio/mp4",
        b"x".to_vec(),
    )
    .await;
    assert_eq!(
        (status, json_of(&body)["code"].clone()),
        (400, json!("InvalidKey"))
    );
    let missing = client.download("readings", "no/such.m4a").await.err();
    assert!(
        matches!(missing, Some(StorageError::NotFound { .. })),
        "{missing:?}"
    );
    finish(scratch, served).await;
}

#[tokio::test]
async fn policies_decide_who_writes_reads_and_deletes() {
    let (scratch, served) = start().await;
    let alice = user(ALICE);
    let own = format!("{ALICE}/note.m4a");
    let (status, body) = raw(
        reqwest::Method::POST,
        &served.url(&format!("object/readings/{own}")),
        Some(&alice),
        "audio/mp4",
        b"mine".to_vec(),
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(json_of(&body)["Key"], format!("readings/{own}"));
    let owner: (Option<String>, Option<String>) = {
        let row = scratch
            .pool
            .get()
            .await
            .expect("a connection")
            .query_one(
                "select owner::text, owner_id from storage.objects where name = $1",
                &[&own],
            )
            .await
            .expect("the row");
        (row.get(0), row.get(1))
    };
    assert_eq!(owner, (Some(ALICE.to_string()), Some(ALICE.to_string())));

    // Into someone else's folder: the insert policy refuses.
    let (status, body) = raw(
        reqwest::Method::POST,
        &served.url(&format!("object/readings/{BOB}/note.m4a")),
        Some(&alice),
        "audio/mp4",
        b"theirs".to_vec(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        json_of(&body),
        json!({"statusCode": "403", "code": "AccessDenied", "error": "Unauthorized",
               "message": "new row violates row-level security policy"})
    );
    assert!(matches!(
        storage_error(status, &body),
        StorageError::Denied { .. }
    ));
    assert_eq!(served.blobs().len(), 1, "the refused file was removed");

    // Bob cannot see Alice's file, nor update or delete it.
    let bob = user(BOB);
    let (status, body) = raw(
        reqwest::Method::GET,
        &served.url(&format!("object/authenticated/readings/{own}")),
        Some(&bob),
        "",
        vec![],
    )
    .await;
    assert_eq!(
        (status, json_of(&body)),
        (
            400,
            json!({"statusCode": "404", "code": "NoSuchKey", "error": "not_found",
                   "message": "Object not found"})
        )
    );
    let (status, _) = raw(
        reqwest::Method::PUT,
        &served.url(&format!("object/readings/{own}")),
        Some(&bob),
        "audio/mp4",
        b"overwritten".to_vec(),
    )
    .await;
    assert_eq!(status, 400);
    let (status, body) = raw(
        reqwest::Method::DELETE,
        &served.url("object/readings"),
        Some(&bob),
        "application/json",
        json!({ "prefixes": [own] }).to_string().into_bytes(),
    )
    .await;
    assert_eq!((status, json_of(&body)), (200, json!([])));
    // Alice reads her own, through both download paths.
    for path in [
        format!("object/readings/{own}"),
        format!("object/authenticated/readings/{own}"),
    ] {
        let (status, body) = raw(
            reqwest::Method::GET,
            &served.url(&path),
            Some(&alice),
            "",
            vec![],
        )
        .await;
        assert_eq!((status, body.as_slice()), (200, b"mine".as_slice()));
    }
    // The service role bypasses the policies and deletes it.
    let deleted = served
        .service_client()
        .delete("readings", &[own.as_str(), "no/such"])
        .await
        .expect("deleted");
    assert_eq!(deleted, vec![own.clone()]);
    assert!(served.blobs().is_empty(), "the file went with the row");
    let gone = served
        .service_client()
        .download("readings", &own)
        .await
        .err();
    assert!(
        matches!(gone, Some(StorageError::NotFound { .. })),
        "{gone:?}"
    );
    finish(scratch, served).await;
}

#[tokio::test]
async fn signed_urls_serve_until_they_expire() {
    let (scratch, served) = start().await;
    let client = served.service_client();
    let path = format!("{ALICE}/sign me.m4a");
    client
        .upload(
            "readings",
            &path,
            b"signed".to_vec().into(),
            "audio/mp4",
            false,
        )
        .await
        .expect("uploaded");
    let url = client
        .signed_url("readings", &path, 1)
        .await
        .expect("signed");
    assert!(
        url.starts_with(&format!(
            "{}/storage/v1/object/sign/readings/{ALICE}/sign%20me.m4a?token=",
            served.base
        )),
        "{url}"
    );
    let fetched = reqwest::get(&url).await.expect("an answer");
    assert_eq!(fetched.status().as_u16(), 200);
    assert_eq!(fetched.bytes().await.expect("a body").as_ref(), b"signed");
    // The token is for this object only.
    let other = url.replace("sign%20me.m4a", "other.m4a");
    let (status, body) = raw(reqwest::Method::GET, &other, None, "", vec![]).await;
    assert_eq!(
        (status, json_of(&body)["code"].clone()),
        (400, json!("InvalidSignature"))
    );
    let missing = client.signed_url("readings", "no/such.m4a", 60).await;
    assert!(
        matches!(missing, Err(StorageError::NotFound { .. })),
        "{missing:?}"
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, body) = raw(reqwest::Method::GET, &url, None, "", vec![]).await;
    assert_eq!(
        (status, json_of(&body)),
        (
            400,
            json!({"statusCode": "400", "code": "InvalidJWT", "error": "InvalidJWT",
                   "message": "jwt expired"})
        )
    );
    finish(scratch, served).await;
}

#[tokio::test]
async fn tokens_are_checked_like_storage_checks_them() {
    let (scratch, served) = start().await;
    let url = served.url(&format!("object/readings/{ALICE}/x.m4a"));
    let expired = token::sign(
        SECRET.as_bytes(),
        &json!({"sub": ALICE, "role": "authenticated", "exp": token::now_secs() - 10}),
    )
    .expect("signed");
    let forged =
        token::user_token(b"not-the-projects-secret-but-long-enough", ALICE, 60).expect("signed");
    let superuser = token::sign(SECRET.as_bytes(), &json!({"role": "postgres"})).expect("signed");
    for (token, message) in [
        (None, "jwt must be provided"),
        (Some(expired.as_str()), "jwt expired"),
        (Some(forged.as_str()), "invalid signature"),
        (Some("garbage"), "jwt malformed"),
        (Some(superuser.as_str()), "role \"postgres\" does not exist"),
    ] {
        let (status, body) = raw(
            reqwest::Method::POST,
            &url,
            token,
            "audio/mp4",
            b"x".to_vec(),
        )
        .await;
        assert_eq!(
            (status, json_of(&body)),
            (
                400,
                json!({"statusCode": "403", "code": "AccessDenied", "error": "Unauthorized",
                       "message": message})
            )
        );
    }
    // An anonymous key reads nothing private and writes nothing.
    let anon = token::api_key(SECRET.as_bytes(), "anon").expect("a key");
    let (status, body) = raw(
        reqwest::Method::POST,
        &url,
        Some(&anon),
        "audio/mp4",
        b"x".to_vec(),
    )
    .await;
    assert_eq!(
        (status, json_of(&body)["statusCode"].clone()),
        (400, json!("403"))
    );
    let count: i64 = scratch
        .pool
        .get()
        .await
        .expect("a connection")
        .query_one("select count(*) from storage.objects", &[])
        .await
        .expect("counted")
        .get(0);
    assert_eq!(count, 0);
    let requests = served.requests().await;
    assert_eq!(requests.as_array().map(Vec::len), Some(6));
    assert_eq!(requests[0]["method"], "POST");
    assert_eq!(
        requests[0]["path"],
        format!("/storage/v1/object/readings/{ALICE}/x.m4a")
    );
    assert_eq!(requests[0]["status"], 400);
    finish(scratch, served).await;
}

#[tokio::test]
async fn injected_rate_limits_and_outages_are_retryable() {
    let (scratch, served) = start().await;
    let client = served.service_client();
    served
        .faults(json!([{"status": 429, "retry_after": 2}, {"status": 500}, {"delay_ms": 50, "pass": true}]))
        .await;
    let limited = client.download("readings", "a/b").await.err();
    assert_eq!(
        limited,
        Some(StorageError::Retryable {
            status: Some(429),
            retry_after: Some(Duration::from_secs(2)),
            message: "Too many connections issued to the database".into()
        })
    );
    let outage = client.download("readings", "a/b").await.err();
    assert!(
        matches!(
            outage,
            Some(StorageError::Retryable {
                status: Some(500),
                ..
            })
        ),
        "{outage:?}"
    );
    // The delayed request passes through to the real answer.
    let passed = client.download("readings", "a/b").await.err();
    assert!(
        matches!(passed, Some(StorageError::NotFound { .. })),
        "{passed:?}"
    );
    let statuses: Vec<Value> = served
        .requests()
        .await
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| r["status"].clone())
        .collect();
    assert_eq!(statuses, [json!(429), json!(500), json!(400)]);
    finish(scratch, served).await;
}
