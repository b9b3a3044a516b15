//! Event readers: one line in, the line's observables out.
//!
//! - Zeek JSON logs (conn, dns, http, files, ssl, x509): `id.orig_h`,
//!   `id.resp_h`, `query`, `host` + `uri`, `md5`/`sha1`/`sha256`,
//!   `server_name`, `san.dns`, `san.ip`, ...
//! - Suricata EVE JSON: `src_ip`, `dest_ip`, `dns.rrname`,
//!   `dns.queries[].rrname`, `http.hostname` + `http.url`, `tls.sni`,
//!   `fileinfo.md5`/`sha1`/`sha256`, `email.from`/`email.to`.
//! - Any other JSON lines: common names (`src_ip`, `dst_ip`, `query`,
//!   `url`, `md5`, `from`, ...) plus the mappings given as
//!   `KEY=OBJECT_PATH` (`sha256=file:hashes.'SHA-256'`).
//! - Plain text: one observable per line, its type detected.
//!
//! A line that cannot be read is an error naming the file, the line and the
//! column; it never panics.

use serde_json::{Map, Value};

use crate::error::MatcherError;
use crate::observable::{HashAlgorithm, Observable, normal_domain, normal_url};

/// How lines are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON objects (Zeek, Suricata EVE or generic), one per line.
    Json,
    /// One observable per line.
    Text,
}

/// One `KEY=OBJECT_PATH` mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldMapping {
    /// The event's field: a key, or dotted keys into nested objects
    /// (`a.b`; lists on the way are walked).
    pub key: String,
    /// The SCO type its values are (the `TYPE` of `TYPE:path`).
    pub object_type: String,
    /// The property path in that type, as keys (list indexes are refused).
    pub path: Vec<String>,
}

impl FieldMapping {
    /// Reads `KEY=TYPE:path.to.'key'`.
    pub fn parse(spec: &str) -> Result<FieldMapping, MatcherError> {
        let fail = |reason: &str| MatcherError::Mapping {
            mapping: spec.to_string(),
            reason: reason.to_string(),
        };
        let (key, path) = spec
            .split_once('=')
            .ok_or_else(|| fail("expected KEY=OBJECT_PATH"))?;
        if key.is_empty() {
            return Err(fail("empty KEY"));
        }
        let pattern = concord_pattern::Pattern::parse(&format!("[EXISTS {path}]"))
            .map_err(|e| fail(&format!("invalid object path: {e}")))?;
        let Some(concord_pattern::ComparisonExpr::Test(t)) = pattern.comparisons().first().copied()
        else {
            return Err(fail("invalid object path"));
        };
        let mut keys = Vec::new();
        for step in &t.path.steps {
            match step {
                concord_pattern::PathStep::Key(k) => keys.push(k.clone()),
                _ => return Err(fail("list indexes are not supported in a field mapping")),
            }
        }
        Ok(FieldMapping {
            key: key.to_string(),
            object_type: t.path.object_type.clone(),
            path: keys,
        })
    }
}

/// What each well-known field holds.
#[derive(Clone, Copy)]
enum Kind {
    Ip,
    Domain,
    Url,
    Hash(HashAlgorithm),
    Email,
}

const KNOWN: &[(&str, Kind)] = &[
    // Zeek
    ("id.orig_h", Kind::Ip),
    ("id.resp_h", Kind::Ip),
    ("query", Kind::Domain),
    ("server_name", Kind::Domain),
    ("san.dns", Kind::Domain),
    ("san.ip", Kind::Ip),
    ("tx_hosts", Kind::Ip),
    ("rx_hosts", Kind::Ip),
    ("md5", Kind::Hash(HashAlgorithm::Md5)),
    ("sha1", Kind::Hash(HashAlgorithm::Sha1)),
    ("sha256", Kind::Hash(HashAlgorithm::Sha256)),
    ("sha512", Kind::Hash(HashAlgorithm::Sha512)),
    // Suricata EVE
    ("src_ip", Kind::Ip),
    ("dest_ip", Kind::Ip),
    ("dns.rrname", Kind::Domain),
    ("dns.queries.rrname", Kind::Domain),
    ("tls.sni", Kind::Domain),
    ("http.hostname", Kind::Domain),
    ("fileinfo.md5", Kind::Hash(HashAlgorithm::Md5)),
    ("fileinfo.sha1", Kind::Hash(HashAlgorithm::Sha1)),
    ("fileinfo.sha256", Kind::Hash(HashAlgorithm::Sha256)),
    ("email.from", Kind::Email),
    ("email.to", Kind::Email),
    // Generic names
    ("dst_ip", Kind::Ip),
    ("ip", Kind::Ip),
    ("domain", Kind::Domain),
    ("url", Kind::Url),
    ("from", Kind::Email),
    ("to", Kind::Email),
    ("email", Kind::Email),
];

/// Values at a dotted key: the flat key itself (Zeek writes `id.orig_h`),
/// else nested objects, stepping through lists.
fn lookup<'v>(obj: &'v Map<String, Value>, key: &str, out: &mut Vec<&'v Value>) {
    if let Some(v) = obj.get(key) {
        push_leaves(v, out);
        return;
    }
    if let Some((head, rest)) = key.split_once('.')
        && let Some(v) = obj.get(head)
    {
        let mut stack = vec![v];
        while let Some(v) = stack.pop() {
            match v {
                Value::Object(m) => lookup(m, rest, out),
                Value::Array(a) => stack.extend(a.iter().rev()),
                _ => {}
            }
        }
    }
}

fn push_leaves<'v>(v: &'v Value, out: &mut Vec<&'v Value>) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| push_leaves(x, out)),
        v => out.push(v),
    }
}

fn typed(kind: Kind, text: &str) -> Option<Observable> {
    let t = text.trim();
    if t.is_empty() || t == "-" {
        return None;
    }
    Some(match kind {
        Kind::Ip => match t.parse::<std::net::IpAddr>().ok()? {
            std::net::IpAddr::V4(a) => Observable::Ipv4(a),
            std::net::IpAddr::V6(a) => Observable::Ipv6(a),
        },
        Kind::Domain => Observable::Domain(normal_domain(t)),
        Kind::Url => Observable::Url(normal_url(t)),
        Kind::Hash(a) => Observable::Hash(a, t.to_ascii_lowercase()),
        Kind::Email => Observable::Email(t.to_ascii_lowercase()),
    })
}

/// The observables of one JSON object.
pub fn observables_of(
    obj: &Map<String, Value>,
    mappings: &[FieldMapping],
    out: &mut Vec<Observable>,
) {
    let mut values = Vec::new();
    for m in mappings {
        values.clear();
        lookup(obj, &m.key, &mut values);
        for v in &values {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => continue,
            };
            if let Some(o) = Observable::at_path(&m.object_type, &m.path, &text) {
                out.push(o);
            }
        }
    }
    for (key, kind) in KNOWN {
        if mappings.iter().any(|m| m.key == *key) {
            continue;
        }
        values.clear();
        lookup(obj, key, &mut values);
        for v in &values {
            if let Some(o) = v.as_str().and_then(|s| typed(*kind, s)) {
                out.push(o);
            }
        }
    }
    // URLs from Zeek http (host + uri) and Suricata (http.hostname + http.url).
    for (host, uri) in [("host", "uri"), ("http.hostname", "http.url")] {
        values.clear();
        lookup(obj, host, &mut values);
        let h = values.first().and_then(|v| v.as_str()).map(str::to_string);
        values.clear();
        lookup(obj, uri, &mut values);
        if let (Some(h), Some(u)) = (h, values.first().and_then(|v| v.as_str())) {
            out.push(Observable::Url(normal_url(&format!("http://{h}{u}"))));
            if host == "host" {
                out.push(Observable::Domain(normal_domain(&h)));
            }
        }
    }
}

/// Reads one line into its observables; a blank line (or, as text, a line
/// with no recognisable value) gives none. `file` and `line` only name the
/// line in errors.
pub fn read_line(
    format: Format,
    mappings: &[FieldMapping],
    text: &str,
    file: &str,
    line: u64,
) -> Result<Vec<Observable>, MatcherError> {
    let mut out = Vec::new();
    match format {
        Format::Text => {
            if let Some(o) = Observable::detect(text) {
                out.push(o);
            }
        }
        Format::Json => {
            if text.trim().is_empty() {
                return Ok(out);
            }
            let v: Value = serde_json::from_str(text).map_err(|e| MatcherError::Event {
                file: file.to_string(),
                line,
                reason: format!("column {}: {e}", e.column()),
            })?;
            let Value::Object(obj) = v else {
                return Err(MatcherError::Event {
                    file: file.to_string(),
                    line,
                    reason: "not a JSON object".into(),
                });
            };
            observables_of(&obj, mappings, &mut out);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mappings_parse_object_paths() {
        let m = FieldMapping::parse("sha256=file:hashes.'SHA-256'").unwrap();
        assert_eq!(m.object_type, "file");
        assert_eq!(m.path, vec!["hashes", "SHA-256"]);
        assert!(FieldMapping::parse("nokey").is_err());
        assert!(FieldMapping::parse("k=file:").is_err());
    }

    #[test]
    fn zeek_and_suricata_lines() {
        let zeek = r#"{"ts":1.0,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"192.0.2.9","id.resp_p":80,"host":"Evil.example","uri":"/x"}"#;
        let o = read_line(Format::Json, &[], zeek, "f", 1).unwrap();
        assert!(o.contains(&Observable::Ipv4([192, 0, 2, 9].into())));
        assert!(o.contains(&Observable::Url("http://evil.example/x".into())));
        assert!(o.contains(&Observable::Domain("evil.example".into())));
        let eve = r#"{"event_type":"dns","src_ip":"10.0.0.1","dest_ip":"10.0.0.53","dns":{"queries":[{"rrname":"bad.example"}]}}"#;
        let o = read_line(Format::Json, &[], eve, "f", 2).unwrap();
        assert!(o.contains(&Observable::Domain("bad.example".into())));
        let err = read_line(Format::Json, &[], "{not json", "events.log", 7).unwrap_err();
        assert!(
            err.to_string().starts_with("events.log:7: column 2"),
            "{err}"
        );
    }
}
