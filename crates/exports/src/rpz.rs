//! DNS Response Policy Zones (RPZ, draft-vixie-dnsop-dns-rpz): a zone file
//! that BIND, Unbound, Knot Resolver and PowerDNS Recursor load as a policy.
//!
//! What it can say: domain names (QNAME triggers, and `*.name` with the
//! wildcard option), URL hosts (with the `url_hosts` option; a URL whose
//! host is an address makes no DNS query, so it is left out), IPv4 and IPv6
//! addresses and networks (`rpz-ip` response-address triggers). E-mail
//! addresses and file hashes are no DNS triggers and are skipped.
//!
//! The file starts with `$ORIGIN` and `$TTL`, then the SOA (with the
//! caller's serial, see [`crate::serial`]) and one NS record, then one
//! record per unique owner name in byte order, each commented with the
//! STIX ids that contributed it. Identical input gives identical bytes.

use std::borrow::Cow;
use std::io::Write;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::Format;
use crate::dns;
use crate::error::ExportError;
use crate::observable::{Ipv4Net, Ipv6Net, Observable, UrlHost};
use crate::report::{ExportReport, Kind, SkipReason};
use crate::select::{Indicator, Sink};

/// The policy a listed name or address gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RpzAction {
    /// `CNAME .`: the name does not exist.
    Nxdomain,
    /// `CNAME *.`: the name exists but has no data of the asked type.
    Nodata,
    /// `CNAME rpz-passthru.`: answer normally (an allow list, or logging).
    Passthru,
    /// `CNAME <target>`: answer as if the name were an alias of `target`
    /// (a walled garden that tells users why).
    Cname(String),
}

impl FromStr for RpzAction {
    type Err = ExportError;

    /// `nxdomain`, `nodata`, `passthru` or `cname:<name>`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "nxdomain" => Ok(RpzAction::Nxdomain),
            "nodata" => Ok(RpzAction::Nodata),
            "passthru" => Ok(RpzAction::Passthru),
            _ => match s.strip_prefix("cname:") {
                Some(target) => Ok(RpzAction::Cname(target.to_string())),
                None => Err(ExportError::InvalidOption {
                    option: "action",
                    reason: format!("{s:?} is none of nxdomain, nodata, passthru, cname:<name>"),
                }),
            },
        }
    }
}

/// How the zone is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpzOptions {
    /// The zone's origin (`rpz.concord.` by default).
    pub zone: String,
    /// The SOA serial. It must increase (RFC 1982) with every change of the
    /// content and stay put otherwise: see [`crate::serial`].
    pub serial: u32,
    /// The policy of every trigger.
    pub action: RpzAction,
    /// Also list `*.name` for every name, so subdomains are caught.
    pub wildcard: bool,
    /// Let URL indicators contribute their host name (off by default: a
    /// URL names one resource, blocking its host blocks the whole site).
    pub url_hosts: bool,
    /// `$TTL` and the SOA's negative-caching TTL, in seconds.
    pub ttl: u32,
    /// The SOA's primary name server.
    pub soa_mname: String,
    /// The SOA's responsible mailbox, as a name.
    pub soa_rname: String,
}

impl RpzOptions {
    /// NXDOMAIN for every trigger in `rpz.concord.`, no wildcards, no URL
    /// hosts, TTL 300.
    pub fn new(serial: u32) -> RpzOptions {
        RpzOptions {
            zone: "rpz.concord.".into(),
            serial,
            action: RpzAction::Nxdomain,
            wildcard: false,
            url_hosts: false,
            ttl: 300,
            soa_mname: "localhost.".into(),
            soa_rname: "hostmaster.localhost.".into(),
        }
    }
}

/// Labels that make an owner name an RPZ trigger of another kind.
const SPECIAL: [&str; 4] = ["rpz-ip", "rpz-nsip", "rpz-nsdname", "rpz-client-ip"];

fn option_name(option: &'static str, raw: &str) -> Result<String, ExportError> {
    dns::absolute_name(raw).map_err(|reason| ExportError::InvalidOption { option, reason })
}

/// The owner of an IPv4 trigger: `prefix.d.c.b.a.rpz-ip`.
fn ipv4_owner(addr: Ipv4Addr, prefix: u8) -> String {
    let [a, b, c, d] = addr.octets();
    format!("{prefix}.{d}.{c}.{b}.{a}.rpz-ip")
}

/// The owner of an IPv6 trigger: the prefix, then the 16-bit words from
/// the last to the first in hex, with the longest run of two or more zero
/// words written `zz` (the earliest such run of the address when runs tie,
/// as RFC 5952 and BIND's canonical form have it).
fn ipv6_owner(addr: Ipv6Addr, prefix: u8) -> String {
    if let Some(v4) = addr.to_ipv4_mapped()
        && prefix >= 96
    {
        // A mapped address is an IPv4 address to every RPZ implementation.
        return ipv4_owner(v4, prefix - 96);
    }
    let words = addr.segments();
    let (mut best, mut best_len, mut run, mut run_len) = (None, 0, 0, 0);
    for (i, w) in words.iter().enumerate() {
        if *w == 0 {
            if run_len == 0 {
                run = i;
            }
            run_len += 1;
            if run_len > best_len {
                best = Some(run);
                best_len = run_len;
            }
        } else {
            run_len = 0;
        }
    }
    let zz = best.filter(|_| best_len >= 2);
    let mut labels: Vec<String> = Vec::with_capacity(9);
    let mut i = 0;
    while i < 8 {
        if Some(i) == zz {
            labels.push("zz".into());
            i += best_len;
        } else {
            labels.push(format!("{:x}", words[i]));
            i += 1;
        }
    }
    labels.reverse();
    format!("{prefix}.{}.rpz-ip", labels.join("."))
}

/// The zone being built: its header, and its triggers so far.
pub(crate) struct Zone<'a> {
    origin: String,
    target: String,
    mname: String,
    rname: String,
    serial: u32,
    ttl: u32,
    wildcard: bool,
    url_hosts: bool,
    /// Octets the origin adds to a relative owner name on the wire.
    origin_wire: usize,
    triggers: Vec<(String, &'a str)>,
}

impl Zone<'_> {
    /// Checks the options.
    pub(crate) fn new<'a>(options: &RpzOptions) -> Result<Zone<'a>, ExportError> {
        let origin = option_name("zone", &options.zone)?;
        let target = match &options.action {
            RpzAction::Nxdomain => ".".to_string(),
            RpzAction::Nodata => "*.".to_string(),
            RpzAction::Passthru => "rpz-passthru.".to_string(),
            RpzAction::Cname(t) => option_name("action", t)?,
        };
        Ok(Zone {
            origin_wire: origin.len() + 1,
            origin,
            target,
            mname: option_name("soa-mname", &options.soa_mname)?,
            rname: option_name("soa-rname", &options.soa_rname)?,
            serial: options.serial,
            ttl: options.ttl,
            wildcard: options.wildcard,
            url_hosts: options.url_hosts,
            triggers: Vec::new(),
        })
    }
}

fn not(why: impl Into<Cow<'static, str>>, kind: Kind) -> SkipReason {
    SkipReason::not_expressible(Format::Rpz, kind, why)
}

impl<'a> Sink<'a> for Zone<'a> {
    fn add(&mut self, ind: Indicator<'a>, report: &mut ExportReport) {
        let mut any = false;
        for value in ind.values {
            let kind = value.kind();
            let name = match value {
                Observable::Ipv4(Ipv4Net { addr, prefix }) => {
                    self.triggers.push((ipv4_owner(addr, prefix), ind.id));
                    any = true;
                    report.count(kind);
                    continue;
                }
                Observable::Ipv6(Ipv6Net { addr, prefix }) => {
                    self.triggers.push((ipv6_owner(addr, prefix), ind.id));
                    any = true;
                    report.count(kind);
                    continue;
                }
                Observable::Domain(d) => d,
                Observable::Url(u) if self.url_hosts => match u.host {
                    UrlHost::Domain(d) => d,
                    _ => {
                        let why = "the URL's host is an address, which makes no DNS query";
                        report.skip(ind.id, Some(ind.pattern), Some(u.text), not(why, kind));
                        continue;
                    }
                },
                other => {
                    let why = match other {
                        Observable::Url(_) => {
                            "URL indicators give their host only with the url-hosts option"
                        }
                        _ => "RPZ triggers are names and addresses",
                    };
                    report.skip(
                        ind.id,
                        Some(ind.pattern),
                        Some(other.to_string()),
                        not(why, kind),
                    );
                    continue;
                }
            };
            let last = name.rsplit('.').next().unwrap_or_default();
            if SPECIAL.contains(&last) {
                let why =
                    format!("a name ending in {last} would be read as another kind of RPZ trigger");
                report.skip(ind.id, Some(ind.pattern), Some(name), not(why, kind));
                continue;
            }
            let wire = name.len() + 1 + self.origin_wire;
            if wire > dns::MAX_WIRE {
                let why = format!(
                    "under {} the owner name would be {wire} octets on the wire, more than {}",
                    self.origin,
                    dns::MAX_WIRE
                );
                report.skip(ind.id, Some(ind.pattern), Some(name), not(why, kind));
                continue;
            }
            if self.wildcard {
                if wire + 2 <= dns::MAX_WIRE {
                    self.triggers.push((format!("*.{name}"), ind.id));
                } else {
                    let why = format!(
                        "under {} the wildcard owner name would be {} octets on the wire, more than {}",
                        self.origin,
                        wire + 2,
                        dns::MAX_WIRE
                    );
                    report.skip(
                        ind.id,
                        Some(ind.pattern),
                        Some(format!("*.{name}")),
                        not(why, kind),
                    );
                }
            }
            self.triggers.push((name, ind.id));
            any = true;
            report.count(kind);
        }
        if any {
            report.indicators += 1;
        }
    }

    fn finish(mut self, out: &mut dyn Write, report: &mut ExportReport) -> Result<(), ExportError> {
        self.triggers.sort_unstable();
        let (origin, target) = (&self.origin, &self.target);
        writeln!(out, "$ORIGIN {origin}")?;
        writeln!(out, "$TTL {}", self.ttl)?;
        writeln!(
            out,
            "@ SOA {} {} {} 3600 600 86400 {}",
            self.mname, self.rname, self.serial, self.ttl
        )?;
        writeln!(out, "@ NS {}", self.mname)?;
        writeln!(
            out,
            "; concord RPZ export: one trigger per line, with the STIX ids that list it"
        )?;
        let record_end = format!(" CNAME {target} ;");
        let triggers = &self.triggers;
        let mut i = 0;
        while i < triggers.len() {
            let owner = &triggers[i].0;
            out.write_all(owner.as_bytes())?;
            out.write_all(record_end.as_bytes())?;
            let mut last_id = "";
            while i < triggers.len() && triggers[i].0 == *owner {
                if triggers[i].1 != last_id {
                    out.write_all(b" ")?;
                    out.write_all(triggers[i].1.as_bytes())?;
                    last_id = triggers[i].1;
                }
                i += 1;
            }
            out.write_all(b"\n")?;
            report.records += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_triggers_reverse_the_octets() {
        assert_eq!(
            ipv4_owner("203.0.113.7".parse().unwrap(), 32),
            "32.7.113.0.203.rpz-ip"
        );
        assert_eq!(
            ipv4_owner("198.51.100.0".parse().unwrap(), 24),
            "24.0.100.51.198.rpz-ip"
        );
    }

    #[test]
    fn ipv6_triggers_compress_the_longest_zero_run() {
        let o = |a: &str, p| ipv6_owner(a.parse().unwrap(), p);
        assert_eq!(o("2001:db8::1", 128), "128.1.zz.db8.2001.rpz-ip");
        assert_eq!(o("2001:db8::", 64), "64.zz.db8.2001.rpz-ip");
        // BIND's example: equal runs, the earlier in the address wins.
        assert_eq!(
            o("2001:db8:0:0:1:0:0:1", 128),
            "128.1.0.0.1.zz.db8.2001.rpz-ip"
        );
        // A single zero word is never compressed.
        assert_eq!(
            o("2001:db8:0:1:1:1:1:1", 128),
            "128.1.1.1.1.1.0.db8.2001.rpz-ip"
        );
        assert_eq!(o("::", 1), "1.zz.rpz-ip");
        assert_eq!(o("1::", 16), "16.zz.1.rpz-ip");
        assert_eq!(o("::1", 128), "128.1.zz.rpz-ip");
        assert_eq!(o("::ffff:203.0.113.7", 128), "32.7.113.0.203.rpz-ip");
    }

    #[test]
    fn actions_parse() {
        assert_eq!(
            "nxdomain".parse::<RpzAction>().unwrap(),
            RpzAction::Nxdomain
        );
        assert_eq!("nodata".parse::<RpzAction>().unwrap(), RpzAction::Nodata);
        assert_eq!(
            "passthru".parse::<RpzAction>().unwrap(),
            RpzAction::Passthru
        );
        assert_eq!(
            "cname:walled.garden.example".parse::<RpzAction>().unwrap(),
            RpzAction::Cname("walled.garden.example".into())
        );
        assert!("drop".parse::<RpzAction>().is_err());
    }
}
