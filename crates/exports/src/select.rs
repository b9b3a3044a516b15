//! From the caller's objects to the indicators a format may write: one
//! version per id, active, confident enough, with a pattern that is one
//! observable's values.

use std::collections::HashMap;
use std::io::Write;

use concord_pattern::Pattern;
use concord_stix::Timestamp;
use concord_stix::tlp::{self, Tlp};
use serde_json::{Map, Value};

use crate::context::ExportContext;
use crate::error::ExportError;
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

/// The properties an export reads, found in one pass over the object
/// (a serde_json map with `preserve_order` hashes each key it is asked
/// for; one walk over a dozen entries is several times cheaper).
#[derive(Default)]
struct Fields<'a> {
    modified: Option<&'a str>,
    name: Option<&'a str>,
    pattern: Option<&'a str>,
    pattern_type: Option<&'a Value>,
    revoked: bool,
    withdrawal_reason: Option<&'a str>,
    valid_from: Option<&'a str>,
    valid_until: Option<&'a str>,
    confidence: Option<&'a Value>,
    created_by_ref: Option<&'a str>,
    markings: Option<&'a [Value]>,
    extensions: bool,
}

impl<'a> Fields<'a> {
    fn of(o: &'a Map<String, Value>) -> Fields<'a> {
        let mut f = Fields::default();
        for (k, v) in o {
            match k.as_str() {
                "modified" => f.modified = v.as_str(),
                "name" => f.name = v.as_str(),
                "pattern" => f.pattern = v.as_str(),
                "pattern_type" => f.pattern_type = Some(v),
                "revoked" => f.revoked = v.as_bool() == Some(true),
                "x_concord_withdrawal_reason" => f.withdrawal_reason = v.as_str(),
                "valid_from" => f.valid_from = v.as_str(),
                "valid_until" => f.valid_until = v.as_str(),
                "confidence" => f.confidence = Some(v),
                "created_by_ref" => f.created_by_ref = v.as_str(),
                "object_marking_refs" => f.markings = v.as_array().map(Vec::as_slice),
                "extensions" => f.extensions = true,
                _ => {}
            }
        }
        f
    }
}

/// Whether version `a` of an id supersedes version `b`: the later
/// `modified` wins (an unreadable one loses to a readable one); equal
/// ones are ordered by their JSON text, so the choice never depends on
/// the order of the input.
fn newer(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    let (ma, mb) = (head(a).2.unwrap_or_default(), head(b).2.unwrap_or_default());
    let by_time = match (Timestamp::parse(ma), Timestamp::parse(mb)) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        (Ok(_), Err(_)) => std::cmp::Ordering::Greater,
        (Err(_), Ok(_)) => std::cmp::Ordering::Less,
        (Err(_), Err(_)) => ma.cmp(mb),
    };
    by_time
        .then_with(|| {
            let json = |m: &Map<String, Value>| serde_json::to_string(m).unwrap_or_default();
            json(a).cmp(&json(b))
        })
        .is_gt()
}

/// The receiving end of a selection: a format that takes the selected
/// indicators one at a time (so their values are dropped as soon as the
/// format has taken what it writes) and writes its output at the end.
pub(crate) trait Sink<'a> {
    /// Takes one selected indicator.
    fn add(&mut self, indicator: Indicator<'a>, report: &mut ExportReport);
    /// Writes the output.
    fn finish(self, out: &mut dyn Write, report: &mut ExportReport) -> Result<(), ExportError>;
}

/// `type`, `id` and `modified` of an object, for the first pass that
/// keeps one version per id: it stops as soon as it has all three (and
/// leaves the other properties for the second pass, which reads only the
/// versions kept).
fn head(o: &Map<String, Value>) -> (Option<&str>, Option<&str>, Option<&str>) {
    let mut found = [None; 3];
    let mut seen = 0u8;
    for (k, v) in o {
        let i = match k.as_str() {
            "type" => 0,
            "id" => 1,
            "modified" => 2,
            _ => continue,
        };
        found[i] = v.as_str();
        seen |= 1 << i;
        if seen == 0b111 {
            break;
        }
    }
    (found[0], found[1], found[2])
}

/// Hands the indicators of `objects` that `ctx` selects to `sink`, in
/// input order (the first appearance of each id); everything else is
/// reported as skipped.
pub(crate) fn select<'a>(
    objects: impl IntoIterator<Item = &'a Map<String, Value>>,
    ctx: &ExportContext<'a>,
    report: &mut ExportReport,
    sink: &mut impl Sink<'a>,
) {
    // One version per id: the caller hands the latest versions, but a
    // stray older one must not produce a second rule with the same sid.
    let objects = objects.into_iter();
    let mut latest: Vec<(&'a str, &'a Map<String, Value>)> =
        Vec::with_capacity(objects.size_hint().0);
    let mut at: HashMap<&'a str, usize, foldhash::fast::RandomState> =
        HashMap::with_capacity_and_hasher(
            objects.size_hint().0,
            foldhash::fast::RandomState::default(),
        );
    for o in objects {
        let (object_type, id, _) = head(o);
        if object_type != Some("indicator") {
            report.skip(
                id.unwrap_or_default(),
                None,
                None,
                SkipReason::NotAnIndicator {
                    object_type: object_type.unwrap_or("(no type)").to_string(),
                },
            );
            continue;
        }
        let Some(id) = id else {
            let pattern = o.get("pattern").and_then(Value::as_str);
            report.skip("", pattern, None, SkipReason::MissingId);
            continue;
        };
        match concord_stix::id::StixId::parse(id) {
            Ok(parsed) if parsed.object_type == "indicator" => {}
            Ok(_) => {
                let why = "an indicator's id starts with indicator--".to_string();
                report.skip(id, None, None, SkipReason::InvalidId { why });
                continue;
            }
            Err(e) => {
                report.skip(id, None, None, SkipReason::InvalidId { why: e.0 });
                continue;
            }
        }
        match at.get(id) {
            None => {
                at.insert(id, latest.len());
                latest.push((id, o));
            }
            Some(&i) => {
                let dropped = if newer(o, latest[i].1) {
                    std::mem::replace(&mut latest[i].1, o)
                } else {
                    o
                };
                report.skip(
                    id,
                    dropped.get("pattern").and_then(Value::as_str),
                    None,
                    SkipReason::Superseded {
                        modified: head(dropped).2.unwrap_or_default().to_string(),
                    },
                );
            }
        }
    }
    drop(at);
    for (id, o) in latest {
        if let Some(indicator) = read(id, &Fields::of(o), o, ctx, report) {
            sink.add(indicator, report);
        }
    }
}

fn inactive(f: &Fields<'_>, now: Timestamp) -> Option<SkipReason> {
    if f.revoked {
        // concord's withdrawal: the author's signed, revoked version
        // carrying the reason (crates/node `concord withdraw`).
        return Some(match f.withdrawal_reason {
            Some(reason) => SkipReason::Withdrawn {
                reason: reason.to_string(),
            },
            None => SkipReason::Revoked,
        });
    }
    if let Some(from) = f.valid_from {
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
    if let Some(until) = f.valid_until {
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
    f: &Fields<'a>,
    o: &'a Map<String, Value>,
    ctx: &ExportContext<'a>,
    report: &mut ExportReport,
) -> Option<Indicator<'a>> {
    let pattern_text = f.pattern;
    let mut skip = |reason| {
        report.skip(id, pattern_text, None, reason);
        None
    };
    if !ctx.include_inactive
        && let Some(reason) = inactive(f, ctx.now)
    {
        return skip(reason);
    }
    let confidence = f
        .confidence
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
    match f.pattern_type {
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
    let mut values = match pattern::values(parsed.ast()) {
        Ok(v) => v,
        Err(reason) => return skip(reason),
    };
    if !ctx.kinds.is_empty() {
        // Kinds not asked for are left out as asked, not as skips.
        values.valid.retain(|v| ctx.wants(v.kind()));
        values.invalid.retain(|(_, reason)| match reason {
            SkipReason::InvalidValue { kind, .. } => ctx.wants(*kind),
            _ => true,
        });
    }
    for (value, reason) in values.invalid {
        report.skip(id, Some(pattern_text), Some(value), reason);
    }
    if values.valid.is_empty() {
        return None;
    }
    let signer = if f.extensions {
        concord_trust::signer_of(o)
    } else {
        None
    };
    let identity = signer.or(f.created_by_ref);
    let author = identity.map(|i| ctx.authors.name(i).unwrap_or(i));
    Some(Indicator {
        id,
        modified: f.modified.unwrap_or_default(),
        name: f.name,
        tlp: f.markings.and_then(tlp::strictest_of),
        author,
        valid_until: f.valid_until,
        confidence,
        pattern: pattern_text,
        values: values.valid,
    })
}
