//! Timestamps as the reference matcher reads them: microsecond precision,
//! UTC, years 0001-9999.
//!
//! A timestamp literal in a pattern and a timestamp string in observed data
//! are read by the same rule (`_str_to_datetime` in stix2-matcher, a
//! `strptime("%Y-%m-%dT%H:%M:%S[.%f]Z")`): upper-case `T` and `Z`, digits
//! beyond the sixth of the fraction dropped, one-digit month/day/hour/minute/
//! second fields accepted, leap seconds refused.

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;

/// Microseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Microseconds since the epoch, negative before 1970 (timestamps this
    /// crate reads lie within 0001-01-01 and 9999-12-31).
    pub micros: i64,
}

/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z.
pub(crate) const MIN: Timestamp = Timestamp {
    micros: -62_135_596_800_000_000,
};
pub(crate) const MAX: Timestamp = Timestamp {
    micros: 253_402_300_799_999_999,
};

// Civil-date arithmetic is the STIX crate's; only the reading rules differ.
use concord_stix::timestamp::{civil_from_days, days_from_civil, days_in_month};

impl Timestamp {
    /// A checked civil time; `None` where Python's `datetime` would refuse it.
    pub fn from_civil(
        year: i64,
        month: i64,
        day: i64,
        hour: i64,
        minute: i64,
        second: i64,
        micro: i64,
    ) -> Option<Timestamp> {
        if !(1..=9999).contains(&year)
            || !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || !(0..24).contains(&hour)
            || !(0..60).contains(&minute)
            || !(0..60).contains(&second)
            || !(0..1_000_000).contains(&micro)
        {
            return None;
        }
        let days = days_from_civil(year, month, day);
        let secs = days * 86_400 + hour * 3600 + minute * 60 + second;
        Some(Timestamp {
            micros: secs * 1_000_000 + micro,
        })
    }

    /// Adds a duration; `None` past 9999-12-31 (Python raises OverflowError).
    pub fn checked_add_micros(self, micros: i64) -> Option<Timestamp> {
        let t = Timestamp {
            micros: self.micros.checked_add(micros)?,
        };
        (MIN..=MAX).contains(&t).then_some(t)
    }

    /// Reads a timestamp the way the reference matcher does (see the module
    /// comment); `None` if it would raise.
    pub fn parse(text: &str) -> Option<Timestamp> {
        static FORMAT: LazyLock<Regex> = LazyLock::new(|| {
            // The alternations of CPython's _strptime, in its order.
            let pattern = concat!(
                r"^([0-9]{4})-(1[0-2]|0[1-9]|[1-9])-(3[01]|[12][0-9]|0[1-9]|[1-9]| [1-9])",
                r"T(2[0-3]|[0-1][0-9]|[0-9]):([0-5][0-9]|[0-9]):(6[0-1]|[0-5][0-9]|[0-9])",
                r"(?:\.([0-9]{1,6}))?Z$"
            );
            Regex::new(pattern).expect("the timestamp format is a valid regex")
        });
        if text.chars().any(char::is_lowercase) {
            return None;
        }
        let owned;
        let mut text = text;
        let has_dot = text.contains('.');
        if has_dot {
            // Python keeps at most six fraction digits: it cuts the second
            // dot-separated part when it is longer than seven characters and
            // ends in Z.
            let parts: Vec<&str> = text.split('.').collect();
            if parts.len() > 1 && parts[1].chars().count() > 7 && parts[1].ends_with('Z') {
                let six: String = parts[1].chars().take(6).collect();
                let mut rebuilt = String::from(parts[0]);
                rebuilt.push('.');
                rebuilt.push_str(&six);
                rebuilt.push('Z');
                for p in &parts[2..] {
                    rebuilt.push('.');
                    rebuilt.push_str(p);
                }
                owned = rebuilt;
                text = &owned;
            }
        }
        let caps = FORMAT.captures(text)?;
        // The format with a fraction is used exactly when the text has a dot.
        if caps.get(7).is_some() != has_dot {
            return None;
        }
        let num = |i: usize| -> Option<i64> { caps.get(i)?.as_str().trim().parse::<i64>().ok() };
        let micro = match caps.get(7) {
            Some(m) => {
                let digits = m.as_str();
                let mut v: i64 = digits.parse().ok()?;
                for _ in digits.len()..6 {
                    v *= 10;
                }
                v
            }
            None => 0,
        };
        Timestamp::from_civil(num(1)?, num(2)?, num(3)?, num(4)?, num(5)?, num(6)?, micro)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.micros.div_euclid(86_400_000_000);
        let rem = self.micros.rem_euclid(86_400_000_000);
        let (y, m, d) = civil_from_days(days);
        let secs = rem / 1_000_000;
        let micro = rem % 1_000_000;
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )?;
        if micro != 0 {
            write!(f, ".{micro:06}")?;
        }
        write!(f, "Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_like_the_reference() {
        let t = Timestamp::parse("2016-04-06T19:58:16.000Z").unwrap();
        assert_eq!(t.to_string(), "2016-04-06T19:58:16Z");
        assert_eq!(
            Timestamp::parse("2016-4-6T1:2:3Z"),
            Timestamp::parse("2016-04-06T01:02:03Z")
        );
        assert_eq!(
            Timestamp::parse("2016-04-06T19:58:16.1234567Z"),
            Timestamp::parse("2016-04-06T19:58:16.123456Z")
        );
        assert!(Timestamp::parse("2016-04-06t19:58:16Z").is_none());
        assert!(Timestamp::parse("2016-02-30T00:00:00Z").is_none());
        assert!(Timestamp::parse("2016-01-01T00:00:60Z").is_none());
        assert!(Timestamp::parse("0000-01-01T00:00:00Z").is_none());
        assert!(Timestamp::parse("2016-01-01T00:00:00+00:00").is_none());
        assert!(Timestamp::parse("2016-01-01T00:00:00.Z").is_none());
        assert_eq!(Timestamp::parse("1970-01-01T00:00:00Z").unwrap().micros, 0);
        assert_eq!(Timestamp::parse("0001-01-01T00:00:00Z"), Some(MIN));
        assert_eq!(Timestamp::parse("9999-12-31T23:59:59.999999Z"), Some(MAX));
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "2020-02-29T23:59:59.5Z",
            "1969-12-31T23:59:59.999999Z",
            "0001-01-01T00:00:00Z",
        ] {
            let t = Timestamp::parse(s).unwrap();
            assert_eq!(Timestamp::parse(&t.to_string()), Some(t));
        }
    }
}
