//! A hosts file (`/etc/hosts` syntax, as Pi-hole, dnsmasq and browsers'
//! blocklist tools read it): `0.0.0.0 name`, one line per unique domain
//! name, sorted. Only domain names can be said: addresses need no
//! resolution, and a hosts file cannot name a URL, an e-mail address or a
//! file.

use std::io::Write;

use crate::Format;
use crate::error::ExportError;
use crate::observable::Observable;
use crate::report::{ExportReport, SkipReason};
use crate::select::{Indicator, Sink};

/// The names listed so far.
#[derive(Default)]
pub(crate) struct Hosts {
    names: Vec<String>,
}

impl Sink<'_> for Hosts {
    fn add(&mut self, ind: Indicator<'_>, report: &mut ExportReport) {
        let mut any = false;
        for value in ind.values {
            let kind = value.kind();
            match value {
                Observable::Domain(d) => {
                    self.names.push(d);
                    report.count(kind);
                    any = true;
                }
                other => report.skip(
                    ind.id,
                    Some(ind.pattern),
                    Some(other.to_string()),
                    SkipReason::not_expressible(
                        Format::Hosts,
                        kind,
                        "a hosts file lists domain names only",
                    ),
                ),
            }
        }
        if any {
            report.indicators += 1;
        }
    }

    fn finish(mut self, out: &mut dyn Write, report: &mut ExportReport) -> Result<(), ExportError> {
        self.names.sort_unstable();
        self.names.dedup();
        writeln!(
            out,
            "# concord hosts export: listed domain names resolve to 0.0.0.0"
        )?;
        for n in &self.names {
            writeln!(out, "0.0.0.0 {n}")?;
        }
        report.records = self.names.len();
        Ok(())
    }
}
