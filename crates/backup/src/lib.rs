//! Backups, restores and migrations of a node.
//!
//! - [`backup`]: one file holding the node's data directory (config, node
//!   and governance keys, the community's files) and every table of its
//!   store from one consistent snapshot, taken while the node serves. The
//!   file is gzip-compressed JSON lines ([`archive`]); its header and its
//!   report say when it holds private keys.
//! - [`restore`]: such a file into an empty data directory and a fresh
//!   store (embedded or PostgreSQL), then verified table by table against
//!   the counts and digests the file ends with. A restored node serves the
//!   same objects with the same `date_added` and accepts the same tokens.
//! - [`migrate`]: every table from one store into another, empty one, in
//!   either direction, verified by counts and SHA-256 digests read back
//!   from both sides.
//!
//! What it must never do: write a backup anywhere but a private (0600)
//! file, report success for a copy whose digests differ, restore over an
//! existing data directory, read configuration or the environment, print
//! or exit.

pub mod archive;
pub mod files;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use concord_store::AnyStore;
use concord_store::dump::TableDigest;
use serde::Serialize;
use tokio::sync::mpsc;

/// Errors of backups, restores and migrations.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Reading or writing a file failed (which file, and why).
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] concord_store::StoreError),
    /// A backup file is not what `backup` writes (which line, and why).
    #[error("{path} line {line}: {reason}")]
    Format {
        /// The backup file.
        path: PathBuf,
        /// The line (1-based, in the uncompressed text).
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// Restores go into an empty directory only.
    #[error("{0} is not empty: restore into a new or empty data directory")]
    NotEmpty(PathBuf),
    /// A worker thread failed.
    #[error("background task failed: {0}")]
    Task(String),
}

/// The result of this crate's operations.
pub type Result<T> = std::result::Result<T, BackupError>;

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What a backup wrote.
#[derive(Debug, Clone, Serialize)]
pub struct BackupReport {
    /// The backup file.
    pub file: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// The data directory's files it holds (relative paths).
    pub files: Vec<String>,
    /// Those of them that hold a private key.
    pub private_keys: Vec<String>,
    /// Rows and digest of each table.
    pub tables: BTreeMap<String, TableDigest>,
}

/// One table compared on both sides of a copy.
#[derive(Debug, Clone, Serialize)]
pub struct TableCheck {
    /// The table.
    pub table: String,
    /// Rows and digest where the data came from.
    pub source: TableDigest,
    /// Rows and digest where it went.
    pub target: TableDigest,
    /// Both are the same.
    pub verified: bool,
}

impl std::fmt::Display for TableCheck {
    /// `ok ` or `BAD`, the table, its rows and the start of its digest.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (ok, same) = match self.verified {
            true => ("ok ", "(same on both sides)"),
            false => ("BAD", "(differs!)"),
        };
        let digest = self.target.sha256.get(..16).unwrap_or("");
        let (table, rows) = (&self.table, self.target.rows);
        write!(f, "{ok} {table:<13} {rows} rows, sha256 {digest} {same}")
    }
}

/// Every table compared.
pub fn compare(
    source: &BTreeMap<String, TableDigest>,
    target: &BTreeMap<String, TableDigest>,
) -> Vec<TableCheck> {
    source
        .iter()
        .map(|(t, s)| {
            let target = target.get(t).cloned().unwrap_or_default();
            TableCheck {
                table: t.clone(),
                verified: *s == target,
                source: s.clone(),
                target,
            }
        })
        .collect()
}

/// What a restore or a migration did.
#[derive(Debug, Clone, Serialize)]
pub struct CopyReport {
    /// Files written into the data directory (a restore's; none for a
    /// migration).
    pub files: Vec<String>,
    /// Those of them that hold a private key.
    pub private_keys: Vec<String>,
    /// Each table on both sides.
    pub tables: Vec<TableCheck>,
    /// Every table is the same on both sides.
    pub verified: bool,
}

/// Writes a backup of `store` and the files of `data_dir` to `out` (a
/// private file, written beside it and renamed when complete).
pub async fn backup(store: &AnyStore, data_dir: &Path, out: &Path) -> Result<BackupReport> {
    let source = match store {
        AnyStore::Sqlite(_) => "embedded",
        AnyStore::Postgres(_) => "postgres",
    };
    let files = files::collect(data_dir, &[out])?;
    let names: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
    let private_keys: Vec<String> = files
        .iter()
        .filter(|f| f.private_key)
        .map(|f| f.path.clone())
        .collect();
    let partial = out.with_file_name(format!(
        ".{}.partial",
        out.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "backup".into())
    ));
    let (tx, rx) = mpsc::channel(1024);
    let header = archive::Header::new(source, !private_keys.is_empty());
    let target = partial.clone();
    let writer = tokio::task::spawn_blocking(move || archive::write(&target, &header, &files, rx));
    let dumped = store.dump(tx).await;
    let written = writer.await.map_err(|e| BackupError::Task(e.to_string()))?;
    let tables = match (dumped, written) {
        (Ok(()), Ok(tables)) => tables,
        (Err(e), _) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e.into());
        }
        (_, Err(e)) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, out).map_err(io(out))?;
    let bytes = std::fs::metadata(out).map_err(io(out))?.len();
    Ok(BackupReport {
        file: out.to_path_buf(),
        bytes,
        files: names,
        private_keys,
        tables,
    })
}

/// Refuses a restore target that exists and holds anything.
pub fn ensure_empty_dir(dir: &Path) -> Result<()> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(BackupError::NotEmpty(dir.to_path_buf()));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io(dir)(e)),
    }
}

/// Restores the backup `file` into `data_dir` (made empty beforehand: see
/// [`ensure_empty_dir`]) and `store` (fresh), then verifies every table
/// against the digests the file ends with.
pub async fn restore(file: &Path, data_dir: &Path, store: &AnyStore) -> Result<CopyReport> {
    let (tx, rx) = mpsc::channel(1024);
    let (path, dir) = (file.to_path_buf(), data_dir.to_path_buf());
    let reader = tokio::task::spawn_blocking(move || archive::read(&path, &dir, tx));
    let loaded = store.load(rx).await;
    let read = reader.await.map_err(|e| BackupError::Task(e.to_string()))?;
    // The reader's error explains a failed load (a truncated file).
    let contents = read?;
    loaded?;
    let target = store.digests().await?;
    let tables = compare(&contents.tables, &target);
    Ok(CopyReport {
        verified: tables.iter().all(|t| t.verified),
        files: contents.files,
        private_keys: contents.private_keys,
        tables,
    })
}

/// Copies every table of `from` into `to` (which must be empty), then
/// reads both back and compares each table's count and digest.
pub async fn migrate(from: &AnyStore, to: &AnyStore) -> Result<CopyReport> {
    let (tx, rx) = mpsc::channel(1024);
    let (dumped, loaded) = tokio::join!(from.dump(tx), to.load(rx));
    dumped?;
    loaded?;
    let (source, target) = tokio::join!(from.digests(), to.digests());
    let tables = compare(&source?, &target?);
    Ok(CopyReport {
        files: Vec::new(),
        private_keys: Vec::new(),
        verified: tables.iter().all(|t| t.verified),
        tables,
    })
}

#[cfg(test)]
mod text_tests {
    use super::*;

    #[test]
    fn a_table_check_reads_as_one_line() {
        let d = TableDigest {
            rows: 3,
            sha256: "0123456789abcdef0123".into(),
        };
        let mut c = TableCheck {
            table: "objects".into(),
            source: d.clone(),
            target: d,
            verified: true,
        };
        assert_eq!(
            c.to_string(),
            "ok  objects       3 rows, sha256 0123456789abcdef (same on both sides)"
        );
        c.verified = false;
        assert!(c.to_string().starts_with("BAD objects ") && c.to_string().ends_with("(differs!)"));
    }
}
