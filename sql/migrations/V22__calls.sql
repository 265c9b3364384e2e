-- Calls on LiveKit (CONTRACT.md section 11): readers' weekly hours, time
-- off and presence; bookings that never overlap; who may join; provider
-- events; monitors' drops. The rules are the extension's (samia.calls).

-- 1. btree_gist, for the exclusion constraint on (reader, time range). A
-- trusted extension: the migrating role needs no superuser. In ops, which
-- PostgREST does not expose.
create extension if not exists btree_gist schema ops;

-- 2. Readers' weekly hours, in their own IANA time zone (ISO weekdays,
-- 1 = Monday; ends_at may be 24:00), and their time off.
create table if not exists public.reader_availability (
  id bigserial primary key,
  reader_id uuid not null references public.profiles(id),
  weekday smallint not null check (weekday between 1 and 7),
  starts_at time not null,
  ends_at time not null,
  time_zone text not null check (samia.is_time_zone(time_zone)),
  -- Nobody deletes through the API: a window no longer kept is switched off.
  active boolean not null default true,
  created_at timestamptz not null default now(),
  check (ends_at > starts_at)
);
create index if not exists reader_availability_reader_idx on public.reader_availability (reader_id, weekday);
alter table public.reader_availability enable row level security;

create table if not exists public.reader_time_off (
  id bigserial primary key,
  reader_id uuid not null references public.profiles(id),
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  created_at timestamptz not null default now(),
  check (ends_at > starts_at)
);
create index if not exists reader_time_off_reader_idx on public.reader_time_off (reader_id, starts_at);
alter table public.reader_time_off enable row level security;

create table if not exists public.reader_presence (
  reader_id uuid primary key references public.profiles(id),
  status text not null default 'offline' check (status in ('online', 'busy', 'offline')),
  updated_at timestamptz not null default now()
);
alter table public.reader_presence enable row level security;

-- Readers keep their own; admins keep anyone's; staff read all; every
-- signed-in user reads those of active (unblocked) readers, and nothing
-- else of their profile. Nobody deletes them through the API.
do $$
declare
  t text;
begin
  foreach t in array array['reader_availability', 'reader_time_off', 'reader_presence'] loop
    execute format('drop policy if exists %1$s_read on public.%1$s', t);
    execute format('create policy %1$s_read on public.%1$s for select to authenticated
                      using (reader_id = (select auth.uid()) or (select samia.is_staff())
                             or samia.is_active_reader(reader_id))', t);
    execute format('drop policy if exists %1$s_insert on public.%1$s', t);
    execute format('create policy %1$s_insert on public.%1$s for insert to authenticated
                      with check ((reader_id = (select auth.uid())
                                   and samia.is_active_reader((select auth.uid())))
                                  or (select samia.is_admin()))', t);
    execute format('drop policy if exists %1$s_update on public.%1$s', t);
    execute format('create policy %1$s_update on public.%1$s for update to authenticated
                      using ((reader_id = (select auth.uid())
                              and samia.is_active_reader((select auth.uid())))
                             or (select samia.is_admin()))
                      with check ((reader_id = (select auth.uid())
                                   and samia.is_active_reader((select auth.uid())))
                                  or (select samia.is_admin()))', t);
  end loop;
end
$$;
grant select, insert (reader_id, weekday, starts_at, ends_at, time_zone, active),
      update (weekday, starts_at, ends_at, time_zone, active)
  on public.reader_availability to authenticated;
grant select, insert (reader_id, starts_at, ends_at), update (starts_at, ends_at)
  on public.reader_time_off to authenticated;
grant select, insert (reader_id, status), update (status) on public.reader_presence to authenticated;
grant usage on sequence public.reader_availability_id_seq, public.reader_time_off_id_seq to authenticated;
grant select on public.reader_availability, public.reader_time_off, public.reader_presence to service_role;

-- 3. A booked call holds its reader: `slot` is the booked time with the
-- buffers of app_config, held while the call has not ended. Two holds of
-- one reader never overlap, whatever the concurrency.
alter table public.calls
  add column if not exists reader_id uuid references public.profiles(id),
  add column if not exists slot tstzrange,
  add column if not exists planned_start timestamptz,
  add column if not exists planned_end timestamptz,
  add column if not exists client_joined_at timestamptz,
  add column if not exists reader_joined_at timestamptz,
  add column if not exists time_zone text,
  add column if not exists immediate boolean not null default false,
  add column if not exists reason text;
do $$
begin
  if not exists (select from pg_constraint where conname = 'calls_reader_no_overlap') then
    alter table public.calls add constraint calls_reader_no_overlap
      exclude using gist (reader_id with =, slot with &&) where (ended_at is null);
  end if;
end
$$;
create index if not exists calls_reader_idx on public.calls (reader_id, planned_start);

insert into public.app_config (key, value) values
  ('calls.buffer_before_minutes', '5'),
  ('calls.buffer_after_minutes', '5'),
  ('calls.join_early_minutes', '10'),
  ('calls.missed_after_minutes', '10')
on conflict (key) do nothing;

-- Booked length, longest call and (healing) the pre-ritual, unless set.
update public.services
   set meta = jsonb_build_object(
         'duration_minutes', 45, 'max_minutes', 90,
         'pre_ritual', 'Sit somewhere quiet, drink a glass of water, and keep your phone charged and on speaker.')
       || meta
 where code = 'healing' and not (meta ? 'duration_minutes');
update public.services
   set meta = jsonb_build_object('duration_minutes', 30, 'max_minutes', 60) || meta
 where code = 'direct_call' and not (meta ? 'duration_minutes');

-- 4. Through the API a call row changes only by a drop (monitors and admins),
-- checked and recorded by samia.calls_authority.
grant update (end_reason, reason) on public.calls to authenticated;
drop policy if exists calls_staff_update on public.calls;
create policy calls_staff_update on public.calls for update to authenticated
  using ((select samia.is_staff())) with check ((select samia.is_staff()));
drop trigger if exists calls_authority on public.calls;
create trigger calls_authority before update on public.calls
  for each row execute function samia.calls_authority();

-- Blocking a party of a live call takes them out of its room.
drop trigger if exists calls_on_block on public.profiles;
create trigger calls_on_block after update of is_blocked on public.profiles
  for each row when (new.is_blocked and not old.is_blocked)
  execute function samia.calls_on_block();

-- 5. LiveKit's webhooks, each recorded once by its id.
create table if not exists ops.livekit_events (
  id text primary key,
  event text not null,
  room text,
  identity text,
  received_at timestamptz not null default now()
);
revoke all on ops.livekit_events from public;

-- 6. Who runs what. The sidecar joins callers as PostgREST does (SET LOCAL
-- ROLE authenticated with their claims), through samia_api, which inherits
-- nothing: samia_sidecar gains no privilege of authenticated.
-- Roles belong to the cluster: granted once, by a role that may (a superuser,
-- or one with CREATEROLE such as Supabase's postgres).
do $$
begin
  if not exists (select from pg_roles where rolname = 'samia_api') then
    create role samia_api nologin noinherit;
  end if;
  if not pg_has_role('samia_api', 'authenticated', 'member') then
    grant authenticated to samia_api;
  end if;
  if not pg_has_role('samia_sidecar', 'samia_api', 'member') then
    grant samia_api to samia_sidecar;
  end if;
end
$$;

revoke all on function samia.book_call(text, uuid, timestamptz, text) from public;
revoke all on function samia.call_join(bigint) from public;
revoke all on function samia.livekit_event(text, text, text, text, text, text) from public;
revoke all on function samia.call_remind(bigint, timestamptz, integer) from public;
revoke all on function samia.call_deadline(bigint, text) from public;
grant execute on function samia.book_call(text, uuid, timestamptz, text),
                          samia.call_join(bigint) to authenticated;
grant execute on function samia.is_active_reader(uuid), samia.is_time_zone(text) to anon, authenticated;
grant execute on function samia.livekit_event(text, text, text, text, text, text),
                          samia.call_remind(bigint, timestamptz, integer),
                          samia.call_deadline(bigint, text) to samia_sidecar;

-- 7. The apps' calls: book with a reader (at a time, or now), drop a call.
create or replace function public.book_call(service_code text, reader_id uuid,
                                            starts_at timestamptz default null,
                                            time_zone text default null)
  returns public.orders
  language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_id bigint;
  v_order public.orders;
begin
  v_id := samia.book_call(service_code, reader_id, starts_at, time_zone);
  select * into v_order from public.orders o where o.id = v_id;
  return v_order;
end
$$;

create or replace function public.drop_call(p_order_id bigint, p_reason text)
  returns public.calls
  language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_call public.calls;
begin
  update public.calls set end_reason = 'dropped_by_monitor', reason = p_reason
   where order_id = p_order_id returning * into v_call;
  if not found then
    raise exception 'there is no call of order %', p_order_id using errcode = 'P0002',
      hint = 'the order has no booked call, or it is not yours to see';
  end if;
  return v_call;
end
$$;
revoke all on function public.book_call(text, uuid, timestamptz, text) from public;
revoke all on function public.drop_call(bigint, text) from public;
grant execute on function public.book_call(text, uuid, timestamptz, text),
                          public.drop_call(bigint, text) to authenticated;

-- 8. A service of a known code inserted without `delivery` (the original
-- spec's seed_services.py names none) gets the contract's.
drop trigger if exists services_default_delivery on public.services;
create trigger services_default_delivery before insert on public.services
  for each row execute function samia.services_default_delivery();

