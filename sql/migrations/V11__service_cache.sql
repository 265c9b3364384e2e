-- Sessions cache services (pg_extension/src/cache.rs); a change to services
-- tells every session to drop its copy when the change commits.
drop trigger if exists services_invalidate_caches on public.services;
create trigger services_invalidate_caches
  after insert or update or delete or truncate on public.services
  for each statement execute function samia.invalidate_caches();
