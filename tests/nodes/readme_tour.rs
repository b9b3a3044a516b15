//! The README's "A short tour", run as written so it cannot drift: every
//! command line of its shell blocks, in order, through bash, on a fresh
//! data directory. What is adapted, and only that: `HOME` is a temporary
//! directory (so `~/concord-node` is fresh), the files the tour names
//! (`feed.json`, `intel/`, `conn.log`, ...) are made beside it,
//! `indicator--…` is an id `feed.json` holds, `https://peer.example/` is a
//! second node serving on 127.0.0.1, and `serve --listen 127.0.0.1:8733`
//! listens on a free port (the harness starts it, as every test does).

use serde_json::{Value, json};

use crate::harness::{Node, basic, repo, request, sample, shell};

/// The command lines of the shell blocks between "## A short tour" and
/// the next section, without their comments.
fn tour_lines(readme: &str) -> Vec<String> {
    let section: String = readme
        .lines()
        .skip_while(|l| l.trim() != "## A short tour")
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut out = Vec::new();
    let mut in_block = false;
    for line in section.lines() {
        if line.starts_with("```") {
            in_block = line.trim() == "```sh";
            continue;
        }
        if !in_block {
            continue;
        }
        // A comment starts at a `#` after white space (none of the
        // commands holds one).
        let code = match line.find(" #") {
            Some(i) => &line[..i],
            None if line.trim_start().starts_with('#') => "",
            None => line,
        };
        let code = code.trim();
        if !code.is_empty() {
            out.push(code.to_string());
        }
    }
    out
}

/// The indicator of `feed.json` with two versions, for `show ... --versions`.
const TWO_VERSIONS: &str = "indicator--04c2dd3f-1e8c-4934-a390-b4fcb1234818";

/// The files the tour reads, made in `work`.
fn fixtures(work: &std::path::Path) {
    std::fs::copy(sample(), work.join("feed.json")).expect("feed.json");
    std::fs::create_dir_all(work.join("intel")).expect("intel/");
    let extra = json!({"type": "bundle", "id": "bundle--5d0f6a56-7c0e-4a57-9a38-3a7f7b0b0a01", "objects": [
        {"type": "indicator", "spec_version": "2.1", "id": "indicator--5d0f6a56-7c0e-4a57-9a38-3a7f7b0b0a02",
         "created": "2026-11-05T09:00:00.000Z", "modified": "2026-11-05T09:00:00.000Z",
         "name": "Scanner from the intel directory", "pattern": "[ipv4-addr:value = '192.0.2.201']",
         "pattern_type": "stix", "valid_from": "2026-11-05T09:00:00Z",
         "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}
    ]});
    std::fs::write(work.join("intel/scanners.json"), extra.to_string()).expect("intel");
    let observed = json!({"type": "bundle", "id": "bundle--5d0f6a56-7c0e-4a57-9a38-3a7f7b0b0a03", "objects": [
        {"type": "observed-data", "spec_version": "2.1", "id": "observed-data--5d0f6a56-7c0e-4a57-9a38-3a7f7b0b0a04",
         "created": "2026-11-05T09:00:00.000Z", "modified": "2026-11-05T09:00:00.000Z",
         "first_observed": "2026-11-05T09:00:00Z", "last_observed": "2026-11-05T09:00:00Z",
         "number_observed": 1, "object_refs": ["domain-name--5d0f6a56-7c0e-4a57-9a38-3a7f7b0b0a05"]},
        {"type": "domain-name", "spec_version": "2.1", "id": "domain-name--5d0f6a56-7c0e-4a57-9a38-3a7f7b0b0a05",
         "value": "invoice-update.example.net"}
    ]});
    std::fs::write(work.join("observed.json"), observed.to_string()).expect("observed");
    // Zeek JSON logs: a connection to the Emotet C2, a lookup of the
    // phishing domain.
    std::fs::write(
        work.join("conn.log"),
        r#"{"ts":1793952000.5,"uid":"C1","id.orig_h":"10.1.2.3","id.orig_p":51000,"id.resp_h":"203.0.113.66","id.resp_p":443,"proto":"tcp"}
{"ts":1793952001.5,"uid":"C2","id.orig_h":"10.1.2.3","id.orig_p":51001,"id.resp_h":"192.0.2.1","id.resp_p":443,"proto":"tcp"}
"#,
    )
    .expect("conn.log");
    std::fs::write(
        work.join("dns.log"),
        r#"{"ts":1793952002.5,"uid":"D1","id.orig_h":"10.1.2.3","id.resp_h":"10.0.0.53","query":"invoice-update.example.net","qtype_name":"A"}
"#,
    )
    .expect("dns.log");
    std::fs::write(
        work.join("events.jsonl"),
        r#"{"src":"198.51.100.7","sha256":"0000000000000000000000000000000000000000000000000000000000000000"}
{"src":"10.9.9.9","sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}
"#,
    )
    .expect("events.jsonl");
    // A Suricata EVE log: a flow to the Emotet C2.
    std::fs::write(
        work.join("eve.json"),
        r#"{"timestamp":"2026-11-06T09:00:01.000000+0000","event_type":"flow","src_ip":"10.1.2.3","src_port":51000,"dest_ip":"203.0.113.66","dest_port":443,"proto":"TCP"}
"#,
    )
    .expect("eve.json");
}

/// One object as a JSON line, for the tour's `-` (standard input).
const STDIN_OBJECT: &str = r#"{"type": "indicator", "spec_version": "2.1", "id": "indicator--5d0f6a56-7c0e-4a57-9a38-3a7f7b0b0a06", "created": "2026-11-06T09:00:00.000Z", "modified": "2026-11-06T09:00:00.000Z", "name": "From standard input", "pattern": "[domain-name:value = 'stdin.example']", "pattern_type": "stix", "valid_from": "2026-11-06T09:00:00Z", "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}
"#;

#[test]
fn the_readme_tour_runs_as_written() {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    let lines = tour_lines(&readme);
    assert!(
        lines.len() >= 20 && lines[0].starts_with("export CONCORD_DATA_DIR="),
        "the tour was not found in the README: {lines:?}"
    );
    let tmp = tempfile::tempdir().expect("tmp");
    let home = tmp.path().join("home");
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&home).expect("home");
    std::fs::create_dir_all(&work).expect("work");
    fixtures(&work);

    // peer.example: a node with a collection "Shared intel" that user `me`
    // reads and writes.
    let peer_password = "the peer's password 1";
    let mut peer = Node::new(tmp.path(), "peer");
    crate::harness::ok(&peer.dir, &["collection", "add", "Shared intel"]);
    crate::harness::ok_with(
        &peer.dir,
        &[
            "user",
            "add",
            "me",
            "--password-stdin",
            "--read",
            "Shared intel",
            "--write",
            "Shared intel",
        ],
        Some(&format!("{peer_password}\n")),
    );
    let shared = crate::harness::indicator("shared by the peer", "192.0.2.222");
    let shared_file = tmp.path().join("shared.json");
    std::fs::write(
        &shared_file,
        json!({"type": "bundle", "id": "bundle--5d0f6a56-7c0e-4a57-9a38-3a7f7b0b0a07", "objects": [shared]})
            .to_string(),
    )
    .expect("shared");
    crate::harness::ok(
        &peer.dir,
        &[
            "import",
            "--collection",
            "Shared intel",
            shared_file.to_str().expect("path"),
        ],
    );
    peer.serve();
    let peer_root = format!(
        "{}/taxii2/root/",
        peer.served.as_ref().expect("peer").base()
    );

    let tour_password = "a tour password";
    let home_s = home.to_str().expect("home").to_string();
    let env = [("HOME", home_s.as_str()), ("PW", tour_password)];
    let data_dir = home.join("concord-node");
    let mut exports: Vec<String> = Vec::new();
    let mut outputs: Vec<(String, String, String)> = Vec::new();
    let mut server = None;
    for line in &lines {
        if line.starts_with("export ") {
            exports.push(line.clone());
            continue;
        }
        assert!(line.contains("concord "), "not a concord command: {line}");
        if line.starts_with("concord serve") {
            assert_eq!(line, "concord serve --listen 127.0.0.1:8733");
            server = Some(crate::harness::serve(&data_dir));
            continue;
        }
        let adapted = line
            .replace("indicator--…", TWO_VERSIONS)
            .replace("https://peer.example/taxii2/root/", &peer_root);
        assert!(
            !adapted.contains('…') && !adapted.contains('<'),
            "a placeholder the test does not fill: {line}"
        );
        let stdin = if adapted.contains("--password-stdin") && !adapted.contains("echo") {
            Some(format!("{peer_password}\n"))
        } else if adapted.split_whitespace().any(|w| w == "-") {
            Some(STDIN_OBJECT.to_string())
        } else {
            None
        };
        let script = format!("{}\n{adapted}", exports.join("\n"));
        let out = shell(&work, &env, &script, stdin.as_deref());
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        );
        assert!(
            out.status.success(),
            "the README's `{line}` failed ({:?}):\n{stdout}\n{stderr}",
            out.status
        );
        outputs.push((line.clone(), stdout, stderr));
    }
    let out_of = |prefix: &str| -> &str {
        outputs
            .iter()
            .find(|(l, _, _)| l.starts_with(prefix))
            .map(|(_, o, _)| o.as_str())
            .unwrap_or_else(|| panic!("no `{prefix}` in the tour"))
    };

    // What the tour says it does, it did.
    let search = out_of("concord search 恶意软件");
    assert!(search.contains("threat-actor--"), "{search}");
    let versions = out_of("concord show indicator--");
    assert!(versions.matches("\"modified\"").count() >= 2, "{versions}");
    let green: Value =
        serde_json::from_str(&std::fs::read_to_string(work.join("green.json")).expect("green"))
            .expect("green.json is JSON");
    let exported = green["objects"].as_array().expect("a bundle");
    assert!(
        exported.len() >= 7 && exported.iter().all(|o| o["type"] == json!("indicator")),
        "{green}"
    );
    let stats: Value = serde_json::from_str(out_of("concord --json stats")).expect("stats");
    assert!(stats.to_string().contains("indicator"), "{stats}");
    let pulled = out_of("concord taxii pull");
    assert!(pulled.starts_with("pulled 1 objects"), "{pulled}");
    let pushed = out_of("concord taxii push");
    assert!(pushed.contains("accepted"), "{pushed}");
    let hits: Vec<Value> = out_of("concord match conn.log")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a hit"))
        .collect();
    assert!(
        hits.iter()
            .any(|h| h["observable"] == json!("203.0.113.66"))
            && hits
                .iter()
                .any(|h| h["observable"] == json!("invoice-update.example.net")),
        "{hits:?}"
    );
    let fields = out_of("concord match --field");
    assert_eq!(fields.lines().count(), 2, "{fields}");
    let eve = out_of("concord match --threads 2 eve.json");
    assert!(eve.contains("203.0.113.66"), "{eve}");

    // The user the tour added reads "Partner feed" over TAXII.
    let server = server.expect("the tour serves");
    let collections = request(
        &server.addr(),
        "GET",
        "/taxii2/root/collections/",
        &[
            ("Accept", "application/taxii+json;version=2.1"),
            ("Authorization", &basic("analyst", tour_password)),
        ],
        "",
    );
    assert_eq!(collections.status, 200, "{}", collections.body);
    assert!(
        collections.body.contains("Partner feed"),
        "{}",
        collections.body
    );
}
