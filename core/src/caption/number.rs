//! Numbers as captions write them: plain numbers, and numeric dates whose
//! day and month are told apart against the posting date.

/// A number as written: a plain number, or a numeric date (`15/3/2026`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Number {
    Int {
        value: u32,
        digits: usize,
        ordinal: bool,
    },
    /// A numeric date whose day and month are told apart only against the
    /// posting date ([`nearest_date`]): `12/08` is 12 August in most of the
    /// Arab world and December 8 in American usage.
    ///
    /// [`nearest_date`]: super::periods::nearest_date
    Date {
        /// The parts other than the year, in the order written.
        parts: (u32, u32),
        year: Option<i32>,
        /// Written year first (`2026-03-15`): the ISO order, month then day,
        /// is the only one in use.
        year_first: bool,
    },
}

impl Number {
    pub(super) fn parse(text: &str) -> Option<Number> {
        if !text.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        let (digits, suffix) = text.split_at(
            text.find(|c: char| !c.is_ascii_digit())
                .unwrap_or(text.len()),
        );
        if suffix.is_empty() || matches!(suffix, "st" | "nd" | "rd" | "th") {
            if digits.len() > 4 {
                return None;
            }
            let value = digits.parse().ok()?;
            return Some(Number::Int {
                value,
                digits: digits.len(),
                ordinal: !suffix.is_empty(),
            });
        }
        let mut parts = [0u32; 3];
        let mut widths = [0usize; 3];
        let mut count = 0;
        for part in text.split(['/', '-', '.']) {
            if count == 3
                || part.is_empty()
                || part.len() > 4
                || !part.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            parts[count] = part.parse().ok()?;
            widths[count] = part.len();
            count += 1;
        }
        let (first, second, year, year_first) = match count {
            2 => (parts[0], parts[1], None, false),
            3 if widths[0] == 4 => (parts[1], parts[2], Some(parts[0]), true),
            3 if widths[2] == 4 => (parts[0], parts[1], Some(parts[2]), false),
            3 if widths[2] == 2 => (parts[0], parts[1], Some(2000 + parts[2]), false),
            _ => return None,
        };
        let year = match year {
            Some(y) => Some(i32::try_from(y).ok()?),
            None => None,
        };
        let date = Number::Date {
            parts: (first, second),
            year,
            year_first,
        };
        // Numbers that are no day and month either way ("32/1", "15/13")
        // are not dates.
        date.readings().next().map(|_| date)
    }

    /// The (day, month) pairs a numeric date may mean, day first before
    /// month first; pairs out of range (month 13, day 32) are left out, and
    /// days a month does not have (31/2) are left to [`nearest_date`].
    ///
    /// [`nearest_date`]: super::periods::nearest_date
    pub(super) fn readings(self) -> impl Iterator<Item = (u32, u32)> {
        let (day_first, month_first) = match self {
            Number::Date {
                parts: (first, second),
                year_first,
                ..
            } => (
                (!year_first).then_some((first, second)),
                Some((second, first)),
            ),
            Number::Int { .. } => (None, None),
        };
        let plausible =
            |&(day, month): &(u32, u32)| (1..=31).contains(&day) && (1..=12).contains(&month);
        [day_first, month_first]
            .into_iter()
            .flatten()
            .filter(plausible)
    }

    pub(super) fn day(self) -> Option<u32> {
        match self {
            Number::Int { value, digits, .. } if digits <= 2 && (1..=31).contains(&value) => {
                Some(value)
            }
            _ => None,
        }
    }

    pub(super) fn year(self) -> Option<i32> {
        match self {
            Number::Int {
                value,
                digits: 4,
                ordinal: false,
            } if (1900..=2100).contains(&value) => i32::try_from(value).ok(),
            _ => None,
        }
    }
}
