-- The orders workflow (CONTRACT.md section 5). The state machine itself is
-- the extension's trigger samia.orders_authority (wired in V7), reading
-- samia_core::order_flow::TRANSITIONS. Here: pinned media, the work queues
-- and the RPC helpers for the UI.

-- Approved audio and published horoscope audio no longer change.
drop trigger if exists media_pinned on public.media_assets;
create trigger media_pinned before update on public.media_assets
  for each row execute function samia.media_pinned();

-- Work queues: gold first, then oldest first. security_invoker, so each
-- caller sees only the orders the policies let them see.
create or replace view public.admin_order_queue with (security_invoker = true) as
  select o.*
    from public.orders o
   where o.status = 'new'
   order by o.is_gold desc, o.created_at, o.id;

create or replace view public.reader_order_queue with (security_invoker = true) as
  select o.*
    from public.orders o
   where o.assigned_reader = (select auth.uid())
     and o.status in ('assigned', 'in_progress', 'rejected')
   order by o.is_gold desc, o.created_at, o.id;

create index if not exists orders_new_queue_idx on public.orders (is_gold desc, created_at, id)
  where status = 'new';

revoke all on public.admin_order_queue, public.reader_order_queue from anon, authenticated;
grant select on public.admin_order_queue, public.reader_order_queue to authenticated;

-- RPC helpers: thin wrappers over plain updates, security invoker, so the
-- policies and the trigger decide exactly as for a direct update.
create or replace function public.place_order(
  service_code text,
  question_text text default null,
  input_media_id bigint default null,
  is_gold boolean default false,
  scheduled_at timestamptz default null
) returns public.orders
  language plpgsql security invoker set search_path = ''
as $$
declare
  v_order public.orders;
  v_service bigint;
begin
  select s.id into v_service from public.services s where s.code = service_code;
  if v_service is null then
    raise exception 'there is no service %', service_code using errcode = '22023',
      hint = 'use one of the codes in public.services';
  end if;
  insert into public.orders (user_id, service_id, question_text, input_media_id, is_gold, scheduled_at)
  values ((select auth.uid()), v_service, place_order.question_text, place_order.input_media_id,
          coalesce(place_order.is_gold, false), place_order.scheduled_at)
  returning * into v_order;
  return v_order;
end
$$;

-- an admin assigns a new or assigned order to an unblocked reader
create or replace function public.assign_order(p_order_id bigint, p_reader uuid) returns public.orders
  language plpgsql security invoker set search_path = ''
as $$
declare
  v_order public.orders;
begin
  update public.orders set status = 'assigned', assigned_reader = p_reader where id = p_order_id returning * into v_order;
  if not found then
    raise exception 'order % not found', p_order_id using errcode = 'P0002',
      hint = 'the order does not exist or is not yours to change';
  end if;
  return v_order;
end
$$;

-- the assigned reader starts an assigned (or rejected) order
create or replace function public.start_order(p_order_id bigint) returns public.orders
  language plpgsql security invoker set search_path = ''
as $$
declare
  v_order public.orders;
begin
  update public.orders set status = 'in_progress' where id = p_order_id returning * into v_order;
  if not found then
    raise exception 'order % not found', p_order_id using errcode = 'P0002',
      hint = 'the order does not exist or is not yours to change';
  end if;
  return v_order;
end
$$;

-- the assigned reader submits the recorded answer for approval
create or replace function public.submit_order(p_order_id bigint, p_output_media_id bigint) returns public.orders
  language plpgsql security invoker set search_path = ''
as $$
declare
  v_order public.orders;
begin
  update public.orders set output_media_id = p_output_media_id, status = 'awaiting_approval' where id = p_order_id returning * into v_order;
  if not found then
    raise exception 'order % not found', p_order_id using errcode = 'P0002',
      hint = 'the order does not exist or is not yours to change';
  end if;
  return v_order;
end
$$;

-- a monitor or admin approves the answer; the order is delivered at once
create or replace function public.approve_order(p_order_id bigint) returns public.orders
  language plpgsql security invoker set search_path = ''
as $$
declare
  v_order public.orders;
begin
  update public.orders set status = 'approved' where id = p_order_id returning * into v_order;
  if not found then
    raise exception 'order % not found', p_order_id using errcode = 'P0002',
      hint = 'the order does not exist or is not yours to change';
  end if;
  return v_order;
end
$$;

-- a monitor or admin sends the answer back to the reader, with a reason
create or replace function public.reject_order(p_order_id bigint, p_reason text) returns public.orders
  language plpgsql security invoker set search_path = ''
as $$
declare
  v_order public.orders;
begin
  update public.orders set status = 'rejected', status_reason = p_reason where id = p_order_id returning * into v_order;
  if not found then
    raise exception 'order % not found', p_order_id using errcode = 'P0002',
      hint = 'the order does not exist or is not yours to change';
  end if;
  return v_order;
end
$$;

-- the client cancels a new order; an admin cancels any open order, with a reason
create or replace function public.cancel_order(p_order_id bigint, p_reason text default null) returns public.orders
  language plpgsql security invoker set search_path = ''
as $$
declare
  v_order public.orders;
begin
  update public.orders set status = 'cancelled', status_reason = p_reason where id = p_order_id returning * into v_order;
  if not found then
    raise exception 'order % not found', p_order_id using errcode = 'P0002',
      hint = 'the order does not exist or is not yours to change';
  end if;
  return v_order;
end
$$;

-- an admin archives a delivered or cancelled order
create or replace function public.archive_order(p_order_id bigint) returns public.orders
  language plpgsql security invoker set search_path = ''
as $$
declare
  v_order public.orders;
begin
  update public.orders set archived_at = now() where id = p_order_id returning * into v_order;
  if not found then
    raise exception 'order % not found', p_order_id using errcode = 'P0002',
      hint = 'the order does not exist or is not yours to change';
  end if;
  return v_order;
end
$$;

revoke execute on function public.place_order(text, text, bigint, boolean, timestamptz),
  public.assign_order(bigint, uuid),
  public.start_order(bigint),
  public.submit_order(bigint, bigint),
  public.approve_order(bigint),
  public.reject_order(bigint, text),
  public.cancel_order(bigint, text),
  public.archive_order(bigint)
  from public, anon;
grant execute on function public.place_order(text, text, bigint, boolean, timestamptz),
  public.assign_order(bigint, uuid),
  public.start_order(bigint),
  public.submit_order(bigint, bigint),
  public.approve_order(bigint),
  public.reject_order(bigint, text),
  public.cancel_order(bigint, text),
  public.archive_order(bigint)
  to authenticated;
