-- "Staff see every row" as a range over an indexed uuid column, bounded on
-- both sides, so that a caller's request without a WHERE (the apps' "my
-- orders", "my notifications", "my profile", "my phone verifications") is
-- planned as index scans.
--
-- orders_read: V12's one-sided `user_id >= (select samia.staff_uuid_floor())`
-- is estimated by the planner, which cannot know the floor when it plans, at
-- a third of the table (PostgreSQL's default for an inequality against a
-- parameter). A client's "my orders" without a WHERE, planned generically
-- as PostgREST's prepared statements are, then priced its BitmapOr within
-- about 1% of a sequential scan of every order, and a VACUUM or a few
-- thousand new rows tipped every client's request onto the sequential scan
-- (seen at 1,000,000 orders: 0.6 ms became 170 ms). A range bounded on both
-- sides is estimated at 0.5% of the table. The ceiling is a constant, no
-- smaller than any uuid, so it costs no security-definer call and no
-- InitPlan.
--
-- notifications_read, profiles_read, phone_verifications_read:
-- `... or (select samia.is_staff())` is an arm no index can serve, so every
-- such request read the whole table. samia.staff_uuid_floor() is NULL unless
-- samia.is_staff(), so for a NOT NULL column the range admits exactly the
-- rows the old arm did (the nullable profile_id has one more arm, below).
alter policy orders_read on public.orders
  using (user_id = (select auth.uid())
         or assigned_reader = (select auth.uid())
         or user_id between (select samia.staff_uuid_floor())
                        and 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid);

alter policy notifications_read on public.notifications
  using (user_id = (select auth.uid())
         or user_id between (select samia.staff_uuid_floor())
                        and 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid);

alter policy profiles_read on public.profiles
  using (id = (select auth.uid())
         or id between (select samia.staff_uuid_floor())
                   and 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid);

-- phone_verifications.profile_id may be NULL; staff keep seeing such rows
-- through an arm of their own, served by the same index (IS NULL).
alter policy phone_verifications_read on public.phone_verifications
  using (profile_id = (select auth.uid())
         or profile_id between (select samia.staff_uuid_floor())
                           and 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid
         or (profile_id is null and (select samia.is_staff())));
