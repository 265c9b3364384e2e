-- Astro orders get their natal chart when they are placed
-- (samia.orders_astro_chart, pg_extension/src/orders.rs).
drop trigger if exists orders_astro_chart on public.orders;
create trigger orders_astro_chart after insert on public.orders
  for each row execute function samia.orders_astro_chart();
