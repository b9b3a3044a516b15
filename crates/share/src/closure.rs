//! Reference closure: what a peer may not see does not exist for it, so an
//! object that points at it is withheld too, and so on to a fixed point.
//!
//! References are every `*_ref` (a string) and `*_refs` (a list of strings)
//! at any depth: `created_by_ref`, `object_refs`, `sighting_of_ref`,
//! `where_sighted_refs`, `source_ref`/`target_ref`, refs inside
//! extensions... Marking refs (`object_marking_refs` and the `marking_ref`
//! of granular markings) are left to [`crate::decide`], which already
//! withholds any marking it does not know.

use std::collections::HashMap;

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
    /// The STIX id referenced.
    pub id: String,
}

/// Every reference in an object, or the first malformed one.
pub fn references(object: &StixObject) -> Result<Vec<Reference>, Reason> {
    let mut out = Vec::new();
    let mut path = Vec::new();
    for (key, value) in object.as_map() {
        if key == "object_marking_refs" || key == "granular_markings" {
            continue;
        }
        path.push(Segment::Key(key));
        walk(key, value, &mut path, &mut out)?;
        path.pop();
    }
    Ok(out)
}

/// The ids an object references, as [`references`] finds them but without
/// rendering their paths: the hot path of every page a peer reads (paths
/// are only needed to explain a withheld object).
pub fn referenced_ids(object: &StixObject) -> Result<Vec<&str>, Reason> {
    let mut out = Vec::new();
    for (key, value) in object.as_map() {
        if key == "object_marking_refs" || key == "granular_markings" {
            continue;
        }
        if !walk_ids(key, value, &mut out) {
            // Malformed somewhere: let the slow walk name where.
            return references(object).map(|_| Vec::new());
        }
    }
    Ok(out)
}

/// [`walk`] without paths; false when a reference is malformed.
fn walk_ids<'a>(key: &str, value: &'a Value, out: &mut Vec<&'a str>) -> bool {
    if key.ends_with("_ref") {
        return match value.as_str() {
            Some(id) => {
                out.push(id);
                true
            }
            None => false,
        };
    }
    if key.ends_with("_refs") {
        let Value::Array(items) = value else {
            return false;
        };
        for item in items {
            match item.as_str() {
                Some(id) => out.push(id),
                None => return false,
            }
        }
        return true;
    }
    match value {
        Value::Object(map) => map.iter().all(|(k, v)| walk_ids(k, v, out)),
        Value::Array(items) => items.iter().all(|v| walk_ids("", v, out)),
        _ => true,
    }
}

/// Where in `object` the reference to `id` is (its first occurrence).
fn path_of_reference(object: &StixObject, id: &str) -> String {
    references(object)
        .ok()
        .and_then(|list| list.into_iter().find(|r| r.id == id))
        .map(|r| r.path)
        .unwrap_or_default()
}

/// A step of a JSON path, rendered only when a reference is found.
enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

fn render(path: &[Segment]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Segment::Key(k) if s.is_empty() => s.push_str(k),
            Segment::Key(k) => {
                s.push('.');
                s.push_str(k);
            }
            Segment::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

fn walk<'a>(
    key: &str,
    value: &'a Value,
    path: &mut Vec<Segment<'a>>,
    out: &mut Vec<Reference>,
) -> Result<(), Reason> {
    let malformed = |path: &[Segment]| Reason::MalformedReference { path: render(path) };
    if key.ends_with("_ref") {
        let id = value.as_str().ok_or_else(|| malformed(path))?;
        out.push(Reference {
            path: render(path),
            id: id.to_string(),
        });
        return Ok(());
    }
    if key.ends_with("_refs") {
        let Value::Array(items) = value else {
            return Err(malformed(path));
        };
        for (i, item) in items.iter().enumerate() {
            let id = item.as_str().ok_or_else(|| malformed(path))?;
            path.push(Segment::Index(i));
            out.push(Reference {
                path: render(path),
                id: id.to_string(),
            });
            path.pop();
        }
        return Ok(());
    }
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                path.push(Segment::Key(k));
                walk(k, v, path, out)?;
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                path.push(Segment::Index(i));
                walk("", v, path, out)?;
                path.pop();
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
///
/// Work is proportional to the number of references: an object is checked
/// again only when the last shared version of an id it references is
/// withheld.
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
    let n = objects.len().min(decisions.len());
    let mut shared_versions: HashMap<&str, usize> = HashMap::new();
    for (o, d) in objects.iter().zip(decisions.iter()) {
        if d.is_share() {
            *shared_versions.entry(o.id()).or_default() += 1;
        }
    }
    let refs: Vec<Option<Result<Vec<&str>, Reason>>> = objects[..n]
        .iter()
        .zip(decisions.iter())
        .map(|(o, d)| d.is_share().then(|| referenced_ids(o)))
        .collect();
    let mut referrers: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, r) in refs.iter().enumerate() {
        if let Some(Ok(list)) = r {
            for id in list {
                referrers.entry(id).or_default().push(i);
            }
        }
    }
    let mut queue: Vec<usize> = (0..n).rev().collect();
    while let Some(i) = queue.pop() {
        let (Some(decision), Some(Some(r))) = (decisions.get(i), refs.get(i)) else {
            continue;
        };
        if !decision.is_share() {
            continue;
        }
        let reason = match r {
            Err(reason) => Some(reason.clone()),
            Ok(list) => list
                .iter()
                .find(|id| {
                    shared_versions.get(*id).is_none_or(|c| *c == 0)
                        && Tlp::from_marking_id(id).is_none()
                        && !visible_elsewhere(id)
                })
                .map(|id| Reason::DanglingReference {
                    path: path_of_reference(&objects[i], id),
                }),
        };
        let Some(reason) = reason else { continue };
        if let Some(d) = decisions.get_mut(i) {
            *d = Decision::Withhold(reason);
        }
        let id = objects[i].id();
        if let Some(count) = shared_versions.get_mut(id) {
            *count = count.saturating_sub(1);
            if *count == 0
                && let Some(list) = referrers.get(id)
            {
                queue.extend(list.iter().copied());
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
