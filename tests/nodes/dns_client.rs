//! A tiny DNS client over UDP (RFC 1035): one question, the response code
//! and the answer records, enough to ask a local resolver.

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

/// Record types the tests ask for.
pub(crate) const A: u16 = 1;
const CNAME: u16 = 5;
const AAAA: u16 = 28;

/// A parsed response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    /// 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, ...
    pub(crate) rcode: u8,
    /// (type, rdata as text: an address or a name) of each answer record.
    pub(crate) records: Vec<(u16, String)>,
}

fn encode_name(name: &str, out: &mut Vec<u8>) {
    for label in name.trim_end_matches('.').split('.') {
        out.push(u8::try_from(label.len()).expect("a short label"));
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
}

/// Reads a possibly compressed name at `at`; returns it and the offset
/// after it in the record.
fn read_name(msg: &[u8], mut at: usize) -> Option<(String, usize)> {
    let mut labels = Vec::new();
    let mut end = None;
    for _ in 0..128 {
        let len = *msg.get(at)?;
        if len & 0xc0 == 0xc0 {
            let ptr = usize::from(len & 0x3f) << 8 | usize::from(*msg.get(at + 1)?);
            end.get_or_insert(at + 2);
            at = ptr;
            continue;
        }
        if len == 0 {
            let name = if labels.is_empty() {
                ".".to_string()
            } else {
                format!("{}.", labels.join("."))
            };
            return Some((name, end.unwrap_or(at + 1)));
        }
        let label = msg.get(at + 1..at + 1 + usize::from(len))?;
        labels.push(String::from_utf8_lossy(label).into_owned());
        at += 1 + usize::from(len);
    }
    None
}

fn u16_at(msg: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*msg.get(at)?, *msg.get(at + 1)?]))
}

fn parse(msg: &[u8], id: u16) -> Option<Answer> {
    if u16_at(msg, 0)? != id || msg.get(2)? & 0x80 == 0 {
        return None;
    }
    let rcode = msg.get(3)? & 0x0f;
    let qd = u16_at(msg, 4)?;
    let an = u16_at(msg, 6)?;
    let mut at = 12;
    for _ in 0..qd {
        at = read_name(msg, at)?.1 + 4;
    }
    let mut records = Vec::new();
    for _ in 0..an {
        at = read_name(msg, at)?.1;
        let ty = u16_at(msg, at)?;
        let len = usize::from(u16_at(msg, at + 8)?);
        let rdata_at = at + 10;
        let rdata = msg.get(rdata_at..rdata_at + len)?;
        let text = match ty {
            A if len == 4 => {
                std::net::Ipv4Addr::new(rdata[0], rdata[1], rdata[2], rdata[3]).to_string()
            }
            AAAA if len == 16 => {
                let b: [u8; 16] = rdata.try_into().ok()?;
                std::net::Ipv6Addr::from(b).to_string()
            }
            CNAME => read_name(msg, rdata_at)?.0,
            _ => format!("{len} bytes"),
        };
        records.push((ty, text));
        at = rdata_at + len;
    }
    Some(Answer { rcode, records })
}

/// Asks `server` for `name`/`qtype` (recursion desired) and waits up to
/// `timeout` for the answer; `None` when none came.
pub(crate) fn query(
    server: SocketAddr,
    name: &str,
    qtype: u16,
    timeout: Duration,
) -> Option<Answer> {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("a local UDP socket");
    socket.set_read_timeout(Some(timeout)).expect("a timeout");
    let id = u16::try_from(std::process::id() % 65_000).unwrap_or(1) ^ qtype;
    let mut msg = Vec::with_capacity(64);
    msg.extend_from_slice(&id.to_be_bytes());
    msg.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    encode_name(name, &mut msg);
    msg.extend_from_slice(&qtype.to_be_bytes());
    msg.extend_from_slice(&1u16.to_be_bytes());
    socket.send_to(&msg, server).expect("the query is sent");
    let mut buf = [0u8; 4096];
    loop {
        let (n, from) = socket.recv_from(&mut buf).ok()?;
        if from == server
            && let Some(answer) = parse(&buf[..n], id)
        {
            return Some(answer);
        }
    }
}
