//! STIX 2.1 objects to MISP events.
//!
//! - Each `report` or `grouping` becomes an event with the same UUID; a
//!   grouping concord made for the restricted part of an imported event
//!   (`x_misp_event_ref`) joins that event.
//! - An indicator whose pattern is `[a = 'x' AND b = 'y']` (or an OR of
//!   such) becomes, by its `misp:type` label or by the paths it tests, one
//!   attribute with `to_ids: true` (`ipv4-addr:value` → `ip-dst`,
//!   `domain-name:value` → `domain`, `url:value` → `url`, file hashes →
//!   `md5`/`sha1`/`sha256`, `email-addr:value` → `email-src`, composite
//!   types such as `filename|sha256` when the paths are theirs); a compound
//!   pattern of no attribute type becomes a MISP object (`file`,
//!   `domain-ip`, `url`, `ip-port`, `network-connection`, `email`).
//! - observed-data becomes the same, from its SCOs, with `to_ids: false`.
//! - Vulnerabilities and campaigns become attributes; threat actors,
//!   malware, tools, intrusion sets, courses of action and attack patterns
//!   become galaxy clusters with their `misp-galaxy:` tags; sightings
//!   become sightings of the attribute.
//! - TLP markings become `tlp:*` tags; an audience becomes a sharing group
//!   named by the caller ([`AudienceNaming`]), distribution 4.
//! - Objects that no report or grouping refers to go into one extra event
//!   per export, whose UUID is derived from their ids.
//!
//! What cannot be written (patterns with other operators or qualifiers,
//! paths no type or template knows) is listed in [`ExportReport`].

use std::collections::{BTreeSet, HashMap, HashSet};

use concord_pattern::{ComparisonExpr, Literal, ObservationExpr, Operator, Pattern};
use concord_stix::Timestamp;
use concord_stix::tlp::Tlp;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::galaxy;
use crate::import::MISP_NAMESPACE;
use crate::observable::{self, path};
use crate::template;

/// Names the MISP sharing group for an audience (member ids and group
/// names); `None` leaves the event at "your organisation only".
pub trait AudienceNaming {
    /// The sharing group's name.
    fn sharing_group(&self, audience: &[String]) -> Option<String>;
}

/// A STIX object the export could not write, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The object's id.
    pub id: String,
    /// Why.
    pub reason: String,
}

/// What the export could not write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportReport {
    /// Objects, or parts of them, left out.
    pub skipped: Vec<Skipped>,
}

/// MISP events (`{"Event": {...}}`) and the export report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Export {
    /// The events.
    pub events: Vec<Value>,
    /// What was left out.
    pub report: ExportReport,
}

/// Writes STIX objects as MISP events.
pub struct Exporter<'n> {
    naming: &'n dyn AudienceNaming,
    organisation: crate::Organisation,
}

fn epoch(ts: &str) -> Option<i64> {
    Timestamp::parse(ts)
        .ok()
        .map(|t| t.micros().div_euclid(1_000_000))
}

fn uuid_of(id: &str) -> Option<Uuid> {
    id.split_once("--")
        .and_then(|(_, u)| Uuid::parse_str(u).ok())
}

fn str_of<'a>(o: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    o.get(k).and_then(Value::as_str)
}

fn labels_of(o: &Map<String, Value>) -> Vec<&str> {
    o.get("labels")
        .and_then(Value::as_array)
        .map(|l| l.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The value of a `misp:key="value"` label.
fn misp_label<'a>(o: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    labels_of(o).into_iter().find_map(|l| {
        l.strip_prefix("misp:")?
            .strip_prefix(key)?
            .strip_prefix("=\"")?
            .strip_suffix('"')
    })
}

/// Labels that are MISP tags (not concord's `misp:*` bookkeeping).
fn tags_of(o: &Map<String, Value>) -> Vec<String> {
    labels_of(o)
        .into_iter()
        .filter(|l| {
            ![
                "misp:type=",
                "misp:category=",
                "misp:name=",
                "misp:meta-category=",
                "misp:galaxy-type=",
            ]
            .iter()
            .any(|p| l.starts_with(p))
        })
        .map(str::to_string)
        .collect()
}

fn tlp_tag(o: &Map<String, Value>) -> Option<String> {
    let refs = o.get("object_marking_refs").and_then(Value::as_array)?;
    concord_stix::tlp::strictest_of(refs).map(|t| format!("tlp:{}", t.word()))
}

fn literal_text(l: &Literal) -> Option<String> {
    match l {
        Literal::Str(s) => Some(s.clone()),
        Literal::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

/// `(rendered path, value)` pairs.
type Tests = Vec<(String, String)>;

/// The equality tests of a pattern, one list per alternative; `None` when
/// the pattern uses anything else.
fn pattern_tests(text: &str) -> Result<Vec<Tests>, String> {
    let p = Pattern::parse(text).map_err(|e| format!("pattern does not parse: {e}"))?;
    fn conj(c: &ComparisonExpr, out: &mut Tests) -> bool {
        match c {
            ComparisonExpr::Test(t) if !t.negated => match &t.op {
                Operator::Eq(l) => literal_text(l).is_some_and(|v| {
                    out.push((t.path.to_string(), v));
                    true
                }),
                _ => false,
            },
            ComparisonExpr::And(items) => items.iter().all(|i| conj(i, out)),
            _ => false,
        }
    }
    fn alternatives(c: &ComparisonExpr, out: &mut Vec<Tests>) -> bool {
        match c {
            ComparisonExpr::Or(items) => items.iter().all(|i| alternatives(i, out)),
            other => {
                let mut t = Vec::new();
                let ok = conj(other, &mut t);
                out.push(t);
                ok
            }
        }
    }
    fn observation(e: &ObservationExpr, out: &mut Vec<Tests>) -> bool {
        match e {
            ObservationExpr::Comparison(c) => alternatives(c, out),
            ObservationExpr::Or(items) => items.iter().all(|i| observation(i, out)),
            _ => false,
        }
    }
    let mut out = Vec::new();
    if observation(p.ast(), &mut out) {
        Ok(out)
    } else {
        Err("only equality tests joined by AND and OR become MISP attributes".into())
    }
}

/// The paths (specs) each attribute type's value parts sit at, in the
/// order the value joins them; tried in this order for STIX without a
/// `misp:type` label.
const TYPE_SPECS: &[(&str, &[&str])] = &[
    ("ip-dst", &["ip:value"]),
    ("domain", &["domain-name:value"]),
    ("url", &["url:value"]),
    ("email-src", &["email-message:from_ref.value"]),
    ("email-dst", &["email-message:to_refs.*.value"]),
    ("email-subject", &["email-message:subject"]),
    ("email-body", &["email-message:body"]),
    (
        "email-reply-to",
        &["email-message:additional_header_fields.reply_to"],
    ),
    (
        "email-x-mailer",
        &["email-message:additional_header_fields.x_mailer"],
    ),
    ("email-message-id", &["email-message:message_id"]),
    (
        "email-attachment",
        &["email-message:body_multipart.*.body_raw_ref.name"],
    ),
    ("filename", &["file:name"]),
    ("mutex", &["mutex:name"]),
    ("mac-address", &["mac-addr:value"]),
    ("AS", &["autonomous-system:number"]),
    ("regkey", &["windows-registry-key:key"]),
    (
        "regkey|value",
        &[
            "windows-registry-key:key",
            "windows-registry-key:values.*.data",
        ],
    ),
    (
        "domain|ip",
        &["domain-name:value", "domain-name:resolves_to_refs.*.value"],
    ),
    (
        "ip-dst|port",
        &["network-traffic:dst_ref.value", "network-traffic:dst_port"],
    ),
    (
        "ip-src|port",
        &["network-traffic:src_ref.value", "network-traffic:src_port"],
    ),
    (
        "hostname|port",
        &["network-traffic:dst_ref.value", "network-traffic:dst_port"],
    ),
    ("ip-dst", &["network-traffic:dst_ref.value"]),
    ("ip-src", &["network-traffic:src_ref.value"]),
    ("port", &["network-traffic:dst_port"]),
    ("size-in-bytes", &["file:size"]),
    (
        "user-agent",
        &["network-traffic:extensions.http-request-ext.request_header.User-Agent"],
    ),
    (
        "http-method",
        &["network-traffic:extensions.http-request-ext.request_method"],
    ),
];

fn render(spec: &str, value: &str) -> Vec<String> {
    let (t, rest) = spec.split_once(':').unwrap_or((spec, ""));
    let steps: Vec<&str> = rest.split('.').filter(|s| !s.is_empty()).collect();
    let types: Vec<&str> = match t {
        "ip" => observable::ip_type(value)
            .map(|t| vec![t])
            .unwrap_or_default(),
        other => vec![other],
    };
    types
        .into_iter()
        .map(|t| path(t, &steps).to_string())
        .collect()
}

/// The specs of a MISP type, including the hash and composite families.
fn specs_of(misp_type: &str) -> Option<Vec<String>> {
    if misp_type == "ip-src" || misp_type == "ip-dst" {
        return Some(vec!["ip:value".into()]);
    }
    if let Some((_, s)) = TYPE_SPECS.iter().find(|(t, _)| *t == misp_type) {
        return Some(s.iter().map(|x| (*x).to_string()).collect());
    }
    let same = |t: &str| {
        TYPE_SPECS
            .iter()
            .find(|(x, _)| *x == t)
            .map(|(_, s)| s.iter().map(|x| (*x).to_string()).collect())
    };
    match misp_type {
        "hostname" => same("domain"),
        "uri" | "link" => same("url"),
        "email" => Some(vec!["email-addr:value".into()]),
        "attachment" => same("filename"),
        "malware-sample" => Some(vec!["file:name".into(), "file:hashes.MD5".into()]),
        t if t.starts_with("x509-fingerprint-") => {
            let (name, _) = observable::hash_name(t.trim_start_matches("x509-fingerprint-"))?;
            Some(vec![format!("x509-certificate:hashes.{name}")])
        }
        t if t.starts_with("filename|") => {
            let (name, _) = observable::hash_name(&t["filename|".len()..])?;
            Some(vec!["file:name".into(), format!("file:hashes.{name}")])
        }
        t => observable::hash_name(t).map(|(name, _)| vec![format!("file:hashes.{name}")]),
    }
}

/// The value of a `misp_type` attribute from tests, when the tests are
/// exactly that type's paths.
fn value_as(misp_type: &str, tests: &Tests) -> Option<String> {
    let specs = specs_of(misp_type)?;
    if specs.len() != tests.len() {
        return None;
    }
    let mut parts = Vec::new();
    for spec in &specs {
        let (_, v) = tests
            .iter()
            .find(|(p, v)| render(spec, v).iter().any(|r| r == p))?;
        parts.push(v.clone());
    }
    Some(parts.join("|"))
}

/// The attribute type and value of tests without a label.
fn guess(tests: &Tests) -> Option<(String, String)> {
    if let [(p, v)] = tests.as_slice() {
        if p == "email-addr:value" {
            return Some(("email-src".into(), v.clone()));
        }
        if let Some(name) = p.strip_prefix("file:hashes.") {
            let name = name.trim_matches('\'');
            return observable::misp_hash(name).map(|t| (t.to_string(), v.clone()));
        }
        if let Some(name) = p.strip_prefix("x509-certificate:hashes.") {
            let t = observable::misp_hash(name.trim_matches('\''))?;
            if matches!(t, "md5" | "sha1" | "sha256") {
                return Some((format!("x509-fingerprint-{t}"), v.clone()));
            }
        }
    }
    if let [x, y] = tests.as_slice() {
        let (named, hashed) = if x.0 == "file:name" { (x, y) } else { (y, x) };
        if named.0 == "file:name"
            && let Some(h) = hashed.0.strip_prefix("file:hashes.")
            && let Some(t) = observable::misp_hash(h.trim_matches('\''))
        {
            return Some((format!("filename|{t}"), format!("{}|{}", named.1, hashed.1)));
        }
    }
    for (t, _) in TYPE_SPECS {
        if let Some(v) = value_as(t, tests) {
            let t = if *t == "hostname|port"
                || (*t == "ip-dst|port"
                    && observable::ip_type(v.split('|').next().unwrap_or("")).is_err())
            {
                "hostname|port"
            } else if *t == "ip-dst" && observable::ip_type(&v).is_err() {
                "hostname"
            } else {
                t
            };
            return Some((t.to_string(), v));
        }
    }
    None
}

/// Flattens the SCOs of an observed-data into tests, one list per root
/// object (an SCO no other SCO of it refers to).
fn flatten(
    od: &Map<String, Value>,
    index: &HashMap<&str, &Map<String, Value>>,
) -> Vec<(String, Tests)> {
    let ids: Vec<&str> = od
        .get("object_refs")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let scos: Vec<&Map<String, Value>> = ids.iter().filter_map(|i| index.get(i).copied()).collect();
    let mut referenced = HashSet::new();
    for s in &scos {
        for (k, v) in s.iter() {
            if k.ends_with("_ref") {
                if let Some(r) = v.as_str() {
                    referenced.insert(r.to_string());
                }
            } else if k.ends_with("_refs") {
                for r in v.as_array().into_iter().flatten().filter_map(Value::as_str) {
                    referenced.insert(r.to_string());
                }
            } else if k == "body_multipart" {
                for part in v.as_array().into_iter().flatten() {
                    if let Some(r) = part.get("body_raw_ref").and_then(Value::as_str) {
                        referenced.insert(r.to_string());
                    }
                }
            }
        }
    }
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let mut out = Vec::new();
    for root in scos {
        let id = str_of(root, "id").unwrap_or("");
        if referenced.contains(id) {
            continue;
        }
        let ty = str_of(root, "type").unwrap_or("");
        let mut tests = Tests::new();
        for (k, v) in root {
            match (k.as_str(), v) {
                (
                    "type"
                    | "spec_version"
                    | "id"
                    | "is_multipart"
                    | "defanged"
                    | "object_marking_refs"
                    | "extensions",
                    _,
                ) => {}
                ("protocols", Value::Array(items)) => {
                    // concord writes "tcp" when MISP gave no protocol.
                    if items.len() == 1 && items[0] == "tcp" {
                        continue;
                    }
                    for i in items.iter().filter_map(text) {
                        tests.push((path(ty, &[k, "*"]).to_string(), i));
                    }
                }
                ("hashes" | "additional_header_fields", Value::Object(m)) => {
                    for (h, hv) in m {
                        if let Some(t) = text(hv) {
                            tests.push((path(ty, &[k, h]).to_string(), t));
                        }
                    }
                }
                ("values", Value::Array(items)) => {
                    for item in items {
                        if let Some(d) = item.get("data").and_then(text) {
                            tests.push((path(ty, &[k, "*", "data"]).to_string(), d));
                        }
                    }
                }
                ("body_multipart", Value::Array(parts)) => {
                    for part in parts {
                        let name = part
                            .get("body_raw_ref")
                            .and_then(Value::as_str)
                            .and_then(|r| index.get(r))
                            .and_then(|f| f.get("name"))
                            .and_then(text);
                        if let Some(n) = name {
                            tests
                                .push((path(ty, &[k, "*", "body_raw_ref", "name"]).to_string(), n));
                        }
                    }
                }
                (r, Value::String(target)) if r.ends_with("_ref") => {
                    if let Some(t) = index.get(target.as_str()) {
                        for sub in ["value", "display_name", "path", "name"] {
                            if let Some(x) = t.get(sub).and_then(text) {
                                tests.push((path(ty, &[r, sub]).to_string(), x));
                            }
                        }
                    }
                }
                (r, Value::Array(targets)) if r.ends_with("_refs") => {
                    for t in targets
                        .iter()
                        .filter_map(Value::as_str)
                        .filter_map(|t| index.get(t))
                    {
                        if let Some(x) = t.get("value").and_then(text) {
                            tests.push((path(ty, &[r, "*", "value"]).to_string(), x));
                        }
                    }
                }
                (k, v) => {
                    if let Some(t) = text(v) {
                        tests.push((path(ty, &[k]).to_string(), t));
                    }
                }
            }
        }
        out.push((ty.to_string(), tests));
    }
    out
}

/// One MISP event being built.
#[derive(Default)]
struct EventParts {
    attributes: Vec<Value>,
    objects: Vec<Value>,
    galaxies: Vec<Value>,
    tags: BTreeSet<String>,
    /// MISP attribute entries by the STIX id they came from (for sightings).
    by_id: HashMap<String, (bool, usize)>,
    /// MISP objects by UUID (an indicator and an observed-data of one
    /// MISP object become one object again).
    object_at: HashMap<Uuid, usize>,
}

impl<'n> Exporter<'n> {
    /// An exporter; `organisation` is the `Orgc` of events whose report
    /// names no author.
    pub fn new(naming: &'n dyn AudienceNaming, organisation: crate::Organisation) -> Exporter<'n> {
        Exporter {
            naming,
            organisation,
        }
    }

    /// Writes objects as MISP events.
    pub fn export(&self, objects: &[Map<String, Value>]) -> Export {
        let mut index: HashMap<&str, &Map<String, Value>> = HashMap::new();
        for o in objects {
            if let Some(id) = str_of(o, "id") {
                index.insert(id, o);
            }
        }
        let mut report = ExportReport::default();
        let mut used: HashSet<String> = HashSet::new();
        let mut containers: Vec<(&Map<String, Value>, Vec<&str>)> = Vec::new();
        let mut extra_parts: HashMap<&str, Vec<&str>> = HashMap::new();
        for o in objects {
            let ty = str_of(o, "type").unwrap_or("");
            if ty != "report" && ty != "grouping" {
                continue;
            }
            let refs: Vec<&str> = o
                .get("object_refs")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if let Some(parent) = str_of(o, "x_misp_event_ref")
                && index.contains_key(parent)
            {
                used.insert(str_of(o, "id").unwrap_or("").to_string());
                extra_parts
                    .entry(parent)
                    .or_default()
                    .extend(refs.into_iter().filter(|r| *r != parent));
                continue;
            }
            containers.push((o, refs));
        }
        for (c, refs) in &mut containers {
            if let Some(extra) = extra_parts.remove(str_of(c, "id").unwrap_or("")) {
                refs.extend(extra);
            }
        }
        // Sightings and relationships attach to what they name.
        let mut sightings: HashMap<&str, Vec<&Map<String, Value>>> = HashMap::new();
        let mut relations: HashMap<&str, Vec<&Map<String, Value>>> = HashMap::new();
        for o in objects {
            match str_of(o, "type") {
                Some("sighting") => {
                    if let Some(t) = str_of(o, "sighting_of_ref") {
                        sightings.entry(t).or_default().push(o);
                    }
                }
                Some("relationship") => {
                    if let Some(s) = str_of(o, "source_ref") {
                        relations.entry(s).or_default().push(o);
                    }
                }
                _ => {}
            }
        }
        let mut events = Vec::new();
        for (c, refs) in &containers {
            used.insert(str_of(c, "id").unwrap_or("").to_string());
            let uuid = str_of(c, "id").and_then(uuid_of).unwrap_or_default();
            let members: Vec<&Map<String, Value>> =
                refs.iter().filter_map(|r| index.get(r).copied()).collect();
            for m in &members {
                used.insert(str_of(m, "id").unwrap_or("").to_string());
            }
            events.push(self.event(
                uuid,
                Some(c),
                &members,
                &index,
                &sightings,
                &relations,
                &mut used,
                &mut report,
            ));
        }
        let loose: Vec<&Map<String, Value>> = objects
            .iter()
            .filter(|o| {
                let id = str_of(o, "id").unwrap_or("");
                let ty = str_of(o, "type").unwrap_or("");
                !used.contains(id)
                    && matches!(
                        ty,
                        "indicator"
                            | "observed-data"
                            | "vulnerability"
                            | "campaign"
                            | "threat-actor"
                            | "malware"
                            | "tool"
                            | "intrusion-set"
                            | "attack-pattern"
                            | "course-of-action"
                    )
            })
            .collect();
        if !loose.is_empty() {
            let mut ids: Vec<&str> = loose.iter().filter_map(|o| str_of(o, "id")).collect();
            ids.sort_unstable();
            let uuid = Uuid::new_v5(
                &MISP_NAMESPACE,
                format!("concord-export/{}", ids.join(",")).as_bytes(),
            );
            events.push(self.event(
                uuid,
                None,
                &loose,
                &index,
                &sightings,
                &relations,
                &mut used,
                &mut report,
            ));
        }
        Export { events, report }
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "the event and the indexes it reads"
    )]
    fn event(
        &self,
        uuid: Uuid,
        container: Option<&Map<String, Value>>,
        members: &[&Map<String, Value>],
        index: &HashMap<&str, &Map<String, Value>>,
        sightings: &HashMap<&str, Vec<&Map<String, Value>>>,
        relations: &HashMap<&str, Vec<&Map<String, Value>>>,
        used: &mut HashSet<String>,
        report: &mut ExportReport,
    ) -> Value {
        let mut parts = EventParts::default();
        let mut newest = container
            .and_then(|c| str_of(c, "modified"))
            .and_then(epoch)
            .unwrap_or(0);
        for m in members {
            newest = newest.max(str_of(m, "modified").and_then(epoch).unwrap_or(0));
            self.member(m, index, relations, used, &mut parts, report);
        }
        for (id, (in_object, at)) in parts.by_id.clone() {
            for s in sightings.get(id.as_str()).into_iter().flatten() {
                let date = str_of(s, "last_seen")
                    .or_else(|| str_of(s, "modified"))
                    .and_then(epoch)
                    .unwrap_or(0);
                let mut entry = json!({
                    "uuid": str_of(s, "id").and_then(uuid_of).unwrap_or_default().to_string(),
                    "type": "0",
                    "date_sighting": date.to_string(),
                });
                if let Some(src) = str_of(s, "description") {
                    entry["source"] = src.into();
                }
                let target = if in_object {
                    parts
                        .objects
                        .get_mut(at)
                        .and_then(|o| o["Attribute"].get_mut(0))
                } else {
                    parts.attributes.get_mut(at)
                };
                if let Some(Value::Object(a)) = target
                    && let Value::Array(list) = a.entry("Sighting").or_insert_with(|| json!([]))
                {
                    list.push(entry);
                }
            }
        }
        let (info, date, published, publish_ts, threat, analysis, author) = match container {
            Some(c) => (
                str_of(c, "name").unwrap_or("").to_string(),
                str_of(c, "x_misp_date").map(str::to_string).or_else(|| {
                    str_of(c, "published")
                        .or_else(|| str_of(c, "created"))
                        .map(|d| d.chars().take(10).collect())
                }),
                str_of(c, "type") == Some("report"),
                str_of(c, "published").and_then(epoch),
                c.get("x_misp_threat_level_id")
                    .and_then(Value::as_i64)
                    .unwrap_or(4),
                c.get("x_misp_analysis")
                    .and_then(Value::as_i64)
                    .unwrap_or(2),
                str_of(c, "created_by_ref")
                    .and_then(|a| index.get(a))
                    .map(|i| crate::Organisation {
                        uuid: str_of(i, "id").and_then(uuid_of),
                        name: str_of(i, "name").unwrap_or("").to_string(),
                    }),
            ),
            None => (
                "concord export: objects not in any report".to_string(),
                None,
                true,
                Some(newest),
                4,
                2,
                None,
            ),
        };
        let date = date.unwrap_or_else(|| {
            Timestamp(newest * 1_000_000)
                .to_stix()
                .chars()
                .take(10)
                .collect()
        });
        let org = author.unwrap_or_else(|| self.organisation.clone());
        if let Some(c) = container {
            for t in tags_of(c) {
                parts.tags.insert(t);
            }
            if let Some(t) = tlp_tag(c) {
                parts.tags.insert(t);
            }
        }
        let (distribution, group) = match container {
            Some(c) => self.distribution(c),
            None => ("0".to_string(), None),
        };
        let mut e = json!({
            "uuid": uuid.to_string(),
            "info": info,
            "date": date,
            "timestamp": newest.to_string(),
            "published": published,
            "analysis": analysis.to_string(),
            "threat_level_id": threat.to_string(),
            "distribution": distribution,
            "Orgc": {"name": if org.name.is_empty() { "concord" } else { org.name.as_str() }, "uuid": org.uuid.unwrap_or_default().to_string()},
            "Tag": parts.tags.iter().map(|t| json!({"name": t})).collect::<Vec<_>>(),
            "Attribute": parts.attributes,
            "Object": parts.objects,
        });
        if let Some(ts) = publish_ts {
            e["publish_timestamp"] = ts.to_string().into();
        }
        if !parts.galaxies.is_empty() {
            e["Galaxy"] = Value::Array(parts.galaxies);
        }
        if let Some(name) = group {
            e["sharing_group_id"] = "1".into();
            e["SharingGroup"] = json!({"name": name, "uuid": Uuid::new_v5(&MISP_NAMESPACE, name.as_bytes()).to_string()});
        }
        json!({ "Event": e })
    }

    /// `distribution` and the sharing group name of an object.
    fn distribution(&self, o: &Map<String, Value>) -> (String, Option<String>) {
        if let Ok(Some(a)) = concord_trust::read_audience(o) {
            if a.never_export {
                return ("0".into(), None);
            }
            return match self.naming.sharing_group(&a.audience) {
                Some(name) => ("4".into(), Some(name)),
                None => ("0".into(), None),
            };
        }
        let refs = o.get("object_marking_refs").and_then(Value::as_array);
        match refs.and_then(|r| concord_stix::tlp::strictest_of(r)) {
            Some(Tlp::Clear) => ("3".into(), None),
            Some(Tlp::Green) => ("1".into(), None),
            _ => ("0".into(), None),
        }
    }

    fn attribute_entry(
        &self,
        o: &Map<String, Value>,
        uuid: Uuid,
        misp_type: &str,
        value: &str,
        to_ids: bool,
    ) -> Value {
        let mut tags: Vec<String> = tags_of(o);
        if let Some(t) = tlp_tag(o) {
            tags.push(t);
        }
        let mut a = json!({
            "uuid": uuid.to_string(),
            "type": misp_type,
            "value": value,
            "to_ids": to_ids,
            "timestamp": str_of(o, "modified").and_then(epoch).unwrap_or(0).to_string(),
            "distribution": "5",
            "comment": str_of(o, "description").unwrap_or(""),
            "deleted": o.get("revoked").and_then(Value::as_bool).unwrap_or(false),
            "Tag": tags.iter().map(|t| json!({"name": t})).collect::<Vec<_>>(),
        });
        if let Some(c) = misp_label(o, "category") {
            a["category"] = c.into();
        }
        a
    }

    fn member(
        &self,
        o: &Map<String, Value>,
        index: &HashMap<&str, &Map<String, Value>>,
        relations: &HashMap<&str, Vec<&Map<String, Value>>>,
        used: &mut HashSet<String>,
        parts: &mut EventParts,
        report: &mut ExportReport,
    ) {
        let id = str_of(o, "id").unwrap_or("").to_string();
        let uuid = uuid_of(&id).unwrap_or_default();
        let ty = str_of(o, "type").unwrap_or("");
        let skip = |report: &mut ExportReport, reason: String| {
            report.skipped.push(Skipped {
                id: id.clone(),
                reason,
            });
        };
        let alternatives: Vec<(String, Tests)> = match ty {
            "indicator" => match str_of(o, "pattern_type") {
                Some("stix") | None => match pattern_tests(str_of(o, "pattern").unwrap_or("")) {
                    Ok(alts) => alts
                        .into_iter()
                        .map(|t| {
                            (
                                t.first()
                                    .map(|(p, _)| p.split(':').next().unwrap_or("").to_string())
                                    .unwrap_or_default(),
                                t,
                            )
                        })
                        .collect(),
                    Err(reason) => return skip(report, reason),
                },
                Some(other) => {
                    return skip(
                        report,
                        format!("{other} patterns have no MISP attribute form"),
                    );
                }
            },
            "observed-data" => flatten(o, index),
            "vulnerability" | "campaign" => {
                let t = if ty == "vulnerability" {
                    "vulnerability"
                } else {
                    "campaign-name"
                };
                let a = self.attribute_entry(o, uuid, t, str_of(o, "name").unwrap_or(""), false);
                parts
                    .by_id
                    .insert(id.clone(), (false, parts.attributes.len()));
                parts.attributes.push(a);
                return;
            }
            t => {
                if let Some(g) = self.cluster(o, t) {
                    if let Some(tag) = g["GalaxyCluster"][0]["tag_name"].as_str() {
                        parts.tags.insert(tag.to_string());
                    }
                    parts.galaxies.push(g);
                }
                return;
            }
        };
        let to_ids = ty == "indicator";
        let many = alternatives.len() > 1;
        for (i, (root, tests)) in alternatives.into_iter().enumerate() {
            let auuid = if many {
                Uuid::new_v5(&MISP_NAMESPACE, format!("{id}/{i}").as_bytes())
            } else {
                uuid
            };
            let labelled =
                misp_label(o, "type").and_then(|t| value_as(t, &tests).map(|v| (t.to_string(), v)));
            let template_name = misp_label(o, "name").map(str::to_string);
            if template_name.is_none()
                && let Some((t, v)) = labelled.or_else(|| guess(&tests))
            {
                parts
                    .by_id
                    .insert(id.clone(), (false, parts.attributes.len()));
                parts
                    .attributes
                    .push(self.attribute_entry(o, auuid, &t, &v, to_ids));
                continue;
            }
            let has_protocols = tests.iter().any(|(p, _)| p.contains(":protocols"));
            let Some(tpl) = template_name
                .as_deref()
                .filter(|n| template::relations(n).is_some())
                .or_else(|| template::template_for_root(&root, has_protocols))
            else {
                skip(
                    report,
                    format!("no MISP attribute type or object template for {tests:?}"),
                );
                continue;
            };
            let mut attrs = Vec::new();
            for (j, (p, v)) in tests.iter().enumerate() {
                let Some((relation, misp_type)) = template::relation_of_path(tpl, p) else {
                    skip(
                        report,
                        format!("path {p} has no relation in MISP object template {tpl}"),
                    );
                    continue;
                };
                let misp_type = if misp_type == "ip-dst" && p.contains("src_ref") {
                    "ip-src"
                } else {
                    misp_type
                };
                let mut a = self.attribute_entry(
                    o,
                    Uuid::new_v5(&MISP_NAMESPACE, format!("{auuid}/{j}").as_bytes()),
                    misp_type,
                    v,
                    to_ids,
                );
                a["object_relation"] = relation.into();
                a["Tag"] = json!([]);
                attrs.push(a);
            }
            if attrs.is_empty() {
                continue;
            }
            let mut tags: Vec<String> = tags_of(o);
            if let Some(t) = tlp_tag(o) {
                tags.push(t);
            }
            // The object's tags ride on its first attribute (MISP objects have none).
            if let Some(first) = attrs.first_mut() {
                first["Tag"] = tags
                    .iter()
                    .map(|t| json!({"name": t}))
                    .collect::<Vec<_>>()
                    .into();
            }
            let mut object = json!({
                "uuid": auuid.to_string(),
                "name": tpl,
                "distribution": "5",
                "timestamp": str_of(o, "modified").and_then(epoch).unwrap_or(0).to_string(),
                "comment": str_of(o, "description").unwrap_or(""),
                "Attribute": attrs,
            });
            if let Some(m) = misp_label(o, "meta-category") {
                object["meta-category"] = m.into();
            }
            // A MISP object split into an indicator and an observed-data
            // becomes one object again.
            let at = parts.object_at.get(&auuid).copied();
            if let Some(existing) = at.and_then(|i| parts.objects.get_mut(i)) {
                if let (Some(Value::Array(into)), Value::Array(from)) =
                    (existing.get_mut("Attribute"), object["Attribute"].take())
                {
                    for a in from {
                        let same = into.iter_mut().find(|x| {
                            x["object_relation"] == a["object_relation"] && x["value"] == a["value"]
                        });
                        match same {
                            Some(x) => {
                                if a["to_ids"] == true {
                                    x["to_ids"] = true.into();
                                }
                            }
                            None => into.push(a),
                        }
                    }
                }
                continue;
            }
            parts.by_id.insert(id.clone(), (true, parts.objects.len()));
            parts.object_at.insert(auuid, parts.objects.len());
            parts.objects.push(object);
        }
        for r in relations.get(id.as_str()).into_iter().flatten() {
            let Some(target) = str_of(r, "target_ref").and_then(|t| index.get(t)) else {
                continue;
            };
            used.insert(str_of(r, "id").unwrap_or("").to_string());
            if let Some(g) = self.cluster(target, str_of(target, "type").unwrap_or("")) {
                used.insert(str_of(target, "id").unwrap_or("").to_string());
                if !parts.galaxies.contains(&g) {
                    if let Some(tag) = g["GalaxyCluster"][0]["tag_name"].as_str() {
                        parts.tags.insert(tag.to_string());
                    }
                    parts.galaxies.push(g);
                }
            }
        }
    }

    /// A galaxy with one cluster for an SDO of a galaxy type.
    fn cluster(&self, o: &Map<String, Value>, ty: &str) -> Option<Value> {
        let galaxy_type = misp_label(o, "galaxy-type")
            .map(str::to_string)
            .or_else(|| {
                Some(
                    match ty {
                        "threat-actor" => "threat-actor",
                        "malware" => "malpedia",
                        "tool" => "tool",
                        "intrusion-set" => "mitre-intrusion-set",
                        "attack-pattern" => "mitre-attack-pattern",
                        "course-of-action" => "mitre-course-of-action",
                        _ => return None,
                    }
                    .to_string(),
                )
            })?;
        galaxy::sdo_type(&galaxy_type)?;
        let name = str_of(o, "name")?;
        let external = o
            .get("external_references")
            .and_then(Value::as_array)
            .and_then(|r| {
                r.iter()
                    .find_map(|x| x.get("external_id").and_then(Value::as_str))
            });
        let value = match (ty, external) {
            ("attack-pattern", Some(e)) => format!("{name} - {e}"),
            _ => name.to_string(),
        };
        let tag = labels_of(o)
            .into_iter()
            .find(|l| l.starts_with("misp-galaxy:"))
            .map_or_else(
                || format!("misp-galaxy:{galaxy_type}=\"{value}\""),
                str::to_string,
            );
        let mut cluster = json!({
            "uuid": str_of(o, "id").and_then(uuid_of).unwrap_or_default().to_string(),
            "type": galaxy_type,
            "value": value,
            "tag_name": tag,
            "description": str_of(o, "description").unwrap_or(""),
        });
        if let Some(aliases) = o.get("aliases") {
            cluster["meta"] = json!({"synonyms": aliases});
        }
        Some(json!({
            "uuid": Uuid::new_v5(&MISP_NAMESPACE, galaxy_type.as_bytes()).to_string(),
            "type": galaxy_type,
            "name": galaxy_type,
            "GalaxyCluster": [cluster],
        }))
    }
}
