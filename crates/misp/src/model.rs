//! The parts of a MISP event that the conversion reads, borrowed from the
//! parsed JSON. Fields the conversion does not use are not read, so they
//! cannot make an event fail.

use std::borrow::Cow;

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::MispError;
use crate::field;
use crate::path::JsonPath;

/// A MISP organisation (`Orgc`, `Org`, a sharing group's member, a
/// sighting's source).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    /// The organisation's UUID, when MISP gave one.
    pub uuid: Option<Uuid>,
    /// Its name.
    pub name: String,
}

/// A MISP sharing group as an event or attribute names it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SharingGroup {
    /// MISP's local numeric id (`sharing_group_id`), as text.
    pub id: Option<String>,
    /// The group's UUID.
    pub uuid: Option<Uuid>,
    /// The group's name.
    pub name: Option<String>,
    /// The organisations in the group (`SharingGroupOrg[].Organisation`).
    pub organisations: Vec<Organisation>,
}

#[derive(Clone)]
pub(crate) struct Cluster<'v> {
    pub(crate) galaxy_type: Cow<'v, str>,
    pub(crate) uuid: Option<Uuid>,
    pub(crate) value: Cow<'v, str>,
    pub(crate) description: Option<Cow<'v, str>>,
    pub(crate) tag_name: Option<Cow<'v, str>>,
    pub(crate) meta: Option<&'v Map<String, Value>>,
    /// A cluster of MISP's public galaxies (`default: true`), as opposed to
    /// one an organisation made for itself.
    pub(crate) is_default: bool,
    pub(crate) distribution: Option<i64>,
}

#[derive(Clone)]
pub(crate) struct Sighting {
    pub(crate) uuid: Option<Uuid>,
    /// 0 sighting, 1 false positive, 2 expiration.
    pub(crate) kind: i64,
    pub(crate) date: Option<i64>,
    pub(crate) source: Option<String>,
    pub(crate) organisation: Option<Organisation>,
}

pub(crate) struct Attribute<'v> {
    pub(crate) path: String,
    pub(crate) uuid: Uuid,
    pub(crate) misp_type: Cow<'v, str>,
    pub(crate) category: Option<Cow<'v, str>>,
    pub(crate) value: Cow<'v, str>,
    pub(crate) to_ids: Option<bool>,
    pub(crate) comment: Option<Cow<'v, str>>,
    pub(crate) timestamp: Option<i64>,
    pub(crate) distribution: Option<i64>,
    pub(crate) sharing_group: Option<SharingGroup>,
    pub(crate) deleted: bool,
    pub(crate) tags: Vec<Cow<'v, str>>,
    pub(crate) clusters: Vec<Cluster<'v>>,
    pub(crate) sightings: Vec<Sighting>,
    pub(crate) object_relation: Option<Cow<'v, str>>,
}

pub(crate) struct MispObject<'v> {
    pub(crate) uuid: Uuid,
    pub(crate) name: Cow<'v, str>,
    pub(crate) meta_category: Option<Cow<'v, str>>,
    pub(crate) comment: Option<Cow<'v, str>>,
    pub(crate) timestamp: Option<i64>,
    pub(crate) distribution: Option<i64>,
    pub(crate) sharing_group: Option<SharingGroup>,
    pub(crate) deleted: bool,
    pub(crate) attributes: Vec<Attribute<'v>>,
}

pub(crate) struct Event<'v> {
    pub(crate) path: String,
    pub(crate) uuid: Uuid,
    pub(crate) info: Cow<'v, str>,
    pub(crate) date: Option<Cow<'v, str>>,
    pub(crate) timestamp: i64,
    pub(crate) published: bool,
    pub(crate) publish_timestamp: Option<i64>,
    pub(crate) distribution: Option<i64>,
    pub(crate) sharing_group: Option<SharingGroup>,
    pub(crate) orgc: Option<Organisation>,
    pub(crate) threat_level_id: Option<i64>,
    pub(crate) analysis: Option<i64>,
    pub(crate) tags: Vec<Cow<'v, str>>,
    pub(crate) clusters: Vec<Cluster<'v>>,
    pub(crate) attributes: Vec<Attribute<'v>>,
    pub(crate) objects: Vec<MispObject<'v>>,
}

fn organisation(obj: &Map<String, Value>, path: &JsonPath<'_>) -> Result<Organisation, MispError> {
    Ok(Organisation {
        uuid: field::uuid(obj, "uuid", path)?,
        name: field::text(obj, "name", path)?
            .map(Cow::into_owned)
            .unwrap_or_default(),
    })
}

fn sharing_group(
    obj: &Map<String, Value>,
    path: &JsonPath<'_>,
) -> Result<Option<SharingGroup>, MispError> {
    let id = field::text(obj, "sharing_group_id", path)?
        .filter(|s| !s.is_empty() && s != "0")
        .map(Cow::into_owned);
    let Some(group) = field::object(obj, "SharingGroup", path)? else {
        return Ok(id.map(|id| SharingGroup {
            id: Some(id),
            ..SharingGroup::default()
        }));
    };
    let gp = path.key("SharingGroup");
    let mut organisations = Vec::new();
    let members_path = gp.key("SharingGroupOrg");
    for (i, m) in field::list(group, "SharingGroupOrg", &gp)?
        .iter()
        .enumerate()
    {
        let mp = members_path.index(i);
        let m = field::item(m, &mp)?;
        if let Some(org) = field::object(m, "Organisation", &mp)? {
            organisations.push(organisation(org, &mp.key("Organisation"))?);
        }
    }
    Ok(Some(SharingGroup {
        id: id.or(field::text(group, "id", &gp)?.map(Cow::into_owned)),
        uuid: field::uuid(group, "uuid", &gp)?,
        name: field::text(group, "name", &gp)?.map(Cow::into_owned),
        organisations,
    }))
}

fn tags<'v>(
    obj: &'v Map<String, Value>,
    path: &JsonPath<'_>,
) -> Result<Vec<Cow<'v, str>>, MispError> {
    let tp = path.key("Tag");
    let mut out = Vec::new();
    for (i, t) in field::list(obj, "Tag", path)?.iter().enumerate() {
        let ip = tp.index(i);
        // Tags appear as {"name": ...} and, in some exports, as
        // {"Tag": {"name": ...}}.
        let t = field::item(t, &ip)?;
        let (t, ip) = match field::object(t, "Tag", &ip)? {
            Some(inner) => (inner, ip.key("Tag")),
            None => (t, ip),
        };
        out.push(field::required_text(t, "name", &ip)?);
    }
    Ok(out)
}

fn clusters<'v>(
    obj: &'v Map<String, Value>,
    path: &JsonPath<'_>,
) -> Result<Vec<Cluster<'v>>, MispError> {
    let gp = path.key("Galaxy");
    let mut out = Vec::new();
    for (i, g) in field::list(obj, "Galaxy", path)?.iter().enumerate() {
        let ip = gp.index(i);
        let g = field::item(g, &ip)?;
        let galaxy_type = field::text(g, "type", &ip)?.unwrap_or(Cow::Borrowed(""));
        let cp = ip.key("GalaxyCluster");
        for (j, c) in field::list(g, "GalaxyCluster", &ip)?.iter().enumerate() {
            let jp = cp.index(j);
            let c = field::item(c, &jp)?;
            out.push(Cluster {
                galaxy_type: field::text(c, "type", &jp)?.unwrap_or_else(|| galaxy_type.clone()),
                uuid: field::uuid(c, "uuid", &jp)?,
                value: field::required_text(c, "value", &jp)?,
                description: field::text(c, "description", &jp)?.filter(|d| !d.is_empty()),
                tag_name: field::text(c, "tag_name", &jp)?,
                meta: field::object(c, "meta", &jp)?,
                is_default: field::boolean(c, "default", &jp)?.unwrap_or(true),
                distribution: field::int(c, "distribution", &jp)?,
            });
        }
    }
    Ok(out)
}

fn sightings(obj: &Map<String, Value>, path: &JsonPath<'_>) -> Result<Vec<Sighting>, MispError> {
    let sp = path.key("Sighting");
    let mut out = Vec::new();
    for (i, s) in field::list(obj, "Sighting", path)?.iter().enumerate() {
        let ip = sp.index(i);
        let s = field::item(s, &ip)?;
        let org = match field::object(s, "Organisation", &ip)? {
            Some(o) => Some(organisation(o, &ip.key("Organisation"))?),
            None => None,
        };
        out.push(Sighting {
            uuid: field::uuid(s, "uuid", &ip)?,
            kind: field::int(s, "type", &ip)?.unwrap_or(0),
            date: field::int(s, "date_sighting", &ip)?,
            source: field::text(s, "source", &ip)?
                .filter(|x| !x.is_empty())
                .map(Cow::into_owned),
            organisation: org,
        });
    }
    Ok(out)
}

pub(crate) fn attribute<'v>(
    a: &'v Map<String, Value>,
    path: &JsonPath<'_>,
) -> Result<Attribute<'v>, MispError> {
    Ok(Attribute {
        path: path.to_string(),
        uuid: field::required_uuid(a, "uuid", path)?,
        misp_type: field::required_text(a, "type", path)?,
        category: field::text(a, "category", path)?,
        value: field::required_text(a, "value", path)?,
        to_ids: field::boolean(a, "to_ids", path)?,
        comment: field::text(a, "comment", path)?.filter(|c| !c.is_empty()),
        timestamp: field::int(a, "timestamp", path)?,
        distribution: field::int(a, "distribution", path)?,
        sharing_group: sharing_group(a, path)?,
        deleted: field::boolean(a, "deleted", path)?.unwrap_or(false),
        tags: tags(a, path)?,
        clusters: clusters(a, path)?,
        sightings: sightings(a, path)?,
        object_relation: field::text(a, "object_relation", path)?,
    })
}

fn misp_object<'v>(
    o: &'v Map<String, Value>,
    path: &JsonPath<'_>,
) -> Result<MispObject<'v>, MispError> {
    let ap = path.key("Attribute");
    let mut attributes = Vec::new();
    for (i, a) in field::list(o, "Attribute", path)?.iter().enumerate() {
        let ip = ap.index(i);
        attributes.push(attribute(field::item(a, &ip)?, &ip)?);
    }
    Ok(MispObject {
        uuid: field::required_uuid(o, "uuid", path)?,
        name: field::required_text(o, "name", path)?,
        meta_category: field::text(o, "meta-category", path)?,
        comment: field::text(o, "comment", path)?.filter(|c| !c.is_empty()),
        timestamp: field::int(o, "timestamp", path)?,
        distribution: field::int(o, "distribution", path)?,
        sharing_group: sharing_group(o, path)?,
        deleted: field::boolean(o, "deleted", path)?.unwrap_or(false),
        attributes,
    })
}

/// Reads one event: `e` is the object inside `{"Event": ...}`.
pub(crate) fn event<'v>(
    e: &'v Map<String, Value>,
    path: &JsonPath<'_>,
) -> Result<Event<'v>, MispError> {
    let ap = path.key("Attribute");
    let mut attributes = Vec::new();
    for (i, a) in field::list(e, "Attribute", path)?.iter().enumerate() {
        let ip = ap.index(i);
        attributes.push(attribute(field::item(a, &ip)?, &ip)?);
    }
    let op = path.key("Object");
    let mut objects = Vec::new();
    for (i, o) in field::list(e, "Object", path)?.iter().enumerate() {
        let ip = op.index(i);
        objects.push(misp_object(field::item(o, &ip)?, &ip)?);
    }
    let orgc = match field::object(e, "Orgc", path)? {
        Some(o) => Some(organisation(o, &path.key("Orgc"))?),
        None => None,
    };
    let timestamp = field::int(e, "timestamp", path)?
        .or(field::int(e, "publish_timestamp", path)?)
        .ok_or_else(|| {
            MispError::shape(
                path.key("timestamp").to_string(),
                "an event needs a timestamp: it gives the version of everything made from it",
            )
        })?;
    Ok(Event {
        path: path.to_string(),
        uuid: field::required_uuid(e, "uuid", path)?,
        info: field::text(e, "info", path)?.unwrap_or(Cow::Borrowed("")),
        date: field::text(e, "date", path)?,
        timestamp,
        published: field::boolean(e, "published", path)?.unwrap_or(false),
        publish_timestamp: field::int(e, "publish_timestamp", path)?.filter(|t| *t > 0),
        distribution: field::int(e, "distribution", path)?,
        sharing_group: sharing_group(e, path)?,
        orgc,
        threat_level_id: field::int(e, "threat_level_id", path)?,
        analysis: field::int(e, "analysis", path)?,
        tags: tags(e, path)?,
        clusters: clusters(e, path)?,
        attributes,
        objects,
    })
}
