-- Wiring of the extension's profile triggers (pg_extension/src/profiles.rs).

-- zodiac and country_code are derived on every write; dob and country validated.
drop trigger if exists profiles_derive on public.profiles;
create trigger profiles_derive
  before insert or update on public.profiles
  for each row execute function samia.profiles_derive();

-- auth.users -> profiles: email, phone and their verified flags.
drop trigger if exists samia_sync_profile on auth.users;
create trigger samia_sync_profile
  after insert or update of email, phone, email_confirmed_at, phone_confirmed_at on auth.users
  for each row execute function samia.sync_profile_from_auth();

-- Nothing in schema samia is callable by API roles unless granted.
revoke execute on all functions in schema samia from public;
grant usage on schema samia to anon, authenticated, service_role;
grant execute on function samia.zodiac_of(date) to anon, authenticated, service_role, samia_sidecar;
