//! `concord match --sighting`: hits become STIX sightings of the indicator,
//! counted, timed from the log events, marked like the indicator, with this
//! node's identity as where_sighted.

use serde_json::Value;

use crate::harness::{run_code, sample};

/// The sighting of the sample's C2 address that two Zeek events (09:00:00.25
/// and 10:00) make on node `me`, first in an exported bundle; it is
/// returned for the caller's own checks.
pub(crate) fn the_two_c2_hits<'b>(bundle: &'b Value, me: &str) -> &'b Value {
    let s = &bundle["objects"][0];
    assert_eq!(
        s["sighting_of_ref"],
        "indicator--04c2dd3f-1e8c-4934-a390-b4fcb1234818"
    );
    assert_eq!(s["count"], 2);
    assert_eq!(s["first_seen"], "2025-11-25T09:00:00.250Z");
    assert_eq!(s["last_seen"], "2025-11-25T10:00:00.000Z");
    assert_eq!(s["where_sighted_refs"][0], me);
    s
}

#[test]
fn hits_become_sightings_marked_like_their_indicator() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run_code(dir.path(), &["--json", "init", "--org", "CERT-S"], None);
    assert_eq!(code, 0, "{err}");
    let me = serde_json::from_str::<Value>(&out).unwrap()["member"]
        .as_str()
        .unwrap()
        .to_string();
    let sample = sample();
    assert_eq!(
        run_code(dir.path(), &["import", sample.to_str().unwrap()], None).0,
        0
    );

    // Zeek conn log lines: two hits on the C2 address, one miss.
    let log = concat!(
        r#"{"ts":1764061200.25,"uid":"C1","id.orig_h":"10.0.0.5","id.orig_p":51000,"id.resp_h":"203.0.113.66","id.resp_p":443,"proto":"tcp"}"#,
        "\n",
        r#"{"ts":1764061260.5,"uid":"C2","id.orig_h":"10.0.0.6","id.orig_p":51001,"id.resp_h":"192.0.2.10","id.resp_p":80,"proto":"tcp"}"#,
        "\n",
        r#"{"ts":1764064800.0,"uid":"C3","id.orig_h":"10.0.0.7","id.orig_p":51002,"id.resp_h":"203.0.113.66","id.resp_p":443,"proto":"tcp"}"#,
        "\n",
    );
    let (code, out, err) = run_code(dir.path(), &["--json", "match", "--sighting"], Some(log));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 2, "{out}");
    let summary: Value = serde_json::from_str(err.lines().last().unwrap()).unwrap();
    assert_eq!(summary["sightings"].as_array().unwrap().len(), 1);

    let (code, out, err) = run_code(dir.path(), &["export", "--type", "sighting"], None);
    assert_eq!(code, 0, "{err}");
    let bundle: Value = serde_json::from_str(&out).unwrap();
    let s = the_two_c2_hits(&bundle, &me);
    assert_eq!(s["created_by_ref"], me.as_str());
    assert_eq!(
        s["object_marking_refs"][0], "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        "the indicator is TLP:GREEN"
    );
}
