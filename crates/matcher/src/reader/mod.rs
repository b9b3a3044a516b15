//! Event readers: one line in, the line's observables out.
//!
//! - Zeek logs, in Zeek's default TSV format (header lines `#separator`,
//!   `#fields`, `#types`..., see `zeek.rs`) and in its JSON format, any log
//!   type: the fields of conn, dns, http, files, ssl, x509, smtp, notice,
//!   intel and dhcp logs are mapped to observables by their names
//!   (`id.orig_h`, `id.resp_h`, `query`, `answers`, `host` + `uri`,
//!   `md5`/`sha1`/`sha256`, `mailfrom`, `rcptto`, `from`, `to`,
//!   `server_name`, `san.dns`, `certificate.subject`, `msg`...).
//! - Suricata EVE JSON: `src_ip`, `dest_ip`, `dns.rrname`,
//!   `dns.queries[].rrname`, `dns.answers[].rdata`, `http.hostname` +
//!   `http.url`, `tls.sni`, `fileinfo.md5`/`sha1`/`sha256`,
//!   `email.from`/`email.to`.
//! - Any other JSON lines: common names (`src_ip`, `dst_ip`, `query`,
//!   `url`, `md5`, `from`, ...) plus the mappings given as
//!   `KEY=OBJECT_PATH` (`sha256=file:hashes.'SHA-256'`), which replace the
//!   meaning a known name has.
//! - Free text (firewall, syslog, proxy lines, reports): every address,
//!   domain, URL, e-mail address and hash of the line, defanged forms
//!   included (see [`crate::extract`]).
//!
//! A file is read through one [`LogReader`], which keeps what a line needs
//! from the lines before it (Zeek's header) and says which lines are events:
//! header, comment and blank lines never are. A line that cannot be read is
//! an error naming the file, the line and the column; it never panics.

use serde_json::{Map, Value};

use crate::error::MatcherError;
use crate::observable::Observable;

mod fields;
mod json;
mod zeek;

/// How lines are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON objects (Zeek, Suricata EVE or generic), one per line.
    Json,
    /// Free text: every observable of each line.
    Text,
    /// Zeek's tab-separated logs with their `#` header lines.
    ZeekTsv,
}

impl Format {
    /// The format a file's first line announces: Zeek TSV when it starts
    /// with `#separator`, JSON when it starts with `{`, else text.
    pub fn detect(first_line: &str) -> Format {
        let t = first_line.trim_start_matches('\u{feff}');
        if t.starts_with("#separator") {
            Format::ZeekTsv
        } else if t.trim_start().starts_with('{') {
            Format::Json
        } else {
            Format::Text
        }
    }
}

/// One `KEY=OBJECT_PATH` mapping: the field at `key` (dotted, as the
/// reader walks JSON objects; a Zeek field name) holds the value of
/// `object_type:path`.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldMapping {
    /// The field's (dotted) name.
    pub key: String,
    /// The STIX object type (`file`, `network-traffic`...).
    pub object_type: String,
    /// The property path inside that object (`["hashes", "SHA-256"]`).
    pub path: Vec<String>,
}

impl FieldMapping {
    /// Reads `KEY=TYPE:path.to.'key'`.
    pub fn parse(spec: &str) -> Result<FieldMapping, MatcherError> {
        let fail = |reason: &str| MatcherError::Mapping {
            mapping: spec.to_string(),
            reason: reason.to_string(),
        };
        let (key, path) = spec
            .split_once('=')
            .ok_or_else(|| fail("expected KEY=OBJECT_PATH"))?;
        if key.is_empty() {
            return Err(fail("empty KEY"));
        }
        let pattern = concord_pattern::Pattern::parse(&format!("[EXISTS {path}]"))
            .map_err(|e| fail(&format!("invalid object path: {e}")))?;
        let Some(concord_pattern::ComparisonExpr::Test(t)) = pattern.comparisons().first().copied()
        else {
            return Err(fail("invalid object path"));
        };
        let mut keys = Vec::new();
        for step in &t.path.steps {
            match step {
                concord_pattern::PathStep::Key(k) => keys.push(k.clone()),
                _ => return Err(fail("list indexes are not supported in a field mapping")),
            }
        }
        Ok(FieldMapping {
            key: key.to_string(),
            object_type: t.path.object_type.clone(),
            path: keys,
        })
    }
}

/// What a line was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// An event: its observables (maybe none) were appended.
    Event,
    /// A blank line, a comment or a header line: no event.
    Skipped,
}

/// Reads the lines of one file (or stream), in order.
///
/// With a forced [`Format`] every line is read that way. Without one
/// (`None`), a line starting with `#separator` switches to Zeek TSV until
/// the end (concatenated Zeek logs carry a header per part), and otherwise
/// each line decides: JSON when it starts with `{`, free text else, so that
/// pasted mixtures read as expected.
#[derive(Debug, Clone)]
pub struct LogReader {
    forced: Option<Format>,
    mappings: Vec<FieldMapping>,
    zeek: Option<zeek::Header>,
}

impl LogReader {
    /// A reader for one file; `format: None` detects it (see above).
    pub fn new(format: Option<Format>, mappings: Vec<FieldMapping>) -> LogReader {
        LogReader {
            forced: format,
            zeek: (format == Some(Format::ZeekTsv)).then(zeek::Header::default),
            mappings,
        }
    }

    /// The format the last lines were read in: the forced one, Zeek TSV once
    /// a Zeek header was seen, else `None` (each line decides).
    pub fn format(&self) -> Option<Format> {
        self.forced
            .or_else(|| self.zeek.is_some().then_some(Format::ZeekTsv))
    }

    /// Reads one line (without its line break; a trailing `\r` is ignored)
    /// and appends its observables to `out`. On error nothing is appended.
    pub fn read(
        &mut self,
        line: &str,
        file: &str,
        line_no: u64,
        out: &mut Vec<Observable>,
    ) -> Result<LineKind, MatcherError> {
        let text = line.strip_suffix('\r').unwrap_or(line);
        let text = if line_no == 1 {
            text.trim_start_matches('\u{feff}')
        } else {
            text
        };
        if text.trim().is_empty() {
            return Ok(LineKind::Skipped);
        }
        let fail = |reason: String| MatcherError::Event {
            file: file.to_string(),
            line: line_no,
            reason,
        };
        if self.forced.is_none() && text.starts_with("#separator") {
            self.zeek.get_or_insert_with(zeek::Header::default);
        }
        if let Some(header) = &mut self.zeek
            && (self.forced.is_some() || !text.trim_start().starts_with('{'))
        {
            if text.starts_with('#') {
                header.line(text, &self.mappings, line_no);
                return Ok(LineKind::Skipped);
            }
            header.data(text, &self.mappings, out).map_err(fail)?;
            return Ok(LineKind::Event);
        }
        let format = self
            .forced
            .unwrap_or(if text.trim_start().starts_with('{') {
                Format::Json
            } else {
                Format::Text
            });
        read_one(format, &self.mappings, text, out).map_err(fail)
    }
}

fn read_one(
    format: Format,
    mappings: &[FieldMapping],
    text: &str,
    out: &mut Vec<Observable>,
) -> Result<LineKind, String> {
    match format {
        Format::Json => {
            if text.trim().is_empty() {
                return Ok(LineKind::Skipped);
            }
            json::read(text, mappings, out).map_err(|e| format!("column {}: {e}", e.column()))?;
        }
        Format::Text => {
            let t = text.trim_start();
            if t.is_empty() || t.starts_with('#') {
                return Ok(LineKind::Skipped);
            }
            crate::extract::extract(text, out);
        }
        Format::ZeekTsv => {
            return Err("a Zeek TSV line needs the header lines before it: read the file through a LogReader".into());
        }
    }
    Ok(LineKind::Event)
}

/// The observables of one JSON object already parsed.
pub fn observables_of(
    obj: &Map<String, Value>,
    mappings: &[FieldMapping],
    out: &mut Vec<Observable>,
) {
    json::of_object(obj, mappings, out);
}

/// Reads one line on its own, in JSON or free text: for single lines (an
/// API request, a pasted event). A file is read through a [`LogReader`],
/// which knows Zeek's header and which lines are no events.
pub fn read_line(
    format: Format,
    mappings: &[FieldMapping],
    text: &str,
    file: &str,
    line: u64,
) -> Result<Vec<Observable>, MatcherError> {
    let mut out = Vec::new();
    read_one(format, mappings, text, &mut out).map_err(|reason| MatcherError::Event {
        file: file.to_string(),
        line,
        reason,
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mappings_parse_object_paths() {
        let m = FieldMapping::parse("sha256=file:hashes.'SHA-256'").unwrap();
        assert_eq!(m.object_type, "file");
        assert_eq!(m.path, vec!["hashes", "SHA-256"]);
        assert!(FieldMapping::parse("nokey").is_err());
        assert!(FieldMapping::parse("k=file:").is_err());
    }

    #[test]
    fn zeek_and_suricata_lines() {
        let zeek = r#"{"ts":1.0,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"192.0.2.9","id.resp_p":80,"host":"Evil.example","uri":"/x"}"#;
        let o = read_line(Format::Json, &[], zeek, "f", 1).unwrap();
        assert!(o.contains(&Observable::Ipv4([192, 0, 2, 9].into())));
        assert!(o.contains(&Observable::Url("http://evil.example/x".into())));
        assert!(o.contains(&Observable::Domain("evil.example".into())));
        let eve = r#"{"event_type":"dns","src_ip":"10.0.0.1","dest_ip":"10.0.0.53","dns":{"queries":[{"rrname":"bad.example"}]}}"#;
        let o = read_line(Format::Json, &[], eve, "f", 2).unwrap();
        assert!(o.contains(&Observable::Domain("bad.example".into())));
        let err = read_line(Format::Json, &[], "{not json", "events.log", 7).unwrap_err();
        assert!(
            err.to_string().starts_with("events.log:7: column 2"),
            "{err}"
        );
    }
}
