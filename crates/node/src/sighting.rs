//! Sightings fed back to the authors of the intelligence that caught them
//! (issue 8). A sighting of another member's indicator is authored here
//! with that member as its audience, under the indicator's TLP or
//! `[sightings] min_tlp`, whichever is stricter; `[sightings] share = "off"`
//! keeps it at home and `also_to` widens it. A false positive is a STIX
//! `opinion` addressed the same way. The author sees, per indicator it
//! published, who saw it, how often and when.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, bail};
use concord_stix::Timestamp;
use concord_stix::tlp::{Tlp, strictest_of};
use concord_store::{AnyStore, Store, VersionSel};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::config::SightingsSection;

/// Whom an object answering another member's object goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressing {
    pub tlp: Tlp,
    /// Members or groups that receive it (`None`: everyone the TLP allows).
    pub audience: Option<Vec<String>>,
    /// Nobody is addressed: the object stays on this node, unsigned
    /// (peers never receive unsigned objects).
    pub local: bool,
}

impl Addressing {
    /// Marks the object and, when it is addressed to someone, signs it
    /// with the audience set (unsigned objects never leave the node).
    pub fn apply(
        &self,
        object: &Map<String, Value>,
        me: &str,
        key: &concord_trust::Keypair,
    ) -> Result<Map<String, Value>> {
        match self.local {
            false => crate::federation::authoring::Authoring {
                member: me.to_string(),
                key: key.clone(),
                tlp: Some(self.tlp),
                audience: self.audience.clone(),
            }
            .author(object),
            true => {
                let mut out = object.clone();
                out.insert(
                    "object_marking_refs".into(),
                    Value::Array(vec![Value::from(self.tlp.marking_id())]),
                );
                Ok(out)
            }
        }
    }
}

/// The TLP of a stored object (the strictest of its markings).
pub fn tlp_of(object: &Map<String, Value>) -> Option<Tlp> {
    match object.get("object_marking_refs") {
        Some(Value::Array(refs)) => strictest_of(refs),
        _ => None,
    }
}

/// The member that signed an object, if it is signed.
/// (Only the name: signatures were checked when the object came in.)
pub fn author_of(object: &Map<String, Value>) -> Option<String> {
    concord_trust::signer_of(object).map(str::to_string)
}

/// How a sighting (or opinion) about objects authored by `authors` is
/// addressed, given the TLP of what it answers. Pure: the rules of
/// `[sightings]` in one place.
pub fn address(
    section: &SightingsSection,
    me: &str,
    answered_tlp: Option<Tlp>,
    authors: &[String],
) -> Result<Addressing> {
    let floor = match Tlp::parse(&section.min_tlp) {
        Some(t) => t,
        None => bail!(
            "[sightings] min_tlp {:?} is not a TLP level (clear, green, amber, amber+strict, red)",
            section.min_tlp
        ),
    };
    // Unmarked intel stays at home, and so does what answers it.
    let tlp = answered_tlp.unwrap_or(Tlp::AmberStrict).max(floor);
    let mut audience: BTreeSet<String> = BTreeSet::new();
    match section.share.as_str() {
        "off" => {}
        "author" => {
            audience.extend(authors.iter().filter(|a| *a != me).cloned());
            if !audience.is_empty() {
                audience.extend(section.also_to.iter().cloned());
            }
        }
        other => bail!("[sightings] share {other:?}: expected \"author\" or \"off\""),
    }
    if audience.is_empty() {
        // Nobody named: it stays at home, unsigned (peers never receive
        // unsigned objects), marked like what it answers.
        return Ok(Addressing {
            tlp: answered_tlp.unwrap_or(Tlp::AmberStrict),
            audience: None,
            local: true,
        });
    }
    Ok(Addressing {
        tlp,
        audience: Some(audience.into_iter().collect()),
        local: false,
    })
}

/// The latest stored version of an object, parsed.
pub async fn latest(store: &AnyStore, id: &str) -> Result<Option<Map<String, Value>>> {
    let versions = store.versions(id, VersionSel::Last).await?;
    let Some(last) = versions.last() else {
        return Ok(None);
    };
    Ok(concord_stix::json::parse_object(last.json.as_bytes()).ok())
}

/// What one member reported of one indicator.
#[derive(Debug, Clone, Serialize)]
pub struct MemberSightings {
    pub member: String,
    pub sightings: u64,
    pub count: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub false_positive: bool,
}

/// Everything held about one indicator this member authored.
#[derive(Debug, Clone, Serialize)]
pub struct IndicatorSightings {
    pub indicator: String,
    pub name: Option<String>,
    /// Distinct members (this one included) that sighted it.
    pub members: usize,
    pub sightings: u64,
    pub count: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// Members that marked it (or their sighting of it) a false positive.
    pub false_positives: usize,
    pub by_member: Vec<MemberSightings>,
}

fn text<'a>(o: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    o.get(k).and_then(Value::as_str)
}

fn refs(o: &Map<String, Value>, k: &str) -> Vec<String> {
    match o.get(k) {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether an opinion says the objects it names are wrong.
pub fn is_false_positive(opinion: &Map<String, Value>) -> bool {
    matches!(
        text(opinion, "opinion"),
        Some("disagree" | "strongly-disagree")
    )
}

fn later(a: Option<String>, b: Option<&str>, keep_max: bool) -> Option<String> {
    let Some(b) = b else { return a };
    let (Some(x), Ok(tb)) = (a.as_deref(), Timestamp::parse(b)) else {
        return a.or_else(|| Some(b.to_string()));
    };
    match Timestamp::parse(x) {
        Ok(ta) if (keep_max && tb.0 > ta.0) || (!keep_max && tb.0 < ta.0) => Some(b.to_string()),
        Ok(_) => a,
        Err(_) => Some(b.to_string()),
    }
}

/// Per indicator authored by `me`: who sighted it, how often, when, and
/// who called it a false positive. Only what this node holds (what each
/// sighting's marking let reach it) is counted.
pub async fn summary(store: &AnyStore, me: &str) -> Result<Vec<IndicatorSightings>> {
    let sightings = crate::incident::timeline::latest_of_type(store, "sighting").await?;
    let opinions = crate::incident::timeline::latest_of_type(store, "opinion").await?;
    let mut ours: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut by: BTreeMap<String, BTreeMap<String, MemberSightings>> = BTreeMap::new();
    let mut sighting_of: BTreeMap<String, String> = BTreeMap::new();
    for s in &sightings {
        let Some(indicator) = text(s, "sighting_of_ref") else {
            continue;
        };
        if !ours.contains_key(indicator) {
            let Some(i) = latest(store, indicator).await? else {
                continue;
            };
            if author_of(&i).as_deref() != Some(me) {
                continue;
            }
            ours.insert(indicator.to_string(), text(&i, "name").map(str::to_string));
        }
        let member = author_of(s)
            .or_else(|| text(s, "created_by_ref").map(str::to_string))
            .unwrap_or_else(|| me.to_string());
        if let Some(id) = text(s, "id") {
            sighting_of.insert(id.to_string(), indicator.to_string());
        }
        let entry = by
            .entry(indicator.to_string())
            .or_default()
            .entry(member.clone())
            .or_insert(MemberSightings {
                member,
                sightings: 0,
                count: 0,
                first_seen: None,
                last_seen: None,
                false_positive: false,
            });
        entry.sightings += 1;
        entry.count += s.get("count").and_then(Value::as_u64).unwrap_or(1);
        entry.first_seen = later(entry.first_seen.take(), text(s, "first_seen"), false);
        entry.last_seen = later(entry.last_seen.take(), text(s, "last_seen"), true);
    }
    for o in opinions.iter().filter(|o| is_false_positive(o)) {
        let member = author_of(o).unwrap_or_else(|| me.to_string());
        for r in refs(o, "object_refs") {
            let indicator = sighting_of.get(&r).cloned().unwrap_or(r);
            if !ours.contains_key(&indicator) {
                continue;
            }
            let entry = by
                .entry(indicator)
                .or_default()
                .entry(member.clone())
                .or_insert(MemberSightings {
                    member: member.clone(),
                    sightings: 0,
                    count: 0,
                    first_seen: None,
                    last_seen: None,
                    false_positive: false,
                });
            entry.false_positive = true;
        }
    }
    Ok(by
        .into_iter()
        .map(|(indicator, members)| {
            let list: Vec<MemberSightings> = members.into_values().collect();
            let mut first = None;
            let mut last = None;
            for m in &list {
                first = later(first, m.first_seen.as_deref(), false);
                last = later(last, m.last_seen.as_deref(), true);
            }
            IndicatorSightings {
                name: ours.get(&indicator).cloned().flatten(),
                indicator,
                members: list.iter().filter(|m| m.sightings > 0).count(),
                sightings: list.iter().map(|m| m.sightings).sum(),
                count: list.iter().map(|m| m.count).sum(),
                first_seen: first,
                last_seen: last,
                false_positives: list.iter().filter(|m| m.false_positive).count(),
                by_member: list,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section() -> SightingsSection {
        SightingsSection::default()
    }

    #[test]
    fn a_sighting_goes_to_the_author_at_the_indicator_tlp_or_stricter() {
        let a = vec!["identity--a".to_string()];
        let got = address(&section(), "identity--b", Some(Tlp::Green), &a).unwrap();
        assert_eq!(got.tlp, Tlp::Amber, "min_tlp amber is the floor");
        assert_eq!(got.audience, Some(a.clone()));
        let got = address(&section(), "identity--b", Some(Tlp::AmberStrict), &a).unwrap();
        assert_eq!(got.tlp, Tlp::AmberStrict);
        let mut wide = section();
        wide.min_tlp = "green".into();
        wide.also_to = vec!["national-certs".into()];
        let got = address(&wide, "identity--b", Some(Tlp::Clear), &a).unwrap();
        assert_eq!(got.tlp, Tlp::Green);
        assert_eq!(
            got.audience,
            Some(vec!["identity--a".into(), "national-certs".into()])
        );
    }

    #[test]
    fn off_own_or_unsigned_intel_stays_at_home() {
        let mut off = section();
        off.share = "off".into();
        let a = vec!["identity--a".to_string()];
        let got = address(&off, "identity--b", Some(Tlp::Clear), &a).unwrap();
        assert_eq!(got.audience, None);
        assert_eq!(got.tlp, Tlp::Clear, "marked like the indicator, kept home");
        let own = address(&section(), "identity--a", Some(Tlp::Clear), &a).unwrap();
        assert_eq!(own.audience, None);
        let none = address(&section(), "identity--b", None, &[]).unwrap();
        assert_eq!(none.audience, None);
        assert_eq!(none.tlp, Tlp::AmberStrict);
        let mut bad = section();
        bad.share = "everyone".into();
        assert!(address(&bad, "identity--b", None, &a).is_err());
    }
}
