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
use crate::select::Indicator;

pub(crate) fn write(
    indicators: &[Indicator<'_>],
    out: &mut dyn Write,
    report: &mut ExportReport,
) -> Result<(), ExportError> {
    let mut names: Vec<&str> = Vec::new();
    for ind in indicators {
        let mut any = false;
        for value in &ind.values {
            match value {
                Observable::Domain(d) => {
                    names.push(d);
                    report.count(value.kind());
                    any = true;
                }
                _ => report.skip(
                    ind.id,
                    Some(ind.pattern),
                    Some(value.to_string()),
                    SkipReason::NotExpressible {
                        format: Format::Hosts,
                        kind: value.kind(),
                        why: "a hosts file lists domain names only".into(),
                    },
                ),
            }
        }
        if any {
            report.indicators += 1;
        }
    }
    names.sort_unstable();
    names.dedup();
    writeln!(
        out,
        "# concord hosts export: listed domain names resolve to 0.0.0.0"
    )?;
    for n in &names {
        writeln!(out, "0.0.0.0 {n}")?;
    }
    report.records = names.len();
    Ok(())
}
