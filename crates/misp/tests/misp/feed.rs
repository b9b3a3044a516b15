//! MISP feeds: concord's feed documents read back as a feed directory.

use concord_misp::{AudienceNaming, Exporter, Importer, Organisation, feed_documents};

use super::support::{convert, directory};

pub(crate) struct Names;

impl AudienceNaming for Names {
    fn sharing_group(&self, audience: &[String]) -> Option<String> {
        Some(format!("concord: {}", audience.join(", ")))
    }
}

#[test]
fn feed_documents_read_back_as_a_feed_directory() {
    let c = convert("response.json");
    let objects: Vec<_> = c.objects.iter().map(|o| o.object.clone()).collect();
    let names = Names;
    let export = Exporter::new(
        &names,
        Organisation {
            uuid: None,
            name: "CERT-North".into(),
        },
    )
    .export(&objects);
    let feed = feed_documents(&export.events);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("manifest.json"), feed.manifest.to_string()).unwrap();
    std::fs::write(dir.path().join("hashes.csv"), &feed.hashes_csv).unwrap();
    for (uuid, doc) in &feed.events {
        std::fs::write(dir.path().join(format!("{uuid}.json")), doc.to_string()).unwrap();
    }
    let entry = &feed.manifest["7b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e"];
    assert_eq!(entry["info"], "Commodity stealer feed, weekly");
    assert_eq!(entry["date"], "2024-06-01");
    assert_eq!(entry["threat_level_id"], 3);
    assert_eq!(entry["analysis"], 2);
    assert_eq!(entry["Orgc"]["name"], "CERT-North");
    assert!(
        entry["Tag"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "tlp:clear")
    );
    // md5("203.0.113.150"), and both halves of filename|sha1.
    assert!(
        feed.hashes_csv
            .lines()
            .any(|l| l.ends_with(",7b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e"))
    );
    assert_eq!(
        feed.hashes_csv
            .lines()
            .filter(|l| l.ends_with("7b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e"))
            .count(),
        5
    );
    let dir_map = directory();
    let back = Importer::new(&dir_map).convert_feed(dir.path()).unwrap();
    assert_eq!(back.report.events, feed.events.len());
    let patterns: Vec<&str> = back
        .objects
        .iter()
        .filter_map(|o| o.object.get("pattern").and_then(|p| p.as_str()))
        .collect();
    assert!(patterns.contains(&"[url:value = 'http://stealer-panel.example/login']"));
    // A missing event file is an error naming the file.
    std::fs::remove_file(dir.path().join("7b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e.json")).unwrap();
    let err = Importer::new(&dir_map)
        .convert_feed(dir.path())
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("7b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e.json"),
        "{err}"
    );
}
