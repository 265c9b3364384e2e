-- Feature toggles and cost guards in app_config (keys and defaults in
-- samia_core::config; admins change them, audited like every app_config
-- change). Toggles are off switches: a missing key is on.

-- 1. One name per switch: orders.enabled (true/false, or per service code)
--    replaces orders.accepting, ingest.enabled replaces tiktok.ingest_enabled.
insert into public.app_config (key, value)
select 'orders.enabled', coalesce((select value from public.app_config where key = 'orders.accepting'), 'true')
on conflict (key) do nothing;
insert into public.app_config (key, value)
select 'ingest.enabled', coalesce((select value from public.app_config where key = 'tiktok.ingest_enabled'), 'true')
on conflict (key) do nothing;
delete from public.app_config where key in ('orders.accepting', 'tiktok.ingest_enabled');

insert into public.app_config (key, value) values
  ('otp.enabled', 'true'),
  ('calls.enabled', 'true'),
  ('otp.daily_budget', '2000'),
  ('otp.daily_budget_per_country', '{"*": 500}'),
  ('storage.quota_bytes_per_user', '1073741824'),
  ('tiktok.daily_request_budget', '20000')
on conflict (key) do nothing;

-- 2. What the budgets count: codes sent per day and country of the number,
--    TikTok requests per day.
alter table public.phone_verifications add column if not exists country text;
create index if not exists phone_verifications_created_at_idx
  on public.phone_verifications (created_at, country);
create table if not exists ops.tiktok_usage (
  day date primary key,
  requests integer not null default 0 check (requests >= 0)
);
revoke all on ops.tiktok_usage from public;
grant select, insert, update on ops.tiktok_usage to samia_sidecar;
