//! Whether an object touches the member's constituency: an indicator whose
//! pattern names an address inside its ranges, a domain under its domains,
//! one of its AS numbers; an observable with such a value; or an object
//! whose name or description names one of its organisations. Pure; the
//! member may be the victim, so a hit raises an alert.

use std::net::IpAddr;
use std::str::FromStr;

use crate::{AlertError, ConstituencySection, Result};
use ipnet::IpNet;
use serde_json::{Map, Value};

/// The compiled `[constituency]`.
#[derive(Debug, Clone, Default)]
pub struct Constituency {
    ranges: Vec<IpNet>,
    asns: Vec<u32>,
    domains: Vec<String>,
    organisations: Vec<String>,
}

fn net(s: &str) -> Option<IpNet> {
    let s = s.trim();
    IpNet::from_str(s)
        .ok()
        .or_else(|| IpAddr::from_str(s).ok().map(IpNet::from))
}

impl Constituency {
    /// Compiles the section; an `ip_ranges` entry that is neither an
    /// address nor a CIDR range is an [`AlertError::Config`].
    pub fn new(section: &ConstituencySection) -> Result<Constituency> {
        let ranges = section
            .ip_ranges
            .iter()
            .map(|r| {
                net(r).ok_or_else(|| {
                    AlertError::Config(format!("[constituency] ip_ranges: {r:?} is not an address or CIDR range (e.g. 192.0.2.0/24)"))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Constituency {
            ranges,
            asns: section.asns.clone(),
            domains: section
                .domains
                .iter()
                .map(|d| d.trim().trim_end_matches('.').to_lowercase())
                .filter(|d| !d.is_empty())
                .collect(),
            organisations: section
                .organisations
                .iter()
                .map(|o| o.trim().to_lowercase())
                .filter(|o| !o.is_empty())
                .collect(),
        })
    }

    /// Whether it names nothing (nothing can touch it).
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
            && self.asns.is_empty()
            && self.domains.is_empty()
            && self.organisations.is_empty()
    }

    fn ip(&self, n: IpNet) -> Option<String> {
        self.ranges
            .iter()
            .find(|r| r.contains(&n.network()) || n.contains(&r.network()))
            .map(|r| format!("{n} is in {r}"))
    }

    fn domain(&self, d: &str) -> Option<String> {
        let d = d.trim().trim_end_matches('.').to_lowercase();
        self.domains
            .iter()
            .find(|c| d == **c || d.ends_with(&format!(".{c}")))
            .map(|c| format!("{d} is under {c}"))
    }

    /// What a literal value (address, range, domain, URL, e-mail) hits.
    fn value(&self, v: &str) -> Option<String> {
        if let Some(n) = net(v) {
            return self.ip(n);
        }
        if let Ok(u) = url::Url::parse(v)
            && let Some(host) = u.host_str()
        {
            let host = host.trim_start_matches('[').trim_end_matches(']');
            return match net(host) {
                Some(n) => self.ip(n),
                None => self.domain(host),
            };
        }
        if let Some((_, domain)) = v.rsplit_once('@') {
            return self.domain(domain);
        }
        if v.contains('.') && !v.contains(char::is_whitespace) {
            return self.domain(v);
        }
        None
    }

    fn asn(&self, n: u64) -> Option<String> {
        self.asns
            .iter()
            .find(|a| u64::from(**a) == n)
            .map(|a| format!("AS{a}"))
    }

    fn organisation(&self, text: &str) -> Option<String> {
        let t = text.to_lowercase();
        self.organisations
            .iter()
            .find(|o| t.contains(o.as_str()))
            .map(|o| format!("names {o}"))
    }

    /// Why the object touches the constituency, or `None`.
    pub fn touches(&self, o: &Map<String, Value>) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        let text = |k: &str| o.get(k).and_then(Value::as_str);
        let found = match text("type").unwrap_or_default() {
            "indicator" => text("pattern").and_then(|p| self.pattern(p)),
            "ipv4-addr" | "ipv6-addr" | "domain-name" | "url" | "email-addr" => {
                text("value").and_then(|v| self.value(v))
            }
            "autonomous-system" => o
                .get("number")
                .and_then(Value::as_u64)
                .and_then(|n| self.asn(n)),
            "observed-data" => o
                .get("objects")
                .and_then(Value::as_object)
                .and_then(|objs| {
                    objs.values()
                        .filter_map(Value::as_object)
                        .find_map(|x| self.touches(x))
                }),
            _ => None,
        };
        found.or_else(|| {
            ["name", "description"]
                .iter()
                .filter_map(|k| text(k))
                .find_map(|t| self.organisation(t))
        })
    }

    /// Literals of a STIX pattern: quoted strings, and the numbers compared
    /// with `autonomous-system:number`.
    fn pattern(&self, p: &str) -> Option<String> {
        for lit in quoted(p) {
            if let Some(hit) = self.value(&lit) {
                return Some(hit);
            }
        }
        let mut rest = p;
        while let Some(at) = rest.find("autonomous-system:number") {
            rest = &rest[at + "autonomous-system:number".len()..];
            let digits: String = rest
                .trim_start_matches(|c: char| c.is_whitespace() || c == '=')
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(n) = digits.parse::<u64>()
                && let Some(hit) = self.asn(n)
            {
                return Some(hit);
            }
        }
        None
    }
}

/// The single-quoted string literals of a pattern (`\'` and `\\` unescaped).
fn quoted(p: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        if c != '\'' {
            continue;
        }
        let mut s = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    if let Some(n) = chars.next() {
                        s.push(n);
                    }
                }
                '\'' => break,
                _ => s.push(c),
            }
        }
        out.push(s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn c() -> Constituency {
        Constituency::new(&ConstituencySection {
            ip_ranges: vec!["203.0.113.0/24".into(), "2001:db8:1::/48".into()],
            asns: vec![64500],
            domains: vec!["example.pt".into()],
            organisations: vec!["Hospital de Santa Maria".into()],
        })
        .unwrap()
    }

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn indicators_touch_by_address_range_domain_url_and_asn() {
        let c = c();
        let ind = |p: &str| obj(json!({"type": "indicator", "pattern": p}));
        assert!(
            c.touches(&ind("[ipv4-addr:value = '203.0.113.9']"))
                .is_some()
        );
        assert!(
            c.touches(&ind("[ipv4-addr:value ISSUBSET '203.0.0.0/16']"))
                .is_some()
        );
        assert!(
            c.touches(&ind("[ipv4-addr:value = '198.51.100.1']"))
                .is_none()
        );
        assert!(
            c.touches(&ind("[domain-name:value = 'mail.example.pt']"))
                .is_some()
        );
        assert!(
            c.touches(&ind("[domain-name:value = 'notexample.pt']"))
                .is_none()
        );
        assert!(
            c.touches(&ind("[url:value = 'https://www.example.pt/x']"))
                .is_some()
        );
        assert!(
            c.touches(&ind("[autonomous-system:number = 64500]"))
                .is_some()
        );
        assert!(
            c.touches(&ind("[ipv6-addr:value = '2001:db8:1::5']"))
                .is_some()
        );
    }

    #[test]
    fn observables_and_names_touch_too() {
        let c = c();
        assert!(
            c.touches(&obj(json!({"type": "ipv4-addr", "value": "203.0.113.7"})))
                .is_some()
        );
        assert!(
            c.touches(&obj(
                json!({"type": "email-addr", "value": "ceo@example.pt"})
            ))
            .is_some()
        );
        assert!(
            c.touches(&obj(
                json!({"type": "report", "name": "Campaign against hospital de santa maria"})
            ))
            .is_some()
        );
        assert!(
            c.touches(&obj(json!({"type": "malware", "name": "x"})))
                .is_none()
        );
        assert!(
            Constituency::default()
                .touches(&obj(json!({"type": "ipv4-addr", "value": "203.0.113.7"})))
                .is_none()
        );
    }

    #[test]
    fn a_bad_range_is_named() {
        let e = Constituency::new(&ConstituencySection {
            ip_ranges: vec!["203.0.113.0/99".into()],
            ..Default::default()
        })
        .unwrap_err();
        assert!(e.to_string().contains("203.0.113.0/99"), "{e}");
    }
}
