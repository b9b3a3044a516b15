//! The analysts' console in a real browser: a fresh `concord serve` on
//! 127.0.0.1 driven by `crates/console/tests/browser/console.mjs`
//! (playwright-core and Debian's Chromium; `scripts/test.sh` installs
//! both). Log in, import a bundle, search, open an object, its versions'
//! diff and its graph, check a provenance signature, sign a proposal of a
//! two-member community (founded here with `concord community init`,
//! `sign` and `adopt`, the proposal made with `community propose renew`),
//! open an incident asking the other member for assistance and add a note,
//! see the peers, sharing rules and quarantine, switch to Arabic
//! (right-to-left), log out; then a user without rights sees neither the
//! pages nor the counts. Screenshots go to
//! `target/console-screenshots/` (or `CONSOLE_SCREENSHOTS`).
//!
//! Without node, Chromium or playwright-core this test FAILS: it does not skip.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::{checked as concord, repo, serve};
use serde_json::{Value, json};

fn browser_dir() -> PathBuf {
    repo().join("crates/console/tests/browser")
}

fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

/// Everything the browser test needs, or a failure that says what to install.
fn check_tools() {
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.as_ref().is_ok_and(|o| o.status.success()),
        "node is missing: run scripts/test.sh (it installs Debian's nodejs and npm)"
    );
    assert!(
        Path::new(&chromium()).exists(),
        "{} is missing: run scripts/test.sh (it installs Debian's chromium)",
        chromium()
    );
    assert!(
        browser_dir()
            .join("node_modules/playwright-core/package.json")
            .exists(),
        "playwright-core is missing in {}: run scripts/test.sh (npm install playwright-core)",
        browser_dir().display()
    );
}

const IDENTITY: &str = "identity--5f1b3c2a-8d7e-4f60-9a1b-2c3d4e5f6a7b";
const INDICATOR: &str = "indicator--0a9e2b1c-3d4f-4a5b-8c6d-7e8f9a0b1c2d";
const MALWARE: &str = "malware--1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e";
const RELATIONSHIP: &str = "relationship--2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f";
const RED: &str = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
const AMBER: &str = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";

/// A bundle: an identity, an indicator in two versions, a malware signed
/// by the identity, a relationship between them, and one invalid object.
fn bundle() -> Value {
    let key = concord_trust::Keypair::from_seed(&[7u8; 32]);
    let malware = json!({
        "type": "malware", "spec_version": "2.1", "id": MALWARE,
        "created": "2026-11-01T10:00:00.000Z", "modified": "2026-11-01T10:00:00.000Z",
        "name": "Quasar Loader", "is_family": true, "created_by_ref": IDENTITY,
        "labels": ["loader"], "object_marking_refs": [RED]
    });
    let signed =
        concord_trust::sign_object(malware.as_object().expect("an object"), IDENTITY, &key)
            .expect("sign the malware");
    json!({
        "type": "bundle",
        "id": "bundle--3d4e5f6a-7b8c-4d9e-8f0a-1b2c3d4e5f6a",
        "objects": [
            {"type": "identity", "spec_version": "2.1", "id": IDENTITY,
             "created": "2026-11-01T09:00:00.000Z", "modified": "2026-11-01T09:00:00.000Z",
             "name": "CERT Example", "identity_class": "organization"},
            {"type": "indicator", "spec_version": "2.1", "id": INDICATOR,
             "created": "2026-11-01T10:00:00.000Z", "modified": "2026-11-01T10:00:00.000Z",
             "name": "Quasar C2 address", "pattern": "[ipv4-addr:value = '203.0.113.77']",
             "pattern_type": "stix", "valid_from": "2026-11-01T10:00:00Z",
             "labels": ["c2"], "object_marking_refs": [AMBER]},
            {"type": "indicator", "spec_version": "2.1", "id": INDICATOR,
             "created": "2026-11-01T10:00:00.000Z", "modified": "2026-11-02T10:00:00.000Z",
             "name": "Quasar C2 address (confirmed)", "pattern": "[ipv4-addr:value = '203.0.113.77']",
             "pattern_type": "stix", "valid_from": "2026-11-01T10:00:00Z", "confidence": 85,
             "labels": ["c2"], "object_marking_refs": [AMBER]},
            Value::Object(signed),
            {"type": "relationship", "spec_version": "2.1", "id": RELATIONSHIP,
             "created": "2026-11-01T10:00:00.000Z", "modified": "2026-11-01T10:00:00.000Z",
             "relationship_type": "indicates", "source_ref": INDICATOR, "target_ref": MALWARE},
            {"type": "indicator", "spec_version": "2.1", "id": "indicator--not-a-uuid",
             "created": "2026-11-01T10:00:00.000Z", "modified": "2026-11-01T10:00:00.000Z"}
        ]
    })
}

/// `concord --json key show` of a node: its member id, node key and
/// governance key.
fn key_show(dir: &Path) -> Value {
    let out = concord(dir, &["--json", "key", "show"], None);
    serde_json::from_slice(&out.stdout).expect("key show JSON")
}

/// A two-member community (this node and a partner that only signs): the
/// genesis signed by both and adopted here, and a renewal proposed here.
/// Returns the proposal id and the partner's member id.
fn found_community(tmp: &Path, dir: &Path) -> (String, String) {
    let partner = tmp.join("partner");
    concord(&partner, &["init", "--org", "CERT-Partner"], None);
    let (a, b) = (key_show(dir), key_show(&partner));
    let founders = json!([
        {"member": a["member"], "name": "CERT Console", "country": "FR",
         "governance_key": a["governance_key"], "node_key": a["public_key"]},
        {"member": b["member"], "name": "CERT Partner", "country": "ES",
         "governance_key": b["governance_key"], "node_key": b["public_key"]},
    ]);
    let founders_path = tmp.join("founders.json");
    std::fs::write(&founders_path, founders.to_string()).expect("write founders");
    let genesis = tmp.join("genesis.json");
    let (f, g) = (
        founders_path.to_str().expect("utf-8 path"),
        genesis.to_str().expect("utf-8 path"),
    );
    concord(
        dir,
        &["--json", "community", "init", "--founders", f, "--out", g],
        None,
    );
    concord(dir, &["community", "sign", g], None);
    concord(&partner, &["community", "sign", g], None);
    concord(dir, &["community", "adopt", g], None);
    let expires =
        concord_stix::Timestamp(concord_stix::Timestamp::now().micros() + 400 * 86_400 * 1_000_000)
            .to_stix();
    let out = concord(
        dir,
        &[
            "--json",
            "community",
            "propose",
            "renew",
            "--expires",
            &expires,
        ],
        None,
    );
    let proposed: Value = serde_json::from_slice(&out.stdout).expect("propose JSON");
    let id = proposed["id"].as_str().expect("a proposal id").to_string();
    let partner_member = b["member"].as_str().expect("partner member").to_string();
    (id, partner_member)
}

#[test]
fn console_in_a_real_browser() {
    check_tools();
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("node");
    concord(&dir, &["init", "--org", "CERT-Console"], None);
    concord(
        &dir,
        &["user", "add", "analyst", "--password-stdin", "--admin"],
        Some("correct horse battery\n"),
    );
    concord(
        &dir,
        &["user", "add", "visitor", "--password-stdin"],
        Some("no rights at all\n"),
    );
    let (proposal, partner) = found_community(tmp.path(), &dir);
    let bundle_path = tmp.path().join("bundle.json");
    std::fs::write(&bundle_path, bundle().to_string()).expect("write bundle");
    let shots = std::env::var("CONSOLE_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo().join("target/console-screenshots"));
    let _ = std::fs::remove_dir_all(&shots);
    let served = serve(&dir);
    let out = Command::new("node")
        .arg(browser_dir().join("console.mjs"))
        .env("CONCORD_URL", served.base())
        .env("CONSOLE_ADMIN", "analyst:correct horse battery")
        .env("CONSOLE_NORIGHTS", "visitor:no rights at all")
        .env("CONSOLE_BUNDLE", &bundle_path)
        .env("CONSOLE_SEARCH", "Quasar")
        .env("CONSOLE_OBJECT", INDICATOR)
        .env("CONSOLE_SIGNED", MALWARE)
        .env("CONSOLE_PROPOSAL", &proposal)
        .env("CONSOLE_PARTNER", &partner)
        .env("CONSOLE_SCREENSHOTS", &shots)
        .env("CHROMIUM", chromium())
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stdout.lines().last().unwrap_or("");
    let result: Value = serde_json::from_str(last).unwrap_or_else(|_| {
        panic!("the browser script printed no result\nstdout:\n{stdout}\nstderr:\n{stderr}")
    });
    assert!(
        out.status.success() && result["ok"] == true,
        "browser test failed: {}\nscreenshots in {}\nstderr:\n{stderr}",
        result,
        shots.display()
    );
    let steps: Vec<&str> = result["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    for want in [
        "login-form",
        "login-admin",
        "import",
        "dashboard",
        "search",
        "object",
        "graph",
        "provenance",
        "sign-proposal",
        "open-incident",
        "peers",
        "arabic",
        "logout",
        "no-rights",
        "no-rights-logout",
    ] {
        assert!(steps.contains(&want), "step {want} did not run: {steps:?}");
    }
    // Fluent isolates placeables with U+2068/U+2069: compare without them.
    let import = result["import"]
        .as_str()
        .unwrap_or("")
        .replace(['\u{2068}', '\u{2069}'], "");
    assert!(
        import.contains("5 stored") && import.contains("1 rejected"),
        "import summary: {import}"
    );
    assert!(
        result["neighbour"]
            .as_str()
            .is_some_and(|h| h.contains(MALWARE)),
        "the graph links the indicator to the malware: {}",
        result["neighbour"]
    );
    let pngs = std::fs::read_dir(&shots)
        .expect("screenshots folder")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "png"))
        })
        .count();
    assert!(pngs >= 15, "{pngs} screenshots in {}", shots.display());
}
