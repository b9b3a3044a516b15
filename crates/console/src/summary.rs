//! What a list row or a graph node shows of an object: read from its JSON
//! without trusting any property to be there or to have the right shape.

use concord_stix::tlp::Tlp;
use concord_store::StoredObject;
use serde_json::{Map, Value};

/// The displayed essentials of one object version.
#[derive(Debug, Clone)]
pub(crate) struct Summary {
    pub id: String,
    pub object_type: String,
    /// `name`, else `value`, else `pattern`, else the id.
    pub title: String,
    pub tlp: Option<Tlp>,
    pub labels: Vec<String>,
    pub version: String,
    pub revoked: bool,
    /// `created_by_ref`: the author's identity id.
    pub author: Option<String>,
}

impl Summary {
    pub(crate) fn of(o: &StoredObject) -> Summary {
        let map: Map<String, Value> = serde_json::from_str(&o.json).unwrap_or_default();
        Summary::from_map(o, &map)
    }

    pub(crate) fn from_map(o: &StoredObject, map: &Map<String, Value>) -> Summary {
        let text = |k: &str| map.get(k).and_then(Value::as_str).map(str::to_string);
        let title = text("name")
            .or_else(|| text("value"))
            .or_else(|| text("pattern"))
            .or_else(|| text("abstract"))
            .unwrap_or_else(|| o.id.clone());
        Summary {
            id: o.id.clone(),
            object_type: o.object_type.clone(),
            title: truncate(&title, 120),
            tlp: concord_stix::tlp::of_object(map),
            labels: map
                .get("labels")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            version: o.version.clone(),
            revoked: map.get("revoked").and_then(Value::as_bool).unwrap_or(false),
            author: text("created_by_ref"),
        }
    }

    /// The CSS class and text of the TLP badge.
    pub(crate) fn tlp_class(&self) -> &'static str {
        tlp_class(self.tlp)
    }

    pub(crate) fn tlp_name(&self) -> &'static str {
        self.tlp.map_or("—", Tlp::name)
    }
}

pub(crate) fn tlp_class(t: Option<Tlp>) -> &'static str {
    match t {
        Some(Tlp::Clear) => "tlp tlp-clear",
        Some(Tlp::Green) => "tlp tlp-green",
        Some(Tlp::Amber) => "tlp tlp-amber",
        Some(Tlp::AmberStrict) => "tlp tlp-amber-strict",
        Some(Tlp::Red) => "tlp tlp-red",
        None => "tlp tlp-none",
    }
}

/// At most `max` characters, with an ellipsis when cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}
