-- Authority: grants, row-level security policies for every table and role,
-- the extension's authority and audit triggers, append-only records, the
-- seal table of the audit chain, and the custom access token hook.
--
-- Policies read the caller's role and block state from the database through
-- samia.* helpers (security definer, in schema samia, which PostgREST does
-- not expose), each wrapped in (select ...) so it runs once per statement.
-- Nothing is deletable through the API.

-- 1. Grants: start from nothing (Supabase grants everything by default), then
--    the minimum. Column lists keep API callers away from derived and
--    staff-managed columns; triggers check who may change what.
revoke all on all tables in schema public from anon, authenticated;
revoke all on all sequences in schema public from anon, authenticated;
revoke all on all functions in schema public from anon, authenticated, public;

grant select on public.services, public.countries, public.horoscopes, public.media_assets to anon;
grant select on all tables in schema public to authenticated;

grant update (first_name, last_name, dob, country, birth_place, birth_time, phone,
              role_id, is_blocked, blocked_reason) on public.profiles to authenticated;
grant insert (user_id, service_id, is_gold, question_text, input_media_id, scheduled_at),
      update (status, status_reason, assigned_reader, output_media_id, archived_at, scheduled_at)
  on public.orders to authenticated;
grant insert (owner_id, kind, url, duration_sec, bytes, sha256, meta, bucket, path, mime_type),
      update (url, duration_sec, bytes, sha256, meta, bucket, path, mime_type)
  on public.media_assets to authenticated;
grant insert (scope, zodiac, ref_date, audio_media_id, text_content, approved_by, approved_at),
      update (audio_media_id, text_content, approved_by, approved_at)
  on public.horoscopes to authenticated;
grant insert (code, name, is_premium, is_active, base_price, meta, delivery),
      update (name, is_premium, is_active, base_price, meta, delivery)
  on public.services to authenticated;
grant update (read_at) on public.notifications to authenticated;
grant insert (key, value), update (value) on public.app_config to authenticated;
grant usage on sequence public.orders_id_seq, public.media_assets_id_seq,
                        public.horoscopes_id_seq, public.services_id_seq to authenticated;

grant select, insert, update on all tables in schema public to service_role;
grant usage on all sequences in schema public to service_role;

-- 2. Helpers: callable by the API roles (policies run as the caller), never by PUBLIC;
--    functions created later (extension upgrades, migrations) start that way too.
revoke execute on all functions in schema samia from public;
alter default privileges in schema samia revoke execute on functions from public;
alter default privileges in schema public revoke execute on functions from public;
grant execute on function samia.zodiac_of(date), samia.caller_role(), samia.caller_is_blocked(),
                          samia.is_staff(), samia.is_admin(), samia.is_assigned_reader(bigint),
                          samia.staff_uuid_floor(), samia.staff_uuid_ceiling()
  to anon, authenticated, service_role;

-- 3. Policies.
create policy roles_staff_read on public.roles for select to authenticated
  using ((select samia.is_staff()));

create policy countries_read on public.countries for select to anon, authenticated
  using (true);

create policy services_read_active on public.services for select to anon, authenticated
  using (is_active);
create policy services_staff_read on public.services for select to authenticated
  using ((select samia.is_staff()));
create policy services_admin_insert on public.services for insert to authenticated
  with check ((select samia.is_admin()));
create policy services_admin_update on public.services for update to authenticated
  using ((select samia.is_admin())) with check ((select samia.is_admin()));

create policy profiles_read on public.profiles for select to authenticated
  using (id = (select auth.uid()) or (select samia.is_staff()));
create policy profiles_update on public.profiles for update to authenticated
  using (id = (select auth.uid()) or (select samia.is_staff()))
  with check (id = (select auth.uid()) or (select samia.is_staff()));

-- Where clients read their own rows, one policy per command with the cheap,
-- selective arms first: PostgreSQL ORs separate permissive policies in an
-- order of its own, while one policy fixes it, so a client's own row passes
-- the first arm and the staff arm (a lookup of the caller's profile) is not
-- evaluated. On orders the staff arm is a range over the indexed user_id
-- (samia.staff_uuid_floor/ceiling are NULL for non-staff), so even a query
-- without a WHERE is planned as a BitmapOr of index scans, not a scan of
-- every order.
create policy orders_read on public.orders for select to authenticated
  using (user_id = (select auth.uid())
         or assigned_reader = (select auth.uid())
         or user_id between (select samia.staff_uuid_floor()) and (select samia.staff_uuid_ceiling()));
create policy orders_client_insert on public.orders for insert to authenticated
  with check (user_id = (select auth.uid())
              and (select samia.caller_role()) = 'client'
              and not (select samia.caller_is_blocked()));
create policy orders_update on public.orders for update to authenticated
  using (user_id = (select auth.uid()) or assigned_reader = (select auth.uid()) or (select samia.is_staff()))
  with check (user_id = (select auth.uid()) or assigned_reader = (select auth.uid()) or (select samia.is_staff()));

create policy media_published_horoscope_read on public.media_assets for select to anon, authenticated
  using (exists (select 1 from public.horoscopes h
                  where h.audio_media_id = media_assets.id and h.approved_at is not null));
create policy media_own_read on public.media_assets for select to authenticated
  using (owner_id = (select auth.uid()));
create policy media_delivered_output_read on public.media_assets for select to authenticated
  using (exists (select 1 from public.orders o
                  where o.output_media_id = media_assets.id and o.user_id = (select auth.uid())
                    and o.status = 'delivered'));
create policy media_assigned_input_read on public.media_assets for select to authenticated
  using (exists (select 1 from public.orders o
                  where o.input_media_id = media_assets.id and o.assigned_reader = (select auth.uid())));
create policy media_staff_read on public.media_assets for select to authenticated
  using ((select samia.is_staff()));
create policy media_own_insert on public.media_assets for insert to authenticated
  with check (owner_id = (select auth.uid()) and not (select samia.caller_is_blocked()));
create policy media_own_update on public.media_assets for update to authenticated
  using (owner_id = (select auth.uid())) with check (owner_id = (select auth.uid()));

create policy horoscopes_published_read on public.horoscopes for select to anon, authenticated
  using (approved_at is not null);
create policy horoscopes_staff_read on public.horoscopes for select to authenticated
  using ((select samia.is_staff()));
create policy horoscopes_admin_insert on public.horoscopes for insert to authenticated
  with check ((select samia.is_admin()));
create policy horoscopes_staff_update on public.horoscopes for update to authenticated
  using ((select samia.is_staff())) with check ((select samia.is_staff()));

create policy calls_party_read on public.calls for select to authenticated
  using (exists (select 1 from public.orders o
                  where o.id = calls.order_id
                    and (o.user_id = (select auth.uid()) or o.assigned_reader = (select auth.uid()))));
create policy calls_staff_read on public.calls for select to authenticated
  using ((select samia.is_staff()));

create policy moderation_staff_read on public.moderation_actions for select to authenticated
  using ((select samia.is_staff()));

create policy phone_verifications_read on public.phone_verifications for select to authenticated
  using (profile_id = (select auth.uid()) or (select samia.is_staff()));

create policy audit_staff_read on public.audit_log for select to authenticated
  using ((select samia.is_staff()));

create policy notifications_read on public.notifications for select to authenticated
  using (user_id = (select auth.uid()) or (select samia.is_staff()));
create policy notifications_own_update on public.notifications for update to authenticated
  using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));

create policy astro_charts_own_read on public.astro_charts for select to authenticated
  using (exists (select 1 from public.orders o
                  where o.id = astro_charts.order_id and o.user_id = (select auth.uid())));
create policy astro_charts_reader_read on public.astro_charts for select to authenticated
  using (samia.is_assigned_reader(order_id));
create policy astro_charts_staff_read on public.astro_charts for select to authenticated
  using ((select samia.is_staff()));

create policy tiktok_posts_staff_read on public.tiktok_posts for select to authenticated
  using ((select samia.is_staff()));

create policy app_config_staff_read on public.app_config for select to authenticated
  using ((select samia.is_staff()));
create policy app_config_admin_insert on public.app_config for insert to authenticated
  with check ((select samia.is_admin()));
create policy app_config_admin_update on public.app_config for update to authenticated
  using ((select samia.is_admin())) with check ((select samia.is_admin()));

-- Indexes for the columns the policies filter on that V3 does not cover.
create index if not exists astro_charts_order_id_idx on public.astro_charts (order_id);
create index if not exists notifications_unread_idx on public.notifications (user_id) where read_at is null;

-- 4. Moderation records also cover role and configuration changes and staff cancellations.
alter table public.moderation_actions drop constraint if exists moderation_actions_action_check;
alter table public.moderation_actions add constraint moderation_actions_action_check
  check (action in ('approve','reject','block','unblock','drop_call','role_change','config_change','cancel'));
alter table public.moderation_actions drop constraint if exists moderation_actions_target_kind_check;
alter table public.moderation_actions add constraint moderation_actions_target_kind_check
  check (target_kind in ('order','profile','media','horoscope','call','config'));

-- 5. Authority triggers (pg_extension/src/authority.rs). BEFORE triggers fire
--    in name order: profiles_authority before profiles_derive.
drop trigger if exists profiles_authority on public.profiles;
create trigger profiles_authority before update on public.profiles
  for each row execute function samia.profiles_authority();
drop trigger if exists orders_authority on public.orders;
create trigger orders_authority before insert or update on public.orders
  for each row execute function samia.orders_authority();
drop trigger if exists orders_audit_created on public.orders;
create trigger orders_audit_created after insert on public.orders
  for each row execute function samia.orders_audit_created();
drop trigger if exists horoscopes_authority on public.horoscopes;
create trigger horoscopes_authority before insert or update on public.horoscopes
  for each row execute function samia.horoscopes_authority();
drop trigger if exists app_config_authority on public.app_config;
create trigger app_config_authority before insert or update on public.app_config
  for each row execute function samia.app_config_authority();

-- 6. Append-only records, for every role including the owner.
create table if not exists ops.audit_seals (
  seq bigint primary key,
  audit_id bigint not null unique,
  prev_hash bytea not null check (length(prev_hash) = 32),
  row_hash bytea not null check (length(row_hash) = 32),
  sealed_at timestamptz not null default now()
);
do $$
declare t text;
begin
  foreach t in array array['public.moderation_actions', 'public.audit_log', 'ops.audit_seals'] loop
    execute format('drop trigger if exists append_only on %s', t);
    execute format('create trigger append_only before update or delete on %s
                      for each row execute function samia.append_only()', t);
    execute format('drop trigger if exists append_only_truncate on %s', t);
    execute format('create trigger append_only_truncate before truncate on %s
                      for each statement execute function samia.append_only()', t);
  end loop;
end
$$;
grant execute on function samia.audit_seal(integer) to samia_sidecar;

-- 7. Supabase custom access token hook: adds a user_role claim for the UI's
--    convenience. Policies never read it.
create or replace function public.custom_access_token_hook(event jsonb) returns jsonb
  language sql stable security definer set search_path = ''
as $$
  select jsonb_set(
    event, '{claims}',
    coalesce(event -> 'claims', '{}'::jsonb) || jsonb_build_object('user_role',
      coalesce((select r.code from public.profiles p join public.roles r on r.id = p.role_id
                 where p.id = (event ->> 'user_id')::uuid), 'client')))
$$;
revoke execute on function public.custom_access_token_hook(jsonb) from public, anon, authenticated;
do $$
begin
  if exists (select from pg_roles where rolname = 'supabase_auth_admin') then
    grant execute on function public.custom_access_token_hook(jsonb) to supabase_auth_admin;
  end if;
end
$$;
