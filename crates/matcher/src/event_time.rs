//! When a log event happened, from the fields Zeek and Suricata write: what
//! a sighting's first and last seen are made of.

use serde_json::Value;

/// The time of a JSON log event in microseconds since the epoch, from
/// Zeek's `ts` (epoch seconds, or ISO 8601) or Suricata's `timestamp`
/// (RFC 3339, or with a `+0000` offset); `None` when absent or unreadable.
pub fn event_time_us(line: &str) -> Option<i64> {
    let v: Value = serde_json::from_str(line).ok()?;
    let t = v.get("ts").or_else(|| v.get("timestamp"))?;
    if let Some(secs) = t.as_f64() {
        return Some((secs * 1e6) as i64);
    }
    let s = t.as_str()?;
    if let Ok(ts) = concord_stix::Timestamp::parse(s) {
        return Some(ts.0);
    }
    s.parse::<jiff::Timestamp>()
        .or_else(|_| {
            jiff::fmt::strtime::parse("%Y-%m-%dT%H:%M:%S%.f%z", s).and_then(|p| p.to_timestamp())
        })
        .ok()
        .map(|t| t.as_microsecond())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeek_and_suricata_times_are_read() {
        assert_eq!(event_time_us(r#"{"ts":1.5}"#), Some(1_500_000));
        assert_eq!(
            event_time_us(r#"{"timestamp":"1970-01-01T00:00:02Z"}"#),
            Some(2_000_000)
        );
        assert_eq!(
            event_time_us(r#"{"timestamp":"1970-01-01T00:00:03.000000+0000"}"#),
            Some(3_000_000)
        );
        assert_eq!(event_time_us(r#"{"ts":"yesterday"}"#), None);
        assert_eq!(event_time_us("not json"), None);
    }
}
