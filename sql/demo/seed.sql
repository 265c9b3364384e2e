-- Demo accounts (one per role) and a little demo data for `make up`.
-- Not a migration: never applied to a real database. Idempotent.

insert into auth.users (id, email, email_confirmed_at, phone, phone_confirmed_at, raw_user_meta_data) values
  ('00000000-0000-4000-8000-000000000001', 'superadmin@samia.test', now(), null, null, '{"first_name": "Samia", "last_name": "Admin"}'),
  ('00000000-0000-4000-8000-000000000002', 'admin@samia.test', now(), null, null, '{"first_name": "Hana", "last_name": "Admin"}'),
  ('00000000-0000-4000-8000-000000000003', 'reader@samia.test', now(), null, null, '{"first_name": "Layla", "last_name": "Reader"}'),
  ('00000000-0000-4000-8000-000000000004', 'monitor@samia.test', now(), null, null, '{"first_name": "Omar", "last_name": "Monitor"}'),
  ('00000000-0000-4000-8000-000000000005', 'client@samia.test', now(), '+201001234567', now(), '{"first_name": "Nour", "last_name": "Client"}')
on conflict (id) do nothing;

update public.profiles p set role_id = v.role_id
  from (values
    ('00000000-0000-4000-8000-000000000001'::uuid, 1),
    ('00000000-0000-4000-8000-000000000002'::uuid, 2),
    ('00000000-0000-4000-8000-000000000003'::uuid, 3),
    ('00000000-0000-4000-8000-000000000004'::uuid, 4),
    ('00000000-0000-4000-8000-000000000005'::uuid, 5)
  ) as v(id, role_id)
 where p.id = v.id and p.role_id is distinct from v.role_id;

-- zodiac and country_code are derived by the extension from these.
update public.profiles
   set dob = '1994-08-23', country = 'EG', birth_place = 'Cairo', birth_time = '06:30'
 where id = '00000000-0000-4000-8000-000000000005' and dob is null;

-- A demo photo described without a stored object (upload real files through
-- the fake Storage; see docs/files.md).
insert into public.media_assets (id, owner_id, kind, url, mime_type, status)
  values (1000001, '00000000-0000-4000-8000-000000000005', 'image', 'demo/cup.jpg', 'image/jpeg', 'ready')
  on conflict (id) do nothing;

insert into public.orders (id, user_id, service_id, is_gold, question_text, input_media_id)
  select v.id, '00000000-0000-4000-8000-000000000005', s.id, v.gold, v.question, v.media
    from (values
      (1000001, 'tarot', true, 'Will my new job work out?', null::bigint),
      (1000002, 'coffee', false, 'What does my cup say about this year?', 1000001),
      (1000003, 'astro', false, 'My natal chart, please', null)
    ) as v(id, code, gold, question, media)
    join public.services s on s.code = v.code
  on conflict (id) do nothing;

insert into public.notifications (user_id, kind, title, body)
  select '00000000-0000-4000-8000-000000000005', 'welcome', 'Welcome to SAMIA-TAROT', 'Your demo account is ready.'
   where not exists (select from public.notifications where user_id = '00000000-0000-4000-8000-000000000005');

-- The demo reader takes calls every day from 09:00 to 21:00 Cairo time and is online.
insert into public.reader_availability (reader_id, weekday, starts_at, ends_at, time_zone)
  select '00000000-0000-4000-8000-000000000003', d, '09:00', '21:00', 'Africa/Cairo'
    from generate_series(1, 7) d
   where not exists (select from public.reader_availability
                      where reader_id = '00000000-0000-4000-8000-000000000003');
insert into public.reader_presence (reader_id, status)
  values ('00000000-0000-4000-8000-000000000003', 'online')
  on conflict (reader_id) do nothing;
