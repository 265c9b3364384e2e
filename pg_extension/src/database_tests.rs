//! In-database tests (`cargo pgrx test pg15`). Each runs as a superuser in a
//! transaction that is rolled back, after applying the same migrations that
//! `samia migrate up` applies.
//!
//! pgrx runs them as functions of schema `tests`: hence the module `tests`
//! with `#[pg_schema]`, inline, since an attribute macro cannot read a
//! module in a file of its own.

#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;

    fn migrate() {
        for (name, sql) in samia_core::migrations::MIGRATIONS {
            if let Err(e) = Spi::run(sql) {
                panic!("migration {name} failed: {e}");
            }
        }
        Spi::run(
            "create function pg_temp.sqlstate_of(q text) returns text language plpgsql as $$
             begin execute q; return null; exception when others then return sqlstate; end $$",
        )
        .expect("helper");
    }

    fn text(query: &str) -> Option<String> {
        Spi::get_one::<String>(query).expect(query)
    }

    fn sqlstate_of(statement: &str) -> Option<String> {
        Spi::get_one_with_args::<String>("select pg_temp.sqlstate_of($1)", &[statement.into()])
            .expect("sqlstate_of")
    }

    const USER: &str = "11111111-1111-1111-1111-111111111111";

    fn sign_up() {
        Spi::run(&format!(
            "insert into auth.users (id, email, email_confirmed_at, raw_user_meta_data)
             values ('{USER}', 'amal@example.com', now(), '{{\"first_name\": \"Amal\"}}')"
        ))
        .expect("sign up");
    }

    #[pg_test]
    fn zodiac_of_every_boundary_and_leap_day() {
        let cases = [
            ("2001-01-19", "Capricorn"),
            ("2001-01-20", "Aquarius"),
            ("2001-02-18", "Aquarius"),
            ("2001-02-19", "Pisces"),
            ("2000-02-29", "Pisces"),
            ("2001-03-20", "Pisces"),
            ("2001-03-21", "Aries"),
            ("2001-04-19", "Aries"),
            ("2001-04-20", "Taurus"),
            ("2001-05-20", "Taurus"),
            ("2001-05-21", "Gemini"),
            ("2001-06-20", "Gemini"),
            ("2001-06-21", "Cancer"),
            ("2001-07-22", "Cancer"),
            ("2001-07-23", "Leo"),
            ("2001-08-22", "Leo"),
            ("2001-08-23", "Virgo"),
            ("2001-09-22", "Virgo"),
            ("2001-09-23", "Libra"),
            ("2001-10-22", "Libra"),
            ("2001-10-23", "Scorpio"),
            ("2001-11-21", "Scorpio"),
            ("2001-11-22", "Sagittarius"),
            ("2001-12-21", "Sagittarius"),
            ("2001-12-22", "Capricorn"),
            ("1900-01-01", "Capricorn"),
        ];
        for (day, sign) in cases {
            assert_eq!(
                text(&format!("select samia.zodiac_of('{day}'::date)")).as_deref(),
                Some(sign),
                "{day}"
            );
        }
        assert_eq!(text("select samia.zodiac_of(null::date)"), None);
        assert_eq!(text("select samia.zodiac_of('infinity'::date)"), None);
    }

    #[pg_test]
    fn sign_up_creates_the_profile() {
        migrate();
        sign_up();
        assert_eq!(
            text(&format!(
                "select concat_ws('|', email, email_verified, phone_verified, first_name, role_id)
                 from public.profiles where id = '{USER}'"
            ))
            .as_deref(),
            Some("amal@example.com|t|f|Amal|5")
        );
    }

    /// Places one tarot order for USER, as the superuser session (the actor
    /// `system`), and returns its id.
    fn place_order() -> i64 {
        Spi::get_one::<i64>(&format!(
            "insert into public.orders (user_id, service_id)
             select '{USER}', id from public.services where code = 'tarot' returning id"
        ))
        .expect("insert order")
        .expect("an id")
    }

    #[pg_test]
    fn order_created_audit_row_matches_sql() {
        migrate();
        sign_up();
        let id = place_order();
        // The row equals what the SQL defaults and jsonb_build_object make.
        assert_eq!(
            text(&format!(
                "select concat_ws('|', a.actor_role, a.actor is null, a.entity,
                                  a.meta = jsonb_build_object('user_id', o.user_id, 'service_id', o.service_id,
                                                              'is_gold', o.is_gold, 'status', 'new'),
                                  a.created_at = now(), a.id = currval('public.audit_log_id_seq'))
                 from public.audit_log a join public.orders o on a.entity_id = o.id::text
                 where a.event = 'order.created' and o.id = {id}"
            ))
            .as_deref(),
            Some("system|t|orders|t|t|t")
        );
    }

    /// Records come from the extension only: not even the superuser inserts
    /// one by hand, while the extension's own records still go in.
    #[pg_test]
    fn records_are_written_by_the_extension_only() {
        migrate();
        sign_up();
        for insert in [
            "insert into public.audit_log (actor_role, event) values ('monitor', 'forged')",
            "insert into public.moderation_actions (target_kind, target_id, action) values ('profile', '1', 'block')",
            "copy public.audit_log (event) from program 'echo forged'",
        ] {
            assert_eq!(sqlstate_of(insert).as_deref(), Some("42501"), "{insert}");
        }
        place_order();
        assert_eq!(
            text("select count(*)::text from public.audit_log where event = 'order.created'")
                .as_deref(),
            Some("1")
        );
    }

    #[pg_test]
    fn audit_rows_honour_what_is_added_to_the_table() {
        migrate();
        sign_up();
        // A column the extension does not fill: its default must still apply.
        Spi::run("alter table public.audit_log add column note text default 'via sql'")
            .expect("add column");
        let id = place_order();
        assert_eq!(
            text(&format!(
                "select note from public.audit_log where event = 'order.created' and entity_id = '{id}'"
            ))
            .as_deref(),
            Some("via sql")
        );
        // A CHECK constraint must still be enforced.
        Spi::run(
            "alter table public.audit_log add constraint no_orders check (event <> 'order.created') not valid",
        )
        .expect("add check");
        assert_eq!(
            sqlstate_of(&format!(
                "insert into public.orders (user_id, service_id)
                 select '{USER}', id from public.services where code = 'tarot'"
            ))
            .as_deref(),
            Some("23514")
        );
    }

    #[pg_test]
    fn derived_columns_follow_their_sources() {
        migrate();
        sign_up();
        Spi::run(&format!(
            "update public.profiles set dob = '1990-07-23', country = ' eg ',
               zodiac = 'Pisces', country_code = '+999' where id = '{USER}'"
        ))
        .expect("update");
        assert_eq!(
            text(&format!(
                "select concat_ws('|', zodiac, country, country_code) from public.profiles where id = '{USER}'"
            ))
            .as_deref(),
            Some("Leo|EG|+20")
        );
        Spi::run(&format!(
            "update public.profiles set dob = null, country = null where id = '{USER}'"
        ))
        .expect("clear");
        assert_eq!(
            text(&format!(
                "select coalesce(zodiac, '-') || coalesce(country_code, '-') from public.profiles where id = '{USER}'"
            ))
            .as_deref(),
            Some("--")
        );
    }

    #[pg_test]
    fn bad_dob_and_country_are_22023() {
        migrate();
        sign_up();
        for statement in [
            format!("update public.profiles set country = 'XX' where id = '{USER}'"),
            format!("update public.profiles set dob = current_date + 1 where id = '{USER}'"),
            format!("update public.profiles set dob = '1899-12-31' where id = '{USER}'"),
        ] {
            assert_eq!(
                sqlstate_of(&statement).as_deref(),
                Some("22023"),
                "{statement}"
            );
        }
        assert_eq!(
            sqlstate_of(&format!(
                "update public.profiles set dob = current_date where id = '{USER}'"
            )),
            None
        );
    }

    #[pg_test]
    fn auth_updates_sync_only_what_changed() {
        migrate();
        sign_up();
        // Verified through the product's own phone flow, then an unrelated auth update.
        Spi::run(&format!(
            "update public.profiles set phone = '+201000000000', phone_verified = true where id = '{USER}'"
        ))
        .expect("verify");
        Spi::run(&format!("update auth.users set updated_at = now(), email = 'amal@example.org' where id = '{USER}'"))
            .expect("auth update");
        assert_eq!(
            text(&format!(
                "select concat_ws('|', email, phone, phone_verified) from public.profiles where id = '{USER}'"
            ))
            .as_deref(),
            Some("amal@example.org|+201000000000|t")
        );
        Spi::run(&format!(
            "update auth.users set phone = '+201111111111', phone_confirmed_at = now() where id = '{USER}'"
        ))
        .expect("phone confirmed");
        assert_eq!(
            text(&format!(
                "select concat_ws('|', phone, phone_verified) from public.profiles where id = '{USER}'"
            ))
            .as_deref(),
            Some("+201111111111|t")
        );
    }

    #[pg_test]
    fn natal_chart_shape_and_bad_input_are_22023() {
        let chart = Spi::get_one::<pgrx::JsonB>(
            "select samia.natal_chart('1990-07-23 14:05+03', 31.2, 29.9)",
        )
        .expect("natal_chart")
        .expect("a chart")
        .0;
        assert_eq!(chart["house_system"], "placidus");
        assert_eq!(chart["houses"].as_array().map(Vec::len), Some(12));
        assert_eq!(chart["bodies"]["sun"]["sign"], "Leo");
        for body in ["moon", "mercury", "pluto", "mean_node", "true_node"] {
            let lon = chart["bodies"][body]["longitude"].as_f64().expect(body);
            assert!((0.0..360.0).contains(&lon), "{body}");
        }
        let whole = text(
            "select samia.natal_chart('1990-07-23 14:05+03', 31.2, 29.9, 'whole_sign') ->> 'house_system'",
        );
        assert_eq!(whole.as_deref(), Some("whole_sign"));
        Spi::run(
            "create function pg_temp.astro_sqlstate(q text) returns text language plpgsql as $$
             begin execute q; return null; exception when others then return sqlstate; end $$",
        )
        .expect("helper");
        for statement in [
            "select samia.natal_chart(now(), 31.2, 29.9, 'koch')",
            "select samia.natal_chart(now(), 91, 29.9)",
            "select samia.natal_chart('infinity', 31.2, 29.9)",
            "select samia.natal_chart_for('1990-07-23', '14:05', 'Atlantis Qwx')",
            "select samia.chart_summary('{\"bodies\": {}}')",
        ] {
            let state = Spi::get_one_with_args::<String>(
                "select pg_temp.astro_sqlstate($1)",
                &[statement.into()],
            )
            .expect("sqlstate");
            assert_eq!(state.as_deref(), Some("22023"), "{statement}");
        }
    }

    #[pg_test]
    fn natal_chart_for_arabic_place_unknown_time_and_summary() {
        let chart = Spi::get_one::<pgrx::JsonB>(
            "select samia.natal_chart_for('1990-07-23', '14:05', 'الإسكندرية')",
        )
        .expect("natal_chart_for")
        .expect("a chart")
        .0;
        assert_eq!(chart["place"]["name"], "Alexandria");
        assert_eq!(chart["place"]["timezone"], "Africa/Cairo");
        assert!(chart["angles"]["ascendant"].is_f64());
        let noon = Spi::get_one::<pgrx::JsonB>(
            "select samia.natal_chart_for('1990-07-23', null, 'Cairo, Egypt')",
        )
        .expect("natal_chart_for")
        .expect("a chart")
        .0;
        assert!(noon.get("houses").is_none() && noon.get("angles").is_none());
        assert!(noon["bodies"]["moon"]["sign_changes_that_day"].is_boolean());
        let summary = text(
            "select samia.chart_summary(samia.natal_chart_for('1990-07-23', '14:05', 'Cairo'))",
        )
        .expect("summary");
        assert!(summary.starts_with("Sun in Leo"), "{summary}");
        assert!(summary.contains("rising"), "{summary}");
        assert_eq!(
            text("select samia.natal_chart_for(null, null, 'Cairo')::text"),
            None
        );
    }
}
