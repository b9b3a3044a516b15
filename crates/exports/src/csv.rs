//! CSV (RFC 4180): a header row, then one row per indicator and value,
//! sorted by kind, value and STIX id; CRLF line ends; a field is quoted
//! when it holds a comma, a double quote (doubled inside) or a line break.
//! Columns: `value`, `type` ([`Kind::word`](crate::Kind::word)),
//! `stix_id`, `name`, `tlp`, `author`, `valid_until`, `confidence`; an
//! absent property is an empty field. Every value this crate reads can be
//! said.

use std::io::Write;

use crate::error::ExportError;
use crate::report::{ExportReport, Kind};
use crate::select::{Indicator, Sink};

/// The header row, without its line end.
pub const CSV_HEADER: &str = "value,type,stix_id,name,tlp,author,valid_until,confidence";

/// One field, quoted when RFC 4180 requires it.
pub(crate) fn field(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The rows written so far.
#[derive(Default)]
pub(crate) struct Rows<'a> {
    rows: Vec<(Kind, String, &'a str, String)>,
}

impl<'a> Sink<'a> for Rows<'a> {
    fn add(&mut self, ind: Indicator<'a>, report: &mut ExportReport) {
        let rest = [
            ind.id,
            ind.name.unwrap_or_default(),
            ind.tlp.map(|t| t.word()).unwrap_or_default(),
            ind.author.unwrap_or_default(),
            ind.valid_until.unwrap_or_default(),
        ]
        .map(field);
        let confidence = ind.confidence.map(|c| c.to_string()).unwrap_or_default();
        for value in &ind.values {
            let kind = value.kind();
            let text = value.to_string();
            let row = format!(
                "{},{},{},{},{},{},{},{confidence}\r\n",
                field(&text),
                kind.word(),
                rest[0],
                rest[1],
                rest[2],
                rest[3],
                rest[4]
            );
            self.rows.push((kind, text, ind.id, row));
            report.count(kind);
        }
        report.indicators += 1;
    }

    fn finish(mut self, out: &mut dyn Write, report: &mut ExportReport) -> Result<(), ExportError> {
        self.rows
            .sort_unstable_by(|a, b| (a.0, &a.1, a.2).cmp(&(b.0, &b.1, b.2)));
        write!(out, "{CSV_HEADER}\r\n")?;
        for r in &self.rows {
            out.write_all(r.3.as_bytes())?;
        }
        report.records = self.rows.len();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field(""), "");
    }
}
