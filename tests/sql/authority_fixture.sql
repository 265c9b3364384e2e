-- One user per kind of actor of the permission matrix, and a row or two in
-- every table, made as `system`. Ids are fixed so the matrix can name rows.
insert into auth.users (id, email)
  select ('10000000-0000-4000-8000-00000000000' || n)::uuid, 'user' || n || '@example.com'
    from generate_series(1, 8) n;
-- 1 owner client, 2 other client, 3 blocked client, 4 assigned reader,
-- 5 other reader, 6 monitor, 7 admin, 8 superadmin.
update public.profiles set role_id = case right(id::text, 1)
    when '4' then 3 when '5' then 3 when '6' then 4 when '7' then 2 when '8' then 1 else 5 end;
update public.profiles set is_blocked = true, blocked_reason = 'spam'
 where id = '10000000-0000-4000-8000-000000000003';

-- The owner's birth data: their astro order (4) gets its chart from it.
update public.profiles set dob = '1990-05-15', birth_time = '14:30', birth_place = 'Cairo'
 where id = '10000000-0000-4000-8000-000000000001';

insert into public.services (code, name, delivery, is_active) values ('retired', 'Retired', 'audio', false);

-- Files: objects as Storage records them (version 'v1'), registered as media
-- by system with the probe already done for the audio; and one unregistered
-- object per user in order-inputs/<uid>/new.jpg for the matrix's
-- registration case.
insert into storage.objects (bucket_id, name, owner, owner_id, metadata, version)
  select v.bucket, v.name, v.owner::uuid, v.owner, jsonb_build_object('size', 1234, 'mimetype', v.mime), 'v1'
    from (values
      ('order-inputs', '10000000-0000-4000-8000-000000000001/in.jpg', '10000000-0000-4000-8000-000000000001', 'image/jpeg'),
      ('readings', '10000000-0000-4000-8000-000000000004/out.m4a', '10000000-0000-4000-8000-000000000004', 'audio/mp4'),
      ('horoscopes', 'daily/published.m4a', null, 'audio/mp4'),
      ('horoscopes', 'daily/unpublished.m4a', null, 'audio/mp4'),
      ('readings', '10000000-0000-4000-8000-000000000005/reader2.m4a', '10000000-0000-4000-8000-000000000005', 'audio/mp4')
    ) as v(bucket, name, owner, mime);
insert into storage.objects (bucket_id, name, owner, owner_id, metadata, version)
  select 'order-inputs', u.id || '/new.jpg', u.id, u.id::text,
         '{"size": 1234, "mimetype": "image/jpeg"}', 'v1'
    from auth.users u where u.email like 'user%@example.com';
insert into public.media_assets (id, owner_id, kind, bucket, path, status, sha256, meta)
  select v.id, v.owner::uuid, v.kind, v.bucket, v.path, v.status, v.sha256,
         case when v.status = 'ready' then '{"probe": {"object_version": "v1"}}'::jsonb else '{}'::jsonb end
    from (values
      (1, '10000000-0000-4000-8000-000000000001', 'image', 'order-inputs', '10000000-0000-4000-8000-000000000001/in.jpg', 'pending', null),
      (2, '10000000-0000-4000-8000-000000000004', 'audio', 'readings', '10000000-0000-4000-8000-000000000004/out.m4a', 'ready', 'a1'),
      (3, null, 'audio', 'horoscopes', 'daily/published.m4a', 'ready', 'a3'),
      (4, null, 'audio', 'horoscopes', 'daily/unpublished.m4a', 'ready', 'a4'),
      (5, '10000000-0000-4000-8000-000000000005', 'audio', 'readings', '10000000-0000-4000-8000-000000000005/reader2.m4a', 'ready', 'a5')
    ) as v(id, owner, kind, bucket, path, status, sha256);

-- Orders start at new; each then moves through the state machine as the
-- person entitled to move it (claims set for the session, as a DBA
-- impersonating them would). The call is tomorrow at 12:00 in the readers'
-- zone (UTC), whatever the hour now: it never crosses their midnight.
insert into public.orders (id, user_id, service_id, input_media_id, scheduled_at)
  select v.id, v.user_id::uuid, s.id, v.input,
         case when s.delivery = 'call'
              then (date_trunc('day', now() at time zone 'UTC') + interval '1 day 12 hours') at time zone 'UTC' end
    from (values
      (1, '10000000-0000-4000-8000-000000000001', 'tarot', 1),
      (2, '10000000-0000-4000-8000-000000000002', 'coffee', null),
      (3, '10000000-0000-4000-8000-000000000001', 'direct_call', null),
      (4, '10000000-0000-4000-8000-000000000001', 'astro', null),
      (5, '10000000-0000-4000-8000-000000000003', 'tarot', null)
    ) as v(id, user_id, code, input)
    join public.services s on s.code = v.code;
-- Both readers take calls at any hour.
insert into public.reader_availability (reader_id, weekday, starts_at, ends_at, time_zone)
  select r::uuid, d, '00:00', '24:00', 'UTC'
    from unnest(array['10000000-0000-4000-8000-000000000004', '10000000-0000-4000-8000-000000000005']) r,
         generate_series(1, 7) d;
-- As the admin: 1, 3 and 4 go to the reader.
select set_config('request.jwt.claims', '{"sub": "10000000-0000-4000-8000-000000000007", "role": "authenticated"}', false);
update public.orders set status = 'assigned', assigned_reader = '10000000-0000-4000-8000-000000000004'
 where id in (1, 3, 4);
-- As the reader: 1 (tarot) and 3 (a call) start; 1 is answered.
select set_config('request.jwt.claims', '{"sub": "10000000-0000-4000-8000-000000000004", "role": "authenticated"}', false);
update public.orders set status = 'in_progress' where id in (1, 3);
update public.orders set output_media_id = 2, status = 'awaiting_approval' where id = 1;
-- As the monitor: 1 is approved, and so delivered.
select set_config('request.jwt.claims', '{"sub": "10000000-0000-4000-8000-000000000006", "role": "authenticated"}', false);
update public.orders set status = 'approved' where id = 1;
select set_config('request.jwt.claims', '', false);

insert into public.horoscopes (id, scope, zodiac, ref_date, audio_media_id, approved_at) values
  (1, 'daily', 'Aries', current_date, 3, now()),
  (2, 'daily', 'Taurus', current_date, 4, null);
update public.calls set started_at = now(), client_joined_at = now(), reader_joined_at = now() where order_id = 3;
insert into public.phone_verifications (profile_id, phone, status)
  values ('10000000-0000-4000-8000-000000000001', '+201001234567', 'sent');
insert into public.notifications (user_id, kind, title) values
  ('10000000-0000-4000-8000-000000000001', 'welcome', 'Welcome'),
  ('10000000-0000-4000-8000-000000000003', 'welcome', 'Welcome');
insert into public.tiktok_posts (post_id, caption) values ('7300000000000000001', 'Aries today');

select setval('public.orders_id_seq', 100), setval('public.media_assets_id_seq', 100),
       setval('public.horoscopes_id_seq', 100);
