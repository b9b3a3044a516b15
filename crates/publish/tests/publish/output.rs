//! Where an export is written: a directory gets `concord.<ext>` with the
//! hash lists beside it, a file path the output there; every file is
//! replaced whole, with no temporary file left behind.

use concord_publish::output::{self, Written};
use concord_publish::{Scope, publish};
use concord_stix::tlp::Tlp;

use super::support::{Fixture, indicator, now, query};

#[tokio::test]
async fn outputs_go_to_a_directory_or_a_file_with_their_lists_beside() {
    let f = Fixture::new().await;
    f.collection("c", false).await;
    let sha256 = "a".repeat(64);
    f.put(
        "c",
        &[
            indicator(1, "[domain-name:value = 'bad.example']", Tlp::Clear),
            indicator(
                2,
                &format!("[file:hashes.'SHA-256' = '{sha256}']"),
                Tlp::Clear,
            ),
        ],
    )
    .await;
    let rules = publish(&f.store, &Scope::Node, &query("suricata"), now())
        .await
        .unwrap();
    let lists: Vec<String> = rules
        .report
        .as_ref()
        .unwrap()
        .files
        .iter()
        .map(|f| f.name.clone())
        .collect();
    assert!(!lists.is_empty(), "the hash indicator needs a list");
    assert_eq!(Written::to_stdout(&rules).unwritten, lists);

    let dir = tempfile::tempdir().unwrap();
    let into = dir.path().join("new/");
    let w = output::write(&into, &rules).unwrap();
    assert_eq!(
        w.output.as_deref(),
        Some(into.join("concord.rules").as_path())
    );
    assert_eq!(
        std::fs::read(into.join("concord.rules")).unwrap(),
        rules.body
    );
    for name in &lists {
        assert!(into.join(name).is_file(), "{name} beside the rules");
    }
    let file = dir.path().join("zone.txt");
    let text = publish(&f.store, &Scope::Node, &query("text"), now())
        .await
        .unwrap();
    let w = output::write(&file, &text).unwrap();
    assert_eq!(
        (w.output.as_deref(), w.files.len()),
        (Some(file.as_path()), 0)
    );
    std::fs::write(&file, b"old").unwrap();
    output::write(&file, &text).unwrap();
    assert_eq!(std::fs::read(&file).unwrap(), text.body, "replaced whole");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
