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
