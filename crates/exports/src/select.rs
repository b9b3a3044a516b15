//! From the caller's objects to the indicators a format may write: one
//! version per id, active, confident enough, with a pattern that is one
//! observable's values.

use std::collections::HashMap;

use concord_pattern::Pattern;
use concord_stix::Timestamp;
use concord_stix::tlp::{self, Tlp};
use serde_json::{Map, Value};

use crate::context::ExportContext;
use crate::observable::Observable;
use crate::pattern;
use crate::report::{ExportReport, SkipReason};

/// An indicator that passed the selection, with its values.
#[derive(Debug)]
pub(crate) struct Indicator<'a> {
    pub id: &'a str,
    pub modified: &'a str,
    pub name: Option<&'a str>,
    pub tlp: Option<Tlp>,
    /// The author's name, else its identity id.
    pub author: Option<&'a str>,
    pub valid_until: Option<&'a str>,
    pub confidence: Option<u8>,
    pub pattern: &'a str,
    /// Sorted, without duplicates, never empty.
    pub values: Vec<Observable>,
}

fn text<'a>(o: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    o.get(key).and_then(Value::as_str)
}

/// Orders two `modified` values; unreadable ones sort first, so a readable
/// version wins over a broken one.
fn newer(a: &str, b: &str) -> bool {
    match (Timestamp::parse(a), Timestamp::parse(b)) {
        (Ok(x), Ok(y)) => x > y,
        (Ok(_), Err(_)) => true,
        (Err(_), Ok(_)) => false,
        (Err(_), Err(_)) => a > b,
    }
}

/// The indicators of `objects` that `ctx` selects, in input order (the
/// first appearance of each id); everything else is reported as skipped.
pub(crate) fn select<'a>(
    objects: impl IntoIterator<Item = &'a Map<String, Value>>,
    ctx: &ExportContext<'a>,
    report: &mut ExportReport,
) -> Vec<Indicator<'a>> {
    // One version per id: the caller hands the latest versions, but a
    // stray older one must not produce a second rule with the same sid.
    let mut latest: Vec<(&'a str, &'a Map<String, Value>)> = Vec::new();
    let mut at: HashMap<&'a str, usize> = HashMap::new();
    for o in objects {
        let id = text(o, "id");
        match text(o, "type") {
            Some("indicator") => {}
            other => {
                report.skip(
                    id.unwrap_or_default(),
                    None,
                    None,
                    SkipReason::NotAnIndicator {
                        object_type: other.unwrap_or("(no type)").to_string(),
                    },
                );
                continue;
            }
        }
        let Some(id) = id else {
            report.skip("", text(o, "pattern"), None, SkipReason::MissingId);
            continue;
        };
        let modified = text(o, "modified").unwrap_or_default();
        match at.get(id) {
            None => {
                at.insert(id, latest.len());
                latest.push((id, o));
            }
            Some(&i) => {
                let held = text(latest[i].1, "modified").unwrap_or_default();
                let (kept, dropped) = if newer(modified, held) {
                    (o, latest[i].1)
                } else {
                    (latest[i].1, o)
                };
                latest[i].1 = kept;
                report.skip(
                    id,
                    text(dropped, "pattern"),
                    None,
                    SkipReason::Superseded {
                        modified: text(dropped, "modified").unwrap_or_default().to_string(),
                    },
                );
            }
        }
    }
    latest
        .into_iter()
        .filter_map(|(id, o)| read(id, o, ctx, report))
        .collect()
}

fn inactive(o: &Map<String, Value>, now: Timestamp) -> Option<SkipReason> {
    if o.get("revoked").and_then(Value::as_bool) == Some(true) {
        // concord's withdrawal: the author's signed, revoked version
        // carrying the reason (crates/node `concord withdraw`).
        return Some(match text(o, "x_concord_withdrawal_reason") {
            Some(reason) => SkipReason::Withdrawn {
                reason: reason.to_string(),
            },
            None => SkipReason::Revoked,
        });
    }
    if let Some(from) = text(o, "valid_from") {
        match Timestamp::parse(from) {
            Ok(t) if t > now => {
                return Some(SkipReason::NotYetValid {
                    valid_from: from.to_string(),
                });
            }
            Ok(_) => {}
            Err(_) => {
                return Some(SkipReason::BadTimestamp {
                    field: "valid_from",
                });
            }
        }
    }
    if let Some(until) = text(o, "valid_until") {
        match Timestamp::parse(until) {
            Ok(t) if t <= now => {
                return Some(SkipReason::Expired {
                    valid_until: until.to_string(),
                });
            }
            Ok(_) => {}
            Err(_) => {
                return Some(SkipReason::BadTimestamp {
                    field: "valid_until",
                });
            }
        }
    }
    None
}

fn read<'a>(
    id: &'a str,
    o: &'a Map<String, Value>,
    ctx: &ExportContext<'a>,
    report: &mut ExportReport,
) -> Option<Indicator<'a>> {
    let pattern_text = text(o, "pattern");
    let mut skip = |reason| {
        report.skip(id, pattern_text, None, reason);
        None
    };
    if !ctx.include_inactive
        && let Some(reason) = inactive(o, ctx.now)
    {
        return skip(reason);
    }
    let confidence = o
        .get("confidence")
        .and_then(Value::as_u64)
        .filter(|c| *c <= 100)
        .and_then(|c| u8::try_from(c).ok());
    if let Some(minimum) = ctx.min_confidence
        && confidence.is_none_or(|c| c < minimum)
    {
        return skip(SkipReason::LowConfidence {
            confidence,
            minimum,
        });
    }
    match o.get("pattern_type") {
        None => {}
        Some(Value::String(t)) if t == "stix" => {}
        Some(other) => {
            return skip(SkipReason::PatternType {
                pattern_type: other
                    .as_str()
                    .map_or_else(|| other.to_string(), str::to_string),
            });
        }
    }
    let Some(pattern_text) = pattern_text else {
        return skip(SkipReason::MissingPattern);
    };
    let parsed = match Pattern::parse(pattern_text) {
        Ok(p) => p,
        Err(e) => {
            return skip(SkipReason::InvalidPattern {
                error: e.to_string(),
            });
        }
    };
    let values = match pattern::values(parsed.ast()) {
        Ok(v) => v,
        Err(reason) => return skip(reason),
    };
    for (value, reason) in values.invalid {
        report.skip(id, Some(pattern_text), Some(value), reason);
    }
    if values.valid.is_empty() {
        return None;
    }
    let identity = concord_trust::signer_of(o).or_else(|| text(o, "created_by_ref"));
    let author = identity.map(|i| ctx.authors.name(i).unwrap_or(i));
    Some(Indicator {
        id,
        modified: text(o, "modified").unwrap_or_default(),
        name: text(o, "name"),
        tlp: o
            .get("object_marking_refs")
            .and_then(Value::as_array)
            .and_then(|refs| tlp::strictest_of(refs)),
        author,
        valid_until: text(o, "valid_until"),
        confidence,
        pattern: pattern_text,
        values: values.valid,
    })
}
