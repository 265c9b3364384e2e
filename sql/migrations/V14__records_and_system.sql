-- Records are written by the extension only, and "system" is a trusted
-- session only (pg_extension/src/caller.rs, audit.rs).
--
-- 1. No role inserts into audit_log or moderation_actions itself, the owner's
--    and the superuser's inserts included: a statement trigger refuses any
--    insert the extension is not making (42501). The extension's records go
--    in through SECURITY DEFINER triggers, so no API role needs the right.
revoke insert, update, delete, truncate on public.audit_log, public.moderation_actions
  from service_role, authenticated, anon;
do $$
declare t text;
begin
  foreach t in array array['public.moderation_actions', 'public.audit_log'] loop
    execute format('drop trigger if exists records_written_by_extension on %s', t);
    execute format('create trigger records_written_by_extension before insert on %s
                      for each statement execute function samia.records_written_by_extension()', t);
  end loop;
end
$$;

-- 2. A new profile is an unblocked client unless system creates it: the
--    authority trigger runs on insert too (service_role used to be system).
drop trigger if exists profiles_authority on public.profiles;
create trigger profiles_authority before insert or update on public.profiles
  for each row execute function samia.profiles_authority();

-- 3. No policy helper runs once per row: the reader's arm of astro_charts
--    reads the order as the other arms do (V7 called
--    samia.is_assigned_reader(order_id) for every chart).
alter policy astro_charts_reader_read on public.astro_charts
  using (exists (select 1 from public.orders o
                  where o.id = astro_charts.order_id and o.assigned_reader = (select auth.uid())));

-- 4. SECURITY DEFINER functions name pg_temp last: with it left out,
--    PostgreSQL searches a session's temporary tables first.
alter function public.custom_access_token_hook(jsonb) set search_path = pg_catalog, pg_temp;

-- 5. Sessions no longer cache services (the order trigger reads them
--    through a kept plan), so nothing needs telling when they change.
drop trigger if exists services_invalidate_caches on public.services;
