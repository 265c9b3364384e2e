//! The object operations of the fake Storage: upload, download, signed
//! URLs and delete, each checked as the real service checks them.

use super::answers::{self, Refusal};
use super::token::{self, TokenError};
use super::{Caller, Fake};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::StreamExt;
use md5::{Digest, Md5};
use samia_sidecar::storage::object_path;
use serde_json::{json, Map, Value};
use tokio::io::AsyncWriteExt;

/// A bucket name or object key Storage accepts: no empty, `.` or `..`
/// segment, no control character, no leading or trailing slash.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 1024
        && !key.chars().any(char::is_control)
        && key
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Write {
    Create,
    Upsert,
    Update,
}

/// A bucket's limits, read as the service itself (not the caller).
struct BucketLimits {
    max_bytes: Option<i64>,
    mime_types: Option<Vec<String>>,
}

/// Does `mime` fit one of the bucket's types (`audio/*` fits any audio)?
pub fn mime_allowed(allowed: &[String], mime: &str) -> bool {
    let mime = mime
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    allowed.is_empty()
        || allowed.iter().any(|a| {
            let a = a.trim().to_ascii_lowercase();
            a == mime
                || a.strip_suffix("/*")
                    .is_some_and(|family| mime.split('/').next() == Some(family))
        })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const OBJECT_JSON: &str = "json_build_object('name', name, 'bucket_id', bucket_id, 'owner', owner,
    'owner_id', owner_id, 'id', id, 'version', version, 'updated_at', updated_at,
    'created_at', created_at, 'last_accessed_at', last_accessed_at, 'metadata', metadata,
    'user_metadata', user_metadata)::text";

impl Fake {
    async fn bucket(&self, bucket: &str) -> Result<BucketLimits, Refusal> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "select file_size_limit, allowed_mime_types from storage.buckets where id = $1",
                &[&bucket],
            )
            .await
            .map_err(|e| Refusal::from_db(&e))?
            .ok_or_else(Refusal::no_such_bucket)?;
        Ok(BucketLimits {
            max_bytes: row.try_get(0).map_err(|e| Refusal::from_db(&e))?,
            mime_types: row.try_get(1).map_err(|e| Refusal::from_db(&e))?,
        })
    }

    /// Streams the body into a new file of `version`; returns its size and
    /// MD5, or 413 past `limit` (the partial file removed).
    async fn receive(
        &self,
        body: axum::body::Body,
        version: &str,
        limit: u64,
    ) -> Result<(u64, String), Refusal> {
        let incoming = self.root.join("incoming");
        let blobs = self.root.join("blobs");
        for dir in [&incoming, &blobs] {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| Refusal::internal(format!("cannot create {}: {e}", dir.display())))?;
        }
        let temp = incoming.join(version);
        let received = async {
            let mut file = tokio::fs::File::create(&temp)
                .await
                .map_err(|e| Refusal::internal(format!("cannot store the file: {e}")))?;
            let mut md5 = Md5::new();
            let mut size = 0u64;
            let mut stream = body.into_data_stream();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| {
                    Refusal::invalid_request(format!("the upload was cut short: {e}"))
                })?;
                size += chunk.len() as u64;
                if size > limit {
                    return Err(Refusal::too_large());
                }
                md5.update(&chunk);
                file.write_all(&chunk)
                    .await
                    .map_err(|e| Refusal::internal(format!("cannot store the file: {e}")))?;
            }
            file.sync_all()
                .await
                .map_err(|e| Refusal::internal(format!("cannot store the file: {e}")))?;
            Ok((size, hex(&md5.finalize())))
        }
        .await;
        let moved = match received {
            Ok(done) => tokio::fs::rename(&temp, self.blob(version))
                .await
                .map(|()| done)
                .map_err(|e| Refusal::internal(format!("cannot store the file: {e}"))),
            Err(e) => Err(e),
        };
        if moved.is_err() {
            let _ = tokio::fs::remove_file(&temp).await;
        }
        moved
    }

    pub(super) async fn upload(
        &self,
        headers: &HeaderMap,
        bucket: &str,
        name: &str,
        body: axum::body::Body,
        write: Write,
    ) -> Result<Response, Refusal> {
        let caller = self.caller(headers)?;
        if !valid_key(bucket) || bucket.contains('/') {
            return Err(Refusal::no_such_bucket());
        }
        if !valid_key(name) {
            return Err(Refusal::invalid_key(name));
        }
        let limits = self.bucket(bucket).await?;
        let mime = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .unwrap_or("text/plain;charset=UTF-8")
            .to_string();
        if !mime_allowed(limits.mime_types.as_deref().unwrap_or(&[]), &mime) {
            return Err(Refusal::invalid_mime(&mime));
        }
        let limit = limits
            .max_bytes
            .and_then(|b| u64::try_from(b).ok())
            .unwrap_or(u64::MAX)
            .min(self.file_size_limit);
        let cache_control = headers
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("max-age=3600")
            .to_string();
        let version = uuid::Uuid::new_v4().to_string();
        let (size, md5) = self.receive(body, &version, limit).await?;
        let previous = self.current_version(bucket, name).await;
        let recorded = self
            .record(
                &caller,
                bucket,
                name,
                write,
                &version,
                &mime,
                &cache_control,
                size,
                &md5,
            )
            .await;
        match recorded {
            Ok(id) => {
                if let Some(old) = previous.filter(|old| *old != version) {
                    let _ = tokio::fs::remove_file(self.blob(&old)).await;
                }
                Ok(Json(json!({ "Id": id, "Key": format!("{bucket}/{name}") })).into_response())
            }
            Err(refusal) => {
                let _ = tokio::fs::remove_file(self.blob(&version)).await;
                Err(refusal)
            }
        }
    }

    async fn current_version(&self, bucket: &str, name: &str) -> Option<String> {
        let client = self.client().await.ok()?;
        client
            .query_opt(
                "select version from storage.objects where bucket_id = $1 and name = $2",
                &[&bucket, &name],
            )
            .await
            .ok()
            .flatten()
            .and_then(|r| r.try_get(0).ok())
    }

    /// Writes the object's row as the caller; returns its id.
    #[allow(clippy::too_many_arguments)]
    async fn record(
        &self,
        caller: &Caller,
        bucket: &str,
        name: &str,
        write: Write,
        version: &str,
        mime: &str,
        cache_control: &str,
        size: u64,
        md5: &str,
    ) -> Result<String, Refusal> {
        let mut client = self.client().await?;
        let tx = Fake::begin(&mut client, caller).await?;
        let owner = caller
            .sub()
            .filter(|s| uuid::Uuid::parse_str(s).is_ok())
            .map(str::to_string);
        let owner_id = caller.sub().map(str::to_string);
        let size = i64::try_from(size).unwrap_or(i64::MAX);
        let etag = format!("\"{md5}\"");
        let metadata = "jsonb_build_object('eTag', $5::text, 'size', $6::bigint, 'mimetype', $7::text,
              'cacheControl', $8::text,
              'lastModified', to_char(now() at time zone 'utc', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),
              'contentLength', $6::bigint, 'httpStatusCode', 200)";
        let sql = match write {
            Write::Create => format!(
                "insert into storage.objects (bucket_id, name, owner, owner_id, metadata, version)
                 values ($1, $2, $3::text::uuid, $4, {metadata}, $9) returning id::text"
            ),
            Write::Upsert => format!(
                "insert into storage.objects (bucket_id, name, owner, owner_id, metadata, version)
                 values ($1, $2, $3::text::uuid, $4, {metadata}, $9)
                 on conflict (bucket_id, name) do update
                    set owner = excluded.owner, owner_id = excluded.owner_id,
                        metadata = excluded.metadata, version = excluded.version,
                        updated_at = now(), last_accessed_at = now()
                 returning id::text"
            ),
            Write::Update => format!(
                "update storage.objects
                    set owner = $3::text::uuid, owner_id = $4, metadata = {metadata}, version = $9,
                        updated_at = now(), last_accessed_at = now()
                  where bucket_id = $1 and name = $2
                 returning id::text"
            ),
        };
        let row = tx
            .query_opt(
                &sql,
                &[
                    &bucket,
                    &name,
                    &owner,
                    &owner_id,
                    &etag,
                    &size,
                    &mime,
                    &cache_control,
                    &version,
                ],
            )
            .await
            .map_err(|e| match Refusal::from_db(&e) {
                r if r.code == "ResourceAlreadyExists" => Refusal::key_exists(),
                r => r,
            })?
            .ok_or_else(Refusal::no_such_key)?;
        let id: String = row.try_get(0).map_err(|e| Refusal::from_db(&e))?;
        tx.commit().await.map_err(|e| Refusal::from_db(&e))?;
        Ok(id)
    }

    /// The stored type and version of an object the caller may read.
    async fn visible(
        &self,
        caller: &Caller,
        bucket: &str,
        name: &str,
    ) -> Result<(String, String, Value), Refusal> {
        let mut client = self.client().await?;
        let tx = Fake::begin(&mut client, caller).await?;
        let row = tx
            .query_opt(
                "select version, coalesce(metadata ->> 'mimetype', 'application/octet-stream'),
                        coalesce(metadata, '{}'::jsonb)::text
                   from storage.objects where bucket_id = $1 and name = $2",
                &[&bucket, &name],
            )
            .await
            .map_err(|e| Refusal::from_db(&e))?
            .ok_or_else(Refusal::no_such_key)?;
        tx.commit().await.map_err(|e| Refusal::from_db(&e))?;
        let version: Option<String> = row.try_get(0).map_err(|e| Refusal::from_db(&e))?;
        let mime: String = row.try_get(1).map_err(|e| Refusal::from_db(&e))?;
        let metadata: String = row.try_get(2).map_err(|e| Refusal::from_db(&e))?;
        let version = version.ok_or_else(Refusal::no_such_key)?;
        Ok((
            version,
            mime,
            serde_json::from_str(&metadata).unwrap_or(Value::Null),
        ))
    }

    /// The bytes of a version, streamed from its file.
    async fn serve(
        &self,
        version: &str,
        mime: &str,
        metadata: &Value,
    ) -> Result<Response, Refusal> {
        let file = tokio::fs::File::open(self.blob(version))
            .await
            .map_err(|_| Refusal::no_such_key())?;
        let size = file
            .metadata()
            .await
            .map_err(|e| Refusal::internal(format!("cannot read the file: {e}")))?
            .len();
        let stream = futures_util::stream::unfold(file, |mut file| async move {
            use tokio::io::AsyncReadExt;
            let mut buf = vec![0u8; 64 * 1024];
            match file.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok::<_, std::io::Error>(bytes::Bytes::from(buf)), file))
                }
                Err(e) => Some((Err(e), file)),
            }
        });
        let mut response = axum::body::Body::from_stream(stream).into_response();
        let h = response.headers_mut();
        let text = |s: &str| HeaderValue::from_str(s).ok();
        if let Some(v) = text(mime) {
            h.insert(header::CONTENT_TYPE, v);
        }
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
        for (name, key) in [
            (header::ETAG, "eTag"),
            (header::CACHE_CONTROL, "cacheControl"),
        ] {
            if let Some(v) = metadata.get(key).and_then(|v| v.as_str()).and_then(text) {
                h.insert(name, v);
            }
        }
        Ok(response)
    }

    pub(super) async fn download(
        &self,
        headers: &HeaderMap,
        bucket: &str,
        name: &str,
    ) -> Result<Response, Refusal> {
        let caller = self.caller(headers)?;
        let (version, mime, metadata) = self.visible(&caller, bucket, name).await?;
        self.serve(&version, &mime, &metadata).await
    }

    pub(super) async fn sign(
        &self,
        headers: &HeaderMap,
        bucket: &str,
        name: &str,
        body: &Value,
    ) -> Result<Response, Refusal> {
        let caller = self.caller(headers)?;
        let Some(expires_in) = body
            .get("expiresIn")
            .and_then(|e| e.as_u64())
            .filter(|e| *e >= 1)
        else {
            return Ok(answers::framework(
                StatusCode::BAD_REQUEST,
                "Bad Request",
                "body/expiresIn must be an integer >= 1",
            ));
        };
        self.visible(&caller, bucket, name).await?;
        let now = token::now_secs();
        let url = format!("{bucket}/{name}");
        let token = token::sign(
            self.secret(),
            &json!({ "url": url, "iat": now, "exp": now.saturating_add(expires_in) }),
        )
        .map_err(|e| Refusal::internal(e.to_string()))?;
        Ok(Json(json!({
            "signedURL": format!("/object/sign/{}?token={token}", object_path(bucket, name)),
        }))
        .into_response())
    }

    pub(super) async fn signed_download(
        &self,
        bucket: &str,
        name: &str,
        query: &str,
    ) -> Result<Response, Refusal> {
        let token = form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.into_owned());
        let Some(token) = token else {
            return Ok(answers::framework(
                StatusCode::BAD_REQUEST,
                "Bad Request",
                "querystring must have required property 'token'",
            ));
        };
        let claims = token::verify(self.secret(), &token)
            .map_err(|e: TokenError| Refusal::invalid_jwt(e.to_string()))?;
        if claims.get("url").and_then(|u| u.as_str()) != Some(format!("{bucket}/{name}").as_str()) {
            return Err(Refusal::invalid_signature());
        }
        let service = Caller {
            role: "service_role".into(),
            claims: Map::from_iter([("role".to_string(), json!("service_role"))]),
        };
        let (version, mime, metadata) = self.visible(&service, bucket, name).await?;
        self.serve(&version, &mime, &metadata).await
    }

    pub(super) async fn delete(
        &self,
        headers: &HeaderMap,
        bucket: &str,
        body: &Value,
    ) -> Result<Response, Refusal> {
        let caller = self.caller(headers)?;
        let prefixes: Option<Vec<String>> = body
            .get("prefixes")
            .and_then(|p| p.as_array())
            .filter(|p| !p.is_empty())
            .and_then(|p| p.iter().map(|s| s.as_str().map(str::to_string)).collect());
        let Some(prefixes) = prefixes else {
            return Ok(answers::framework(
                StatusCode::BAD_REQUEST,
                "Bad Request",
                "body/prefixes must be a non-empty array of strings",
            ));
        };
        let mut client = self.client().await?;
        let tx = Fake::begin(&mut client, &caller).await?;
        let rows = tx
            .query(
                &format!(
                    "delete from storage.objects where bucket_id = $1 and name = any($2)
                     returning version, {OBJECT_JSON}"
                ),
                &[&bucket, &prefixes],
            )
            .await
            .map_err(|e| Refusal::from_db(&e))?;
        tx.commit().await.map_err(|e| Refusal::from_db(&e))?;
        let mut deleted = Vec::new();
        for row in rows {
            let version: Option<String> = row.try_get(0).map_err(|e| Refusal::from_db(&e))?;
            let object: String = row.try_get(1).map_err(|e| Refusal::from_db(&e))?;
            if let Some(version) = version {
                let _ = tokio::fs::remove_file(self.blob(&version)).await;
            }
            deleted.push(serde_json::from_str::<Value>(&object).unwrap_or(Value::Null));
        }
        Ok(Json(Value::Array(deleted)).into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked_like_storage() {
        assert!(valid_key("u1/answer.m4a"));
        assert!(!valid_key(""));
        assert!(!valid_key("/u1/a"));
        assert!(!valid_key("u1//a"));
        assert!(!valid_key("u1/../a"));
        assert!(!valid_key("u1/a\n"));
    }

    #[test]
    fn mime_types_match_exactly_or_by_family() {
        let allowed = vec!["audio/*".to_string(), "image/png".to_string()];
        assert!(mime_allowed(&allowed, "audio/mp4"));
        assert!(mime_allowed(&allowed, "image/png; charset=x"));
        assert!(!mime_allowed(&allowed, "image/jpeg"));
        assert!(!mime_allowed(&allowed, "text/plain"));
        assert!(mime_allowed(&[], "text/plain"));
    }
}
