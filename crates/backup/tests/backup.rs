//! A backup restored into an empty directory holds the same files and
//! tables; a damaged file is refused with its line.
#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a failed unwrap is a failed test"
)]

use concord_stix::{StixObject, json::parse_object};
use concord_store::{AnyStore, NewCollection, PreparedObject, SqliteStore, Store, User};

fn store_in(dir: &std::path::Path) -> AnyStore {
    AnyStore::Sqlite(SqliteStore::open_dir(dir).unwrap())
}

async fn node(dir: &std::path::Path) -> AnyStore {
    std::fs::write(dir.join("config.toml"), "[node]\norg = \"X\"\n").unwrap();
    std::fs::write(
        dir.join("node.key"),
        "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let s = store_in(dir);
    s.create_collection(NewCollection {
        id: Some("c".into()),
        title: "Local intel".into(),
        description: String::new(),
        public: false,
    })
    .await
    .unwrap();
    let text = r#"{"type":"identity","spec_version":"2.1","id":"identity--00000000-0000-4000-8000-000000000001","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"X"}"#;
    let o = StixObject::from_map(parse_object(text.as_bytes()).unwrap());
    s.put_batch("c", vec![PreparedObject::new(&o, text.into())])
        .await
        .unwrap();
    s.put_user(User {
        name: "u".into(),
        password_hash: "h".into(),
        admin: true,
        grants: vec![],
    })
    .await
    .unwrap();
    assert!(s.add_token("u", "f00d").await.unwrap());
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_restores_into_an_empty_directory() {
    let (a, b, out) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let s = node(a.path()).await;
    let file = out.path().join("node.backup");
    let report = concord_backup::backup(&s, a.path(), &file).await.unwrap();
    assert_eq!(report.private_keys, ["node.key"]);
    assert_eq!(report.files, ["config.toml", "node.key"]);
    assert_eq!(report.tables["objects"].rows, 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let target = b.path().join("restored");
    concord_backup::ensure_empty_dir(&target).unwrap();
    std::fs::create_dir(&target).unwrap();
    let restored = store_in(&target);
    let r = concord_backup::restore(&file, &target, &restored)
        .await
        .unwrap();
    assert!(r.verified, "{:?}", r.tables);
    assert_eq!(
        std::fs::read(target.join("node.key")).unwrap(),
        std::fs::read(a.path().join("node.key")).unwrap()
    );
    assert_eq!(
        restored.token_user("f00d").await.unwrap().unwrap().name,
        "u"
    );
    // Not over a directory that holds anything.
    assert!(concord_backup::ensure_empty_dir(&target).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_backup_is_refused() {
    let (a, b, out) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let s = node(a.path()).await;
    let file = out.path().join("node.backup");
    concord_backup::backup(&s, a.path(), &file).await.unwrap();
    // Decompress, drop the end line, compress again.
    use std::io::{Read, Write};
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&file).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let cut: Vec<&str> = text.lines().collect();
    let cut = cut[..cut.len() - 1].join("\n") + "\n";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(cut.as_bytes()).unwrap();
    std::fs::write(&file, gz.finish().unwrap()).unwrap();
    let restored = store_in(b.path());
    let e = concord_backup::restore(&file, b.path(), &restored)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("truncated"), "{e}");
}
