//! Moderation records and the audit log: nobody forges or changes them,
//! they name the real reviewer, and `samia audit` finds the first row edited,
//! deleted or reordered.

use samia_tests::fixture::{self, ADMIN, MONITOR, OTHER, OWNER, SUPERADMIN};
use samia_tests::postgrest::{affected, refused, request, Caller};
use samia_tests::{count, one_text, sqlstate};

#[tokio::test]
async fn moderation_and_audit_rows_cannot_be_forged_or_changed() -> anyhow::Result<()> {
    let (_db, mut c) = fixture::db().await?;
    // Forging a moderation row in an admin's name: refused for everyone.
    for who in [OWNER, MONITOR, ADMIN, SUPERADMIN] {
        let (state, _) = refused(
            &mut c,
            who,
            &format!(
                "insert into public.moderation_actions (actor_id, target_kind, target_id, action, reason)
                 values ('{ADMIN}', 'profile', '{OTHER}', 'block', 'forged')"
            ),
        )
        .await;
        assert_eq!(state, "42501", "{who}");
    }
    // Append-only even for the owner (a superuser session here).
    for sql in [
        "update public.audit_log set event = 'x'",
        "delete from public.audit_log",
        "truncate public.audit_log",
        "update public.moderation_actions set reason = 'x'",
        "delete from public.moderation_actions",
        "truncate public.moderation_actions",
    ] {
        let err = c.batch_execute(sql).await.expect_err(sql);
        assert_eq!(sqlstate(&err), Some("42501"), "{sql}: {err:?}");
    }
    Ok(())
}

#[tokio::test]
async fn horoscope_approval_records_the_real_approver() -> anyhow::Result<()> {
    let (_db, mut c) = fixture::db().await?;
    let approve = format!(
        "update public.horoscopes set approved_at = now(), approved_by = '{ADMIN}' where id = 2"
    );
    // Clients do not see unpublished horoscopes, so there is nothing to update.
    assert_eq!(affected(&mut c, OWNER, &approve).await, 0);
    assert_eq!(affected(&mut c, MONITOR, &approve).await, 1);
    assert_eq!(
        one_text(
            &c,
            "select approved_by::text from public.horoscopes where id = 2"
        )
        .await?
        .as_deref(),
        Some(MONITOR)
    );
    assert_eq!(
        count(&c, &format!("select count(*) from public.moderation_actions where target_kind = 'horoscope' and target_id = '2' and action = 'approve' and actor_id = '{MONITOR}'")).await?,
        1
    );
    assert_eq!(
        count(&c, &format!("select count(*) from public.audit_log where event = 'horoscope.approved' and entity_id = '2' and actor = '{MONITOR}'")).await?,
        1
    );
    // Published: anon now reads it and its audio.
    let rows = request(
        &mut c,
        Caller::Anon,
        "select count(*) from public.media_assets where id = 4",
    )
    .await?;
    assert_eq!(rows[0].get::<_, i64>(0), 1);
    // Unpublishing is a staff action too, recorded as a rejection.
    assert_eq!(
        affected(
            &mut c,
            ADMIN,
            "update public.horoscopes set approved_at = null where id = 2"
        )
        .await,
        1
    );
    assert_eq!(
        count(&c, &format!("select count(*) from public.moderation_actions where target_id = '2' and action = 'reject' and actor_id = '{ADMIN}'")).await?,
        1
    );
    Ok(())
}

/// `samia audit seal` then `verify`; then one superuser tampering at a time,
/// with triggers disabled, each found at the right row.
#[tokio::test]
async fn the_audit_chain_names_the_first_edited_deleted_or_reordered_row() -> anyhow::Result<()> {
    let (db, c) = fixture::db().await?;
    // Some more history.
    c.batch_execute(&format!(
        "update public.profiles set is_blocked = true, blocked_reason = 'r1' where id = '{OTHER}';
         update public.profiles set is_blocked = false where id = '{OTHER}';
         update public.profiles set role_id = 3 where id = '{OTHER}';"
    ))
    .await?;
    let total = count(&c, "select count(*) from public.audit_log").await?;
    assert!(total >= 8, "{total}");

    let sealed = db.samia(&["audit", "seal"]);
    assert_eq!(sealed.code, 0, "{sealed:?}");
    assert!(
        sealed
            .stdout
            .contains(&format!("sealed {total} audit rows")),
        "{}",
        sealed.stdout
    );
    let ok = db.samia(&["audit", "verify"]);
    assert_eq!(ok.code, 0, "{ok:?}");
    assert!(
        ok.stdout
            .contains(&format!("audit chain intact: {total} sealed rows")),
        "{}",
        ok.stdout
    );
    // Sealing again finds nothing new; new rows extend the chain.
    assert!(db
        .samia(&["audit", "seal"])
        .stdout
        .contains("sealed 0 audit rows"));
    c.batch_execute(&format!(
        "update public.profiles set role_id = 5 where id = '{OTHER}'"
    ))
    .await?;
    assert!(db
        .samia(&["audit", "seal"])
        .stdout
        .contains("sealed 1 audit rows"));
    assert_eq!(db.samia(&["audit", "verify"]).code, 0);

    let ids: Vec<i64> = c
        .query("select id from public.audit_log order by id", &[])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let (third, fifth) = (ids[2], ids[4]);
    let tamper = |sql: String| {
        format!(
            "set session_replication_role = replica; {sql}; set session_replication_role = origin;"
        )
    };

    // An edit.
    let snapshot = "create temp table saved as select * from public.audit_log";
    c.batch_execute(snapshot).await?;
    c.batch_execute(&tamper(format!(
        "update public.audit_log set meta = '{{}}' where id = {fifth}"
    )))
    .await?;
    let broken = db.samia(&["audit", "verify"]);
    assert_eq!(broken.code, 1, "{broken:?}");
    assert!(
        broken.stderr.contains(&format!("audit_log row {fifth} ")),
        "{}",
        broken.stderr
    );
    assert!(broken.stderr.contains("was changed"), "{}", broken.stderr);
    let restore = "delete from public.audit_log; insert into public.audit_log select * from saved"
        .to_string();
    c.batch_execute(&tamper(restore.clone())).await?;
    assert_eq!(db.samia(&["audit", "verify"]).code, 0, "restored");

    // A deletion.
    c.batch_execute(&tamper(format!(
        "delete from public.audit_log where id = {third}"
    )))
    .await?;
    let broken = db.samia(&["audit", "verify"]);
    assert_eq!(broken.code, 1, "{broken:?}");
    assert!(
        broken.stderr.contains(&format!("audit_log row {third} "))
            && broken.stderr.contains("was deleted"),
        "{}",
        broken.stderr
    );
    c.batch_execute(&tamper(restore.clone())).await?;

    // A reorder: rows three and five swap places (their ids).
    c.batch_execute(&tamper(format!(
        "update public.audit_log set id = -1 where id = {third};
         update public.audit_log set id = {third} where id = {fifth};
         update public.audit_log set id = {fifth} where id = -1"
    )))
    .await?;
    let broken = db.samia(&["audit", "verify"]);
    assert_eq!(broken.code, 1, "{broken:?}");
    assert!(
        broken.stderr.contains(&format!("audit_log row {third} ")),
        "{}",
        broken.stderr
    );
    c.batch_execute(&tamper(restore)).await?;

    // A seal removed.
    c.batch_execute(&tamper("delete from ops.audit_seals where seq = 4".into()))
        .await?;
    let broken = db.samia(&["audit", "verify"]);
    assert_eq!(broken.code, 1, "{broken:?}");
    assert!(
        broken.stderr.contains("seal 4 is missing"),
        "{}",
        broken.stderr
    );
    Ok(())
}
