//! Any bytes as the (uncompressed) lines of a backup file: never a panic,
//! never a file written outside the restore directory, and a file without
//! its end line is never taken as whole.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let root = std::env::temp_dir().join(format!("concord-fuzz-backup-{}", std::process::id()));
    let dir = root.join("restore");
    let _ = std::fs::remove_dir_all(&root);
    // Rows go nowhere: the reader must cope with a loader that stopped.
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    drop(rx);
    let out = concord_backup::archive::read_lines(data, std::path::Path::new("fuzz"), &dir, tx);
    if out.is_ok() {
        let text = String::from_utf8_lossy(data);
        assert!(text.contains("\"end\""), "taken as whole without an end line");
    }
    // Whatever was written stays under the restore directory.
    if let Ok(entries) = std::fs::read_dir(&root) {
        for e in entries.flatten() {
            assert_eq!(e.file_name(), "restore", "wrote {:?} beside the restore directory", e.path());
        }
    }
    let _ = std::fs::remove_dir_all(&root);
});
