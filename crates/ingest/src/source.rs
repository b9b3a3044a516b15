//! Where objects come from: files, the files of a directory, standard input.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::IngestError;

/// One input: a file or standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file of a bundle, an array or JSON lines.
    File(PathBuf),
    /// Standard input.
    Stdin,
}

impl Source {
    /// The name rejections and reports give it (`-` for standard input).
    pub fn name(&self) -> String {
        match self {
            Source::File(p) => p.display().to_string(),
            Source::Stdin => "-".to_string(),
        }
    }

    /// Opens it for reading; also returns its size when known.
    pub(crate) fn open(&self) -> Result<(Box<dyn Read + Send>, Option<u64>), IngestError> {
        Ok(match self {
            Source::File(p) => {
                let f = File::open(p).map_err(|e| IngestError::Read {
                    path: p.display().to_string(),
                    source: e,
                })?;
                let len = f.metadata().ok().map(|m| m.len());
                (Box::new(f), len)
            }
            Source::Stdin => (Box::new(std::io::stdin()), None),
        })
    }
}

/// The sources command-line inputs name: `-` is standard input, a
/// directory gives its `*.json`, `*.jsonl` and `*.ndjson` files (recursively,
/// in name order).
pub fn collect_sources(inputs: &[String]) -> Result<Vec<Source>, IngestError> {
    let mut out = Vec::new();
    for input in inputs {
        if input == "-" {
            out.push(Source::Stdin);
            continue;
        }
        let path = Path::new(input);
        let meta = std::fs::metadata(path).map_err(|e| IngestError::Read {
            path: input.clone(),
            source: e,
        })?;
        if meta.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut files)?;
            files.sort();
            if files.is_empty() {
                return Err(IngestError::EmptyDirectory(input.clone()));
            }
            out.extend(files.into_iter().map(Source::File));
        } else {
            out.push(Source::File(path.to_path_buf()));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), IngestError> {
    let listing_failed = |e| IngestError::Read {
        path: dir.display().to_string(),
        source: e,
    };
    for entry in std::fs::read_dir(dir).map_err(listing_failed)? {
        let path = entry.map_err(listing_failed)?.path();
        if path.is_dir() {
            walk(&path, files)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("json" | "jsonl" | "ndjson")
        ) {
            files.push(path);
        }
    }
    Ok(())
}

/// Copies standard input to a file in `dir`, so that `--strict` can read it
/// twice (check, then write). The caller removes the file.
pub fn spool_stdin(dir: &Path) -> Result<PathBuf, IngestError> {
    let path = dir.join(format!("import-stdin-{}.tmp", std::process::id()));
    let failed = |e| IngestError::Read {
        path: path.display().to_string(),
        source: e,
    };
    let mut f = File::create(&path).map_err(failed)?;
    std::io::copy(&mut std::io::stdin().lock(), &mut f).map_err(failed)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_give_their_stix_files_in_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        for name in ["b.json", "a.jsonl", "sub/c.ndjson", "notes.txt"] {
            std::fs::write(dir.path().join(name), "{}").unwrap();
        }
        let got = collect_sources(&[dir.path().display().to_string(), "-".into()]).unwrap();
        let names: Vec<String> = got
            .iter()
            .map(|s| match s {
                Source::File(p) => p.strip_prefix(dir.path()).unwrap().display().to_string(),
                Source::Stdin => "-".into(),
            })
            .collect();
        assert_eq!(names, ["a.jsonl", "b.json", "sub/c.ndjson", "-"]);
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(
            collect_sources(&[empty.path().display().to_string()]),
            Err(IngestError::EmptyDirectory(_))
        ));
        assert!(matches!(
            collect_sources(&["/no/such/file".into()]),
            Err(IngestError::Read { .. })
        ));
    }
}
