//! SOA serials for the RPZ zone.
//!
//! Secondaries and resolvers reload a zone only when its serial is greater
//! than the one they hold, in RFC 1982 serial arithmetic (which wraps at
//! 2^32). So the caller must hand [`RpzOptions`](crate::RpzOptions) a serial
//! that increases with every change of the exported content and stays the
//! same while the content does not (or ETags would change for nothing).
//! These functions derive one from what a store has; none reads a clock.

use concord_stix::Timestamp;

const HALF: u32 = 1 << 31;

/// Whether serial `a` is greater than serial `b` (RFC 1982 section 3.2).
/// Serials exactly 2^31 apart are incomparable: neither is greater.
pub fn serial_gt(a: u32, b: u32) -> bool {
    (a < b && b - a > HALF) || (a > b && a - b < HALF)
}

/// A serial from a counter that grows by at least one with every change of
/// the store (a change sequence, a row count of an append-only log): its
/// low 32 bits. It is greater than every earlier one as long as fewer than
/// 2^31 changes happen between two reads of the zone.
pub fn serial_from_counter(counter: u64) -> u32 {
    // Truncation is RFC 1982 wrap-around.
    (counter & u64::from(u32::MAX)) as u32
}

/// A serial from the time of the last change (for example the greatest
/// `date_added` of the exported collection): seconds since the Unix epoch,
/// wrapping in 2106 as RFC 1982 allows. Two changes within one second give
/// the same serial: use [`serial_after`] with the last published serial
/// when that matters.
pub fn serial_from_time(last_change: Timestamp) -> u32 {
    let seconds = last_change.0.div_euclid(1_000_000);
    (seconds.rem_euclid(1 << 32)) as u32
}

/// `candidate` if it is greater than `previous`, else `previous + 1`: the
/// serial to publish for changed content when the last published one is
/// known.
pub fn serial_after(previous: u32, candidate: u32) -> u32 {
    if serial_gt(candidate, previous) {
        candidate
    } else {
        previous.wrapping_add(1)
    }
}

/// Sets the SOA serial of a zone this crate wrote (its third line is
/// `@ SOA <mname> <rname> <serial> ...`) to `serial`, in place. A server
/// writes the zone once with serial 0, compares a digest of those bytes
/// with the content it last published (the digest does not depend on the
/// serial), and stamps the serial it then decides. Returns false, leaving
/// `zone` alone, when it holds no such line.
pub fn stamp(zone: &mut Vec<u8>, serial: u32) -> bool {
    let Some(at) = soa_serial(zone) else {
        return false;
    };
    zone.splice(at, serial.to_string().into_bytes());
    true
}

/// Where the serial of the zone's SOA line is.
fn soa_serial(zone: &[u8]) -> Option<std::ops::Range<usize>> {
    let mut start = 0;
    for _ in 0..3 {
        let end = start + zone[start..].iter().position(|b| *b == b'\n')?;
        let line = &zone[start..end];
        if line.starts_with(b"@ SOA ") {
            // `@`, `SOA`, mname, rname: the serial is the fifth field.
            let mut field = 0;
            let mut i = 0;
            while i < line.len() {
                if line[i] == b' ' {
                    i += 1;
                    continue;
                }
                let from = i;
                while i < line.len() && line[i] != b' ' {
                    i += 1;
                }
                if field == 4 {
                    return line[from..i]
                        .iter()
                        .all(u8::is_ascii_digit)
                        .then_some(start + from..start + i);
                }
                field += 1;
            }
            return None;
        }
        start = end + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_the_soa_serial() {
        let mut zone = b"$ORIGIN rpz.concord.\n$TTL 300\n@ SOA localhost. hostmaster.localhost. 0 3600 600 86400 300\n@ NS localhost.\nx CNAME . ;\n".to_vec();
        assert!(stamp(&mut zone, 2026120101));
        let text = String::from_utf8(zone.clone()).unwrap();
        assert!(
            text.contains(
                "@ SOA localhost. hostmaster.localhost. 2026120101 3600 600 86400 300\n@ NS"
            ),
            "{text}"
        );
        assert!(stamp(&mut zone, 7));
        assert!(String::from_utf8(zone).unwrap().contains(" 7 3600 "));
        let mut other = b"$ORIGIN a.\n; no soa\n".to_vec();
        assert!(!stamp(&mut other, 1));
        assert_eq!(other, b"$ORIGIN a.\n; no soa\n");
    }

    #[test]
    fn rfc_1982_order() {
        assert!(serial_gt(2, 1));
        assert!(!serial_gt(1, 2));
        assert!(!serial_gt(5, 5));
        assert!(serial_gt(0, u32::MAX));
        assert!(serial_gt(10, u32::MAX - 10));
        assert!(!serial_gt(HALF, 0) && !serial_gt(0, HALF));
        assert!(serial_gt(HALF - 1, 0));
    }

    #[test]
    fn derived_serials_increase() {
        assert_eq!(serial_from_counter(7), 7);
        assert_eq!(serial_from_counter((1 << 32) + 3), 3);
        assert!(serial_gt(
            serial_from_counter((1 << 32) + 3),
            serial_from_counter((1 << 32) - 3)
        ));
        let t = Timestamp::parse("2026-12-01T10:00:00.250Z").unwrap();
        assert_eq!(serial_from_time(t), 1_796_119_200);
        let later = Timestamp(t.0 + 1_000_000);
        assert!(serial_gt(serial_from_time(later), serial_from_time(t)));
        assert_eq!(serial_after(10, 10), 11);
        assert_eq!(serial_after(10, 9), 11);
        assert_eq!(serial_after(10, 50), 50);
        assert_eq!(serial_after(u32::MAX, 3), 3);
        assert_eq!(serial_after(u32::MAX, u32::MAX), 0);
    }
}
