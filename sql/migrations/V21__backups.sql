-- Backups (`samia backup`, sidecar/src/cli/backup.rs): one row per archive
-- written, with the manifest that travels next to it (FILE.manifest.json).
-- `samia migrate status` shows the newest row. The rows say where an archive
-- was written and what it held; they are not the archive.
create table if not exists ops.backups (
  id bigint generated always as identity primary key,
  taken_at timestamptz not null,
  file text not null,
  bytes bigint not null check (bytes > 0),
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  manifest jsonb not null
);
create index if not exists backups_taken_at_idx on ops.backups (taken_at desc);

-- The owner (who runs `samia backup`) and the sidecar's role only.
revoke all on ops.backups from public;
revoke all on sequence ops.backups_id_seq from public;
grant select, insert on ops.backups to samia_sidecar;
