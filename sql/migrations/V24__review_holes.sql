-- requires: samia >= 0.2.0
-- (samia.calls_rows_authority and samia.is_plain_path are new in 0.2.0.)
--
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

-- 4. The apps' RPCs answer a missing (NULL) required argument with 22023
--    naming it, before anything else: a NULL used to reach the extension
--    as an internal error, or to read as "not found". Each function below
--    is the latest definition of its migration with these checks first.

create or replace function public.approve_horoscope(p_id bigint)
 returns public.horoscopes
 language plpgsql
 set search_path = ''
as $function$
declare
  v_row public.horoscopes;
begin
  if approve_horoscope.p_id is null then
    raise exception 'p_id is required, and was null' using errcode = '22023',
      hint = 'give a value for every argument the function needs';
  end if;
  update public.horoscopes set approved_at = now() where id = p_id returning * into v_row;
  if not found then
    raise exception 'horoscope % not found', p_id using errcode = 'P0002',
      hint = 'the horoscope does not exist or is not yours to review';
  end if;
  return v_row;
end
$function$;

create or replace function public.approve_order(p_order_id bigint)
 returns public.orders
 language plpgsql
 set search_path = ''
as $function$
declare
  v_order public.orders;
begin
  if approve_order.p_order_id is null then
    raise exception 'p_order_id is required, and was null' using errcode = '22023',
      hint = 'give a value for every argument the function needs';
  end if;
  update public.orders set status = 'approved' where id = p_order_id returning * into v_order;
  if not found then
    raise exception 'order % not found', p_order_id using errcode = 'P0002',
      hint = 'the order does not exist or is not yours to change';
  end if;
  return v_order;
end
$function$;

create or replace function public.archive_order(p_order_id bigint)
 returns public.orders
 language plpgsql
 set search_path = ''
as $function$
declare
  v_order public.orders;
begin
  if archive_order.p_order_id is null then
    raise exception 'p_order_id is required, and was null' using errcode = '22023',
      hint = 'give a value for every argument the function needs';
  end if;
  update public.orders set archived_at = now() where id = p_order_id returning * into v_order;
  if not found then
    raise exception 'order % not found', p_order_id using errcode = 'P0002',
      hint = 'the order does not exist or is not yours to change';
  end if;
  return v_order;
end
$function$;

create or replace function public.assign_order(p_order_id bigint, p_reader uuid)
 returns public.orders
 language plpgsql
 set search_path = ''
as $function$
declare
  v_order public.orders;
begin
  if assign_order.p_order_id is null then
    raise exception 'p_order_id is required, and was null' using errcode = '22023',
      hint = 'give a value for every argument the function needs';
  end if;
  if assign_order.p_reader is null then
    raise exception 'p_reader is required, and was null' using errcode = '22023',
      hint = 'give a value for every argument the function needs';
  end if;
  update public.orders set status = 'assigned', assigned_reader = p_reader where id = p_order_id returning * into v_order;
  if not found then
    raise exception 'order % not found', p_order_id using errcode = 'P0002',
      hint = 'the order does not exist or is not yours to change';
  end if;
  return v_order;
end
$function$;

create or replace function public.attach_post_media(post_id bigint, media_id bigint)
 returns public.tiktok_posts
 language plpgsql
 set search_path = ''
as $function$
declare
  v_row public.tiktok_posts;
begin
  if attach_post_media.post_id is null then
    raise exception 'post_id is required, and was null' using errcode = '22023',
      hint = 'give a value for every argument the function needs';
  end if;
  if attach_post_media.media_id is null then
    raise exception 'media_id is required, and was null' using errcode = '22023',
      hint = 'give a value for every argument the function needs';
  end if;
  perform samia.attach_post_media(attach_post_media.post_id, attach_post_media.media_id);
  select * into v_row from public.tiktok_posts p where p.id = attach_post_media.post_id;
  return v_row;
end
$function$;

create or replace function public.block_profile(p_id uuid, p_reason text, p_blocklist boolean default false)
 returns public.profiles
 language plpgsql
 set search_path = ''
as $function$
declare
  v_row public.profiles;
begin
  if block_profile.p_id is null then
    raise exception 'p_id is required, and was null' using errcode = '22023',
      hint = 'give a value for every argument the function needs';
  end if;
  if block_profile.p_reason is null then
    raise exception 'p_reason is required, and was null' using errcode = '22023',
      hint = 'give a value for every argument the function needs';
  end if;
  update public.profiles set is_blocked = true, blocked_reason = p_reason
   where id = p_id and not is_blocked returning * into v_row;
  if not found then
    -- Already blocked: the block stands as it was; the list may still grow.
    select * into v_row from public.profiles p where p.id = p_id;
  end if;
  if v_row.id is null then
    raise exception 'profile % not found', p_id using errcode = 'P0002',
      hint = 'the profile does not exist or is not yours to block';
  end if;
  if p_blocklist then
    insert into public.blocklist (kind, value, reason)
    select 'phone', v_row.phone, p_reason where v_row.phone_verified and v_row.phone is not null
    on conflict (kind, value) where lifted_at is null do nothing;
    insert into public.blocklist (kind, value, reason)
    select 'email', v_row.email, p_reason where v_row.email is not null
    on conflict (kind, value) where lifted_at is null do nothing;
  end if;
  return v_row;
end
$function$;

create or replace function public.book_call(service_code text, reader_id uuid, starts_at timestamp with time zone default NULL::timestamp with time zone, time_zone text default NULL::text)
 returns public.orders
 language plpgsql
 set search_path = ''
as $function$
declare
  v_id bigint;
  v_order public.orders;
begin
  if book_call.service_code is null then
    raise exception 'service_code is required, and was null' using errcode = '22023',
      hint = 'give a value for every argument the function needs';
  end if;
  if book_call.reader_id is null then
    raise exception 'reader_id is required, and was null' using errcode = '22023',
      hint = 'give a value for every argument the function needs';
  end if;
  v_id := samia.book_call(service_code, reader_id, starts_at, time_zone);
  select * into v_order from public.orders o where o.id = v_id;
  return v_order;
end
$function$;

create or replace function public.cancel_order(p_order_id bigint, p_reason text default NULL::text)
 returns public.orders
 language plpgsql
 set search_path = ''
as $function$
declare
  v_order public.orders;
begin
  if cancel_order.p_order_id is null then
    raise exception 'p_order_id is required, and was null' using errcode = '22023',
      hint = 'give a value for every argument the function needs';
  end if;
  update public.orders set status = 'cancelled', status_reason = p_reason where id = p_order_id returning * into v_order;
  if not found then
    raise exception 'order % not found', p_order_id using errcode = 'P0002',
      hint = 'the order does not exist or is not yours to change';
  end if;
  return v_order;
end
$function$;

create or replace function public.classify_post(p_post_id bigint, p_scope text, p_zodiac text, p_ref_date date)
 returns public.tiktok_posts
 language plpgsql
 set search_path = ''
as $function$
declare
  v_row public.tiktok_posts;
begin
  if classify_post.p_post_id is null then
    raise exception 'p_post_id is required, and was null' using errcode = '22023',
      hint = 'give a value for every argument the function needs';
  end if;
  if classify_post.p_scope is null then
    raise exception 'p_scope is required, and was null' using errcode = '22023',
      hint = 'give a value for every argument the function needs';
  end if;
  if classify_post.p_zodiac is null then
    raise exception 'p_zodiac is required, and was null' using errcode = '22023',
      hint = 'give a value for every argument the function needs';
  end if;
  if classify_post.p_ref_date is null then
    raise exception 'p_ref_date is required, and was null' using errcode = '22023',
      hint = 'give a value for every argument the function needs';
  end if;
  perform samia.classify_post(p_post_id, p_scope, p_zodiac, p_ref_date);
  select * into v_row from public.tiktok_posts p where p.id = p_post_id;
  return v_row;
end
$function$;

create or replace function public.confirm_phone_verification(code text)
 returns public.phone_verifications
 language plpgsql
 set search_path = ''
as $function$
declare
  v_id bigint;
  v_row public.phone_verifications;
begin
  if confirm_phone_verification.code is null then
    raise exception 'code is required, and was null' using errcode = '22023',
      hint = 'give a value for every argument the function needs';
  end if;
  v_id := samia.confirm_phone_verification(confirm_phone_verification.code);
  select * into v_row from public.phone_verifications v where v.id = v_id;
  return v_row;
end
$function$;

create or replace function public.drop_call(p_order_id bigint, p_reason text)
 returns public.calls
 language plpgsql
 set search_path = ''
as $function$
declare
  v_call public.calls;
begin
  if drop_call.p_order_id is null then
    raise exception 'p_order_id is required, and was null' using errcode = '22023',
      hint = 'give a value for every argument the function needs';
  end if;
  if drop_call.p_reason is null then
    raise exception 'p_reason is required, and was null' using errcode = '22023',
      hint = 'give a value for every argument the function needs';
  end if;
  update public.calls set end_reason = 'dropped_by_monitor', reason = p_reason
   where order_id = p_order_id returning * into v_call;
  if not found then
    raise exception 'there is no call of order %', p_order_id using errcode = 'P0002',
      hint = 'the order has no booked call, or it is not yours to see';
  end if;
  return v_call;
end
$function$;

create or replace function public.ignore_post(p_post_id bigint, p_reason text)
 returns public.tiktok_posts
 language plpgsql
 set search_path = ''
as $function$
declare
  v_row public.tiktok_posts;
begin
  if ignore_post.p_post_id is null then
    raise exception 'p_post_id is required, and was null' using errcode = '22023',
      hint = 'give a value for every argument the function needs';
  end if;
  if ignore_post.p_reason is null then
    raise exception 'p_reason is required, and was null' using errcode = '22023',
      hint = 'give a value for every argument the function needs';
  end if;
  perform samia.ignore_post(p_post_id, p_reason);
  select * into v_row from public.tiktok_posts p where p.id = p_post_id;
  return v_row;
end
$function$;

create or replace function public.place_order(service_code text, question_text text default NULL::text, input_media_id bigint default NULL::bigint, is_gold boolean default false, scheduled_at timestamp with time zone default NULL::timestamp with time zone, birth_name text default NULL::text, birth_date date default NULL::date, birth_time time without time zone default NULL::time without time zone, birth_place text default NULL::text)
 returns public.orders
 language plpgsql
 set search_path = ''
as $function$
declare
  v_order public.orders;
  v_service bigint;
begin
  if place_order.service_code is null then
    raise exception 'service_code is required, and was null' using errcode = '22023',
      hint = 'give a value for every argument the function needs';
  end if;
  select s.id into v_service from public.services s where s.code = service_code;
  if v_service is null then
    raise exception 'there is no service %', service_code using errcode = '22023',
      hint = 'use one of the codes in public.services';
  end if;
  insert into public.orders (user_id, service_id, question_text, input_media_id, is_gold, scheduled_at,
                             birth_name, birth_date, birth_time, birth_place)
  values ((select auth.uid()), v_service, place_order.question_text, place_order.input_media_id,
          coalesce(place_order.is_gold, false), place_order.scheduled_at,
          place_order.birth_name, place_order.birth_date, place_order.birth_time, place_order.birth_place)
  returning * into v_order;
  return v_order;
end
$function$;

create or replace function public.reject_horoscope(p_id bigint, p_reason text)
 returns public.horoscopes
 language plpgsql
 set search_path = ''
as $function$
declare
  v_row public.horoscopes;
begin
  if reject_horoscope.p_id is null then
    raise exception 'p_id is required, and was null' using errcode = '22023',
      hint = 'give a value for every argument the function needs';
  end if;
  if reject_horoscope.p_reason is null then
    raise exception 'p_reason is required, and was null' using errcode = '22023',
      hint = 'give a value for every argument the function needs';
  end if;
  update public.horoscopes set rejected_reason = coalesce(p_reason, '') where id = p_id
    returning * into v_row;
  if not found then
    raise exception 'horoscope % not found', p_id using errcode = 'P0002',
      hint = 'the horoscope does not exist or is not yours to review';
  end if;
  return v_row;
end
$function$;

create or replace function public.reject_order(p_order_id bigint, p_reason text)
 returns public.orders
 language plpgsql
 set search_path = ''
as $function$
declare
  v_order public.orders;
begin
  if reject_order.p_order_id is null then
    raise exception 'p_order_id is required, and was null' using errcode = '22023',
      hint = 'give a value for every argument the function needs';
  end if;
  if reject_order.p_reason is null then
    raise exception 'p_reason is required, and was null' using errcode = '22023',
      hint = 'give a value for every argument the function needs';
  end if;
  update public.orders set status = 'rejected', status_reason = p_reason where id = p_order_id returning * into v_order;
  if not found then
    raise exception 'order % not found', p_order_id using errcode = 'P0002',
      hint = 'the order does not exist or is not yours to change';
  end if;
  return v_order;
end
$function$;

create or replace function public.request_phone_verification(phone text)
 returns public.phone_verifications
 language plpgsql
 set search_path = ''
as $function$
declare
  v_id bigint;
  v_row public.phone_verifications;
begin
  if request_phone_verification.phone is null then
    raise exception 'phone is required, and was null' using errcode = '22023',
      hint = 'give a value for every argument the function needs';
  end if;
  v_id := samia.request_phone_verification(request_phone_verification.phone);
  select * into v_row from public.phone_verifications v where v.id = v_id;
  return v_row;
end
$function$;

create or replace function public.start_order(p_order_id bigint)
 returns public.orders
 language plpgsql
 set search_path = ''
as $function$
declare
  v_order public.orders;
begin
  if start_order.p_order_id is null then
    raise exception 'p_order_id is required, and was null' using errcode = '22023',
      hint = 'give a value for every argument the function needs';
  end if;
  update public.orders set status = 'in_progress' where id = p_order_id returning * into v_order;
  if not found then
    raise exception 'order % not found', p_order_id using errcode = 'P0002',
      hint = 'the order does not exist or is not yours to change';
  end if;
  return v_order;
end
$function$;

create or replace function public.submit_order(p_order_id bigint, p_output_media_id bigint)
 returns public.orders
 language plpgsql
 set search_path = ''
as $function$
declare
  v_order public.orders;
begin
  if submit_order.p_order_id is null then
    raise exception 'p_order_id is required, and was null' using errcode = '22023',
      hint = 'give a value for every argument the function needs';
  end if;
  if submit_order.p_output_media_id is null then
    raise exception 'p_output_media_id is required, and was null' using errcode = '22023',
      hint = 'give a value for every argument the function needs';
  end if;
  update public.orders set output_media_id = p_output_media_id, status = 'awaiting_approval' where id = p_order_id returning * into v_order;
  if not found then
    raise exception 'order % not found', p_order_id using errcode = 'P0002',
      hint = 'the order does not exist or is not yours to change';
  end if;
  return v_order;
end
$function$;

-- 5. The sidecar reads the migration history: `samia run` refuses a database
--    older than it needs (CONTRACT.md section 13). (The history is created
--    by `samia migrate up`; a database migrated another way has none.)
do $$
begin
  if pg_catalog.to_regclass('ops.schema_migrations') is not null then
    grant select on ops.schema_migrations to samia_sidecar;
  end if;
end
$$;
