-- requires: samia >= 0.3.0
-- (samia.register_push_device, samia.remove_push_device and
-- samia.notifications_push are new in 0.3.0.)
--
-- Notices where the user is, in their language (CONTRACT.md section 15).

-- 1. The user's language, time zone and quiet hours. `locale` follows the
--    country (Arabic for the Arab League's members, English otherwise; the
--    sign-up's locale, else Arabic, until a country is known) until the
--    user sets it themselves (`locale_chosen`, kept by the extension).
alter table public.profiles
  add column if not exists locale text not null default 'ar' check (locale in ('ar', 'en')),
  add column if not exists locale_chosen boolean not null default false,
  add column if not exists time_zone text,
  add column if not exists quiet_hours jsonb;
grant update (locale, time_zone, quiet_hours) on public.profiles to authenticated;
-- Existing profiles get their country's language now.
update public.profiles set locale = locale where country is not null;

-- 2. A notice keeps its kind and parameters beside the text it was
--    rendered to, so an app can render it again.
alter table public.notifications
  add column if not exists params jsonb not null default '{}',
  add column if not exists locale text;

-- 3. Devices to push to. Tokens are credentials: a user reads their own
--    devices (without the token) and changes them only through the RPCs;
--    nobody else reads them, staff included.
create table if not exists public.push_devices (
  id bigint generated always as identity primary key,
  user_id uuid not null references public.profiles(id),
  token text not null unique check (length(token) between 1 and 4096),
  platform text not null check (platform in ('android', 'ios', 'web')),
  locale text check (locale in ('ar', 'en')),
  app_version text check (length(app_version) <= 64),
  created_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  disabled_at timestamptz,
  disabled_reason text
);
create index if not exists push_devices_user_idx on public.push_devices (user_id) where disabled_at is null;
alter table public.push_devices enable row level security;
revoke all on public.push_devices from anon, authenticated, service_role;
grant select (id, user_id, platform, locale, app_version, created_at, last_seen_at, disabled_at, disabled_reason)
  on public.push_devices to authenticated;
drop policy if exists push_devices_own on public.push_devices;
create policy push_devices_own on public.push_devices for select to authenticated
  using (user_id = (select auth.uid()));
grant select, update (disabled_at, disabled_reason, last_seen_at) on public.push_devices to samia_sidecar;

-- The pushes made, one row per notice and device: what the sidecar sent
-- and what FCM answered (for `samia costs` and `samia qa`).
create table if not exists ops.push_sends (
  id bigint generated always as identity primary key,
  notification_id bigint not null references public.notifications(id),
  device_id bigint not null references public.push_devices(id),
  status text not null default 'queued' check (status in ('queued', 'sending', 'sent', 'dead', 'failed', 'skipped')),
  send_at timestamptz not null,
  sent_at timestamptz,
  provider_ref text,
  error text,
  unique (notification_id, device_id)
);
create index if not exists push_sends_day_idx on ops.push_sends (sent_at) where sent_at is not null;
grant select, update on ops.push_sends to samia_sidecar;
-- The sidecar reads the notice it pushes and the device it pushes to,
-- and disables a device FCM calls dead.
grant select (id, kind, title, body, order_id) on public.notifications to samia_sidecar;
drop policy if exists samia_sidecar_read on public.notifications;
create policy samia_sidecar_read on public.notifications for select to samia_sidecar using (true);
drop policy if exists samia_sidecar_read on public.push_devices;
create policy samia_sidecar_read on public.push_devices for select to samia_sidecar using (true);
drop policy if exists samia_sidecar_disable on public.push_devices;
create policy samia_sidecar_disable on public.push_devices for update to samia_sidecar using (true) with check (true);

create or replace function public.register_push_device(token text, platform text, app_version text default null)
  returns table (id bigint, locale text, created_at timestamptz, last_seen_at timestamptz)
  language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_id bigint;
begin
  v_id := samia.register_push_device(register_push_device.token, register_push_device.platform,
                                     register_push_device.app_version);
  return query select d.id, d.locale, d.created_at, d.last_seen_at
                 from public.push_devices d where d.id = v_id;
end
$$;
create or replace function public.remove_push_device(token text)
  returns boolean
  language sql volatile security invoker set search_path = ''
as $$
  select samia.remove_push_device(remove_push_device.token)
$$;
revoke execute on function public.register_push_device(text, text, text), public.remove_push_device(text)
  from public, anon;
grant execute on function public.register_push_device(text, text, text), public.remove_push_device(text)
  to authenticated;
grant execute on function samia.register_push_device(text, text, text), samia.remove_push_device(text)
  to authenticated;

-- 4. Each new notice is pushed to every enabled device of its user.
drop trigger if exists notifications_push on public.notifications;
create trigger notifications_push after insert on public.notifications
  for each row execute function samia.notifications_push();
