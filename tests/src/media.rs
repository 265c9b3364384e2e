//! Files for tests that are about orders rather than about storage: an object
//! recorded in `storage.objects` as Supabase Storage records an upload (the
//! insert made as the uploading user, under the policies of
//! `storage.objects`), its registration as a `media_assets` row through
//! PostgREST, and the sidecar's probe report. The tests of storage itself go
//! through the fake Storage service.

use crate::postgrest::{request, Api, Caller};
use crate::Session;
use serde_json::json;
use tokio_postgres::Client;

/// Records an upload of `bytes` bytes of `mime` at `bucket`/`path` by
/// `user`, as Storage does in the database (a new object version each time).
pub async fn stored(
    client: &mut Session,
    user: &str,
    bucket: &str,
    path: &str,
    mime: &str,
    bytes: i64,
) -> Result<(), tokio_postgres::Error> {
    let metadata = json!({
        "eTag": format!("\"{:032x}\"", bytes),
        "size": bytes,
        "mimetype": mime,
        "cacheControl": "max-age=3600",
        "lastModified": "2026-12-01T00:00:00.000Z",
        "contentLength": bytes,
        "httpStatusCode": 200,
    });
    let sql = format!(
        "insert into storage.objects (bucket_id, name, owner, owner_id, metadata, version)
         values ('{bucket}', '{path}', '{user}', '{user}', '{metadata}', gen_random_uuid()::text)
         on conflict (bucket_id, name) do update
            set metadata = excluded.metadata, version = excluded.version, updated_at = now()"
    );
    request(&mut client.storage(), Caller::User(user), &sql)
        .await
        .map(|_| ())
}

/// Registers `bucket`/`path` as `kind` media of `user`; returns its id.
pub async fn register(
    client: &mut impl Api,
    user: &str,
    kind: &str,
    bucket: &str,
    path: &str,
) -> Result<i64, tokio_postgres::Error> {
    let rows = request(
        client,
        Caller::User(user),
        &format!(
            "insert into public.media_assets (kind, bucket, path) values ('{kind}', '{bucket}', '{path}') returning id"
        ),
    )
    .await?;
    Ok(rows[0].get(0))
}

/// The sidecar's report that media `id` is fine audio with this `sha256`,
/// made (as system) on the object's current version.
pub async fn probed_ready(
    system: &Client,
    id: i64,
    sha256: &str,
) -> Result<String, tokio_postgres::Error> {
    let outcome = json!({ "status": "ready", "sha256": sha256, "duration_sec": 61.5 });
    let row = system
        .query_one(
            "select samia.media_probe_outcome($1,
                      (select o.version from storage.objects o join public.media_assets m
                          on o.bucket_id = m.bucket and o.name = m.path where m.id = $1),
                      $2::text::jsonb)",
            &[&id, &outcome.to_string()],
        )
        .await?;
    Ok(row.get(0))
}

/// A reader's recorded answer at `readings/<reader>/<name>`, uploaded,
/// registered and probed ready; returns its media id.
pub async fn ready_answer(
    client: &mut Session,
    reader: &str,
    name: &str,
    sha256: &str,
) -> anyhow::Result<i64> {
    let path = format!("{reader}/{name}");
    stored(client, reader, "readings", &path, "audio/mp4", 48_000).await?;
    let id = register(client, reader, "audio", "readings", &path).await?;
    probed_ready(client, id, sha256).await?;
    Ok(id)
}
