//! The tamper-evident chain over `public.audit_log`.
//!
//! Rows are written by triggers without any global lock. Shortly after they
//! commit, a sealer (`samia.audit_seal()`) appends one `ops.audit_seals` row
//! per audit row, in order: seal `n` stores the audit row's id and
//! `hash_n = SHA-256("samia-audit-v1" || hash_(n-1) || canonical(row))`, with
//! 32 zero bytes before the first seal. `samia audit verify` recomputes the
//! chain from the rows themselves, so editing, deleting or reordering any
//! sealed row breaks it at that row.
//!
//! The canonical form is built from the values that [`ROW_COLUMNS`] selects,
//! so the sealer (in the extension) and the verifier (in the sidecar) hash
//! exactly the same bytes.

use sha2::{Digest, Sha256};

/// The columns of `public.audit_log` that a seal covers, as SQL over alias `a`,
/// in the order [`AuditRow`] holds them: every column, with the uuid, jsonb and
/// timestamp rendered in a stable text or integer form.
pub const ROW_COLUMNS: &str = "a.id, a.actor::text, a.actor_role, a.event, a.entity, a.entity_id, \
     a.meta::text, (extract(epoch from a.created_at) * 1000000)::bigint";

/// One audit row in canonical form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub id: i64,
    pub actor: Option<String>,
    pub actor_role: Option<String>,
    pub event: String,
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub meta: Option<String>,
    /// Microseconds since 1970-01-01 UTC.
    pub created_at_us: i64,
}

pub type Hash = [u8; 32];

/// The hash before the first seal.
pub const GENESIS: Hash = [0; 32];

const DOMAIN: &[u8] = b"samia-audit-v1";

impl AuditRow {
    /// Length-prefixed fields, so no two different rows share an encoding.
    pub fn canonical(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128);
        out.extend_from_slice(&self.id.to_be_bytes());
        for field in [&self.actor, &self.actor_role] {
            put_opt(&mut out, field.as_deref());
        }
        put_opt(&mut out, Some(&self.event));
        for field in [&self.entity, &self.entity_id, &self.meta] {
            put_opt(&mut out, field.as_deref());
        }
        out.extend_from_slice(&self.created_at_us.to_be_bytes());
        out
    }
}

fn put_opt(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            out.extend_from_slice(&(s.len() as u64).to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        }
    }
}

/// The hash of the seal that follows `prev` and covers `row`.
pub fn chain(prev: &Hash, row: &AuditRow) -> Hash {
    let mut h = Sha256::new();
    h.update(DOMAIN);
    h.update(prev);
    h.update(row.canonical());
    h.finalize().into()
}

pub fn to_hex(hash: &[u8]) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses 64 hex digits.
pub fn from_hex(text: &str) -> Option<Hash> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// What a seal records, as read back for verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seal {
    pub seq: i64,
    pub audit_id: i64,
    pub prev_hash: Hash,
    pub row_hash: Hash,
}

/// The first place where the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// Seals must be numbered 1, 2, 3, ... without gaps.
    SealMissing { expected_seq: i64, found_seq: i64 },
    /// A seal's `prev_hash` is not the previous seal's hash.
    ChainBroken { seq: i64, audit_id: i64 },
    /// The sealed audit row no longer exists.
    RowDeleted { seq: i64, audit_id: i64 },
    /// The audit row's content no longer matches its seal.
    RowChanged { seq: i64, audit_id: i64 },
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Break::SealMissing { expected_seq, found_seq } => write!(
                f,
                "seal {expected_seq} is missing (next seal is {found_seq}): seals were deleted"
            ),
            Break::ChainBroken { seq, audit_id } => write!(
                f,
                "seal {seq} (audit_log row {audit_id}) does not follow the seal before it: seals were edited or reordered"
            ),
            Break::RowDeleted { seq, audit_id } => {
                write!(f, "audit_log row {audit_id} (seal {seq}) was deleted")
            }
            Break::RowChanged { seq, audit_id } => write!(
                f,
                "audit_log row {audit_id} (seal {seq}) was changed after it was sealed"
            ),
        }
    }
}

/// Checks seals in `seq` order against their rows (`None` when the row is
/// gone), starting after `prev` (the hash of the seal before the first one
/// given, [`GENESIS`] at the start). Returns the last hash, or the first break.
pub fn verify<'a>(
    mut prev: Hash,
    mut expected_seq: i64,
    items: impl IntoIterator<Item = (&'a Seal, Option<&'a AuditRow>)>,
) -> Result<(Hash, i64), Break> {
    for (seal, row) in items {
        if seal.seq != expected_seq {
            return Err(Break::SealMissing {
                expected_seq,
                found_seq: seal.seq,
            });
        }
        if seal.prev_hash != prev {
            return Err(Break::ChainBroken {
                seq: seal.seq,
                audit_id: seal.audit_id,
            });
        }
        let Some(row) = row else {
            return Err(Break::RowDeleted {
                seq: seal.seq,
                audit_id: seal.audit_id,
            });
        };
        if row.id != seal.audit_id || chain(&prev, row) != seal.row_hash {
            return Err(Break::RowChanged {
                seq: seal.seq,
                audit_id: seal.audit_id,
            });
        }
        prev = seal.row_hash;
        expected_seq += 1;
    }
    Ok((prev, expected_seq))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, event: &str) -> AuditRow {
        AuditRow {
            id,
            actor: Some("00000000-0000-4000-8000-000000000001".into()),
            actor_role: Some("admin".into()),
            event: event.into(),
            entity: Some("profiles".into()),
            entity_id: Some(id.to_string()),
            meta: Some(r#"{"a": 1}"#.into()),
            created_at_us: 1_700_000_000_000_000 + id,
        }
    }

    fn sealed(rows: &[AuditRow]) -> Vec<Seal> {
        let mut prev = GENESIS;
        rows.iter()
            .enumerate()
            .map(|(i, r)| {
                let h = chain(&prev, r);
                let s = Seal {
                    seq: i as i64 + 1,
                    audit_id: r.id,
                    prev_hash: prev,
                    row_hash: h,
                };
                prev = h;
                s
            })
            .collect()
    }

    #[test]
    fn encoding_separates_fields() {
        let mut a = row(1, "x");
        let mut b = row(1, "x");
        a.entity = Some("ab".into());
        a.entity_id = Some("c".into());
        b.entity = Some("a".into());
        b.entity_id = Some("bc".into());
        assert_ne!(a.canonical(), b.canonical());
        let mut c = row(1, "x");
        c.actor = None;
        assert_ne!(c.canonical(), row(1, "x").canonical());
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let rows: Vec<_> = (1..=5).map(|i| row(i, "e")).collect();
        let seals = sealed(&rows);
        let items = seals.iter().zip(rows.iter().map(Some));
        let (last, next) = verify(GENESIS, 1, items).expect("intact");
        assert_eq!(last, seals[4].row_hash);
        assert_eq!(next, 6);
    }

    #[test]
    fn edits_deletions_and_reorders_are_found_at_the_first_broken_row() {
        let rows: Vec<_> = (1..=5).map(|i| row(i, "e")).collect();
        let seals = sealed(&rows);

        let mut edited = rows.clone();
        edited[2].meta = Some(r#"{"a": 2}"#.into());
        let items = seals.iter().zip(edited.iter().map(Some));
        assert_eq!(
            verify(GENESIS, 1, items),
            Err(Break::RowChanged {
                seq: 3,
                audit_id: 3
            })
        );

        let items = seals
            .iter()
            .zip(rows.iter().enumerate().map(|(i, r)| (i != 1).then_some(r)));
        assert_eq!(
            verify(GENESIS, 1, items),
            Err(Break::RowDeleted {
                seq: 2,
                audit_id: 2
            })
        );

        // Rows 2 and 4 swap their content but keep their ids.
        let mut swapped = rows.clone();
        let (two, four) = (swapped[1].clone(), swapped[3].clone());
        swapped[1] = AuditRow { id: 2, ..four };
        swapped[3] = AuditRow { id: 4, ..two };
        let items = seals.iter().zip(swapped.iter().map(Some));
        assert_eq!(
            verify(GENESIS, 1, items),
            Err(Break::RowChanged {
                seq: 2,
                audit_id: 2
            })
        );

        let mut gap = seals.clone();
        gap.remove(2);
        let items = gap.iter().zip(rows.iter().map(Some));
        assert!(matches!(
            verify(GENESIS, 1, items),
            Err(Break::SealMissing {
                expected_seq: 3,
                ..
            })
        ));
    }

    #[test]
    fn hex_round_trip() {
        let h = chain(&GENESIS, &row(1, "e"));
        assert_eq!(from_hex(&to_hex(&h)), Some(h));
        assert_eq!(from_hex("zz"), None);
    }
}
