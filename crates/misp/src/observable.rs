//! What a MISP value says, in STIX terms: a list of comparisons
//! (`object path = literal`). One list gives both forms an attribute can
//! take: joined with `AND` it is an indicator's pattern; built into objects
//! it is the SCOs of an observed-data. Read backwards (from a pattern, or
//! from SCOs flattened to comparisons) it gives the MISP value again, so
//! import and export share one table.

use concord_pattern::{Literal, ObjectPath, PathStep};
use serde_json::{Map, Value};

/// One `path = literal` test.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Comparison {
    pub(crate) path: ObjectPath,
    pub(crate) value: Literal,
}

/// Builds an object path from `type` and steps; `*` is `[*]`.
pub(crate) fn path(object_type: &str, steps: &[&str]) -> ObjectPath {
    ObjectPath {
        object_type: object_type.to_string(),
        steps: steps
            .iter()
            .map(|s| {
                if *s == "*" {
                    PathStep::AnyIndex
                } else {
                    PathStep::Key((*s).to_string())
                }
            })
            .collect(),
    }
}

/// Properties whose values are integers in STIX.
fn is_integer_property(last: &str) -> bool {
    matches!(last, "dst_port" | "src_port" | "number" | "size")
}

fn last_key(p: &ObjectPath) -> &str {
    p.steps
        .iter()
        .rev()
        .find_map(|s| match s {
            PathStep::Key(k) => Some(k.as_str()),
            _ => None,
        })
        .unwrap_or("")
}

/// A comparison of `value` at `spec` (`type:step.step`, `*` for `[*]`,
/// and `ip` as the type for ipv4-addr or ipv6-addr by the value).
/// `Err` says why the value does not fit.
pub(crate) fn compare(spec: &str, value: &str) -> Result<Comparison, String> {
    let (ty, rest) = spec.split_once(':').unwrap_or((spec, ""));
    let steps: Vec<&str> = rest.split('.').filter(|s| !s.is_empty()).collect();
    let ty = if ty == "ip" { ip_type(value)? } else { ty };
    let p = path(ty, &steps);
    let value = value.trim_matches(|c: char| c == '\0');
    let literal = if is_integer_property(last_key(&p)) {
        let digits = value.trim();
        let digits = if last_key(&p) == "number" {
            digits.trim_start_matches("AS").trim_start_matches("as")
        } else {
            digits
        };
        let n: i64 = digits
            .parse()
            .map_err(|_| format!("{value:?} is not a whole number"))?;
        if n < 0 || (last_key(&p).ends_with("port") && n > 65535) {
            return Err(format!("{value:?} is out of range"));
        }
        Literal::Int(i128::from(n))
    } else {
        if value.is_empty() {
            return Err("the value is empty".to_string());
        }
        Literal::Str(value.to_string())
    };
    Ok(Comparison {
        path: p,
        value: literal,
    })
}

/// `ipv4-addr` or `ipv6-addr` for an address or CIDR block.
pub(crate) fn ip_type(value: &str) -> Result<&'static str, String> {
    let (addr, prefix) = match value.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (value, None),
    };
    let ip: std::net::IpAddr = addr
        .trim()
        .parse()
        .map_err(|_| format!("{value:?} is not an IP address"))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    if let Some(p) = prefix {
        match p.parse::<u8>() {
            Ok(n) if n <= max => {}
            _ => return Err(format!("{value:?} has no valid prefix length")),
        }
    }
    Ok(if ip.is_ipv4() {
        "ipv4-addr"
    } else {
        "ipv6-addr"
    })
}

/// The STIX hash name of a MISP hash type, and its hex length when STIX or
/// common sense fixes one.
pub(crate) fn hash_name(misp: &str) -> Option<(&'static str, Option<usize>)> {
    Some(match misp {
        "md5" => ("MD5", Some(32)),
        "sha1" => ("SHA-1", Some(40)),
        "sha224" => ("SHA-224", Some(56)),
        "sha256" => ("SHA-256", Some(64)),
        "sha384" => ("SHA-384", Some(96)),
        "sha512" => ("SHA-512", Some(128)),
        "sha512/224" => ("SHA-512-224", Some(56)),
        "sha512/256" => ("SHA-512-256", Some(64)),
        "sha3-224" => ("SHA3-224", Some(56)),
        "sha3-256" => ("SHA3-256", Some(64)),
        "sha3-384" => ("SHA3-384", Some(96)),
        "sha3-512" => ("SHA3-512", Some(128)),
        "ssdeep" => ("SSDEEP", None),
        "tlsh" => ("TLSH", None),
        "imphash" => ("IMPHASH", Some(32)),
        "authentihash" => ("AUTHENTIHASH", Some(64)),
        "vhash" => ("VHASH", None),
        "cdhash" => ("CDHASH", Some(40)),
        "impfuzzy" => ("IMPFUZZY", None),
        "pehash" => ("PEHASH", Some(40)),
        "telfhash" => ("TELFHASH", None),
        _ => return None,
    })
}

/// The MISP hash type of a STIX hash name.
pub(crate) fn misp_hash(stix: &str) -> Option<&'static str> {
    const ALL: [&str; 21] = [
        "md5",
        "sha1",
        "sha224",
        "sha256",
        "sha384",
        "sha512",
        "sha512/224",
        "sha512/256",
        "sha3-224",
        "sha3-256",
        "sha3-384",
        "sha3-512",
        "ssdeep",
        "tlsh",
        "imphash",
        "authentihash",
        "vhash",
        "cdhash",
        "impfuzzy",
        "pehash",
        "telfhash",
    ];
    let upper = stix.to_ascii_uppercase();
    let upper = match upper.as_str() {
        "SHA1" => "SHA-1".to_string(),
        "SHA256" => "SHA-256".to_string(),
        "SHA512" => "SHA-512".to_string(),
        _ => upper,
    };
    ALL.into_iter()
        .find(|m| hash_name(m).is_some_and(|(n, _)| n == upper))
}

fn hash_spec(misp: &str, value: &str, prefix: &str) -> Result<String, String> {
    let Some((name, len)) = hash_name(misp) else {
        return Err(format!("{misp} is not a hash type"));
    };
    if let Some(len) = len
        && (value.len() != len || !value.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(format!(
            "{value:?} is not a {name} value ({len} hexadecimal digits)"
        ));
    }
    Ok(format!("{prefix}:hashes.{name}"))
}

/// How a MISP attribute type maps.
pub(crate) enum Shape {
    /// An observable: pattern and SCOs.
    Observable(Vec<Comparison>),
    /// Only a pattern says it (MISP `port`, `size-in-bytes`, `user-agent`,
    /// `http-method`): an indicator with `to_ids`, nothing without.
    PatternOnly(Vec<Comparison>),
    /// A `vulnerability` SDO.
    Vulnerability,
    /// A `campaign` SDO.
    Campaign,
}

fn pair<'a>(value: &'a str, what: &str) -> Result<(&'a str, &'a str), String> {
    value
        .split_once('|')
        .filter(|(a, b)| !a.is_empty() && !b.is_empty())
        .ok_or_else(|| format!("a {what} value has two parts separated by '|'"))
}

fn one(spec: &str, value: &str) -> Result<Shape, String> {
    Ok(Shape::Observable(vec![compare(spec, value)?]))
}

fn two(a: (&str, &str), b: (&str, &str)) -> Result<Shape, String> {
    Ok(Shape::Observable(vec![
        compare(a.0, a.1)?,
        compare(b.0, b.1)?,
    ]))
}

/// The STIX form of one MISP attribute. `Err` says why it has none: the
/// type has no mapping, or the value does not fit the type.
pub(crate) fn attribute_shape(misp_type: &str, value: &str) -> Result<Shape, String> {
    let value = value.trim();
    match misp_type {
        "ip-src" | "ip-dst" => one("ip:value", value),
        "domain" | "hostname" => one("domain-name:value", value),
        "domain|ip" => {
            let (d, ip) = pair(value, misp_type)?;
            two(
                ("domain-name:value", d),
                ("domain-name:resolves_to_refs.*.value", ip),
            )
        }
        "url" | "uri" | "link" => one("url:value", value),
        "email" => one("email-addr:value", value),
        "email-src" => one("email-message:from_ref.value", value),
        "email-dst" => one("email-message:to_refs.*.value", value),
        "email-reply-to" => one("email-message:additional_header_fields.reply_to", value),
        "email-subject" => one("email-message:subject", value),
        "email-body" => one("email-message:body", value),
        "email-x-mailer" => one("email-message:additional_header_fields.x_mailer", value),
        "email-message-id" => one("email-message:message_id", value),
        "email-attachment" => one("email-message:body_multipart.*.body_raw_ref.name", value),
        "filename" => one("file:name", value),
        "attachment" => one("file:name", value),
        "mutex" => one("mutex:name", value),
        "mac-address" => one("mac-addr:value", value),
        "AS" => one("autonomous-system:number", value),
        "regkey" => one("windows-registry-key:key", value),
        "regkey|value" => {
            let (k, v) = pair(value, misp_type)?;
            two(
                ("windows-registry-key:key", k),
                ("windows-registry-key:values.*.data", v),
            )
        }
        "ip-src|port" | "ip-dst|port" => {
            let (ip, port) = pair(value, misp_type)?;
            let dir = if misp_type.starts_with("ip-src") {
                "src"
            } else {
                "dst"
            };
            ip_type(ip)?;
            two(
                (&format!("network-traffic:{dir}_ref.value"), ip),
                (&format!("network-traffic:{dir}_port"), port),
            )
        }
        "hostname|port" => {
            let (host, port) = pair(value, misp_type)?;
            two(
                ("network-traffic:dst_ref.value", host),
                ("network-traffic:dst_port", port),
            )
        }
        "malware-sample" => match value.split_once('|') {
            Some((name, md5)) => two(("file:name", name), (&hash_spec("md5", md5, "file")?, md5)),
            None => one("file:name", value),
        },
        "x509-fingerprint-md5" | "x509-fingerprint-sha1" | "x509-fingerprint-sha256" => {
            let h = misp_type.trim_start_matches("x509-fingerprint-");
            let v: String = value.chars().filter(|c| *c != ':').collect();
            Ok(Shape::Observable(vec![compare(
                &hash_spec(h, &v, "x509-certificate")?,
                &v,
            )?]))
        }
        "port" => Ok(Shape::PatternOnly(vec![compare(
            "network-traffic:dst_port",
            value,
        )?])),
        "size-in-bytes" => Ok(Shape::PatternOnly(vec![compare("file:size", value)?])),
        "user-agent" => Ok(Shape::PatternOnly(vec![Comparison {
            path: path(
                "network-traffic",
                &[
                    "extensions",
                    "http-request-ext",
                    "request_header",
                    "User-Agent",
                ],
            ),
            value: Literal::Str(value.to_string()),
        }])),
        "http-method" => Ok(Shape::PatternOnly(vec![Comparison {
            path: path(
                "network-traffic",
                &["extensions", "http-request-ext", "request_method"],
            ),
            value: Literal::Str(value.to_string()),
        }])),
        "vulnerability" => Ok(Shape::Vulnerability),
        "campaign-name" => Ok(Shape::Campaign),
        t => {
            if let Some(h) = t.strip_prefix("filename|") {
                let (name, hash) = pair(value, t)?;
                return two(("file:name", name), (&hash_spec(h, hash, "file")?, hash));
            }
            if hash_name(t).is_some() {
                return one(&hash_spec(t, value, "file")?, value);
            }
            Err(format!(
                "MISP type {t:?} has no STIX 2.1 mapping in concord"
            ))
        }
    }
}

/// The pattern text of comparisons that all hold of one object.
pub(crate) fn pattern(comparisons: &[Comparison]) -> String {
    let mut out = String::from("[");
    for (i, c) in comparisons.iter().enumerate() {
        if i > 0 {
            out.push_str(" AND ");
        }
        out.push_str(&c.path.to_string());
        out.push_str(" = ");
        out.push_str(&c.value.to_string());
    }
    out.push(']');
    out
}

fn literal_value(l: &Literal) -> Value {
    match l {
        Literal::Int(i) => i64::try_from(*i).map(Value::from).unwrap_or(Value::Null),
        Literal::Str(s) => Value::String(s.clone()),
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        other => Value::String(other.to_string()),
    }
}

/// The type of an object a `*_ref(s)` property points at.
fn referenced_type(property: &str, value: &Literal) -> &'static str {
    match property {
        "from_ref" | "to_refs" | "cc_refs" | "bcc_refs" | "sender_ref" => "email-addr",
        "parent_directory_ref" => "directory",
        "body_raw_ref" | "content_ref" => "file",
        _ => match value {
            Literal::Str(s) => ip_type(s).unwrap_or("domain-name"),
            _ => "domain-name",
        },
    }
}

struct Node {
    object: Map<String, Value>,
}

impl Node {
    fn new(object_type: &str) -> Node {
        let mut object = Map::new();
        object.insert("type".into(), object_type.into());
        object.insert("spec_version".into(), "2.1".into());
        Node { object }
    }
}

/// Gives `node` its deterministic id and returns it.
fn seal(mut node: Node) -> Map<String, Value> {
    let id = concord_stix::id::deterministic_sco_id(&node.object).unwrap_or_else(|| {
        // STIX wants a UUIDv4 when no contributing property is present; one
        // derived from the content (with the version 4 bits) keeps
        // re-imports identical.
        let t = node
            .object
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("x");
        let text = serde_json::to_string(&node.object).unwrap_or_default();
        let derived = uuid::Uuid::new_v5(&concord_stix::id::SCO_NAMESPACE, text.as_bytes());
        let uuid = uuid::Builder::from_random_bytes(*derived.as_bytes()).into_uuid();
        format!("{t}--{uuid}")
    });
    node.object.insert("id".into(), Value::String(id));
    // `id` first reads better; the map keeps insertion order.
    let mut ordered = Map::new();
    for k in ["type", "spec_version", "id"] {
        if let Some(v) = node.object.remove(k) {
            ordered.insert(k.into(), v);
        }
    }
    ordered.extend(node.object);
    ordered
}

/// Builds the SCOs that comparisons describe (all about one root object),
/// with deterministic ids: the root first, then the objects it refers to.
/// `None` when the comparisons are not about one observable SCO shape.
pub(crate) fn observables(comparisons: &[Comparison]) -> Option<Vec<Map<String, Value>>> {
    let root_type = &comparisons.first()?.path.object_type;
    let mut root = Node::new(root_type);
    let mut children: Vec<(String, bool, Node)> = Vec::new();
    let mut multipart: Vec<Node> = Vec::new();
    for c in comparisons {
        if &c.path.object_type != root_type {
            return None;
        }
        let keys: Vec<&str> = c
            .path
            .steps
            .iter()
            .map(|s| match s {
                PathStep::Key(k) => k.as_str(),
                _ => "*",
            })
            .collect();
        let v = literal_value(&c.value);
        match keys.as_slice() {
            [k] => {
                if *k == "protocols" {
                    return None;
                }
                root.object.insert((*k).to_string(), v);
            }
            ["protocols", "*"] => {
                let list = root
                    .object
                    .entry("protocols")
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(items) = list {
                    items.push(v);
                }
            }
            [map @ ("hashes" | "additional_header_fields"), key] => {
                if let Value::Object(m) = root
                    .object
                    .entry(*map)
                    .or_insert_with(|| Value::Object(Map::new()))
                {
                    m.insert((*key).to_string(), v);
                }
            }
            ["values", "*", key] => {
                let mut entry = Map::new();
                entry.insert((*key).to_string(), v);
                if let Value::Array(items) = root
                    .object
                    .entry("values")
                    .or_insert_with(|| Value::Array(Vec::new()))
                {
                    items.push(Value::Object(entry));
                }
            }
            [r, sub] if r.ends_with("_ref") => match children.iter_mut().find(|(p, _, _)| p == r) {
                Some((_, _, node)) => {
                    node.object.insert((*sub).to_string(), v);
                }
                None => {
                    let mut node = Node::new(referenced_type(r, &c.value));
                    node.object.insert((*sub).to_string(), v);
                    children.push(((*r).to_string(), false, node));
                }
            },
            [r, "*", sub] if r.ends_with("_refs") => {
                if *sub == "value" || !children.iter().any(|(p, _, _)| p == r) {
                    let mut node = Node::new(referenced_type(r, &c.value));
                    node.object.insert((*sub).to_string(), v);
                    children.push(((*r).to_string(), true, node));
                } else if let Some((_, _, node)) =
                    children.iter_mut().rev().find(|(p, _, _)| p == r)
                {
                    node.object.insert((*sub).to_string(), v);
                }
            }
            ["body_multipart", "*", "body_raw_ref", "name"] => {
                let mut node = Node::new("file");
                node.object.insert("name".into(), v);
                multipart.push(node);
            }
            _ => return None,
        }
    }
    let mut out = Vec::new();
    let mut refs: Vec<(String, bool, String)> = Vec::new();
    for (property, many, node) in children {
        let sealed = seal(node);
        let id = sealed
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        refs.push((property, many, id));
        out.push(sealed);
    }
    for (property, many, id) in refs {
        if many {
            if let Value::Array(items) = root
                .object
                .entry(property)
                .or_insert_with(|| Value::Array(Vec::new()))
                && !items.iter().any(|i| i.as_str() == Some(&id))
            {
                items.push(Value::String(id));
            }
        } else {
            root.object.insert(property, Value::String(id));
        }
    }
    let mut parts = Vec::new();
    for node in multipart {
        let sealed = seal(node);
        let name = sealed.get("name").cloned().unwrap_or(Value::Null);
        let mut part = Map::new();
        part.insert(
            "body_raw_ref".into(),
            sealed.get("id").cloned().unwrap_or(Value::Null),
        );
        part.insert(
            "content_disposition".into(),
            Value::String(format!(
                "attachment; filename={}",
                name.as_str().unwrap_or("")
            )),
        );
        parts.push(Value::Object(part));
        out.push(sealed);
    }
    match root_type.as_str() {
        "email-message" => {
            root.object
                .insert("is_multipart".into(), Value::Bool(!parts.is_empty()));
            if !parts.is_empty() {
                root.object
                    .insert("body_multipart".into(), Value::Array(parts));
            }
        }
        "network-traffic" => {
            if !root.object.contains_key("src_ref") && !root.object.contains_key("dst_ref") {
                return None;
            }
            root.object
                .entry("protocols")
                .or_insert_with(|| Value::Array(vec![Value::from("tcp")]));
        }
        _ => {}
    }
    out.insert(0, seal(root));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(t: &str, v: &str) -> Vec<Comparison> {
        match attribute_shape(t, v).unwrap() {
            Shape::Observable(c) | Shape::PatternOnly(c) => c,
            _ => panic!("not an observable"),
        }
    }

    #[test]
    fn patterns_of_composite_types() {
        assert_eq!(
            pattern(&shape("ip-dst|port", "198.51.100.7|8443")),
            "[network-traffic:dst_ref.value = '198.51.100.7' AND network-traffic:dst_port = 8443]"
        );
        assert_eq!(
            pattern(&shape(
                "filename|sha256",
                &format!("a'b.exe|{}", "a".repeat(64))
            )),
            format!(
                "[file:name = 'a\\'b.exe' AND file:hashes.'SHA-256' = '{}']",
                "a".repeat(64)
            )
        );
        assert_eq!(
            pattern(&shape("ip-src", "2001:db8::1")),
            "[ipv6-addr:value = '2001:db8::1']"
        );
        assert!(attribute_shape("md5", "xyz").is_err());
        assert!(attribute_shape("ip-dst", "not-an-ip").is_err());
        assert!(attribute_shape("text", "hello").is_err());
        for t in ["domain|ip", "hostname|port", "filename|md5", "regkey|value"] {
            assert!(attribute_shape(t, "no-separator").is_err(), "{t}");
        }
    }

    #[test]
    fn observables_have_deterministic_ids_and_refs() {
        let scos = observables(&shape("domain|ip", "evil.example|203.0.113.9")).unwrap();
        assert_eq!(scos.len(), 2);
        assert_eq!(scos[0]["type"], "domain-name");
        assert_eq!(scos[0]["resolves_to_refs"][0], scos[1]["id"]);
        assert_eq!(
            scos[1]["id"],
            concord_stix::id::deterministic_sco_id(&scos[1])
                .unwrap()
                .as_str()
        );
        let nt = observables(&shape("hostname|port", "c2.example|443")).unwrap();
        assert_eq!(nt[0]["dst_port"], 443);
        assert_eq!(nt[1]["type"], "domain-name");
        for o in scos.iter().chain(nt.iter()) {
            let issues = concord_stix::validate::validate(o);
            assert!(
                concord_stix::validate::is_valid(&issues),
                "{o:?}: {issues:?}"
            );
        }
    }
}
