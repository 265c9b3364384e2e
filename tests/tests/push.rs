//! Notices where the user is, in their language (CONTRACT.md section 15):
//! rendered for the receiver, pushed through FCM (the fake) to each enabled
//! device, dead tokens disabled, quiet hours holding all but a call
//! starting, and nobody reading another user's device tokens.

use anyhow::Result;
use samia_tests::calls::{
    audio_order_rejected_once, people, reader_time, ADMIN, CLIENT, MONITOR, OTHER, READER, WAIT,
};
use samia_tests::cluster::{eventually, FakeTwilio, Sidecar};
use samia_tests::fcm::FakeFcm;
use samia_tests::postgrest::{request, Caller};
use samia_tests::{count, one_text, Session, TestDb};
use serde_json::Value;

async fn as_user(api: &mut Session, who: &str, sql: &str) -> Result<Vec<tokio_postgres::Row>> {
    Ok(request(api.api(), Caller::User(who), sql).await?)
}

fn sidecar(db: &TestDb, twilio: &FakeTwilio, fcm: &FakeFcm) -> Result<Sidecar> {
    let env = fcm.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Sidecar::start(&db.url, twilio, &env)
}

fn has_arabic(text: &str) -> bool {
    text.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c))
}

/// The messages the fake accepted for `token`.
fn to_token(fcm: &FakeFcm, token: &str) -> Result<Vec<Value>> {
    Ok(fcm
        .messages()?
        .into_iter()
        .filter(|m| m["token"] == token)
        .collect())
}

#[tokio::test]
async fn a_reading_reaches_an_arabic_client_in_arabic_and_its_rejection_an_english_reader_in_english(
) -> Result<()> {
    let (db, system) = people().await?;
    let mut api = db.system().await?;
    // The client: in Egypt (Arabic by default); the reader chose English.
    as_user(&mut api, CLIENT, &format!("update public.profiles set country = 'EG', time_zone = 'Africa/Cairo' where id = '{CLIENT}'")).await?;
    as_user(
        &mut api,
        READER,
        &format!("update public.profiles set locale = 'en' where id = '{READER}'"),
    )
    .await?;
    as_user(
        &mut api,
        CLIENT,
        "select * from public.register_push_device('client-phone-1', 'android', '3.1.0')",
    )
    .await?;
    as_user(
        &mut api,
        READER,
        "select * from public.register_push_device('reader-phone-1', 'ios')",
    )
    .await?;
    assert_eq!(
        one_text(
            &system,
            &format!(
                "select locale || '/' || locale_chosen from public.profiles where id = '{CLIENT}'"
            )
        )
        .await?
        .as_deref(),
        Some("ar/false")
    );

    let id = audio_order_rejected_once(&mut api).await?;

    // The notices keep their kind, parameters and language.
    let kept = one_text(
        &system,
        &format!(
            "select string_agg(kind || ' ' || locale || ' ' || params::text, '; ' order by id)
           from public.notifications where order_id = {id}"
        ),
    )
    .await?;
    assert_eq!(
        kept.as_deref(),
        Some(&*format!(
            "order.rejected en {{\"reason\": \"too quiet\", \"order_id\": {id}}}; order.delivered ar {{\"order_id\": {id}}}"
        ))
    );

    let twilio = FakeTwilio::start()?;
    let fcm = FakeFcm::start()?;
    let _sidecar = sidecar(&db, &twilio, &fcm)?;
    let delivered = eventually(WAIT, "the client's push", || async {
        let m = to_token(&fcm, "client-phone-1")?;
        Ok((!m.is_empty()).then_some(m))
    })
    .await?;
    let rejected = eventually(WAIT, "the reader's push", || async {
        let m = to_token(&fcm, "reader-phone-1")?;
        Ok((!m.is_empty()).then_some(m))
    })
    .await?;
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    let message = &delivered[0]["message"];
    assert!(
        has_arabic(
            message["notification"]["title"]
                .as_str()
                .unwrap_or_default()
        ),
        "{message}"
    );
    assert_eq!(message["data"]["order_id"], id.to_string());
    assert_eq!(message["data"]["kind"], "order.delivered");
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    let message = &rejected[0]["message"];
    let text = format!(
        "{} {}",
        message["notification"]["title"], message["notification"]["body"]
    );
    assert!(!has_arabic(&text) && text.contains("too quiet"), "{text}");
    assert_eq!(
        count(
            &system,
            "select count(*) from ops.push_sends where status = 'sent' and sent_at is not null"
        )
        .await?,
        2
    );
    Ok(())
}

#[tokio::test]
async fn a_call_time_reads_in_each_partys_language_and_zone() -> Result<()> {
    let (db, system) = people().await?;
    let mut api = db.system().await?;
    as_user(
        &mut api,
        CLIENT,
        &format!("update public.profiles set country = 'EG' where id = '{CLIENT}'"),
    )
    .await?;
    as_user(
        &mut api,
        READER,
        &format!("update public.profiles set locale = 'en' where id = '{READER}'"),
    )
    .await?;
    // 21:00 in Cairo, booked from Cairo; the reader keeps London's hours.
    system
        .batch_execute(&format!(
            "update public.reader_availability set time_zone = 'Europe/London' where reader_id = '{READER}'"
        ))
        .await?;
    let at = reader_time(2, "21:00");
    let order: i64 = as_user(
        &mut api,
        CLIENT,
        &format!(
            "select id from public.book_call('direct_call', '{READER}', {at}, 'Africa/Cairo')"
        ),
    )
    .await?[0]
        .get(0);
    let body = |who: &str| {
        format!("select body from public.notifications where order_id = {order} and user_id = '{who}' and kind = 'call.booked'")
    };
    let client = one_text(&system, &body(CLIENT)).await?.unwrap_or_default();
    assert!(client.contains("٩:٠٠") && has_arabic(&client), "{client}");
    // The same instant on London's clock, 12-hour.
    let london = one_text(
        &system,
        &format!(
            "select ltrim(to_char(({at}) at time zone 'Europe/London', 'HH12:MI'), '0')
                || ' ' || to_char(({at}) at time zone 'Europe/London', 'AM')"
        ),
    )
    .await?
    .unwrap_or_default();
    let reader = one_text(&system, &body(READER)).await?.unwrap_or_default();
    assert!(
        reader.replace('\u{202f}', " ").contains(&london),
        "{reader} should show {london}"
    );
    Ok(())
}

#[tokio::test]
async fn a_dead_token_disables_its_device_and_the_next_notice_skips_it() -> Result<()> {
    let (db, system) = people().await?;
    let mut api = db.system().await?;
    for token in ["old-phone", "new-phone"] {
        as_user(
            &mut api,
            CLIENT,
            &format!("select * from public.register_push_device('{token}', 'android')"),
        )
        .await?;
    }
    let twilio = FakeTwilio::start()?;
    let fcm = FakeFcm::start()?;
    fcm.kill_token("old-phone")?;
    let _sidecar = sidecar(&db, &twilio, &fcm)?;
    let notice = format!(
        "insert into public.notifications (user_id, kind, title, params) values ('{CLIENT}', 'phone.verified', 'x', '{{}}')"
    );
    system.batch_execute(&notice).await?;
    eventually(WAIT, "both pushes answered", || async {
        Ok((count(
            &system,
            "select count(*) from ops.push_sends where status in ('sent', 'dead')",
        )
        .await?
            == 2)
            .then_some(()))
    })
    .await?;
    assert_eq!(
        one_text(
            &system,
            "select disabled_reason from public.push_devices where token = 'old-phone'"
        )
        .await?
        .as_deref(),
        Some("UNREGISTERED")
    );
    system.batch_execute(&notice).await?;
    eventually(WAIT, "the second push", || async {
        Ok((to_token(&fcm, "new-phone")?.len() == 2).then_some(()))
    })
    .await?;
    assert_eq!(
        count(&system, "select count(*) from ops.push_sends").await?,
        3,
        "the dead device was skipped"
    );
    assert!(to_token(&fcm, "old-phone")?.is_empty());
    Ok(())
}

#[tokio::test]
async fn quiet_hours_hold_a_reminder_and_never_a_call_starting() -> Result<()> {
    let (db, system) = people().await?;
    let mut api = db.system().await?;
    as_user(
        &mut api,
        CLIENT,
        "select * from public.register_push_device('quiet-phone', 'ios')",
    )
    .await?;
    // Quiet from an hour ago to an hour from now, on the client's clock.
    as_user(
        &mut api,
        CLIENT,
        &format!(
            "update public.profiles set time_zone = 'Africa/Cairo',
                quiet_hours = jsonb_build_object(
                  'from', to_char(now() at time zone 'Africa/Cairo' - interval '1 hour', 'HH24:MI'),
                  'to', to_char(now() at time zone 'Africa/Cairo' + interval '1 hour', 'HH24:MI'))
          where id = '{CLIENT}'"
        ),
    )
    .await?;
    for kind in ["call.reminder", "call.starting"] {
        system
            .batch_execute(&format!(
                "insert into public.notifications (user_id, kind, title) values ('{CLIENT}', '{kind}', 'x')"
            ))
            .await?;
    }
    let held = |kind: &str| {
        format!(
            "select (s.send_at - now() > interval '50 minutes' and s.send_at - now() <= interval '61 minutes')::text
               from ops.push_sends s join public.notifications n on n.id = s.notification_id where n.kind = '{kind}'"
        )
    };
    assert_eq!(
        one_text(&system, &held("call.reminder")).await?.as_deref(),
        Some("true")
    );
    assert_eq!(
        one_text(&system, "select (s.send_at <= now())::text from ops.push_sends s join public.notifications n on n.id = s.notification_id where n.kind = 'call.starting'").await?.as_deref(),
        Some("true")
    );
    // Quiet hours the app cannot mean are refused.
    let refused = request(api.api(), Caller::User(CLIENT), &format!(
        "update public.profiles set quiet_hours = '{{\"from\": \"25:00\", \"to\": \"07:00\"}}' where id = '{CLIENT}'"
    ))
    .await;
    assert_eq!(
        refused
            .err()
            .and_then(|e| e.code().map(|c| c.code().to_string()))
            .as_deref(),
        Some("22023")
    );
    Ok(())
}

#[tokio::test]
async fn nobody_reads_another_users_tokens_and_a_moved_token_leaves_its_first_user() -> Result<()> {
    let (db, system) = people().await?;
    let mut api = db.system().await?;
    as_user(
        &mut api,
        CLIENT,
        "select * from public.register_push_device('shared-phone', 'android')",
    )
    .await?;
    for who in [CLIENT, OTHER, READER, MONITOR, ADMIN] {
        let seen: i64 = as_user(
            &mut api,
            who,
            &format!("select count(*) from public.push_devices where user_id = '{CLIENT}'"),
        )
        .await?[0]
            .get(0);
        assert_eq!(
            seen,
            i64::from(who == CLIENT),
            "{who} sees the client's devices"
        );
        let token = request(
            api.api(),
            Caller::User(who),
            "select token from public.push_devices",
        )
        .await;
        assert_eq!(
            token
                .err()
                .and_then(|e| e.code().map(|c| c.code().to_string()))
                .as_deref(),
            Some("42501"),
            "{who} reads a token"
        );
    }
    let anon = request(
        api.api(),
        Caller::Anon,
        "select public.register_push_device('x', 'web')",
    )
    .await;
    assert!(anon.is_err());
    // The phone changes hands: the token is the other user's now.
    as_user(
        &mut api,
        OTHER,
        "select * from public.register_push_device('shared-phone', 'android')",
    )
    .await?;
    assert_eq!(
        one_text(
            &system,
            "select user_id::text from public.push_devices where token = 'shared-phone'"
        )
        .await?
        .as_deref(),
        Some(OTHER)
    );
    assert!(as_user(
        &mut api,
        OTHER,
        "select public.remove_push_device('shared-phone')"
    )
    .await?[0]
        .get::<_, bool>(0));
    assert!(!as_user(
        &mut api,
        CLIENT,
        "select public.remove_push_device('shared-phone')"
    )
    .await?[0]
        .get::<_, bool>(0));
    Ok(())
}

/// A sidecar killed while its requests wait at FCM, unanswered: FCM has
/// accepted nothing (it accepts a message when it answers). The next
/// sidecar takes the jobs when their lease runs out and sends each push
/// once. (A kill after FCM answered but before the sidecar committed it
/// sends it again: docs/notifications.md.)
#[tokio::test]
async fn a_sidecar_killed_while_sending_loses_no_push_and_sends_none_twice() -> Result<()> {
    let (db, system) = people().await?;
    let mut api = db.system().await?;
    for token in ["killed-phone", "killed-tablet"] {
        as_user(
            &mut api,
            CLIENT,
            &format!("select * from public.register_push_device('{token}', 'android')"),
        )
        .await?;
    }
    let twilio = FakeTwilio::start()?;
    let fcm = FakeFcm::start()?;
    // The requests must outlast the wait for the kill (the provider
    // timeout), and the lease the provider timeout: the next sidecar waits
    // out the lease.
    let mut env = fcm.env();
    for (k, v) in [
        ("SAMIA_CONCURRENCY", "8"),
        ("SAMIA_PROVIDER_TIMEOUT_MS", "10000"),
        ("SAMIA_LEASE_MS", "11000"),
    ] {
        env.push((k.into(), v.into()));
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    fcm.hold(true)?;
    let mut first = Sidecar::start(&db.url, &twilio, &env)?;
    const NOTICES: u64 = 3;
    for n in 0..NOTICES {
        system
            .batch_execute(&format!(
                "insert into public.notifications (user_id, kind, title, params)
                 values ('{CLIENT}', 'phone.verified', 'notice {n}', '{{}}')"
            ))
            .await?;
    }
    let pushes = NOTICES * 2;
    eventually(WAIT, "every push held at FCM", || async {
        Ok((fcm.held()?.held == pushes).then_some(()))
    })
    .await?;
    // Each was marked before its request went out.
    assert_eq!(
        count(
            &system,
            "select count(*) from ops.push_sends where status = 'sending'"
        )
        .await? as u64,
        pushes
    );
    first.kill();
    // FCM sees the connections close: nothing was accepted.
    eventually(WAIT, "the held requests abandoned", || async {
        let hold = fcm.held()?;
        Ok((hold.held == 0 && hold.abandoned >= pushes).then_some(()))
    })
    .await?;
    assert!(fcm.messages()?.is_empty());

    let _second = Sidecar::start(&db.url, &twilio, &env)?;
    fcm.hold(false)?;
    // After the lease (11 s), then the sends.
    eventually(WAIT * 3, "every push sent", || async {
        Ok((count(
            &system,
            "select count(*) from ops.push_sends where status = 'sent' and sent_at is not null",
        )
        .await? as u64
            == pushes)
            .then_some(()))
    })
    .await?;
    let mut received: Vec<(String, String)> = fcm
        .messages()?
        .iter()
        .map(|m| {
            (
                m["message"]["data"]["notification_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                m["token"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    received.sort();
    let mut expected: Vec<(String, String)> = Vec::new();
    for id in one_text(
        &system,
        "select string_agg(id::text, ' ' order by id) from public.notifications
          where title like 'notice %'",
    )
    .await?
    .unwrap_or_default()
    .split(' ')
    {
        for token in ["killed-phone", "killed-tablet"] {
            expected.push((id.to_string(), token.to_string()));
        }
    }
    expected.sort();
    assert_eq!(received, expected, "each push once");
    // The jobs ended on a later attempt than the killed one.
    assert_eq!(
        count(
            &system,
            "select count(*) from ops.jobs where kind = 'push.send' and status = 'done' and attempts >= 2"
        )
        .await? as u64,
        pushes
    );
    Ok(())
}
