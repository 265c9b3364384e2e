-- The API roles' privileges on Supabase, as on plain PostgreSQL.
--
-- Supabase's init scripts set default privileges for `postgres` (the role
-- that migrates there) in schema public: every table, view, sequence and
-- function it creates is granted ALL to anon, authenticated and service_role.
-- V7 revoked those from anon and authenticated on what existed then, but not
-- from service_role, and the objects of later migrations kept them all: the
-- service key could delete and truncate orders, anon could call the staff
-- RPCs and write the readers' calendars, authenticated could insert any
-- column where the migrations grant a few. Below, each rule takes back only
-- what no migration grants (on plain PostgreSQL, where there are no such
-- defaults, every statement finds nothing to take back).

-- 1. What the migrating role creates from now on starts from nothing, as on
--    plain PostgreSQL; migrations grant what each role may use.
alter default privileges in schema public revoke all on tables from anon, authenticated, service_role;
alter default privileges in schema public revoke all on sequences from anon, authenticated, service_role;
alter default privileges in schema public revoke all on functions from anon, authenticated, service_role;

-- 2. No API role references, triggers on or truncates the product's tables;
--    anon changes nothing (CONTRACT.md section 4) and the service key
--    deletes nothing; sequences are only ever drawn from, never read or set,
--    and never by anon; the apps' RPCs are for signed-in users (GoTrue calls
--    the access token hook).
revoke truncate, references, trigger on all tables in schema public from anon, authenticated, service_role;
revoke insert, update, delete on all tables in schema public from anon;
revoke delete on all tables in schema public from service_role;
revoke select, update on all sequences in schema public from anon, authenticated, service_role;
revoke usage on all sequences in schema public from anon;
revoke execute on all functions in schema public from anon, service_role;

do $$
declare
  r record;
  cols text;
begin
  -- 3. What RLS would refuse anyway is not granted either: anon reads a
  --    table only where a policy lets anon read it, authenticated deletes
  --    only where a policy lets it delete. Views have no policies: staff and
  --    readers read them as authenticated, nobody else.
  for r in select c.oid::regclass as rel, c.relkind from pg_catalog.pg_class c
            where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm') loop
    if not exists (select from pg_catalog.pg_policy p
                    where p.polrelid = r.rel and p.polcmd in ('r', '*')
                      and (0::oid = any (p.polroles) or 'anon'::regrole = any (p.polroles))) then
      execute format('revoke select on %s from anon', r.rel);
    end if;
    if not exists (select from pg_catalog.pg_policy p
                    where p.polrelid = r.rel and p.polcmd in ('d', '*')
                      and (0::oid = any (p.polroles) or 'authenticated'::regrole = any (p.polroles))) then
      execute format('revoke delete on %s from authenticated', r.rel);
    end if;
    if r.relkind in ('v', 'm') then
      execute format('revoke all on %s from service_role', r.rel);
      execute format('revoke insert, update on %s from authenticated', r.rel);
    end if;
  end loop;

  -- 4. The migrations grant authenticated INSERT and UPDATE by column only
  --    (the columns a caller may write; triggers check the rest), never on
  --    a whole table. A table-wide grant on top of column grants comes from
  --    the defaults: take it back and keep the column grants (revoking the
  --    table-wide privilege revokes the columns' too, so they are granted
  --    again).
  for r in select c.oid::regclass as rel, a.privilege_type as priv
             from pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
            where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
              and a.grantee = 'authenticated'::regrole and a.privilege_type in ('INSERT', 'UPDATE') loop
    select string_agg(quote_ident(att.attname), ', ' order by att.attnum) into cols
      from pg_catalog.pg_attribute att, pg_catalog.aclexplode(att.attacl) a
     where att.attrelid = r.rel and att.attnum > 0 and not att.attisdropped
       and a.grantee = 'authenticated'::regrole and a.privilege_type = r.priv;
    execute format('revoke %s on %s from authenticated', r.priv, r.rel);
    if cols is not null then
      execute format('grant %s (%s) on %s to authenticated', r.priv, cols, r.rel);
    end if;
  end loop;

  -- 5. The service key writes the tables that existed when V7 granted it
  --    select, insert and update on all of them and draws from their
  --    sequences; the readers' calendars (V22) it only reads, and it inserts
  --    into neither those nor the blocklist (V17).
  revoke insert, update on public.reader_availability, public.reader_time_off, public.reader_presence
    from service_role;
  revoke usage on sequence public.reader_availability_id_seq, public.reader_time_off_id_seq,
                           public.blocklist_id_seq
    from service_role;
end
$$;

-- 6. The privileges the API roles and the sidecar need in schema samia were
--    granted by V6, V7, V10 and later. They take effect only where the
--    migrating role may grant them: a superuser, or the database owner for
--    whom the superuser created the extension (its script grants the owner
--    usage and execute with grant option). Anything else fails here rather
--    than leaving every request to fail with 42501 on schema samia, or the
--    extension's functions executable by PUBLIC.
do $$
begin
  if not pg_catalog.has_schema_privilege('authenticated', 'samia', 'USAGE')
     or exists (select from pg_catalog.pg_proc p,
                            pg_catalog.aclexplode(coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))) a
                 where p.pronamespace = 'samia'::regnamespace and a.grantee = 0) then
    raise exception 'the API roles cannot use schema samia as the migrations granted'
      using errcode = '42501',
            hint = 'The samia extension must be created by a superuser in a database owned by the role '
                   'that runs `samia migrate up` (on Supabase: `create extension samia;` as supabase_admin, '
                   'then `samia migrate up` as postgres); see README.md, "Deploying on self-hosted Supabase".';
  end if;
end
$$;
