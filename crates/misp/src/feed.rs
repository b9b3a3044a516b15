//! MISP feeds: the documents a MISP instance reads when it subscribes to a
//! feed (`manifest.json`, one `<uuid>.json` per event, `hashes.csv`), and
//! reading a feed directory back.
//!
//! The formats are PyMISP's (`MISPEvent.manifest`, `to_feed`,
//! `hash_values('md5')`): the manifest maps each event UUID to its `info`,
//! `date`, `analysis`, `threat_level_id`, `timestamp`, `Orgc` and `Tag`;
//! `hashes.csv` has one line `md5,event uuid` per attribute value, with
//! composite values (`a|b`, and `malware-sample`) hashed part by part.

use std::path::Path;

use md5::{Digest, Md5};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::MispError;
use crate::field;
use crate::path::JsonPath;

/// The files of a MISP feed, ready to be served or written.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedDocuments {
    /// `manifest.json`.
    pub manifest: Value,
    /// `<uuid>.json` for each event: the UUID and the document.
    pub events: Vec<(Uuid, Value)>,
    /// `hashes.csv`.
    pub hashes_csv: String,
}

fn hex_md5(text: &str) -> String {
    hex::encode(Md5::digest(text.as_bytes()))
}

fn attribute_hash_lines(a: &Map<String, Value>, event: &str, out: &mut String) {
    let ty = a.get("type").and_then(Value::as_str).unwrap_or("");
    let value = match a.get("value") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return,
    };
    let parts: Vec<&str> = if ty.contains('|') || ty == "malware-sample" {
        value.split('|').collect()
    } else {
        vec![value.as_str()]
    };
    for p in parts {
        out.push_str(&hex_md5(p));
        out.push(',');
        out.push_str(event);
        out.push('\n');
    }
}

/// The feed documents for events (each `{"Event": {...}}`, as the export
/// writes them). Events without a UUID are left out.
pub fn feed_documents(events: &[Value]) -> FeedDocuments {
    let mut manifest = Map::new();
    let mut docs = Vec::new();
    let mut hashes = String::new();
    for doc in events {
        let Some(e) = doc.get("Event").and_then(Value::as_object) else {
            continue;
        };
        let Some(uuid) = e
            .get("uuid")
            .and_then(Value::as_str)
            .and_then(|u| Uuid::parse_str(u).ok())
        else {
            continue;
        };
        let int_of = |k: &str| -> Value {
            match e.get(k) {
                Some(Value::String(s)) => s.parse::<i64>().map_or(Value::Null, Value::from),
                Some(v @ Value::Number(_)) => v.clone(),
                _ => Value::Null,
            }
        };
        let tags: Vec<Value> = e
            .get("Tag")
            .and_then(Value::as_array)
            .map(|ts| {
                ts.iter()
                    .filter_map(|t| t.get("name"))
                    .map(|n| json!({"name": n, "colour": "#ffffff"}))
                    .collect()
            })
            .unwrap_or_default();
        manifest.insert(
            uuid.to_string(),
            json!({
                "Orgc": e.get("Orgc").cloned().unwrap_or(Value::Null),
                "Tag": tags,
                "info": e.get("info").cloned().unwrap_or(Value::Null),
                "date": e.get("date").cloned().unwrap_or(Value::Null),
                "analysis": int_of("analysis"),
                "threat_level_id": int_of("threat_level_id"),
                "timestamp": int_of("timestamp"),
            }),
        );
        let event_uuid = uuid.to_string();
        for a in e
            .get("Attribute")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(a) = a.as_object() {
                attribute_hash_lines(a, &event_uuid, &mut hashes);
            }
        }
        for o in e
            .get("Object")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for a in o
                .get("Attribute")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(a) = a.as_object() {
                    attribute_hash_lines(a, &event_uuid, &mut hashes);
                }
            }
        }
        docs.push((uuid, doc.clone()));
    }
    FeedDocuments {
        manifest: Value::Object(manifest),
        events: docs,
        hashes_csv: hashes,
    }
}

/// The event UUIDs `manifest.json` of a feed directory names, in its order.
pub(crate) fn read_manifest_uuids(dir: &Path) -> Result<Vec<Uuid>, MispError> {
    let file = dir.join("manifest.json");
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
    let root = JsonPath::Root;
    let m = field::item(&value, &root).map_err(in_file)?;
    let mut out = Vec::with_capacity(m.len());
    for key in m.keys() {
        let uuid = Uuid::parse_str(key).map_err(|_| {
            in_file(MispError::shape(
                root.key(key).to_string(),
                "a manifest key must be an event UUID",
            ))
        })?;
        out.push(uuid);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_split_composites() {
        let e = json!({"Event": {"uuid": "5a3c2fda-78f4-44b7-8366-46da02de0b81", "info": "x",
            "Attribute": [{"type": "ip-dst|port", "value": "1.2.3.4|80"}, {"type": "domain", "value": "a.example"}]}});
        let d = feed_documents(&[e]);
        let lines: Vec<&str> = d.hashes_csv.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(
            lines[0],
            format!(
                "{},5a3c2fda-78f4-44b7-8366-46da02de0b81",
                hex_md5("1.2.3.4")
            )
        );
        assert!(
            d.manifest
                .get("5a3c2fda-78f4-44b7-8366-46da02de0b81")
                .is_some()
        );
    }
}
