//! The `concord` command line, run as a user runs it: a real binary, a real
//! data directory, real files.

use std::path::Path;
use std::process::Stdio;

use serde_json::Value;

use crate::harness::*;

fn new_node() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    success(&run(dir.path(), &["init", "--org", "CERT-Test"]));
    dir
}

fn stats(dir: &Path) -> Value {
    json_out(&run(dir, &["--json", "stats"]))
}

#[test]
fn init_writes_config_and_a_private_key() {
    let dir = tempfile::tempdir().unwrap();
    let v = json_out(&run(dir.path(), &["--json", "init", "--org", "CERT-X"]));
    assert!(v["member"].as_str().unwrap().starts_with("identity--"));
    assert_eq!(v["public_key"].as_str().unwrap().len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("node.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // `key show` gives the same public key and member (the contract peers use).
    let key = json_out(&run(dir.path(), &["--json", "key", "show"]));
    assert_eq!(key["public_key"], v["public_key"]);
    assert_eq!(key["member"], v["member"]);
    let again = run(dir.path(), &["init"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already initialised"));
    // The member's identity is stored.
    assert_eq!(stats(dir.path())["by_type"]["identity"], 1);
}

#[test]
fn commands_before_init_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["stats"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("concord init"));
}

#[test]
fn import_export_round_trip_is_lossless() {
    let a = new_node();
    let report = json_out(&run(
        a.path(),
        &["--json", "import", sample().to_str().unwrap()],
    ));
    assert_eq!(report["rejected"], 0);
    assert_eq!(report["stored"], 22);
    // Importing again stores nothing new.
    let again = json_out(&run(
        a.path(),
        &["--json", "import", sample().to_str().unwrap()],
    ));
    assert_eq!(
        (again["stored"].as_u64(), again["duplicates"].as_u64()),
        (Some(0), Some(22))
    );

    let out = a.path().join("out.json");
    success(&run(
        a.path(),
        &[
            "export",
            "--include-revoked",
            "--out",
            out.to_str().unwrap(),
        ],
    ));
    let exported: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(exported["type"], "bundle");
    let input: Value = serde_json::from_slice(&std::fs::read(sample()).unwrap()).unwrap();
    // Every latest version of the input comes back with equal JSON meaning:
    // custom properties, granular markings, non-ASCII text, precision.
    let mut latest = std::collections::HashMap::new();
    for o in input["objects"].as_array().unwrap() {
        let key = o["id"].as_str().unwrap().to_string();
        let v = o
            .get("modified")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let keep = latest
            .get(&key)
            .is_none_or(|(old, _): &(String, Value)| *old < v);
        if keep {
            latest.insert(key, (v, o.clone()));
        }
    }
    let objects = exported["objects"].as_array().unwrap();
    let from_input = objects
        .iter()
        .filter(|o| latest.contains_key(o["id"].as_str().unwrap()));
    assert_eq!(from_input.clone().count(), latest.len());
    for o in from_input {
        assert_eq!(&latest[o["id"].as_str().unwrap()].1, o);
    }
    let ta = objects
        .iter()
        .find(|o| o["type"] == "threat-actor")
        .unwrap();
    assert_eq!(ta["name"], "影子熊猫");
    assert_eq!(
        ta["x_example_confidence_note"],
        "custom property kept as is"
    );

    // A second node imports the export and holds the same latest versions.
    let b = new_node();
    success(&run(b.path(), &["import", out.to_str().unwrap()]));
    let sa = stats(a.path());
    let sb = stats(b.path());
    assert_eq!(
        sa["objects"].as_u64().unwrap() + 1,
        sb["objects"].as_u64().unwrap()
    );
}

#[test]
fn show_search_and_export_filters() {
    let a = new_node();
    success(&run(a.path(), &["import", sample().to_str().unwrap()]));
    let id = "indicator--04c2dd3f-1e8c-4934-a390-b4fcb1234818";
    let latest = json_out(&run(a.path(), &["--json", "show", id]));
    assert_eq!(latest["modified"], "2026-11-03T10:00:00.000Z");
    let all = json_out(&run(a.path(), &["--json", "show", id, "--versions"]));
    assert_eq!(all.as_array().unwrap().len(), 2);
    let missing = run(
        a.path(),
        &["show", "indicator--00000000-0000-4000-8000-000000000000"],
    );
    assert_eq!(missing.status.code(), Some(2));

    let hits = json_out(&run(a.path(), &["--json", "search", "恶意软件"]));
    assert_eq!(hits[0]["type"], "threat-actor");
    let hits = json_out(&run(a.path(), &["--json", "search", "invoice-update"]));
    assert_eq!(hits.as_array().unwrap().len(), 3);

    let export = |args: &[&str]| -> Vec<Value> {
        let mut full = vec!["export"];
        full.extend_from_slice(args);
        let v: Value = serde_json::from_str(&success(&run(a.path(), &full))).unwrap();
        v["objects"].as_array().unwrap().clone()
    };
    let green = export(&["--tlp", "green"]);
    assert!(!green.is_empty());
    let amber_ids = ["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"];
    for o in &green {
        let refs = o["object_marking_refs"]
            .as_array()
            .expect("unmarked objects are not exported under --tlp");
        assert!(
            refs.iter()
                .all(|r| !amber_ids.contains(&r.as_str().unwrap()))
        );
    }
    let indicators = export(&["--type", "indicator"]);
    assert_eq!(indicators.len(), 7);
    assert!(indicators.iter().all(|o| o["type"] == "indicator"));
    let recent = export(&["--since", "2026-11-03T00:00:00Z"]);
    // The updated indicator, the report, and the node's own identity (made at init).
    assert_eq!(recent.len(), 3);
    assert!(
        recent
            .iter()
            .all(|o| o["modified"].as_str().unwrap() >= "2026-11-03T00:00:00Z")
    );
    assert!(recent.iter().any(|o| o["type"] == "report"));
    let bad = run(a.path(), &["export", "--tlp", "purple"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--tlp"));
}

fn indicator(n: u32, extra: &str) -> String {
    format!(
        r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-{n:012}","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '203.0.113.{m}']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"{extra}}}"#,
        m = n % 250
    )
}

#[test]
fn rejected_objects_are_listed_and_the_rest_is_kept() {
    let a = new_node();
    let before = stats(a.path())["versions"].as_u64().unwrap();
    let input = format!(
        "{{\"type\":\"bundle\",\"id\":\"bundle--00000000-0000-4000-8000-000000000000\",\"objects\":[\n{},\n{},\n{}\n]}}",
        indicator(1, ""),
        indicator(2, "").replace(
            r#""created":"2026-01-01T00:00:00.000Z""#,
            r#""created":"2026-13-01T00:00:00.000Z""#
        ),
        indicator(3, ""),
    );
    let out = run_bytes(a.path(), &["--json", "import", "-"], Some(input.as_bytes()));
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["stored"], 2);
    assert_eq!(report["rejected"], 1);
    let r = &report["rejections"][0];
    assert_eq!(r["path"], "$.objects[1]");
    assert_eq!(r["line"], 3);
    assert_eq!(r["id"], "indicator--00000000-0000-4000-8000-000000000002");
    assert!(
        r["issues"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["path"] == "$.created")
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("rejected - :3 $.objects[1]")
            || stderr.contains("rejected -:3 $.objects[1]"),
        "{stderr}"
    );
    assert_eq!(stats(a.path())["versions"].as_u64().unwrap(), before + 2);
}

#[test]
fn an_indicator_whose_stix_pattern_does_not_parse_is_rejected_with_where() {
    let a = new_node();
    let before = stats(a.path())["versions"].as_u64().unwrap();
    let unclosed = indicator(4, "").replace(
        "[ipv4-addr:value = '203.0.113.4']",
        "[ipv4-addr:value = '1.2.3.4'",
    );
    let sigma = indicator(5, "").replace(r#""pattern_type":"stix""#, r#""pattern_type":"sigma""#);
    let empty_yara = indicator(6, "")
        .replace("[ipv4-addr:value = '203.0.113.6']", "")
        .replace(r#""pattern_type":"stix""#, r#""pattern_type":"yara""#);
    let input = format!("{}\n{unclosed}\n{sigma}\n{empty_yara}\n", indicator(1, ""));
    let out = run_bytes(
        a.path(),
        &["--json", "import", "--warnings", "-"],
        Some(input.as_bytes()),
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (report["stored"].as_u64(), report["rejected"].as_u64()),
        (Some(3), Some(1)),
        "{report}"
    );
    assert_eq!(report["warnings"], 1, "{report}");
    let r = &report["rejections"][0];
    assert_eq!(r["id"], "indicator--00000000-0000-4000-8000-000000000004");
    let issue = &r["issues"][0];
    assert_eq!(
        (issue["path"].as_str(), issue["rule"].as_str()),
        (Some("$.pattern"), Some("pattern-syntax")),
        "{r}"
    );
    let message = issue["message"].as_str().unwrap();
    assert!(
        message.contains("line 1, column 29") && message.contains("expected"),
        "{message}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("pattern-syntax"), "{stderr}");
    // Other languages are text: stored, an empty one with a warning.
    assert_eq!(stats(a.path())["versions"].as_u64().unwrap(), before + 3);
    assert!(stderr.contains("the yara pattern is empty"), "{stderr}");
}

#[test]
fn strict_stores_nothing_when_anything_is_rejected() {
    let a = new_node();
    let before = stats(a.path());
    let input = format!(
        "{}\n{}\n{{\"type\":\"indicator\"}}\n",
        indicator(1, ""),
        indicator(2, "")
    );
    let out = run_bytes(
        a.path(),
        &["import", "--strict", "-"],
        Some(input.as_bytes()),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing was stored"));
    assert_eq!(stats(a.path()), before);
    // The same without the bad object is stored whole.
    let input = format!("{}\n{}\n", indicator(1, ""), indicator(2, ""));
    success(&run_bytes(
        a.path(),
        &["import", "--strict", "-"],
        Some(input.as_bytes()),
    ));
    assert_eq!(stats(a.path())["by_type"]["indicator"], 2);
}

/// Bad input: a clear error naming the place, exit 1 (never a panic, which
/// would be 101), and nothing of the bad object stored.
#[test]
fn bad_input_gets_clear_errors_and_no_panic() {
    let a = new_node();
    let before = stats(a.path());
    let huge = format!(
        "{{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":[{}]}}",
        indicator(
            9,
            &format!(",\"description\":\"{}\"", "A".repeat(100 * 1024 * 1024))
        )
    );
    let deep = format!(
        "{{\"type\":\"bundle\",\"objects\":[{}]}}",
        "[".repeat(10_000) + &"]".repeat(10_000)
    );
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated",
            indicator(1, "").as_bytes()[..120].to_vec(),
            "input ends inside",
        ),
        (
            "wrong types",
            indicator(1, r#","labels":"not-a-list","confidence":"high""#).into_bytes(),
            "$.",
        ),
        ("100 MB string", huge.into_bytes(), "limit"),
        ("10,000 deep", deep.into_bytes(), "recursion limit"),
        (
            "invalid UTF-8",
            {
                let mut b = indicator(1, ",\"name\":\"x\"").into_bytes();
                let at = b.len() - 3;
                b[at] = 0xff;
                b
            },
            "json-syntax",
        ),
        (
            "duplicate keys",
            indicator(1, r#","pattern_type":"snort""#).into_bytes(),
            "duplicate key \"pattern_type\"",
        ),
        ("not JSON", b"hello".to_vec(), "invalid JSON"),
        (
            "bundle not array",
            br#"{"type":"bundle","id":"bundle--1","objects":{}}"#.to_vec(),
            "must be an array",
        ),
    ];
    for (what, input, expect) in cases {
        let out = run_bytes(a.path(), &["import", "-"], Some(&input));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{what}: {stderr}");
        assert!(
            stderr.contains(expect),
            "{what}: expected {expect:?} in {stderr}"
        );
        assert!(
            stderr.len() < 100_000,
            "{what}: the error must not echo the input"
        );
    }
    assert_eq!(stats(a.path()), before);
}

#[test]
fn a_million_empty_objects_are_rejected_in_bounded_memory() {
    let a = new_node();
    let before = stats(a.path());
    let mut input = b"{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":[".to_vec();
    for i in 0..1_000_000 {
        if i > 0 {
            input.push(b',');
        }
        input.extend_from_slice(b"{}");
    }
    input.extend_from_slice(b"]}");
    let out = run_bytes(a.path(), &["--json", "import", "-"], Some(&input));
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["rejected"], 1_000_000);
    assert_eq!(report["rejections_truncated"], true);
    let peak = report["peak_rss_bytes"]
        .as_u64()
        .expect("peak RSS reported on Linux");
    assert!(peak < 300 * 1024 * 1024, "peak RSS {peak}");
    assert_eq!(stats(a.path()), before);
}

#[test]
fn directories_are_imported_file_by_file() {
    let a = new_node();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("a.json"), indicator(1, "")).unwrap();
    std::fs::write(
        dir.path().join("sub/b.jsonl"),
        format!("{}\n{}\n", indicator(2, ""), indicator(3, "")),
    )
    .unwrap();
    std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
    let report = json_out(&run(
        a.path(),
        &["--json", "import", dir.path().to_str().unwrap()],
    ));
    assert_eq!(report["files"].as_array().unwrap().len(), 2);
    assert_eq!(report["stored"], 3);
}

/// kill -9 in the middle of an import: what is stored is whole batches
/// (8,192 objects each, plus the node's identity), the database is intact,
/// and importing again completes the set without duplicates.
#[test]
fn a_killed_import_leaves_whole_batches_and_resumes() {
    let a = new_node();
    let feed = a.path().join("feed.jsonl");
    let mut text = String::with_capacity(60_000 * 330);
    for i in 0..60_000u32 {
        text.push_str(&indicator(100_000 + i, ""));
        text.push('\n');
    }
    std::fs::write(&feed, text).unwrap();
    let mut child = command(a.path())
        .args(["import", "--no-index", feed.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut killed_with = None;
    for _ in 0..2_000 {
        let v = stats(a.path())["versions"].as_u64().unwrap();
        if v > 1 {
            child.kill().unwrap();
            killed_with = Some(v);
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let _ = child.wait();
    let after = stats(a.path())["versions"].as_u64().unwrap();
    assert!(
        killed_with.is_some() || after == 60_001,
        "the import was seen at work or finished"
    );
    assert!(
        (after - 1).is_multiple_of(8_192) || after == 60_001,
        "{after} versions: half a batch is stored"
    );
    let again = command(a.path())
        .args(["--json", "import", feed.to_str().unwrap()])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(
        report["stored"].as_u64().unwrap() + report["duplicates"].as_u64().unwrap(),
        60_000
    );
    assert_eq!(report["duplicates"].as_u64().unwrap(), after - 1);
    assert_eq!(stats(a.path())["versions"], 60_001);
}

/// The alert scan after an import: with no constituency only the types
/// that can raise an alert are read, and the cursor still moves past
/// everything, so the next scan reads nothing; with a constituency every
/// new entry is read.
#[test]
fn the_alert_scan_reads_only_what_can_raise_an_alert() {
    let a = new_node();
    let scan = |dir: &Path| json_out(&run(dir, &["--json", "alerts", "scan"]));
    let import = |dir: &Path, lines: &[String]| {
        success(&run_bytes(
            dir,
            &["import", "-"],
            Some(lines.join("\n").as_bytes()),
        ));
    };
    let relationship = r#"{"type":"relationship","spec_version":"2.1","id":"relationship--00000000-0000-4000-8000-000000000001","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","relationship_type":"indicates","source_ref":"indicator--00000000-0000-4000-8000-000000000001","target_ref":"indicator--00000000-0000-4000-8000-000000000002"}"#;
    let mut lines: Vec<String> = (1..=40).map(|n| indicator(n, "")).collect();
    lines.push(relationship.to_string());
    // Indicators after the relationship: the last entry is not one the
    // filtered listing returns.
    lines.extend((41..=60).map(|n| indicator(n, "")));
    import(a.path(), &lines);
    let first = scan(a.path());
    assert_eq!(first["examined"], 1, "{first}");
    assert_eq!(first["raised"], 0, "{first}");
    let again = scan(a.path());
    assert_eq!(again["examined"], 0, "{again}");
    let more: Vec<String> = (61..=65).map(|n| indicator(n, "")).collect();
    import(a.path(), &more);
    assert_eq!(scan(a.path())["examined"], 0);
    // A constituency: every type may touch it, so every new entry is read.
    let config = a.path().join("config.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    assert!(!text.contains("[constituency]"), "{text}");
    text.push_str("\n[constituency]\nip_ranges = [\"198.51.100.0/24\"]\n");
    std::fs::write(&config, text).unwrap();
    let last: Vec<String> = (66..=68).map(|n| indicator(n, "")).collect();
    import(a.path(), &last);
    assert_eq!(scan(a.path())["examined"], 3);
}
