use super::*;

fn user(role: AppRole, owner: bool, reader: bool) -> Standing {
    Standing {
        actor: Actor::User {
            role,
            blocked: false,
        },
        is_owner: owner,
        is_assigned_reader: reader,
    }
}

/// Hand-written rows of CONTRACT.md section 5, checked against the table.
#[test]
fn the_contract_rows() {
    let admin = user(AppRole::Admin, false, false);
    let superadmin = user(AppRole::Superadmin, false, false);
    let monitor = user(AppRole::Monitor, false, false);
    let reader = user(AppRole::Reader, false, true);
    let other_reader = user(AppRole::Reader, false, false);
    let owner = user(AppRole::Client, true, false);
    let system = Standing {
        actor: Actor::System,
        is_owner: false,
        is_assigned_reader: false,
    };

    assert!(check(New, Assigned, Audio, &admin).is_ok());
    assert!(check(New, Assigned, Audio, &superadmin).is_ok());
    assert!(matches!(
        check(New, Assigned, Audio, &monitor),
        Err(Refusal::NotYours(_))
    ));
    assert!(check(Assigned, InProgress, Audio, &reader).is_ok());
    assert!(check(Assigned, InProgress, Audio, &other_reader).is_err());
    assert!(
        check(Assigned, InProgress, Audio, &system).is_err(),
        "audio work is the reader's"
    );
    assert!(
        check(Assigned, InProgress, Call, &system).is_ok(),
        "a call starts by the system too"
    );
    assert!(check(AwaitingApproval, Approved, Audio, &monitor).is_ok());
    assert!(check(AwaitingApproval, Approved, Audio, &owner).is_err());
    assert!(check(AwaitingApproval, Approved, Audio, &reader).is_err());
    assert_eq!(
        check(AwaitingApproval, Rejected, Audio, &admin).map(|t| t.needs),
        Ok(&[Needs::Reason][..])
    );
    assert!(check(Rejected, InProgress, Audio, &reader).is_ok());
    assert_eq!(
        check(New, Cancelled, Call, &owner).map(|t| t.needs),
        Ok(&[][..])
    );
    assert_eq!(
        check(New, Cancelled, Call, &admin).map(|t| t.needs),
        Ok(&[Needs::Reason][..])
    );
    assert!(
        check(Assigned, Cancelled, Audio, &owner).is_err(),
        "only a new reading order is the client's to cancel"
    );
    assert_eq!(
        check(Assigned, Cancelled, Call, &owner).map(|t| t.needs),
        Ok(&[Needs::BeforeJoinWindow][..]),
        "a booked call is the client's to cancel ahead of its window"
    );
    assert!(check(InProgress, Cancelled, Call, &owner).is_err());
    assert_eq!(
        check(Delivered, Cancelled, Audio, &admin),
        Err(Refusal::NotAllowed)
    );
    assert_eq!(
        check(Cancelled, New, Audio, &system),
        Err(Refusal::NotAllowed)
    );
    assert_eq!(
        check(InProgress, Delivered, Audio, &system),
        Err(Refusal::NotAllowed)
    );
    assert!(check(InProgress, Delivered, Call, &system).is_ok());
    assert!(check(InProgress, Delivered, Call, &admin).is_err());
}

#[test]
fn terminal_states_have_no_way_out() {
    for t in TRANSITIONS {
        assert!(!t.from.is_terminal(), "{} -> {}", t.from, t.to);
    }
}

#[test]
fn a_blocked_user_is_nobody() {
    let blocked = Standing {
        actor: Actor::User {
            role: AppRole::Admin,
            blocked: true,
        },
        is_owner: true,
        is_assigned_reader: true,
    };
    for t in TRANSITIONS {
        assert!(!t.who.iter().any(|w| blocked.is(*w)));
    }
}

#[test]
fn hints_list_the_callers_next_steps() {
    let reader = user(AppRole::Reader, false, true);
    assert_eq!(next_for(Assigned, Audio, &reader), vec![InProgress]);
    let admin = user(AppRole::Admin, false, false);
    assert_eq!(next_for(InProgress, Audio, &admin), vec![Cancelled]);
    assert!(markdown_table().contains(
        "| awaiting_approval | approved | audio | a monitor or admin | output_media_id |"
    ));
}

#[test]
fn changes_beyond_the_status() {
    use Change::*;
    use ChangeRefusal::*;
    use Status::*;
    let client = user(AppRole::Client, true, false);
    let reader = user(AppRole::Reader, false, true);
    let other_reader = user(AppRole::Reader, false, false);
    let monitor = user(AppRole::Monitor, false, false);
    let admin = user(AppRole::Admin, false, false);
    let system = Standing {
        actor: Actor::System,
        is_owner: false,
        is_assigned_reader: false,
    };
    // Reasons and readers come with their transition, except from system.
    assert_eq!(
        may_change(Reason, New, New, &admin, false),
        Err(OnlyWithTransition)
    );
    assert_eq!(may_change(Reason, New, Cancelled, &admin, true), Ok(()));
    assert_eq!(
        may_change(Reader, Assigned, Assigned, &admin, false),
        Err(OnlyWithTransition)
    );
    assert_eq!(may_change(Reader, New, Assigned, &admin, true), Ok(()));
    assert_eq!(
        may_change(Reader, Assigned, Assigned, &system, false),
        Ok(())
    );
    // The answer: while in progress, by its reader or an admin; final once approved.
    assert_eq!(
        may_change(Answer, InProgress, InProgress, &reader, false),
        Ok(())
    );
    assert_eq!(
        may_change(Answer, InProgress, AwaitingApproval, &admin, true),
        Ok(())
    );
    assert_eq!(
        may_change(Answer, InProgress, InProgress, &other_reader, false),
        Err(NotNow)
    );
    assert_eq!(
        may_change(Answer, InProgress, InProgress, &monitor, false),
        Err(NotNow)
    );
    assert_eq!(
        may_change(Answer, Assigned, Assigned, &reader, false),
        Err(NotNow)
    );
    assert_eq!(
        may_change(Answer, Delivered, Delivered, &admin, false),
        Err(Final)
    );
    assert_eq!(
        may_change(Answer, Approved, Delivered, &system, false),
        Err(Final)
    );
    // Archiving: admins, terminal orders only.
    assert_eq!(
        may_change(Archive, Delivered, Delivered, &admin, false),
        Ok(())
    );
    assert_eq!(may_change(Archive, New, Cancelled, &admin, true), Ok(()));
    assert_eq!(may_change(Archive, New, New, &admin, false), Err(NotNow));
    assert_eq!(
        may_change(Archive, Delivered, Delivered, &monitor, false),
        Err(NotYours)
    );
    assert_eq!(
        may_change(Archive, Delivered, Delivered, &client, false),
        Err(NotYours)
    );
    // Rescheduling: the client or an admin, before the order starts.
    assert_eq!(may_change(Schedule, New, New, &client, false), Ok(()));
    assert_eq!(
        may_change(Schedule, Assigned, Assigned, &admin, false),
        Ok(())
    );
    assert_eq!(
        may_change(Schedule, InProgress, InProgress, &client, false),
        Err(NotNow)
    );
    assert_eq!(
        may_change(Schedule, New, New, &reader, false),
        Err(NotYours)
    );
    assert_eq!(
        may_change(Schedule, InProgress, InProgress, &system, false),
        Ok(())
    );
}

#[test]
fn calls_need_a_time_that_is_not_past() {
    let now = 1_000_000_000_000;
    assert_eq!(
        schedule_problem(Delivery::Call, None, now),
        Some(ScheduleProblem::Missing)
    );
    assert_eq!(schedule_problem(Delivery::Call, Some(now), now), None);
    assert_eq!(
        schedule_problem(Delivery::Call, Some(now - SCHEDULE_SLACK_MICROS), now),
        None
    );
    assert_eq!(
        schedule_problem(Delivery::Call, Some(now - SCHEDULE_SLACK_MICROS - 1), now),
        Some(ScheduleProblem::Past)
    );
    assert_eq!(schedule_problem(Delivery::Audio, None, now), None);
    assert_eq!(schedule_problem(Delivery::Audio, Some(0), now), None);
}

/// The docs' table is this module's table, not a hand-kept copy.
#[test]
fn the_docs_show_the_transition_table() {
    let doc = include_str!("../../../docs/orders.md");
    assert!(
        doc.contains(&markdown_table()),
        "docs/orders.md is out of date: regenerate the table with `cargo run -q -p samia-core --example order_table`"
    );
}
