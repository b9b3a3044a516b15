//! MISP galaxy clusters as STIX domain objects: threat actors, malware,
//! tools, intrusion sets, courses of action and ATT&CK attack patterns.
//! Each cluster becomes the same object in every event that names it (its
//! id comes from the cluster UUID, its version is fixed), so importing many
//! events yields one threat actor, not one per event.

use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::model::Cluster;

/// The version of objects MISP gives no timestamp (galaxy clusters,
/// organisations): fixed, so every import writes the same version.
pub(crate) const UNVERSIONED: &str = "1970-01-01T00:00:00.000Z";

/// The STIX type a galaxy maps to, `None` for galaxies without one
/// (countries, sectors, target information...: their tags stay labels).
pub(crate) fn sdo_type(galaxy_type: &str) -> Option<&'static str> {
    let g = galaxy_type;
    Some(match g {
        "threat-actor" | "mitre-threat-actor" | "microsoft-activity-group" => "threat-actor",
        "mitre-intrusion-set"
        | "intrusion-set"
        | "mitre-enterprise-attack-intrusion-set"
        | "mitre-mobile-attack-intrusion-set" => "intrusion-set",
        "tool" | "mitre-tool" | "mitre-enterprise-attack-tool" | "mitre-mobile-attack-tool" => {
            "tool"
        }
        "mitre-course-of-action"
        | "course-of-action"
        | "mitre-enterprise-attack-course-of-action" => "course-of-action",
        _ if g.ends_with("attack-pattern") => "attack-pattern",
        "malpedia"
        | "malware"
        | "mitre-malware"
        | "mitre-enterprise-attack-malware"
        | "mitre-mobile-attack-malware"
        | "android"
        | "banker"
        | "botnet"
        | "ransomware"
        | "rat"
        | "stealer"
        | "backdoor"
        | "exploit-kit"
        | "cryptominers"
        | "tds" => "malware",
        _ => return None,
    })
}

fn meta_strings(cluster: &Cluster<'_>, key: &str) -> Vec<String> {
    match cluster.meta.and_then(|m| m.get(key)) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// The ATT&CK id of a cluster (`meta.external_id`, or the `T1234` at the
/// end of a value such as `Spearphishing Link - T1566.002`).
fn attack_id(cluster: &Cluster<'_>) -> Option<String> {
    if let Some(id) = meta_strings(cluster, "external_id").into_iter().next() {
        return Some(id);
    }
    let (_, tail) = cluster.value.rsplit_once(" - ")?;
    let t = tail.trim();
    let ok = t.len() > 1
        && (t.starts_with('T') || t.starts_with('G') || t.starts_with('S') || t.starts_with('M'))
        && t[1..].chars().all(|c| c.is_ascii_digit() || c == '.');
    ok.then(|| t.to_string())
}

/// The SDO for a cluster; `id_uuid` is the cluster's UUID, or one derived
/// from its galaxy and value when MISP gave none or gave a shared one.
pub(crate) fn cluster_object(
    cluster: &Cluster<'_>,
    sdo: &str,
    id_uuid: Uuid,
) -> Map<String, Value> {
    let mut o = Map::new();
    o.insert("type".into(), sdo.into());
    o.insert("spec_version".into(), "2.1".into());
    o.insert("id".into(), format!("{sdo}--{id_uuid}").into());
    o.insert("created".into(), UNVERSIONED.into());
    o.insert("modified".into(), UNVERSIONED.into());
    let name = match (sdo, cluster.value.rsplit_once(" - ")) {
        ("attack-pattern", Some((name, _))) if attack_id(cluster).is_some() => name.to_string(),
        _ => cluster.value.to_string(),
    };
    o.insert("name".into(), name.into());
    if let Some(d) = &cluster.description {
        o.insert("description".into(), d.as_ref().into());
    }
    let synonyms: Vec<String> = meta_strings(cluster, "synonyms")
        .into_iter()
        .filter(|s| !s.is_empty() && s != cluster.value.as_ref())
        .collect();
    if !synonyms.is_empty() && matches!(sdo, "threat-actor" | "intrusion-set" | "malware" | "tool")
    {
        o.insert("aliases".into(), json!(synonyms));
    }
    if sdo == "malware" {
        o.insert("is_family".into(), true.into());
    }
    let mut labels = vec![format!("misp:galaxy-type=\"{}\"", cluster.galaxy_type)];
    if let Some(t) = &cluster.tag_name {
        labels.push(t.to_string());
    }
    o.insert("labels".into(), json!(labels));
    let mut refs = Vec::new();
    if let Some(id) = attack_id(cluster) {
        let source = if cluster.galaxy_type.contains("mobile") {
            "mitre-mobile-attack"
        } else {
            "mitre-attack"
        };
        refs.push(json!({"source_name": source, "external_id": id}));
    }
    for url in meta_strings(cluster, "refs") {
        if url.starts_with("http://") || url.starts_with("https://") {
            refs.push(json!({"source_name": "misp-galaxy", "url": url}));
        }
    }
    if !refs.is_empty() {
        o.insert("external_references".into(), Value::Array(refs));
    }
    o
}

/// The relationship type from an object made from an attribute to a
/// cluster's SDO (the STIX 2.1 relationship summary, as misp-stix uses it).
pub(crate) fn relationship_type(source_type: &str, target_type: &str) -> &'static str {
    match (source_type, target_type) {
        (
            "indicator",
            "attack-pattern" | "campaign" | "intrusion-set" | "malware" | "threat-actor" | "tool",
        ) => "indicates",
        _ => "related-to",
    }
}
