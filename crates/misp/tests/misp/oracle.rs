//! concord against the oracles: misp-stix (MISP to STIX 2.1) and PyMISP
//! (loading concord's MISP export).

use std::collections::{BTreeMap, BTreeSet};

use concord_misp::{Exporter, Organisation, Record};
use serde_json::{Map, Value};

use super::feed::Names;
use super::support::{convert, data, kept_values, oracle};

const FIXTURES: [&str; 3] = ["campaign.json", "sharing-group.json", "response.json"];

#[test]
fn concord_keeps_every_value_misp_stix_keeps() {
    for f in FIXTURES {
        let bundle = oracle("misp-stix", &data(f));
        let theirs_objects: Vec<Map<String, Value>> = bundle["objects"]
            .as_array()
            .expect("a bundle")
            .iter()
            .filter_map(|o| o.as_object().cloned())
            .collect();
        let theirs = kept_values(theirs_objects.iter());
        assert!(
            theirs.len() > 3,
            "{f}: misp-stix kept almost nothing: {theirs:?}"
        );
        let c = convert(f);
        let ours = kept_values(c.objects.iter().map(|o| &o.object));
        let missing: BTreeSet<&String> = theirs.difference(&ours).collect();
        assert!(
            missing.is_empty(),
            "{f}: values misp-stix keeps and concord does not: {missing:?}"
        );
    }
}

/// `(type, value, to_ids)` of every attribute of MISP events (objects'
/// attributes included), with their tags.
fn attributes(events: &[Value]) -> BTreeMap<(String, String, bool), BTreeSet<String>> {
    let mut out = BTreeMap::new();
    let norm = |t: &str| {
        if t.eq_ignore_ascii_case("tlp:white") {
            "tlp:clear".to_string()
        } else {
            t.to_string()
        }
    };
    for doc in events {
        let e = doc.get("Event").unwrap_or(doc);
        let mut all: Vec<&Value> = e["Attribute"]
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        for o in e["Object"].as_array().into_iter().flatten() {
            all.extend(o["Attribute"].as_array().into_iter().flatten());
        }
        for a in all {
            let to_ids = match &a["to_ids"] {
                Value::Bool(b) => *b,
                Value::String(s) => s == "1",
                _ => false,
            };
            let tags: BTreeSet<String> = a["Tag"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t["name"].as_str())
                .map(norm)
                .collect();
            out.entry((
                a["type"].as_str().unwrap_or("").to_string(),
                a["value"].as_str().unwrap_or("").to_string(),
                to_ids,
            ))
            .or_insert_with(BTreeSet::new)
            .extend(tags);
        }
    }
    out
}

fn export(f: &str) -> (Vec<Value>, concord_misp::Conversion) {
    let c = convert(f);
    let objects: Vec<Map<String, Value>> = c.objects.iter().map(|o| o.object.clone()).collect();
    let names = Names;
    let e = Exporter::new(
        &names,
        Organisation {
            uuid: None,
            name: "CERT-North".into(),
        },
    )
    .export(&objects);
    (e.events, c)
}

#[test]
fn pymisp_loads_the_export_with_types_to_ids_and_tags_intact() {
    for f in FIXTURES {
        let (events, _) = export(f);
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), serde_json::to_vec(&events).unwrap()).unwrap();
        let loaded = oracle("pymisp", file.path());
        let loaded: Vec<Value> = loaded.as_array().unwrap().clone();
        assert_eq!(loaded.len(), events.len());
        let ours = attributes(&events);
        let theirs = attributes(&loaded);
        assert!(!ours.is_empty());
        assert_eq!(ours, theirs, "{f}: PyMISP changed attributes");
        for (a, b) in events.iter().zip(&loaded) {
            let tags = |e: &Value| -> BTreeSet<String> {
                let e = e.get("Event").unwrap_or(e);
                e["Tag"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|t| t["name"].as_str().map(str::to_string))
                    .collect()
            };
            assert_eq!(tags(a), tags(b), "{f}: event tags");
            let ea = a.get("Event").unwrap();
            let eb = b.get("Event").unwrap_or(b);
            assert_eq!(ea["uuid"], eb["uuid"]);
            assert_eq!(ea["info"], eb["info"]);
        }
    }
}

#[test]
fn round_trip_keeps_every_mapped_attribute() {
    for f in FIXTURES {
        let original: Value = serde_json::from_slice(&std::fs::read(data(f)).unwrap()).unwrap();
        let originals: Vec<Value> = match original.get("response") {
            Some(Value::Array(items)) => items.clone(),
            _ => vec![original.clone()],
        };
        let (events, c) = export(f);
        let unmapped: BTreeSet<String> = c
            .report
            .unmapped
            .iter()
            .filter(|u| u.record == Record::Attribute)
            .map(|u| u.uuid.to_string())
            .collect();
        // Attributes of unmapped object templates go out standalone: drop
        // their object_relation view by comparing (type, value, to_ids).
        let mut wanted = BTreeMap::new();
        for (k, tags) in attributes(&originals) {
            wanted.insert(k, tags);
        }
        let mut mapped_uuids = BTreeSet::new();
        for doc in &originals {
            let e = &doc["Event"];
            for a in e["Attribute"].as_array().into_iter().flatten() {
                mapped_uuids.insert((
                    a["uuid"].as_str().unwrap().to_string(),
                    a["type"].as_str().unwrap().to_string(),
                    a["value"].as_str().unwrap().to_string(),
                ));
            }
            for o in e["Object"].as_array().into_iter().flatten() {
                for a in o["Attribute"].as_array().into_iter().flatten() {
                    mapped_uuids.insert((
                        a["uuid"].as_str().unwrap().to_string(),
                        a["type"].as_str().unwrap().to_string(),
                        a["value"].as_str().unwrap().to_string(),
                    ));
                }
            }
        }
        let skip: BTreeSet<(String, String)> = mapped_uuids
            .iter()
            .filter(|(u, _, _)| unmapped.contains(u))
            .map(|(_, t, v)| (t.clone(), v.clone()))
            .collect();
        let got = attributes(&events);
        let mut checked = 0;
        for ((t, v, to_ids), tags) in &wanted {
            if skip.contains(&(t.clone(), v.clone())) {
                continue;
            }
            let back = got
                .get(&(t.clone(), v.clone(), *to_ids))
                .unwrap_or_else(|| {
                    panic!(
                        "{f}: {t} {v:?} to_ids={to_ids} lost; exported: {:#?}",
                        got.keys()
                    )
                });
            let extra: BTreeSet<&String> = back.difference(tags).collect();
            assert!(
                tags.is_subset(back),
                "{f}: {t} {v}: tags {tags:?} became {back:?}"
            );
            assert!(
                extra.iter().all(|t| t.starts_with("tlp:")),
                "{f}: {t} {v}: new tags {extra:?}"
            );
            checked += 1;
        }
        assert!(checked > 3, "{f}: only {checked} attributes checked");
    }
}
