-- Backfills (`samia backfill ...`, sidecar/src/cli/backfill.rs): derived
-- data recomputed in short batches, each its own transaction. Progress is
-- kept per backfill so a run cut short resumes after the last batch done.
create table if not exists ops.backfills (
  name text primary key,
  last_key text,
  rows_seen bigint not null default 0,
  rows_changed bigint not null default 0,
  started_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz
);
revoke all on ops.backfills from public;
grant select, insert, update on ops.backfills to samia_sidecar;

revoke execute on function samia.record_maintenance(text, jsonb) from public;
grant execute on function samia.record_maintenance(text, jsonb) to samia_sidecar;
