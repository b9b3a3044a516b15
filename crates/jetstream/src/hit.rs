//! The JSON record of one hit, as published on the hits subject.

use concord_matcher::{IndicatorInfo, Observable};
use serde_json::{Value, json};

/// The record of a hit of the event at stream sequence `seq` (published
/// on `subject`, delivered `delivered` times so far): the same fields as
/// `concord match --json` prints for a line, with `seq` and `subject` in
/// place of the file and line.
pub fn hit_record(
    seq: u64,
    subject: &str,
    delivered: i64,
    observable: Option<&Observable>,
    info: &IndicatorInfo<'_>,
) -> Value {
    json!({
        "seq": seq,
        "subject": subject,
        "delivered": delivered,
        "observable": observable.map(Observable::text),
        "indicator": info.id,
        "name": info.name,
        "confidence": info.confidence,
        "tlp": info.tlp,
        "created_by_ref": info.created_by_ref,
    })
}

/// The time of an event, microseconds since the epoch, from the fields
/// Zeek (`ts`: epoch seconds or ISO 8601) and Suricata (`timestamp`)
/// write: what a sighting's first and last seen are made of.
pub(crate) fn event_time_us(body: &str) -> Option<i64> {
    let v: Value = serde_json::from_str(body).ok()?;
    let t = v.get("ts").or_else(|| v.get("timestamp"))?;
    if let Some(secs) = t.as_f64() {
        return Some((secs * 1e6) as i64);
    }
    concord_stix::Timestamp::parse(t.as_str()?)
        .ok()
        .map(|ts| ts.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_times_come_from_zeek_and_suricata_fields() {
        assert_eq!(event_time_us(r#"{"ts":1.5}"#), Some(1_500_000));
        assert_eq!(
            event_time_us(r#"{"timestamp":"1970-01-01T00:00:02Z"}"#),
            Some(2_000_000)
        );
        assert_eq!(event_time_us(r#"{"x":1}"#), None);
        assert_eq!(event_time_us("not json"), None);
    }
}
