//! TAXII 2.1 envelopes (section 3.7): reading a POST body or a page a peer
//! served, and writing the pages this server serves.
//!
//! Objects pass through as raw JSON text: incoming ones are handed, byte for
//! byte, to `concord_stix::ingest::read_object`; outgoing ones are the
//! stored text, never re-serialised.

use serde::Deserialize;
use serde_json::value::RawValue;

/// Why a body is not an envelope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a TAXII envelope: {0}")]
pub struct EnvelopeError(pub String);

/// An envelope (or a STIX bundle) whose objects are still raw JSON.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Incoming<'a> {
    #[serde(default)]
    more: Option<bool>,
    #[serde(default)]
    next: Option<String>,
    #[serde(default, borrow)]
    objects: Option<Vec<&'a RawValue>>,
    /// A bundle's frame (STIX 2.1 section 8): `type`, `id`, and the
    /// `spec_version` of 2.0 bundles.
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    spec_version: Option<String>,
}

/// A parsed envelope.
#[derive(Debug)]
pub struct Envelope<'a> {
    /// `more`; `false` when absent.
    pub more: bool,
    /// `next`, the server's paging cursor, as given.
    pub next: Option<String>,
    /// Each member's exact JSON text (not yet known to be a STIX object).
    pub objects: Vec<&'a RawValue>,
}

/// Reads a POST body: an envelope, or a STIX bundle (`type` `bundle`,
/// `id`, `objects`), which taxii2-client's `add_objects` sends and other
/// TAXII servers take as an envelope. Only the frame is checked here (an
/// object with an optional `objects` array, `more` and `next`, or a
/// bundle's `type`, `id` and `spec_version`); what the members are is for
/// `read_object` to say, one by one.
pub fn parse(bytes: &[u8]) -> Result<Envelope<'_>, EnvelopeError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(EnvelopeError("the body must be a JSON object".into()));
    }
    let inc: Incoming<'_> =
        serde_json::from_slice(bytes).map_err(|e| EnvelopeError(e.to_string()))?;
    match inc.kind.as_deref() {
        None if inc.id.is_some() || inc.spec_version.is_some() => {
            return Err(EnvelopeError(
                "'id' and 'spec_version' belong to a bundle, and the body has no 'type': \"bundle\""
                    .into(),
            ));
        }
        None => {}
        Some("bundle") => {
            if !inc
                .id
                .as_deref()
                .is_some_and(|id| id.starts_with("bundle--"))
            {
                return Err(EnvelopeError(
                    "a bundle needs an 'id' of the form bundle--<UUID>".into(),
                ));
            }
            if inc.more.is_some() || inc.next.is_some() {
                return Err(EnvelopeError(
                    "'more' and 'next' belong to an envelope, not to a bundle".into(),
                ));
            }
        }
        Some(other) => {
            return Err(EnvelopeError(format!(
                "the body is a {other:?}, not an envelope or a bundle"
            )));
        }
    }
    Ok(Envelope {
        more: inc.more.unwrap_or(false),
        next: inc.next,
        objects: inc.objects.unwrap_or_default(),
    })
}

/// Writes an envelope around objects that are already JSON text.
pub fn write<'a>(
    more: bool,
    next: Option<&str>,
    objects: impl IntoIterator<Item = &'a str>,
) -> String {
    let mut out = String::with_capacity(4096);
    out.push_str("{\"more\":");
    out.push_str(if more { "true" } else { "false" });
    if let Some(n) = next {
        out.push_str(",\"next\":");
        out.push_str(&serde_json::Value::String(n.to_string()).to_string());
    }
    let mut first = true;
    for o in objects {
        out.push_str(if first { ",\"objects\":[" } else { "," });
        out.push_str(o);
        first = false;
    }
    if !first {
        out.push(']');
    }
    out.push('}');
    out
}

/// The property of an envelope served to a concord peer node that carries
/// each object's log material, in the order of `objects`:
/// `[leaf_index, nonce]` (the nonce in base64), or `null`. The peer needs
/// it to prove each object's inclusion in its author's log; it rides with
/// the page, which the sharing policy already decided, so it costs no
/// second request or decision. Other TAXII clients never get it.
pub const LOG_PROPERTY: &str = "x_concord_log";

/// [`write`] with [`LOG_PROPERTY`] after the objects.
pub fn write_with_log<'a>(
    more: bool,
    next: Option<&str>,
    objects: impl IntoIterator<Item = (&'a str, Option<(u64, [u8; 32])>)>,
) -> String {
    use base64::Engine;
    let mut log = String::with_capacity(4096);
    let mut jsons = Vec::new();
    for (i, (json, material)) in objects.into_iter().enumerate() {
        log.push(if i == 0 { '[' } else { ',' });
        match material {
            Some((leaf, nonce)) => {
                log.push('[');
                log.push_str(&leaf.to_string());
                log.push_str(",\"");
                base64::engine::general_purpose::STANDARD.encode_string(nonce, &mut log);
                log.push_str("\"]");
            }
            None => log.push_str("null"),
        }
        jsons.push(json);
    }
    let mut out = write(more, next, jsons);
    if !log.is_empty() {
        log.push(']');
        out.pop();
        out.push_str(",\"");
        out.push_str(LOG_PROPERTY);
        out.push_str("\":");
        out.push_str(&log);
        out.push('}');
    }
    out
}

/// The id and version of a raw object, as far as they can be read (for
/// status reports about objects that failed validation).
pub fn key_of(raw: &RawValue) -> (String, String) {
    #[derive(Deserialize)]
    struct Key {
        id: Option<serde_json::Value>,
        modified: Option<serde_json::Value>,
        created: Option<serde_json::Value>,
    }
    let text = |v: Option<serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) => Some(s),
        _ => None,
    };
    match serde_json::from_str::<Key>(raw.get()) {
        Ok(k) => {
            let version = text(k.modified).or_else(|| text(k.created));
            (text(k.id).unwrap_or_default(), version.unwrap_or_default())
        }
        Err(_) => (String::new(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes() {
        let e = parse(br#"{"more":false,"objects":[{"a":1}, {"b":[2]}]}"#).unwrap();
        assert_eq!(e.objects.len(), 2);
        assert_eq!(e.objects[1].get(), r#"{"b":[2]}"#);
        assert!(parse(b"{}").unwrap().objects.is_empty());
        for bad in [
            &b"[]"[..],
            b"",
            b"{\"objects\":{}}",
            b"{\"objects\":[1,]}",
            b"{\"objects\":[],\"objects\":[]}",
            // A bundle's frame, whole: a type, and an id.
            b"{\"type\":\"bundle\",\"objects\":[]}",
            b"{\"type\":\"bundle\",\"id\":\"x--1\",\"objects\":[]}",
            b"{\"type\":\"indicator\",\"id\":\"bundle--1\"}",
            b"{\"id\":\"bundle--1\",\"objects\":[]}",
            b"{\"type\":\"bundle\",\"id\":\"bundle--1\",\"more\":false,\"objects\":[]}",
            // Other unknown fields stay refused, in a bundle too.
            b"{\"objects\":[],\"extra\":1}",
            b"{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":[],\"extra\":1}",
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        let w = write(true, Some("a\"b"), [r#"{"x":1}"#, r#"{"y":2}"#]);
        assert_eq!(
            w,
            r#"{"more":true,"next":"a\"b","objects":[{"x":1},{"y":2}]}"#
        );
        assert_eq!(write(false, None, []), r#"{"more":false}"#);
    }

    #[test]
    fn a_bundle_is_read_as_an_envelope() {
        let b = br#"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{"a":1},{"b":2}]}"#;
        let e = parse(b).unwrap();
        assert_eq!(e.objects.len(), 2);
        assert!(!e.more && e.next.is_none());
        assert_eq!(e.objects[0].get(), r#"{"a":1}"#);
        // A STIX 2.0 bundle says its spec_version.
        let b = br#"{"type":"bundle","id":"bundle--1","spec_version":"2.0","objects":[]}"#;
        assert!(parse(b).unwrap().objects.is_empty());
    }

    #[test]
    fn keys_of_broken_objects() {
        let e = parse(br#"{"objects":[{"id":"x--1","modified":"m"},{"id":5},"s"]}"#).unwrap();
        assert_eq!(key_of(e.objects[0]), ("x--1".into(), "m".into()));
        assert_eq!(key_of(e.objects[1]), (String::new(), String::new()));
        assert_eq!(key_of(e.objects[2]), (String::new(), String::new()));
    }
}
