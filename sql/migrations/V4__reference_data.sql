-- Reference data: application roles with fixed ids, the five services, and
-- app_config defaults. Existing rows are left as an operator set them.

insert into public.roles (id, code, label) values
  (1, 'superadmin', 'Super Admin'),
  (2, 'admin', 'Admin'),
  (3, 'reader', 'Reader'),
  (4, 'monitor', 'Monitor'),
  (5, 'client', 'Client')
on conflict (id) do nothing;

insert into public.services (code, name, is_premium, base_price, delivery) values
  ('tarot', 'Tarot Reading', false, 0, 'audio'),
  ('coffee', 'Coffee Cup Reading', false, 0, 'audio'),
  ('astro', 'Astro Natal Chart (Audio)', false, 0, 'audio'),
  ('healing', 'Healing Energy (Call)', true, 0, 'call'),
  ('direct_call', 'Direct Call with Samia', true, 0, 'call')
on conflict (code) do nothing;

insert into public.app_config (key, value) values
  -- Phone verification cost guards.
  ('otp.max_sends_per_phone_10min', '3'),
  ('otp.max_sends_per_user_day', '10'),
  ('otp.code_ttl_minutes', '10'),
  -- Orders.
  ('orders.accepting', 'true'),
  -- Daily horoscopes from TikTok.
  ('tiktok.ingest_enabled', 'false'),
  ('tiktok.poll_interval_minutes', '30')
on conflict (key) do nothing;
