//! The `concord` binary on PostgreSQL: init, import, concurrent writers in
//! several processes, `migrate` both ways, the CONCORD_STORAGE override and
//! clear errors. The server comes from CONCORD_TEST_POSTGRES (scripts/test.sh
//! starts one on 127.0.0.1); without it these tests fail, never skip.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use concord_store::{ListQuery, PgStore, Store, VersionSel};
use serde_json::Value;

use crate::harness::{command, json_out, success};

fn admin_url() -> String {
    std::env::var("CONCORD_TEST_POSTGRES")
        .expect("CONCORD_TEST_POSTGRES is not set: run scripts/test.sh, which starts PostgreSQL")
}

fn fresh_database() -> String {
    let name = format!("concord_cli_{}", uuid::Uuid::new_v4().simple());
    let out = Command::new("psql")
        .arg(admin_url())
        .args([
            "-v",
            "ON_ERROR_STOP=1",
            "-qc",
            &format!("CREATE DATABASE {name}"),
        ])
        .output()
        .expect("psql (installed with PostgreSQL)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let base = admin_url();
    let base = base.split('?').next().unwrap().to_string();
    format!("{}/{name}", &base[..base.rfind('/').unwrap()])
}

/// Runs concord on the storage its config names (never one the test
/// environment sets).
fn concord(dir: &Path, args: &[&str]) -> Output {
    command(dir)
        .args(args)
        .env_remove("CONCORD_STORAGE")
        .stdin(Stdio::null())
        .output()
        .expect("run concord")
}

fn sample() -> String {
    crate::harness::sample().to_string_lossy().into_owned()
}

fn objects_of_export(dir: &Path) -> Vec<Value> {
    let v: Value =
        serde_json::from_str(&success(&concord(dir, &["export", "--include-revoked"]))).unwrap();
    let mut list = v["objects"].as_array().unwrap().clone();
    list.sort_by_key(|o| {
        (
            o["id"].as_str().unwrap().to_string(),
            o["modified"].as_str().unwrap_or("").to_string(),
        )
    });
    list
}

#[test]
fn a_node_on_postgres_behaves_like_an_embedded_one() {
    let url = fresh_database();
    let pg = tempfile::tempdir().unwrap();
    success(&concord(
        pg.path(),
        &["init", "--org", "CERT-PG", "--storage", &url],
    ));
    let config = std::fs::read_to_string(pg.path().join("config.toml")).unwrap();
    assert!(config.contains("storage = \"postgres://"), "{config}");
    assert!(
        !pg.path().join("concord.sqlite").exists(),
        "no embedded file for a PostgreSQL node"
    );
    let report = json_out(&concord(pg.path(), &["--json", "import", &sample()]));
    assert_eq!(report["stored"], 22);

    let lite = tempfile::tempdir().unwrap();
    success(&concord(lite.path(), &["init", "--org", "CERT-Lite"]));
    success(&concord(lite.path(), &["import", &sample()]));

    let a = json_out(&concord(pg.path(), &["--json", "stats"]));
    let b = json_out(&concord(lite.path(), &["--json", "stats"]));
    assert_eq!(a["objects"], b["objects"]);
    assert_eq!(a["by_tlp"], b["by_tlp"]);
    let hits = json_out(&concord(pg.path(), &["--json", "search", "恶意软件"]));
    assert_eq!(hits[0]["type"], "threat-actor");
    let versions = json_out(&concord(
        pg.path(),
        &[
            "--json",
            "show",
            "indicator--04c2dd3f-1e8c-4934-a390-b4fcb1234818",
            "--versions",
        ],
    ));
    assert_eq!(versions.as_array().unwrap().len(), 2);
    // Same intel, same export (each node also holds its own identity).
    let strip = |v: Vec<Value>| -> Vec<Value> {
        v.into_iter()
            .filter(|o| o["name"] != "CERT-PG" && o["name"] != "CERT-Lite")
            .collect()
    };
    assert_eq!(
        strip(objects_of_export(pg.path())),
        strip(objects_of_export(lite.path()))
    );
}

#[test]
fn concurrent_imports_from_several_processes_keep_date_added_unique() {
    let url = fresh_database();
    let node = tempfile::tempdir().unwrap();
    success(&concord(node.path(), &["init", "--storage", &url]));
    let files: Vec<_> = (0..3)
        .map(|p| {
            let path = node.path().join(format!("feed{p}.jsonl"));
            let mut text = String::new();
            for i in 0..400u32 {
                text.push_str(&format!(
                    r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-{:012}","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '203.0.113.{}']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}}"#,
                    p * 10_000 + i,
                    i % 250
                ));
                text.push('\n');
            }
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect();
    let children: Vec<_> = files
        .iter()
        .map(|f| {
            command(node.path())
                .arg("import")
                .arg(f)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let config = std::fs::read_to_string(node.path().join("config.toml")).unwrap();
    let collection = config
        .lines()
        .find_map(|l| l.strip_prefix("collection = "))
        .unwrap()
        .trim_matches('"')
        .to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let page = rt.block_on(async {
        let store = PgStore::connect(&url).await.unwrap();
        store
            .list(ListQuery {
                collection,
                added_after_us: None,
                limit: 100_000,
                ids: vec![],
                types: vec![],
                spec_versions: vec![],
                versions: VersionSel::All,
            })
            .await
            .unwrap()
    });
    assert_eq!(
        page.objects.len(),
        1 + 1200,
        "the node's identity and every imported object"
    );
    let dates: Vec<i64> = page
        .objects
        .iter()
        .map(|o| o.date_added_us.unwrap())
        .collect();
    assert!(
        dates.windows(2).all(|w| w[0] < w[1]),
        "strictly increasing, unique"
    );
}

/// Every table of a migration report was verified on both sides.
fn all_verified(report: &Value) {
    assert_eq!(report["verified"], true, "{report}");
    let tables = report["tables"].as_array().expect("a list of tables");
    assert_eq!(tables.len(), 13, "{report}");
    assert!(tables.iter().all(|t| t["verified"] == true), "{report}");
}

/// A token made before a migration still opens the TAXII server after it.
fn token_still_works(dir: &Path, token: &str) {
    let served = crate::harness::serve(dir);
    let (status, body) =
        crate::operations::taxii(&served.addr(), "/taxii2/root/collections/", token);
    assert_eq!(status, 200, "{body}");
    assert!(
        !body["collections"]
            .as_array()
            .expect("collections")
            .is_empty(),
        "{body}"
    );
}

#[test]
fn migrate_moves_a_node_to_postgres_and_back_verified() {
    let url = fresh_database();
    let node = tempfile::tempdir().unwrap();
    let dir = node.path().to_str().unwrap().to_string();
    success(&concord(node.path(), &["init", "--org", "CERT-Move"]));
    success(&concord(node.path(), &["import", &sample()]));
    let token = crate::harness::user_token(node.path(), "siem", &["--admin"]);
    let before = objects_of_export(node.path());
    let report = json_out(&concord(
        node.path(),
        &["--json", "migrate", "--from", &dir, "--to", &url],
    ));
    all_verified(&report);
    assert_eq!(report["source_versions"], report["target_versions"]);
    let rows = |t: &str| {
        report["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["table"] == t)
            .unwrap()["target"]["rows"]
            .as_u64()
            .unwrap()
    };
    assert_eq!((rows("users"), rows("tokens")), (1, 1));
    // The node now runs on PostgreSQL and holds exactly the same objects.
    let config = std::fs::read_to_string(node.path().join("config.toml")).unwrap();
    assert!(config.contains("postgres://"), "{config}");
    assert_eq!(objects_of_export(node.path()), before);
    token_still_works(node.path(), &token);

    // And back, into a fresh directory that becomes a whole node.
    let back = tempfile::tempdir().unwrap();
    let back_dir = back.path().join("data");
    let report = json_out(&concord(
        node.path(),
        &[
            "--json",
            "migrate",
            "--from",
            &url,
            "--to",
            back_dir.to_str().unwrap(),
        ],
    ));
    all_verified(&report);
    assert_eq!(report["target_versions"], 23);
    let config = std::fs::read_to_string(back_dir.join("config.toml")).unwrap();
    assert!(!config.contains("postgres://"), "{config}");
    assert_eq!(objects_of_export(&back_dir), before);
    token_still_works(&back_dir, &token);
    // A target that holds data is refused, and nothing is switched.
    let out = concord(
        node.path(),
        &[
            "migrate",
            "--from",
            &url,
            "--to",
            back_dir.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));
}

#[test]
fn storage_override_and_unreachable_server() {
    let url = fresh_database();
    let node = tempfile::tempdir().unwrap();
    success(&concord(node.path(), &["init"]));
    // CONCORD_STORAGE points the same node at another (empty, migrated-on-use) database.
    let out = command(node.path())
        .args(["--json", "stats"])
        .env("CONCORD_STORAGE", &url)
        .output()
        .unwrap();
    let stats = json_out(&out);
    assert_eq!(stats["objects"], 0);

    let dead = tempfile::tempdir().unwrap();
    let out = concord(
        dead.path(),
        &[
            "init",
            "--storage",
            "postgres://concord:hunter2@127.0.0.1:1/nowhere",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot reach postgres://concord@127.0.0.1:1/nowhere"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "never print the password: {err}");
    assert!(
        !dead.path().join("node.key").exists(),
        "a failed init leaves nothing half made"
    );
}
