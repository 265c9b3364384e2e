//! The order state machine (CONTRACT.md section 5) as one table of data.
//!
//! The extension's trigger on `public.orders`, the tests and docs/orders.md all
//! read [`TRANSITIONS`]; nothing else decides whether a status may change.

use crate::roles::{Actor, AppRole};
use std::fmt;

/// `public.order_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    New,
    Assigned,
    InProgress,
    AwaitingApproval,
    Approved,
    Rejected,
    Delivered,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::New,
        Status::Assigned,
        Status::InProgress,
        Status::AwaitingApproval,
        Status::Approved,
        Status::Rejected,
        Status::Delivered,
        Status::Cancelled,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Assigned => "assigned",
            Status::InProgress => "in_progress",
            Status::AwaitingApproval => "awaiting_approval",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
            Status::Delivered => "delivered",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn from_name(name: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.name() == name)
    }

    /// `delivered` and `cancelled` never change again.
    pub const fn is_terminal(self) -> bool {
        matches!(self, Status::Delivered | Status::Cancelled)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a service is delivered (`services.delivery`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Audio,
    Call,
}

impl Delivery {
    pub fn from_name(name: &str) -> Option<Delivery> {
        match name {
            "audio" => Some(Delivery::Audio),
            "call" => Some(Delivery::Call),
            _ => None,
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Delivery::Audio => "audio",
            Delivery::Call => "call",
        }
    }
}

/// How the services of CONTRACT.md section 3 are delivered: a new service
/// row with one of these codes and no `delivery` gets it (the original
/// spec's inserts name no delivery).
pub const SERVICE_DELIVERY: &[(&str, Delivery)] = &[
    ("tarot", Delivery::Audio),
    ("coffee", Delivery::Audio),
    ("astro", Delivery::Audio),
    ("healing", Delivery::Call),
    ("direct_call", Delivery::Call),
];

/// The delivery of a known service code.
pub fn delivery_of(code: &str) -> Option<Delivery> {
    SERVICE_DELIVERY
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, d)| *d)
}

/// Who may make a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// The client who placed the order.
    Owner,
    /// The reader assigned to the order.
    AssignedReader,
    /// Monitors, admins and superadmins.
    Moderator,
    /// Admins and superadmins.
    Admin,
    /// Sessions without a user: the sidecar, a DBA, or the extension itself.
    System,
}

impl Who {
    pub const fn label(self) -> &'static str {
        match self {
            Who::Owner => "the client who placed it",
            Who::AssignedReader => "the assigned reader",
            Who::Moderator => "a monitor or admin",
            Who::Admin => "an admin",
            Who::System => "the system",
        }
    }
}

/// What a transition needs besides the right caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// A non-blank `status_reason` given with the change.
    Reason,
    /// `output_media_id` set (the recorded answer).
    OutputMedia,
    /// `assigned_reader` set to an unblocked reader.
    Reader,
    /// The call's join window has not opened yet (a client cancelling
    /// their own booked call frees the slot only ahead of the call).
    BeforeJoinWindow,
}

/// One allowed status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub from: Status,
    pub to: Status,
    /// `None`: both audio and call services.
    pub delivery: Option<Delivery>,
    pub who: &'static [Who],
    pub needs: &'static [Needs],
}

use Delivery::{Audio, Call};
use Status::*;

const ADMIN: &[Who] = &[Who::Admin];
const READER: &[Who] = &[Who::AssignedReader];
const MODERATOR: &[Who] = &[Who::Moderator];
const SYSTEM: &[Who] = &[Who::System];
const NOTHING: &[Needs] = &[];

/// Every allowed change of `orders.status`. Cancelling from any non-terminal
/// state by an admin is spelled out state by state.
#[rustfmt::skip]
pub const TRANSITIONS: &[Transition] = &[
    // Audio readings: tarot, coffee, astro.
    Transition { from: New, to: Assigned, delivery: Some(Audio), who: ADMIN, needs: &[Needs::Reader] },
    Transition { from: Assigned, to: Assigned, delivery: Some(Audio), who: ADMIN, needs: &[Needs::Reader] },
    Transition { from: Assigned, to: InProgress, delivery: Some(Audio), who: READER, needs: NOTHING },
    Transition { from: InProgress, to: AwaitingApproval, delivery: Some(Audio), who: READER, needs: &[Needs::OutputMedia] },
    Transition { from: AwaitingApproval, to: Approved, delivery: Some(Audio), who: MODERATOR, needs: &[Needs::OutputMedia] },
    Transition { from: Approved, to: Delivered, delivery: Some(Audio), who: SYSTEM, needs: &[Needs::OutputMedia] },
    Transition { from: AwaitingApproval, to: Rejected, delivery: Some(Audio), who: MODERATOR, needs: &[Needs::Reason] },
    Transition { from: Rejected, to: InProgress, delivery: Some(Audio), who: READER, needs: NOTHING },
    // Calls: healing, direct_call.
    Transition { from: New, to: Assigned, delivery: Some(Call), who: ADMIN, needs: &[Needs::Reader] },
    Transition { from: Assigned, to: Assigned, delivery: Some(Call), who: ADMIN, needs: &[Needs::Reader] },
    Transition { from: Assigned, to: InProgress, delivery: Some(Call), who: &[Who::AssignedReader, Who::System], needs: NOTHING },
    Transition { from: InProgress, to: Delivered, delivery: Some(Call), who: SYSTEM, needs: NOTHING },
    // Both: the client cancels a new order (and a booked call until its join
    // window opens); an admin cancels anything not final.
    Transition { from: New, to: Cancelled, delivery: None, who: &[Who::Owner], needs: NOTHING },
    Transition { from: Assigned, to: Cancelled, delivery: Some(Call), who: &[Who::Owner], needs: &[Needs::BeforeJoinWindow] },
    Transition { from: New, to: Cancelled, delivery: None, who: ADMIN, needs: &[Needs::Reason] },
    Transition { from: Assigned, to: Cancelled, delivery: None, who: ADMIN, needs: &[Needs::Reason] },
    Transition { from: InProgress, to: Cancelled, delivery: None, who: ADMIN, needs: &[Needs::Reason] },
    Transition { from: AwaitingApproval, to: Cancelled, delivery: None, who: ADMIN, needs: &[Needs::Reason] },
    Transition { from: Rejected, to: Cancelled, delivery: None, who: ADMIN, needs: &[Needs::Reason] },
    // A dropped call ends the order (the sidecar, with the drop reason).
    Transition { from: InProgress, to: Cancelled, delivery: Some(Call), who: SYSTEM, needs: &[Needs::Reason] },
];

/// How the caller stands to one order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub actor: Actor,
    pub is_owner: bool,
    pub is_assigned_reader: bool,
}

impl Standing {
    /// Does the caller count as `who`? System counts as an admin and a
    /// moderator too (it may do what a superadmin may).
    pub fn is(&self, who: Who) -> bool {
        let role = self.actor.active_role();
        match who {
            Who::Owner => self.is_owner && role == Some(AppRole::Client),
            Who::AssignedReader => self.is_assigned_reader && role == Some(AppRole::Reader),
            Who::Moderator => role.is_some_and(AppRole::is_staff),
            Who::Admin => role.is_some_and(AppRole::is_admin),
            Who::System => self.actor.is_system(),
        }
    }
}

/// The transitions from `from` for this kind of service.
pub fn from_state(from: Status, delivery: Delivery) -> impl Iterator<Item = &'static Transition> {
    TRANSITIONS
        .iter()
        .filter(move |t| t.from == from && t.delivery.is_none_or(|d| d == delivery))
}

/// Why a status change is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No such transition for anyone (SQLSTATE 23514).
    NotAllowed,
    /// The transition exists but not for this caller (SQLSTATE 42501); who may.
    NotYours(Vec<Who>),
}

/// The transition the caller may make from `from` to `to`, or why not.
/// When several rows match (an owner's and an admin's cancel), the caller's
/// own row is chosen, so its requirements apply.
pub fn check(
    from: Status,
    to: Status,
    delivery: Delivery,
    standing: &Standing,
) -> Result<&'static Transition, Refusal> {
    let candidates: Vec<&'static Transition> =
        from_state(from, delivery).filter(|t| t.to == to).collect();
    if candidates.is_empty() {
        return Err(Refusal::NotAllowed);
    }
    candidates
        .iter()
        .find(|t| t.who.iter().any(|w| standing.is(*w)))
        .copied()
        .ok_or_else(|| {
            Refusal::NotYours(
                candidates
                    .iter()
                    .flat_map(|t| t.who.iter().copied())
                    .collect(),
            )
        })
}

/// The statuses this caller may move an order to from `from` (for a hint).
pub fn next_for(from: Status, delivery: Delivery, standing: &Standing) -> Vec<Status> {
    let mut out: Vec<Status> = from_state(from, delivery)
        .filter(|t| t.who.iter().any(|w| standing.is(*w)))
        .map(|t| t.to)
        .collect();
    out.dedup();
    out
}

/// The transition table as a Markdown table (for docs/orders.md).
pub fn markdown_table() -> String {
    let mut out = String::from("| from | to | services | who | needs |\n|---|---|---|---|---|\n");
    for t in TRANSITIONS {
        let services = match t.delivery {
            Some(Audio) => "audio",
            Some(Call) => "call",
            None => "all",
        };
        let who: Vec<&str> = t.who.iter().map(|w| w.label()).collect();
        let needs: Vec<&str> = t
            .needs
            .iter()
            .map(|n| match n {
                Needs::Reason => "status_reason",
                Needs::OutputMedia => "output_media_id",
                Needs::Reader => "an unblocked assigned_reader",
                Needs::BeforeJoinWindow => "before the call's join window opens",
            })
            .collect();
        out.push_str(&format!(
            "| {} | {} | {services} | {} | {} |\n",
            t.from,
            t.to,
            who.join(", "),
            if needs.is_empty() {
                "-".to_string()
            } else {
                needs.join(", ")
            }
        ));
    }
    out
}

/// A change to an order other than its status, checked by [`may_change`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// `status_reason`.
    Reason,
    /// `assigned_reader`.
    Reader,
    /// `output_media_id`, the recorded answer.
    Answer,
    /// `archived_at`.
    Archive,
    /// `scheduled_at`.
    Schedule,
}

/// Why a [`Change`] is refused, each with its own message in the trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeRefusal {
    /// Not together with the transition it belongs to (23514).
    OnlyWithTransition,
    /// An approved answer is final (23514).
    Final,
    /// Not in the order's state, or not by this caller (23514).
    NotNow,
    /// Not this caller's to make (42501).
    NotYours,
}

/// May `standing` make `change` to an order that is `from` (and `to` after
/// this update)? `transition` says whether the update is a transition whose
/// table row carries the change (a reason given with it, a reader with an
/// assignment). The values themselves (is the reader a reader, is the
/// answer the reader's upload, is the time past) are checked apart.
pub fn may_change(
    change: Change,
    from: Status,
    to: Status,
    standing: &Standing,
    transition: bool,
) -> Result<(), ChangeRefusal> {
    let system = standing.is(Who::System);
    match change {
        Change::Reason | Change::Reader if transition || system => Ok(()),
        Change::Reason | Change::Reader => Err(ChangeRefusal::OnlyWithTransition),
        Change::Answer if matches!(from, Status::Approved | Status::Delivered) => {
            Err(ChangeRefusal::Final)
        }
        Change::Answer
            if from == Status::InProgress
                && (standing.is(Who::AssignedReader) || standing.is(Who::Admin)) =>
        {
            Ok(())
        }
        Change::Answer => Err(ChangeRefusal::NotNow),
        Change::Archive if !standing.is(Who::Admin) => Err(ChangeRefusal::NotYours),
        Change::Archive if to.is_terminal() => Ok(()),
        Change::Archive => Err(ChangeRefusal::NotNow),
        Change::Schedule if system => Ok(()),
        Change::Schedule if !(standing.is(Who::Owner) || standing.is(Who::Admin)) => {
            Err(ChangeRefusal::NotYours)
        }
        Change::Schedule if matches!(from, Status::New | Status::Assigned) => Ok(()),
        Change::Schedule => Err(ChangeRefusal::NotNow),
    }
}

/// How long before now a call's `scheduled_at` may lie when it is booked or
/// moved: an immediate call is booked at the current time, and clocks differ.
pub const SCHEDULE_SLACK_MICROS: i64 = 5 * 60 * 1_000_000;

/// What is wrong with an order's `scheduled_at` (SQLSTATE 22023).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduleProblem {
    /// A call order without a time (an immediate call is booked for now).
    Missing,
    /// A call booked or moved to a time already past.
    Past,
}

/// Checks `scheduled_at` when an order is placed or rescheduled (CONTRACT.md
/// section 5: required for calls). Times are microseconds on one epoch.
pub fn schedule_problem(
    delivery: Delivery,
    scheduled: Option<i64>,
    now: i64,
) -> Option<ScheduleProblem> {
    match (delivery, scheduled) {
        (Delivery::Audio, _) => None,
        (Delivery::Call, None) => Some(ScheduleProblem::Missing),
        (Delivery::Call, Some(at)) if at < now.saturating_sub(SCHEDULE_SLACK_MICROS) => {
            Some(ScheduleProblem::Past)
        }
        (Delivery::Call, Some(_)) => None,
    }
}

#[cfg(test)]
mod tests;
