//! Astro orders get their natal chart when they are placed, from the
//! client's profile; clients, assigned readers and staff read it, others not.

use samia_tests::fixture::{self, OTHER, OWNER, READER, READER2};
use samia_tests::postgrest::{request, Caller};
use samia_tests::{sqlstate, TestDb};

const PLACE: &str =
    "insert into public.orders (user_id, service_id) select auth.uid(), id from public.services where code = 'astro' returning id";

#[tokio::test]
async fn placing_an_astro_order_casts_the_chart_from_the_profile() -> anyhow::Result<()> {
    let db = TestDb::migrated().await?;
    let mut c = db.system().await?;
    c.batch_execute(fixture::SQL).await?;
    // The fixture's owner was born in Cairo; name it in Arabic this time.
    c.batch_execute(&format!(
        "update public.profiles set birth_place = 'القاهرة' where id = '{OWNER}'"
    ))
    .await?;
    let rows = request(&mut c, Caller::User(OWNER), PLACE).await?;
    let order: i64 = rows[0].get(0);

    let row = c
        .query_one(
            "select profile_id::text, timezone, latitude, longitude, chart -> 'bodies' -> 'sun' ->> 'sign',
                    jsonb_array_length(chart -> 'houses'), summary, computed_at is not null
               from public.astro_charts where order_id = $1",
            &[&order],
        )
        .await?;
    assert_eq!(row.get::<_, String>(0), OWNER);
    assert_eq!(row.get::<_, String>(1), "Africa/Cairo");
    let (lat, lon): (f64, f64) = (row.get(2), row.get(3));
    assert!(
        (lat - 30.06).abs() < 0.1 && (lon - 31.25).abs() < 0.1,
        "{lat} {lon}"
    );
    assert_eq!(row.get::<_, String>(4), "Taurus");
    assert_eq!(row.get::<_, i32>(5), 12);
    let summary: String = row.get(6);
    assert!(summary.contains("Taurus"), "{summary}");
    assert!(row.get::<_, bool>(7));

    // The client reads the chart of their order; another client does not; the
    // reader does once assigned.
    let read = format!("select count(*) from public.astro_charts where order_id = {order}");
    let seen = |rows: Vec<tokio_postgres::Row>| rows[0].get::<_, i64>(0);
    assert_eq!(seen(request(&mut c, Caller::User(OWNER), &read).await?), 1);
    assert_eq!(seen(request(&mut c, Caller::User(OTHER), &read).await?), 0);
    assert_eq!(seen(request(&mut c, Caller::User(READER), &read).await?), 0);
    c.batch_execute(&format!(
        "update public.orders set assigned_reader = '{READER}', status = 'assigned' where id = {order}"
    ))
    .await?;
    assert_eq!(seen(request(&mut c, Caller::User(READER), &read).await?), 1);
    assert_eq!(
        seen(request(&mut c, Caller::User(READER2), &read).await?),
        0
    );

    // Other services get no chart.
    request(
        &mut c,
        Caller::User(OWNER),
        "insert into public.orders (user_id, service_id) select auth.uid(), id from public.services where code = 'tarot'",
    )
    .await?;
    let charts: i64 = c
        .query_one("select count(*) from public.astro_charts", &[])
        .await?
        .get(0);
    assert_eq!(charts, 2, "the fixture's chart and this order's");
    Ok(())
}

#[tokio::test]
async fn an_astro_order_needs_a_birth_date_and_a_known_place() -> anyhow::Result<()> {
    let db = TestDb::migrated().await?;
    let mut c = db.system().await?;
    c.batch_execute(fixture::SQL).await?;
    c.batch_execute(&format!(
        "update public.profiles set dob = null where id = '{OWNER}'"
    ))
    .await?;
    let err = request(&mut c, Caller::User(OWNER), PLACE)
        .await
        .expect_err("no dob");
    assert_eq!(sqlstate(&err), Some("22023"), "{err:?}");
    assert!(
        err.as_db_error()
            .is_some_and(|e| e.message().contains("date of birth")),
        "{err:?}"
    );

    c.batch_execute(&format!(
        "update public.profiles set dob = '1990-05-15', birth_place = 'Alexandriaa' where id = '{OWNER}'"
    ))
    .await?;
    let err = request(&mut c, Caller::User(OWNER), PLACE)
        .await
        .expect_err("unknown place");
    assert_eq!(sqlstate(&err), Some("22023"), "{err:?}");
    let text = err
        .as_db_error()
        .map(|e| format!("{} {}", e.message(), e.hint().unwrap_or_default()))
        .unwrap_or_default();
    assert!(
        text.contains("Alexandria"),
        "close matches expected: {text}"
    );
    // Nothing was kept of the failed orders.
    let orders: i64 = c
        .query_one(
            &format!("select count(*) from public.orders where user_id = '{OWNER}'"),
            &[],
        )
        .await?
        .get(0);
    assert_eq!(orders, 3, "only the fixture's orders");
    Ok(())
}

#[tokio::test]
async fn an_astro_order_may_carry_its_own_birth_data() -> anyhow::Result<()> {
    use samia_tests::postgrest::refused;
    let db = TestDb::migrated().await?;
    let mut c = db.system().await?;
    c.batch_execute(fixture::SQL).await?;
    // For the client's mother, born in Alexandria: her chart, not the client's.
    let rows = request(
        &mut c,
        Caller::User(OWNER),
        "select id from public.place_order('astro', birth_name => 'Mona', birth_date => '1965-08-02',
                                           birth_time => '06:15', birth_place => 'Alexandria')",
    )
    .await?;
    let order: i64 = rows[0].get(0);
    let row = c
        .query_one(
            "select subject_name, dob::text, birth_place, chart -> 'bodies' -> 'sun' ->> 'sign', summary
               from public.astro_charts where order_id = $1",
            &[&order],
        )
        .await?;
    assert_eq!(row.get::<_, Option<String>>(0).as_deref(), Some("Mona"));
    assert_eq!(row.get::<_, String>(1), "1965-08-02");
    assert_eq!(row.get::<_, String>(2), "Alexandria");
    assert_eq!(row.get::<_, String>(3), "Leo");
    // Without birth data the profile's is used, as before.
    let rows = request(
        &mut c,
        Caller::User(OWNER),
        "select id from public.place_order('astro')",
    )
    .await?;
    let own: i64 = rows[0].get(0);
    let sign: String = c
        .query_one(
            "select chart -> 'bodies' -> 'sun' ->> 'sign' from public.astro_charts where order_id = $1",
            &[&own],
        )
        .await?
        .get(0);
    assert_eq!(sign, "Taurus");
    // Refusals: an unknown place lists close matches; a future date; birth
    // data without a date; birth data on another service.
    let (state, message) = refused(
        &mut c,
        OWNER,
        "select id from public.place_order('astro', birth_date => '1965-08-02', birth_place => 'Alexandrya')",
    )
    .await;
    assert_eq!(state, "22023", "{message}");
    assert!(
        message.contains("Alexandria"),
        "the closest match is named: {message}"
    );
    for (call, why) in [
        ("select id from public.place_order('astro', birth_date => current_date + 1, birth_place => 'Cairo')", "future"),
        ("select id from public.place_order('astro', birth_place => 'Cairo')", "no date"),
        ("select id from public.place_order('astro', birth_date => '1965-08-02')", "no place"),
        ("select id from public.place_order('tarot', birth_date => '1965-08-02', birth_place => 'Cairo')", "tarot"),
    ] {
        let (state, message) = refused(&mut c, OWNER, call).await;
        assert_eq!(state, "22023", "{why}: {message}");
    }
    // Another client cannot see the order's birth data or chart.
    let seen = request(
        &mut c,
        Caller::User(OTHER),
        &format!(
            "select (select count(*) from public.orders where id = {order})
                  + (select count(*) from public.astro_charts where order_id = {order})"
        ),
    )
    .await?;
    assert_eq!(seen[0].get::<_, i64>(0), 0);
    Ok(())
}
