//! MISP events to STIX 2.1, following misp-stix's MISP-to-STIX 2.1 mapping
//! where concord has no reason to differ:
//!
//! - a published event becomes a `report`, an unpublished one a `grouping`
//!   (context `suspicious-activity`), with the id `report--<event uuid>` or
//!   `grouping--<event uuid>` (misp-stix's choice: publishing an event
//!   therefore yields a report beside the earlier grouping);
//! - an attribute with `to_ids` becomes `indicator--<attribute uuid>` with a
//!   STIX pattern; one without becomes `observed-data--<attribute uuid>`
//!   whose `object_refs` name SCOs with deterministic ids (misp-stix makes
//!   both for a `to_ids` attribute; concord keeps the indicator);
//! - a MISP object of a mapped template becomes `indicator--<object uuid>`
//!   (its `to_ids` attributes) and `observed-data--<object uuid>` (the
//!   others); an object of another template has its attributes converted
//!   one by one;
//! - galaxy clusters become their SDOs, tied to what names them by
//!   relationships; sightings become `sighting--<uuid>` (false positives an
//!   `opinion`);
//! - `modified` is the MISP `timestamp` of the record, so a changed
//!   attribute gives a newer version and an unchanged one the same
//!   (id, modified); a deleted attribute gives a revoked version.
//!
//! Addresses (`ip-src`, `ip-dst`) become `[ipv4-addr:value = '…']` rather
//! than misp-stix's network-traffic pattern, so that concord's matcher and
//! other consumers index them as addresses; the direction stays in the
//! `misp:type` label.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use concord_stix::Timestamp;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::galaxy::{self, UNVERSIONED};
use crate::model::{self, Attribute, Cluster, Event, MispObject, Organisation, Sighting};
use crate::observable::{self, Comparison, Shape};
use crate::path::JsonPath;
use crate::report::{Conversion, Converted, ImportReport, Record, Unmapped};
use crate::sharing::{GroupResolver, Sharing, level_sharing, tlp_of_tag};
use crate::{MispError, feed, field, template};

/// Namespace of the UUIDv5 ids concord derives for MISP records that have
/// no UUID of their own (relationships, restricted parts of an event).
pub const MISP_NAMESPACE: Uuid = Uuid::from_bytes([
    0x6d, 0x69, 0x73, 0x70, 0x2d, 0x63, 0x6f, 0x6e, 0x63, 0x6f, 0x72, 0x64, 0x2d, 0x73, 0x74, 0x78,
]);

/// Converts MISP input to STIX. Holds the caller's choices: how sharing
/// groups map to charter members, and the sharing of events that say
/// nothing (no distribution, no TLP tag, as in MISP feeds).
pub struct Importer<'r> {
    resolver: &'r dyn GroupResolver,
    unspecified: Sharing,
}

/// The MISP default of `to_ids` per type (PyMISP's describeTypes
/// `sane_defaults`), used when an attribute does not say.
fn default_to_ids(misp_type: &str) -> bool {
    !matches!(
        misp_type,
        "link"
            | "email-reply-to"
            | "email-subject"
            | "email-body"
            | "email-x-mailer"
            | "mac-address"
            | "AS"
            | "user-agent"
            | "port"
            | "vulnerability"
            | "campaign-name"
            | "attachment"
            | "text"
            | "comment"
            | "other"
            | "size-in-bytes"
            | "http-method"
            | "github-username"
            | "email-message-id"
    )
}

fn stamp(seconds: i64) -> Option<String> {
    // Years 1970 to 9999, as STIX timestamps allow.
    (0..=253_402_300_799)
        .contains(&seconds)
        .then(|| Timestamp(seconds * 1_000_000).to_stix())
}

/// Objects of the whole conversion, each id once.
#[derive(Default)]
struct Out {
    objects: Vec<Converted>,
    index: HashMap<String, usize>,
}

impl Out {
    fn push(&mut self, object: Map<String, Value>, sharing: Sharing) {
        let id = object
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        match self.index.get(&id) {
            Some(&at) => {
                let slot = &mut self.objects[at];
                let wider = slot.sharing.widen(&sharing);
                if wider != slot.sharing {
                    slot.sharing = wider;
                    mark(&mut slot.object, &slot.sharing);
                }
            }
            None => {
                self.index.insert(id, self.objects.len());
                self.objects.push(Converted { object, sharing });
            }
        }
    }
}

fn mark(object: &mut Map<String, Value>, sharing: &Sharing) {
    match sharing.tlp {
        Some(t) => {
            object.insert("object_marking_refs".into(), json!([t.marking_id()]));
        }
        None => {
            object.remove("object_marking_refs");
        }
    }
}

fn sdo(object_type: &str, id: String, created: &str, modified: &str) -> Map<String, Value> {
    let mut o = Map::new();
    o.insert("type".into(), object_type.into());
    o.insert("spec_version".into(), "2.1".into());
    o.insert("id".into(), id.into());
    o.insert("created".into(), created.into());
    o.insert("modified".into(), modified.into());
    o
}

fn identity(org: &Organisation) -> Option<(String, Map<String, Value>)> {
    let uuid = org.uuid?;
    let id = format!("identity--{uuid}");
    let mut o = sdo("identity", id.clone(), UNVERSIONED, UNVERSIONED);
    let name = if org.name.is_empty() {
        "MISP organisation"
    } else {
        org.name.as_str()
    };
    o.insert("name".into(), name.into());
    o.insert("identity_class".into(), "organization".into());
    Some((id, o))
}

/// One part of a MISP object (its indicator or its observed-data): the
/// comparisons, the sharing, the tags, and how many attributes it maps.
type Part<'t> = (
    Vec<Comparison>,
    Option<Sharing>,
    Vec<std::borrow::Cow<'t, str>>,
    usize,
);

/// One event being converted.
struct EventCx<'e, 'v> {
    importer: &'e Importer<'e>,
    event: &'e Event<'v>,
    sharing: Sharing,
    modified: String,
    author: Option<String>,
    /// What the event's report or grouping refers to, with its sharing.
    refs: Vec<(String, Sharing)>,
    /// Ids made from each attribute (for sightings and relationships).
    cluster_ids: HashMap<(String, String), String>,
}

/// Below this many attributes in an event, one thread prepares them all
/// (starting threads would cost more than it saves).
const PARALLEL_FROM: usize = 2_048;

/// One attribute's sharing, `modified`, and its marked, valid unit (or why
/// it has none), before it is placed among the event's objects.
struct PreparedAttribute {
    sharing: Sharing,
    modified: String,
    unit: Result<Vec<Map<String, Value>>, String>,
}

/// A unit marked with its sharing, or the first validation error.
fn marked_and_valid(
    mut objects: Vec<Map<String, Value>>,
    sharing: &Sharing,
) -> Result<Vec<Map<String, Value>>, String> {
    for o in &mut objects {
        mark(o, sharing);
    }
    match objects.iter().find_map(issue_text) {
        Some(reason) => Err(reason),
        None => Ok(objects),
    }
}

fn issue_text(object: &Map<String, Value>) -> Option<String> {
    let issues = concord_stix::validate::validate_with(object, &concord_pattern::Grammar);
    issues
        .iter()
        .find(|i| i.severity == concord_stix::Severity::Error)
        .map(|i| format!("produced STIX that fails validation: {i}"))
}

impl<'r> Importer<'r> {
    /// An importer whose events that say nothing about sharing never leave
    /// the node.
    pub fn new(resolver: &'r dyn GroupResolver) -> Importer<'r> {
        Importer {
            resolver,
            unspecified: Sharing::node(),
        }
    }

    /// The sharing of events that carry no distribution and no TLP tag
    /// (MISP feeds strip distribution).
    pub fn with_unspecified(mut self, sharing: Sharing) -> Importer<'r> {
        self.unspecified = sharing;
        self
    }

    /// Converts MISP JSON: `{"Event": {...}}`, a bare event, a list of
    /// either, or `{"response": [...]}`.
    pub fn convert_bytes(&self, bytes: &[u8]) -> Result<Conversion, MispError> {
        let value = concord_stix::json::parse_value(bytes).map_err(|e| MispError::Json {
            line: e.line,
            column: e.column,
            message: e.message,
        })?;
        self.convert_value(&value)
    }

    /// [`Importer::convert_bytes`] over parsed JSON.
    pub fn convert_value(&self, value: &Value) -> Result<Conversion, MispError> {
        let mut out = Out::default();
        let mut report = ImportReport::default();
        let root = JsonPath::Root;
        match value {
            Value::Object(m) if m.contains_key("response") => {
                let rp = root.key("response");
                for (i, item) in field::list(m, "response", &root)?.iter().enumerate() {
                    self.convert_item(item, &rp.index(i), &mut out, &mut report)?;
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.convert_item(item, &root.index(i), &mut out, &mut report)?;
                }
            }
            other => self.convert_item(other, &root, &mut out, &mut report)?,
        }
        Ok(Conversion {
            objects: out.objects,
            report,
        })
    }

    /// Converts a MISP feed directory: `manifest.json` names the events,
    /// each in `<uuid>.json`. `hashes.csv` is not needed and not read.
    pub fn convert_feed(&self, dir: &Path) -> Result<Conversion, MispError> {
        let mut out = Out::default();
        let mut report = ImportReport::default();
        for uuid in feed::read_manifest_uuids(dir)? {
            let file = dir.join(format!("{uuid}.json"));
            let bytes = std::fs::read(&file).map_err(|source| MispError::Io {
                file: file.clone(),
                source,
            })?;
            let in_file = |source: MispError| MispError::InFile {
                file: file.clone(),
                source: Box::new(source),
            };
            let value = concord_stix::json::parse_value(&bytes)
                .map_err(|e| MispError::Json {
                    line: e.line,
                    column: e.column,
                    message: e.message,
                })
                .map_err(in_file)?;
            self.convert_item(&value, &JsonPath::Root, &mut out, &mut report)
                .map_err(in_file)?;
        }
        Ok(Conversion {
            objects: out.objects,
            report,
        })
    }

    fn convert_item(
        &self,
        item: &Value,
        path: &JsonPath<'_>,
        out: &mut Out,
        report: &mut ImportReport,
    ) -> Result<(), MispError> {
        let m = field::item(item, path)?;
        match field::object(m, "Event", path)? {
            Some(e) => {
                let ep = path.key("Event");
                let event = model::event(e, &ep)?;
                self.convert_event(&event, out, report)
            }
            None if m.contains_key("uuid") && m.contains_key("info") => {
                let event = model::event(m, path)?;
                self.convert_event(&event, out, report)
            }
            None => Err(MispError::shape(
                path.to_string(),
                "expected a MISP event: {\"Event\": {...}} or an object with uuid and info",
            )),
        }
    }

    fn convert_event(
        &self,
        event: &Event<'_>,
        out: &mut Out,
        report: &mut ImportReport,
    ) -> Result<(), MispError> {
        let modified = stamp(event.timestamp).ok_or_else(|| {
            MispError::shape(
                format!("{}.timestamp", event.path),
                format!("{} is not a time between 1970 and 9999", event.timestamp),
            )
        })?;
        report.events += 1;
        let sharing = level_sharing(
            event.distribution,
            event.sharing_group.as_ref(),
            &event.tags,
            self.resolver,
        )
        .unwrap_or_else(|| self.unspecified.clone());
        let mut cx = EventCx {
            importer: self,
            event,
            sharing,
            modified,
            author: None,
            refs: Vec::new(),
            cluster_ids: HashMap::new(),
        };
        if let Some((id, o)) = event.orgc.as_ref().and_then(identity) {
            cx.author = Some(id);
            push_identity(out, o);
        }
        for cluster in &event.clusters {
            if let Some(id) = cx.cluster(cluster, out, report) {
                let s = cx.cluster_sharing(cluster);
                cx.refs.push((id, s));
            }
        }
        let inherited = cx.sharing.clone();
        let prepared = cx.prepare_attributes(&event.attributes, &inherited);
        for (a, p) in event.attributes.iter().zip(prepared) {
            report.attributes += 1;
            if cx.place_attribute(a, p, out, report) {
                report.attributes_mapped += 1;
            }
        }
        for o in &event.objects {
            cx.object(o, out, report);
        }
        cx.finish(out);
        Ok(())
    }
}

fn push_identity(out: &mut Out, mut o: Map<String, Value>) {
    // An organisation's name is what MISP shows every instance that gets
    // any of its events; CLEAR keeps whatever names it visible wherever it
    // may go.
    let s = Sharing::tlp(concord_stix::tlp::Tlp::Clear);
    mark(&mut o, &s);
    out.push(o, s);
}

impl EventCx<'_, '_> {
    /// `created` for a record modified at `modified`: the event's date when
    /// it is not later (so versions keep one `created`), else `modified`.
    fn created_for(&self, modified: &str) -> String {
        if let Some(d) = &self.event.date {
            let c = format!("{}T00:00:00.000Z", d.trim());
            if Timestamp::parse(&c).is_ok() && c.as_str() <= modified {
                return c;
            }
        }
        modified.to_string()
    }

    fn base(&self, object_type: &str, id: String, modified: &str) -> Map<String, Value> {
        let created = self.created_for(modified);
        let mut o = sdo(object_type, id, &created, modified);
        if let Some(a) = &self.author {
            o.insert("created_by_ref".into(), a.as_str().into());
        }
        o
    }

    fn unmapped(
        &self,
        report: &mut ImportReport,
        uuid: Uuid,
        record: Record,
        misp_type: &str,
        reason: String,
        path: &str,
    ) {
        report.unmapped.push(Unmapped {
            event: self.event.uuid,
            uuid,
            record,
            misp_type: misp_type.to_string(),
            reason,
            path: path.to_string(),
        });
    }

    fn cluster_sharing(&self, c: &Cluster<'_>) -> Sharing {
        if c.is_default || c.distribution.is_none() {
            return Sharing::tlp(concord_stix::tlp::Tlp::Clear);
        }
        let none: [std::borrow::Cow<'_, str>; 0] = [];
        level_sharing(c.distribution, None, &none, self.importer.resolver)
            .unwrap_or_else(|| self.sharing.clone())
    }

    /// The SDO of a cluster, pushed once; its id, `None` when the galaxy
    /// has no STIX form (reported).
    fn cluster(
        &mut self,
        c: &Cluster<'_>,
        out: &mut Out,
        report: &mut ImportReport,
    ) -> Option<String> {
        let Some(t) = galaxy::sdo_type(&c.galaxy_type) else {
            self.unmapped(
                report,
                c.uuid.unwrap_or_default(),
                Record::Cluster,
                &c.galaxy_type,
                "galaxy has no STIX 2.1 mapping; its tag stays a label".into(),
                &self.event.path,
            );
            return None;
        };
        let key = (c.galaxy_type.to_string(), c.value.to_string());
        if let Some(id) = self.cluster_ids.get(&key) {
            return Some(id.clone());
        }
        let derived = Uuid::new_v5(&MISP_NAMESPACE, format!("{}/{}", key.0, key.1).as_bytes());
        let mut uuid = c.uuid.unwrap_or(derived);
        let candidate = format!("{t}--{uuid}");
        // Some exports give every cluster of a galaxy the galaxy's UUID.
        if let Some(&at) = out.index.get(&candidate)
            && out.objects[at].object.get("name").and_then(Value::as_str)
                != Some(
                    galaxy::cluster_object(c, t, uuid)
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or(""),
                )
        {
            uuid = derived;
        }
        let mut o = galaxy::cluster_object(c, t, uuid);
        let s = self.cluster_sharing(c);
        mark(&mut o, &s);
        let id = o
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if let Some(reason) = issue_text(&o) {
            self.unmapped(
                report,
                c.uuid.unwrap_or_default(),
                Record::Cluster,
                &c.galaxy_type,
                reason,
                &self.event.path,
            );
            return None;
        }
        out.push(o, s);
        self.cluster_ids.insert(key, id.clone());
        Some(id)
    }

    fn labels(&self, first: Vec<String>, tags: &[std::borrow::Cow<'_, str>]) -> Value {
        let mut labels = first;
        for t in tags {
            if tlp_of_tag(t).is_none() && !labels.iter().any(|l| l == t.as_ref()) {
                labels.push(t.to_string());
            }
        }
        json!(labels)
    }

    /// Converts one attribute; true when it became part of a STIX object.
    fn attribute(
        &mut self,
        a: &Attribute<'_>,
        inherited: &Sharing,
        out: &mut Out,
        report: &mut ImportReport,
    ) -> bool {
        let p = self.prepare_attribute(a, inherited);
        self.place_attribute(a, p, out, report)
    }

    /// [`EventCx::prepare_attribute`] for every attribute, in their order.
    /// A large event's attributes are prepared on several threads: building
    /// and validating their objects is most of a conversion's work, and none
    /// depends on another.
    fn prepare_attributes(
        &self,
        attributes: &[Attribute<'_>],
        inherited: &Sharing,
    ) -> Vec<PreparedAttribute> {
        // Asking for the cores reads cgroup files: only a large event asks
        // (a feed is often thousands of small ones).
        let threads = if attributes.len() < PARALLEL_FROM {
            1
        } else {
            std::thread::available_parallelism()
                .map_or(1, std::num::NonZero::get)
                .min(attributes.len() / PARALLEL_FROM.div_ceil(2))
        };
        if threads < 2 {
            return attributes
                .iter()
                .map(|a| self.prepare_attribute(a, inherited))
                .collect();
        }
        let per = attributes.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let parts: Vec<_> = attributes
                .chunks(per)
                .map(|chunk| {
                    scope.spawn(move || {
                        chunk
                            .iter()
                            .map(|a| self.prepare_attribute(a, inherited))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            parts
                .into_iter()
                .flat_map(|part| part.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        })
    }

    /// Places a prepared attribute: reports it when it has no STIX form,
    /// else pushes its unit and what hangs off it (clusters, sightings).
    fn place_attribute(
        &mut self,
        a: &Attribute<'_>,
        p: PreparedAttribute,
        out: &mut Out,
        report: &mut ImportReport,
    ) -> bool {
        let objects = match p.unit {
            Ok(objects) => objects,
            Err(reason) => {
                self.unmapped(
                    report,
                    a.uuid,
                    Record::Attribute,
                    &a.misp_type,
                    reason,
                    &a.path,
                );
                return false;
            }
        };
        self.place(objects, &p.sharing, out)
            .map(|main| {
                self.attach(
                    &main,
                    &p.modified,
                    &p.sharing,
                    &a.clusters,
                    &a.sightings,
                    out,
                    report,
                    &a.path,
                );
            })
            .is_some()
    }

    /// What one attribute makes, marked and validated, before anything is
    /// placed: it reads only the event and the attribute.
    fn prepare_attribute(&self, a: &Attribute<'_>, inherited: &Sharing) -> PreparedAttribute {
        let own = level_sharing(
            a.distribution,
            a.sharing_group.as_ref(),
            &a.tags,
            self.importer.resolver,
        );
        let sharing = match own {
            Some(s) => inherited.restrict(&s),
            None => inherited.clone(),
        };
        let modified = a
            .timestamp
            .and_then(stamp)
            .unwrap_or_else(|| self.modified.clone());
        let to_ids = a.to_ids.unwrap_or_else(|| default_to_ids(&a.misp_type));
        let mut first = vec![format!("misp:type=\"{}\"", a.misp_type)];
        if let Some(c) = &a.category {
            first.push(format!("misp:category=\"{c}\""));
        }
        let labels = self.labels(first, &a.tags);
        let unit = match observable::attribute_shape(&a.misp_type, &a.value) {
            Err(reason) => Err(reason),
            Ok(Shape::Observable(c) | Shape::PatternOnly(c)) if to_ids => Ok(vec![self.indicator(
                format!("indicator--{}", a.uuid),
                &c,
                &modified,
                labels,
                a.category.as_deref(),
                a.comment.as_deref(),
            )]),
            Ok(Shape::Observable(c)) => {
                self.observed(format!("observed-data--{}", a.uuid), &c, &modified, labels)
            }
            Ok(Shape::PatternOnly(_)) => Err(format!(
                "MISP type {:?} without to_ids has no STIX observable (only a pattern says it)",
                a.misp_type
            )),
            Ok(Shape::Vulnerability) => {
                let mut o = self.base(
                    "vulnerability",
                    format!("vulnerability--{}", a.uuid),
                    &modified,
                );
                o.insert("name".into(), a.value.trim().into());
                o.insert("labels".into(), labels);
                if a.value.trim().to_ascii_uppercase().starts_with("CVE-") {
                    o.insert(
                        "external_references".into(),
                        json!([{"source_name": "cve", "external_id": a.value.trim()}]),
                    );
                }
                Ok(vec![o])
            }
            Ok(Shape::Campaign) => {
                let mut o = self.base("campaign", format!("campaign--{}", a.uuid), &modified);
                o.insert("name".into(), a.value.trim().into());
                o.insert("labels".into(), labels);
                Ok(vec![o])
            }
        };
        let unit = unit.and_then(|mut objects| {
            if let Some(c) = a.comment.as_deref()
                && let Some(first) = objects.first_mut()
                && first.get("type").and_then(Value::as_str) != Some("indicator")
                && first.get("type").and_then(Value::as_str) != Some("observed-data")
            {
                first.insert("description".into(), c.into());
            }
            if a.deleted
                && let Some(first) = objects.first_mut()
            {
                first.insert("revoked".into(), true.into());
            }
            marked_and_valid(objects, &sharing)
        });
        PreparedAttribute {
            sharing,
            modified,
            unit,
        }
    }

    /// Marks, validates and pushes one unit (an SDO first, then its SCOs);
    /// the id and type of the first object, `None` when invalid (reported).
    #[expect(clippy::too_many_arguments, reason = "the unit and where to report it")]
    fn emit(
        &mut self,
        objects: Vec<Map<String, Value>>,
        sharing: &Sharing,
        out: &mut Out,
        report: &mut ImportReport,
        uuid: Uuid,
        misp_type: &str,
        path: &str,
    ) -> Option<(String, String)> {
        match marked_and_valid(objects, sharing) {
            Ok(objects) => self.place(objects, sharing, out),
            Err(reason) => {
                self.unmapped(report, uuid, Record::Attribute, misp_type, reason, path);
                None
            }
        }
    }

    /// Pushes a marked, valid unit and refers the event to its first
    /// object; that object's id and type.
    fn place(
        &mut self,
        objects: Vec<Map<String, Value>>,
        sharing: &Sharing,
        out: &mut Out,
    ) -> Option<(String, String)> {
        let first = objects.first()?;
        let id = first.get("id").and_then(Value::as_str)?.to_string();
        let ty = first.get("type").and_then(Value::as_str)?.to_string();
        self.refs.push((id.clone(), sharing.clone()));
        for o in objects {
            out.push(o, sharing.clone());
        }
        Some((id, ty))
    }

    fn indicator(
        &self,
        id: String,
        comparisons: &[Comparison],
        modified: &str,
        labels: Value,
        category: Option<&str>,
        comment: Option<&str>,
    ) -> Map<String, Value> {
        let mut o = self.base("indicator", id, modified);
        o.insert("pattern".into(), observable::pattern(comparisons).into());
        o.insert("pattern_type".into(), "stix".into());
        o.insert("pattern_version".into(), "2.1".into());
        o.insert("valid_from".into(), modified.into());
        o.insert("labels".into(), labels);
        if let Some(c) = category {
            o.insert(
                "kill_chain_phases".into(),
                json!([{"kill_chain_name": "misp-category", "phase_name": c}]),
            );
        }
        if let Some(c) = comment {
            o.insert("description".into(), c.into());
        }
        o
    }

    fn observed(
        &self,
        id: String,
        comparisons: &[Comparison],
        modified: &str,
        labels: Value,
    ) -> Result<Vec<Map<String, Value>>, String> {
        let scos = observable::observables(comparisons)
            .ok_or_else(|| "these values make no STIX observable".to_string())?;
        let mut o = self.base("observed-data", id, modified);
        o.insert("first_observed".into(), modified.into());
        o.insert("last_observed".into(), modified.into());
        o.insert("number_observed".into(), 1.into());
        o.insert(
            "object_refs".into(),
            Value::Array(scos.iter().filter_map(|s| s.get("id").cloned()).collect()),
        );
        o.insert("labels".into(), labels);
        let mut all = vec![o];
        all.extend(scos);
        Ok(all)
    }

    /// Relationships to the clusters an attribute or object names, and its
    /// sightings.
    #[expect(clippy::too_many_arguments, reason = "the record's parts")]
    fn attach(
        &mut self,
        main: &(String, String),
        modified: &str,
        sharing: &Sharing,
        clusters: &[Cluster<'_>],
        sightings: &[Sighting],
        out: &mut Out,
        report: &mut ImportReport,
        path: &str,
    ) {
        let (source, source_type) = main;
        for c in clusters {
            let Some(target) = self.cluster(c, out, report) else {
                continue;
            };
            let target_type = target.split("--").next().unwrap_or("");
            let rel = galaxy::relationship_type(source_type, target_type);
            let uuid = Uuid::new_v5(
                &MISP_NAMESPACE,
                format!("{source} - {rel} - {target}").as_bytes(),
            );
            let mut o = self.base("relationship", format!("relationship--{uuid}"), modified);
            o.insert("relationship_type".into(), rel.into());
            o.insert("source_ref".into(), source.as_str().into());
            o.insert("target_ref".into(), target.into());
            mark(&mut o, sharing);
            if issue_text(&o).is_none() {
                self.refs
                    .push((format!("relationship--{uuid}"), sharing.clone()));
                out.push(o, sharing.clone());
            }
        }
        for (i, s) in sightings.iter().enumerate() {
            let uuid = s.uuid.unwrap_or_else(|| {
                Uuid::new_v5(&MISP_NAMESPACE, format!("{source}/sighting/{i}").as_bytes())
            });
            let when = s
                .date
                .and_then(stamp)
                .unwrap_or_else(|| modified.to_string());
            let mut where_sighted = Vec::new();
            if let Some((id, o)) = s.organisation.as_ref().and_then(identity) {
                push_identity(out, o);
                where_sighted.push(Value::String(id));
            }
            let mut o = match s.kind {
                0 => {
                    let mut o = self.base("sighting", format!("sighting--{uuid}"), &when);
                    o.insert("created".into(), when.as_str().into());
                    o.insert("sighting_of_ref".into(), source.as_str().into());
                    o.insert("count".into(), 1.into());
                    o.insert("first_seen".into(), when.as_str().into());
                    o.insert("last_seen".into(), when.as_str().into());
                    if !where_sighted.is_empty() {
                        o.insert("where_sighted_refs".into(), Value::Array(where_sighted));
                    }
                    if let Some(src) = &s.source {
                        o.insert("description".into(), src.as_str().into());
                    }
                    o
                }
                1 => {
                    let mut o = self.base("opinion", format!("opinion--{uuid}"), &when);
                    o.insert("created".into(), when.as_str().into());
                    o.insert("opinion".into(), "strongly-disagree".into());
                    o.insert("explanation".into(), "False positive sighting".into());
                    o.insert("object_refs".into(), json!([source]));
                    if let Some(org) = &s.organisation {
                        o.insert("authors".into(), json!([org.name]));
                    }
                    o
                }
                k => {
                    self.unmapped(
                        report,
                        uuid,
                        Record::Sighting,
                        &k.to_string(),
                        "expiration sightings have no STIX form (the indicator's valid_until is the author's)".into(),
                        path,
                    );
                    continue;
                }
            };
            mark(&mut o, sharing);
            if let Some(reason) = issue_text(&o) {
                self.unmapped(
                    report,
                    uuid,
                    Record::Sighting,
                    &s.kind.to_string(),
                    reason,
                    path,
                );
                continue;
            }
            let id = o
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            self.refs.push((id, sharing.clone()));
            out.push(o, sharing.clone());
        }
    }

    fn object(&mut self, o: &MispObject<'_>, out: &mut Out, report: &mut ImportReport) {
        let level = level_sharing(
            o.distribution,
            o.sharing_group.as_ref(),
            &[],
            self.importer.resolver,
        );
        let object_sharing = match level {
            Some(s) => self.sharing.restrict(&s),
            None => self.sharing.clone(),
        };
        let Some(relations) = template::relations(&o.name) else {
            self.unmapped(
                report,
                o.uuid,
                Record::Object,
                &o.name,
                "object template has no STIX 2.1 mapping in concord; its attributes are converted one by one".into(),
                &format!("{}.Object", self.event.path),
            );
            for a in &o.attributes {
                report.attributes += 1;
                if self.attribute(a, &object_sharing, out, report) {
                    report.attributes_mapped += 1;
                }
            }
            return;
        };
        let modified = o
            .timestamp
            .and_then(stamp)
            .unwrap_or_else(|| self.modified.clone());
        // Two parts: what the indicator says (to_ids) and what the
        // observed-data shows.
        let mut parts: [Part<'_>; 2] = [
            (Vec::new(), None, Vec::new(), 0),
            (Vec::new(), None, Vec::new(), 0),
        ];
        let mut clusters: Vec<&Cluster<'_>> = Vec::new();
        let mut sightings: [Vec<&Sighting>; 2] = [Vec::new(), Vec::new()];
        let mut has_observed = false;
        for a in &o.attributes {
            report.attributes += 1;
            let relation = a.object_relation.as_deref().unwrap_or("");
            let Some((_, _, spec)) = relations.iter().find(|(r, _, _)| *r == relation) else {
                self.unmapped(
                    report,
                    a.uuid,
                    Record::Attribute,
                    &a.misp_type,
                    format!(
                        "relation {relation:?} of object template {:?} has no mapping",
                        o.name
                    ),
                    &a.path,
                );
                continue;
            };
            let value = a.value.trim();
            let comparison = match observable::compare(spec, value) {
                Ok(c) => c,
                Err(reason) => {
                    self.unmapped(
                        report,
                        a.uuid,
                        Record::Attribute,
                        &a.misp_type,
                        reason,
                        &a.path,
                    );
                    continue;
                }
            };
            if let Some((name, Some(len))) = spec
                .strip_prefix("file:hashes.")
                .and_then(|n| observable::misp_hash(n).and_then(observable::hash_name))
                && (value.len() != len || !value.bytes().all(|b| b.is_ascii_hexdigit()))
            {
                self.unmapped(
                    report,
                    a.uuid,
                    Record::Attribute,
                    &a.misp_type,
                    format!("{value:?} is not a {name} value ({len} hexadecimal digits)"),
                    &a.path,
                );
                continue;
            }
            let own = level_sharing(
                a.distribution,
                a.sharing_group.as_ref(),
                &a.tags,
                self.importer.resolver,
            );
            let s = match own {
                Some(s) => object_sharing.restrict(&s),
                None => object_sharing.clone(),
            };
            // The indicator says what the to_ids attributes say; the
            // observed-data shows the whole object (as misp-stix does), so
            // a file's size still has its name and hashes beside it.
            let to_ids = a.to_ids.unwrap_or_else(|| default_to_ids(&a.misp_type));
            let k = usize::from(!to_ids);
            has_observed |= !to_ids;
            for part in if to_ids {
                &mut parts[..]
            } else {
                &mut parts[1..]
            } {
                part.0.push(comparison.clone());
                part.1 = Some(match &part.1 {
                    Some(prev) => prev.restrict(&s),
                    None => s.clone(),
                });
                for t in &a.tags {
                    if !part.2.contains(t) {
                        part.2.push(t.clone());
                    }
                }
            }
            parts[k].3 += 1;
            clusters.extend(a.clusters.iter());
            sightings[k].extend(a.sightings.iter());
        }
        if !has_observed {
            parts[1] = (Vec::new(), None, Vec::new(), 0);
        }
        let mut clusters_attached = false;
        for (k, (comparisons, sharing, tags, count)) in parts.into_iter().enumerate() {
            let Some(sharing) = sharing else { continue };
            let mut first = vec![format!("misp:name=\"{}\"", o.name)];
            if let Some(m) = &o.meta_category {
                first.push(format!("misp:meta-category=\"{m}\""));
            }
            let labels = self.labels(first, &tags);
            let unit = if k == 0 {
                Ok(vec![self.indicator(
                    format!("indicator--{}", o.uuid),
                    &comparisons,
                    &modified,
                    labels,
                    o.meta_category.as_deref(),
                    o.comment.as_deref(),
                )])
            } else {
                self.observed(
                    format!("observed-data--{}", o.uuid),
                    &comparisons,
                    &modified,
                    labels,
                )
            };
            let mut objects = match unit {
                Ok(objects) => objects,
                Err(reason) => {
                    self.unmapped(
                        report,
                        o.uuid,
                        Record::Object,
                        &o.name,
                        reason,
                        &format!("{}.Object", self.event.path),
                    );
                    continue;
                }
            };
            if o.deleted
                && let Some(first) = objects.first_mut()
            {
                first.insert("revoked".into(), true.into());
            }
            let path = format!("{}.Object", self.event.path);
            if let Some(main) = self.emit(objects, &sharing, out, report, o.uuid, &o.name, &path) {
                report.attributes_mapped += count;
                let owned: Vec<Sighting> = sightings[k].iter().map(|s| (*s).clone()).collect();
                let cl: Vec<Cluster<'_>> = if clusters_attached {
                    Vec::new()
                } else {
                    clusters_attached = true;
                    clusters.iter().map(|c| (*c).clone()).collect()
                };
                self.attach(&main, &modified, &sharing, &cl, &owned, out, report, &path);
            }
        }
    }

    /// The event's report (or grouping), and a grouping for each narrower
    /// sharing among what it holds, so no reference makes the report
    /// invisible to a peer that may see it.
    fn finish(self, out: &mut Out) {
        let event = self.event;
        let kind = if event.published {
            "report"
        } else {
            "grouping"
        };
        let id = format!("{kind}--{}", event.uuid);
        let mut covered = Vec::new();
        let mut narrower: BTreeMap<String, (Sharing, Vec<String>)> = BTreeMap::new();
        let mut seen = std::collections::HashSet::with_capacity(self.refs.len());
        for (rid, s) in self.refs {
            if !seen.insert(rid.clone()) {
                continue;
            }
            if s.covers(&self.sharing) {
                covered.push(rid);
            } else {
                narrower
                    .entry(s.key())
                    .or_insert_with(|| (s.clone(), Vec::new()))
                    .1
                    .push(rid);
            }
        }
        if covered.is_empty() {
            match &self.author {
                Some(a) => covered.push(a.clone()),
                None => {
                    let mut note = sdo(
                        "note",
                        format!("note--{}", event.uuid),
                        &self.modified,
                        &self.modified,
                    );
                    note.insert(
                        "content".into(),
                        "This MISP event holds nothing that concord maps to STIX.".into(),
                    );
                    note.insert("object_refs".into(), json!([id]));
                    mark(&mut note, &self.sharing);
                    covered.push(format!("note--{}", event.uuid));
                    out.push(note, self.sharing.clone());
                }
            }
        }
        let created = {
            let cx_created = event
                .date
                .as_ref()
                .map(|d| format!("{}T00:00:00.000Z", d.trim()))
                .filter(|c| Timestamp::parse(c).is_ok() && c.as_str() <= self.modified.as_str());
            cx_created.unwrap_or_else(|| self.modified.clone())
        };
        let mut o = sdo(kind, id.clone(), &created, &self.modified);
        if let Some(a) = &self.author {
            o.insert("created_by_ref".into(), a.as_str().into());
        }
        let name = if event.info.trim().is_empty() {
            "MISP event"
        } else {
            event.info.trim()
        };
        o.insert("name".into(), name.into());
        if kind == "report" {
            let published = event
                .publish_timestamp
                .and_then(stamp)
                .unwrap_or_else(|| self.modified.clone());
            o.insert("published".into(), published.into());
            o.insert("report_types".into(), json!(["threat-report"]));
        } else {
            o.insert("context".into(), "suspicious-activity".into());
        }
        o.insert("object_refs".into(), json!(covered));
        let labels: Vec<String> = event
            .tags
            .iter()
            .filter(|t| tlp_of_tag(t).is_none())
            .map(|t| t.to_string())
            .collect();
        if !labels.is_empty() {
            o.insert("labels".into(), json!(labels));
        }
        if let Some(d) = &event.date {
            o.insert("x_misp_date".into(), d.trim().into());
        }
        if let Some(t) = event.threat_level_id {
            o.insert("x_misp_threat_level_id".into(), t.into());
        }
        if let Some(a) = event.analysis {
            o.insert("x_misp_analysis".into(), a.into());
        }
        mark(&mut o, &self.sharing);
        out.push(o, self.sharing.clone());
        for (key, (sharing, refs)) in narrower {
            let uuid = Uuid::new_v5(&MISP_NAMESPACE, format!("{}/{key}", event.uuid).as_bytes());
            let mut g = sdo(
                "grouping",
                format!("grouping--{uuid}"),
                &created,
                &self.modified,
            );
            if let Some(a) = &self.author {
                g.insert("created_by_ref".into(), a.as_str().into());
            }
            g.insert("name".into(), format!("{name} (restricted part)").into());
            g.insert("context".into(), "suspicious-activity".into());
            let mut all = vec![id.clone()];
            all.extend(refs);
            g.insert("object_refs".into(), json!(all));
            g.insert("x_misp_event_ref".into(), id.as_str().into());
            mark(&mut g, &sharing);
            out.push(g, sharing);
        }
    }
}
