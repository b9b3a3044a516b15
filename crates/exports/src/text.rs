//! Plain lists: one value a line, nothing else (firewall address lists,
//! proxy and mail filters, `grep -F -f`). Values are grouped by kind, in
//! [`Kind::ALL`](crate::Kind::ALL) order, sorted and unique within a kind;
//! the `kinds` option keeps only some kinds (a list per type), and values
//! of other kinds are left out without a skip entry, as asked.

use std::io::Write;

use crate::error::ExportError;
use crate::report::{ExportReport, Kind};
use crate::select::Indicator;

/// Which values the list holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextOptions {
    /// Only these kinds; empty means every kind.
    pub kinds: Vec<Kind>,
}

pub(crate) fn write(
    indicators: &[Indicator<'_>],
    options: &TextOptions,
    out: &mut dyn Write,
    report: &mut ExportReport,
) -> Result<(), ExportError> {
    let mut lines: Vec<(Kind, String)> = Vec::new();
    for ind in indicators {
        let mut any = false;
        for value in &ind.values {
            let kind = value.kind();
            if options.kinds.is_empty() || options.kinds.contains(&kind) {
                lines.push((kind, value.to_string()));
                report.count(kind);
                any = true;
            }
        }
        if any {
            report.indicators += 1;
        }
    }
    lines.sort_unstable();
    lines.dedup();
    for (_, v) in &lines {
        writeln!(out, "{v}")?;
    }
    report.records = lines.len();
    Ok(())
}
