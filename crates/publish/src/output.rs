//! Where `concord export --out` puts an export: a directory (an existing
//! one, or a path ending in `/`) gets the output as `concord.<ext>` with
//! Suricata's hash lists beside it; a file path gets the output there and
//! the lists in its directory. Every file is replaced through a temporary
//! file beside it, so that a resolver or Zeek reading it never sees half
//! of it.

use std::path::{Path, PathBuf};

use crate::{OutputFormat, PublishError, Published};

/// What was written where: the output's path (none for standard output)
/// and the files beside it, or those that were not written.
#[derive(Debug, Default)]
pub struct Written {
    /// The output's path; `None` when it went to standard output.
    pub output: Option<PathBuf>,
    /// The files written beside it (Suricata's hash lists).
    pub files: Vec<PathBuf>,
    /// The names of the files beside it that were not written (standard
    /// output has no directory to put them in).
    pub unwritten: Vec<String>,
}

impl Written {
    /// The output went to standard output: the files beside it were not
    /// written.
    pub fn to_stdout(p: &Published) -> Written {
        let files = p.report.as_ref().map(|r| r.files.as_slice()).unwrap_or(&[]);
        Written {
            unwritten: files.iter().map(|f| f.name.clone()).collect(),
            ..Written::default()
        }
    }
}

impl OutputFormat {
    /// The file name the output takes in a directory given as `--out`.
    pub fn file_name(self) -> &'static str {
        match self.name() {
            "rpz" => "concord.rpz",
            "suricata" => "concord.rules",
            "zeek" => "concord.intel",
            "hosts" => "concord.hosts",
            "text" => "concord.txt",
            "csv" => "concord.csv",
            _ => "concord.json",
        }
    }
}

/// Writes `bytes` to `path` through a temporary file beside it.
pub fn replace(path: &Path, bytes: &[u8]) -> Result<(), PublishError> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let name = path
        .file_name()
        .ok_or_else(|| PublishError::NoFileName(path.to_path_buf()))?;
    let tmp = dir
        .unwrap_or(Path::new("."))
        .join(format!(".{}.tmp", name.to_string_lossy()));
    let failed = |what, path: &Path| {
        let path = path.to_path_buf();
        move |source| PublishError::File { what, path, source }
    };
    std::fs::write(&tmp, bytes).map_err(failed("writing", &tmp))?;
    std::fs::rename(&tmp, path).map_err(failed("writing", path))
}

/// Writes the output and the files beside it at `out` (a directory, or a
/// file path), the files first: rules never name a list that is not there
/// yet.
pub fn write(out: &Path, p: &Published) -> Result<Written, PublishError> {
    let files = p.report.as_ref().map(|r| r.files.as_slice()).unwrap_or(&[]);
    let is_dir = out.is_dir() || out.to_string_lossy().ends_with('/');
    let (dir, output) = if is_dir {
        std::fs::create_dir_all(out).map_err(|source| PublishError::File {
            what: "creating",
            path: out.to_path_buf(),
            source,
        })?;
        (out.to_path_buf(), out.join(p.format.file_name()))
    } else {
        let dir = out
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        (dir, out.to_path_buf())
    };
    let mut written = Vec::new();
    for f in files {
        let path = dir.join(&f.name);
        replace(&path, &f.content)?;
        written.push(path);
    }
    replace(&output, &p.body)?;
    Ok(Written {
        output: Some(output),
        files: written,
        unwritten: Vec::new(),
    })
}
