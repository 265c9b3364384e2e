//! A scratch database and a fake Storage on loopback for the tests of the
//! client, the fake and the probe. The database tests need
//! `SAMIA_TEST_PG_URL`: a PostgreSQL server the tests may create databases on
//! (as a superuser; no extension needed). `make test` starts one and sets it;
//! without it they fail.

use super::token;
use super::{router, Fake};
use crate::testing::Running;
use deadpool_postgres::Pool;
use samia_sidecar::db::{self, Target};
use samia_sidecar::storage::{StorageClient, StorageConfig};
use secrecy::SecretString;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub const SECRET: &str = "a-test-jwt-secret-of-at-least-32-characters";
pub const ALICE: &str = "10000000-0000-4000-8000-00000000000a";
pub const BOB: &str = "10000000-0000-4000-8000-00000000000b";

/// The parts of Supabase Storage's schema the fake writes (as in V15), one
/// policy (a user reads and writes only their own folder), the media rows
/// the probe reads, and a stand-in for `samia.media_probe_outcome` that
/// records its arguments.
const FIXTURE: &str = r#"
do $$
declare r text;
begin
  foreach r in array array['anon', 'authenticated', 'service_role'] loop
    begin
      if r = 'service_role' then
        execute format('create role %I nologin bypassrls', r);
      else
        execute format('create role %I nologin', r);
      end if;
    exception when duplicate_object or unique_violation then null;
    end;
  end loop;
end
$$;
create schema storage;
grant usage on schema storage to anon, authenticated, service_role;
create table storage.buckets (
  id text primary key, name text not null, owner uuid, owner_id text, public boolean default false,
  avif_autodetection boolean default false, file_size_limit bigint, allowed_mime_types text[],
  created_at timestamptz default now(), updated_at timestamptz default now());
create table storage.objects (
  id uuid not null default gen_random_uuid() primary key,
  bucket_id text references storage.buckets (id), name text, owner uuid, owner_id text,
  created_at timestamptz default now(), updated_at timestamptz default now(),
  last_accessed_at timestamptz default now(), metadata jsonb,
  path_tokens text[] generated always as (string_to_array(name, '/')) stored,
  version text, user_metadata jsonb);
create unique index bucketid_objname on storage.objects (bucket_id, name);
alter table storage.objects enable row level security;
grant select, insert, update, delete on storage.objects to authenticated, service_role;
grant select on storage.objects to anon;
grant select on storage.buckets to anon, authenticated, service_role;
create policy own_folder on storage.objects for all to authenticated
  using (owner_id = current_setting('request.jwt.claims', true)::jsonb ->> 'sub')
  with check (owner_id = current_setting('request.jwt.claims', true)::jsonb ->> 'sub'
              and path_tokens[1] = current_setting('request.jwt.claims', true)::jsonb ->> 'sub');
insert into storage.buckets (id, name, file_size_limit, allowed_mime_types) values
  ('readings', 'readings', 1048576, array['audio/*', 'video/mp4', 'application/octet-stream']),
  ('tiny', 'tiny', 1000, null);
create table public.media_assets (id bigserial primary key, kind text not null, bucket text, path text);
create table public.app_config (key text primary key, value jsonb not null);
create schema samia;
create table samia.probe_reports (media_id bigint, object_version text, outcome jsonb);
create function samia.media_probe_outcome(media_id bigint, object_version text, outcome jsonb)
  returns text language sql as
  $f$ insert into samia.probe_reports values (media_id, object_version, outcome)
      returning outcome ->> 'status' $f$;
"#;

/// A database of its own, dropped by [`Scratch::finish`].
pub struct Scratch {
    admin: Target,
    name: String,
    pub pool: Pool,
}

impl Scratch {
    /// A scratch database on the server `SAMIA_TEST_PG_URL` names; panics
    /// (the test fails) when it is unset.
    pub async fn new() -> Scratch {
        let url = std::env::var("SAMIA_TEST_PG_URL").expect(
            "SAMIA_TEST_PG_URL is not set: it names a PostgreSQL server where a superuser \
             may create databases; run the tests with `make test`, which starts one",
        );
        let admin = Target::parse(&url).expect("SAMIA_TEST_PG_URL is a connection string");
        let name = format!("samia_storage_{}", uuid::Uuid::new_v4().simple());
        let admin_pool = db::pool(&admin).expect("a pool");
        admin_pool
            .get()
            .await
            .expect("SAMIA_TEST_PG_URL answers")
            .batch_execute(&format!("create database {name}"))
            .await
            .expect("create a scratch database");
        let mut config = admin.config.clone();
        config.dbname(&name);
        let target = Target {
            config,
            shown: name.clone(),
            ca_file: None,
        };
        let pool = db::pool(&target).expect("a pool");
        pool.get()
            .await
            .expect("the scratch database answers")
            .batch_execute(FIXTURE)
            .await
            .expect("the fixture applies");
        Scratch { admin, name, pool }
    }

    pub async fn execute(&self, sql: &str) {
        self.pool
            .get()
            .await
            .expect("a connection")
            .batch_execute(sql)
            .await
            .expect("the statement runs");
    }

    pub async fn finish(self) {
        self.pool.close();
        let admin = db::pool(&self.admin).expect("a pool");
        if let Ok(client) = admin.get().await {
            let _ = client
                .batch_execute(&format!(
                    "drop database if exists {} with (force)",
                    self.name
                ))
                .await;
        }
    }
}

/// A fake Storage on loopback over a scratch database.
pub struct Served {
    pub base: String,
    pub root: tempfile::TempDir,
    running: Running,
}

impl Served {
    pub async fn start(scratch: &Scratch) -> Served {
        let root = tempfile::tempdir().expect("a temporary directory");
        let fake = Fake::new(
            scratch.pool.clone(),
            root.path().to_path_buf(),
            SecretString::from(SECRET),
            50 * 1024 * 1024,
        );
        let running = Running::start(router(Arc::new(fake))).await;
        Served {
            base: running.base.clone(),
            root,
            running,
        }
    }

    pub fn service_client(&self) -> StorageClient {
        let key = token::api_key(SECRET.as_bytes(), "service_role").expect("a key");
        StorageClient::new(StorageConfig {
            base_url: self.base.clone(),
            service_key: SecretString::from(key),
            timeout: Duration::from_secs(10),
        })
        .expect("a client")
    }

    pub fn url(&self, rest: &str) -> String {
        format!("{}/storage/v1/{rest}", self.base)
    }

    /// The files the fake keeps.
    pub fn blobs(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.root.path().join("blobs"))
            .map(|dir| dir.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default()
    }

    pub async fn faults(&self, faults: serde_json::Value) {
        self.running.faults(faults).await;
    }

    pub async fn requests(&self) -> serde_json::Value {
        let body = reqwest::get(format!("{}/_fake/requests", self.base))
            .await
            .expect("the fake answers")
            .bytes()
            .await
            .expect("a body");
        serde_json::from_slice(&body).expect("JSON")
    }
}

/// A scratch database with a fake Storage over it.
pub async fn start() -> (Scratch, Served) {
    let scratch = Scratch::new().await;
    let served = Served::start(&scratch).await;
    (scratch, served)
}

/// Stops the fake, then drops its database.
pub async fn finish(scratch: Scratch, served: Served) {
    drop(served);
    scratch.finish().await;
}

/// A user's access token.
pub fn user(sub: &str) -> String {
    token::user_token(SECRET.as_bytes(), sub, 600).expect("a token")
}
