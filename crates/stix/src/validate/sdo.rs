//! STIX Domain Objects (§4) and Relationship Objects (§5): their property
//! tables, timestamp orderings, and the rules that tie properties together.
//! Custom object types with `created`/`modified` are checked against the
//! common properties only.

use serde_json::{Map, Value};

use super::common::{self, CORE, Order, order};
use super::props::{Kind, Refs, Spec, Unknown, check_object_props, p};
use super::vocab::*;
use super::{Cx, Path};
use crate::object::{SCO_TYPES, SDO_TYPES};

const KCP: Kind = Kind::KillChainPhases;
const ANY_REFS: Kind = Kind::RefList(Refs::Any);
const SOFTWARE: &[&str] = &["software"];
/// What a relationship may not point at (§5.1: SDOs and SCOs only).
const NOT_RELATABLE: &[&str] = &[
    "bundle",
    "language-content",
    "marking-definition",
    "relationship",
    "sighting",
];

const FIRST_LAST_SEEN: &[Order] = &[order("first_seen", "last_seen", false)];

/// A rule across several properties of one object.
type CrossRule = fn(&mut Cx, &Map<String, Value>, &Path);

/// The table of one type and its orderings.
struct TypeRules {
    spec: Spec,
    orders: &'static [Order],
    /// Rules across properties, after the table.
    extra: Option<CrossRule>,
}

const fn rules(spec: Spec, orders: &'static [Order]) -> TypeRules {
    TypeRules {
        spec,
        orders,
        extra: None,
    }
}

const NAMED: Spec = Spec::new(&["name"], &[], &[p("name", Kind::Str)]);

fn rules_of(object_type: &str) -> Option<&'static TypeRules> {
    Some(match object_type {
        "attack-pattern" => &R_ATTACK_PATTERN,
        "campaign" => &R_CAMPAIGN,
        "course-of-action" | "incident" | "vulnerability" => &R_COURSE_OF_ACTION,
        "grouping" => &R_GROUPING,
        "identity" => &R_IDENTITY,
        "indicator" => &R_INDICATOR,
        "infrastructure" => &R_INFRASTRUCTURE,
        "intrusion-set" => &R_INTRUSION_SET,
        "location" => &R_LOCATION,
        "malware" => &R_MALWARE,
        "malware-analysis" => &R_MALWARE_ANALYSIS,
        "note" => &R_NOTE,
        "observed-data" => &R_OBSERVED_DATA,
        "opinion" => &R_OPINION,
        "report" => &R_REPORT,
        "threat-actor" => &R_THREAT_ACTOR,
        "tool" => &R_TOOL,
        "relationship" => &R_RELATIONSHIP,
        "sighting" => &R_SIGHTING,
        _ => return None,
    })
}

const R_ATTACK_PATTERN: TypeRules = rules(
    Spec::new(
        &["name"],
        &[],
        &[
            p("name", Kind::Str),
            p("aliases", Kind::StrList),
            p("kill_chain_phases", KCP),
        ],
    ),
    &[],
);

const R_CAMPAIGN: TypeRules = rules(
    Spec::new(
        &["name"],
        &[],
        &[
            p("name", Kind::Str),
            p("aliases", Kind::StrList),
            p("first_seen", Kind::Timestamp),
            p("last_seen", Kind::Timestamp),
            p("objective", Kind::Str),
        ],
    ),
    FIRST_LAST_SEEN,
);

const R_COURSE_OF_ACTION: TypeRules = rules(NAMED, &[]);

const R_GROUPING: TypeRules = rules(
    Spec::new(
        &["context", "object_refs"],
        &[],
        &[
            p("name", Kind::Str),
            p("context", Kind::Vocab(GROUPING_CONTEXT_OV)),
            p("object_refs", ANY_REFS),
        ],
    ),
    &[],
);

const R_IDENTITY: TypeRules = rules(
    Spec::new(
        &["name"],
        &[],
        &[
            p("name", Kind::Str),
            p("roles", Kind::StrList),
            p("identity_class", Kind::Vocab(IDENTITY_CLASS_OV)),
            p("sectors", Kind::VocabList(INDUSTRY_SECTOR_OV)),
            p("contact_information", Kind::Str),
        ],
    ),
    &[],
);

const R_INDICATOR: TypeRules = TypeRules {
    spec: Spec::new(
        &["pattern", "pattern_type", "valid_from"],
        &[],
        &[
            p("name", Kind::Str),
            p("indicator_types", Kind::VocabList(INDICATOR_TYPE_OV)),
            p("pattern", Kind::Str),
            p("pattern_type", Kind::Vocab(INDICATOR_PATTERN_OV)),
            p("pattern_version", Kind::Str),
            p("valid_from", Kind::Timestamp),
            p("valid_until", Kind::Timestamp),
            p("kill_chain_phases", KCP),
        ],
    ),
    orders: &[order("valid_from", "valid_until", true)],
    extra: Some(indicator),
};

const R_INFRASTRUCTURE: TypeRules = rules(
    Spec::new(
        &["name"],
        &[],
        &[
            p("name", Kind::Str),
            p(
                "infrastructure_types",
                Kind::VocabList(INFRASTRUCTURE_TYPE_OV),
            ),
            p("aliases", Kind::StrList),
            p("kill_chain_phases", KCP),
            p("first_seen", Kind::Timestamp),
            p("last_seen", Kind::Timestamp),
        ],
    ),
    FIRST_LAST_SEEN,
);

const R_INTRUSION_SET: TypeRules = rules(
    Spec::new(
        &["name"],
        &[],
        &[
            p("name", Kind::Str),
            p("aliases", Kind::StrList),
            p("first_seen", Kind::Timestamp),
            p("last_seen", Kind::Timestamp),
            p("goals", Kind::StrList),
            p("resource_level", Kind::Vocab(ATTACK_RESOURCE_LEVEL_OV)),
            p("primary_motivation", Kind::Vocab(ATTACK_MOTIVATION_OV)),
            p(
                "secondary_motivations",
                Kind::VocabList(ATTACK_MOTIVATION_OV),
            ),
        ],
    ),
    FIRST_LAST_SEEN,
);

const R_LOCATION: TypeRules = TypeRules {
    spec: Spec::new(
        &[],
        &[],
        &[
            p("name", Kind::Str),
            p("latitude", Kind::Num(-90.0, 90.0)),
            p("longitude", Kind::Num(-180.0, 180.0)),
            p("precision", Kind::Num(f64::NEG_INFINITY, f64::INFINITY)),
            p("region", Kind::Vocab(REGION_OV)),
            p("country", Kind::Str),
            p("administrative_area", Kind::Str),
            p("city", Kind::Str),
            p("street_address", Kind::Str),
            p("postal_code", Kind::Str),
        ],
    ),
    orders: &[],
    extra: Some(location),
};

const R_MALWARE: TypeRules = TypeRules {
    spec: Spec::new(
        &["is_family"],
        &[],
        &[
            p("name", Kind::Str),
            p("is_family", Kind::Bool),
            p("malware_types", Kind::VocabList(MALWARE_TYPE_OV)),
            p("aliases", Kind::StrList),
            p("kill_chain_phases", KCP),
            p("first_seen", Kind::Timestamp),
            p("last_seen", Kind::Timestamp),
            p("operating_system_refs", Kind::RefList(Refs::To(SOFTWARE))),
            p(
                "architecture_execution_envs",
                Kind::VocabList(PROCESSOR_ARCHITECTURE_OV),
            ),
            p(
                "implementation_languages",
                Kind::VocabList(IMPLEMENTATION_LANGUAGES_OV),
            ),
            p("capabilities", Kind::VocabList(MALWARE_CAPABILITIES_OV)),
            p(
                "sample_refs",
                Kind::RefList(Refs::To(&["artifact", "file"])),
            ),
        ],
    ),
    orders: FIRST_LAST_SEEN,
    extra: Some(malware),
};

const R_MALWARE_ANALYSIS: TypeRules = rules(
    Spec::new(
        &["product"],
        &["result", "analysis_sco_refs"],
        &[
            p("product", Kind::Str),
            p("version", Kind::Str),
            p("host_vm_ref", Kind::Ref(Refs::To(SOFTWARE))),
            p("operating_system_ref", Kind::Ref(Refs::To(SOFTWARE))),
            p("installed_software_refs", Kind::RefList(Refs::To(SOFTWARE))),
            p("configuration_version", Kind::Str),
            p("modules", Kind::StrList),
            p("analysis_engine_version", Kind::Str),
            p("analysis_definition_version", Kind::Str),
            p("submitted", Kind::Timestamp),
            p("analysis_started", Kind::Timestamp),
            p("analysis_ended", Kind::Timestamp),
            p("result_name", Kind::Str),
            p("result", Kind::Vocab(MALWARE_RESULT_OV)),
            p("analysis_sco_refs", Kind::RefList(Refs::AnySco)),
            p(
                "sample_ref",
                Kind::Ref(Refs::To(&["artifact", "file", "network-traffic"])),
            ),
        ],
    ),
    &[],
);

const R_NOTE: TypeRules = rules(
    Spec::new(
        &["content", "object_refs"],
        &[],
        &[
            p("abstract", Kind::Str),
            p("content", Kind::Str),
            p("authors", Kind::StrList),
            p("object_refs", ANY_REFS),
        ],
    ),
    &[],
);

const R_OBSERVED_DATA: TypeRules = TypeRules {
    spec: Spec::new(
        &["first_observed", "last_observed", "number_observed"],
        &[],
        &[
            p("first_observed", Kind::Timestamp),
            p("last_observed", Kind::Timestamp),
            p("number_observed", Kind::Int(1, 999_999_999)),
            p("objects", Kind::Custom(check_nothing)),
            p("object_refs", Kind::RefList(Refs::NotTo(SDO_TYPES))),
        ],
    ),
    orders: &[order("first_observed", "last_observed", false)],
    extra: Some(observed_data),
};

const R_OPINION: TypeRules = rules(
    Spec::new(
        &["opinion", "object_refs"],
        &[],
        &[
            p("explanation", Kind::Str),
            p("authors", Kind::StrList),
            p("opinion", Kind::Enum(OPINION_ENUM)),
            p("object_refs", ANY_REFS),
        ],
    ),
    &[],
);

const R_REPORT: TypeRules = rules(
    Spec::new(
        &["name", "published", "object_refs"],
        &[],
        &[
            p("name", Kind::Str),
            p("report_types", Kind::VocabList(REPORT_TYPE_OV)),
            p("published", Kind::Timestamp),
            p("object_refs", ANY_REFS),
        ],
    ),
    &[],
);

const R_THREAT_ACTOR: TypeRules = rules(
    Spec::new(
        &["name"],
        &[],
        &[
            p("name", Kind::Str),
            p("threat_actor_types", Kind::VocabList(THREAT_ACTOR_TYPE_OV)),
            p("aliases", Kind::StrList),
            p("first_seen", Kind::Timestamp),
            p("last_seen", Kind::Timestamp),
            p("roles", Kind::VocabList(THREAT_ACTOR_ROLE_OV)),
            p("goals", Kind::StrList),
            p(
                "sophistication",
                Kind::Vocab(THREAT_ACTOR_SOPHISTICATION_OV),
            ),
            p("resource_level", Kind::Vocab(ATTACK_RESOURCE_LEVEL_OV)),
            p("primary_motivation", Kind::Vocab(ATTACK_MOTIVATION_OV)),
            p(
                "secondary_motivations",
                Kind::VocabList(ATTACK_MOTIVATION_OV),
            ),
            p(
                "personal_motivations",
                Kind::VocabList(ATTACK_MOTIVATION_OV),
            ),
        ],
    ),
    FIRST_LAST_SEEN,
);

const R_TOOL: TypeRules = rules(
    Spec::new(
        &["name"],
        &[],
        &[
            p("name", Kind::Str),
            p("tool_types", Kind::VocabList(TOOL_TYPE_OV)),
            p("aliases", Kind::StrList),
            p("kill_chain_phases", KCP),
            p("tool_version", Kind::Str),
        ],
    ),
    &[],
);

const R_RELATIONSHIP: TypeRules = TypeRules {
    spec: Spec::new(
        &["relationship_type", "source_ref", "target_ref"],
        &[],
        &[
            p("relationship_type", Kind::Custom(relationship_type)),
            p("source_ref", Kind::Ref(Refs::NotTo(NOT_RELATABLE))),
            p("target_ref", Kind::Ref(Refs::NotTo(NOT_RELATABLE))),
            p("start_time", Kind::Timestamp),
            p("stop_time", Kind::Timestamp),
        ],
    ),
    orders: &[order("start_time", "stop_time", true)],
    extra: None,
};

const R_SIGHTING: TypeRules = rules(
    Spec::new(
        &["sighting_of_ref"],
        &[],
        &[
            p("first_seen", Kind::Timestamp),
            p("last_seen", Kind::Timestamp),
            p("count", Kind::Int(0, 999_999_999)),
            p("sighting_of_ref", Kind::Ref(Refs::NotTo(NOT_RELATABLE))),
            p(
                "observed_data_refs",
                Kind::RefList(Refs::To(&["observed-data"])),
            ),
            p(
                "where_sighted_refs",
                Kind::RefList(Refs::To(&["identity", "location"])),
            ),
            p("summary", Kind::Bool),
        ],
    ),
    FIRST_LAST_SEEN,
);

/// The custom-type fallback: common properties only.
const CUSTOM: TypeRules = rules(Spec::new(&[], &[], &[]), &[]);

const CREATED_MODIFIED: &[Order] = &[order("created", "modified", false)];

/// Checks an SDO, an SRO, or a custom object with `created`/`modified`.
pub(crate) fn check(cx: &mut Cx, object_type: &str, object: &Map<String, Value>) {
    let root = Path::Root;
    common::check_type_and_id(cx, object_type, object, &root);
    let rules = rules_of(object_type).unwrap_or(&CUSTOM);
    check_with(cx, object, &root, &rules.spec, rules.orders);
    if let Some(extra) = rules.extra {
        extra(cx, object, &root);
    }
}

/// The table walk shared with language-content and extension-definition.
pub(crate) fn check_with(
    cx: &mut Cx,
    object: &Map<String, Value>,
    root: &Path,
    spec: &Spec,
    orders: &[Order],
) {
    check_object_props(cx, object, root, spec, &CORE, Unknown::Custom);
    common::check_orders(cx, object, root, CREATED_MODIFIED);
    common::check_orders(cx, object, root, orders);
    common::check_selectors(cx, object, root);
}

fn check_nothing(_: &mut Cx, _: &Path, _: &Value) {}

/// §4.7: `pattern_type` is an open vocabulary; for `stix` the pattern must be
/// a non-empty STIX pattern (its grammar is checked by `validate_with`).
/// Other languages (sigma, yara, snort, suricata, pcre, ...) are kept as
/// text; an empty one is only worth a warning, since nothing in STIX says
/// what such a pattern must hold.
fn indicator(cx: &mut Cx, object: &Map<String, Value>, root: &Path) {
    let empty = object
        .get("pattern")
        .and_then(Value::as_str)
        .is_some_and(|s| s.trim().is_empty());
    if !empty {
        return;
    }
    match object.get("pattern_type").and_then(Value::as_str) {
        Some("stix") => cx.error(
            &root.key("pattern"),
            "pattern-empty",
            "a STIX pattern must not be empty",
        ),
        Some(language) => cx.warning(
            &root.key("pattern"),
            "pattern-empty",
            format!("the {language} pattern is empty"),
        ),
        None => {}
    }
}

/// §4.12: one of `region`, `country`, or `latitude` + `longitude`;
/// latitude and longitude come together; `precision` needs both.
fn location(cx: &mut Cx, object: &Map<String, Value>, root: &Path) {
    let has = |k: &str| object.contains_key(k);
    let (lat, lon) = (has("latitude"), has("longitude"));
    if !(has("region") || has("country") || (lat && lon)) {
        cx.error(
            root,
            "required-property",
            "a location needs region, country, or latitude and longitude",
        );
    }
    if lat != lon {
        cx.error(
            &root.key(if lat { "longitude" } else { "latitude" }),
            "required-property",
            "latitude and longitude must be given together",
        );
    }
    if has("precision") && !(lat && lon) {
        cx.error(
            &root.key("precision"),
            "dependent-property",
            "precision needs latitude and longitude",
        );
    }
}

/// §4.13: a malware family (`is_family: true`) must have a name.
fn malware(cx: &mut Cx, object: &Map<String, Value>, root: &Path) {
    if object.get("is_family") == Some(&Value::Bool(true)) && !object.contains_key("name") {
        cx.error(
            &root.key("name"),
            "required-property",
            "a malware family (is_family: true) must have a name",
        );
    }
}

/// §5.1: `relationship_type` is lowercase letters, digits and hyphens.
fn relationship_type(cx: &mut Cx, path: &Path, value: &Value) {
    match value.as_str() {
        Some(s)
            if !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') => {}
        Some(_) => cx.error(
            path,
            "relationship-type-format",
            "relationship_type must be lowercase letters, digits and '-'",
        ),
        None => cx.error(path, "property-type", "relationship_type must be a string"),
    }
}

/// §4.14: exactly one of `object_refs` and the deprecated `objects`; each
/// embedded object is an SCO whose references name keys of `objects`.
fn observed_data(cx: &mut Cx, object: &Map<String, Value>, root: &Path) {
    match (object.get("objects"), object.contains_key("object_refs")) {
        (None, false) => cx.error(
            &root.key("object_refs"),
            "required-property",
            "observed-data needs 'object_refs' (or the deprecated 'objects')",
        ),
        (Some(_), true) => cx.error(
            &root.key("objects"),
            "exclusive-properties",
            "'objects' must not be present together with 'object_refs'",
        ),
        (Some(objects), false) => embedded_objects(cx, objects, &root.key("objects")),
        (None, true) => {}
    }
}

fn embedded_objects(cx: &mut Cx, objects: &Value, path: &Path) {
    let Some(map) = objects.as_object() else {
        cx.error(
            path,
            "property-type",
            "'objects' must be a dictionary of SCOs",
        );
        return;
    };
    if map.is_empty() {
        cx.error(path, "empty-dictionary", "'objects' must not be empty");
    }
    let mut inner = Cx {
        issues: std::mem::take(&mut cx.issues),
        embedded_in: Some(map),
    };
    for (key, value) in map {
        let at = path.key(key);
        match value.as_object() {
            None => inner.error(&at, "property-type", "an observed object must be an object"),
            Some(o) => match o.get("type").and_then(Value::as_str) {
                None => inner.error(
                    &at.key("type"),
                    "required-property",
                    "an observed object must have a string 'type'",
                ),
                Some(t)
                    if SDO_TYPES.contains(&t)
                        || !SCO_TYPES.contains(&t) && o.contains_key("created") =>
                {
                    inner.error(&at.key("type"), "sco-type", "observed objects must be SCOs");
                }
                Some(t) => super::sco::check(&mut inner, t, o, &at),
            },
        }
    }
    cx.issues = inner.issues;
}
