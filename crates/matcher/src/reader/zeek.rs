//! Zeek's default log format: tab-separated values under a header that
//! names the separator, the set separator, the empty and unset markers, the
//! log's path, its fields and their types:
//!
//! ```text
//! #separator \x09
//! #set_separator  ,
//! #empty_field  (empty)
//! #unset_field  -
//! #path  conn
//! #open  2026-12-03-10-00-00
//! #fields  ts  uid  id.orig_h  id.orig_p  id.resp_h  ...
//! #types  time  string  addr  port  addr  ...
//! 1733220001.123456  CHhAvVGS1DHFjwGM9  10.0.0.5  40000  203.0.113.7  ...
//! #close  2026-12-03-11-00-00
//! ```
//!
//! A new header mid-file (Zeek rotates and concatenated logs carry one per
//! part) replaces the old one. Values are escaped as Zeek escapes them:
//! `\xNN` for a byte (a separator inside a value, a non-printable byte) and
//! `\\` for a backslash.

use std::borrow::Cow;

use crate::observable::Observable;
use crate::reader::FieldMapping;
use crate::reader::fields::{Event, Role, role};

/// One column of the current header.
#[derive(Debug, Clone)]
struct Column {
    role: Option<Role>,
    /// `set[...]` or `vector[...]`: several values joined by the set separator.
    set: bool,
}

/// The header in force.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    separator: String,
    set_separator: String,
    empty: String,
    unset: String,
    fields: Vec<String>,
    columns: Vec<Column>,
    /// Where the `#fields` line in force was, for error messages.
    fields_line: u64,
}

impl Default for Header {
    fn default() -> Header {
        Header {
            separator: "\t".into(),
            set_separator: ",".into(),
            empty: "(empty)".into(),
            unset: "-".into(),
            fields: Vec::new(),
            columns: Vec::new(),
            fields_line: 0,
        }
    }
}

/// `\xNN` and `\\` undone; borrowed when the text has no backslash.
pub(crate) fn unescape(text: &str) -> Cow<'_, str> {
    if !text.contains('\\') {
        return Cow::Borrowed(text);
    }
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            if b.get(i + 1) == Some(&b'\\') {
                out.push(b'\\');
                i += 2;
                continue;
            }
            if matches!(b.get(i + 1), Some(b'x' | b'X'))
                && let Some(hex) = text.get(i + 2..i + 4)
                && let Ok(byte) = u8::from_str_radix(hex, 16)
            {
                out.push(byte);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

impl Header {
    /// Reads a header line (starting with `#`). `#separator` starts a new
    /// header.
    pub(crate) fn line(&mut self, text: &str, mappings: &[FieldMapping], line: u64) {
        if let Some(sep) = text.strip_prefix("#separator") {
            *self = Header::default();
            let sep = unescape(sep.trim_start_matches(' '));
            if !sep.is_empty() {
                self.separator = sep.into_owned();
            }
            return;
        }
        let parts: Vec<&str> = text.split(self.separator.as_str()).collect();
        let name = parts[0].trim_start_matches('#');
        let value = || {
            parts
                .get(1)
                .map(|v| unescape(v).into_owned())
                .unwrap_or_default()
        };
        match name {
            "set_separator" => self.set_separator = value(),
            "empty_field" => self.empty = value(),
            "unset_field" => self.unset = value(),
            "fields" => {
                self.fields = parts[1..]
                    .iter()
                    .map(|f| unescape(f).into_owned())
                    .collect();
                self.columns = self
                    .fields
                    .iter()
                    .map(|f| Column {
                        role: role(f, mappings),
                        set: false,
                    })
                    .collect();
                self.fields_line = line;
            }
            "types" => {
                for (c, t) in self.columns.iter_mut().zip(&parts[1..]) {
                    c.set = t.starts_with("set[") || t.starts_with("vector[");
                }
            }
            // #path, #open, #close and anything else: nothing to read.
            _ => {}
        }
    }

    /// Reads a data line and appends its observables.
    pub(crate) fn data(
        &self,
        text: &str,
        mappings: &[FieldMapping],
        out: &mut Vec<Observable>,
    ) -> Result<(), String> {
        if self.fields.is_empty() {
            return Err("a Zeek data line before any #fields header".into());
        }
        let start = out.len();
        let mut event = Event::new(out);
        let mut values = text.split(self.separator.as_str());
        let mut n = 0;
        for (value, column) in values.by_ref().zip(&self.columns) {
            n += 1;
            let Some(role) = column.role else { continue };
            if value == self.unset || value == self.empty {
                continue;
            }
            if column.set {
                for v in value.split(self.set_separator.as_str()) {
                    event.value(role, &unescape(v), mappings);
                }
            } else {
                event.value(role, &unescape(value), mappings);
            }
        }
        event.finish();
        let n = n + values.count();
        if n != self.fields.len() {
            out.truncate(start);
            return Err(format!(
                "{n} values for the {} fields of the #fields header at line {}",
                self.fields.len(),
                self.fields_line
            ));
        }
        Ok(())
    }
}
