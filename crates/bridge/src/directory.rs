//! Who MISP's organisations and sharing groups are in the community, both
//! ways: a sharing group read from MISP reaches the charter members its
//! organisations map to (by name, member id or UUID) or the charter group
//! of its name; an audience written to MISP becomes a sharing group named
//! after its members or its group.
//!
//! The charter's members and groups come first (concord_community's view),
//! then the configured peers outside it. A member's MISP organisation UUID
//! is the UUID of its STIX identity id, so an organisation that MISP and
//! concord both know by that UUID maps without a name.

use std::collections::{BTreeMap, BTreeSet};

use concord_federation::LocalNode;
use concord_misp::{AudienceNaming, MemberDirectory, Organisation};
use concord_trust::PublicKey;
use uuid::Uuid;

use crate::Result;

/// The members and groups of the community as MISP sees them.
#[derive(Debug, Clone)]
pub struct Directory {
    me: String,
    org: String,
    /// Identity id to the name shown in MISP.
    names: BTreeMap<String, String>,
    groups: BTreeSet<String>,
    resolver: MemberDirectory,
}

/// One member as the directory takes it.
#[derive(Debug, Clone, Default)]
pub struct Entry {
    /// Its STIX identity id.
    pub identity: String,
    /// Its organisation's name (shown in MISP).
    pub name: String,
    /// Other names it goes by: its charter member id, its peer name.
    pub aliases: Vec<String>,
    /// The groups it belongs to.
    pub groups: Vec<String>,
}

fn uuid_of(identity: &str) -> Option<Uuid> {
    identity
        .strip_prefix("identity--")
        .and_then(|u| Uuid::parse_str(u).ok())
}

impl Directory {
    /// A directory of `members`; `me` is this member's identity id and
    /// `org` its organisation's name (it maps to `me`).
    pub fn new(me: &str, org: &str, members: impl IntoIterator<Item = Entry>) -> Directory {
        let mut resolver = MemberDirectory::new();
        let mut names = BTreeMap::new();
        let mut groups = BTreeSet::new();
        let own = Entry {
            identity: me.to_string(),
            name: org.to_string(),
            ..Entry::default()
        };
        for m in std::iter::once(own).chain(members) {
            if m.identity.is_empty() {
                continue;
            }
            if let Some(u) = uuid_of(&m.identity) {
                resolver = resolver.with_organisation_uuid(u, &m.identity);
            }
            for n in std::iter::once(&m.name).chain(&m.aliases) {
                if !n.is_empty() {
                    resolver = resolver.with_organisation_name(n, &m.identity);
                }
            }
            if !m.name.is_empty() {
                names.entry(m.identity.clone()).or_insert(m.name.clone());
            }
            groups.extend(m.groups.iter().cloned());
        }
        for g in &groups {
            resolver = resolver.with_group(g);
        }
        Directory {
            me: me.to_string(),
            org: org.to_string(),
            names,
            groups,
            resolver,
        }
    }

    /// The node's directory: the adopted charter's members (organisation
    /// names, member ids, groups) and the configured peers.
    pub async fn of_node(node: &LocalNode, own: &PublicKey, org: &str) -> Result<Directory> {
        let membership = concord_federation::membership::current(node, own).await?;
        let view = concord_community::view(&node.data_dir)
            .map_err(concord_federation::FederationError::from)?;
        let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
        let mut own_groups = Vec::new();
        if let Some(view) = &view {
            for m in &view.members {
                if m.identity == node.member {
                    own_groups = m.groups.clone();
                }
                entries.insert(
                    m.identity.clone(),
                    Entry {
                        identity: m.identity.clone(),
                        name: m.name.clone(),
                        aliases: vec![m.member.clone()],
                        groups: m.groups.clone(),
                    },
                );
            }
        }
        for m in &membership.members {
            let e = entries
                .entry(m.record.member.clone())
                .or_insert_with(|| Entry {
                    identity: m.record.member.clone(),
                    name: m.record.name.clone(),
                    ..Entry::default()
                });
            e.aliases.push(m.record.name.clone());
            e.groups.extend(m.groups.iter().cloned());
        }
        // This member is in the charter too: its groups are names audiences use.
        let mut all: Vec<Entry> = entries
            .into_values()
            .filter(|e| e.identity != node.member)
            .collect();
        all.push(Entry {
            identity: node.member.clone(),
            groups: own_groups,
            ..Entry::default()
        });
        Ok(Directory::new(&node.member, org, all))
    }

    /// The resolver the MISP importer maps sharing groups with.
    pub fn resolver(&self) -> &MemberDirectory {
        &self.resolver
    }

    /// This member as a MISP organisation (the `Orgc` of what it exports).
    pub fn organisation(&self) -> Organisation {
        Organisation {
            uuid: uuid_of(&self.me),
            name: self.org.clone(),
        }
    }
}

impl AudienceNaming for Directory {
    /// A charter group alone keeps its name (it maps back to the group on
    /// import); members are named by their organisations, in order.
    fn sharing_group(&self, audience: &[String]) -> Option<String> {
        if let [one] = audience
            && self.groups.contains(one)
        {
            return Some(one.clone());
        }
        let mut named: Vec<&str> = audience
            .iter()
            .map(|a| self.names.get(a).map_or(a.as_str(), String::as_str))
            .collect();
        named.sort_unstable();
        named.dedup();
        (!named.is_empty()).then(|| named.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use concord_misp::{GroupResolver, SharingGroup};

    const ME: &str = "identity--00000000-0000-4000-8000-000000000001";
    const NORTH: &str = "identity--1f0c5a9e-0b0c-4f43-9a3f-3d7c7a2b0a01";

    fn directory() -> Directory {
        Directory::new(
            ME,
            "CERT-Here",
            [Entry {
                identity: NORTH.into(),
                name: "CERT-North".into(),
                aliases: vec!["north".into()],
                groups: vec!["health-isac".into()],
            }],
        )
    }

    fn group(name: &str, orgs: &[(&str, Option<&str>)]) -> SharingGroup {
        SharingGroup {
            name: Some(name.into()),
            organisations: orgs
                .iter()
                .map(|(n, u)| Organisation {
                    uuid: u.map(|u| u.parse().unwrap()),
                    name: (*n).into(),
                })
                .collect(),
            ..SharingGroup::default()
        }
    }

    #[test]
    fn sharing_groups_resolve_to_identities_and_groups() {
        let d = directory();
        let r = d.resolver();
        assert_eq!(
            r.resolve(&group("x", &[("cert-north", None), ("Stranger", None)])),
            vec![NORTH.to_string()]
        );
        assert_eq!(
            r.resolve(&group(
                "x",
                &[("whoever", Some("1f0c5a9e-0b0c-4f43-9a3f-3d7c7a2b0a01"))]
            )),
            vec![NORTH.to_string()]
        );
        assert_eq!(
            r.resolve(&group("x", &[("CERT-Here", None)])),
            vec![ME.to_string()]
        );
        assert_eq!(
            r.resolve(&group("health-isac", &[])),
            vec!["health-isac".to_string()]
        );
        assert!(r.resolve(&group("x", &[("Stranger", None)])).is_empty());
    }

    #[test]
    fn audiences_are_named_for_misp() {
        let d = directory();
        assert_eq!(
            d.sharing_group(&["health-isac".into()]),
            Some("health-isac".into())
        );
        assert_eq!(
            d.sharing_group(&[NORTH.into(), ME.into()]),
            Some("CERT-Here, CERT-North".into())
        );
        assert_eq!(d.organisation().name, "CERT-Here");
        assert_eq!(
            d.organisation().uuid.map(|u| u.to_string()).as_deref(),
            Some("00000000-0000-4000-8000-000000000001")
        );
    }
}
