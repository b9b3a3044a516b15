//! The decision for one object version and one recipient.
//!
//! Order of the rules, so that the reason names the first one broken:
//! the member's `never_export` classes (nothing overrides them), the
//! author's `never_export`, markings (malformed, unknown, none), the
//! member's type and label rules, then entitlement at the object's TLP
//! level (policy, relay limits, public collections, charter membership,
//! audience, RED), and last the granular markings, which withhold the whole
//! object when stricter than the recipient's entitlement (redaction would
//! break the author's signature and the (id, modified) identity).

use concord_stix::StixObject;
use concord_stix::tlp::Tlp;
use serde_json::{Map, Value};

use crate::audience::{Audience, Relay, read_audience};
use crate::error::{NeverExportClass, Reason};
use crate::policy::{EgressPolicy, NeverExport, Provenance, Recipient};

/// What the node does with one object version for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The recipient may see this version.
    Share,
    /// The version does not exist for the recipient, for this reason.
    Withhold(Reason),
}

impl Decision {
    /// Whether the version is shared.
    pub fn is_share(&self) -> bool {
        matches!(self, Decision::Share)
    }

    /// The reason, when withheld.
    pub fn reason(&self) -> Option<&Reason> {
        match self {
            Decision::Share => None,
            Decision::Withhold(r) => Some(r),
        }
    }
}

/// Decides whether `object`, held by this node as `provenance` says, may go
/// to `recipient` under the member's `policy`. Pure and total: any input,
/// however malformed, gives a decision, and doubt gives a withhold.
///
/// This does not look at references; run [`crate::withhold_dangling`] over
/// the decisions of a whole set before sending any of it.
pub fn decide(
    policy: &EgressPolicy,
    object: &StixObject,
    recipient: &Recipient,
    provenance: &Provenance,
) -> Decision {
    match check(policy, object, recipient, provenance) {
        Ok(()) => Decision::Share,
        Err(reason) => Decision::Withhold(reason),
    }
}

fn check(
    policy: &EgressPolicy,
    object: &StixObject,
    recipient: &Recipient,
    provenance: &Provenance,
) -> Result<(), Reason> {
    let map = object.as_map();
    let labels = read_labels(map)?;
    if let Some(class) = never_export_class(policy, object, &labels) {
        return Err(Reason::NeverExport(class));
    }
    let audience = read_audience(map)?;
    if audience.as_ref().is_some_and(|a| a.never_export) {
        return Err(Reason::NeverExportByAuthor);
    }
    if object.id().is_empty() {
        return Err(Reason::MissingId);
    }
    let markings = read_markings(map, policy)?;
    let level = markings.object.ok_or(Reason::Unmarked)?;
    if let Some(allowed) = &policy.allow_types
        && !allowed.contains(object.object_type())
    {
        return Err(Reason::TypeDenied);
    }
    if policy.deny_types.contains(object.object_type()) {
        return Err(Reason::TypeDenied);
    }
    if labels.iter().any(|l| policy.deny_labels.contains(*l)) {
        return Err(Reason::LabelDenied);
    }
    entitled(policy, level, audience.as_ref(), recipient, provenance)?;
    if let Some(granular) = markings.granular
        && granular > level
    {
        entitled(policy, granular, audience.as_ref(), recipient, provenance)
            .map_err(|_| Reason::GranularAbove(granular))?;
    }
    Ok(())
}

/// Whether the recipient may receive an object at `level` (section 6 table).
fn entitled(
    policy: &EgressPolicy,
    level: Tlp,
    audience: Option<&Audience>,
    recipient: &Recipient,
    provenance: &Provenance,
) -> Result<(), Reason> {
    if level != Tlp::Red && !policy.allow_tlp.contains(&level) {
        return Err(Reason::TlpDenied(level));
    }
    if let Provenance::Relay { author } = provenance {
        if author.is_empty() {
            return Err(Reason::UnknownAuthor);
        }
        if level > Tlp::Green {
            return Err(Reason::RelayAboveGreen(level));
        }
        if audience.is_some_and(|a| a.relay == Relay::None) {
            return Err(Reason::RelayForbiddenByAuthor);
        }
    }
    match recipient {
        Recipient::Public => {
            if level != Tlp::Clear || !policy.clear_to_public {
                return Err(Reason::NotPublic(level));
            }
            if audience.is_some() {
                return Err(Reason::NotInAudience);
            }
        }
        Recipient::Peer(peer) => {
            if level >= Tlp::Green && !peer.charter_member {
                return Err(Reason::NotCharterMember(level));
            }
            let named =
                |a: &Audience| a.names(&peer.member, peer.groups.iter().map(String::as_str));
            match audience {
                None if level >= Tlp::Amber => return Err(Reason::NoAudience(level)),
                Some(a) if !named(a) => return Err(Reason::NotInAudience),
                _ => {}
            }
            if level == Tlp::Red && !policy.red_to.contains(&peer.member) {
                return Err(Reason::RedNotAllowed);
            }
        }
    }
    Ok(())
}

fn read_labels(map: &Map<String, Value>) -> Result<Vec<&str>, Reason> {
    match map.get("labels") {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().ok_or(Reason::MalformedLabels))
            .collect(),
        Some(_) => Err(Reason::MalformedLabels),
    }
}

fn never_export_class(
    policy: &EgressPolicy,
    object: &StixObject,
    labels: &[&str],
) -> Option<NeverExportClass> {
    policy.never_export.iter().find_map(|rule| match rule {
        NeverExport::Type(t) => {
            (object.object_type() == t).then(|| NeverExportClass::Type(t.clone()))
        }
        NeverExport::Label(l) => labels
            .contains(&l.as_str())
            .then(|| NeverExportClass::Label(l.clone())),
        NeverExport::DataClass {
            name,
            object_type,
            property,
        } => (object_type
            .as_deref()
            .is_none_or(|t| t == object.object_type())
            && object.get(property).is_some())
        .then(|| NeverExportClass::DataClass(name.clone())),
    })
}

/// The strictest TLP levels of the object-level and granular markings.
struct Markings {
    object: Option<Tlp>,
    granular: Option<Tlp>,
}

/// The TLP level a marking ref stands for; `Ok(None)` for a non-TLP marking
/// the policy accepts; an error for any other.
fn marking_level(
    policy: &EgressPolicy,
    marking: &Value,
    path: &'static str,
) -> Result<Option<Tlp>, Reason> {
    let id = marking.as_str().ok_or(Reason::MalformedMarkings { path })?;
    match Tlp::from_marking_id(id) {
        Some(t) => Ok(Some(t)),
        None if policy.accepted_markings.contains(id) => Ok(None),
        None => Err(Reason::UnknownMarking { path }),
    }
}

fn read_markings(map: &Map<String, Value>, policy: &EgressPolicy) -> Result<Markings, Reason> {
    const OBJECT: &str = "object_marking_refs";
    const GRANULAR: &str = "granular_markings";
    let mut object = None;
    match map.get(OBJECT) {
        None => {}
        Some(Value::Array(refs)) => {
            for r in refs {
                object = object.max(marking_level(policy, r, OBJECT)?);
            }
        }
        Some(_) => return Err(Reason::MalformedMarkings { path: OBJECT }),
    }
    let mut granular = None;
    match map.get(GRANULAR) {
        None => {}
        Some(Value::Array(items)) => {
            for item in items {
                let Value::Object(g) = item else {
                    return Err(Reason::MalformedMarkings { path: GRANULAR });
                };
                match (g.get("marking_ref"), g.get("lang")) {
                    (Some(_), Some(_)) => {
                        return Err(Reason::MalformedMarkings { path: GRANULAR });
                    }
                    (Some(r), None) => granular = granular.max(marking_level(policy, r, GRANULAR)?),
                    (None, Some(Value::String(_))) => {}
                    (None, _) => return Err(Reason::MalformedMarkings { path: GRANULAR }),
                }
            }
        }
        Some(_) => return Err(Reason::MalformedMarkings { path: GRANULAR }),
    }
    Ok(Markings { object, granular })
}
