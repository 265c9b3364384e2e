-- Every application table of the data contract (CONTRACT.md section 3).
--
-- Row-level security is enabled on each table as it is created: until the
-- policies migration grants access, anon and authenticated read and change
-- nothing. Every foreign-key column and every column a policy or work queue
-- filters on has an index.

-- Application roles, with fixed ids (the spec relied on insert order).
create table if not exists public.roles (
  id smallint primary key,
  code text unique not null check (code in ('superadmin','admin','reader','monitor','client')),
  label text not null
);
alter table public.roles enable row level security;

create table if not exists public.countries (
  code char(2) primary key check (code ~ '^[A-Z]{2}$'),
  name text not null,
  dial_code text not null check (dial_code ~ '^\+[0-9]{1,4}$')
);
alter table public.countries enable row level security;

create table if not exists public.profiles (
  id uuid primary key references auth.users(id) on delete cascade,
  email text unique,
  phone text,
  first_name text,
  last_name text,
  dob date check (dob >= date '1900-01-01'),
  zodiac text check (zodiac in ('Aries','Taurus','Gemini','Cancer','Leo','Virgo','Libra',
                                'Scorpio','Sagittarius','Capricorn','Aquarius','Pisces')),
  country text check (country ~ '^[A-Z]{2}$'),
  country_code text,
  birth_place text,
  birth_time time,
  role_id smallint not null default 5 references public.roles(id),
  email_verified boolean not null default false,
  phone_verified boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  is_blocked boolean not null default false,
  blocked_at timestamptz,
  blocked_by uuid references public.profiles(id),
  blocked_reason text
);
create index if not exists profiles_role_id_idx on public.profiles (role_id);
create index if not exists profiles_blocked_by_idx on public.profiles (blocked_by) where blocked_by is not null;
create index if not exists profiles_blocked_idx on public.profiles (id) where is_blocked;
alter table public.profiles enable row level security;

create table if not exists public.services (
  id bigserial primary key,
  code text unique not null,
  name text not null,
  is_premium boolean not null default false,
  is_active boolean not null default true,
  base_price numeric(12,2) not null default 0 check (base_price >= 0),
  meta jsonb not null default '{}'::jsonb,
  delivery text not null check (delivery in ('audio','call'))
);
alter table public.services enable row level security;

-- `create type` has no `if not exists`: guard it (spec defect 2).
do $$
begin
  if to_regtype('public.order_status') is null then
    create type public.order_status as enum
      ('new','assigned','in_progress','awaiting_approval','approved','rejected','delivered','cancelled');
  end if;
end
$$;

create table if not exists public.media_assets (
  id bigserial primary key,
  owner_id uuid references public.profiles(id),
  kind text not null check (kind in ('audio','image','pdf','other')),
  url text not null,
  duration_sec int check (duration_sec >= 0),
  bytes bigint check (bytes >= 0),
  sha256 text,
  meta jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  bucket text,
  path text,
  mime_type text
);
create index if not exists media_assets_owner_id_idx on public.media_assets (owner_id);
alter table public.media_assets enable row level security;

-- No gold_implies_priority check: it made a gold order undeliverable (spec defect 1).
create table if not exists public.orders (
  id bigserial primary key,
  user_id uuid not null references public.profiles(id),
  service_id bigint not null references public.services(id),
  is_gold boolean not null default false,
  status public.order_status not null default 'new',
  question_text text,
  input_media_id bigint references public.media_assets(id),
  output_media_id bigint references public.media_assets(id),
  assigned_reader uuid references public.profiles(id),
  scheduled_at timestamptz,
  delivered_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  status_reason text,
  archived_at timestamptz
);
create index if not exists orders_user_id_idx on public.orders (user_id, created_at desc);
create index if not exists orders_service_id_idx on public.orders (service_id);
create index if not exists orders_assigned_reader_idx on public.orders (assigned_reader, status)
  where assigned_reader is not null;
create index if not exists orders_input_media_id_idx on public.orders (input_media_id)
  where input_media_id is not null;
create index if not exists orders_output_media_id_idx on public.orders (output_media_id)
  where output_media_id is not null;
-- Work queues: gold first, then oldest first, per status.
create index if not exists orders_queue_idx on public.orders (status, is_gold desc, created_at, id);
alter table public.orders enable row level security;

-- tiktok_post_url moved to tiktok_posts: clients never see ingest details (spec defect 3).
create table if not exists public.horoscopes (
  id bigserial primary key,
  scope text not null check (scope in ('daily','monthly')),
  zodiac text not null check (zodiac in ('Aries','Taurus','Gemini','Cancer','Leo','Virgo','Libra',
                                         'Scorpio','Sagittarius','Capricorn','Aquarius','Pisces')),
  ref_date date not null,
  audio_media_id bigint references public.media_assets(id),
  text_content text,
  approved_by uuid references public.profiles(id),
  approved_at timestamptz,
  created_at timestamptz not null default now(),
  unique (scope, zodiac, ref_date)
);
create index if not exists horoscopes_audio_media_id_idx on public.horoscopes (audio_media_id);
create index if not exists horoscopes_approved_by_idx on public.horoscopes (approved_by);
create index if not exists horoscopes_published_idx on public.horoscopes (ref_date desc, zodiac)
  where approved_at is not null;
alter table public.horoscopes enable row level security;

create table if not exists public.calls (
  id bigserial primary key,
  order_id bigint unique references public.orders(id),
  started_at timestamptz,
  ended_at timestamptz,
  end_reason text check (end_reason in ('completed','dropped_by_monitor','dropped_by_reader',
                                        'dropped_by_client','failed','other')),
  provider text,
  provider_ref text,
  ended_by uuid references public.profiles(id)
);
create index if not exists calls_ended_by_idx on public.calls (ended_by) where ended_by is not null;
alter table public.calls enable row level security;

create table if not exists public.moderation_actions (
  id bigserial primary key,
  actor_id uuid references public.profiles(id),
  target_kind text not null check (target_kind in ('order','profile','media','horoscope','call')),
  target_id text not null,
  action text not null check (action in ('approve','reject','block','unblock','drop_call')),
  reason text,
  created_at timestamptz not null default now(),
  unique (target_kind, target_id, action, created_at)
);
create index if not exists moderation_actions_actor_id_idx on public.moderation_actions (actor_id);
alter table public.moderation_actions enable row level security;

create table if not exists public.phone_verifications (
  id bigserial primary key,
  profile_id uuid references public.profiles(id),
  phone text not null,
  status text not null check (status in ('queued','sent','verified','failed','expired','canceled')),
  provider_ref text,
  created_at timestamptz not null default now(),
  error_code text,
  updated_at timestamptz not null default now()
);
create index if not exists phone_verifications_profile_id_idx
  on public.phone_verifications (profile_id, created_at desc);
create index if not exists phone_verifications_phone_idx
  on public.phone_verifications (phone, created_at desc);
alter table public.phone_verifications enable row level security;

-- Tamper-evidence columns come with the audit migration.
create table if not exists public.audit_log (
  id bigserial primary key,
  actor uuid,
  actor_role text,
  event text not null,
  entity text,
  entity_id text,
  meta jsonb,
  created_at timestamptz not null default now()
);
create index if not exists audit_log_entity_idx on public.audit_log (entity, entity_id);
create index if not exists audit_log_actor_idx on public.audit_log (actor, created_at desc);
alter table public.audit_log enable row level security;

create table if not exists public.notifications (
  id bigserial primary key,
  user_id uuid not null references public.profiles(id),
  kind text not null,
  title text,
  body text,
  order_id bigint references public.orders(id),
  created_at timestamptz not null default now(),
  read_at timestamptz
);
create index if not exists notifications_user_id_idx on public.notifications (user_id, created_at desc);
create index if not exists notifications_order_id_idx on public.notifications (order_id)
  where order_id is not null;
alter table public.notifications enable row level security;

create table if not exists public.astro_charts (
  id bigserial primary key,
  order_id bigint unique references public.orders(id),
  profile_id uuid references public.profiles(id),
  dob date,
  birth_time time,
  birth_place text,
  latitude double precision check (latitude between -90 and 90),
  longitude double precision check (longitude between -180 and 180),
  timezone text,
  chart jsonb,
  summary text,
  computed_at timestamptz
);
create index if not exists astro_charts_profile_id_idx on public.astro_charts (profile_id);
alter table public.astro_charts enable row level security;

-- Staff-only provenance of horoscopes ingested from TikTok.
create table if not exists public.tiktok_posts (
  id bigserial primary key,
  post_id text unique not null,
  caption text,
  create_time timestamptz,
  share_url text,
  detected_zodiac text check (detected_zodiac in ('Aries','Taurus','Gemini','Cancer','Leo','Virgo',
                              'Libra','Scorpio','Sagittarius','Capricorn','Aquarius','Pisces')),
  detected_date date,
  media_id bigint references public.media_assets(id),
  horoscope_id bigint references public.horoscopes(id),
  status text not null default 'new'
    check (status in ('new','fetched','classified','linked','ignored','failed')),
  error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index if not exists tiktok_posts_media_id_idx on public.tiktok_posts (media_id);
create index if not exists tiktok_posts_horoscope_id_idx on public.tiktok_posts (horoscope_id);
create index if not exists tiktok_posts_status_idx on public.tiktok_posts (status, create_time);
alter table public.tiktok_posts enable row level security;

create table if not exists public.app_config (
  key text primary key,
  value jsonb not null,
  updated_by uuid references public.profiles(id),
  updated_at timestamptz not null default now()
);
create index if not exists app_config_updated_by_idx on public.app_config (updated_by);
alter table public.app_config enable row level security;
