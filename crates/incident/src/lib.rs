//! Incidents coordinated among members (issue 8): a STIX `incident`
//! (with the OASIS incident core extension where it fits: investigation
//! status, criticality, determination) owned and signed by one member,
//! `note` objects as its timeline, relationships to what it involves.
//!
//! A request for assistance is the incident's audience: the members it
//! names receive it (AMBER and stricter reach nobody else). Each addressee
//! answers with a note authored and signed on its own node (acknowledge,
//! decline, or a contribution), addressed to the owner and the other
//! addressees; everything travels through the ordinary sync and sharing
//! policy. Only the owner changes the incident: each change is a new
//! signed version.

pub mod actions;
mod error;
pub mod sighting;
pub mod timeline;

pub use error::{IncidentError, Result};
pub use sighting::{Addressing, SightingsSection, author_of};

use concord_stix::Timestamp;
use concord_stix::tlp::Tlp;
use serde::Serialize;
use serde_json::{Map, Value, json};

/// The OASIS incident core extension (cti-stix-common-objects,
/// extension-definition-specifications/incident-core).
pub const CORE_EXTENSION: &str = "extension-definition--ef765651-680c-498d-9894-99799f2fa126";
/// concord's coordination properties of an incident.
pub const PROPERTY: &str = "x_concord_incident";
/// On a note: what the note is (acknowledge, decline, note).
pub const RESPONSE: &str = "x_concord_response";

/// The workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Opened, nobody has looked at it yet.
    New,
    /// Looked at and judged.
    Triaged,
    /// Being investigated.
    Investigating,
    /// Its spread is stopped.
    Contained,
    /// Its cause is removed.
    Resolved,
    /// Done with.
    Closed,
}

/// Every status, in workflow order.
pub const STATUSES: [Status; 6] = [
    Status::New,
    Status::Triaged,
    Status::Investigating,
    Status::Contained,
    Status::Resolved,
    Status::Closed,
];

impl Status {
    /// The lower-case word used in objects, the CLI and the API.
    pub fn word(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Triaged => "triaged",
            Status::Investigating => "investigating",
            Status::Contained => "contained",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
        }
    }

    /// Reads a [`Status::word`]; anything else is `None`.
    pub fn parse(s: &str) -> Option<Status> {
        STATUSES.into_iter().find(|x| x.word() == s)
    }

    /// The incident core extension's `investigation_status` vocabulary.
    pub fn investigation_status(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Closed => "closed",
            _ => "open",
        }
    }

    /// Moves go forward (steps may be skipped); a resolved or closed
    /// incident may be reopened to investigating.
    pub fn may_become(self, next: Status) -> bool {
        next > self || (self >= Status::Resolved && next == Status::Investigating)
    }
}

/// How bad an incident is, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Low.
    Low,
    /// Medium (the default of incidents that do not say).
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// The lower-case word used in objects, the CLI and the API.
    pub fn word(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Reads a [`Severity::word`]; anything else is `None`.
    pub fn parse(s: &str) -> Option<Severity> {
        [
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ]
        .into_iter()
        .find(|x| x.word() == s)
    }

    /// The core extension's `criticality` (0 to 100).
    pub fn criticality(self) -> u64 {
        match self {
            Severity::Low => 25,
            Severity::Medium => 50,
            Severity::High => 75,
            Severity::Critical => 100,
        }
    }
}

/// What a new incident says.
#[derive(Debug, Clone)]
pub struct NewIncident {
    /// The incident's `name`.
    pub title: String,
    /// Its `description`, if any.
    pub description: Option<String>,
    /// How bad it is.
    pub severity: Severity,
    /// Sectors affected, as given.
    pub sectors: Vec<String>,
    /// Countries affected, as given.
    pub countries: Vec<String>,
    /// Members asked for assistance.
    pub requested: Vec<String>,
}

/// An incident as read from its latest version.
#[derive(Debug, Clone, Serialize)]
pub struct Incident {
    /// The STIX id (`incident--...`).
    pub id: String,
    /// Its `name`, or its id when it has none.
    pub title: String,
    /// Where it is in the workflow.
    pub status: Status,
    /// How bad it is.
    pub severity: Severity,
    /// The STIX identity id of the member that owns it ("" if unknown).
    pub owner: String,
    /// Its TLP level as a word (`Tlp::word`), `None` when unmarked.
    pub tlp: Option<String>,
    /// Identity ids of the members asked for assistance.
    pub requested: Vec<String>,
    /// Sectors affected.
    pub sectors: Vec<String>,
    /// Countries affected.
    pub countries: Vec<String>,
    /// Its `created` timestamp as written ("" if missing).
    pub created: String,
    /// Its `modified` timestamp as written ("" if missing).
    pub modified: String,
    /// Its `description`, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl std::fmt::Display for Incident {
    /// One line: id, status, severity, title and owner.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}  {:<13} {:<8} {}  (owner {})",
            self.id,
            self.status.word(),
            self.severity.word(),
            self.title,
            self.owner
        )
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

impl Incident {
    /// Reads an incident object; objects not made by concord get the
    /// defaults (status from the core extension, else new; severity medium;
    /// owner its signer or creator).
    pub fn read(o: &Map<String, Value>) -> Result<Incident> {
        let text = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_string);
        let Some(id) = text("id").filter(|i| i.starts_with("incident--")) else {
            return Err(IncidentError::Invalid(
                "not an incident object (its id does not start with incident--)".to_string(),
            ));
        };
        let ours = o.get(PROPERTY).and_then(Value::as_object);
        let core = o
            .get("extensions")
            .and_then(|e| e.get(CORE_EXTENSION))
            .and_then(Value::as_object);
        let status = ours
            .and_then(|x| x.get("status"))
            .and_then(Value::as_str)
            .and_then(Status::parse)
            .or_else(|| {
                match core
                    .and_then(|c| c.get("investigation_status"))
                    .and_then(Value::as_str)
                {
                    Some("open") => Some(Status::Investigating),
                    Some("closed") => Some(Status::Closed),
                    _ => None,
                }
            })
            .unwrap_or(Status::New);
        let severity = ours
            .and_then(|x| x.get("severity"))
            .and_then(Value::as_str)
            .and_then(Severity::parse)
            .unwrap_or(Severity::Medium);
        let owner = ours
            .and_then(|x| x.get("owner"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| author_of(o))
            .or_else(|| text("created_by_ref"))
            .unwrap_or_default();
        Ok(Incident {
            title: text("name").unwrap_or_else(|| id.clone()),
            id,
            status,
            severity,
            owner,
            tlp: concord_stix::tlp::of_object(o).map(|t| t.word().to_string()),
            requested: strings(ours.and_then(|x| x.get("requested"))),
            sectors: strings(ours.and_then(|x| x.get("sectors"))),
            countries: strings(ours.and_then(|x| x.get("countries"))),
            created: text("created").unwrap_or_default(),
            modified: text("modified").unwrap_or_default(),
            description: text("description"),
        })
    }

    /// Whether `member` takes part: it owns the incident or was asked.
    pub fn involves(&self, member: &str) -> bool {
        self.owner == member || self.requested.iter().any(|m| m == member)
    }
}

/// The first version of a new incident, unsigned and unmarked.
pub fn new_object(spec: &NewIncident, owner: &str, now: Timestamp) -> Map<String, Value> {
    let mut o = json!({
        "type": "incident", "spec_version": "2.1",
        "id": concord_stix::id::new_id("incident"),
        "created": now.to_stix(), "modified": now.to_stix(),
        "created_by_ref": owner,
        "name": spec.title,
        "extensions": {
            CORE_EXTENSION: {
                "extension_type": "property-extension",
                "investigation_status": Status::New.investigation_status(),
                "criticality": spec.severity.criticality(),
                "determination": "suspected",
            }
        },
        PROPERTY: {
            "status": Status::New.word(),
            "severity": spec.severity.word(),
            "owner": owner,
        },
    });
    if let Some(d) = &spec.description {
        o["description"] = Value::from(d.clone());
    }
    for (k, list) in [
        ("requested", &spec.requested),
        ("sectors", &spec.sectors),
        ("countries", &spec.countries),
    ] {
        if !list.is_empty() {
            o[PROPERTY][k] = json!(list);
        }
    }
    match o {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// A change the owner makes.
#[derive(Debug, Clone, Default)]
pub struct Change {
    /// The new status (`None`: unchanged).
    pub status: Option<Status>,
    /// The new severity (`None`: unchanged).
    pub severity: Option<Severity>,
}

/// The next version of an incident with `change` applied: a newer
/// `modified`, the provenance signature dropped (the caller signs again).
pub fn next_version(
    latest: &Map<String, Value>,
    change: &Change,
    now: Timestamp,
) -> Result<Map<String, Value>> {
    let current = Incident::read(latest)?;
    let mut next = latest.clone();
    let previous = Timestamp::parse(&current.modified).map_err(|_| {
        IncidentError::Invalid(format!(
            "{}: its modified timestamp is unreadable",
            current.id
        ))
    })?;
    let modified = Timestamp(now.0.max(previous.0 + 1_000));
    next.insert("modified".into(), modified.to_stix().into());
    let mut ours = next
        .get(PROPERTY)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut core = next
        .get("extensions")
        .and_then(|e| e.get(CORE_EXTENSION))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_else(|| {
            let mut m = Map::new();
            m.insert("extension_type".into(), "property-extension".into());
            m
        });
    if let Some(s) = change.status {
        if !current.status.may_become(s) {
            return Err(IncidentError::Invalid(format!(
                "{} is {}: it cannot become {} (the workflow goes new, triaged, investigating, contained, resolved, closed; a resolved or closed incident may go back to investigating)",
                current.id,
                current.status.word(),
                s.word()
            )));
        }
        ours.insert("status".into(), s.word().into());
        core.insert(
            "investigation_status".into(),
            s.investigation_status().into(),
        );
    }
    if let Some(sev) = change.severity {
        ours.insert("severity".into(), sev.word().into());
        core.insert("criticality".into(), sev.criticality().into());
    }
    next.insert(PROPERTY.into(), Value::Object(ours));
    if let Some(Value::Object(ext)) = next.get_mut("extensions") {
        ext.insert(CORE_EXTENSION.into(), Value::Object(core));
    }
    Ok(next)
}

/// Whom what answers an incident goes to: its owner and every member it
/// asked (the requester sees every answer, the addressees see each
/// other's), under the incident's TLP. An incident with no audience
/// (CLEAR or GREEN to all members) is answered just as widely.
pub fn answer_addressing(incident: &Map<String, Value>) -> Result<Addressing> {
    let i = Incident::read(incident)?;
    let tlp = concord_stix::tlp::of_object(incident).unwrap_or(Tlp::AmberStrict);
    let audience = match concord_trust::read_audience(incident) {
        Ok(Some(a)) => {
            let mut list = a.audience;
            if !list.contains(&i.owner) && !i.owner.is_empty() {
                list.push(i.owner.clone());
            }
            Some(list)
        }
        Ok(None) if tlp <= Tlp::Green => None,
        Ok(None) => Some(vec![i.owner.clone()]),
        Err(e) => {
            return Err(IncidentError::Invalid(format!(
                "{}: its audience extension is malformed: {e}",
                i.id
            )));
        }
    };
    Ok(Addressing {
        tlp,
        audience,
        local: false,
    })
}

/// A note on an incident (an answer, or a timeline entry).
pub fn note(
    incident: &str,
    me: &str,
    kind: &str,
    text: &str,
    now: Timestamp,
) -> Map<String, Value> {
    let mut m = Map::new();
    for (k, v) in [
        ("type", Value::from("note")),
        ("spec_version", "2.1".into()),
        ("id", concord_stix::id::new_id("note").into()),
        ("created", now.to_stix().into()),
        ("modified", now.to_stix().into()),
        ("created_by_ref", me.into()),
        ("abstract", kind.into()),
        ("content", text.into()),
        ("object_refs", json!([incident])),
        (RESPONSE, kind.into()),
    ] {
        m.insert(k.into(), v);
    }
    m
}

/// A `related-to` relationship from an object to the incident.
pub fn link(incident: &str, object: &str, me: &str, now: Timestamp) -> Map<String, Value> {
    let mut m = Map::new();
    for (k, v) in [
        ("type", Value::from("relationship")),
        ("spec_version", "2.1".into()),
        ("id", concord_stix::id::new_id("relationship").into()),
        ("created", now.to_stix().into()),
        ("modified", now.to_stix().into()),
        ("created_by_ref", me.into()),
        ("relationship_type", "related-to".into()),
        ("source_ref", object.into()),
        ("target_ref", incident.into()),
    ] {
        m.insert(k.into(), v);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> NewIncident {
        NewIncident {
            title: "Ransomware at a hospital".into(),
            description: None,
            severity: Severity::High,
            sectors: vec!["health-care".into()],
            countries: vec!["PT".into()],
            requested: vec!["identity--b".into()],
        }
    }

    #[test]
    fn an_incident_and_its_view_read_as_lines() {
        let i = Incident {
            id: "incident--x".into(),
            title: "Outage".into(),
            status: Status::Triaged,
            severity: Severity::High,
            owner: "identity--a".into(),
            tlp: None,
            requested: Vec::new(),
            sectors: Vec::new(),
            countries: Vec::new(),
            created: String::new(),
            modified: String::new(),
            description: None,
        };
        assert_eq!(
            i.to_string(),
            "incident--x  triaged       high     Outage  (owner identity--a)"
        );
        let v = timeline::View {
            incident: i,
            timeline: vec![timeline::Entry {
                at: "t".into(),
                author: "identity--a".into(),
                kind: "opened".into(),
                id: "incident--x".into(),
                text: None,
            }],
            responses: vec![timeline::Response {
                member: "identity--b".into(),
                answer: "acknowledged".into(),
                at: "t2".into(),
            }],
            pending: vec!["identity--c".into()],
            related: Vec::new(),
        };
        assert_eq!(
            v.to_string(),
            "Outage\n  incident--x | status triaged | severity high | owner identity--a | TLP none\n  identity--b acknowledged at t2\n  identity--c has not answered\n  t  opened      identity--a  "
        );
    }

    #[test]
    fn the_workflow_goes_forward_and_may_reopen() {
        assert!(Status::New.may_become(Status::Investigating));
        assert!(!Status::Contained.may_become(Status::Triaged));
        assert!(!Status::New.may_become(Status::New));
        assert!(Status::Closed.may_become(Status::Investigating));
        assert!(!Status::Closed.may_become(Status::New));
    }

    #[test]
    fn a_new_incident_reads_back_and_changes_in_new_versions() {
        let now = Timestamp::parse("2026-11-25T10:00:00Z").unwrap();
        let o = new_object(&spec(), "identity--a", now);
        let i = Incident::read(&o).unwrap();
        assert_eq!(i.status, Status::New);
        assert_eq!(i.owner, "identity--a");
        assert_eq!(i.requested, vec!["identity--b".to_string()]);
        assert!(i.involves("identity--b") && !i.involves("identity--c"));
        let next = next_version(
            &o,
            &Change {
                status: Some(Status::Triaged),
                severity: Some(Severity::Critical),
            },
            now,
        )
        .unwrap();
        let j = Incident::read(&next).unwrap();
        assert_eq!(j.status, Status::Triaged);
        assert_eq!(j.severity, Severity::Critical);
        assert!(j.modified > i.modified, "a newer version");
        assert_eq!(
            next["extensions"][CORE_EXTENSION]["investigation_status"],
            "open"
        );
        let back = Change {
            status: Some(Status::New),
            severity: None,
        };
        assert!(next_version(&next, &back, now).is_err());
    }

    #[test]
    fn answers_go_to_the_owner_and_the_addressees() {
        let now = Timestamp::now();
        let mut o = new_object(&spec(), "identity--a", now);
        o.insert(
            "object_marking_refs".into(),
            json!([Tlp::Amber.marking_id()]),
        );
        concord_trust::set_audience(
            &mut o,
            &concord_trust::Audience {
                audience: vec!["identity--b".into(), "identity--c".into()],
                relay: concord_trust::Relay::None,
                retain_days: None,
                never_export: false,
            },
        )
        .unwrap();
        let a = answer_addressing(&o).unwrap();
        assert_eq!(a.tlp, Tlp::Amber);
        assert_eq!(
            a.audience,
            Some(vec![
                "identity--b".to_string(),
                "identity--c".into(),
                "identity--a".into()
            ])
        );
    }
}
