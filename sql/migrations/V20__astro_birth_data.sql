-- An astro order may carry its own birth data, for the client or for
-- someone else (with a name): validated as the chart engine needs it when
-- the order is placed (pg_extension/src/orders.rs). Without it the
-- profile's is used. The order's chart keeps the data it was cast from, and
-- the name; the client, the assigned reader and staff read both (the
-- policies of orders and astro_charts), nobody else.
alter table public.orders
  add column if not exists birth_name text,
  add column if not exists birth_date date,
  add column if not exists birth_time time,
  add column if not exists birth_place text;
alter table public.astro_charts add column if not exists subject_name text;
grant insert (birth_name, birth_date, birth_time, birth_place) on public.orders to authenticated;

-- place_order gains the four; the old signature goes (two would make a call
-- by name ambiguous).
drop function if exists public.place_order(text, text, bigint, boolean, timestamptz);
create or replace function public.place_order(
  service_code text,
  question_text text default null,
  input_media_id bigint default null,
  is_gold boolean default false,
  scheduled_at timestamptz default null,
  birth_name text default null,
  birth_date date default null,
  birth_time time default null,
  birth_place text default null
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
  insert into public.orders (user_id, service_id, question_text, input_media_id, is_gold, scheduled_at,
                             birth_name, birth_date, birth_time, birth_place)
  values ((select auth.uid()), v_service, place_order.question_text, place_order.input_media_id,
          coalesce(place_order.is_gold, false), place_order.scheduled_at,
          place_order.birth_name, place_order.birth_date, place_order.birth_time, place_order.birth_place)
  returning * into v_order;
  return v_order;
end
$$;
revoke execute on function public.place_order(text, text, bigint, boolean, timestamptz, text, date, time, text)
  from public, anon;
grant execute on function public.place_order(text, text, bigint, boolean, timestamptz, text, date, time, text)
  to authenticated;
