//! State the extension keeps across calls within one backend, shared by
//! every version of its library loaded in that backend.
//!
//! Each release has a library of its own (`samia-VERSION.so`). A
//! transaction that is running when `ALTER EXTENSION samia UPDATE` commits
//! can start a piece of work in the old library (a trigger sets "the
//! extension is writing its own record") and meet the new one inside it
//! (the statement trigger on `audit_log`, looked up after the update). A
//! flag in a Rust `static` lives in one library only, so the new library
//! would not see it. The flags therefore live in one block of memory per
//! backend, found through PostgreSQL's rendezvous variables (the mechanism
//! for libraries of one backend to meet), the same block for every version.
//!
//! The block's layout is [`State`]: fields may be appended (a zeroed field
//! must mean "unset") but never moved or changed, and it must stay within
//! [`BLOCK`] bytes; a library reading a block made by an older one finds
//! appended fields zero.
//!
//! Release 0.1.0 kept its flags in Rust statics; [`legacy`] asks its
//! library while a transaction that began under it is running.

use pgrx::pg_sys;
use samia_core::roles::{Actor, AppRole};
use std::cell::Cell;
use std::ffi::CStr;

/// The rendezvous variable's name: one per layout family, never reused.
const NAME: &CStr = c"samia.backend_state";
/// The bytes allocated for the block, whatever the creator's `State`.
const BLOCK: usize = 1024;

/// A caller as the block keeps it (see [`encode_caller`]).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct CallerCell {
    /// 0: none; otherwise the actor: 1 system, 2 anon, 3 untrusted,
    /// 4 unknown, 5 user.
    actor: u8,
    /// The user's [`AppRole::id`] (user only).
    role: u8,
    blocked: u8,
    has_uid: u8,
    uid: [u8; 16],
}

/// The call booking being placed (see `calls::booking`).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct BookingCell {
    /// 0: none; 1: set.
    set: u8,
    immediate: u8,
    /// Length of the time zone name in `zone` (0: none).
    zone_len: u8,
    zone: [u8; 64],
}

/// The shared block. Append only.
#[repr(C)]
pub struct State {
    /// How deep the extension is writing its own records (`audit_log`,
    /// `moderation_actions`).
    pub writing: u32,
    /// How deep the extension's own work on behalf of the product runs.
    pub as_system: u32,
    /// The order whose call a monitor is dropping (0: none).
    pub dropping: i64,
    /// The person whose action the current work follows from.
    pub caused_by: CallerCell,
    pub booking: BookingCell,
}

const _: () = assert!(std::mem::size_of::<State>() <= BLOCK);

thread_local! {
    static BLOCK_AT: Cell<*mut State> = const { Cell::new(std::ptr::null_mut()) };
}

/// Runs `f` on this backend's block (made by the first library to ask).
pub fn with<R>(f: impl FnOnce(&mut State) -> R) -> R {
    let mut at = BLOCK_AT.get();
    if at.is_null() {
        // SAFETY: the rendezvous slot is a backend-global pointer; the block
        // lives in TopMemoryContext for the life of the backend, zeroed, and
        // every version of the library reads it with the same prefix layout.
        unsafe {
            let slot = pg_sys::find_rendezvous_variable(NAME.as_ptr());
            if (*slot).is_null() {
                *slot = pg_sys::MemoryContextAllocZero(pg_sys::TopMemoryContext, BLOCK);
            }
            at = (*slot).cast::<State>();
        }
        BLOCK_AT.set(at);
    }
    // SAFETY: `at` points at the live block; a backend runs one thread, and
    // `f` gets the only reference for its duration.
    f(unsafe { &mut *at })
}

/// Runs `work` with `set` applied to the block, and `restore` applied with
/// the value `set` returned on the way out, errors included.
pub fn scoped<T: Copy, R>(
    set: impl FnOnce(&mut State) -> T,
    restore: fn(&mut State, T),
    work: impl FnOnce() -> R,
) -> R {
    struct Restore<T: Copy>(T, fn(&mut State, T));
    impl<T: Copy> Drop for Restore<T> {
        fn drop(&mut self) {
            with(|s| (self.1)(s, self.0));
        }
    }
    let _restore = Restore(with(set), restore);
    work()
}

pub fn encode_caller(caller: Option<crate::caller::Caller>) -> CallerCell {
    let mut cell = CallerCell {
        actor: 0,
        role: 0,
        blocked: 0,
        has_uid: 0,
        uid: [0; 16],
    };
    let Some(caller) = caller else {
        return cell;
    };
    cell.actor = match caller.actor {
        Actor::System => 1,
        Actor::Anon => 2,
        Actor::Untrusted => 3,
        Actor::Unknown => 4,
        Actor::User { role, blocked } => {
            cell.role = u8::try_from(role.id()).unwrap_or_default();
            cell.blocked = u8::from(blocked);
            5
        }
    };
    if let Some(uid) = caller.uid {
        cell.has_uid = 1;
        cell.uid = *uid.as_bytes();
    }
    cell
}

pub fn decode_caller(cell: CallerCell) -> Option<crate::caller::Caller> {
    let actor = match cell.actor {
        1 => Actor::System,
        2 => Actor::Anon,
        3 => Actor::Untrusted,
        4 => Actor::Unknown,
        5 => Actor::User {
            role: AppRole::from_id(i16::from(cell.role))?,
            blocked: cell.blocked != 0,
        },
        _ => return None,
    };
    let uid = (cell.has_uid != 0).then(|| pgrx::Uuid::from_bytes(cell.uid));
    Some(crate::caller::Caller { uid, actor })
}

/// A booking note: (immediate, time zone).
pub fn encode_booking(booking: Option<(bool, Option<&str>)>) -> BookingCell {
    let mut cell = BookingCell {
        set: 0,
        immediate: 0,
        zone_len: 0,
        zone: [0; 64],
    };
    if let Some((immediate, zone)) = booking {
        cell.set = 1;
        cell.immediate = u8::from(immediate);
        // Time zone names are ASCII and far shorter; a longer one is not
        // a zone the booking checks accept anyway.
        if let Some(zone) = zone.filter(|z| z.len() <= cell.zone.len()) {
            cell.zone[..zone.len()].copy_from_slice(zone.as_bytes());
            cell.zone_len = u8::try_from(zone.len()).unwrap_or_default();
        }
    }
    cell
}

pub fn decode_booking(cell: &BookingCell) -> Option<(bool, Option<String>)> {
    if cell.set == 0 {
        return None;
    }
    let zone = (cell.zone_len > 0)
        .then(|| String::from_utf8_lossy(&cell.zone[..usize::from(cell.zone_len)]).into_owned());
    Some((cell.immediate != 0, zone))
}

/// Release 0.1.0's library (`samia.so`, flags in Rust statics), asked while
/// the one transaction that can still be running its code is.
pub mod legacy {
    use super::*;
    use std::ffi::{c_char, c_int, c_void};

    extern "C" {
        fn dlopen(filename: *const c_char, flags: c_int) -> *mut c_void;
        fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;
    }
    const RTLD_LAZY: c_int = 0x0001;
    const RTLD_NOLOAD: c_int = 0x0004;

    thread_local! {
        /// 0.1.0's library when it was loaded in this backend before this
        /// library, and the local transaction this library was loaded in.
        static OLD: Cell<(*mut c_void, u32)> = const { Cell::new((std::ptr::null_mut(), 0)) };
    }

    /// At load: is 0.1.0's library already in this backend? Its code can
    /// then still run in the current transaction only: the update had
    /// committed when this transaction first looked up one of this
    /// version's functions, and every later transaction starts with the
    /// new catalog, whose functions all point at this library.
    pub fn detect() {
        // SAFETY: MyProc is null outside a backend's transaction machinery
        // (a preload in the postmaster); pkglib_path is set at startup.
        unsafe {
            if pg_sys::MyProc.is_null() {
                return;
            }
            let dir = CStr::from_ptr(std::ptr::addr_of!(pg_sys::pkglib_path).cast::<c_char>());
            let Ok(path) = std::ffi::CString::new(format!(
                "{}/samia{}",
                dir.to_string_lossy(),
                pg_sys::DLSUFFIX.to_string_lossy()
            )) else {
                return;
            };
            let handle = dlopen(path.as_ptr(), RTLD_LAZY | RTLD_NOLOAD);
            if !handle.is_null() {
                OLD.set((handle, crate::caller::local_transaction_id()));
            }
        }
    }

    /// 0.1.0's library, when its code may be running in this transaction.
    fn active() -> Option<*mut c_void> {
        let (handle, lxid) = OLD.get();
        (!handle.is_null() && lxid == crate::caller::local_transaction_id()).then_some(handle)
    }

    type PgFunction = unsafe extern "C-unwind" fn(pg_sys::FunctionCallInfo) -> pg_sys::Datum;

    /// Calls 0.1.0's C function `symbol` with no arguments and `context`
    /// (a trigger's data, or null): the datum and whether it is null.
    fn call(symbol: &CStr, context: *mut pg_sys::Node) -> Option<(pg_sys::Datum, bool)> {
        let handle = active()?;
        // SAFETY: `symbol` is one of 0.1.0's pgrx wrappers (signature
        // PGFunction); the call info is zeroed memory of the right size
        // with a function info of its own, as fmgr would build it. Its
        // errors are PostgreSQL errors, raised across the guarded boundary.
        unsafe {
            let found = dlsym(handle, symbol.as_ptr());
            if found.is_null() {
                return None;
            }
            let function: PgFunction = std::mem::transmute(found);
            let flinfo =
                pg_sys::palloc0(std::mem::size_of::<pg_sys::FmgrInfo>()).cast::<pg_sys::FmgrInfo>();
            (*flinfo).fn_addr = Some(function);
            (*flinfo).fn_oid = pg_sys::InvalidOid;
            (*flinfo).fn_mcxt = pg_sys::CurrentMemoryContext;
            let fcinfo = pg_sys::palloc0(std::mem::size_of::<pg_sys::FunctionCallInfoBaseData>())
                .cast::<pg_sys::FunctionCallInfoBaseData>();
            (*fcinfo).flinfo = flinfo;
            (*fcinfo).context = context;
            (*fcinfo).fncollation = pg_sys::InvalidOid;
            let datum = pg_sys::ffi::pg_guard_ffi_boundary(|| function(fcinfo));
            Some((datum, (*fcinfo).isnull))
        }
    }

    /// Does 0.1.0's `audit_log` guard let this insert through (its code
    /// is writing a record)? It raises the same error when not.
    pub fn lets_record_through(trigger: &pg_sys::TriggerData) -> bool {
        let context = std::ptr::from_ref(trigger)
            .cast_mut()
            .cast::<pg_sys::Node>();
        call(c"records_written_by_extension_wrapper", context).is_some()
    }

    /// Is 0.1.0's code doing the extension's own work (its `caller_role()`
    /// says `system`)?
    pub fn as_system() -> bool {
        let Some((datum, false)) = call(c"caller_role_wrapper", std::ptr::null_mut()) else {
            return false;
        };
        // SAFETY: caller_role returns text.
        unsafe { <String as pgrx::FromDatum>::from_datum(datum, false) }.as_deref()
            == Some("system")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::caller::Caller;

    #[test]
    fn callers_and_bookings_survive_the_block() {
        let uid = pgrx::Uuid::from_bytes([7; 16]);
        for actor in [
            Actor::System,
            Actor::Anon,
            Actor::Untrusted,
            Actor::Unknown,
            Actor::User {
                role: AppRole::Monitor,
                blocked: true,
            },
            Actor::User {
                role: AppRole::Client,
                blocked: false,
            },
        ] {
            for uid in [None, Some(uid)] {
                let back = decode_caller(encode_caller(Some(Caller { uid, actor })))
                    .expect("a caller comes back");
                assert_eq!((back.uid, back.actor), (uid, actor));
            }
        }
        assert!(decode_caller(encode_caller(None)).is_none());
        let zone = "America/Argentina/ComodRivadavia";
        assert_eq!(
            decode_booking(&encode_booking(Some((true, Some(zone))))),
            Some((true, Some(zone.to_string())))
        );
        assert_eq!(
            decode_booking(&encode_booking(Some((false, None)))),
            Some((false, None))
        );
        assert_eq!(decode_booking(&encode_booking(None)), None);
    }
}
