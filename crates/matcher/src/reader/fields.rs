//! What the well-known fields of Zeek, Suricata EVE and generic JSON logs
//! hold, and how one event's field values become observables.
//!
//! Zeek's field names are the same in its TSV and JSON writers (`id.orig_h`
//! flat in both); Suricata nests (`dns.rrname` is `{"dns":{"rrname":..}}`),
//! and a path steps through lists (`dns.queries.rrname`).

use crate::extract::{Ioc, extract, parse_ioc};
use crate::observable::{HashAlgorithm, Observable, normal_domain, normal_url};
use crate::reader::FieldMapping;

/// What a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Ip,
    Domain,
    /// An address or a host name (DNS answers, HELO names).
    Host,
    Url,
    Hash(HashAlgorithm),
    /// `alice@example.com`, `<alice@example.com>` or `"Alice" <alice@example.com>`.
    Email,
    /// Free text: every observable in it.
    Text,
    /// A value of any indicator type, its type detected (Zeek intel's
    /// `seen.indicator`).
    Any,
    /// A certificate's subject or issuer: the property, and the names in it.
    CertificateName(&'static str),
    /// A property of an object the index has no lookup for (the pattern
    /// evaluator reads it).
    Property(&'static str, &'static [&'static str]),
    /// The host of a URL split over two fields (Zeek http `host` + `uri`,
    /// EVE `http.hostname` + `http.url`); itself an address or a host name.
    UrlHost(u8),
    /// The path of such a URL.
    UrlPath(u8),
}

/// The field at a (dotted) path, by the names Zeek, Suricata EVE and
/// common JSON logs give it.
pub(crate) fn known(path: &str) -> Option<Kind> {
    use HashAlgorithm::{Md5, Sha1, Sha256, Sha512};
    use Kind::*;
    Some(match path {
        // Zeek: conn, dns, http, files, ssl, x509, smtp, notice, intel, dhcp
        "id.orig_h" | "id.resp_h" | "src" | "dst" | "tx_hosts" | "rx_hosts" | "san.ip"
        | "x_originating_ip" | "path" | "assigned_addr" | "client_addr" | "server_addr" => Ip,
        "query" | "server_name" | "san.dns" => Domain,
        "answers" | "helo" => Host,
        "host" => UrlHost(0),
        "uri" => UrlPath(0),
        "referrer" | "san.uri" => Url,
        "mailfrom" | "rcptto" | "from" | "to" | "cc" | "reply_to" | "san.email" => Email,
        "md5" => Hash(Md5),
        "sha1" => Hash(Sha1),
        "sha256" => Hash(Sha256),
        "sha512" => Hash(Sha512),
        "msg" | "sub" | "subject" | "issuer" | "message" => Text,
        "seen.indicator" => Any,
        "certificate.subject" => CertificateName("subject"),
        "certificate.issuer" => CertificateName("issuer"),
        "certificate.serial" => Property("x509-certificate", &["serial_number"]),
        "filename" | "fileinfo.filename" => Property("file", &["name"]),
        // Suricata EVE
        "src_ip" | "dest_ip" | "dns.grouped.A" | "dns.grouped.AAAA" => Ip,
        "dns.rrname" | "dns.queries.rrname" | "dns.answers.rrname" | "dns.grouped.CNAME"
        | "tls.sni" | "quic.sni" => Domain,
        "dns.rdata" | "dns.answers.rdata" => Host,
        "http.hostname" => UrlHost(1),
        "http.url" => UrlPath(1),
        "http.http_refer" => Url,
        "tls.subject" | "tls.issuerdn" => Text,
        "fileinfo.md5" => Hash(Md5),
        "fileinfo.sha1" => Hash(Sha1),
        "fileinfo.sha256" => Hash(Sha256),
        "email.from" | "email.to" | "email.cc" | "smtp.mail_from" | "smtp.rcpt_to" => Email,
        // Common names of other JSON logs
        "dst_ip" | "ip" | "src_addr" | "dst_addr" | "client_ip" | "server_ip" => Ip,
        "domain" => Domain,
        "hostname" => Host,
        "url" => Url,
        "email" => Email,
        _ => return None,
    })
}

/// What a field is read as: a mapping the caller gave (by its index), or a
/// known field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Mapped(usize),
    Known(Kind),
}

/// The role of the field at `path`: a mapping replaces the known meaning.
pub(crate) fn role(path: &str, mappings: &[FieldMapping]) -> Option<Role> {
    if let Some(i) = mappings.iter().position(|m| m.key == path) {
        return Some(Role::Mapped(i));
    }
    known(path).map(Role::Known)
}

/// The observables of one event, as its field values arrive.
pub(crate) struct Event<'o> {
    out: &'o mut Vec<Observable>,
    /// (host, path) of the URLs split over two fields.
    url_parts: [(Option<String>, Option<String>); 2],
}

impl<'o> Event<'o> {
    pub(crate) fn new(out: &'o mut Vec<Observable>) -> Event<'o> {
        Event {
            out,
            url_parts: Default::default(),
        }
    }

    /// One value of a field (one element of a set or list field).
    pub(crate) fn value(&mut self, role: Role, text: &str, mappings: &[FieldMapping]) {
        match role {
            Role::Mapped(i) => {
                if let Some(m) = mappings.get(i)
                    && let Some(o) = Observable::at_path(&m.object_type, &m.path, text)
                {
                    self.out.push(o);
                }
            }
            Role::Known(kind) => self.known(kind, text),
        }
    }

    fn known(&mut self, kind: Kind, text: &str) {
        let t = text.trim();
        if t.is_empty() || t == "-" || t == "(empty)" {
            return;
        }
        match kind {
            Kind::Ip => {
                if let Ok(a) = t.parse::<std::net::IpAddr>() {
                    self.out.push(ip(a));
                }
            }
            Kind::Domain => self.out.push(Observable::Domain(normal_domain(t))),
            Kind::Host => self.host(t),
            Kind::Url => {
                self.out.push(Observable::Url(normal_url(t)));
                if let Some(h) = url_host(t) {
                    self.host(h);
                }
            }
            Kind::Hash(a) => self.out.push(Observable::Hash(a, t.to_ascii_lowercase())),
            Kind::Email => {
                // The address inside angle brackets, if any.
                let addr = match t.rsplit_once('<') {
                    Some((_, rest)) => rest.split('>').next().unwrap_or(rest).trim(),
                    None => t,
                };
                if addr.contains('@') {
                    self.out.push(Observable::Email(addr.to_ascii_lowercase()));
                }
            }
            Kind::Text => extract(t, self.out),
            Kind::Any => match parse_ioc(t) {
                Ok(Ioc::Address(a)) => self.out.push(ip(a)),
                Ok(Ioc::Domain(d)) => self.out.push(Observable::Domain(d)),
                Ok(Ioc::Url(u)) => self.out.push(Observable::Url(u)),
                Ok(Ioc::Email(e)) => self.out.push(Observable::Email(e)),
                Ok(Ioc::Hash(a, h)) => self.out.push(Observable::Hash(a, h)),
                Ok(Ioc::Network(..)) | Err(_) => {}
            },
            Kind::CertificateName(property) => {
                self.out.push(Observable::Other {
                    object_type: "x509-certificate".into(),
                    path: vec![property.into()],
                    value: serde_json::Value::String(t.into()),
                });
                extract(t, self.out);
            }
            Kind::Property(object_type, path) => self.out.push(Observable::Other {
                object_type: object_type.into(),
                path: path.iter().map(|p| (*p).to_string()).collect(),
                value: serde_json::Value::String(t.into()),
            }),
            Kind::UrlHost(slot) => {
                self.host(t);
                if let Some(p) = self.url_parts.get_mut(usize::from(slot))
                    && p.0.is_none()
                {
                    p.0 = Some(t.to_string());
                }
            }
            Kind::UrlPath(slot) => {
                if let Some(p) = self.url_parts.get_mut(usize::from(slot))
                    && p.1.is_none()
                {
                    p.1 = Some(t.to_string());
                }
            }
        }
    }

    /// An address, or a host name (with any `:port` dropped).
    fn host(&mut self, t: &str) {
        if let Ok(a) = t.parse::<std::net::IpAddr>() {
            self.out.push(ip(a));
            return;
        }
        if t.contains(char::is_whitespace) {
            return;
        }
        let name = match t.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|c| c.is_ascii_digit()) => h,
            _ => t,
        };
        if let Some(v6) = name.strip_prefix('[').and_then(|n| n.strip_suffix(']'))
            && let Ok(a) = v6.parse::<std::net::IpAddr>()
        {
            self.out.push(ip(a));
            return;
        }
        if let Ok(a) = name.parse::<std::net::IpAddr>() {
            self.out.push(ip(a));
        } else if !name.is_empty() {
            self.out.push(Observable::Domain(normal_domain(name)));
        }
    }

    /// Ends the event: the URLs whose host and path came in two fields.
    pub(crate) fn finish(self) {
        for (host, path) in self.url_parts {
            match (host, path) {
                // A proxy's request line carries the whole URL.
                (_, Some(p)) if p.contains("://") => self.out.push(Observable::Url(normal_url(&p))),
                (Some(h), Some(p)) => {
                    let sep = if p.starts_with('/') { "" } else { "/" };
                    self.out
                        .push(Observable::Url(normal_url(&format!("http://{h}{sep}{p}"))));
                }
                _ => {}
            }
        }
    }
}

/// The `host[:port]` of a URL.
fn url_host(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    Some(authority.rsplit_once('@').map_or(authority, |(_, h)| h))
}

fn ip(a: std::net::IpAddr) -> Observable {
    match a {
        std::net::IpAddr::V4(a) => Observable::Ipv4(a),
        std::net::IpAddr::V6(a) => Observable::Ipv6(a),
    }
}
