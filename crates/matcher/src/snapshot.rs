//! The index as bytes, so that a node can keep a compiled index on disk and
//! a run loads it in milliseconds instead of compiling every indicator
//! again.
//!
//! The layout is a flat little-endian sequence (records, the shared name
//! string, producers, long ids, then each lookup table with its postings,
//! the evaluated patterns as text and the always-evaluated list), read in
//! one pass into the same tables [`Index::add`] builds. Nothing in it is
//! trusted: every count is checked against the bytes left, every posting
//! against the records, every text against UTF-8, every pattern is parsed
//! again; bad bytes give [`MatcherError::Snapshot`], never a panic.
//! Integrity (a checksum) and freshness are the business of whoever
//! stores the bytes.

use concord_pattern::Pattern;

use crate::error::MatcherError;
use crate::index::{EVALUATE, Evaluated, Index, Postings};
use crate::indicator::{IdKey, Record};

const MAGIC: &[u8; 4] = b"CIDX";
/// Bumped whenever the layout or the meaning of a table changes.
const VERSION: u32 = 1;

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u128(&mut self, v: u128) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn len(&mut self, n: usize) {
        self.u32(n as u32);
    }
    fn bytes(&mut self, b: &[u8]) {
        self.len(b.len());
        self.0.extend_from_slice(b);
    }
    fn postings(&mut self, p: &Postings) {
        let s = p.as_slice();
        self.len(s.len());
        for t in s {
            self.u32(*t);
        }
    }
}

struct Reader<'b> {
    bytes: &'b [u8],
    at: usize,
}

impl<'b> Reader<'b> {
    fn fail(&self, reason: impl Into<String>) -> MatcherError {
        MatcherError::Snapshot {
            offset: self.at,
            reason: reason.into(),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'b [u8], MatcherError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|e| *e <= self.bytes.len())
            .ok_or_else(|| self.fail("truncated"))?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8, MatcherError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, MatcherError> {
        let mut b = [0; 4];
        b.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(b))
    }

    fn u128(&mut self) -> Result<u128, MatcherError> {
        let mut b = [0; 16];
        b.copy_from_slice(self.take(16)?);
        Ok(u128::from_le_bytes(b))
    }

    /// A count of items of at least `min_size` bytes each: never more than
    /// the bytes left can hold, so a bad count cannot make us allocate.
    fn count(&mut self, min_size: usize) -> Result<usize, MatcherError> {
        let n = self.u32()? as usize;
        if n.saturating_mul(min_size.max(1)) > self.bytes.len() - self.at {
            return Err(self.fail(format!("count {n} exceeds the bytes left")));
        }
        Ok(n)
    }

    fn bytes(&mut self) -> Result<&'b [u8], MatcherError> {
        let n = self.count(1)?;
        self.take(n)
    }

    fn str(&mut self) -> Result<&'b str, MatcherError> {
        let at = self.at;
        std::str::from_utf8(self.bytes()?).map_err(|_| MatcherError::Snapshot {
            offset: at,
            reason: "text is not UTF-8".into(),
        })
    }

    /// Postings whose targets are checked against the records and the
    /// evaluated patterns.
    fn postings(&mut self, records: usize, evaluated: usize) -> Result<Postings, MatcherError> {
        let n = self.count(4)?;
        if n == 0 {
            return Err(self.fail("a key without postings"));
        }
        let mut targets = Vec::with_capacity(n);
        for _ in 0..n {
            let t = self.u32()?;
            let ok = if t & EVALUATE != 0 {
                ((t & !EVALUATE) as usize) < evaluated
            } else {
                (t as usize) < records
            };
            if !ok {
                return Err(self.fail(format!("posting {t} names nothing")));
            }
            targets.push(t);
        }
        Ok(match targets.as_slice() {
            [one] => Postings::One(*one),
            _ => Postings::Many(targets.into_boxed_slice()),
        })
    }
}

impl Index {
    /// The index as bytes, for [`Index::from_snapshot`].
    pub fn to_snapshot(&self) -> Vec<u8> {
        let mut w = Writer(Vec::with_capacity(self.records.len() * 64 + 1024));
        w.0.extend_from_slice(MAGIC);
        w.u32(VERSION);
        // The evaluated patterns first: postings are checked against them.
        w.len(self.evaluated.len());
        for e in &self.evaluated {
            match e {
                Some(e) => {
                    w.u8(1);
                    w.u32(e.slot);
                    w.bytes(e.pattern.text().as_bytes());
                }
                None => w.u8(0),
            }
        }
        w.len(self.records.len());
        for r in &self.records {
            match r.id {
                IdKey::Uuid(u) => {
                    w.u8(0);
                    w.u128(u);
                }
                IdKey::Other(i) => {
                    w.u8(1);
                    w.u32(i);
                }
            }
            w.u32(r.name.0);
            w.u32(r.name.1);
            w.u32(r.producer);
            w.u8(r.confidence);
            w.u8(r.tlp);
            w.u8(u8::from(r.alive));
        }
        w.bytes(self.names.as_bytes());
        w.len(self.producers.len());
        for p in &self.producers {
            w.bytes(p.as_bytes());
        }
        w.len(self.long_ids.len());
        for p in &self.long_ids {
            w.bytes(p.as_bytes());
        }
        w.len(self.exact.len());
        for (k, p) in &self.exact {
            w.bytes(k);
            w.postings(p);
        }
        let v4: Vec<_> = (0..=32u8)
            .filter(|l| !self.v4[usize::from(*l)].is_empty())
            .collect();
        w.len(v4.len());
        for l in v4 {
            let table = &self.v4[usize::from(l)];
            w.u8(l);
            w.len(table.len());
            for (a, p) in table {
                w.u32(*a);
                w.postings(p);
            }
        }
        w.bytes(&self.v6_lengths);
        for &l in &self.v6_lengths {
            let table = &self.v6[usize::from(l)];
            w.len(table.len());
            for (a, p) in table {
                w.u128(*a);
                w.postings(p);
            }
        }
        w.len(self.subdomains.len());
        for (k, p) in &self.subdomains {
            w.bytes(k.as_bytes());
            w.postings(p);
        }
        w.len(self.always.len());
        for t in &self.always {
            w.u32(*t);
        }
        w.0
    }

    /// The index [`Index::to_snapshot`] wrote, every part checked.
    pub fn from_snapshot(bytes: &[u8]) -> Result<Index, MatcherError> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(4)? != MAGIC {
            return Err(r.fail("not an index snapshot"));
        }
        let version = r.u32()?;
        if version != VERSION {
            return Err(r.fail(format!(
                "snapshot version {version}, this build reads {VERSION}"
            )));
        }
        let mut index = Index::new();
        let n = r.count(1)?;
        for _ in 0..n {
            let e = match r.u8()? {
                0 => None,
                1 => {
                    let slot = r.u32()?;
                    let at = r.at;
                    let text = r.str()?;
                    let pattern = Pattern::parse(text).map_err(|e| MatcherError::Snapshot {
                        offset: at,
                        reason: format!("pattern: {e}"),
                    })?;
                    Some(Evaluated { slot, pattern })
                }
                t => return Err(r.fail(format!("bad evaluated tag {t}"))),
            };
            index.evaluated.push(e);
        }
        let n = r.count(20)?;
        index.records.reserve_exact(n);
        for _ in 0..n {
            let id = match r.u8()? {
                0 => IdKey::Uuid(r.u128()?),
                1 => IdKey::Other(r.u32()?),
                t => return Err(r.fail(format!("bad id tag {t}"))),
            };
            let name = (r.u32()?, r.u32()?);
            let producer = r.u32()?;
            let confidence = r.u8()?;
            let tlp = r.u8()?;
            let alive = match r.u8()? {
                0 => false,
                1 => true,
                t => return Err(r.fail(format!("bad alive flag {t}"))),
            };
            index.records.push(Record {
                id,
                name,
                producer,
                confidence,
                tlp,
                alive,
            });
        }
        index.names = r.str()?.to_string();
        let n = r.count(4)?;
        for i in 0..n {
            let p: Box<str> = r.str()?.into();
            index.producer_ids.insert(p.clone(), i as u32 + 1);
            index.producers.push(p);
        }
        let n = r.count(4)?;
        for _ in 0..n {
            index.long_ids.push(r.str()?.into());
        }
        // Every record must name what exists, and each id once.
        for (slot, rec) in index.records.iter().enumerate() {
            let (off, len) = (rec.name.0 as usize, rec.name.1 as usize);
            if off
                .checked_add(len)
                .and_then(|end| index.names.get(off..end))
                .is_none()
                || rec.producer as usize > index.producers.len()
                || crate::indicator::tlp_name(rec.tlp).is_none() && rec.tlp != 0
            {
                return Err(r.fail(format!("record {slot} names what the snapshot lacks")));
            }
            if let IdKey::Other(i) = rec.id
                && i as usize >= index.long_ids.len()
            {
                return Err(r.fail(format!("record {slot} has no id")));
            }
            if rec.alive {
                if index.by_id.insert(rec.id, slot as u32).is_some() {
                    return Err(r.fail(format!("record {slot} repeats an id")));
                }
                index.live += 1;
            }
        }
        let (records, evaluated) = (index.records.len(), index.evaluated.len());
        for (i, e) in index.evaluated.iter().enumerate() {
            if let Some(e) = e {
                if e.slot as usize >= records {
                    return Err(r.fail(format!("evaluated pattern {i} names no record")));
                }
                index.evaluated_of.insert(e.slot, i as u32);
            }
        }
        let n = r.count(9)?;
        index.exact.reserve(n);
        for _ in 0..n {
            let k: Box<[u8]> = r.bytes()?.into();
            let p = r.postings(records, evaluated)?;
            index.exact.insert(k, p);
        }
        let n = r.count(5)?;
        for _ in 0..n {
            let len = r.u8()?;
            if len > 32 {
                return Err(r.fail(format!("IPv4 prefix length {len}")));
            }
            index.v4_lengths |= 1 << len;
            let m = r.count(8)?;
            index.v4[usize::from(len)].reserve(m);
            for _ in 0..m {
                let a = r.u32()?;
                let p = r.postings(records, evaluated)?;
                index.mark_v4(a, len);
                index.v4[usize::from(len)].insert(a, p);
            }
        }
        index.v6_lengths = r.bytes()?.to_vec();
        for &len in &index.v6_lengths.clone() {
            if len > 128 {
                return Err(r.fail(format!("IPv6 prefix length {len}")));
            }
            let m = r.count(20)?;
            let table = &mut index.v6[usize::from(len)];
            for _ in 0..m {
                let a = r.u128()?;
                let p = r.postings(records, evaluated)?;
                table.insert(a, p);
            }
        }
        let n = r.count(9)?;
        for _ in 0..n {
            let k: Box<str> = r.str()?.into();
            let p = r.postings(records, evaluated)?;
            index.subdomains.insert(k, p);
        }
        let n = r.count(4)?;
        for _ in 0..n {
            let t = r.u32()?;
            if t & EVALUATE == 0 || (t & !EVALUATE) as usize >= evaluated {
                return Err(r.fail(format!("always-evaluated {t} names no pattern")));
            }
            index.always.push(t);
        }
        if r.at != bytes.len() {
            return Err(r.fail("bytes after the end of the index"));
        }
        Ok(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observable::Observable;
    use crate::{Hit, Scratch};
    use serde_json::json;

    fn indicators() -> Vec<serde_json::Value> {
        let patterns = [
            "[ipv4-addr:value = '192.0.2.1']",
            "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
            "[ipv6-addr:value ISSUBSET '2001:db8::/32']",
            "[domain-name:value = 'evil.example']",
            "[domain-name:value LIKE '%.bad.example']",
            "[url:value = 'http://evil.example/x']",
            "[file:hashes.MD5 = '0123456789abcdef0123456789abcdef']",
            "[email-addr:value = 'a@evil.example']",
            "[ipv4-addr:value = '192.0.2.1' AND domain-name:value = 'evil.example']",
            "[process:name = 'x.exe']",
            "[ipv4-addr:value = '192.0.2.1'] OR [domain-name:value = 'evil.example']",
        ];
        let mut v: Vec<_> = patterns
            .iter()
            .enumerate()
            .map(|(i, p)| {
                json!({"type": "indicator", "id": format!("indicator--00000000-0000-4000-8000-{i:012}"),
                       "pattern": p, "pattern_type": "stix", "name": format!("n{i}"), "confidence": i,
                       "created_by_ref": format!("identity--{}", i % 3)})
            })
            .collect();
        v.push(json!({"type": "indicator", "id": "indicator--not-a-uuid", "pattern": "[ipv4-addr:value = '192.0.2.1']",
                      "pattern_type": "stix", "object_marking_refs": ["marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"]}));
        // A second version replaces the first: a dead record stays behind.
        v.push(
            json!({"type": "indicator", "id": "indicator--00000000-0000-4000-8000-000000000000",
                      "pattern": "[ipv4-addr:value = '192.0.2.9']", "pattern_type": "stix"}),
        );
        v
    }

    fn events() -> Vec<Vec<Observable>> {
        vec![
            vec![Observable::Ipv4([192, 0, 2, 1].into())],
            vec![Observable::Ipv4([192, 0, 2, 9].into())],
            vec![Observable::Ipv4([198, 51, 100, 7].into())],
            vec![Observable::Ipv6("2001:db8::1".parse().unwrap())],
            vec![
                Observable::Domain("evil.example".into()),
                Observable::Ipv4([192, 0, 2, 1].into()),
            ],
            vec![Observable::Domain("a.b.bad.example".into())],
            vec![Observable::Url("http://evil.example/x".into())],
            vec![Observable::Email("a@evil.example".into())],
            vec![Observable::Hash(
                crate::HashAlgorithm::Md5,
                "0123456789ABCDEF0123456789abcdef".into(),
            )],
            vec![Observable::Other {
                object_type: "process".into(),
                path: vec!["name".into()],
                value: json!("x.exe"),
            }],
        ]
    }

    fn hits(index: &Index) -> Vec<Vec<(String, Hit)>> {
        let mut scratch = Scratch::default();
        events()
            .iter()
            .map(|e| {
                let mut hits = Vec::new();
                index.match_event(e, &mut scratch, &mut hits);
                hits.iter()
                    .map(|h| (format!("{:?}", index.info(h.slot)), *h))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn round_trip_matches_the_same() {
        let (index, errors) = Index::build(&indicators(), None);
        assert!(errors.is_empty(), "{errors:?}");
        let bytes = index.to_snapshot();
        let loaded = Index::from_snapshot(&bytes).unwrap();
        assert_eq!(loaded.len(), index.len());
        assert_eq!(loaded.evaluated_len(), index.evaluated_len());
        let expected = hits(&index);
        assert!(expected.iter().all(|h| !h.is_empty()), "{expected:?}");
        assert_eq!(hits(&loaded), expected);
        // What was loaded is an index like any other: it takes changes.
        let mut loaded = loaded;
        assert!(loaded.remove("indicator--00000000-0000-4000-8000-000000000003"));
        assert_eq!(loaded.len(), index.len() - 1);
        assert_eq!(
            Index::from_snapshot(&Index::new().to_snapshot())
                .unwrap()
                .len(),
            0
        );
    }

    #[test]
    fn damaged_bytes_are_refused_never_a_panic() {
        let (index, _) = Index::build(&indicators(), None);
        let bytes = index.to_snapshot();
        for cut in 0..bytes.len() {
            assert!(Index::from_snapshot(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Index::from_snapshot(&longer).is_err());
        let mut other = bytes.clone();
        other[4] = 99;
        let err = Index::from_snapshot(&other).err().unwrap().to_string();
        assert!(err.contains("version 99"), "{err}");
        // Every single flipped byte: an error or an index, never a panic.
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0xa5;
            let _ = Index::from_snapshot(&b);
        }
    }
}
