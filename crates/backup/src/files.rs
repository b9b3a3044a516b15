//! The data directory's own files in a backup: config, keys, the
//! community's charter chain and ledger, anything else the node keeps
//! there; never the embedded database (its tables are in the backup as
//! rows, from a consistent snapshot), nor the backup being written.

use std::path::Path;

use crate::{Result, io};

/// The embedded database and its companions (see `concord_store::sqlite`).
fn is_database(name: &str) -> bool {
    let db = concord_store::sqlite::DB_FILE;
    name == db
        || name
            .strip_prefix(db)
            .is_some_and(|rest| rest.starts_with('-'))
}

/// One file of the data directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFile {
    /// Its path relative to the data directory, with `/` separators.
    pub path: String,
    /// Its Unix permission bits.
    pub mode: u32,
    /// Its bytes.
    pub content: Vec<u8>,
    /// It holds a private key (a PEM `PRIVATE KEY` block).
    pub private_key: bool,
}

/// Whether bytes hold a PEM private key.
pub fn holds_private_key(content: &[u8]) -> bool {
    let marker = b"PRIVATE KEY-----";
    content.windows(marker.len()).any(|w| w == marker)
}

#[cfg(unix)]
fn mode_of(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn mode_of(_: &std::fs::Metadata) -> u32 {
    0o600
}

/// Every regular file under `dir` but the database and `skip`, sorted by path.
pub fn collect(dir: &Path, skip: &[&Path]) -> Result<Vec<DataFile>> {
    let skip: Vec<std::path::PathBuf> = skip
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).map_err(io(&d))? {
            let entry = entry.map_err(io(&d))?;
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).map_err(io(&path))?;
            let Ok(rel) = path.strip_prefix(dir) else {
                continue;
            };
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            if meta.is_dir() {
                pending.push(path);
                continue;
            }
            if !meta.is_file() || (d == dir && is_database(&rel)) {
                continue;
            }
            if std::fs::canonicalize(&path).is_ok_and(|p| skip.contains(&p))
                || rel.ends_with(".partial")
            {
                continue;
            }
            let content = std::fs::read(&path).map_err(io(&path))?;
            out.push(DataFile {
                private_key: holds_private_key(&content),
                path: rel,
                mode: mode_of(&meta),
                content,
            });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Writes a file back under `dir`, with its mode. Paths that would leave
/// `dir` (absolute, or with `..`) are refused.
pub fn put(dir: &Path, f: &DataFile) -> std::result::Result<(), String> {
    let rel = Path::new(&f.path);
    if f.path.is_empty()
        || rel.is_absolute()
        || rel
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return Err(format!("the path {:?} leaves the data directory", f.path));
    }
    let target = dir.join(rel);
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Private until its own mode is set: a key is never readable by
        // others, not even for a moment.
        opts.mode(0o600);
    }
    let mut file = opts
        .open(&target)
        .map_err(|e| format!("{}: {e}", target.display()))?;
    std::io::Write::write_all(&mut file, &f.content)
        .map_err(|e| format!("{}: {e}", target.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(f.mode & 0o777))
            .map_err(|e| format!("{}: {e}", target.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_flagged_and_the_database_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("config.toml"), "[node]\n").unwrap();
        std::fs::write(
            d.join("node.key"),
            "-----BEGIN PRIVATE KEY-----\nMC4=\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        std::fs::create_dir(d.join("community")).unwrap();
        std::fs::write(d.join("community/chain.json"), "[]").unwrap();
        for db in ["concord.sqlite", "concord.sqlite-wal", "concord.sqlite-shm"] {
            std::fs::write(d.join(db), "x").unwrap();
        }
        std::fs::write(d.join("out.backup"), "x").unwrap();
        let files = collect(d, &[&d.join("out.backup")]).unwrap();
        let names: Vec<(&str, bool)> = files
            .iter()
            .map(|f| (f.path.as_str(), f.private_key))
            .collect();
        assert_eq!(
            names,
            [
                ("community/chain.json", false),
                ("config.toml", false),
                ("node.key", true)
            ]
        );
    }

    #[test]
    fn a_path_out_of_the_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        for bad in ["../x", "/etc/passwd", "a/../../x", ""] {
            let f = DataFile {
                path: bad.into(),
                mode: 0o600,
                content: vec![],
                private_key: false,
            };
            assert!(put(dir.path(), &f).is_err(), "{bad}");
        }
    }
}
