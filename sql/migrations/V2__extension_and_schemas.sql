-- The samia extension (logic only: functions and triggers in schema samia),
-- the sidecar's private schema ops, and the sidecar's database role.
--
-- Tables never belong to the extension, so DROP EXTENSION can never drop
-- customer data and pg_dump sees every table.

create extension if not exists samia;

create schema if not exists ops;
revoke all on schema ops from public;

do $$
begin
  if not exists (select from pg_roles where rolname = 'samia_sidecar') then
    -- NOLOGIN: an operator grants LOGIN and sets a password out of band.
    create role samia_sidecar nologin;
  end if;
end
$$;

grant usage on schema ops to samia_sidecar;
grant usage on schema samia to samia_sidecar;
