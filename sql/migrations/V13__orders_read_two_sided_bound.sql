-- The staff arm of orders_read as a two-sided range again, with a constant
-- ceiling. V12's one-sided `user_id >= (select samia.staff_uuid_floor())`
-- is estimated by the planner, which cannot know the floor when it plans,
-- at a third of the table (PostgreSQL's default for an inequality against
-- a parameter). A client's "my orders" without a WHERE, planned generically
-- as PostgREST's prepared statements are, then priced its BitmapOr within
-- about 1% of a sequential scan of every order, and a VACUUM or a few
-- thousand new rows could tip every client's request onto the sequential
-- scan (seen at 1,000,000 orders: 0.6 ms became 170 ms). A range bounded on
-- both sides is estimated at 0.5% of the table, as V7's was, so the index
-- scans win by far. The ceiling is a constant, larger than or equal to
-- every uuid, so it costs no security-definer call and no InitPlan.
alter policy orders_read on public.orders
  using (user_id = (select auth.uid())
         or assigned_reader = (select auth.uid())
         or user_id between (select samia.staff_uuid_floor())
                        and 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid);
