-- The API roles' privileges on Supabase, as on plain PostgreSQL.
--
-- Supabase's init scripts set default privileges for `postgres` (the role
-- that migrates there) in schema public: every table, view, sequence and
-- function it creates is granted ALL to anon, authenticated and service_role.
-- V7 revoked those from anon and authenticated on what existed then, but not
-- from service_role, and the objects of later migrations kept them all: the
-- service key could delete and truncate orders, anon could call the staff
-- RPCs. On plain PostgreSQL there are no such defaults and every statement
-- below changes nothing.

-- 1. What the migrating role creates from now on starts from nothing, as on
--    plain PostgreSQL; migrations grant what each role may use.
alter default privileges in schema public revoke all on tables from anon, authenticated, service_role;
alter default privileges in schema public revoke all on sequences from anon, authenticated, service_role;
alter default privileges in schema public revoke all on functions from anon, authenticated, service_role;

-- 2. Nobody deletes through the API (CONTRACT.md section 4), and no API role
--    references, triggers on or truncates the product's tables; sequences
--    are only ever used (nextval), never read or set.
revoke delete, truncate, references, trigger on all tables in schema public
  from anon, authenticated, service_role;
revoke select, update on all sequences in schema public from anon, authenticated, service_role;

-- 3. What the earlier migrations never granted. The order queues are
--    staff's and readers' views (V9); the horoscope review queue is read by
--    staff only (V16); only authenticated users draw blocklist ids (V17).
revoke all on public.admin_order_queue, public.reader_order_queue from anon, service_role;
revoke all on public.horoscope_review_queue from anon, service_role;
revoke insert, update on public.horoscope_review_queue from authenticated;
revoke usage on sequence public.blocklist_id_seq from anon, service_role;

-- The RPCs: authenticated users call them (their rules decide), never anon
-- or the service key, and only GoTrue calls the access token hook.
revoke execute on function
    public.approve_horoscope(bigint), public.reject_horoscope(bigint, text),
    public.attach_post_media(bigint, bigint), public.classify_post(bigint, text, text, date),
    public.ignore_post(bigint, text), public.block_profile(uuid, text, boolean)
  from anon, service_role;
revoke execute on function
    public.approve_order(bigint), public.reject_order(bigint, text), public.archive_order(bigint),
    public.assign_order(bigint, uuid), public.cancel_order(bigint, text),
    public.start_order(bigint), public.submit_order(bigint, bigint),
    public.place_order(text, text, bigint, boolean, timestamptz, text, date, time, text),
    public.request_phone_verification(text), public.confirm_phone_verification(text),
    public.custom_access_token_hook(jsonb)
  from anon, service_role;

-- 4. The privileges the API roles and the sidecar need in schema samia were
--    granted by V6, V7, V10 and later. They take effect only where the
--    migrating role may grant them: a superuser, or the database owner for
--    whom the superuser created the extension (its script grants the owner
--    usage and execute with grant option). Anything else fails here rather
--    than leaving every request to fail with 42501 on schema samia, or the
--    extension's functions executable by PUBLIC.
do $$
begin
  if not pg_catalog.has_schema_privilege('authenticated', 'samia', 'USAGE')
     or exists (select from pg_catalog.pg_proc p, pg_catalog.aclexplode(coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))) a
                 where p.pronamespace = 'samia'::regnamespace and a.grantee = 0) then
    raise exception 'the API roles cannot use schema samia as the migrations granted'
      using errcode = '42501',
            hint = 'The samia extension must be created by a superuser in a database owned by the role '
                   'that runs `samia migrate up` (on Supabase: `create extension samia;` as supabase_admin, '
                   'then `samia migrate up` as postgres); see README.md, "Deploying on self-hosted Supabase".';
  end if;
end
$$;
