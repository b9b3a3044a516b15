//! The property engine: a `Spec` lists what an object (or an extension, or
//! an embedded type such as a PE section) may hold; `check_object_props`
//! checks a JSON object against it. Types of properties are the STIX 2.1
//! data types (§2); rules that tie several properties together live beside
//! the table of their type.

use serde_json::{Map, Value};

use super::common;
use super::formats;
use super::vocab;
use super::{Cx, Path};
use crate::json::kind_of;
use crate::timestamp::Timestamp;

/// Which object types a reference may point at.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Refs {
    /// Any STIX identifier.
    Any,
    /// One of these types.
    To(&'static [&'static str]),
    /// Anything but these types.
    NotTo(&'static [&'static str]),
    /// Any cyber-observable type (predefined or custom).
    AnySco,
}

/// The type of one property (STIX 2.1 §2).
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    Str,
    Bool,
    /// Integer within inclusive bounds.
    Int(i64, i64),
    /// Number within inclusive bounds.
    Num(f64, f64),
    Timestamp,
    /// `created`/`modified`: millisecond precision at least (§3.2).
    TimestampMillis,
    /// A timestamp with no fraction (`time_date_stamp` of PE binaries).
    TimestampSeconds,
    /// Non-empty list of strings.
    StrList,
    Ref(Refs),
    RefList(Refs),
    /// Closed enumeration: another value is an error.
    Enum(&'static [&'static str]),
    /// Open vocabulary: another string is a warning.
    Vocab(&'static [&'static str]),
    VocabList(&'static [&'static str]),
    KillChainPhases,
    ExternalReferences,
    Hashes,
    Dict,
    Hex,
    Binary,
    Uri,
    Object(&'static Spec),
    ObjectList(&'static Spec),
    /// A rule of its own.
    Custom(fn(&mut Cx, &Path, &Value)),
}

pub(crate) struct Prop {
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
}

/// Shorthand for tables.
pub(crate) const fn p(name: &'static str, kind: Kind) -> Prop {
    Prop { name, kind }
}

pub(crate) struct Spec {
    pub(crate) required: &'static [&'static str],
    /// At least one of these must be present (empty: no such rule).
    pub(crate) any_of: &'static [&'static str],
    pub(crate) props: &'static [Prop],
    /// Whether properties outside `props` are refused (embedded types the
    /// schema closes, such as the PE optional header).
    pub(crate) closed: bool,
}

impl Spec {
    pub(crate) const fn new(
        required: &'static [&'static str],
        any_of: &'static [&'static str],
        props: &'static [Prop],
    ) -> Spec {
        Spec {
            required,
            any_of,
            props,
            closed: false,
        }
    }

    fn find(&self, name: &str) -> Option<&Prop> {
        self.props.iter().find(|p| p.name == name)
    }
}

/// What to do with properties no table defines.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unknown {
    /// Top-level custom properties: name rules, `_bin`/`_hex` formats, no empty list.
    Custom,
    /// Inside embedded types: accepted as they are.
    Free,
}

/// Checks `map` against `spec` (then `common`, for properties shared by a
/// family). Unknown properties go through `unknown`.
pub(crate) fn check_object_props(
    cx: &mut Cx,
    map: &Map<String, Value>,
    path: &Path,
    spec: &Spec,
    common: &Spec,
    unknown: Unknown,
) {
    for &name in spec.required.iter().chain(common.required) {
        if !map.contains_key(name) {
            cx.error(
                &path.key(name),
                "required-property",
                format!("required property '{name}' is missing"),
            );
        }
    }
    if !spec.any_of.is_empty() && !spec.any_of.iter().any(|k| map.contains_key(*k)) {
        cx.error(
            path,
            "required-property",
            format!("at least one of {} must be present", spec.any_of.join(", ")),
        );
    }
    for (name, value) in map {
        let at = path.key(name);
        match spec.find(name).or_else(|| common.find(name)) {
            Some(prop) => check_value(cx, &at, value, prop.kind),
            None if spec.closed => cx.error(
                &at,
                "unknown-property",
                format!("'{name}' is not a property of this type"),
            ),
            None if unknown == Unknown::Custom => {
                common::check_custom_property(cx, &at, name, value)
            }
            None => {}
        }
    }
}

/// An empty spec, for `common` when a table stands alone.
pub(crate) const NONE: Spec = Spec::new(&[], &[], &[]);

fn wrong_type(cx: &mut Cx, path: &Path, want: &str, got: &Value) {
    cx.error(
        path,
        "property-type",
        format!("must be {want}, not {}", kind_of(got)),
    );
}

/// Checks one value against its kind.
pub(crate) fn check_value(cx: &mut Cx, path: &Path, value: &Value, kind: Kind) {
    match kind {
        Kind::Str => {
            if !value.is_string() {
                wrong_type(cx, path, "a string", value);
            }
        }
        Kind::Bool => {
            if !value.is_boolean() {
                wrong_type(cx, path, "a boolean", value);
            }
        }
        Kind::Int(min, max) => check_int(cx, path, value, min, max),
        Kind::Num(min, max) => match value.as_f64() {
            Some(v) if v >= min && v <= max => {}
            Some(v) => cx.error(path, "value-range", format!("{v} is outside {min}..={max}")),
            None => wrong_type(cx, path, "a number", value),
        },
        Kind::Timestamp | Kind::TimestampMillis | Kind::TimestampSeconds => {
            check_timestamp(cx, path, value, kind);
        }
        Kind::StrList => {
            if let Some(items) = non_empty_list(cx, path, value) {
                for (i, v) in items.iter().enumerate() {
                    if !v.is_string() {
                        wrong_type(cx, &path.index(i), "a string", v);
                    }
                }
            }
        }
        Kind::Ref(refs) => common::check_ref(cx, path, value, refs),
        Kind::RefList(refs) => {
            if let Some(items) = non_empty_list(cx, path, value) {
                for (i, v) in items.iter().enumerate() {
                    common::check_ref(cx, &path.index(i), v, refs);
                }
            }
        }
        Kind::Enum(values) => match value.as_str() {
            Some(s) if vocab::contains(values, s) => {}
            Some(s) => cx.error(
                path,
                "enum-value",
                format!("{s:?} is not one of {}", values.join(", ")),
            ),
            None => wrong_type(cx, path, "a string", value),
        },
        Kind::Vocab(values) => check_vocab(cx, path, value, values),
        Kind::VocabList(values) => {
            if let Some(items) = non_empty_list(cx, path, value) {
                for (i, v) in items.iter().enumerate() {
                    check_vocab(cx, &path.index(i), v, values);
                }
            }
        }
        Kind::KillChainPhases => common::check_kill_chain_phases(cx, path, value),
        Kind::ExternalReferences => common::check_external_references(cx, path, value),
        Kind::Hashes => common::check_hashes(cx, path, value),
        Kind::Dict => common::check_dict(cx, path, value),
        Kind::Hex => match value.as_str() {
            Some(s) if formats::is_hex(s) => {}
            Some(_) => cx.error(path, "hex-format", "must be an even number of hex digits"),
            None => wrong_type(cx, path, "a hex string", value),
        },
        Kind::Binary => match value.as_str() {
            Some(s) if formats::is_base64(s) => {}
            Some(_) => cx.error(path, "binary-format", "must be base64 (RFC 4648)"),
            None => wrong_type(cx, path, "a base64 string", value),
        },
        Kind::Uri => match value.as_str() {
            Some(s) if formats::is_uri(s) => {}
            Some(_) => cx.error(path, "uri-format", "must be an absolute URI (RFC 3986)"),
            None => wrong_type(cx, path, "a URI string", value),
        },
        Kind::Object(spec) => match value.as_object() {
            Some(m) => check_object_props(cx, m, path, spec, &NONE, Unknown::Free),
            None => wrong_type(cx, path, "an object", value),
        },
        Kind::ObjectList(spec) => {
            if let Some(items) = non_empty_list(cx, path, value) {
                for (i, v) in items.iter().enumerate() {
                    let at = path.index(i);
                    match v.as_object() {
                        Some(m) => check_object_props(cx, m, &at, spec, &NONE, Unknown::Free),
                        None => wrong_type(cx, &at, "an object", v),
                    }
                }
            }
        }
        Kind::Custom(f) => f(cx, path, value),
    }
}

/// The items of a list, or `None` after reporting why it is not a
/// non-empty list (§2.8: lists MUST NOT be empty).
pub(crate) fn non_empty_list<'v>(
    cx: &mut Cx,
    path: &Path,
    value: &'v Value,
) -> Option<&'v [Value]> {
    match value {
        Value::Array(items) if items.is_empty() => {
            cx.error(path, "empty-list", "lists must not be empty");
            None
        }
        Value::Array(items) => Some(items),
        other => {
            wrong_type(cx, path, "a list", other);
            None
        }
    }
}

fn check_int(cx: &mut Cx, path: &Path, value: &Value, min: i64, max: i64) {
    // JSON numbers like 5.0 are not integers in STIX (nor in the schema).
    match value.as_i64() {
        Some(v) if v >= min && v <= max => {}
        Some(v) => cx.error(path, "value-range", format!("{v} is outside {min}..={max}")),
        None if value.as_u64().is_some() => {
            if max != i64::MAX {
                cx.error(path, "value-range", format!("must be at most {max}"));
            }
        }
        None => wrong_type(cx, path, "an integer", value),
    }
}

/// Reads a timestamp property, reporting why it is not one.
pub(crate) fn check_timestamp(
    cx: &mut Cx,
    path: &Path,
    value: &Value,
    kind: Kind,
) -> Option<Timestamp> {
    let Some(s) = value.as_str() else {
        wrong_type(cx, path, "a timestamp string", value);
        return None;
    };
    match Timestamp::parse(s) {
        Err(e) => {
            cx.error(path, "timestamp-format", e.0);
            None
        }
        Ok(t) => {
            let frac = s.find('.').map_or(0, |dot| s.len() - dot - 2);
            if matches!(kind, Kind::TimestampMillis) && frac < 3 {
                cx.error(
                    path,
                    "timestamp-precision",
                    "created and modified must be precise to the millisecond (§3.2)",
                );
            } else if matches!(kind, Kind::TimestampSeconds) && frac != 0 {
                cx.error(
                    path,
                    "timestamp-precision",
                    "this timestamp must be precise to the second, without fraction",
                );
            }
            Some(t)
        }
    }
}

fn check_vocab(cx: &mut Cx, path: &Path, value: &Value, values: &[&str]) {
    match value.as_str() {
        Some(s) if vocab::contains(values, s) => {}
        Some(s) => cx.warning(
            path,
            "vocab-value",
            format!(
                "{s:?} is not in the open vocabulary ({})",
                values.join(", ")
            ),
        ),
        None => wrong_type(cx, path, "a string", value),
    }
}
