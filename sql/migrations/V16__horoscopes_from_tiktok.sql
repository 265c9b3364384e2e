-- Daily horoscopes from TikTok (CONTRACT.md sections 6, 9 and 10).
--
-- The sidecar syncs the owner's posts into tiktok_posts; the extension
-- classifies each caption as it is written (samia.classify_caption, rules
-- in samia_core::caption). A post's audio comes from a file a monitor
-- attaches or from the operator's fetch command; the sidecar extracts the
-- sound into the horoscopes bucket and registers it, and once the probe
-- finds it ready a classified post becomes a draft horoscope. A monitor
-- approves (publishes) or rejects the draft; clients and anon see nothing
-- before that (pg_extension/src/horoscopes.rs).

-- 1. The owner's TikTok authorization, for the sidecar only: tokens never
--    reach an API role. One row; `stopped` says why syncing stopped (the
--    authorization was revoked or expired: run `samia tiktok connect`).
create table if not exists ops.tiktok_account (
  id boolean primary key default true check (id),
  open_id text,
  scope text,
  access_token text,
  access_expires_at timestamptz,
  refresh_token text,
  refresh_expires_at timestamptz,
  connected_at timestamptz,
  stopped text,
  last_sync_at timestamptz,
  last_full_sync_at timestamptz,
  last_sync_error text,
  last_sync_new integer,
  updated_at timestamptz not null default now()
);
-- The OAuth `state` values handed out by `samia tiktok connect`, each good
-- once, for ten minutes.
create table if not exists ops.tiktok_oauth_states (
  state text primary key,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null default now() + interval '10 minutes'
);
revoke all on ops.tiktok_account, ops.tiktok_oauth_states from public;
grant select, insert, update on ops.tiktok_account to samia_sidecar;
grant select, insert, delete on ops.tiktok_oauth_states to samia_sidecar;

-- The sidecar queues syncs itself; one is queued or running at a time,
-- however many sidecars queue one.
grant insert on ops.jobs to samia_sidecar;
grant usage on sequence ops.jobs_id_seq to samia_sidecar;
create unique index if not exists jobs_one_tiktok_sync on ops.jobs (kind)
  where kind = 'tiktok.sync' and status in ('queued', 'running');

-- 2. Posts: what TikTok says, what the classifier found (or a monitor set),
--    the extracted audio and the draft.
--    status: unclassified (no sign or date found: a monitor classifies it),
--    classified (waiting for its audio), draft (a horoscope waits for review),
--    published, rejected, ignored (not a horoscope), duplicate (its audio is
--    another post's), failed (no audio could be made: `error` says why),
--    removed (no longer listed by TikTok).
alter table public.tiktok_posts drop constraint if exists tiktok_posts_status_check;
update public.tiktok_posts set status = case status
    when 'new' then 'unclassified' when 'fetched' then 'unclassified'
    when 'linked' then 'draft' else status end;
alter table public.tiktok_posts alter column status set default 'unclassified';
alter table public.tiktok_posts add constraint tiktok_posts_status_check check (status in
  ('unclassified', 'classified', 'draft', 'published', 'rejected', 'ignored', 'duplicate',
   'failed', 'removed'));
alter table public.tiktok_posts
  add column if not exists detected_scope text check (detected_scope in ('daily', 'monthly')),
  add column if not exists title text,
  add column if not exists duration_sec integer,
  add column if not exists embed_link text,
  add column if not exists cover_image_url text,
  add column if not exists source_media_id bigint references public.media_assets(id),
  add column if not exists duplicate_of bigint references public.tiktok_posts(id),
  add column if not exists classified_by uuid references public.profiles(id),
  add column if not exists classified_at timestamptz,
  add column if not exists last_seen_at timestamptz,
  add column if not exists removed_at timestamptz;
create index if not exists tiktok_posts_source_media_id_idx on public.tiktok_posts (source_media_id);
create index if not exists tiktok_posts_duplicate_of_idx on public.tiktok_posts (duplicate_of);
create index if not exists tiktok_posts_classified_by_idx on public.tiktok_posts (classified_by);
create index if not exists tiktok_posts_create_time_idx on public.tiktok_posts (create_time desc);

drop trigger if exists tiktok_posts_write on public.tiktok_posts;
create trigger tiktok_posts_write before insert or update on public.tiktok_posts
  for each row execute function samia.tiktok_posts_write();

-- Nobody writes posts through the API: the sidecar records them, monitors
-- act through the functions below.
revoke insert, update, delete, truncate on public.tiktok_posts from service_role, authenticated, anon;
revoke usage on sequence public.tiktok_posts_id_seq from service_role;

-- 3. Horoscopes: several drafts for a sign and day may wait for review; one
--    is published. Rejection is recorded on the row.
alter table public.horoscopes drop constraint if exists horoscopes_scope_zodiac_ref_date_key;
create unique index if not exists horoscopes_one_published on public.horoscopes (scope, zodiac, ref_date)
  where approved_at is not null;
create index if not exists horoscopes_key_idx on public.horoscopes (scope, zodiac, ref_date);
alter table public.horoscopes
  add column if not exists rejected_at timestamptz,
  add column if not exists rejected_by uuid references public.profiles(id),
  add column if not exists rejected_reason text;
create index if not exists horoscopes_rejected_by_idx on public.horoscopes (rejected_by);
grant update (rejected_reason) on public.horoscopes to authenticated;

-- 4. The bucket a monitor uploads a post's video or sound into (at
--    <uid>/...), and media of kind video (samia_core::media).
alter table public.media_assets drop constraint if exists media_assets_kind_check;
alter table public.media_assets add constraint media_assets_kind_check
  check (kind in ('audio', 'video', 'image', 'pdf', 'other'));
insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types) values
  ('horoscope-sources', 'horoscope-sources', false, 524288000,
   array['audio/mpeg','audio/mp4','audio/x-m4a','audio/aac','audio/ogg','audio/opus','audio/wav',
         'audio/x-wav','audio/webm','audio/flac','video/mp4','video/quicktime','video/webm'])
on conflict (id) do nothing;
alter policy samia_buckets_read on storage.buckets
  using (id in ('order-inputs', 'readings', 'horoscopes', 'horoscope-sources'));
alter policy samia_objects_read on storage.objects
  using (bucket_id in ('order-inputs', 'readings', 'horoscopes', 'horoscope-sources')
         and (exists (select 1 from public.media_assets m
                       where m.bucket = objects.bucket_id and m.path = objects.name)
              or owner_id = (select auth.uid())::text
              or (select samia.is_staff())));
alter policy samia_objects_insert on storage.objects
  with check (owner_id = (select auth.uid())::text
              and not (select samia.caller_is_blocked())
              and (storage.foldername(name))[1] = (select auth.uid())::text
              and ((bucket_id = 'order-inputs' and (select samia.caller_role()) = 'client')
                   or (bucket_id = 'readings' and (select samia.caller_role()) = 'reader')
                   or (bucket_id = 'horoscope-sources'
                       and (select samia.caller_role()) in ('monitor', 'admin', 'superadmin'))));
alter policy samia_objects_update on storage.objects
  using (bucket_id in ('order-inputs', 'readings', 'horoscope-sources')
         and owner_id = (select auth.uid())::text and not (select samia.caller_is_blocked()))
  with check (bucket_id in ('order-inputs', 'readings', 'horoscope-sources')
              and owner_id = (select auth.uid())::text
              and (storage.foldername(name))[1] = (select auth.uid())::text);
alter policy samia_objects_delete on storage.objects
  using (bucket_id in ('order-inputs', 'readings', 'horoscope-sources')
         and owner_id = (select auth.uid())::text and not (select samia.caller_is_blocked()));

-- 5. The review queue: drafts and posts that need a monitor, oldest first.
--    security_invoker: it shows what the caller's own policies let them
--    read of tiktok_posts, which is nothing unless they are staff.
create or replace view public.horoscope_review_queue with (security_invoker = true) as
select p.id as post_id,
       p.post_id as tiktok_id,
       p.status,
       p.caption,
       p.create_time as posted_at,
       p.share_url,
       p.detected_scope as scope,
       p.detected_zodiac as zodiac,
       p.detected_date as ref_date,
       p.classified_by,
       p.media_id as audio_media_id,
       m.status as audio_status,
       m.error as audio_error,
       m.duration_sec as audio_duration_sec,
       m.sha256 as audio_sha256,
       m.url as audio_url,
       p.horoscope_id,
       (select h.id from public.horoscopes h
         where h.scope = p.detected_scope and h.zodiac = p.detected_zodiac
           and h.ref_date = p.detected_date and h.approved_at is not null
           and h.id is distinct from p.horoscope_id
         limit 1) as published_horoscope_id,
       p.duplicate_of,
       p.error,
       p.removed_at
  from public.tiktok_posts p
  left join public.media_assets m on m.id = p.media_id
 where p.status in ('unclassified', 'classified', 'draft', 'duplicate', 'failed', 'removed')
 order by p.create_time nulls first, p.id;
revoke all on public.horoscope_review_queue from anon, public;
grant select on public.horoscope_review_queue to authenticated;

-- 6. What monitors and admins call (supabase.rpc(...)); the extension's
--    functions check the caller, write the rows, audit them.
revoke execute on function samia.classify_post(bigint, text, text, date),
                           samia.attach_post_media(bigint, bigint),
                           samia.ignore_post(bigint, text) from public;
grant execute on function samia.classify_post(bigint, text, text, date),
                          samia.attach_post_media(bigint, bigint),
                          samia.ignore_post(bigint, text) to authenticated;
grant execute on function samia.classify_caption(text, timestamptz, text) to anon, authenticated;

create or replace function public.classify_post(p_post_id bigint, p_scope text, p_zodiac text,
                                                p_ref_date date) returns public.tiktok_posts
  language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_row public.tiktok_posts;
begin
  perform samia.classify_post(p_post_id, p_scope, p_zodiac, p_ref_date);
  select * into v_row from public.tiktok_posts p where p.id = p_post_id;
  return v_row;
end
$$;

create or replace function public.attach_post_media(post_id bigint, media_id bigint)
  returns public.tiktok_posts
  language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_row public.tiktok_posts;
begin
  perform samia.attach_post_media(attach_post_media.post_id, attach_post_media.media_id);
  select * into v_row from public.tiktok_posts p where p.id = attach_post_media.post_id;
  return v_row;
end
$$;

create or replace function public.ignore_post(p_post_id bigint, p_reason text)
  returns public.tiktok_posts
  language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_row public.tiktok_posts;
begin
  perform samia.ignore_post(p_post_id, p_reason);
  select * into v_row from public.tiktok_posts p where p.id = p_post_id;
  return v_row;
end
$$;

-- Approval and rejection are writes to horoscopes that the authority
-- trigger checks and records (samia.horoscopes_authority).
create or replace function public.approve_horoscope(p_id bigint) returns public.horoscopes
  language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_row public.horoscopes;
begin
  update public.horoscopes set approved_at = now() where id = p_id returning * into v_row;
  if not found then
    raise exception 'horoscope % not found', p_id using errcode = 'P0002',
      hint = 'the horoscope does not exist or is not yours to review';
  end if;
  return v_row;
end
$$;

create or replace function public.reject_horoscope(p_id bigint, p_reason text) returns public.horoscopes
  language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_row public.horoscopes;
begin
  update public.horoscopes set rejected_reason = coalesce(p_reason, '') where id = p_id
    returning * into v_row;
  if not found then
    raise exception 'horoscope % not found', p_id using errcode = 'P0002',
      hint = 'the horoscope does not exist or is not yours to review';
  end if;
  return v_row;
end
$$;

revoke execute on function public.classify_post(bigint, text, text, date),
                           public.attach_post_media(bigint, bigint),
                           public.ignore_post(bigint, text),
                           public.approve_horoscope(bigint),
                           public.reject_horoscope(bigint, text) from public;
grant execute on function public.classify_post(bigint, text, text, date),
                          public.attach_post_media(bigint, bigint),
                          public.ignore_post(bigint, text),
                          public.approve_horoscope(bigint),
                          public.reject_horoscope(bigint, text) to authenticated;

-- 7. What the sidecar calls: it records synced posts, flags posts TikTok no
--    longer lists, links extracted audio, records a failure.
revoke execute on function samia.tiktok_record_posts(jsonb),
                           samia.tiktok_mark_removed(text[], timestamptz),
                           samia.tiktok_post_audio(bigint, text, text, text),
                           samia.tiktok_post_failed(bigint, text) from public;
grant execute on function samia.tiktok_record_posts(jsonb),
                          samia.tiktok_mark_removed(text[], timestamptz),
                          samia.tiktok_post_audio(bigint, text, text, text),
                          samia.tiktok_post_failed(bigint, text) to samia_sidecar;
grant select on public.tiktok_posts to samia_sidecar;
drop policy if exists samia_sidecar_read on public.tiktok_posts;
create policy samia_sidecar_read on public.tiktok_posts for select to samia_sidecar using (true);

-- 8. Settings (admin-editable): the owner's time zone for dates in
--    captions, and how often the sidecar syncs (an interval).
insert into public.app_config (key, value) values
  ('horoscopes.time_zone', '"Africa/Cairo"'),
  ('tiktok.sync_interval', to_jsonb(coalesce(
     (select (value #>> '{}') || ' minutes' from public.app_config
       where key = 'tiktok.poll_interval_minutes'), '30 minutes')))
on conflict (key) do nothing;
delete from public.app_config where key = 'tiktok.poll_interval_minutes';
-- Ingest is an off switch: on unless an admin turned it off (V4 shipped it
-- off before there was anything to ingest).
update public.app_config set value = 'true'
 where key = 'tiktok.ingest_enabled' and value = 'false'::jsonb and updated_by is null;
