//! The compiled indicator index.
//!
//! Indicators whose pattern is decided by single values (addresses,
//! networks, domains, URLs, hashes, e-mail addresses) are found by hash and
//! prefix lookups of an event's observables. Every other pattern is run by
//! the pattern evaluator, but only for events that pass its prefilter (or
//! for every event, when no prefilter can be derived).
//!
//! Per indicator the index keeps a compact record (UUID, name in one shared
//! string, producer interned, confidence, TLP) and one posting per atom.
//! Removal marks the record dead; postings of dead records are skipped.

use concord_pattern::{Observations, Pattern, Timestamp};
use hashbrown::HashMap;
use serde_json::{Value, json};

use crate::error::MatcherError;
use crate::indicator::{
    IdKey, IndicatorInfo, Record, format_uuid, is_active, parse_uuid, tlp_code, tlp_name,
};
use crate::observable::Observable;
use crate::plan::{Atom, Plan, plan};

/// A posting target: a record slot, or (with the top bit) a pattern to
/// evaluate.
pub(crate) const EVALUATE: u32 = 1 << 31;

/// One or more targets; almost every key has exactly one.
#[derive(Debug, Clone)]
pub(crate) enum Postings {
    One(u32),
    // A boxed slice keeps the enum at 16 bytes; keys with many targets are rare.
    Many(Box<[u32]>),
}

impl Postings {
    fn push(&mut self, t: u32) {
        match self {
            Postings::One(a) => *self = Postings::Many(Box::new([*a, t])),
            Postings::Many(v) => {
                let mut all = std::mem::take(v).into_vec();
                all.push(t);
                *v = all.into_boxed_slice();
            }
        }
    }

    pub(crate) fn as_slice(&self) -> &[u32] {
        match self {
            Postings::One(a) => std::slice::from_ref(a),
            Postings::Many(v) => v,
        }
    }
}

fn post<K: std::hash::Hash + Eq>(map: &mut HashMap<K, Postings>, k: K, t: u32) {
    match map.get_mut(&k) {
        Some(p) => p.push(t),
        None => {
            map.insert(k, Postings::One(t));
        }
    }
}

/// A pattern the evaluator runs, with the record it reports.
pub(crate) struct Evaluated {
    pub(crate) slot: u32,
    pub(crate) pattern: Pattern,
}

/// One hit: an indicator and the observable of the event that hit it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// The indicator's slot in the index: [`Index::info`] tells which
    /// indicator it is.
    pub slot: u32,
    /// Index into the event's observables.
    pub observable: usize,
}

/// Reusable buffers for matching, so that a hot loop allocates nothing.
#[derive(Default)]
pub struct Scratch {
    key: Vec<u8>,
    candidates: Vec<(u32, usize)>,
}

/// The indicator index.
#[derive(Default)]
pub struct Index {
    pub(crate) records: Vec<Record>,
    pub(crate) names: String,
    pub(crate) producers: Vec<Box<str>>,
    pub(crate) producer_ids: HashMap<Box<str>, u32>,
    pub(crate) long_ids: Vec<Box<str>>,
    pub(crate) by_id: HashMap<IdKey, u32>,
    pub(crate) exact: HashMap<Box<[u8]>, Postings>,
    pub(crate) v4: Vec<HashMap<u32, Postings>>,
    pub(crate) v4_lengths: u64,
    /// One bit per /24 that a network of prefix length 16 or more covers:
    /// an address outside every marked /24 skips the lookups of those
    /// lengths (most addresses of a log are in no listed network).
    pub(crate) v4_blocks: Vec<u64>,
    pub(crate) v6: Vec<HashMap<u128, Postings>>,
    pub(crate) v6_lengths: Vec<u8>,
    pub(crate) subdomains: HashMap<Box<str>, Postings>,
    pub(crate) evaluated: Vec<Option<Evaluated>>,
    pub(crate) evaluated_of: HashMap<u32, u32>,
    pub(crate) always: Vec<u32>,
    pub(crate) live: usize,
}

impl Index {
    /// An empty index.
    pub fn new() -> Index {
        Index {
            v4: (0..=32).map(|_| HashMap::new()).collect(),
            v6: (0..=128).map(|_| HashMap::new()).collect(),
            ..Index::default()
        }
    }

    /// Builds an index from indicator objects; objects that are not active
    /// indicators at `at` are skipped, invalid ones are reported and skipped.
    pub fn build<'v>(
        indicators: impl IntoIterator<Item = &'v Value>,
        at: Option<Timestamp>,
    ) -> (Index, Vec<MatcherError>) {
        let mut index = Index::new();
        let mut errors = Vec::new();
        for v in indicators {
            if let Err(e) = index.add(v, at) {
                errors.push(e);
            }
        }
        (index, errors)
    }

    /// The number of live indicators.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether the index holds no live indicator.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// How many live indicators are run by the evaluator (not decided by
    /// lookups alone).
    pub fn evaluated_len(&self) -> usize {
        self.evaluated
            .iter()
            .flatten()
            .filter(|e| self.records[e.slot as usize].alive)
            .count()
    }

    fn id_key(&mut self, id: &str, insert: bool) -> Option<IdKey> {
        if let Some(u) = id.strip_prefix("indicator--").and_then(parse_uuid) {
            // Only canonical lower-case ids are stored as numbers, so that
            // printing one back gives the same text.
            if format_uuid(u) == id["indicator--".len()..] {
                return Some(IdKey::Uuid(u));
            }
        }
        if let Some(i) = self.long_ids.iter().position(|x| &**x == id) {
            return Some(IdKey::Other(i as u32));
        }
        if !insert {
            return None;
        }
        self.long_ids.push(id.into());
        Some(IdKey::Other(self.long_ids.len() as u32 - 1))
    }

    /// Adds (or replaces) an indicator. Returns whether it is now indexed
    /// (false: not active at `at`, and any older version was removed).
    pub fn add(&mut self, indicator: &Value, at: Option<Timestamp>) -> Result<bool, MatcherError> {
        let id = indicator
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let fail = |reason: String| MatcherError::Indicator {
            id: id.to_string(),
            reason,
        };
        if indicator.get("type").and_then(Value::as_str) != Some("indicator") {
            return Err(fail("not an indicator".into()));
        }
        if id.is_empty() {
            return Err(fail("no id".into()));
        }
        self.remove(id);
        if !is_active(indicator, at) {
            return Ok(false);
        }
        match indicator.get("pattern_type").and_then(Value::as_str) {
            Some("stix") | None => {}
            Some(other) => return Err(fail(format!("pattern_type {other} is not stix"))),
        }
        let text = indicator
            .get("pattern")
            .and_then(Value::as_str)
            .ok_or_else(|| fail("no pattern".into()))?;
        let pattern = Pattern::parse(text).map_err(|e| fail(format!("pattern: {e}")))?;
        let key = self.id_key(id, true).ok_or_else(|| fail("bad id".into()))?;
        let name = indicator
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let name_range = (self.names.len() as u32, name.len() as u32);
        self.names.push_str(name);
        let producer = match indicator.get("created_by_ref").and_then(Value::as_str) {
            Some(p) => match self.producer_ids.get(p) {
                Some(i) => *i,
                None => {
                    self.producers.push(p.into());
                    let i = self.producers.len() as u32;
                    self.producer_ids.insert(p.into(), i);
                    i
                }
            },
            None => 0,
        };
        let slot = self.records.len() as u32;
        if slot >= EVALUATE {
            return Err(fail("index is full".into()));
        }
        self.records.push(Record {
            id: key,
            name: name_range,
            producer,
            confidence: indicator
                .get("confidence")
                .and_then(Value::as_u64)
                .map_or(u8::MAX, |c| c.min(100) as u8),
            tlp: tlp_code(indicator.as_object().and_then(concord_stix::tlp::of_object)),
            alive: true,
        });
        self.by_id.insert(key, slot);
        self.live += 1;
        match plan(&pattern) {
            Plan::Direct(atoms) => {
                for a in atoms {
                    self.post_atom(a, slot);
                }
            }
            Plan::Evaluate(prefilter) => {
                let e = self.evaluated.len() as u32 | EVALUATE;
                self.evaluated_of.insert(slot, self.evaluated.len() as u32);
                self.evaluated.push(Some(Evaluated { slot, pattern }));
                match prefilter {
                    Some(atoms) => {
                        for a in atoms {
                            self.post_atom(a, e);
                        }
                    }
                    None => self.always.push(e),
                }
            }
        }
        Ok(true)
    }

    fn post_atom(&mut self, atom: Atom, target: u32) {
        match atom {
            Atom::Key(k) => post(&mut self.exact, k.into_boxed_slice(), target),
            Atom::V4Net(addr, len) => {
                let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
                self.v4_lengths |= 1 << len;
                self.mark_v4(addr & mask, len);
                post(&mut self.v4[usize::from(len)], addr & mask, target);
            }
            Atom::V6Net(addr, len) => {
                let mask = if len == 0 {
                    0
                } else {
                    u128::MAX << (128 - len)
                };
                if !self.v6_lengths.contains(&len) {
                    self.v6_lengths.push(len);
                }
                post(&mut self.v6[usize::from(len)], addr & mask, target);
            }
            Atom::Subdomain(s) => post(&mut self.subdomains, s.into_boxed_str(), target),
        }
    }

    /// Marks the /24 blocks a network of `len` >= 16 covers.
    pub(crate) fn mark_v4(&mut self, network: u32, len: u8) {
        if len < 16 {
            return;
        }
        if self.v4_blocks.is_empty() {
            self.v4_blocks = vec![0; (1 << 24) / 64];
        }
        let first = (network >> 8) as usize;
        let count = 1usize << 24u8.saturating_sub(len);
        for b in first..first + count {
            if let Some(w) = self.v4_blocks.get_mut(b / 64) {
                *w |= 1 << (b % 64);
            }
        }
    }

    /// Whether a network of prefix length 16 or more may hold `addr`.
    fn v4_marked(&self, addr: u32) -> bool {
        let b = (addr >> 8) as usize;
        self.v4_blocks
            .get(b / 64)
            .is_some_and(|w| w >> (b % 64) & 1 == 1)
    }

    /// Removes an indicator (revocation, or before a new version). Returns
    /// whether it was indexed.
    pub fn remove(&mut self, id: &str) -> bool {
        let Some(key) = self.id_key(id, false) else {
            return false;
        };
        let Some(slot) = self.by_id.remove(&key) else {
            return false;
        };
        if let Some(r) = self.records.get_mut(slot as usize)
            && r.alive
        {
            r.alive = false;
            self.live -= 1;
        }
        if let Some(e) = self.evaluated_of.remove(&slot)
            && let Some(entry) = self.evaluated.get_mut(e as usize)
        {
            *entry = None;
        }
        true
    }

    /// What a hit reports about the indicator in `slot`.
    pub fn info(&self, slot: u32) -> Option<IndicatorInfo<'_>> {
        let r = self.records.get(slot as usize)?;
        let id = match r.id {
            IdKey::Uuid(u) => format!("indicator--{}", format_uuid(u)),
            IdKey::Other(i) => self.long_ids.get(i as usize)?.to_string(),
        };
        let (off, len) = (r.name.0 as usize, r.name.1 as usize);
        Some(IndicatorInfo {
            id,
            name: self.names.get(off..off + len).filter(|n| !n.is_empty()),
            confidence: (r.confidence != u8::MAX).then_some(r.confidence),
            tlp: tlp_name(r.tlp),
            created_by_ref: r
                .producer
                .checked_sub(1)
                .and_then(|i| self.producers.get(i as usize))
                .map(|p| &**p),
        })
    }

    fn collect(
        &self,
        targets: &[u32],
        observable: usize,
        hits: &mut Vec<Hit>,
        scratch: &mut Vec<(u32, usize)>,
    ) {
        for &t in targets {
            if t & EVALUATE != 0 {
                scratch.push((t & !EVALUATE, observable));
            } else if self.records[t as usize].alive && !hits.iter().any(|h| h.slot == t) {
                hits.push(Hit {
                    slot: t,
                    observable,
                });
            }
        }
    }

    /// The indicators one event (its observables) hits, one hit per
    /// indicator, appended to `hits`.
    pub fn match_event(
        &self,
        observables: &[Observable],
        scratch: &mut Scratch,
        hits: &mut Vec<Hit>,
    ) {
        let start = hits.len();
        scratch.candidates.clear();
        let mut direct: Vec<Hit> = Vec::new();
        for (i, o) in observables.iter().enumerate() {
            if o.key(&mut scratch.key)
                && let Some(p) = self.exact.get(&scratch.key[..])
            {
                self.collect(p.as_slice(), i, &mut direct, &mut scratch.candidates);
            }
            match o {
                Observable::Ipv4(a) if self.v4_lengths != 0 => {
                    let addr = u32::from(*a);
                    let mut lengths = self.v4_lengths;
                    if !self.v4_marked(addr) {
                        lengths &= (1 << 16) - 1;
                    }
                    while lengths != 0 {
                        let len = lengths.trailing_zeros();
                        lengths &= lengths - 1;
                        let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
                        if let Some(p) = self.v4[len as usize].get(&(addr & mask)) {
                            self.collect(p.as_slice(), i, &mut direct, &mut scratch.candidates);
                        }
                    }
                }
                Observable::Ipv6(a) if !self.v6_lengths.is_empty() => {
                    let addr = u128::from(*a);
                    for &len in &self.v6_lengths {
                        let mask = if len == 0 {
                            0
                        } else {
                            u128::MAX << (128 - len)
                        };
                        if let Some(p) = self.v6[usize::from(len)].get(&(addr & mask)) {
                            self.collect(p.as_slice(), i, &mut direct, &mut scratch.candidates);
                        }
                    }
                }
                Observable::Domain(d) if !self.subdomains.is_empty() => {
                    for (pos, _) in d.match_indices('.') {
                        if let Some(p) = self.subdomains.get(&d[pos + 1..]) {
                            self.collect(p.as_slice(), i, &mut direct, &mut scratch.candidates);
                        }
                    }
                }
                _ => {}
            }
        }
        hits.extend(direct);
        if scratch.candidates.is_empty() && self.always.is_empty() {
            return;
        }
        let mut candidates = std::mem::take(&mut scratch.candidates);
        candidates.extend(self.always.iter().map(|e| (e & !EVALUATE, 0)));
        candidates.sort_unstable();
        candidates.dedup_by_key(|c| c.0);
        let bundle = event_bundle(observables);
        let bundles = [bundle];
        if let Ok(obs) = Observations::from_stix21(&bundles) {
            for (e, observable) in &candidates {
                let Some(Some(ev)) = self.evaluated.get(*e as usize) else {
                    continue;
                };
                if !self.records[ev.slot as usize].alive
                    || hits[start..].iter().any(|h| h.slot == ev.slot)
                {
                    continue;
                }
                // A pattern that fails on this event (budget, a value it cannot
                // read) does not hit it.
                if let Ok(Some(_)) = ev.pattern.matches(&obs) {
                    hits.push(Hit {
                        slot: ev.slot,
                        observable: *observable,
                    });
                }
            }
        }
        candidates.clear();
        scratch.candidates = candidates;
    }

    /// An estimate of the heap memory the index holds, in bytes.
    pub fn memory_bytes(&self) -> usize {
        use std::mem::size_of;
        fn table<K, V>(m: &HashMap<K, V>) -> usize {
            m.capacity() * (size_of::<(K, V)>() + 1)
        }
        let postings = |m: &HashMap<Box<[u8]>, Postings>| -> usize {
            m.iter()
                .map(|(k, p)| {
                    k.len()
                        + matches!(p, Postings::Many(_)) as usize * (24 + p.as_slice().len() * 4)
                })
                .sum()
        };
        self.records.capacity() * size_of::<Record>()
            + self.names.capacity()
            + self.producers.iter().map(|p| p.len() + 16).sum::<usize>()
            + table(&self.producer_ids)
            + table(&self.by_id)
            + table(&self.exact)
            + postings(&self.exact)
            + self.v4.iter().map(table).sum::<usize>()
            + self.v4_blocks.capacity() * 8
            + self.v6.iter().map(table).sum::<usize>()
            + table(&self.subdomains)
            + self.subdomains.keys().map(|k| k.len()).sum::<usize>()
            + self.evaluated.capacity() * size_of::<Option<Evaluated>>()
    }
}

/// The event as one STIX 2.1 observed-data bundle, for the evaluator.
fn event_bundle(observables: &[Observable]) -> Value {
    let mut objects = Vec::with_capacity(observables.len() + 1);
    let mut refs = Vec::with_capacity(observables.len());
    let mut file: Option<serde_json::Map<String, Value>> = None;
    for (i, o) in observables.iter().enumerate() {
        // The hashes of one event describe one file.
        if let Observable::Hash(algo, hex) = o {
            let f = file.get_or_insert_with(serde_json::Map::new);
            let hashes = f.entry("hashes").or_insert_with(|| json!({}));
            if let Some(h) = hashes.as_object_mut() {
                h.insert(algo.stix_key().to_string(), Value::String(hex.clone()));
            }
            continue;
        }
        let id = format!("x-event-object--{i}");
        refs.push(Value::String(id.clone()));
        objects.push(o.to_sco(&id));
    }
    if let Some(mut f) = file {
        f.insert("type".into(), json!("file"));
        f.insert("id".into(), json!("file--event"));
        refs.push(json!("file--event"));
        objects.push(Value::Object(f));
    }
    // The evaluator needs times; an event is one observation of now.
    objects.insert(
        0,
        json!({"type": "observed-data", "id": "observed-data--event", "first_observed": "2000-01-01T00:00:00Z",
               "last_observed": "2000-01-01T00:00:00Z", "number_observed": 1, "object_refs": refs}),
    );
    json!({"type": "bundle", "id": "bundle--event", "objects": objects})
}
