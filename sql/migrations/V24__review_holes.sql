-- Calls, files and bookings: rules of CONTRACT.md sections 4, 9 and 11 that
-- an outside review found any signed-in user could walk around. The rules
-- themselves are the extension's (samia.calls_rows_authority, the order
-- trigger's booking limits, samia.storage_object_pinned, samia.is_plain_path).

-- 1. A call row is made only by a booking or an assignment (the order
--    trigger) and never deleted: no API role inserts or deletes one, the
--    service key included, and the trigger refuses whoever else tries.
revoke insert, delete on public.calls from anon, authenticated, service_role;
drop trigger if exists calls_rows on public.calls;
create trigger calls_rows before insert or delete on public.calls
  for each row execute function samia.calls_rows_authority();

-- 2. How far ahead a client may book a call, and how many open bookings a
--    client may hold at once.
insert into public.app_config (key, value) values
  ('calls.max_days_ahead', '60'),
  ('calls.max_open_bookings', '3')
on conflict (key) do nothing;

-- 3. Object names are plain (no `..`, no empty segment, no leading `/`, no
--    backslash, no control character), at upload and at every update; an
--    update keeps the object in a bucket the caller's role writes and in
--    the caller's own folder (the extension refuses a change of bucket
--    outright, for every API role).
grant execute on function samia.is_plain_path(text) to anon, authenticated, service_role;
alter policy samia_objects_insert on storage.objects
  with check (owner_id = (select auth.uid())::text
              and not (select samia.caller_is_blocked())
              and samia.is_plain_path(name)
              and (storage.foldername(name))[1] = (select auth.uid())::text
              and ((bucket_id = 'order-inputs' and (select samia.caller_role()) = 'client')
                   or (bucket_id = 'readings' and (select samia.caller_role()) = 'reader')
                   or (bucket_id = 'horoscope-sources'
                       and (select samia.caller_role()) in ('monitor', 'admin', 'superadmin'))));
alter policy samia_objects_update on storage.objects
  using (bucket_id in ('order-inputs', 'readings', 'horoscope-sources')
         and owner_id = (select auth.uid())::text and not (select samia.caller_is_blocked()))
  with check (owner_id = (select auth.uid())::text
              and samia.is_plain_path(name)
              and (storage.foldername(name))[1] = (select auth.uid())::text
              and ((bucket_id = 'order-inputs' and (select samia.caller_role()) = 'client')
                   or (bucket_id = 'readings' and (select samia.caller_role()) = 'reader')
                   or (bucket_id = 'horoscope-sources'
                       and (select samia.caller_role()) in ('monitor', 'admin', 'superadmin'))));
