//! Uuids as text, without a uuid crate: the 16 bytes of a textual uuid
//! (hyphens optional, any case), and the canonical text of 16 bytes
//! (lower-case, hyphenated), which is what PostgreSQL prints.

/// The 16 bytes of a textual uuid, or `None` if it is not one.
pub fn parse(text: &str) -> Option<[u8; 16]> {
    let hex: Vec<u8> = text.bytes().filter(|b| *b != b'-').collect();
    if hex.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, byte) in out.iter_mut().enumerate() {
        let pair = std::str::from_utf8(&hex[2 * i..2 * i + 2]).ok()?;
        // from_str_radix accepts a leading '+', which is not a hex digit.
        if !pair.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

/// The canonical text of a uuid, written without the formatting machinery
/// (audit rows carry one per order placed).
pub fn text(bytes: &[u8; 16]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 0x0f) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_in_canonical_form() {
        let canonical = "30000000-0000-4000-8000-00000000002a";
        let bytes = parse(canonical).expect("a uuid");
        assert_eq!(bytes[0], 0x30);
        assert_eq!(bytes[15], 0x2a);
        assert_eq!(text(&bytes), canonical);
        assert_eq!(parse("30000000000040008000-00000000002A"), Some(bytes));
    }

    #[test]
    fn refuses_what_is_not_a_uuid() {
        for bad in [
            "",
            "30000000-0000-4000-8000-00000000002",
            "3000000g-0000-4000-8000-00000000002a",
            "+0000000-0000-4000-8000-00000000002a",
            "30000000-0000-4000-8000-00000000002aa",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
