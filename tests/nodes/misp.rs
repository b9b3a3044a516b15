//! The MISP bridge end to end: real MISP events (crates/misp/tests/data)
//! through `concord import`, marked, addressed and signed by the importing
//! node and synced to peers as MISP's sharing asked; `concord export
//! --format misp` loaded by PyMISP; MISP → concord → MISP; and the node's
//! `/feeds/misp/` read as MISP reads a feed, under the sharing policy.
//! Needs CONCORD_PYTHON with pymisp and misp-stix (scripts/python-env.sh).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use concord_pattern::{ComparisonExpr, Literal, Operator, Pattern};
use serde_json::{Map, Value, json};

use crate::harness::{
    Node, json_of, ok, python, repo, request, run, served, sync_until, user_token,
};

/// One of the real MISP events the converter is tested with.
pub(crate) fn fixture(name: &str) -> PathBuf {
    repo().join("crates/misp/tests/data").join(name)
}

const FIXTURES: [&str; 3] = ["campaign.json", "sharing-group.json", "response.json"];

/// Runs crates/misp's oracle script (misp-stix, PyMISP) on a file.
pub(crate) fn oracle(command: &str, file: &Path) -> Value {
    let py = python(&["misp_stix_converter", "pymisp"]);
    let out = Command::new(py)
        .arg(repo().join("crates/misp/tests/oracle/misp_oracle.py"))
        .arg(command)
        .arg(file)
        .output()
        .expect("run the MISP oracle");
    assert!(
        out.status.success(),
        "oracle {command}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the oracle prints JSON")
}

/// Adds `other` as a peer of `node` under `name` (MISP organisation names
/// resolve to peers by name).
fn peer_named(node: &Node, other: &Node, name: &str) {
    ok(
        &node.dir,
        &[
            "peer",
            "add",
            name,
            "--url",
            &other.url(),
            "--key",
            &other.key,
            "--member",
            &other.member,
        ],
    );
}

fn import_json(node: &Node, file: &Path) -> Value {
    let out = run(
        &node.dir,
        &["--json", "import", file.to_str().expect("path")],
    );
    assert!(
        out.status.success(),
        "import {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the import report")
}

fn signer(o: &Value) -> Option<&str> {
    o["extensions"]
        .as_object()?
        .values()
        .find_map(|e| e.get("signer"))?
        .as_str()
}

fn tlp_of(o: &Value) -> Option<&'static str> {
    let refs = o["object_marking_refs"].as_array()?;
    refs.iter().find_map(|r| {
        concord_stix::tlp::Tlp::from_marking_id(r.as_str()?).map(concord_stix::tlp::Tlp::word)
    })
}

#[test]
fn misp_events_are_imported_marked_signed_and_shared_as_misp_asked() {
    let root = tempfile::tempdir().expect("tmp");
    // South imports; North is in the event's sharing group; East is not.
    let nodes = served(root.path(), &["South", "North", "East"]);
    let (south, north, east) = (&nodes[0], &nodes[1], &nodes[2]);
    peer_named(south, north, "CERT-North");
    peer_named(south, east, "East");
    north.peer(south);
    east.peer(south);

    let mut unmapped = Vec::new();
    for f in FIXTURES {
        let r = import_json(south, &fixture(f));
        assert!(r["stored"].as_u64().expect("stored") > 0, "{f}: {r}");
        assert_eq!(r["rejected"], 0, "{f}: {r}");
        unmapped.extend(r["unmapped"].as_array().cloned().unwrap_or_default());
    }
    // Unmapped attribute types are listed with the reason.
    let text_attr = unmapped
        .iter()
        .find(|u| u["misp_type"] == "text")
        .expect("the text attribute is reported");
    assert!(
        text_attr["reason"]
            .as_str()
            .expect("reason")
            .contains("no STIX 2.1 mapping"),
        "{text_attr}"
    );
    assert!(
        unmapped
            .iter()
            .any(|u| u["uuid"] == "5f6a0026-7d1e-4c3b-9a8f-1a2b3c4d0026")
    );

    let held = south.held();
    for (id, o) in &held {
        if o["type"] != "marking-definition" {
            assert_eq!(
                signer(o),
                Some(south.member.as_str()),
                "{id} is signed by the importer"
            );
        }
    }
    // Distribution 0 and the org-only event: unmarked, never leaves.
    let org_only = &held["indicator--5f6a0131-7d1e-4c3b-9a8f-1a2b3c4d0131"];
    assert_eq!(tlp_of(org_only), None, "{org_only}");
    assert_eq!(
        tlp_of(&held["indicator--5f6a001f-7d1e-4c3b-9a8f-1a2b3c4d001f"]),
        None
    );
    // tlp:white is CLEAR; the sharing group gives AMBER for its members.
    assert_eq!(
        tlp_of(&held["indicator--5f6a012d-7d1e-4c3b-9a8f-1a2b3c4d012d"]),
        Some("clear")
    );
    let sg = &held["indicator--5f6a00c9-7d1e-4c3b-9a8f-1a2b3c4d00c9"];
    assert_eq!(tlp_of(sg), Some("amber"));
    let audience: BTreeSet<&str> = sg["extensions"]
        .as_object()
        .expect("extensions")
        .values()
        .find_map(|e| e.get("audience"))
        .and_then(Value::as_array)
        .expect("an audience")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        audience,
        BTreeSet::from([north.member.as_str(), south.member.as_str()]),
        "CERT-North and CERT-South (this node's org) are in the group; the unknown ISAC is not"
    );

    // Re-importing updates in place: the same (id, modified), nothing new.
    for f in FIXTURES {
        let r = import_json(south, &fixture(f));
        assert_eq!(r["stored"], 0, "{f}: {r}");
    }
    let before = json_of(&south.dir, &["stats"]);
    // A changed attribute is a new version of the same object.
    let mut event: Value =
        serde_json::from_slice(&std::fs::read(fixture("campaign.json")).expect("fixture"))
            .expect("json");
    let attr = event["Event"]["Attribute"]
        .as_array_mut()
        .expect("attributes")
        .iter_mut()
        .find(|a| a["uuid"] == "5f6a0004-7d1e-4c3b-9a8f-1a2b3c4d0004")
        .expect("the ip-dst attribute");
    attr["value"] = json!("198.51.100.123");
    attr["timestamp"] = json!("1780000000");
    event["Event"]["timestamp"] = json!("1780000000");
    let changed = root.path().join("campaign-changed.json");
    std::fs::write(&changed, event.to_string()).expect("write");
    let r = import_json(south, &changed);
    let after = json_of(&south.dir, &["stats"]);
    assert_eq!(after["objects"], before["objects"], "no new object: {r}");
    assert!(
        r["stored"].as_u64().expect("stored") >= 2,
        "the indicator and the report: {r}"
    );
    let versions = json_of(
        &south.dir,
        &[
            "show",
            "--versions",
            "indicator--5f6a0004-7d1e-4c3b-9a8f-1a2b3c4d0004",
        ],
    );
    let versions = versions.as_array().expect("versions");
    assert_eq!(versions.len(), 2);
    assert!(
        versions[1]["pattern"]
            .as_str()
            .expect("pattern")
            .contains("198.51.100.123")
    );

    // Peers receive what MISP's sharing gave them, and nothing else.
    sync_until(&[north, east], || {
        north
            .held()
            .contains_key("indicator--5f6a012d-7d1e-4c3b-9a8f-1a2b3c4d012d")
            && east
                .held()
                .contains_key("indicator--5f6a012d-7d1e-4c3b-9a8f-1a2b3c4d012d")
            && north
                .held()
                .contains_key("indicator--5f6a00c9-7d1e-4c3b-9a8f-1a2b3c4d00c9")
    });
    let (n, e) = (north.held(), east.held());
    assert!(
        !e.contains_key("indicator--5f6a00c9-7d1e-4c3b-9a8f-1a2b3c4d00c9"),
        "East is not in the sharing group"
    );
    for held in [&n, &e] {
        assert!(
            !held.contains_key("indicator--5f6a0131-7d1e-4c3b-9a8f-1a2b3c4d0131"),
            "org only"
        );
        assert!(
            !held.contains_key("indicator--5f6a001f-7d1e-4c3b-9a8f-1a2b3c4d001f"),
            "org only"
        );
    }
    assert!(north.quarantine().is_empty(), "{:?}", north.quarantine());
}

/// Properties whose values are bookkeeping, not observed values.
fn skipped(key: &str) -> bool {
    matches!(
        key,
        "type"
            | "spec_version"
            | "id"
            | "protocols"
            | "is_multipart"
            | "content_disposition"
            | "defanged"
    ) || key.ends_with("_ref")
        || key.ends_with("_refs")
        || key.starts_with("x_misp")
}

fn collect_value(key: &str, v: &Value, out: &mut BTreeSet<String>) {
    if skipped(key) {
        return;
    }
    match v {
        Value::String(s) => {
            out.insert(s.clone());
        }
        Value::Number(n) => {
            out.insert(n.to_string());
        }
        Value::Array(items) => items.iter().for_each(|i| collect_value("", i, out)),
        Value::Object(m) => m.iter().for_each(|(k, x)| collect_value(k, x, out)),
        _ => {}
    }
}

fn pattern_values(c: &ComparisonExpr, out: &mut BTreeSet<String>) {
    match c {
        ComparisonExpr::Test(t) => {
            let path = t.path.to_string();
            if path.ends_with(".type")
                || path.contains("content_disposition")
                || path.contains(":x_misp")
            {
                return;
            }
            if let Operator::Eq(Literal::Str(s)) = &t.op {
                out.insert(s.clone());
            } else if let Operator::Eq(Literal::Int(i)) = &t.op {
                out.insert(i.to_string());
            }
        }
        ComparisonExpr::And(items) | ComparisonExpr::Or(items) => {
            items.iter().for_each(|i| pattern_values(i, out));
        }
    }
}

/// Every indicator pattern value and every observable value among objects.
fn kept_values<'a>(objects: impl Iterator<Item = &'a Value>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for o in objects {
        match o["type"].as_str().unwrap_or("") {
            "indicator" => {
                let text = o["pattern"].as_str().unwrap_or("");
                let p = Pattern::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
                for c in p.comparisons() {
                    pattern_values(c, &mut out);
                }
            }
            t if concord_stix::id::contributing_properties(t).is_some() => {
                if let Some(m) = o.as_object() {
                    m.iter().for_each(|(k, v)| collect_value(k, v, &mut out));
                }
            }
            _ => {}
        }
    }
    out
}

#[test]
fn concord_import_keeps_every_value_misp_stix_keeps() {
    let root = tempfile::tempdir().expect("tmp");
    let node = Node::new(root.path(), "South");
    import_json(&node, &fixture("campaign.json"));
    let theirs = oracle("misp-stix", &fixture("campaign.json"));
    let theirs = kept_values(theirs["objects"].as_array().expect("a bundle").iter());
    assert!(
        theirs.len() > 10,
        "misp-stix kept almost nothing: {theirs:?}"
    );
    let held = node.held();
    let ours = kept_values(held.values());
    let missing: Vec<&String> = theirs.difference(&ours).collect();
    assert!(
        missing.is_empty(),
        "values misp-stix keeps and concord does not: {missing:?}"
    );
}

/// `(type, value, to_ids)` of every attribute of MISP events (objects'
/// attributes included), with their tags (tlp:white read as tlp:clear).
fn attributes(events: &[Value]) -> BTreeMap<(String, String, bool), BTreeSet<String>> {
    let mut out = BTreeMap::new();
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
            let tags = a["Tag"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t["name"].as_str())
                .map(|t| {
                    if t.eq_ignore_ascii_case("tlp:white") {
                        "tlp:clear".to_string()
                    } else {
                        t.to_string()
                    }
                });
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

fn events_of(fixture_file: &Path) -> Vec<Value> {
    let v: Value =
        serde_json::from_slice(&std::fs::read(fixture_file).expect("fixture")).expect("json");
    match v.get("response") {
        Some(Value::Array(items)) => items.clone(),
        _ => vec![v],
    }
}

#[test]
fn misp_export_loads_in_pymisp_and_round_trips() {
    let root = tempfile::tempdir().expect("tmp");
    let node = Node::new(root.path(), "South");
    let mut unmapped = BTreeSet::new();
    for f in FIXTURES {
        let r = import_json(&node, &fixture(f));
        for u in r["unmapped"].as_array().into_iter().flatten() {
            unmapped.insert(u["uuid"].as_str().unwrap_or("").to_string());
        }
    }
    let out = root.path().join("export.json");
    ok(
        &node.dir,
        &[
            "export",
            "--format",
            "misp",
            "--out",
            out.to_str().expect("path"),
        ],
    );
    let exported: Value =
        serde_json::from_slice(&std::fs::read(&out).expect("export")).expect("json");
    let events = exported["response"]
        .as_array()
        .expect("{\"response\": [...]}")
        .clone();
    assert!(events.len() >= 4, "{} events", events.len());

    // PyMISP loads every event with each type, to_ids and tag intact.
    let list = root.path().join("events.json");
    std::fs::write(&list, Value::Array(events.clone()).to_string()).expect("write");
    let loaded = oracle("pymisp", &list);
    let loaded = loaded.as_array().expect("a list").clone();
    assert_eq!(loaded.len(), events.len());
    let ours = attributes(&events);
    assert!(ours.len() > 30, "{} attributes", ours.len());
    assert_eq!(ours, attributes(&loaded), "PyMISP changed attributes");
    assert!(
        ours.keys().any(|(_, _, to_ids)| *to_ids) && ours.keys().any(|(_, _, to_ids)| !*to_ids)
    );
    for (a, b) in events.iter().zip(&loaded) {
        let (a, b) = (&a["Event"], b.get("Event").unwrap_or(b));
        assert_eq!(a["uuid"], b["uuid"]);
        assert_eq!(a["info"], b["info"]);
        let tags = |e: &Value| -> BTreeSet<String> {
            e["Tag"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t["name"].as_str().map(str::to_string))
                .collect()
        };
        assert_eq!(tags(a), tags(b));
    }
    // The sharing group's event keeps its audience as a sharing group.
    let sg = events
        .iter()
        .find(|e| e["Event"]["uuid"] == "6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
        .expect("the sharing-group event");
    assert_eq!(sg["Event"]["distribution"], "4");
    assert!(sg["Event"]["SharingGroup"]["name"].is_string());

    // MISP → concord → MISP: every mapped attribute comes back with its
    // type, value, to_ids and tags (TLP tags may be added).
    let mut checked = 0;
    for f in FIXTURES {
        let originals = events_of(&fixture(f));
        let mut skip = BTreeSet::new();
        for doc in &originals {
            let e = &doc["Event"];
            let mut all: Vec<&Value> = e["Attribute"]
                .as_array()
                .map(|a| a.iter().collect())
                .unwrap_or_default();
            for o in e["Object"].as_array().into_iter().flatten() {
                all.extend(o["Attribute"].as_array().into_iter().flatten());
            }
            for a in all {
                if unmapped.contains(a["uuid"].as_str().unwrap_or("")) {
                    skip.insert((
                        a["type"].as_str().unwrap_or("").to_string(),
                        a["value"].as_str().unwrap_or("").to_string(),
                    ));
                }
            }
        }
        for ((t, v, to_ids), tags) in attributes(&originals) {
            if skip.contains(&(t.clone(), v.clone())) {
                continue;
            }
            let back = ours
                .get(&(t.clone(), v.clone(), to_ids))
                .unwrap_or_else(|| panic!("{f}: {t} {v:?} to_ids={to_ids} lost"));
            assert!(
                tags.is_subset(back),
                "{f}: {t} {v}: tags {tags:?} became {back:?}"
            );
            assert!(
                back.difference(&tags).all(|x| x.starts_with("tlp:")),
                "{f}: {t} {v}: {back:?}"
            );
            checked += 1;
        }
    }
    assert!(checked > 30, "only {checked} attributes checked");
}

fn feed_text(addr: &str, path: &str, auth: Option<&str>) -> (u16, String) {
    let mut headers = vec![("Accept", "application/json")];
    if let Some(a) = auth {
        headers.push(("Authorization", a));
    }
    let a = request(addr, "GET", path, &headers, "");
    (a.status, a.body)
}

/// What a MISP instance fetching the feed sees: the manifest, then each
/// event it names.
fn fetch_feed(
    addr: &str,
    base: &str,
    query: &str,
    auth: Option<&str>,
) -> (Map<String, Value>, Vec<Value>, String) {
    let (status, body) = feed_text(addr, &format!("{base}manifest.json{query}"), auth);
    assert_eq!(status, 200, "{body}");
    let manifest: Map<String, Value> = serde_json::from_str(&body).expect("a manifest");
    let mut events = Vec::new();
    for uuid in manifest.keys() {
        let (status, body) = feed_text(addr, &format!("{base}{uuid}.json{query}"), auth);
        assert_eq!(status, 200, "{uuid}: {body}");
        events.push(serde_json::from_str(&body).expect("an event"));
    }
    let (status, hashes) = feed_text(addr, &format!("{base}hashes.csv{query}"), auth);
    assert_eq!(status, 200);
    (manifest, events, hashes)
}

#[test]
fn a_misp_client_reads_the_feed_and_sees_only_what_the_policy_allows() {
    let root = tempfile::tempdir().expect("tmp");
    let mut node = Node::new(root.path(), "South");
    ok(&node.dir, &["collection", "add", "pub", "--public"]);
    for f in FIXTURES {
        ok(
            &node.dir,
            &[
                "import",
                "--collection",
                "pub",
                fixture(f).to_str().expect("path"),
            ],
        );
    }
    let token = user_token(&node.dir, "analyst", &["--read", "pub"]);
    node.serve();
    let addr = node.served.as_ref().expect("serving").addr();
    let secret = [
        "192.0.2.200",
        "pay-now.example",
        "amber-only.example",
        "198.51.100.23",
        "192.0.2.250",
    ];

    // Anonymous, as a MISP instance with no credentials: TLP:CLEAR only.
    let (manifest, events, hashes) = fetch_feed(&addr, "/feeds/misp/pub/", "", None);
    // The CLEAR event, and the CLEAR galaxy clusters no visible event
    // names (public knowledge: MISP's default galaxies) in one more event.
    assert!(
        manifest.contains_key("7b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e"),
        "{manifest:?}"
    );
    for hidden in [
        "5e3f4a2b-1c0d-4e9f-8a7b-6c5d4e3f2a10",
        "6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "8c3d4e5f-6a7b-4c8d-8e9f-1a2b3c4d5e6f",
    ] {
        assert!(
            !manifest.contains_key(hidden),
            "anonymous saw event {hidden}"
        );
    }
    for e in &events {
        if e["Event"]["uuid"] != "7b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e" {
            assert_eq!(e["Event"]["Attribute"], json!([]), "{e}");
            assert_eq!(e["Event"]["Object"], json!([]), "{e}");
        }
    }
    let attrs = attributes(&events);
    assert_eq!(attrs.len(), 4, "{attrs:?}");
    for ((t, v, _), tags) in &attrs {
        assert!(tags.contains("tlp:clear"), "{t} {v}: {tags:?}");
    }
    let served_text = format!("{manifest:?}{events:?}{hashes}");
    for s in secret {
        assert!(!served_text.contains(s), "anonymous saw {s}");
    }
    assert_eq!(hashes.lines().count(), 5, "{hashes}");
    // The query form serves the same feed; PyMISP loads what is served.
    let (same, _, _) = fetch_feed(&addr, "/feeds/misp/", "?collection=pub", None);
    assert_eq!(same, manifest);
    let list = root.path().join("served.json");
    std::fs::write(&list, Value::Array(events.clone()).to_string()).expect("write");
    assert_eq!(
        attributes(oracle("pymisp", &list).as_array().expect("list")),
        attrs
    );

    // A user with rights on the collection reads all of it.
    let bearer = format!("Bearer {token}");
    let (manifest, events, _) = fetch_feed(&addr, "/feeds/misp/pub/", "", Some(&bearer));
    for uuid in [
        "5e3f4a2b-1c0d-4e9f-8a7b-6c5d4e3f2a10",
        "6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    ] {
        assert!(
            manifest.contains_key(uuid),
            "{uuid} missing for the analyst"
        );
    }
    let text = format!("{events:?}");
    assert!(text.contains("192.0.2.200") && text.contains("amber-only.example"));

    // The local collection is not public: anonymous callers must sign in.
    let (status, _) = feed_text(&addr, "/feeds/misp/manifest.json", None);
    assert_eq!(status, 401);
    let (status, _) = feed_text(&addr, "/feeds/misp/pub/not-an-event.json", None);
    assert_eq!(status, 404);
    node.served = None;
}
