//! A call's time in a notice across a daylight-saving change (CONTRACT.md
//! section 15): booked while Cairo keeps one UTC offset, for a day when it
//! keeps the other, the notice reads the call's wall-clock time in Cairo,
//! not the time the booking day's offset would give.

use anyhow::{ensure, Result};
use samia_tests::calls::{people, CLIENT, READER};
use samia_tests::one_text;
use samia_tests::postgrest::{request, Caller};

#[tokio::test]
async fn a_call_after_cairos_next_clock_change_reads_21_00_for_an_arabic_client() -> Result<()> {
    let (db, system) = people().await?;
    let mut api = db.system().await?;
    // The first day, within the next 400, at whose 21:00 Cairo's offset
    // differs from today's; a week later, clear of the change itself.
    let day = one_text(
        &system,
        "select (min(d) + 7)::text
           from (select current_date + n d from generate_series(2, 400) n) days
          where (d + time '21:00') - (((d + time '21:00') at time zone 'Africa/Cairo') at time zone 'UTC')
             <> (now() at time zone 'Africa/Cairo') - (now() at time zone 'UTC')",
    )
    .await?;
    let Some(day) = day else {
        anyhow::bail!("Cairo's clocks do not change in the next 400 days: this test needs a zone whose clocks do");
    };
    system
        .batch_execute(
            "insert into public.app_config (key, value) values ('calls.max_days_ahead', '500')
               on conflict (key) do update set value = excluded.value",
        )
        .await?;
    request(
        api.api(),
        Caller::User(CLIENT),
        &format!("update public.profiles set country = 'EG', time_zone = 'Africa/Cairo' where id = '{CLIENT}'"),
    )
    .await?;
    let at = format!("(date '{day}' + time '21:00') at time zone 'Africa/Cairo'");
    let order: i64 = request(
        api.api(),
        Caller::User(CLIENT),
        &format!(
            "select id from public.book_call('direct_call', '{READER}', {at}, 'Africa/Cairo')"
        ),
    )
    .await?[0]
        .get(0);
    let body = one_text(
        &system,
        &format!(
            "select body from public.notifications where order_id = {order} and user_id = '{CLIENT}'
               and kind = 'call.booked'"
        ),
    )
    .await?
    .unwrap_or_default();
    // 21:00 as Arabic shows it (٩:٠٠ م), where the booking day's offset
    // would have given 20:00 or 22:00.
    ensure!(body.contains("٩:٠٠"), "{body} should read ٩:٠٠ ({day})");
    ensure!(!body.contains("٨:٠٠") && !body.contains("١٠:٠٠"), "{body}");
    Ok(())
}
