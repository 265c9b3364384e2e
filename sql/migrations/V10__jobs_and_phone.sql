-- The sidecar's job queue (ops.jobs) and phone verification through it.
--
-- A job is written in the same transaction as the change that needs it
-- (pg_extension/src/phone.rs) and done by `samia run`. A worker claims a
-- job with FOR UPDATE SKIP LOCKED and leases it: `run_at` moves to the end of
-- the lease, so a job whose worker died becomes claimable again when the
-- lease runs out. A failed attempt is retried with backoff (run_at in the
-- future); after max_attempts it is dead-lettered (status 'dead') until an
-- operator runs `samia jobs retry`; `samia jobs cancel` ends a job for good.

create table if not exists ops.jobs (
  id bigserial primary key,
  kind text not null check (kind ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$'),
  payload jsonb not null default '{}'::jsonb,
  status text not null default 'queued' check (status in ('queued', 'running', 'done', 'dead', 'cancelled')),
  attempts integer not null default 0 check (attempts >= 0),
  max_attempts integer not null default 5 check (max_attempts between 1 and 100),
  -- Claimable from this time: the retry time of a queued job, the lease end of a running one.
  run_at timestamptz not null default now(),
  locked_by text,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz
);
-- The claim scans this index in order: ready jobs first by time, then id.
create index if not exists jobs_claimable_idx on ops.jobs (run_at, id)
  where status in ('queued', 'running');
create index if not exists jobs_kind_status_idx on ops.jobs (kind, status);
create index if not exists jobs_verification_idx on ops.jobs (((payload ->> 'verification_id')::bigint))
  where kind like 'phone.%';

-- The sidecar claims, completes and retries jobs; operators inspect them
-- through `samia jobs`. Nothing in ops is granted to the API roles.
revoke all on ops.jobs from public;
revoke all on sequence ops.jobs_id_seq from public;
grant select, update on ops.jobs to samia_sidecar;

-- Phone verification. The extension's functions are security definer: they
-- write phone_verifications, profiles, ops.jobs and audit_log for the caller.
revoke execute on function samia.request_phone_verification(text),
                           samia.confirm_phone_verification(text),
                           samia.phone_verification_outcome(bigint, text, text, text)
  from public;
grant execute on function samia.request_phone_verification(text),
                          samia.confirm_phone_verification(text)
  to authenticated;
-- Only the sidecar reports outcomes (and the function refuses any caller
-- with JWT claims).
grant execute on function samia.phone_verification_outcome(bigint, text, text, text)
  to samia_sidecar;

-- The RPCs the apps call (supabase.rpc('request_phone_verification', {phone})).
-- Security invoker: the row is read back under the caller's own RLS policy.
create or replace function public.request_phone_verification(phone text)
  returns public.phone_verifications
  language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_id bigint;
  v_row public.phone_verifications;
begin
  v_id := samia.request_phone_verification(request_phone_verification.phone);
  select * into v_row from public.phone_verifications v where v.id = v_id;
  return v_row;
end
$$;

create or replace function public.confirm_phone_verification(code text)
  returns public.phone_verifications
  language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_id bigint;
  v_row public.phone_verifications;
begin
  v_id := samia.confirm_phone_verification(confirm_phone_verification.code);
  select * into v_row from public.phone_verifications v where v.id = v_id;
  return v_row;
end
$$;

revoke execute on function public.request_phone_verification(text),
                           public.confirm_phone_verification(text)
  from public, anon;
grant execute on function public.request_phone_verification(text),
                          public.confirm_phone_verification(text)
  to authenticated;
