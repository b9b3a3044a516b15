//! Node-to-node request authentication: an Ed25519 signature by the
//! calling node's key over the request line, the target host, a timestamp
//! and a nonce, carried in the `Authorization` header:
//!
//! ```text
//! Authorization: Concord key="<64 hex>", date="<RFC 3339 UTC>", nonce="<hex>", sig="<base64>"
//! ```
//!
//! The signed message is `"concord-request-v1\n"` followed by the method,
//! the path with its query, the host (as the caller addressed it), the date
//! and the nonce, each on its own line. Binding the host means a peer that
//! receives our request cannot replay it to a third node to read what that
//! node shares with us; the date bounds replays to the same node to a short
//! window (the reply would go to whoever can read our connection, which TLS
//! or loopback already rules out).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use concord_stix::Timestamp;

use crate::error::TrustError;
use crate::keys::{Keypair, PublicKey};

/// The domain-separation prefix of a request's signed message.
pub const REQUEST_CONTEXT: &str = "concord-request-v1\n";

/// The scheme name in the `Authorization` header.
pub const SCHEME: &str = "Concord";

/// How far a request's date may be from the server's clock.
pub const MAX_SKEW_MICROS: i64 = 300 * 1_000_000;

/// The parts of a request that are signed.
#[derive(Debug, Clone, Copy)]
pub struct RequestLine<'a> {
    /// The HTTP method (signed in upper case).
    pub method: &'a str,
    /// Path and query exactly as sent (`/taxii2/root/...?added_after=...`).
    pub path_and_query: &'a str,
    /// Host and port as the caller addressed the server.
    pub host: &'a str,
}

fn message(line: &RequestLine<'_>, date: &str, nonce: &str) -> String {
    format!(
        "{REQUEST_CONTEXT}{}\n{}\n{}\n{date}\n{nonce}\n",
        line.method.to_ascii_uppercase(),
        line.path_and_query,
        line.host.to_ascii_lowercase()
    )
}

/// The `Authorization` header value for one request, dated now.
pub fn sign_request(key: &Keypair, line: &RequestLine<'_>) -> String {
    let date = Timestamp::now().to_taxii();
    let mut raw = [0u8; 16];
    rand::fill(&mut raw);
    let nonce = hex::encode(raw);
    let sig = BASE64.encode(key.sign(message(line, &date, &nonce).as_bytes()));
    format!(
        "{SCHEME} key=\"{}\", date=\"{date}\", nonce=\"{nonce}\", sig=\"{sig}\"",
        key.public().to_hex()
    )
}

fn bad(reason: impl Into<String>) -> TrustError {
    TrustError::Field {
        field: "Authorization".into(),
        reason: reason.into(),
    }
}

/// Whether an `Authorization` header uses this scheme (before any check).
pub fn is_node_signature(header: &str) -> bool {
    header
        .trim_start()
        .split_once(' ')
        .is_some_and(|(s, _)| s.eq_ignore_ascii_case(SCHEME))
}

/// The parameters of a node-signed `Authorization` header, read but not
/// yet checked.
struct Params<'h> {
    key: PublicKey,
    date: &'h str,
    date_us: i64,
    nonce: &'h str,
    sig: [u8; 64],
}

fn parse_header(header: &str, now_us: i64) -> Result<Params<'_>, TrustError> {
    let (scheme, params) = header
        .trim()
        .split_once(' ')
        .ok_or_else(|| bad("no parameters"))?;
    if !scheme.eq_ignore_ascii_case(SCHEME) {
        return Err(bad(format!("scheme {scheme:?} is not {SCHEME}")));
    }
    let (mut key, mut date, mut nonce, mut sig) = (None, None, None, None);
    for part in params.split(',') {
        let (name, value) = part
            .trim()
            .split_once('=')
            .ok_or_else(|| bad(format!("parameter {part:?} has no value")))?;
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .ok_or_else(|| bad(format!("parameter {name} is not quoted")))?;
        let slot = match name {
            "key" => &mut key,
            "date" => &mut date,
            "nonce" => &mut nonce,
            "sig" => &mut sig,
            other => return Err(bad(format!("unknown parameter {other:?}"))),
        };
        if slot.replace(value).is_some() {
            return Err(bad(format!("parameter {name} given twice")));
        }
    }
    fn need<'v>(v: Option<&'v str>, name: &str) -> Result<&'v str, TrustError> {
        v.ok_or_else(|| bad(format!("{name} is missing")))
    }
    let key = PublicKey::from_hex(need(key, "key")?)?;
    let date = need(date, "date")?;
    let nonce = need(nonce, "nonce")?;
    if nonce.len() < 16 || nonce.len() > 64 || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad("nonce is 16 to 64 hex digits"));
    }
    let when = Timestamp::parse(date).map_err(|e| bad(format!("date: {e}")))?;
    if (when.0 - now_us).abs() > MAX_SKEW_MICROS {
        return Err(bad(format!(
            "date {date} is more than {} s from the server's clock",
            MAX_SKEW_MICROS / 1_000_000
        )));
    }
    let raw = BASE64
        .decode(need(sig, "sig")?)
        .map_err(|e| bad(format!("sig is not base64: {e}")))?;
    let sig: [u8; 64] = raw.try_into().map_err(|_| bad("sig is not 64 bytes"))?;
    Ok(Params {
        key,
        date,
        date_us: when.0,
        nonce,
        sig,
    })
}

/// Verifies a node-signed request and returns the caller's key. `now_us`
/// is the server's clock. The caller still has to decide whether that key
/// belongs to a peer it serves.
pub fn verify_request(
    header: &str,
    line: &RequestLine<'_>,
    now_us: i64,
) -> Result<PublicKey, TrustError> {
    let p = parse_header(header, now_us)?;
    if !p
        .key
        .verify_strict(message(line, p.date, p.nonce).as_bytes(), &p.sig)
    {
        return Err(TrustError::BadSignature {
            key_id: p.key.key_id().to_hex(),
        });
    }
    Ok(p.key)
}

/// A node-signed request that verified, with what a server needs to
/// refuse its replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRequest {
    /// The calling node's key.
    pub key: PublicKey,
    /// The request's nonce (accept each (key, nonce) once).
    pub nonce: String,
    /// The request's date, microseconds since the epoch: a nonce need be
    /// remembered only until `date_us + MAX_SKEW_MICROS`.
    pub date_us: i64,
    /// Which of the server's own hosts it was signed for.
    pub host: String,
}

/// Verifies a node-signed request against the server's OWN public hosts
/// (never the `Host` header the caller chose: a peer that received our
/// request could otherwise replay it to a third node with that node's
/// name). `hosts` are `host[:port]` as peers address this node.
pub fn verify_request_for(
    header: &str,
    method: &str,
    path_and_query: &str,
    hosts: &[String],
    now_us: i64,
) -> Result<VerifiedRequest, TrustError> {
    let p = parse_header(header, now_us)?;
    for host in hosts {
        let line = RequestLine {
            method,
            path_and_query,
            host,
        };
        if p.key
            .verify_strict(message(&line, p.date, p.nonce).as_bytes(), &p.sig)
        {
            return Ok(VerifiedRequest {
                key: p.key,
                nonce: p.nonce.to_string(),
                date_us: p.date_us,
                host: host.to_ascii_lowercase(),
            });
        }
    }
    Err(TrustError::BadSignature {
        key_id: p.key.key_id().to_hex(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line<'a>(path: &'a str, host: &'a str) -> RequestLine<'a> {
        RequestLine {
            method: "GET",
            path_and_query: path,
            host,
        }
    }

    #[test]
    fn a_signed_request_verifies_only_as_sent() {
        let k = Keypair::generate();
        let l = line("/taxii2/root/collections/?x=1", "127.0.0.1:9000");
        let h = sign_request(&k, &l);
        assert!(is_node_signature(&h));
        let now = Timestamp::now().0;
        assert_eq!(verify_request(&h, &l, now).unwrap(), k.public());
        // Another path, another host (a replay to a third node), another
        // method, or a stale date: refused.
        for other in [
            line("/taxii2/root/collections/?x=2", "127.0.0.1:9000"),
            line("/taxii2/root/collections/?x=1", "127.0.0.1:9001"),
        ] {
            assert!(verify_request(&h, &other, now).is_err());
        }
        let post = RequestLine {
            method: "POST",
            ..l
        };
        assert!(verify_request(&h, &post, now).is_err());
        assert!(verify_request(&h, &l, now + MAX_SKEW_MICROS + 10_000_000).is_err());
        // Against the server's own hosts: only the host it was signed for.
        let own = vec!["node.example".to_string(), "127.0.0.1:9000".to_string()];
        let v = verify_request_for(&h, "GET", "/taxii2/root/collections/?x=1", &own, now).unwrap();
        assert_eq!((v.key, v.host.as_str()), (k.public(), "127.0.0.1:9000"));
        assert_eq!(v.nonce.len(), 32);
        let elsewhere = vec!["127.0.0.1:9001".to_string()];
        assert!(
            verify_request_for(&h, "GET", "/taxii2/root/collections/?x=1", &elsewhere, now)
                .is_err()
        );
        // A flipped signature byte, a swapped key, garbage: refused.
        let tampered = h.replacen("sig=\"", "sig=\"A", 1);
        assert!(verify_request(&tampered, &l, now).is_err());
        let other = Keypair::generate().public().to_hex();
        let swapped = h.replace(&k.public().to_hex(), &other);
        assert!(verify_request(&swapped, &l, now).is_err());
        for junk in [
            "",
            "Concord",
            "Basic abc",
            "Concord key=1",
            "Concord key=\"x\", key=\"y\"",
        ] {
            assert!(verify_request(junk, &l, now).is_err(), "{junk}");
        }
    }
}
