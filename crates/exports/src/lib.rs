//! Exports of shared indicators to the formats that enforce them: DNS
//! response policy zones (RPZ) for resolvers, Suricata rules, the Zeek
//! Intel framework, hosts files, plain lists and CSV.
//!
//! What it is for: intelligence protects nobody until it reaches the
//! resolvers, IDS and firewalls that members run. The caller hands
//! [`export`] the STIX 2.1 indicator objects (latest versions, already
//! filtered by the sharing policy for whoever asks), an
//! [`ExportContext`] (the time that decides what is active, a minimum
//! confidence, the authors' names) and a [`Target`] with the format's
//! options; the output goes to any `std::io::Write`, and an
//! [`ExportReport`] says what was written per kind, every indicator or
//! value left out and why, and the files that go beside the output.
//!
//! ```
//! use concord_exports::{export, Authors, ExportContext, RpzOptions, Target};
//! use concord_stix::Timestamp;
//! use serde_json::json;
//!
//! let indicator = json!({
//!     "type": "indicator", "spec_version": "2.1",
//!     "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
//!     "created": "2026-11-01T00:00:00Z", "modified": "2026-11-01T00:00:00Z",
//!     "pattern": "[domain-name:value = 'evil.example']",
//!     "pattern_type": "stix", "valid_from": "2026-11-01T00:00:00Z"
//! });
//! let objects = vec![indicator.as_object().unwrap().clone()];
//! let authors = Authors::new();
//! let ctx = ExportContext::new(Timestamp::parse("2026-12-01T00:00:00Z").unwrap(), &authors);
//! let mut zone = Vec::new();
//! let report = export(Target::Rpz(RpzOptions::new(7)), &objects, &ctx, &mut zone).unwrap();
//! assert_eq!(report.records, 1);
//! assert!(String::from_utf8(zone).unwrap().contains("evil.example CNAME . ;"));
//! ```
//!
//! Only patterns a target can express are exported: one comparison, or an
//! OR of equality comparisons (`=`, `IN`, and ISSUBSET of a CIDR for
//! addresses) on one observable type, such as
//! `[domain-name:value = 'a.example' OR domain-name:value = 'b.example']`
//! or `[ipv4-addr:value = '1.2.3.4'] OR [ipv4-addr:value = '5.6.7.8']`.
//! A pattern with AND, FOLLOWEDBY, a qualifier, NOT or any other operator
//! is skipped whole, never exported in parts; so are non-STIX pattern
//! types. Values are normalised first: names to lower-case ASCII (IDNA),
//! networks to their network address, URLs per WHATWG without fragment,
//! hashes to lower-case hex; a value that is invalid for its type (a name
//! with a space, `10.1` as an IPv4 address) is skipped alone.
//!
//! What each format can say (anything else is skipped with a reason):
//!
//! | value | rpz | suricata | zeek | hosts | text, csv |
//! | --- | --- | --- | --- | --- | --- |
//! | `ipv4-addr`/`ipv6-addr` address or CIDR | `rpz-ip` trigger | IP rule (address group, both directions) | `Intel::ADDR` / `Intel::SUBNET` | no | yes |
//! | `domain-name` | QNAME trigger (+ `*.name` with the wildcard option) | `dns.query` and `tls.sni` rules | `Intel::DOMAIN` | `0.0.0.0 name` | yes |
//! | `url` | its host name, with the url-hosts option | `http.host` + `http.uri` rule (http, https) | `Intel::URL` (no scheme) | no | yes |
//! | `email-addr` | no | no (no Suricata 7 keyword) | `Intel::EMAIL` | no | yes |
//! | `file:hashes` MD5, SHA-1, SHA-256 | no | `filemd5`/`filesha1`/`filesha256` list files | `Intel::FILE_HASH` | no | yes |
//!
//! Output is deterministic: the same input (in any order) and options give
//! the same bytes (for Suricata, with the same [`SidTable`]), so a server
//! can use a hash of them as an ETag. The RPZ serial is the caller's: it
//! must increase with every change of the content, see [`serial`].
//!
//! What it must never do: read a clock, files, environment variables or
//! configuration, print, panic on any input, or write a record that its
//! consumer would read differently from what the indicator says (a name
//! that is no valid DNS name, a rule field that would break out of its
//! quotes, a Zeek field with a tab).

mod context;
mod csv;
mod dns;
mod error;
mod hosts;
mod observable;
mod pattern;
mod read;
mod report;
mod rpz;
mod select;
pub mod serial;
mod sid;
mod suricata;
mod text;
mod zeek;

use std::fmt;
use std::io::{BufWriter, Write};
use std::str::FromStr;

use serde::Serialize;
use serde_json::{Map, Value};

pub use context::{Authors, ExportContext};
pub use csv::CSV_HEADER;
pub use error::ExportError;
pub use read::{PROPERTIES, parse_object, properties};
pub use report::{ExportReport, ExtraFile, Kind, SkipReason, Skipped};
pub use rpz::{RpzAction, RpzOptions};
pub use sid::{SidRange, SidRecord, SidTable};
pub use suricata::SuricataOptions;
pub use text::TextOptions;
pub use zeek::{ZEEK_HEADER, ZeekOptions};

/// The formats this crate writes, by the names the command line and the
/// `/exports/<format>` route use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// A DNS response policy zone file.
    Rpz,
    /// Suricata 7 rules (plus hash list files).
    Suricata,
    /// A Zeek Intel framework file.
    Zeek,
    /// A hosts file.
    Hosts,
    /// One value a line.
    Text,
    /// RFC 4180 CSV.
    Csv,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 6] = [
        Format::Rpz,
        Format::Suricata,
        Format::Zeek,
        Format::Hosts,
        Format::Text,
        Format::Csv,
    ];

    /// The format's name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Rpz => "rpz",
            Format::Suricata => "suricata",
            Format::Zeek => "zeek",
            Format::Hosts => "hosts",
            Format::Text => "text",
            Format::Csv => "csv",
        }
    }

    /// The media type to serve the output with.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            _ => "text/plain; charset=utf-8",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = ExportError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| ExportError::InvalidOption {
                option: "format",
                reason: format!("{s:?} is none of rpz, suricata, zeek, hosts, text, csv"),
            })
    }
}

/// A format with its options.
#[derive(Debug)]
pub enum Target<'s> {
    /// A response policy zone.
    Rpz(RpzOptions),
    /// Suricata rules; the table keeps sids stable across exports and must
    /// be stored by the caller after the export (it changes when new
    /// indicators or versions are exported).
    Suricata(SuricataOptions, &'s mut SidTable),
    /// A Zeek Intel file.
    Zeek(ZeekOptions),
    /// A hosts file.
    Hosts,
    /// A plain list.
    Text(TextOptions),
    /// CSV.
    Csv,
}

impl Target<'_> {
    /// The format written.
    pub fn format(&self) -> Format {
        match self {
            Target::Rpz(_) => Format::Rpz,
            Target::Suricata(..) => Format::Suricata,
            Target::Zeek(_) => Format::Zeek,
            Target::Hosts => Format::Hosts,
            Target::Text(_) => Format::Text,
            Target::Csv => Format::Csv,
        }
    }
}

/// Writes the indicators among `objects` that `ctx` selects to `out` in
/// the target's format.
///
/// Objects that are no indicators, inactive or not confident enough
/// indicators, patterns the target cannot express and invalid values are
/// listed in the report's `skipped`; only unusable options and write
/// failures are errors. On an error the output may be partly written.
pub fn export<'a, W: Write>(
    target: Target<'_>,
    objects: impl IntoIterator<Item = &'a Map<String, Value>>,
    ctx: &ExportContext<'a>,
    out: W,
) -> Result<ExportReport, ExportError> {
    let mut report = ExportReport::new(target.format());
    match target {
        Target::Rpz(options) => {
            run(rpz::Zone::new(&options)?, objects, ctx, out, &mut report)?;
        }
        Target::Suricata(options, table) => {
            run(
                suricata::Rules::new(options, table)?,
                objects,
                ctx,
                out,
                &mut report,
            )?;
        }
        Target::Zeek(options) => run(zeek::Intel::new(options), objects, ctx, out, &mut report)?,
        Target::Hosts => run(hosts::Hosts::default(), objects, ctx, out, &mut report)?,
        Target::Text(options) => run(text::Lines::new(options), objects, ctx, out, &mut report)?,
        Target::Csv => run(csv::Rows::default(), objects, ctx, out, &mut report)?,
    }
    Ok(report)
}

/// Selects into `sink`, then writes its output through a buffer.
fn run<'a, W: Write>(
    mut sink: impl select::Sink<'a>,
    objects: impl IntoIterator<Item = &'a Map<String, Value>>,
    ctx: &ExportContext<'a>,
    out: W,
    report: &mut ExportReport,
) -> Result<(), ExportError> {
    select::select(objects, ctx, report, &mut sink);
    let mut out = BufWriter::with_capacity(1 << 16, out);
    sink.finish(&mut out, report)?;
    out.flush()?;
    Ok(())
}
