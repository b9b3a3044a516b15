//! The backup file: gzip-compressed JSON lines, read and written as a
//! stream (a store of millions of objects never sits in memory).
//!
//! ```text
//! {"format":"concord-backup","version":1,"created":"…","source":"embedded","contains_private_keys":true,"warning":"…"}
//! {"file":"config.toml","mode":384,"private_key":false,"content_base64":"…"}
//! {"file":"node.key","mode":384,"private_key":true,"content_base64":"…"}
//! {"table":"collections","row":["…","Local intel","…",false,1764583200000000]}
//! {"table":"objects","row":["indicator--…","2026-…","{…}"]}
//! …
//! {"end":true,"files":3,"tables":{"objects":{"rows":23,"sha256":"…"},…}}
//! ```
//!
//! The last line is the proof that the file is whole: a file that stops
//! before it is refused, and its counts and digests are what a restore
//! checks the restored store against.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use concord_store::dump::{DigestSum, DumpRow, Table, TableDigest};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::files::DataFile;
use crate::{BackupError, Result, io};

/// The `format` of the first line.
pub const FORMAT: &str = "concord-backup";
/// The version of the format this crate writes and reads.
pub const VERSION: u32 = 1;

/// The first line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Header {
    /// Always [`FORMAT`].
    pub format: String,
    /// The format's version.
    pub version: u32,
    /// When the backup started (RFC 3339).
    pub created: String,
    /// The store it was taken from: `embedded` or `postgres`.
    pub source: String,
    /// The file holds private keys (the node key, the governance key).
    pub contains_private_keys: bool,
    /// What that means, for whoever opens the file.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub warning: String,
}

impl Header {
    /// The header of a backup taken now.
    pub fn new(source: &str, contains_private_keys: bool) -> Header {
        Header {
            format: FORMAT.into(),
            version: VERSION,
            created: jiff::Timestamp::now().to_string(),
            source: source.into(),
            contains_private_keys,
            warning: if contains_private_keys {
                "this file holds the node's private keys: keep it as secret as the node itself"
                    .into()
            } else {
                String::new()
            },
        }
    }
}

#[derive(Serialize, Deserialize)]
struct FileLine {
    file: String,
    mode: u32,
    private_key: bool,
    content_base64: String,
}

#[derive(Serialize, Deserialize)]
struct RowLine {
    table: String,
    row: Vec<Value>,
}

#[derive(Serialize, Deserialize)]
struct EndLine {
    end: bool,
    files: usize,
    tables: BTreeMap<String, TableDigest>,
}

fn line<T: Serialize>(w: &mut impl Write, path: &Path, v: &T) -> Result<()> {
    serde_json::to_writer(&mut *w, v).map_err(|e| BackupError::Io {
        path: path.to_path_buf(),
        source: e.into(),
    })?;
    w.write_all(b"\n").map_err(io(path))
}

/// Writes a whole backup to `path` (created 0600, replaced if it exists):
/// the header, the files, every row `rows` brings, and the end line.
/// Returns each table's count and digest.
pub fn write(
    path: &Path,
    header: &Header,
    files: &[DataFile],
    mut rows: mpsc::Receiver<DumpRow>,
) -> Result<BTreeMap<String, TableDigest>> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = opts.open(path).map_err(io(path))?;
    let gz = flate2::write::GzEncoder::new(BufWriter::new(file), flate2::Compression::fast());
    let mut w = BufWriter::with_capacity(1 << 16, gz);
    line(&mut w, path, header)?;
    for f in files {
        line(
            &mut w,
            path,
            &FileLine {
                file: f.path.clone(),
                mode: f.mode,
                private_key: f.private_key,
                content_base64: base64::engine::general_purpose::STANDARD.encode(&f.content),
            },
        )?;
    }
    let mut sum = DigestSum::default();
    while let Some(row) = rows.blocking_recv() {
        sum.add(&row);
        line(
            &mut w,
            path,
            &RowLine {
                table: row.table.name().into(),
                row: row.values,
            },
        )?;
    }
    let tables = sum.finish();
    line(
        &mut w,
        path,
        &EndLine {
            end: true,
            files: files.len(),
            tables: tables.clone(),
        },
    )?;
    let gz = w.into_inner().map_err(|e| io(path)(e.into_error()))?;
    let file = gz.finish().map_err(io(path))?;
    let file = file.into_inner().map_err(|e| io(path)(e.into_error()))?;
    // Durable before the caller renames it into place.
    file.sync_all().map_err(io(path))?;
    Ok(tables)
}

/// What a backup file held besides its rows.
#[derive(Debug, Clone)]
pub struct Contents {
    /// Its header.
    pub header: Header,
    /// The files written back.
    pub files: Vec<String>,
    /// Those holding a private key.
    pub private_keys: Vec<String>,
    /// Each table's count and digest, from the end line.
    pub tables: BTreeMap<String, TableDigest>,
}

/// Reads the backup at `path`: writes its files under `dir`, sends its
/// rows to `rows`, and returns what its first and last lines say.
pub fn read(path: &Path, dir: &Path, rows: mpsc::Sender<DumpRow>) -> Result<Contents> {
    let file = std::fs::File::open(path).map_err(io(path))?;
    let reader =
        BufReader::with_capacity(1 << 16, flate2::read::GzDecoder::new(BufReader::new(file)));
    read_lines(reader, path, dir, rows)
}

/// [`read`] of the uncompressed lines (`path` names them in errors).
pub fn read_lines(
    reader: impl BufRead,
    path: &Path,
    dir: &Path,
    rows: mpsc::Sender<DumpRow>,
) -> Result<Contents> {
    let bad = |line: u64, reason: String| BackupError::Format {
        path: PathBuf::from(path),
        line,
        reason,
    };
    let mut lines = reader.lines();
    let mut n = 0u64;
    let mut next = || -> Result<Option<String>> {
        n += 1;
        match lines.next() {
            None => Ok(None),
            Some(Ok(l)) => Ok(Some(l)),
            Some(Err(e)) => Err(bad(n, format!("unreadable (truncated or not gzip?): {e}"))),
        }
    };
    let first = next()?.ok_or_else(|| bad(1, "the file is empty".into()))?;
    let header: Header = serde_json::from_str(&first)
        .map_err(|e| bad(1, format!("not a concord backup header: {e}")))?;
    if header.format != FORMAT {
        return Err(bad(
            1,
            format!("format {:?} is not {FORMAT:?}", header.format),
        ));
    }
    if header.version > VERSION {
        return Err(bad(
            1,
            format!(
                "backup format version {} is newer than this binary's {VERSION}: upgrade concord",
                header.version
            ),
        ));
    }
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let (mut files, mut private_keys) = (Vec::new(), Vec::new());
    let mut sink = Some(rows);
    let mut number = 1u64;
    loop {
        number += 1;
        let Some(text) = next()? else {
            return Err(bad(
                number,
                "the file ends before its end line: it is truncated".into(),
            ));
        };
        let v: Value =
            serde_json::from_str(&text).map_err(|e| bad(number, format!("not JSON: {e}")))?;
        if v.get("end").is_some() {
            let end: EndLine = serde_json::from_value(v)
                .map_err(|e| bad(number, format!("not an end line: {e}")))?;
            if end.files != files.len() {
                return Err(bad(
                    number,
                    format!("{} files announced, {} read", end.files, files.len()),
                ));
            }
            return Ok(Contents {
                header,
                files,
                private_keys,
                tables: end.tables,
            });
        }
        if v.get("file").is_some() {
            let f: FileLine = serde_json::from_value(v)
                .map_err(|e| bad(number, format!("not a file line: {e}")))?;
            let content = base64::engine::general_purpose::STANDARD
                .decode(f.content_base64.as_bytes())
                .map_err(|e| bad(number, format!("content is not base64: {e}")))?;
            let data = DataFile {
                path: f.file,
                mode: f.mode,
                private_key: f.private_key,
                content,
            };
            crate::files::put(dir, &data).map_err(|e| bad(number, e))?;
            if data.private_key {
                private_keys.push(data.path.clone());
            }
            files.push(data.path);
            continue;
        }
        let r: RowLine = serde_json::from_value(v)
            .map_err(|e| bad(number, format!("neither a file, a row nor the end: {e}")))?;
        let table = Table::from_name(&r.table)
            .ok_or_else(|| bad(number, format!("unknown table {:?}", r.table)))?;
        if r.row.len() != table.width() {
            return Err(bad(
                number,
                format!(
                    "a {} row has {} values, not {}",
                    r.table,
                    r.row.len(),
                    table.width()
                ),
            ));
        }
        // A loader that stopped has its own error; keep reading to the
        // end line so the file's own state is reported too.
        if let Some(s) = &sink
            && s.blocking_send(DumpRow {
                table,
                values: r.row,
            })
            .is_err()
        {
            sink = None;
        }
    }
}
