//! Durable writes for the governance files: a file is either its old or
//! its new content after a crash, never a torn mix, and a write that
//! returned has reached the disk. Write a temporary file beside the
//! target, fsync it, rename it over the target, fsync the directory (the
//! rename itself lives in the directory).
//!
//! Every command and request that changes the community directory holds
//! its lock ([`Lock`]), so the CLI and a running `concord serve` never
//! interleave a read-modify-write (the signing guard above all).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;

use crate::{CommunityError, Result};

/// Replaces `path` with `bytes`, durably and atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| CommunityError::io("creating", dir, e))?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| CommunityError::Invalid(format!("{} has no file name", path.display())))?;
    let mut nonce = [0u8; 8];
    rand::fill(&mut nonce);
    let tmp = dir.join(format!(".{name}.{}.tmp", hex::encode(nonce)));
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| CommunityError::io("creating", &tmp, e))?;
        f.write_all(bytes)
            .map_err(|e| CommunityError::io("writing", &tmp, e))?;
        f.sync_all()
            .map_err(|e| CommunityError::io("fsync of", &tmp, e))?;
        std::fs::rename(&tmp, path)
            .map_err(|e| CommunityError::io("renaming to the target", &tmp, e))?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Makes the directory entries (renames, creations) durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| CommunityError::io("fsync of the directory", dir, e))
}

/// Reads a file of at most `limit` bytes; a larger one is refused before
/// it is read whole (so a huge file cannot exhaust memory).
pub fn read_limited(path: &Path, limit: usize) -> Result<Vec<u8>> {
    let f = File::open(path).map_err(|e| CommunityError::io("reading", path, e))?;
    let len = f
        .metadata()
        .map_err(|e| CommunityError::io("reading", path, e))?
        .len();
    if len > limit as u64 {
        return Err(CommunityError::Invalid(format!(
            "{}: oversized: {len} bytes exceeds the limit of {limit} bytes (refused before parsing)",
            path.display()
        )));
    }
    let mut out = Vec::with_capacity(len as usize);
    f.take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| CommunityError::io("reading", path, e))?;
    if out.len() > limit {
        return Err(CommunityError::Invalid(format!(
            "{}: oversized: more than the limit of {limit} bytes (refused before parsing)",
            path.display()
        )));
    }
    Ok(out)
}

/// An exclusive lock on the community directory, released on drop.
pub struct Lock {
    _file: File,
}

impl Lock {
    /// Takes the lock of `dir` (its `.lock` file), creating the directory if
    /// needed; waits while another process holds it.
    pub fn acquire(dir: &Path) -> Result<Lock> {
        std::fs::create_dir_all(dir).map_err(|e| CommunityError::io("creating", dir, e))?;
        let path = dir.join(".lock");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| CommunityError::io("opening", &path, e))?;
        file.lock()
            .map_err(|e| CommunityError::io("locking", &path, e))?;
        Ok(Lock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_files_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/a.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn oversized_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big");
        std::fs::write(&p, vec![b' '; 100]).unwrap();
        let e = read_limited(&p, 99).unwrap_err().to_string();
        assert!(e.contains("oversized"), "{e}");
        assert_eq!(read_limited(&p, 100).unwrap().len(), 100);
    }
}
