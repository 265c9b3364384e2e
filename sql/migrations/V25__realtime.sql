-- requires: samia >= 0.3.0
-- (samia.realtime_* are new in 0.3.0.)
--
-- Live updates through Supabase Realtime (CONTRACT.md section 14). The
-- triggers below broadcast each change a user should see, in the same
-- transaction, where Realtime runs (`realtime.send` exists); elsewhere they
-- return at once. samia.realtime_setup() adds the policies on
-- realtime.messages that authorise the private topics, and the tables of
-- Postgres Changes to the publication supabase_realtime, when those exist
-- (`samia migrate up` and `samia run` call it again, for a Realtime
-- installed later). The WHEN clauses keep the extension out of updates
-- that change nothing a user is told of.

drop trigger if exists orders_realtime_new on public.orders;
create trigger orders_realtime_new after insert on public.orders
  for each row execute function samia.realtime_orders();
drop trigger if exists orders_realtime on public.orders;
create trigger orders_realtime after update of status, assigned_reader on public.orders
  for each row
  when (old.status is distinct from new.status or old.assigned_reader is distinct from new.assigned_reader)
  execute function samia.realtime_orders();

drop trigger if exists calls_realtime_new on public.calls;
create trigger calls_realtime_new after insert on public.calls
  for each row execute function samia.realtime_calls();
drop trigger if exists calls_realtime on public.calls;
create trigger calls_realtime after update on public.calls
  for each row
  when (old.planned_start is distinct from new.planned_start
        or old.reader_id is distinct from new.reader_id
        or old.started_at is distinct from new.started_at
        or old.ended_at is distinct from new.ended_at
        or (old.client_joined_at is null and new.client_joined_at is not null)
        or (old.reader_joined_at is null and new.reader_joined_at is not null))
  execute function samia.realtime_calls();

drop trigger if exists notifications_realtime on public.notifications;
create trigger notifications_realtime after insert on public.notifications
  for each row execute function samia.realtime_notifications();

drop trigger if exists phone_verifications_realtime on public.phone_verifications;
create trigger phone_verifications_realtime after update of status on public.phone_verifications
  for each row
  when (old.status is distinct from new.status)
  execute function samia.realtime_phone_verifications();

drop trigger if exists horoscopes_realtime_new on public.horoscopes;
create trigger horoscopes_realtime_new after insert on public.horoscopes
  for each row execute function samia.realtime_horoscopes();
drop trigger if exists horoscopes_realtime on public.horoscopes;
create trigger horoscopes_realtime after update on public.horoscopes
  for each row
  when (old.approved_at is distinct from new.approved_at
        or old.rejected_at is distinct from new.rejected_at
        or old.scope is distinct from new.scope
        or old.zodiac is distinct from new.zodiac
        or old.ref_date is distinct from new.ref_date)
  execute function samia.realtime_horoscopes();

-- The sidecar sets Realtime up at start and reports it in `samia health`.
grant execute on function samia.realtime_setup(), samia.realtime_status() to samia_sidecar;

select samia.realtime_setup();
