-- The blocklist (pg_extension/src/blocklist.rs, rules in
-- samia_core::blocklist): phone numbers (E.164), email addresses and email
-- domains that may not be used, with a reason, who added it, an optional
-- expiry, and who lifted it. Monitors, admins and superadmins add entries;
-- admins and superadmins lift them; nobody deletes one. Each change writes a
-- moderation and an audit record.
create table if not exists public.blocklist (
  id bigserial primary key,
  kind text not null check (kind in ('phone', 'email', 'domain')),
  value text not null,
  reason text not null,
  created_by uuid references public.profiles(id),
  created_at timestamptz not null default now(),
  expires_at timestamptz,
  lifted_at timestamptz,
  lifted_by uuid references public.profiles(id)
);
-- One entry in force per value; the lookup is an equality on it.
create unique index if not exists blocklist_in_force on public.blocklist (kind, value)
  where lifted_at is null;
create index if not exists blocklist_created_by_idx on public.blocklist (created_by);
create index if not exists blocklist_lifted_by_idx on public.blocklist (lifted_by);
alter table public.blocklist enable row level security;

drop trigger if exists blocklist_authority on public.blocklist;
create trigger blocklist_authority before insert or update on public.blocklist
  for each row execute function samia.blocklist_authority();

revoke all on public.blocklist from anon, authenticated, service_role;
grant select, insert (kind, value, reason, expires_at), update (lifted_at) on public.blocklist
  to authenticated;
grant usage on sequence public.blocklist_id_seq to authenticated;
grant select on public.blocklist to service_role;
drop policy if exists blocklist_staff_read on public.blocklist;
create policy blocklist_staff_read on public.blocklist for select to authenticated
  using ((select samia.is_staff()));
drop policy if exists blocklist_staff_insert on public.blocklist;
create policy blocklist_staff_insert on public.blocklist for insert to authenticated
  with check ((select samia.is_staff()));
drop policy if exists blocklist_admin_update on public.blocklist;
create policy blocklist_admin_update on public.blocklist for update to authenticated
  using ((select samia.is_admin())) with check ((select samia.is_admin()));

alter table public.moderation_actions drop constraint if exists moderation_actions_target_kind_check;
alter table public.moderation_actions add constraint moderation_actions_target_kind_check
  check (target_kind in ('order', 'profile', 'media', 'horoscope', 'call', 'config', 'blocklist'));

-- Blocking a profile, and with p_blocklist its verified phone and its email
-- too, in one step (monitors block clients and readers; section 6).
create or replace function public.block_profile(p_id uuid, p_reason text,
                                                p_blocklist boolean default false)
  returns public.profiles
  language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_row public.profiles;
begin
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
$$;
revoke execute on function public.block_profile(uuid, text, boolean) from public;
grant execute on function public.block_profile(uuid, text, boolean) to authenticated;
