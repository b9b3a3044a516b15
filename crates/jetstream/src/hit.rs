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
