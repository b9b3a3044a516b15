//! Sightings fed back to the authors of the intelligence that caught them
//! (issue 8). A sighting of another member's indicator is authored here
//! with that member as its audience, under the indicator's TLP or
//! `[sightings] min_tlp`, whichever is stricter; `[sightings] share = "off"`
//! keeps it at home and `also_to` widens it. A false positive is a STIX
//! `opinion` addressed the same way. The author sees, per indicator it
//! published, who saw it, how often and when.

use std::collections::{BTreeMap, BTreeSet};

use crate::{IncidentError, Result};
use concord_federation::LocalNode;
use concord_stix::Timestamp;
use concord_stix::tlp::Tlp;
use concord_store::AnyStore;
use concord_trust::Keypair;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `[sightings]`: by default a sighting goes back to the indicator's
/// author only (its audience), under the indicator's TLP or `min_tlp`,
/// whichever is stricter. `share = "off"` keeps sightings at home;
/// `also_to` widens the audience (members or groups).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SightingsSection {
    /// "author" (default) or "off".
    pub share: String,
    /// Members (identity ids) or groups that receive every sighting too.
    pub also_to: Vec<String>,
    /// The least strict TLP a sighting gets (default amber: a sighting
    /// says where the member was hit).
    pub min_tlp: String,
}

impl Default for SightingsSection {
    fn default() -> Self {
        SightingsSection {
            share: "author".into(),
            also_to: Vec::new(),
            min_tlp: "amber".into(),
        }
    }
}

impl SightingsSection {
    /// Whether nothing differs from the defaults (config.toml leaves it out).
    pub fn is_default(&self) -> bool {
        *self == SightingsSection::default()
    }
}

/// Whom an object answering another member's object goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressing {
    /// The TLP level it is marked with.
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
            false => concord_federation::authoring::Authoring {
                member: me.to_string(),
                key: key.clone(),
                tlp: Some(self.tlp),
                audience: self.audience.clone(),
            }
            .author(object)
            .map_err(IncidentError::from),
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
        None => {
            return Err(IncidentError::Invalid(format!(
                "[sightings] min_tlp {:?} is not a TLP level (clear, green, amber, amber+strict, red)",
                section.min_tlp
            )));
        }
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
        other => {
            return Err(IncidentError::Invalid(format!(
                "[sightings] share {other:?}: expected \"author\" or \"off\""
            )));
        }
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

/// What one member reported of one indicator.
#[derive(Debug, Clone, Serialize)]
pub struct MemberSightings {
    /// The member's STIX identity id.
    pub member: String,
    /// Its sighting objects of the indicator.
    pub sightings: u64,
    /// The sum of their `count` (a sighting without one counts 1).
    pub count: u64,
    /// The earliest `first_seen` among them.
    pub first_seen: Option<String>,
    /// The latest `last_seen` among them.
    pub last_seen: Option<String>,
    /// The member called the indicator (or its sighting) a false positive.
    pub false_positive: bool,
}

/// Everything held about one indicator this member authored.
#[derive(Debug, Clone, Serialize)]
pub struct IndicatorSightings {
    /// The indicator's STIX id.
    pub indicator: String,
    /// Its `name`, if any.
    pub name: Option<String>,
    /// Distinct members (this one included) that sighted it.
    pub members: usize,
    /// Sighting objects, all members together.
    pub sightings: u64,
    /// The sum of their `count`.
    pub count: u64,
    /// The earliest `first_seen`.
    pub first_seen: Option<String>,
    /// The latest `last_seen`.
    pub last_seen: Option<String>,
    /// Members that marked it (or their sighting of it) a false positive.
    pub false_positives: usize,
    /// Per member, by identity id.
    pub by_member: Vec<MemberSightings>,
}

impl std::fmt::Display for IndicatorSightings {
    /// One line: the indicator, who sighted it how often and when, and
    /// the false-positive reports.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {} members, {} sightings, count {}, first {} last {}",
            self.indicator,
            self.name.as_deref().unwrap_or(""),
            self.members,
            self.sightings,
            self.count,
            self.first_seen.as_deref().unwrap_or("-"),
            self.last_seen.as_deref().unwrap_or("-"),
        )?;
        if self.false_positives > 0 {
            write!(f, ", {} false-positive reports", self.false_positives)?;
        }
        Ok(())
    }
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
    let sightings = concord_store::latest_of_type(store, "sighting").await?;
    let opinions = concord_store::latest_of_type(store, "opinion").await?;
    let mut ours: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut by: BTreeMap<String, BTreeMap<String, MemberSightings>> = BTreeMap::new();
    let mut sighting_of: BTreeMap<String, String> = BTreeMap::new();
    for s in &sightings {
        let Some(indicator) = text(s, "sighting_of_ref") else {
            continue;
        };
        if !ours.contains_key(indicator) {
            let Some(i) = concord_store::latest_object(store, indicator).await? else {
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

/// What one matching run saw of one indicator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// Events that hit it.
    pub count: u64,
    /// The first and last event time, microseconds since the epoch.
    pub first_us: i64,
    /// The last.
    pub last_us: i64,
    /// The indicator's TLP as the index knew it (used when the indicator
    /// is no longer held).
    pub tlp: Option<Tlp>,
}

impl Seen {
    /// Counts one hit of `indicator` at `when_us` in `tally` (`tlp`: the
    /// indicator's TLP word as the index knew it).
    pub fn add(
        tally: &mut BTreeMap<String, Seen>,
        indicator: &str,
        when_us: i64,
        tlp: Option<&str>,
    ) {
        let e = tally.entry(indicator.to_string()).or_insert(Seen {
            count: 0,
            first_us: when_us,
            last_us: when_us,
            tlp: tlp.and_then(Tlp::parse),
        });
        e.count += 1;
        e.first_us = e.first_us.min(when_us);
        e.last_us = e.last_us.max(when_us);
    }
}

/// Builds, checks, signs and stores one sighting per indicator seen. Each
/// goes back to the indicator's author (its audience) under the
/// indicator's TLP or stricter, as `[sightings]` says ([`address`]).
/// Returns the sightings' ids.
pub async fn record(
    node: &LocalNode,
    key: &Keypair,
    section: &SightingsSection,
    seen: &BTreeMap<String, Seen>,
) -> Result<Vec<String>> {
    let now = Timestamp::now();
    let me = node.member.as_str();
    let mut objects = Vec::new();
    let mut ids = Vec::new();
    for (indicator, s) in seen {
        let stored = concord_store::latest_object(&node.store, indicator).await?;
        let author = stored.as_ref().and_then(author_of);
        let tlp = stored
            .as_ref()
            .and_then(concord_stix::tlp::of_object)
            .or(s.tlp);
        let to = address(section, me, tlp, &author.into_iter().collect::<Vec<_>>())?;
        let id = concord_stix::id::new_id("sighting");
        let mut map = Map::new();
        for (k, v) in [
            ("type", Value::from("sighting")),
            ("spec_version", "2.1".into()),
            ("id", id.clone().into()),
            ("created", now.to_stix().into()),
            ("modified", now.to_stix().into()),
            ("created_by_ref", me.into()),
            ("sighting_of_ref", indicator.clone().into()),
            ("where_sighted_refs", Value::Array(vec![me.into()])),
            ("count", s.count.min(999_999_999).into()),
            ("first_seen", Timestamp(s.first_us).to_stix().into()),
            ("last_seen", Timestamp(s.last_us).to_stix().into()),
        ] {
            map.insert(k.into(), v);
        }
        objects.push(to.apply(&map, me, key)?);
        ids.push(id);
    }
    crate::actions::store_all(node, objects).await?;
    Ok(ids)
}

/// A false-positive report as stored and sent.
#[derive(Debug, Clone)]
pub struct FalsePositive {
    /// The opinion's id.
    pub id: String,
    /// Whom it goes to.
    pub to: Addressing,
}

/// Tells the author of an indicator (or of a sighting, and of the
/// indicator it sighted) that it is wrong: a STIX `opinion`
/// (`strongly-disagree`, label `false-positive`), addressed like a
/// sighting, signed and stored.
pub async fn false_positive(
    node: &LocalNode,
    key: &Keypair,
    section: &SightingsSection,
    id: &str,
    reason: Option<&str>,
) -> Result<FalsePositive> {
    let me = node.member.as_str();
    let Some(target) = concord_store::latest_object(&node.store, id).await? else {
        return Err(IncidentError::NotFound(format!(
            "this node holds no object {id}"
        )));
    };
    let kind = target
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if kind != "indicator" && kind != "sighting" {
        return Err(IncidentError::Invalid(format!(
            "{id} is a {kind}: only indicators and sightings can be marked false positives"
        )));
    }
    // The target's author, and for a sighting the author of the indicator
    // it sighted.
    let mut authors: Vec<String> = author_of(&target).into_iter().collect();
    if let Some(ind) = target.get("sighting_of_ref").and_then(Value::as_str)
        && let Some(i) = concord_store::latest_object(&node.store, ind).await?
    {
        authors.extend(author_of(&i));
    }
    let to = address(section, me, concord_stix::tlp::of_object(&target), &authors)?;
    let now = Timestamp::now();
    let oid = concord_stix::id::new_id("opinion");
    let mut map = Map::new();
    for (k, v) in [
        ("type", Value::from("opinion")),
        ("spec_version", "2.1".into()),
        ("id", oid.clone().into()),
        ("created", now.to_stix().into()),
        ("modified", now.to_stix().into()),
        ("created_by_ref", me.into()),
        ("opinion", "strongly-disagree".into()),
        ("object_refs", Value::Array(vec![id.into()])),
        ("labels", Value::Array(vec!["false-positive".into()])),
    ] {
        map.insert(k.into(), v);
    }
    if let Some(r) = reason {
        map.insert("explanation".into(), r.into());
    }
    let signed = to.apply(&map, me, key)?;
    crate::actions::store_all(node, vec![signed]).await?;
    Ok(FalsePositive { id: oid, to })
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

#[cfg(test)]
mod tally_tests {
    use super::*;

    #[test]
    fn hits_are_tallied_per_indicator_with_first_and_last_times() {
        let mut tally = BTreeMap::new();
        Seen::add(&mut tally, "indicator--a", 20, Some("amber"));
        Seen::add(&mut tally, "indicator--a", 10, Some("red"));
        Seen::add(&mut tally, "indicator--a", 30, None);
        Seen::add(&mut tally, "indicator--b", 5, None);
        let a = &tally["indicator--a"];
        assert_eq!((a.count, a.first_us, a.last_us), (3, 10, 30));
        assert_eq!(a.tlp, Some(Tlp::Amber), "the TLP of the first hit stays");
        assert_eq!(tally["indicator--b"].count, 1);
    }
}
