//! What an export is asked for: the format, the filters and the format's
//! options, by the names the command line (`--zone`) and the query string
//! (`?zone=`) share, so that both read them the same way.

use std::fmt::Write as _;
use std::str::FromStr;

use concord_exports::{Format, Kind, RpzAction, SidRange};
use concord_stix::Timestamp;
use concord_stix::tlp::Tlp;

use crate::PublishError;

/// What comes out: a STIX bundle or one of the enforcement formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    /// A STIX 2.1 bundle of the latest versions.
    Stix,
    /// An enforcement format of concord-exports.
    Enforcement(Format),
}

impl OutputFormat {
    /// The name the command line and `/exports/<format>` use.
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Stix => "stix",
            OutputFormat::Enforcement(f) => f.name(),
        }
    }

    /// The media type to serve it with.
    pub fn media_type(self) -> &'static str {
        match self {
            OutputFormat::Stix => "application/stix+json;version=2.1",
            OutputFormat::Enforcement(f) => f.media_type(),
        }
    }
}

impl FromStr for OutputFormat {
    type Err = PublishError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "stix" {
            return Ok(OutputFormat::Stix);
        }
        s.parse::<Format>()
            .map(OutputFormat::Enforcement)
            .map_err(|_| {
                PublishError::query(
                    "format",
                    format!("{s:?} is none of stix, rpz, suricata, zeek, hosts, text, csv"),
                )
            })
    }
}

/// The RPZ zone's name when none is given.
pub const DEFAULT_ZONE: &str = "rpz.concord.";

/// The options every query names (`--name` on the command line, `?name=`
/// in a URL), for help texts and error messages.
pub const OPTIONS: [&str; 10] = [
    "type",
    "tlp",
    "since",
    "confidence",
    "include-inactive",
    "zone",
    "action",
    "wildcard",
    "url-hosts",
    "sid-range",
];

/// One export request, without the objects' source (which collections,
/// for whom: see [`Scope`](crate::Scope)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// What comes out.
    pub format: OutputFormat,
    /// For an enforcement format: only these kinds of values
    /// (`ipv4-addr`, `domain-name`, `file` for every hash, ...). For STIX:
    /// only these object types.
    pub types: Vec<String>,
    /// Only objects marked at most this TLP level (unmarked ones are then
    /// left out).
    pub max_tlp: Option<Tlp>,
    /// Only versions modified at or after this time.
    pub since: Option<Timestamp>,
    /// Only indicators with at least this confidence.
    pub min_confidence: Option<u8>,
    /// Also revoked, withdrawn, expired and not yet valid indicators (for
    /// STIX: revoked objects).
    pub include_inactive: bool,
    /// The RPZ zone's origin.
    pub zone: String,
    /// The RPZ policy of every trigger.
    pub action: RpzAction,
    /// RPZ: also `*.name` for every name.
    pub wildcard: bool,
    /// RPZ: the host names of URL indicators too.
    pub url_hosts: bool,
    /// Suricata: the sids new rules take.
    pub sids: SidRange,
}

impl Query {
    /// Everything active, in `format`, with the default options.
    pub fn new(format: OutputFormat) -> Query {
        Query {
            format,
            types: Vec::new(),
            max_tlp: None,
            since: None,
            min_confidence: None,
            include_inactive: false,
            zone: DEFAULT_ZONE.to_string(),
            action: RpzAction::Nxdomain,
            wildcard: false,
            url_hosts: false,
            sids: SidRange::default(),
        }
    }

    /// Sets one option by its name (one of [`OPTIONS`]; `_` may stand for
    /// `-`). Repeating `type` adds types; a comma separates several in one
    /// value. Flags take `true`, `false`, `1`, `0`, `yes`, `no` or nothing.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), PublishError> {
        let name = name.replace('_', "-");
        let flag = |v: &str| match v {
            "" | "1" | "true" | "yes" => Ok(true),
            "0" | "false" | "no" => Ok(false),
            _ => Err(PublishError::query(
                &name,
                format!("{v:?} is none of true, false, 1, 0, yes, no"),
            )),
        };
        match name.as_str() {
            "type" => {
                for t in value.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                    self.types.push(t.to_string());
                }
            }
            "tlp" => {
                self.max_tlp = Some(Tlp::parse(value).ok_or_else(|| {
                    PublishError::query(
                        "tlp",
                        format!("{value:?}: expected clear, green, amber, amber+strict or red"),
                    )
                })?);
            }
            "since" => {
                self.since = Some(Timestamp::parse(value).map_err(|e| {
                    PublishError::query(
                        "since",
                        format!("{value:?}: {e} (e.g. 2026-01-01T00:00:00Z)"),
                    )
                })?);
            }
            "confidence" => {
                let c = value
                    .parse::<u8>()
                    .ok()
                    .filter(|c| *c <= 100)
                    .ok_or_else(|| {
                        PublishError::query("confidence", format!("{value:?} is no number 0-100"))
                    })?;
                self.min_confidence = Some(c);
            }
            "include-inactive" => self.include_inactive = flag(value)?,
            "zone" => self.zone = value.to_string(),
            "action" => {
                self.action = value.parse().map_err(|e: concord_exports::ExportError| {
                    PublishError::query("action", e.to_string())
                })?;
            }
            "wildcard" => self.wildcard = flag(value)?,
            "url-hosts" => self.url_hosts = flag(value)?,
            "sid-range" => {
                self.sids = value.parse().map_err(|e: concord_exports::ExportError| {
                    PublishError::query("sid-range", e.to_string())
                })?;
            }
            other => {
                return Err(PublishError::query(
                    other,
                    format!("no such option; the options are {}", OPTIONS.join(", ")),
                ));
            }
        }
        Ok(())
    }

    /// The kinds of values `types` names, for an enforcement format.
    pub fn kinds(&self) -> Result<Vec<Kind>, PublishError> {
        let mut out = Vec::new();
        for t in &self.types {
            if t == "file" {
                out.extend([Kind::Md5, Kind::Sha1, Kind::Sha256]);
                continue;
            }
            out.push(Kind::parse(t).ok_or_else(|| {
                PublishError::query(
                    "type",
                    format!(
                        "{t:?} is no kind of value an export writes: ipv4-addr, ipv6-addr, domain-name, url, email-addr, file, md5, sha1, sha256"
                    ),
                )
            })?);
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// Checks the values that only an export would otherwise find wrong,
    /// so that a query fails before any object is read.
    pub fn check(&self) -> Result<(), PublishError> {
        if let OutputFormat::Enforcement(_) = self.format {
            self.kinds()?;
        }
        Ok(())
    }

    /// Everything in the query that changes the output, as one canonical
    /// text: the key of the cache and of the zone serial.
    pub fn key(&self) -> String {
        let mut types = self.types.clone();
        types.sort_unstable();
        types.dedup();
        let mut k = String::new();
        let _ = write!(
            k,
            "format={};type={};tlp={};since={};confidence={};inactive={}",
            self.format.name(),
            types.join(","),
            self.max_tlp.map_or("", Tlp::word),
            self.since.map(|t| t.0).unwrap_or(i64::MIN),
            self.min_confidence.map_or(-1, i16::from),
            self.include_inactive,
        );
        match self.format {
            OutputFormat::Enforcement(Format::Rpz) => {
                let action = match &self.action {
                    RpzAction::Nxdomain => "nxdomain".to_string(),
                    RpzAction::Nodata => "nodata".to_string(),
                    RpzAction::Passthru => "passthru".to_string(),
                    RpzAction::Cname(t) => format!("cname:{t}"),
                };
                let _ = write!(
                    k,
                    ";zone={};action={action};wildcard={};url-hosts={}",
                    self.zone.to_ascii_lowercase(),
                    self.wildcard,
                    self.url_hosts
                );
            }
            OutputFormat::Enforcement(Format::Suricata) => {
                let _ = write!(k, ";sids={}-{}", self.sids.first, self.sids.last);
            }
            _ => {}
        }
        k
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_by_name() {
        let mut q = Query::new("rpz".parse().unwrap());
        for (k, v) in [
            ("type", "domain-name,url"),
            ("type", "file"),
            ("tlp", "amber"),
            ("since", "2026-01-01T00:00:00Z"),
            ("confidence", "70"),
            ("zone", "block.example."),
            ("action", "cname:walled.garden.example"),
            ("wildcard", ""),
            ("url_hosts", "true"),
            ("sid-range", "5-9"),
        ] {
            q.set(k, v).unwrap();
        }
        assert_eq!(q.types, ["domain-name", "url", "file"]);
        assert_eq!(
            q.kinds().unwrap(),
            [
                Kind::DomainName,
                Kind::Url,
                Kind::Md5,
                Kind::Sha1,
                Kind::Sha256
            ]
        );
        assert_eq!(q.max_tlp, Some(Tlp::Amber));
        assert_eq!(q.min_confidence, Some(70));
        assert!(q.wildcard && q.url_hosts);
        assert_eq!(q.action, RpzAction::Cname("walled.garden.example".into()));
        assert_eq!(q.sids, SidRange { first: 5, last: 9 });
        let key = q.key();
        assert!(
            key.contains("zone=block.example.;action=cname:walled.garden.example"),
            "{key}"
        );
        for (k, v) in [
            ("tlp", "purple"),
            ("since", "yesterday"),
            ("confidence", "101"),
            ("action", "drop"),
            ("wildcard", "maybe"),
            ("sid-range", "9-5"),
            ("colour", "red"),
        ] {
            let e = Query::new(OutputFormat::Stix).set(k, v).unwrap_err();
            assert!(e.is_bad_query(), "{e}");
        }
        let mut bad = Query::new("text".parse().unwrap());
        bad.set("type", "indicator").unwrap();
        assert!(
            bad.check()
                .unwrap_err()
                .to_string()
                .contains("no kind of value")
        );
        assert!("misp".parse::<OutputFormat>().is_err());
    }

    #[test]
    fn the_key_names_what_changes_the_output() {
        let mut a = Query::new("rpz".parse().unwrap());
        let b = a.clone();
        a.set("type", "url,domain-name").unwrap();
        let mut c = b.clone();
        c.set("type", "domain-name").unwrap();
        c.set("type", "url").unwrap();
        assert_eq!(a.key(), c.key());
        assert_ne!(a.key(), b.key());
        let mut s = Query::new("suricata".parse().unwrap());
        let before = s.key();
        s.set("zone", "x.").unwrap();
        assert_eq!(s.key(), before, "a zone does not change rules");
        s.set("sid-range", "1-2").unwrap();
        assert_ne!(s.key(), before);
    }
}
