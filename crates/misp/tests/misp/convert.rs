//! The conversion on its own: validity, ids, versions, sharing, report.

use concord_misp::{Importer, MemberDirectory, MispError, Reach, Record};
use concord_stix::tlp::Tlp;
use serde_json::{Value, json};

use super::support::{convert, data, directory};

fn find<'a>(c: &'a concord_misp::Conversion, id: &str) -> &'a concord_misp::Converted {
    c.objects
        .iter()
        .find(|o| o.object["id"] == id)
        .unwrap_or_else(|| panic!("{id} not produced"))
}

#[test]
fn everything_produced_is_valid_stix() {
    for f in ["campaign.json", "sharing-group.json", "response.json"] {
        let c = convert(f);
        assert!(!c.objects.is_empty());
        for o in &c.objects {
            let bytes = serde_json::to_vec(&o.object).unwrap();
            let checked = concord_stix::ingest::read_object(&bytes, &concord_pattern::Grammar);
            assert!(checked.is_ok(), "{f}: {:?}: {:?}", o.object, checked.err());
            if let Some(p) = o.object.get("pattern").and_then(Value::as_str) {
                concord_pattern::Pattern::parse(p).unwrap_or_else(|e| panic!("{p}: {e}"));
            }
            assert_eq!(
                concord_stix::StixObject::from_map(o.object.clone()).tlp(),
                o.sharing.tlp,
                "markings follow the decision"
            );
        }
    }
}

#[test]
fn ids_come_from_misp_uuids_and_composites_become_patterns() {
    let c = convert("campaign.json");
    let report = find(&c, "report--5e3f4a2b-1c0d-4e9f-8a7b-6c5d4e3f2a10");
    assert_eq!(
        report.object["name"],
        "X-Agent campaign against energy sector"
    );
    assert_eq!(report.object["published"], "2024-04-09T14:00:00.000Z");
    let patterns: Vec<&str> = c
        .objects
        .iter()
        .filter_map(|o| o.object.get("pattern").and_then(Value::as_str))
        .collect();
    for expected in [
        "[ipv4-addr:value = '198.51.100.23']",
        "[network-traffic:dst_ref.value = '203.0.113.77' AND network-traffic:dst_port = 8443]",
        "[network-traffic:src_ref.value = '192.0.2.15' AND network-traffic:src_port = 51234]",
        "[domain-name:value = 'cdn-fonts.example' AND domain-name:resolves_to_refs[*].value = '203.0.113.78']",
        "[network-traffic:dst_ref.value = 'relay.cdn-fonts.example' AND network-traffic:dst_port = 443]",
        "[file:name = 'dropper.dll' AND file:hashes.MD5 = '9e107d9d372bb6826bd81d3542a419d6']",
    ] {
        assert!(
            patterns.contains(&expected),
            "missing {expected} in {patterns:#?}"
        );
    }
    // The file object: one pattern for its to_ids attributes, one
    // observed-data for the size.
    let file_pattern = patterns
        .iter()
        .find(|p| p.contains("svchost32.exe"))
        .expect("file object pattern");
    assert!(file_pattern.contains("file:hashes.MD5") && file_pattern.contains("'SHA-256'"));
    let observed: Vec<&concord_misp::Converted> = c
        .objects
        .iter()
        .filter(|o| o.object["type"] == "observed-data")
        .collect();
    assert!(
        observed
            .iter()
            .any(|o| o.object["labels"][0] == "misp:name=\"file\"")
    );
    // An SCO id is the deterministic one.
    for o in c.objects.iter().filter(|o| o.object["type"] == "ipv4-addr") {
        assert_eq!(
            o.object["id"],
            concord_stix::id::deterministic_sco_id(&o.object)
                .unwrap()
                .as_str()
        );
    }
}

#[test]
fn galaxies_sightings_and_labels() {
    let c = convert("campaign.json");
    let actor = find(&c, "threat-actor--7cdff317-a673-4474-84ec-4f1754947823");
    assert_eq!(actor.object["aliases"], json!(["APT28", "Fancy Bear"]));
    let ap = find(&c, "attack-pattern--2b742742-28c3-4e1b-bab7-8350d6300fa7");
    assert_eq!(ap.object["name"], "Spearphishing Link");
    assert_eq!(
        ap.object["external_references"][0]["external_id"],
        "T1566.002"
    );
    let malware = find(&c, "malware--5b2b8f5f-2f7e-4c34-8a8f-3c6f0b1a9d10");
    assert_eq!(malware.object["is_family"], true);
    let rel = c
        .objects
        .iter()
        .find(|o| {
            o.object["type"] == "relationship" && o.object["target_ref"] == malware.object["id"]
        })
        .expect("indicator indicates malware");
    assert_eq!(rel.object["relationship_type"], "indicates");
    let sighting = c
        .objects
        .iter()
        .find(|o| o.object["type"] == "sighting")
        .expect("sighting");
    assert_eq!(
        sighting.object["where_sighted_refs"][0],
        "identity--3f8e5a3a-1c2b-4d5e-8f90-0a1b2c3d4e02"
    );
    assert_eq!(sighting.object["sighting_of_ref"], rel.object["source_ref"]);
    assert!(c.objects.iter().any(|o| o.object["type"] == "opinion"));
    let domain = c
        .objects
        .iter()
        .find(|o| {
            o.object.get("pattern") == Some(&json!("[domain-name:value = 'update-check.example']"))
        })
        .unwrap();
    assert!(
        domain.object["labels"]
            .as_array()
            .unwrap()
            .contains(&json!("kill-chain:Command and Control"))
    );
    assert!(!domain.object["labels"].to_string().contains("tlp:"));
}

#[test]
fn unmapped_records_are_reported_with_their_reason() {
    let c = convert("campaign.json");
    let r = &c.report;
    assert_eq!(r.events, 1);
    let types: Vec<&str> = r.unmapped.iter().map(|u| u.misp_type.as_str()).collect();
    for t in ["text", "comment", "port", "sha256", "country", "person"] {
        assert!(types.contains(&t), "{t} not reported: {types:?}");
    }
    let bad = r.unmapped.iter().find(|u| u.misp_type == "sha256").unwrap();
    assert!(bad.reason.contains("SHA-256"), "{}", bad.reason);
    assert!(bad.path.starts_with("$.Event.Attribute["), "{}", bad.path);
    assert_eq!(bad.record, Record::Attribute);
    assert_eq!(
        bad.event.to_string(),
        "5e3f4a2b-1c0d-4e9f-8a7b-6c5d4e3f2a10"
    );
    // Every attribute is either mapped or reported.
    let attribute_entries = r
        .unmapped
        .iter()
        .filter(|u| u.record == Record::Attribute)
        .count();
    assert_eq!(r.attributes, r.attributes_mapped + attribute_entries);
}

#[test]
fn distribution_levels_map_to_sharing() {
    let c = convert("campaign.json");
    let by_value = |v: &str| {
        c.objects
            .iter()
            .find(|o| {
                o.object.get("pattern").and_then(Value::as_str)
                    == Some(&format!("[ipv4-addr:value = '{v}']"))
            })
            .unwrap_or_else(|| panic!("{v}"))
            .sharing
            .clone()
    };
    // The event is distribution 1 with tlp:green: attributes inherit it and
    // the most restrictive wins.
    assert_eq!(by_value("198.51.100.41").reach, Reach::Node);
    assert_eq!(by_value("198.51.100.41").tlp, None);
    assert_eq!(by_value("198.51.100.42").tlp, Some(Tlp::Green));
    assert_eq!(by_value("198.51.100.43").relay, concord_trust::Relay::None);
    assert_eq!(by_value("198.51.100.44").tlp, Some(Tlp::Green));
    assert_eq!(
        by_value("198.51.100.45").reach,
        Reach::Members(
            [
                "identity--1f0c5a9e-0b0c-4f43-9a3f-3d7c7a2b0a01".to_string(),
                "identity--1f0c5a9e-0b0c-4f43-9a3f-3d7c7a2b0a02".to_string()
            ]
            .into()
        )
    );
    let amber = c
        .objects
        .iter()
        .find(|o| {
            o.object.get("pattern") == Some(&json!("[domain-name:value = 'strict-only.example']"))
        })
        .unwrap();
    assert_eq!(amber.sharing.tlp, Some(Tlp::AmberStrict));
    // Narrower objects are held by a restricted grouping, not the report.
    let report = find(&c, "report--5e3f4a2b-1c0d-4e9f-8a7b-6c5d4e3f2a10");
    let refs = report.object["object_refs"].as_array().unwrap();
    assert!(!refs.contains(&amber.object["id"]));
    let holder = c
        .objects
        .iter()
        .find(|o| {
            o.object["type"] == "grouping"
                && o.object["object_refs"]
                    .as_array()
                    .unwrap()
                    .contains(&amber.object["id"])
        })
        .expect("restricted grouping");
    assert_eq!(holder.sharing, amber.sharing);
    assert_eq!(holder.object["x_misp_event_ref"], report.object["id"]);
    for id in refs {
        let o = find(&c, id.as_str().unwrap());
        assert!(
            o.sharing.covers(&report.sharing),
            "{id} would hide the report"
        );
    }

    // A sharing group event: its members, an unmapped organisation dropped.
    let sg = convert("sharing-group.json");
    let grouping = find(&sg, "grouping--6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
    assert_eq!(grouping.object["context"], "suspicious-activity");
    assert_eq!(grouping.sharing.tlp, Some(Tlp::Amber));
    match &grouping.sharing.reach {
        Reach::Members(m) => assert_eq!(m.len(), 2),
        other => panic!("{other:?}"),
    }
    // With no organisation mapped, a sharing group reaches nobody.
    let bytes = std::fs::read(data("sharing-group.json")).unwrap();
    let empty = MemberDirectory::new();
    let c = Importer::new(&empty).convert_bytes(&bytes).unwrap();
    let g = find(&c, "grouping--6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
    assert_eq!(g.sharing.reach, Reach::Nobody);
    assert!(g.sharing.audience("identity--me").unwrap().never_export);

    // tlp:white is CLEAR; distribution 0 never leaves.
    let resp = convert("response.json");
    let clear = find(&resp, "report--7b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e");
    assert_eq!(clear.sharing.tlp, Some(Tlp::Clear));
    let local = find(&resp, "report--8c3d4e5f-6a7b-4c8d-8e9f-1a2b3c4d5e6f");
    assert_eq!(local.sharing.reach, Reach::Node);
    assert!(local.object.get("object_marking_refs").is_none());
}

#[test]
fn reimport_is_stable_and_a_change_is_a_newer_version() {
    let bytes = std::fs::read(data("campaign.json")).unwrap();
    let dir = directory();
    let a = Importer::new(&dir).convert_bytes(&bytes).unwrap();
    let b = Importer::new(&dir).convert_bytes(&bytes).unwrap();
    assert_eq!(a, b, "the same event converts to the same objects");
    let mut v: Value = serde_json::from_slice(&bytes).unwrap();
    v["Event"]["Attribute"][2]["value"] = json!("changed.example");
    v["Event"]["Attribute"][2]["timestamp"] = json!("1712700000");
    v["Event"]["timestamp"] = json!("1712700000");
    let c = Importer::new(&dir).convert_value(&v).unwrap();
    let uuid = v["Event"]["Attribute"][2]["uuid"].as_str().unwrap();
    let id = format!("indicator--{uuid}");
    let old = find(&a, &id);
    let new = find(&c, &id);
    assert!(new.object["modified"].as_str() > old.object["modified"].as_str());
    assert_eq!(new.object["created"], old.object["created"]);
    let untouched = format!(
        "indicator--{}",
        v["Event"]["Attribute"][0]["uuid"].as_str().unwrap()
    );
    assert_eq!(find(&a, &untouched).object, find(&c, &untouched).object);
    // A deleted attribute becomes a revoked version.
    v["Event"]["Attribute"][2]["deleted"] = json!(true);
    let d = Importer::new(&dir).convert_value(&v).unwrap();
    assert_eq!(find(&d, &id).object["revoked"], true);
}

#[test]
fn bad_input_names_the_json_path() {
    let dir = directory();
    let imp = Importer::new(&dir);
    let err = imp
        .convert_bytes(b"{\"Event\": {\"uuid\": \"x\", \"info\": \"a\", \"timestamp\": \"1\"}}")
        .unwrap_err();
    assert_eq!(err.to_string(), "$.Event.uuid: \"x\" is not a UUID");
    let err = imp
        .convert_bytes(
            br#"{"response": [{"Event": {"uuid": "5e3f4a2b-1c0d-4e9f-8a7b-6c5d4e3f2a10", "info": "a", "timestamp": "1",
                "Attribute": [{"uuid": "5e3f4a2b-1c0d-4e9f-8a7b-6c5d4e3f2a11", "type": "domain", "value": "a.example", "to_ids": "maybe"}]}}]}"#,
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "$.response[0].Event.Attribute[0].to_ids: expected a boolean, found the string \"maybe\""
    );
    assert!(matches!(
        imp.convert_bytes(b"[1,"),
        Err(MispError::Json { .. })
    ));
    assert!(
        imp.convert_bytes(b"{\"hello\": 1}")
            .unwrap_err()
            .to_string()
            .starts_with("$: expected a MISP event")
    );
}

#[test]
fn a_large_event_converts_as_its_parts_do() {
    // Past 2,048 attributes an event's attributes are prepared on several
    // threads (on a machine with more than one core, as CI's); what comes
    // out must be what one thread makes: the same objects with the same
    // sharing in the same order, the same report. The parts are converted
    // as two events of 1,500 attributes, each on one thread.
    let bytes = std::fs::read(data("campaign.json")).unwrap();
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    let mut event = v["Event"].clone();
    // MISP objects come after every attribute of their event: left out, so
    // the parts' output order is the whole's.
    event.as_object_mut().unwrap().remove("Object");
    let base = event["Attribute"].as_array().unwrap().clone();
    let attributes: Vec<Value> = (0..3_000usize)
        .map(|i| {
            let mut a = base[i % base.len()].clone();
            a["uuid"] = json!(format!("00000000-0000-4000-8000-{i:012x}"));
            a
        })
        .collect();
    let with = |uuid: &str, attributes: &[Value]| {
        let mut e = event.clone();
        e["uuid"] = json!(uuid);
        e["Attribute"] = json!(attributes);
        json!({ "Event": e })
    };
    let dir = directory();
    let whole = Importer::new(&dir)
        .convert_value(&with("00000000-0000-4000-9000-000000000001", &attributes))
        .unwrap();
    let parts = Importer::new(&dir)
        .convert_value(&json!([
            with("00000000-0000-4000-9000-000000000002", &attributes[..1_500]),
            with("00000000-0000-4000-9000-000000000003", &attributes[1_500..]),
        ]))
        .unwrap();
    fn held(
        c: &concord_misp::Conversion,
    ) -> Vec<(&serde_json::Map<String, Value>, &concord_misp::Sharing)> {
        c.objects
            .iter()
            .filter(|o| !matches!(o.object["type"].as_str(), Some("report" | "grouping")))
            .map(|o| (&o.object, &o.sharing))
            .collect()
    }
    assert!(held(&whole).len() > 2_500, "{}", held(&whole).len());
    assert!(
        held(&whole) == held(&parts),
        "the whole differs from its parts"
    );
    let unmapped = |c: &concord_misp::Conversion| {
        c.report
            .unmapped
            .iter()
            .filter(|u| u.record == Record::Attribute)
            .map(|u| (u.uuid, u.misp_type.clone(), u.reason.clone()))
            .collect::<Vec<_>>()
    };
    assert!(!unmapped(&whole).is_empty());
    assert_eq!(unmapped(&whole), unmapped(&parts));
    assert_eq!(
        (whole.report.attributes, whole.report.attributes_mapped),
        (parts.report.attributes, parts.report.attributes_mapped)
    );
    assert_eq!(whole.report.attributes, 3_000);
}
