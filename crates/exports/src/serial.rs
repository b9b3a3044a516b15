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

#[cfg(test)]
mod tests {
    use super::*;

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
