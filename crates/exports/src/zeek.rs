//! The Zeek Intel framework's input file.
//!
//! A header `#fields` line, then one tab-separated line per indicator and
//! value: `indicator`, `indicator_type`, `meta.source`, `meta.desc`,
//! `meta.url`. Types: `Intel::ADDR` (an address), `Intel::SUBNET` (a
//! network), `Intel::DOMAIN`, `Intel::URL` (host, port when not the
//! default, path and query: no scheme, as Zeek builds the URLs it checks),
//! `Intel::EMAIL`, `Intel::FILE_HASH` (MD5, SHA-1 or SHA-256, lower-case
//! hex). Every value this crate reads can be said.
//!
//! `meta.source` is the author member's name (the caller's lookup, else
//! the identity id, else the `source` option, because Zeek requires it);
//! `meta.desc` is the indicator's name; `meta.url` is the `url_base`
//! option followed by the STIX id. Fields are escaped as Zeek's own ASCII
//! writer does and its reader undoes: `\`, tabs, line breaks and every
//! other control character as `\xHH`, a field that would read as unset
//! (`-`) or empty (`(empty)`) with its first character escaped, and a
//! leading `#` (which would make the line a comment) as `\x23`. Empty
//! optional fields are `-`.

use std::fmt::Write as _;
use std::io::Write;

use crate::error::ExportError;
use crate::observable::Observable;
use crate::report::{ExportReport, Kind};
use crate::select::{Indicator, Sink};

/// How the Intel file is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZeekOptions {
    /// `meta.source` of indicators without an author (Zeek requires one).
    pub source: String,
    /// When set, `meta.url` is this followed by the STIX id (a link to the
    /// object in the console, for example).
    pub url_base: Option<String>,
}

impl Default for ZeekOptions {
    fn default() -> Self {
        ZeekOptions {
            source: "concord".into(),
            url_base: None,
        }
    }
}

/// The `#fields` header line, without its line break.
pub const ZEEK_HEADER: &str =
    "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tmeta.url";

/// A field as Zeek's ASCII reader reads it back to `s`; `None` and `""`
/// are written as unset (`-`).
pub(crate) fn field(s: Option<&str>, first: bool) -> String {
    let s = match s {
        None | Some("") => return "-".into(),
        Some(s) => s,
    };
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.char_indices() {
        let reserved_start = i == 0 && (s == "-" || s == "(empty)" || (first && c == '#'));
        if c == '\\' || c.is_control() || reserved_start {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "\\x{b:02x}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn typed(value: &Observable) -> (String, &'static str) {
    match value {
        Observable::Ipv4(n) if n.prefix == 32 => (value.to_string(), "Intel::ADDR"),
        Observable::Ipv6(n) if n.prefix == 128 => (value.to_string(), "Intel::ADDR"),
        Observable::Ipv4(_) | Observable::Ipv6(_) => (value.to_string(), "Intel::SUBNET"),
        Observable::Domain(d) => (d.clone(), "Intel::DOMAIN"),
        Observable::Url(u) => {
            let port = u.port.map(|p| format!(":{p}")).unwrap_or_default();
            (
                format!("{}{port}{}", u.host_text(), u.path_query),
                "Intel::URL",
            )
        }
        Observable::Email(e) => (e.clone(), "Intel::EMAIL"),
        Observable::Hash(_, h) => (h.clone(), "Intel::FILE_HASH"),
    }
}

/// The Intel file being built.
pub(crate) struct Intel<'a> {
    options: ZeekOptions,
    rows: Vec<(Kind, String, &'a str, String)>,
}

impl Intel<'_> {
    pub(crate) fn new<'a>(options: ZeekOptions) -> Intel<'a> {
        Intel {
            options,
            rows: Vec::new(),
        }
    }
}

impl<'a> Sink<'a> for Intel<'a> {
    fn add(&mut self, ind: Indicator<'a>, report: &mut ExportReport) {
        let source = match ind.author {
            Some(a) if !a.is_empty() => field(Some(a), false),
            _ => field(Some(&self.options.source), false),
        };
        let desc = field(ind.name, false);
        let url = field(
            self.options
                .url_base
                .as_ref()
                .map(|b| format!("{b}{}", ind.id))
                .as_deref(),
            false,
        );
        for value in &ind.values {
            let (text, ty) = typed(value);
            let line = format!(
                "{}\t{ty}\t{source}\t{desc}\t{url}",
                field(Some(&text), true)
            );
            self.rows.push((value.kind(), text, ind.id, line));
            report.count(value.kind());
        }
        report.indicators += 1;
    }

    fn finish(mut self, out: &mut dyn Write, report: &mut ExportReport) -> Result<(), ExportError> {
        self.rows
            .sort_unstable_by(|a, b| (a.0, &a.1, a.2).cmp(&(b.0, &b.1, b.2)));
        writeln!(out, "{ZEEK_HEADER}")?;
        for r in &self.rows {
            out.write_all(r.3.as_bytes())?;
            out.write_all(b"\n")?;
        }
        report.records = self.rows.len();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_escape_like_zeek() {
        assert_eq!(field(None, false), "-");
        assert_eq!(field(Some(""), false), "-");
        assert_eq!(field(Some("-"), false), "\\x2d");
        assert_eq!(field(Some("(empty)"), false), "\\x28empty)");
        assert_eq!(field(Some("a\tb\nc\\d"), false), "a\\x09b\\x0ac\\x5cd");
        assert_eq!(field(Some("#x"), true), "\\x23x");
        assert_eq!(field(Some("#x"), false), "#x");
        assert_eq!(field(Some("a-b"), false), "a-b");
        assert_eq!(field(Some("恶意"), false), "恶意");
    }
}
