//! Stable Suricata signature ids.
//!
//! An alert names its rule by `sid`, and analysts, suppression lists and
//! SIEM correlations keep those numbers. So an indicator must keep its sids
//! from one export to the next, a sid must never pass to another indicator
//! (not even after the first one is gone), and `rev` must change when the
//! rule does. The [`SidTable`] is that memory: the caller loads it before
//! an export and stores it after (it is serde-serializable; JSON is fine),
//! and hands the same table to every export.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::error::ExportError;

/// The sids an export may hand out, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SidRange {
    /// The first sid.
    pub first: u32,
    /// The last sid.
    pub last: u32,
}

impl Default for SidRange {
    /// 1,000,000 to 1,999,999: the range Snort and Suricata leave to local
    /// rules (below are the vendors' own, above Emerging Threats').
    fn default() -> Self {
        SidRange {
            first: 1_000_000,
            last: 1_999_999,
        }
    }
}

impl std::str::FromStr for SidRange {
    type Err = ExportError;

    /// `FIRST-LAST`, e.g. `1000000-1999999`: a non-empty range of sids
    /// from 1.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wrong = |reason: &str| ExportError::InvalidOption {
            option: "sid-range",
            reason: format!("{s:?}: {reason}"),
        };
        let (first, last) = s
            .split_once('-')
            .ok_or_else(|| wrong("expected FIRST-LAST, e.g. 1000000-1999999"))?;
        let number = |n: &str| {
            n.trim()
                .parse::<u32>()
                .map_err(|_| wrong("the bounds are whole numbers below 2^32"))
        };
        let (first, last) = (number(first)?, number(last)?);
        if first == 0 || first > last {
            return Err(wrong(
                "the first sid must be at least 1 and at most the last",
            ));
        }
        Ok(SidRange { first, last })
    }
}

/// What the table remembers of one indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SidRecord {
    /// The indicator's `modified` when its rules were last written.
    pub modified: String,
    /// The `rev` of its rules: 1, plus one for every new `modified`.
    pub rev: u32,
    /// Each of its rules (`dns evil.example`, `tls evil.example`, `ip`,
    /// `http <url>`) and that rule's sid.
    pub rules: BTreeMap<String, u32>,
}

/// STIX id to sids, `modified` and `rev`, kept between exports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SidTable {
    /// Where the next allocation starts looking: every sid below it (in
    /// the range in force then) was handed out once.
    next: u32,
    indicators: BTreeMap<String, SidRecord>,
}

impl SidTable {
    /// An empty table.
    pub fn new() -> SidTable {
        SidTable::default()
    }

    /// What the table holds for the STIX id `id`.
    pub fn get(&self, id: &str) -> Option<&SidRecord> {
        self.indicators.get(id)
    }

    /// Indicators (and hash-list rule groups) the table knows.
    pub fn len(&self) -> usize {
        self.indicators.len()
    }

    /// Whether the table knows no indicator.
    pub fn is_empty(&self) -> bool {
        self.indicators.is_empty()
    }

    /// Every sid handed out.
    pub(crate) fn used(&self) -> HashSet<u32> {
        self.indicators
            .values()
            .flat_map(|r| r.rules.values().copied())
            .collect()
    }

    /// Records that `id` is exported at version `modified` and returns the
    /// rev of its rules (bumped when `modified` changed since last time).
    pub(crate) fn touch(&mut self, id: &str, modified: &str) -> u32 {
        match self.indicators.get_mut(id) {
            Some(r) => {
                if r.modified != modified {
                    r.modified = modified.to_string();
                    r.rev = r.rev.saturating_add(1);
                }
                r.rev
            }
            None => {
                self.indicators.insert(
                    id.to_string(),
                    SidRecord {
                        modified: modified.to_string(),
                        rev: 1,
                        rules: BTreeMap::new(),
                    },
                );
                1
            }
        }
    }

    /// The sid of rule `rule` of `id` (which [`SidTable::touch`] recorded),
    /// allocating a fresh one from `range` the first time.
    pub(crate) fn sid(
        &mut self,
        id: &str,
        rule: &str,
        range: SidRange,
        used: &mut HashSet<u32>,
    ) -> Result<u32, ExportError> {
        if let Some(sid) = self.indicators.get(id).and_then(|r| r.rules.get(rule)) {
            return Ok(*sid);
        }
        let exhausted = || ExportError::SidRangeExhausted {
            first: range.first,
            last: range.last,
            id: id.to_string(),
            rule: rule.to_string(),
        };
        let mut candidate = if (range.first..=range.last).contains(&self.next) {
            self.next
        } else {
            range.first
        };
        while used.contains(&candidate) {
            candidate = candidate.checked_add(1).ok_or_else(exhausted)?;
        }
        if candidate > range.last || candidate < range.first {
            return Err(exhausted());
        }
        used.insert(candidate);
        self.next = candidate.saturating_add(1);
        self.indicators
            .entry(id.to_string())
            .or_insert_with(|| SidRecord {
                modified: String::new(),
                rev: 1,
                rules: BTreeMap::new(),
            })
            .rules
            .insert(rule.to_string(), candidate);
        Ok(candidate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_read_from_text() {
        assert_eq!(
            "5-9".parse::<SidRange>().unwrap(),
            SidRange { first: 5, last: 9 }
        );
        for bad in ["", "5", "9-5", "0-3", "a-b", "1-4294967296"] {
            assert!(bad.parse::<SidRange>().is_err(), "{bad}");
        }
    }

    #[test]
    fn sids_are_kept_never_reused_and_revs_follow_modified() {
        let range = SidRange {
            first: 10,
            last: 13,
        };
        let mut t = SidTable::new();
        let mut used = t.used();
        assert_eq!(t.touch("indicator--a", "m1"), 1);
        assert_eq!(
            t.sid("indicator--a", "dns a", range, &mut used).unwrap(),
            10
        );
        assert_eq!(
            t.sid("indicator--a", "tls a", range, &mut used).unwrap(),
            11
        );
        assert_eq!(
            t.sid("indicator--a", "dns a", range, &mut used).unwrap(),
            10
        );
        t.touch("indicator--b", "m1");
        assert_eq!(t.sid("indicator--b", "ip", range, &mut used).unwrap(), 12);
        // Same version: same rev; new version: rev + 1.
        assert_eq!(t.touch("indicator--a", "m1"), 1);
        assert_eq!(t.touch("indicator--a", "m2"), 2);
        // Through JSON and back, nothing changes.
        let json = serde_json::to_string(&t).unwrap();
        let mut back: SidTable = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
        let mut used = back.used();
        back.touch("indicator--c", "m1");
        assert_eq!(
            back.sid("indicator--c", "ip", range, &mut used).unwrap(),
            13
        );
        back.touch("indicator--d", "m1");
        assert!(matches!(
            back.sid("indicator--d", "ip", range, &mut used),
            Err(ExportError::SidRangeExhausted { .. })
        ));
        // A wider range goes on where the table stopped; a range that does
        // not hold that point starts at its first sid, skipping sids in use.
        let wider = SidRange {
            first: 12,
            last: 20,
        };
        assert_eq!(
            back.sid("indicator--d", "ip", wider, &mut used).unwrap(),
            14
        );
        back.touch("indicator--e", "m1");
        let lower = SidRange { first: 9, last: 30 };
        let low = SidRange { first: 9, last: 11 };
        assert_eq!(back.sid("indicator--e", "ip", low, &mut used).unwrap(), 9);
        back.touch("indicator--f", "m1");
        assert!(back.sid("indicator--f", "ip", low, &mut used).is_err());
        assert_eq!(
            back.sid("indicator--f", "ip", lower, &mut used).unwrap(),
            15
        );
    }
}
