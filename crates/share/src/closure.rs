//! Reference closure: what a peer may not see does not exist for it, so an
//! object that points at it is withheld too, and so on to a fixed point.
//!
//! References are every `*_ref` (a string) and `*_refs` (a list of strings)
//! at any depth: `created_by_ref`, `object_refs`, `sighting_of_ref`,
//! `where_sighted_refs`, `source_ref`/`target_ref`, refs inside
//! extensions... Marking refs (`object_marking_refs` and the `marking_ref`
//! of granular markings) are left to [`crate::decide`], which already
//! withholds any marking it does not know.

use std::collections::HashSet;

use concord_stix::StixObject;
use concord_stix::tlp::Tlp;
use serde_json::Value;

use crate::decide::{Decision, decide};
use crate::error::Reason;
use crate::policy::{EgressPolicy, Provenance, Recipient};

/// One reference found in an object: where, and to what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// JSON path of the property, e.g. `object_refs[2]`.
    pub path: String,
    pub id: String,
}

/// Every reference in an object, or the first malformed one.
pub fn references(object: &StixObject) -> Result<Vec<Reference>, Reason> {
    let mut out = Vec::new();
    for (key, value) in object.as_map() {
        if key == "object_marking_refs" || key == "granular_markings" {
            continue;
        }
        walk(key, key, value, &mut out)?;
    }
    Ok(out)
}

fn walk(key: &str, path: &str, value: &Value, out: &mut Vec<Reference>) -> Result<(), Reason> {
    let malformed = || Reason::MalformedReference {
        path: path.to_string(),
    };
    if key.ends_with("_ref") {
        let id = value.as_str().ok_or_else(malformed)?;
        out.push(Reference {
            path: path.to_string(),
            id: id.to_string(),
        });
        return Ok(());
    }
    if key.ends_with("_refs") {
        let Value::Array(items) = value else {
            return Err(malformed());
        };
        for (i, item) in items.iter().enumerate() {
            let id = item.as_str().ok_or_else(malformed)?;
            out.push(Reference {
                path: format!("{path}[{i}]"),
                id: id.to_string(),
            });
        }
        return Ok(());
    }
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                walk(k, &format!("{path}.{k}"), v, out)?;
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk("", &format!("{path}[{i}]"), v, out)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Withholds, to a fixed point, every shared object that references an id
/// the recipient may not see. `decisions[i]` is the decision for
/// `objects[i]`; an object with no decision counts as withheld, and extra
/// decisions are withheld as well.
///
/// An id is visible when some version of it is shared in this set, when it
/// is a TLP marking definition, or when `visible_elsewhere` says so (the
/// caller decided it in another page or set). Anything else, including ids
/// this node does not hold, is not visible: the reference would leak it.
pub fn withhold_dangling(
    objects: &[StixObject],
    decisions: &mut [Decision],
    visible_elsewhere: &dyn Fn(&str) -> bool,
) {
    for d in decisions.iter_mut().skip(objects.len()) {
        if d.is_share() {
            *d = Decision::Withhold(Reason::MissingId);
        }
    }
    let refs: Vec<Result<Vec<Reference>, Reason>> = objects.iter().map(references).collect();
    loop {
        let visible: HashSet<&str> = objects
            .iter()
            .zip(decisions.iter())
            .filter(|(_, d)| d.is_share())
            .map(|(o, _)| o.id())
            .collect();
        let is_visible = |id: &str| {
            visible.contains(id) || Tlp::from_marking_id(id).is_some() || visible_elsewhere(id)
        };
        let mut changed = Vec::new();
        for (i, (r, d)) in refs.iter().zip(decisions.iter()).enumerate() {
            if !d.is_share() {
                continue;
            }
            match r {
                Err(reason) => changed.push((i, reason.clone())),
                Ok(list) => {
                    if let Some(bad) = list.iter().find(|r| !is_visible(&r.id)) {
                        changed.push((
                            i,
                            Reason::DanglingReference {
                                path: bad.path.clone(),
                            },
                        ));
                    }
                }
            }
        }
        if changed.is_empty() {
            return;
        }
        for (i, reason) in changed {
            if let Some(d) = decisions.get_mut(i) {
                *d = Decision::Withhold(reason);
            }
        }
    }
}

/// Decides a whole set for one recipient and closes it over references:
/// the one call every way out (TAXII objects, manifests, versions, counts,
/// export, API, match results) makes before answering.
pub fn decide_set(
    policy: &EgressPolicy,
    objects: &[StixObject],
    recipient: &Recipient,
    provenance_of: &dyn Fn(&StixObject) -> Provenance,
    visible_elsewhere: &dyn Fn(&str) -> bool,
) -> Vec<Decision> {
    let mut decisions: Vec<Decision> = objects
        .iter()
        .map(|o| decide(policy, o, recipient, &provenance_of(o)))
        .collect();
    withhold_dangling(objects, &mut decisions, visible_elsewhere);
    decisions
}
