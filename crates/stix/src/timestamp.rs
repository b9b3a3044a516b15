//! STIX timestamps: `YYYY-MM-DDTHH:MM:SS[.s+]Z`, always UTC (STIX 2.1 §3.2).
//!
//! A received timestamp is kept as the exact string it arrived as (the
//! `modified` string identifies a version, and signatures cover it); this
//! module only reads it into epoch microseconds for ordering and indexing,
//! and prints server-made values (`date_added`) with exactly six digits.

use std::time::{SystemTime, UNIX_EPOCH};

/// A point in time in microseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

/// Why a string is not a STIX timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TimestampError(pub &'static str);

fn digits(b: &[u8], at: usize, n: usize) -> Result<i64, TimestampError> {
    let part = b
        .get(at..at + n)
        .ok_or(TimestampError("timestamp is too short"))?;
    let mut v: i64 = 0;
    for &c in part {
        if !c.is_ascii_digit() {
            return Err(TimestampError(
                "timestamp must have the form YYYY-MM-DDTHH:MM:SS[.s+]Z",
            ));
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Ok(v)
}

fn expect(b: &[u8], at: usize, c: u8) -> Result<(), TimestampError> {
    if b.get(at) == Some(&c) {
        Ok(())
    } else {
        Err(TimestampError(
            "timestamp must have the form YYYY-MM-DDTHH:MM:SS[.s+]Z",
        ))
    }
}

/// Whether a (proleptic Gregorian) year has 29 February.
pub fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Days in a month of a year (month 1 to 12).
pub fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl Timestamp {
    /// Reads a strict STIX timestamp. Fractions beyond microseconds are
    /// accepted (STIX allows any precision) and truncated in the number only.
    pub fn parse(s: &str) -> Result<Timestamp, TimestampError> {
        let b = s.as_bytes();
        if b.len() < 20 {
            return Err(TimestampError(
                "timestamp must have the form YYYY-MM-DDTHH:MM:SS[.s+]Z",
            ));
        }
        let year = digits(b, 0, 4)?;
        expect(b, 4, b'-')?;
        let month = digits(b, 5, 2)?;
        expect(b, 7, b'-')?;
        let day = digits(b, 8, 2)?;
        expect(b, 10, b'T')?;
        let hour = digits(b, 11, 2)?;
        expect(b, 13, b':')?;
        let minute = digits(b, 14, 2)?;
        expect(b, 16, b':')?;
        let second = digits(b, 17, 2)?;
        let mut micros = 0i64;
        let mut at = 19;
        if b.get(at) == Some(&b'.') {
            at += 1;
            let start = at;
            while at < b.len() && b[at].is_ascii_digit() {
                if at - start < 6 {
                    micros = micros * 10 + i64::from(b[at] - b'0');
                }
                at += 1;
            }
            let n = at - start;
            if n == 0 {
                return Err(TimestampError(
                    "a '.' in a timestamp must be followed by digits",
                ));
            }
            for _ in n..6 {
                micros *= 10;
            }
        }
        if at + 1 != b.len() || b[at] != b'Z' {
            return Err(TimestampError(
                "timestamp must be UTC and end with 'Z' (YYYY-MM-DDTHH:MM:SS[.s+]Z)",
            ));
        }
        if !(1..=12).contains(&month) {
            return Err(TimestampError("month must be 01 to 12"));
        }
        if day < 1 || day > days_in_month(year, month) {
            return Err(TimestampError("day does not exist in that month"));
        }
        if hour > 23 || minute > 59 || second > 59 {
            return Err(TimestampError("time of day out of range"));
        }
        let days = days_from_civil(year, month, day);
        let secs = days * 86_400 + hour * 3600 + minute * 60 + second;
        Ok(Timestamp(secs * 1_000_000 + micros))
    }

    /// The current time from the system clock.
    pub fn now() -> Timestamp {
        let d = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp(i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
    }

    /// Seconds since the epoch, for durations and comparisons by humans.
    pub fn micros(self) -> i64 {
        self.0
    }

    /// RFC 3339 UTC with exactly `digits` fraction digits (0, 3 or 6 are usual).
    pub fn format(self, fraction_digits: usize) -> String {
        let secs = self.0.div_euclid(1_000_000);
        let micros = self.0.rem_euclid(1_000_000);
        let days = secs.div_euclid(86_400);
        let tod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let mut out = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            y,
            m,
            d,
            tod / 3600,
            (tod / 60) % 60,
            tod % 60
        );
        if fraction_digits > 0 {
            let frac = format!("{micros:06}");
            out.push('.');
            let n = fraction_digits.min(6);
            out.push_str(&frac[..n]);
            for _ in n..fraction_digits {
                out.push('0');
            }
        }
        out.push('Z');
        out
    }

    /// The TAXII form: microsecond precision, as date_added is served.
    pub fn to_taxii(self) -> String {
        self.format(6)
    }

    /// The usual STIX form for objects this node creates: milliseconds.
    pub fn to_stix(self) -> String {
        self.format(3)
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_taxii())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_strict_forms() {
        assert_eq!(Timestamp::parse("1970-01-01T00:00:00Z"), Ok(Timestamp(0)));
        assert_eq!(
            Timestamp::parse("1970-01-01T00:00:01.5Z"),
            Ok(Timestamp(1_500_000))
        );
        assert_eq!(
            Timestamp::parse("2016-04-06T20:03:48.123456789Z").map(|t| t.0 % 1_000_000),
            Ok(123_456)
        );
        assert_eq!(
            Timestamp::parse("2024-02-29T12:00:00.000Z").map(|t| t.format(3)),
            Ok("2024-02-29T12:00:00.000Z".to_string())
        );
    }

    #[test]
    fn rejects_loose_forms() {
        for bad in [
            "2016-04-06 20:03:48Z",
            "2016-04-06t20:03:48Z",
            "2016-04-06T20:03:48",
            "2016-04-06T20:03:48+00:00",
            "2016-04-06T20:03:48.Z",
            "2023-02-29T00:00:00Z",
            "2016-13-06T20:03:48Z",
            "2016-04-06T24:00:00Z",
            "16-04-06T20:03:48Z",
            "",
            "2016-04-06T20:03:48ZZ",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad} must be rejected");
        }
    }

    proptest! {
        #[test]
        fn format_then_parse_is_identity(us in -62_135_596_800_000_000i64..253_402_300_799_999_999i64) {
            let t = Timestamp(us);
            prop_assert_eq!(Timestamp::parse(&t.format(6)), Ok(t));
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = Timestamp::parse(&s);
        }
    }
}
