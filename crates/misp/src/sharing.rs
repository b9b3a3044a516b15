//! From MISP distribution levels, sharing groups and `tlp:*` tags to
//! concord's sharing decision: a TLP level and who may receive.
//!
//! The rules (FEDERATION.md section 4):
//!
//! | MISP | concord |
//! | --- | --- |
//! | 0 your organisation only | unmarked: never leaves the node |
//! | 1 this community | GREEN, recipients do not relay |
//! | 2 connected communities | GREEN, members may relay |
//! | 3 all communities | CLEAR |
//! | 4 sharing group | GREEN, audience = the charter members the group maps to (or the charter group of that name); none mapped → nobody |
//! | 5 inherit | the event's |
//!
//! A `tlp:*` tag on the same level (event, object or attribute) sets the
//! TLP level instead of the distribution's (`tlp:white` and `tlp:clear` are
//! CLEAR; `tlp:amber+strict` is AMBER+STRICT); a sharing group's audience
//! still applies. An attribute is then held to its event and its object as
//! well: the most restrictive of them wins (the higher TLP level, the
//! narrower audience, and "never leaves" over everything).

use std::collections::BTreeSet;

use concord_stix::tlp::Tlp;
use concord_trust::{Audience, Relay};

use crate::model::{Organisation, SharingGroup};

/// Who may receive an object, besides what its TLP level allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// Never leaves this node (MISP "your organisation only"): the object
    /// stays unmarked.
    Node,
    /// Whoever the TLP level allows.
    Community,
    /// Only these charter member ids or group names (a sharing group).
    Members(BTreeSet<String>),
    /// Nobody: a sharing group that is empty or maps to no member.
    Nobody,
}

/// The sharing decision for one object: the caller marks (this crate has
/// already set `object_marking_refs` from `tlp`), sets the audience
/// extension with [`Sharing::audience`], and signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sharing {
    /// The TLP level; `None` only with [`Reach::Node`].
    pub tlp: Option<Tlp>,
    /// Who may receive it.
    pub reach: Reach,
    /// Whether recipients may forward it (MISP "this community" is direct
    /// peers only).
    pub relay: Relay,
}

/// Maps a MISP sharing group to charter members. The caller supplies it
/// (the charter is not this crate's to read). `Sync`: a large event's
/// attributes are converted on several threads.
pub trait GroupResolver: Sync {
    /// The member ids (or a charter group name) the group reaches. An
    /// empty answer means nobody.
    fn resolve(&self, group: &SharingGroup) -> Vec<String>;
}

/// A resolver from explicit tables: organisation UUIDs and names to member
/// ids, and the charter's group names. A sharing group whose name is a
/// charter group resolves to that group; otherwise each organisation is
/// looked up by UUID, then by name (case-insensitively), and unmapped
/// organisations are dropped.
#[derive(Debug, Clone, Default)]
pub struct MemberDirectory {
    by_uuid: std::collections::HashMap<uuid::Uuid, String>,
    by_name: std::collections::HashMap<String, String>,
    groups: BTreeSet<String>,
}

impl MemberDirectory {
    /// An empty directory: every sharing group resolves to nobody.
    pub fn new() -> MemberDirectory {
        MemberDirectory::default()
    }

    /// The charter's members by name (and by member id) and its groups by
    /// name. A member resolves to its STIX identity id: audiences and the
    /// sharing policy name members by it.
    pub fn from_charter(charter: &concord_trust::Charter) -> MemberDirectory {
        let mut d = MemberDirectory::new();
        for (id, member) in &charter.members {
            d.by_name
                .insert(member.name.to_lowercase(), member.identity.clone());
            d.by_name.insert(id.to_lowercase(), member.identity.clone());
        }
        d.groups.extend(charter.groups.keys().cloned());
        d
    }

    /// Maps a MISP organisation UUID to a member id.
    pub fn with_organisation_uuid(mut self, org: uuid::Uuid, member: &str) -> MemberDirectory {
        self.by_uuid.insert(org, member.to_string());
        self
    }

    /// Maps a MISP organisation name to a member id.
    pub fn with_organisation_name(mut self, org: &str, member: &str) -> MemberDirectory {
        self.by_name.insert(org.to_lowercase(), member.to_string());
        self
    }

    /// Names a charter group.
    pub fn with_group(mut self, group: &str) -> MemberDirectory {
        self.groups.insert(group.to_string());
        self
    }

    fn member_of(&self, org: &Organisation) -> Option<&String> {
        org.uuid
            .and_then(|u| self.by_uuid.get(&u))
            .or_else(|| self.by_name.get(&org.name.to_lowercase()))
    }
}

impl GroupResolver for MemberDirectory {
    fn resolve(&self, group: &SharingGroup) -> Vec<String> {
        if let Some(name) = &group.name
            && self.groups.contains(name)
        {
            return vec![name.clone()];
        }
        let mut out: Vec<String> = group
            .organisations
            .iter()
            .filter_map(|o| self.member_of(o).cloned())
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

impl Sharing {
    /// Never leaves the node.
    pub fn node() -> Sharing {
        Sharing {
            tlp: None,
            reach: Reach::Node,
            relay: Relay::None,
        }
    }

    /// Whoever the level allows, relayed by members.
    pub fn tlp(tlp: Tlp) -> Sharing {
        Sharing {
            tlp: Some(tlp),
            reach: Reach::Community,
            relay: Relay::Members,
        }
    }

    /// The audience extension this decision asks for, if any: for a
    /// sharing group, its members; for nobody, `never_export` with the
    /// author's own member id as the audience (the extension needs one);
    /// for "this community only", no relay. `None` when the TLP level says
    /// it all.
    pub fn audience(&self, own_member: &str) -> Option<Audience> {
        match &self.reach {
            Reach::Node => None,
            Reach::Community if self.relay == Relay::Members => None,
            Reach::Community => None,
            Reach::Members(m) => Some(Audience {
                audience: m.iter().cloned().collect(),
                relay: Relay::None,
                retain_days: None,
                never_export: false,
            }),
            Reach::Nobody => Some(Audience {
                audience: vec![own_member.to_string()],
                relay: Relay::None,
                retain_days: None,
                never_export: true,
            }),
        }
    }

    /// The stricter of two decisions: the higher TLP level, the narrower
    /// reach, no relay if either forbids it.
    pub fn restrict(&self, other: &Sharing) -> Sharing {
        let reach = match (&self.reach, &other.reach) {
            (Reach::Node, _) | (_, Reach::Node) => return Sharing::node(),
            (Reach::Nobody, _) | (_, Reach::Nobody) => Reach::Nobody,
            (Reach::Members(a), Reach::Members(b)) => {
                let both: BTreeSet<String> = a.intersection(b).cloned().collect();
                if both.is_empty() {
                    Reach::Nobody
                } else {
                    Reach::Members(both)
                }
            }
            (Reach::Members(a), Reach::Community) | (Reach::Community, Reach::Members(a)) => {
                Reach::Members(a.clone())
            }
            (Reach::Community, Reach::Community) => Reach::Community,
        };
        Sharing {
            tlp: self.tlp.max(other.tlp),
            reach,
            relay: if self.relay == Relay::None || other.relay == Relay::None {
                Relay::None
            } else {
                Relay::Members
            },
        }
    }

    /// Whether everyone who may receive `other` may also receive `self`:
    /// then `other` may refer to `self` without being withheld for it.
    pub fn covers(&self, other: &Sharing) -> bool {
        if other.reach == Reach::Node {
            return true;
        }
        let tlp_ok = match (self.tlp, other.tlp) {
            (Some(a), Some(b)) => a <= b,
            _ => false,
        };
        let reach_ok = match (&self.reach, &other.reach) {
            (_, Reach::Nobody) => self.reach != Reach::Node,
            (Reach::Community, _) => true,
            (Reach::Members(a), Reach::Members(b)) => b.is_subset(a),
            _ => false,
        };
        let relay_ok = self.relay == Relay::Members || other.relay == Relay::None;
        tlp_ok && reach_ok && relay_ok
    }

    /// The wider of two decisions, for an object (an SCO) that several
    /// objects of different sharing refer to: whoever may see any referrer
    /// may see it, since the referrer shows its value anyway.
    pub fn widen(&self, other: &Sharing) -> Sharing {
        if self.covers(other) {
            return self.clone();
        }
        if other.covers(self) {
            return other.clone();
        }
        let reach = match (&self.reach, &other.reach) {
            (Reach::Members(a), Reach::Members(b)) => Reach::Members(a.union(b).cloned().collect()),
            (Reach::Members(a), _) | (_, Reach::Members(a)) => Reach::Members(a.clone()),
            _ => Reach::Community,
        };
        Sharing {
            tlp: match (self.tlp, other.tlp) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
            reach,
            relay: if self.relay == Relay::Members || other.relay == Relay::Members {
                Relay::Members
            } else {
                Relay::None
            },
        }
    }

    /// A short stable key naming the decision, for ids of objects made
    /// per decision.
    pub(crate) fn key(&self) -> String {
        let tlp = self.tlp.map_or("none", Tlp::word);
        let reach = match &self.reach {
            Reach::Node => "node".to_string(),
            Reach::Community => "community".to_string(),
            Reach::Nobody => "nobody".to_string(),
            Reach::Members(m) => format!(
                "members:{}",
                m.iter().cloned().collect::<Vec<_>>().join(",")
            ),
        };
        let relay = if self.relay == Relay::None {
            "direct"
        } else {
            "relay"
        };
        format!("{tlp}/{reach}/{relay}")
    }
}

/// The TLP level a tag names (`tlp:white`, `tlp:clear`, `tlp:amber+strict`...),
/// `None` for any other tag. `tlp:ex:*` and other TLP-like tags are not
/// TLP 2.0 levels and stay labels.
pub fn tlp_of_tag(tag: &str) -> Option<Tlp> {
    let t = tag.trim();
    let lower = t.to_ascii_lowercase();
    let level = lower.strip_prefix("tlp:")?;
    match level {
        "white" | "clear" => Some(Tlp::Clear),
        "green" => Some(Tlp::Green),
        "amber" => Some(Tlp::Amber),
        "amber+strict" => Some(Tlp::AmberStrict),
        "red" => Some(Tlp::Red),
        _ => None,
    }
}

/// One level's decision (event, object or attribute) before inheritance:
/// `None` for distribution 5 (inherit) with no TLP tag.
pub(crate) fn level_sharing(
    distribution: Option<i64>,
    group: Option<&SharingGroup>,
    tags: &[std::borrow::Cow<'_, str>],
    resolver: &dyn GroupResolver,
) -> Option<Sharing> {
    let tag_tlp = tags.iter().filter_map(|t| tlp_of_tag(t)).max();
    let from_distribution = match distribution {
        Some(0) => Some(Sharing::node()),
        Some(1) => Some(Sharing {
            relay: Relay::None,
            ..Sharing::tlp(Tlp::Green)
        }),
        Some(2) => Some(Sharing::tlp(Tlp::Green)),
        Some(3) => Some(Sharing::tlp(Tlp::Clear)),
        Some(4) => {
            let members = group.map(|g| resolver.resolve(g)).unwrap_or_default();
            let members: BTreeSet<String> = members.into_iter().filter(|m| !m.is_empty()).collect();
            Some(Sharing {
                tlp: Some(Tlp::Green),
                reach: if members.is_empty() {
                    Reach::Nobody
                } else {
                    Reach::Members(members)
                },
                relay: Relay::None,
            })
        }
        // 5 (inherit), absent, or a value MISP does not define: inherit.
        _ => None,
    };
    match (from_distribution, tag_tlp) {
        (None, None) => None,
        (None, Some(t)) => Some(Sharing::tlp(t)),
        (Some(s), None) => Some(s),
        (Some(s), Some(t)) => Some(Sharing {
            tlp: Some(t),
            reach: if s.reach == Reach::Node {
                Reach::Community
            } else {
                s.reach
            },
            relay: s.relay,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn group(names: &[&str]) -> SharingGroup {
        SharingGroup {
            name: Some("sg".into()),
            organisations: names
                .iter()
                .map(|n| Organisation {
                    uuid: None,
                    name: (*n).to_string(),
                })
                .collect(),
            ..SharingGroup::default()
        }
    }

    #[test]
    fn distribution_levels() {
        let dir = MemberDirectory::new().with_organisation_name("CERT-A", "identity--a");
        let none: [Cow<'_, str>; 0] = [];
        assert_eq!(
            level_sharing(Some(0), None, &none, &dir),
            Some(Sharing::node())
        );
        assert_eq!(
            level_sharing(Some(1), None, &none, &dir).unwrap().tlp,
            Some(Tlp::Green)
        );
        assert_eq!(
            level_sharing(Some(1), None, &none, &dir).unwrap().relay,
            Relay::None
        );
        assert_eq!(
            level_sharing(Some(2), None, &none, &dir),
            Some(Sharing::tlp(Tlp::Green))
        );
        assert_eq!(
            level_sharing(Some(3), None, &none, &dir),
            Some(Sharing::tlp(Tlp::Clear))
        );
        assert_eq!(level_sharing(Some(5), None, &none, &dir), None);
        let g = group(&["cert-a", "Unknown Org"]);
        let s = level_sharing(Some(4), Some(&g), &none, &dir).unwrap();
        assert_eq!(s.reach, Reach::Members(["identity--a".to_string()].into()));
        let empty = group(&["Unknown Org"]);
        assert_eq!(
            level_sharing(Some(4), Some(&empty), &none, &dir)
                .unwrap()
                .reach,
            Reach::Nobody
        );
        assert_eq!(
            level_sharing(Some(4), None, &none, &dir).unwrap().reach,
            Reach::Nobody
        );
    }

    #[test]
    fn tlp_tags_override_the_level() {
        let dir = MemberDirectory::new();
        let tags = [Cow::Borrowed("tlp:amber+strict")];
        let s = level_sharing(Some(3), None, &tags, &dir).unwrap();
        assert_eq!(s.tlp, Some(Tlp::AmberStrict));
        let white = [Cow::Borrowed("tlp:white")];
        assert_eq!(
            level_sharing(None, None, &white, &dir).unwrap().tlp,
            Some(Tlp::Clear)
        );
        assert_eq!(tlp_of_tag("TLP:CLEAR"), Some(Tlp::Clear));
        assert_eq!(tlp_of_tag("tlp:ex:chr"), None);
    }

    #[test]
    fn most_restrictive_wins() {
        let green = Sharing::tlp(Tlp::Green);
        let clear = Sharing::tlp(Tlp::Clear);
        assert_eq!(green.restrict(&clear), green);
        assert_eq!(clear.restrict(&Sharing::node()), Sharing::node());
        let a = Sharing {
            reach: Reach::Members(["a".to_string(), "b".to_string()].into()),
            ..green.clone()
        };
        let b = Sharing {
            reach: Reach::Members(["b".to_string()].into()),
            ..green.clone()
        };
        assert_eq!(
            a.restrict(&b).reach,
            Reach::Members(["b".to_string()].into())
        );
        assert!(clear.covers(&green));
        assert!(!green.covers(&clear));
        assert!(a.covers(&b) && !b.covers(&a));
        assert_eq!(a.widen(&b), a);
        assert!(green.covers(&Sharing::node()));
        assert!(!Sharing::node().covers(&green));
    }

    #[test]
    fn charter_groups_resolve_by_name() {
        let dir = MemberDirectory::new().with_group("health-isac");
        let mut g = group(&[]);
        g.name = Some("health-isac".into());
        assert_eq!(dir.resolve(&g), vec!["health-isac".to_string()]);
        let nobody = Sharing {
            reach: Reach::Nobody,
            ..Sharing::tlp(Tlp::Green)
        };
        let a = nobody.audience("identity--me").unwrap();
        assert!(a.never_export);
    }
}
