//! A full disk: the data directory on a tmpfs of a few MB (mounted by the
//! test, as root, as in CI). An import that fills it fails with a clear
//! error, nothing committed is lost or corrupted, and once space is freed
//! the node takes writes again.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Outcome, bundle_file, counts, indicators, intact};
use crate::harness::{Node, ok, run_code};

/// A mounted tmpfs, unmounted when dropped.
struct Mounted(PathBuf);

impl Mounted {
    fn new(at: &Path, size: &str) -> Mounted {
        std::fs::create_dir_all(at).expect("mount point");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "the full-disk case mounts a small tmpfs and needs root (as CI runs): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Mounted(at.to_path_buf())
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_is_a_clear_error_and_the_node_recovers() {
    let root = tempfile::tempdir().expect("tmp");
    let mnt = root.path().join("small");
    let _m = Mounted::new(&mnt, "6m");
    let n = Node::new(&mnt, "full");
    let filler = mnt.join("filler");
    std::fs::write(&filler, vec![0u8; 1536 * 1024]).expect("filler");
    let big = root.path().join("big.json");
    bundle_file(&big, &indicators("filling", 20_000));
    let (code, _, err) = run_code(&n.dir, &["import", big.to_str().expect("path")], None);
    assert_ne!(code, 0, "an import larger than the disk succeeded");
    assert!(
        err.contains("full") || err.contains("No space"),
        "the error does not say the disk is full: {err}"
    );
    intact(&n.dir);
    let (kept, _) = counts(&n.dir);

    // Space freed: the node takes writes again, and kept what it had.
    std::fs::remove_file(&filler).expect("free space");
    let small = root.path().join("small.json");
    bundle_file(&small, &indicators("after freeing", 100));
    ok(&n.dir, &["import", small.to_str().expect("path")]);
    intact(&n.dir);
    let (objects, versions) = counts(&n.dir);
    Outcome {
        case: "full-disk",
        runs: 1,
        lost: (kept + 100).saturating_sub(objects) as usize,
        duplicated: (versions - objects) as usize,
    }
    .report();
}
