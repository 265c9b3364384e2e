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

insert into public.media_assets (id, owner_id, kind, url) values
  (1, '10000000-0000-4000-8000-000000000001', 'image', 'in.jpg'),
  (2, '10000000-0000-4000-8000-000000000004', 'audio', 'out.mp3'),
  (3, null, 'audio', 'published.mp3'),
  (4, null, 'audio', 'unpublished.mp3'),
  (5, '10000000-0000-4000-8000-000000000005', 'audio', 'reader2.mp3');

insert into public.orders (id, user_id, service_id, status, assigned_reader, input_media_id, output_media_id, delivered_at)
  select v.id, v.user_id::uuid, s.id, v.status::public.order_status, v.reader::uuid, v.input, v.output, v.delivered
    from (values
      (1, '10000000-0000-4000-8000-000000000001', 'tarot', 'delivered', '10000000-0000-4000-8000-000000000004', 1, 2, now()),
      (2, '10000000-0000-4000-8000-000000000002', 'coffee', 'new', null, null, null, null),
      (3, '10000000-0000-4000-8000-000000000001', 'direct_call', 'in_progress', '10000000-0000-4000-8000-000000000004', null, null, null),
      (4, '10000000-0000-4000-8000-000000000001', 'astro', 'assigned', '10000000-0000-4000-8000-000000000004', null, null, null),
      (5, '10000000-0000-4000-8000-000000000003', 'tarot', 'new', null, null, null, null)
    ) as v(id, user_id, code, status, reader, input, output, delivered)
    join public.services s on s.code = v.code;

insert into public.horoscopes (id, scope, zodiac, ref_date, audio_media_id, approved_at) values
  (1, 'daily', 'Aries', current_date, 3, now()),
  (2, 'daily', 'Taurus', current_date, 4, null);
insert into public.calls (order_id, started_at) values (3, now());
insert into public.phone_verifications (profile_id, phone, status)
  values ('10000000-0000-4000-8000-000000000001', '+201001234567', 'sent');
insert into public.notifications (user_id, kind, title) values
  ('10000000-0000-4000-8000-000000000001', 'welcome', 'Welcome'),
  ('10000000-0000-4000-8000-000000000003', 'welcome', 'Welcome');
insert into public.tiktok_posts (post_id, caption) values ('7300000000000000001', 'Aries today');

select setval('public.orders_id_seq', 100), setval('public.media_assets_id_seq', 100),
       setval('public.horoscopes_id_seq', 100);
