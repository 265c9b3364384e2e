-- Files in Supabase Storage (CONTRACT.md section 9).
--
-- 1. On plain PostgreSQL, the part of Storage's schema the product relies on,
--    with Storage's own names and types, only where it is missing (as the
--    auth shim does). On Supabase the real schema is there: only the buckets,
--    the policies and the triggers below are added.
create schema if not exists storage;
grant usage on schema storage to anon, authenticated, service_role;

create table if not exists storage.buckets (
  id text primary key,
  name text not null,
  owner uuid,
  owner_id text,
  public boolean default false,
  avif_autodetection boolean default false,
  file_size_limit bigint,
  allowed_mime_types text[],
  created_at timestamptz default now(),
  updated_at timestamptz default now()
);
create unique index if not exists bname on storage.buckets (name);

create table if not exists storage.objects (
  id uuid not null default gen_random_uuid() primary key,
  bucket_id text references storage.buckets (id),
  name text,
  owner uuid,
  owner_id text,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  last_accessed_at timestamptz default now(),
  metadata jsonb,
  path_tokens text[] generated always as (string_to_array(name, '/')) stored,
  version text,
  user_metadata jsonb
);
create unique index if not exists bucketid_objname on storage.objects (bucket_id, name);
alter table storage.objects enable row level security;
alter table storage.buckets enable row level security;

do $$
begin
  if to_regprocedure('storage.foldername(text)') is null then
    create function storage.foldername(name text) returns text[]
      language sql immutable
      as $f$ select (string_to_array(name, '/'))[1:array_length(string_to_array(name, '/'), 1) - 1] $f$;
  end if;
end
$$;

-- The shim's grants are Supabase's: the API roles reach the tables, the
-- policies decide.
do $$
begin
  if not exists (select from pg_roles where rolname = 'supabase_storage_admin') then
    grant select, insert, update, delete on storage.objects to authenticated, service_role;
    grant select on storage.objects to anon;
    grant select on storage.buckets to anon, authenticated;
    grant select, insert, update, delete on storage.buckets to service_role;
  end if;
end
$$;

-- 2. The buckets, all private, with the limits of samia_core::media::BUCKETS
--    (a test checks them against it).
insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types) values
  ('order-inputs', 'order-inputs', false, 20971520,
   array['image/jpeg','image/png','image/webp','image/heic','audio/mpeg','audio/mp4','audio/x-m4a',
         'audio/aac','audio/ogg','audio/opus','audio/wav','audio/x-wav','audio/webm','audio/flac']),
  ('readings', 'readings', false, 104857600,
   array['audio/mpeg','audio/mp4','audio/x-m4a','audio/aac','audio/ogg','audio/opus','audio/wav',
         'audio/x-wav','audio/webm','audio/flac']),
  ('horoscopes', 'horoscopes', false, 104857600,
   array['audio/mpeg','audio/mp4','audio/x-m4a','audio/aac','audio/ogg','audio/opus','audio/wav',
         'audio/x-wav','audio/webm','audio/flac'])
on conflict (id) do nothing;

drop policy if exists samia_buckets_read on storage.buckets;
create policy samia_buckets_read on storage.buckets for select to anon, authenticated
  using (id in ('order-inputs', 'readings', 'horoscopes'));

-- 3. media_assets: status of the probe, one row per object.
alter table public.media_assets
  add column if not exists status text not null default 'pending'
    check (status in ('pending', 'ready', 'invalid')),
  add column if not exists error text;
-- Rows from before probing existed keep what they were: a row with a
-- sha256 was checked by whoever wrote it.
update public.media_assets set status = 'ready' where sha256 is not null and status = 'pending';
create unique index if not exists media_assets_object_idx on public.media_assets (bucket, path)
  where bucket is not null;

-- What the API may write: the object to register and free-form meta. bytes,
-- mime_type and url come from the object; sha256, duration_sec, status and
-- error from the sidecar's probe.
revoke insert, update on public.media_assets from authenticated;
grant insert (owner_id, kind, bucket, path, meta), update (meta) on public.media_assets to authenticated;

drop trigger if exists media_register on public.media_assets;
create trigger media_register before insert on public.media_assets
  for each row execute function samia.media_register();

-- 4. RLS on storage.objects (sections 4 and 9). Writes: a client into
--    order-inputs/<uid>/, a reader into readings/<uid>/, nobody through the
--    API into horoscopes; never when blocked. Reads mirror media_assets
--    exactly: the subquery runs under the caller's own policies on
--    media_assets, so an object is readable by whoever may read the media
--    row pointing at it (a client reads a reading once the order is
--    delivered, anon reads horoscope audio once published, staff all). An
--    uploader also reads their own object before registering it.
drop policy if exists samia_objects_read on storage.objects;
create policy samia_objects_read on storage.objects for select to anon, authenticated
  using (bucket_id in ('order-inputs', 'readings', 'horoscopes')
         and (exists (select 1 from public.media_assets m
                       where m.bucket = objects.bucket_id and m.path = objects.name)
              or owner_id = (select auth.uid())::text
              or (select samia.is_staff())));
drop policy if exists samia_objects_insert on storage.objects;
create policy samia_objects_insert on storage.objects for insert to authenticated
  with check (owner_id = (select auth.uid())::text
              and not (select samia.caller_is_blocked())
              and (storage.foldername(name))[1] = (select auth.uid())::text
              and ((bucket_id = 'order-inputs' and (select samia.caller_role()) = 'client')
                   or (bucket_id = 'readings' and (select samia.caller_role()) = 'reader')));
drop policy if exists samia_objects_update on storage.objects;
create policy samia_objects_update on storage.objects for update to authenticated
  using (bucket_id in ('order-inputs', 'readings')
         and owner_id = (select auth.uid())::text and not (select samia.caller_is_blocked()))
  with check (bucket_id in ('order-inputs', 'readings')
              and owner_id = (select auth.uid())::text
              and (storage.foldername(name))[1] = (select auth.uid())::text);
drop policy if exists samia_objects_delete on storage.objects;
create policy samia_objects_delete on storage.objects for delete to authenticated
  using (bucket_id in ('order-inputs', 'readings')
         and owner_id = (select auth.uid())::text and not (select samia.caller_is_blocked()));
create index if not exists objects_owner_id_idx on storage.objects (owner_id);

-- 5. Objects and their media rows stay in step: an approved answer or a
--    published horoscope's audio can no longer be replaced, moved or deleted
--    (except by system); a registered object replaced in storage sends its
--    media row back to pending and to the probe; one deleted leaves it
--    invalid.
drop trigger if exists samia_object_pinned on storage.objects;
create trigger samia_object_pinned before update or delete on storage.objects
  for each row execute function samia.storage_object_pinned();
drop trigger if exists samia_object_changed on storage.objects;
create trigger samia_object_changed after update or delete on storage.objects
  for each row execute function samia.storage_object_changed();

-- 6. Limits of the probe (section 9), admin-editable.
insert into public.app_config (key, value) values ('media.max_audio_seconds', '3600')
  on conflict (key) do nothing;

-- 7. The sidecar probes: it reads the rows it needs and reports through
--    samia.media_probe_outcome.
grant usage on schema storage to samia_sidecar;
grant select on public.media_assets, public.app_config, storage.objects, storage.buckets to samia_sidecar;
grant execute on function samia.media_probe_outcome(bigint, text, jsonb) to samia_sidecar;
-- Row-level security is on for all four tables; the sidecar reads every row.
drop policy if exists samia_sidecar_read on public.media_assets;
create policy samia_sidecar_read on public.media_assets for select to samia_sidecar using (true);
drop policy if exists samia_sidecar_read on public.app_config;
create policy samia_sidecar_read on public.app_config for select to samia_sidecar using (true);
drop policy if exists samia_sidecar_read on storage.objects;
create policy samia_sidecar_read on storage.objects for select to samia_sidecar using (true);
drop policy if exists samia_sidecar_read on storage.buckets;
create policy samia_sidecar_read on storage.buckets for select to samia_sidecar using (true);
