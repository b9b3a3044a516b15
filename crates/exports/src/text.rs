//! Plain lists: one value a line, nothing else (firewall address lists,
//! proxy and mail filters, `grep -F -f`). Values are grouped by kind, in
//! [`Kind::ALL`](crate::Kind::ALL) order, sorted and unique within a kind;
//! the `kinds` option keeps only some kinds (a list per type), and values
//! of other kinds are left out without a skip entry, as asked.

use std::io::Write;

use crate::error::ExportError;
use crate::report::{ExportReport, Kind};
use crate::select::{Indicator, Sink};

/// Which values the list holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextOptions {
    /// Only these kinds; empty means every kind.
    pub kinds: Vec<Kind>,
}

/// The values listed so far.
pub(crate) struct Lines {
    options: TextOptions,
    lines: Vec<(Kind, String)>,
}

impl Lines {
    pub(crate) fn new(options: TextOptions) -> Lines {
        Lines {
            options,
            lines: Vec::new(),
        }
    }
}

impl Sink<'_> for Lines {
    fn add(&mut self, ind: Indicator<'_>, report: &mut ExportReport) {
        let mut any = false;
        for value in &ind.values {
            let kind = value.kind();
            if self.options.kinds.is_empty() || self.options.kinds.contains(&kind) {
                self.lines.push((kind, value.to_string()));
                report.count(kind);
                any = true;
            }
        }
        if any {
            report.indicators += 1;
        }
    }

    fn finish(mut self, out: &mut dyn Write, report: &mut ExportReport) -> Result<(), ExportError> {
        self.lines.sort_unstable();
        self.lines.dedup();
        for (_, v) in &self.lines {
            writeln!(out, "{v}")?;
        }
        report.records = self.lines.len();
        Ok(())
    }
}
