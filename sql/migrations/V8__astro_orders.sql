-- Astro orders get their natal chart when they are placed
-- (samia.astro_orders_chart, pg_extension/src/astro.rs).
drop trigger if exists orders_astro_chart on public.orders;
create trigger orders_astro_chart after insert on public.orders
  referencing new table as created
  for each statement execute function samia.astro_orders_chart();
