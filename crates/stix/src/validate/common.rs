//! Rules every object shares (STIX 2.1 §3): `type` and `id`, the common
//! properties, custom property names, references, and the shared data
//! types: kill-chain phases, external references, hashes, dictionaries,
//! granular markings (§7.2.3) and extensions (§7.3).

use serde_json::{Map, Value};

use super::formats;
use super::props::{Kind, Refs, Spec, check_object_props, check_value, non_empty_list, p};
use super::vocab;
use super::{Cx, Path};
use crate::id::{StixId, check_type_name};
use crate::json::kind_of;
use crate::timestamp::Timestamp;

/// Properties STIX 2.0 used and 2.1 reserves: an object must not carry them.
const RESERVED_PROPERTIES: &[&str] = &["action", "phone_numbers", "severity", "username"];

/// Common properties of SDOs, SROs, language-content and
/// extension-definition (§3.2).
pub(crate) const CORE: Spec = Spec::new(
    &["type", "spec_version", "id", "created", "modified"],
    &[],
    &[
        p("type", Kind::Custom(check_nothing)),
        p("id", Kind::Custom(check_nothing)),
        p("spec_version", Kind::Enum(&["2.1"])),
        p("created_by_ref", Kind::Ref(Refs::To(&["identity"]))),
        p("created", Kind::TimestampMillis),
        p("modified", Kind::TimestampMillis),
        p("revoked", Kind::Bool),
        p("labels", Kind::StrList),
        p("confidence", Kind::Int(0, 100)),
        p("lang", Kind::Custom(check_lang)),
        p("external_references", Kind::ExternalReferences),
        p(
            "object_marking_refs",
            Kind::RefList(Refs::To(&["marking-definition"])),
        ),
        p("granular_markings", Kind::Custom(check_granular_markings)),
        p("extensions", Kind::Custom(check_extensions)),
        p("description", Kind::Str),
    ],
);

/// Common properties of cyber-observable objects (§3.2, §6).
pub(crate) const SCO_CORE: Spec = Spec::new(
    &["type", "id"],
    &[],
    &[
        p("type", Kind::Custom(check_nothing)),
        p("id", Kind::Custom(check_nothing)),
        p("spec_version", Kind::Enum(&["2.1"])),
        p(
            "object_marking_refs",
            Kind::RefList(Refs::To(&["marking-definition"])),
        ),
        p("granular_markings", Kind::Custom(check_granular_markings)),
        p("defanged", Kind::Bool),
        p("extensions", Kind::Custom(check_extensions)),
    ],
);

/// `type` and `id` are checked once, up front, by `check_type_and_id`.
fn check_nothing(_: &mut Cx, _: &Path, _: &Value) {}

/// `type` is a valid type name, `id` is `type--UUID` naming the same type
/// (§2.9, §3.1). Returns the UUID when the id is well-formed.
pub(crate) fn check_type_and_id(
    cx: &mut Cx,
    object_type: &str,
    object: &Map<String, Value>,
    path: &Path,
) -> Option<uuid::Uuid> {
    if let Err(e) = check_type_name(object_type) {
        cx.error(&path.key("type"), "type-format", e.0);
    } else if object_type == "action" {
        cx.error(
            &path.key("type"),
            "type-format",
            "'action' is a reserved type name",
        );
    }
    let id = match object.get("id")? {
        Value::String(s) => s,
        other => {
            cx.error(
                &path.key("id"),
                "property-type",
                format!("'id' must be a string, not {}", kind_of(other)),
            );
            return None;
        }
    };
    let at = path.key("id");
    let parsed = parse_id(cx, &at, id)?;
    if parsed.object_type != object_type {
        cx.error(
            &at,
            "id-type",
            format!(
                "the id names type '{}' but the object is of type '{object_type}'",
                parsed.object_type
            ),
        );
    }
    Some(parsed.uuid)
}

/// Parses an identifier and requires a UUID of version 1 to 5 (§2.9 asks
/// for RFC 4122 UUIDs).
fn parse_id<'s>(cx: &mut Cx, path: &Path, id: &'s str) -> Option<StixId<'s>> {
    match StixId::parse(id) {
        Err(e) => {
            cx.error(path, "id-format", e.0);
            None
        }
        Ok(parsed) if !(1..=5).contains(&parsed.uuid.get_version_num()) => {
            cx.error(
                path,
                "id-format",
                format!("{id:?}: the UUID version must be 1 to 5 (RFC 4122)"),
            );
            None
        }
        Ok(parsed) => Some(parsed),
    }
}

/// A reference to another object: an identifier of an allowed type. Inside
/// observed-data's deprecated `objects`, SCO references are keys of that
/// dictionary instead.
pub(crate) fn check_ref(cx: &mut Cx, path: &Path, value: &Value, refs: Refs) {
    let Some(s) = value.as_str() else {
        cx.error(
            path,
            "property-type",
            format!("a reference must be a string, not {}", kind_of(value)),
        );
        return;
    };
    if let Some(objects) = cx.embedded_in {
        if matches!(refs, Refs::To(_) | Refs::AnySco) {
            let target = objects
                .get(s)
                .and_then(|o| o.get("type"))
                .and_then(Value::as_str);
            match target {
                None if !objects.contains_key(s) => cx.error(
                    path,
                    "ref-unresolved",
                    format!("{s:?} is not a key of the observed-data 'objects'"),
                ),
                Some(t) if !ref_type_allowed(t, refs) => cx.error(
                    path,
                    "ref-type",
                    format!("{s:?} refers to a '{t}', which is not allowed here"),
                ),
                _ => {}
            }
        }
        return;
    }
    let Some(parsed) = parse_id(cx, path, s) else {
        return;
    };
    if !ref_type_allowed(parsed.object_type, refs) {
        cx.error(
            path,
            "ref-type",
            format!(
                "a reference to a '{}' is not allowed here",
                parsed.object_type
            ),
        );
    }
}

fn ref_type_allowed(t: &str, refs: Refs) -> bool {
    match refs {
        Refs::Any => true,
        Refs::To(types) => types.contains(&t),
        Refs::NotTo(types) => !types.contains(&t),
        Refs::AnySco => !matches!(
            crate::StixObject::family_of(t, &Map::new()),
            crate::object::Family::Domain
                | crate::object::Family::Relationship
                | crate::object::Family::Meta
                | crate::object::Family::Bundle
        ),
    }
}

/// A property no table defines: its name must follow §3.1 (a-z, 0-9, '_',
/// 3 to 250 characters), names ending in `_bin`/`_hex` hold binary/hex
/// (§2.2, §2.6), no list may be empty, and the names STIX reserves are refused.
pub(crate) fn check_custom_property(cx: &mut Cx, path: &Path, name: &str, value: &Value) {
    if RESERVED_PROPERTIES.contains(&name) {
        cx.error(
            path,
            "reserved-property",
            format!("'{name}' is reserved by STIX 2.1 and must not be used"),
        );
        return;
    }
    if !is_property_name(name) {
        cx.error(
            path,
            "property-name",
            "property names must be 3 to 250 characters of a-z, 0-9 and '_'",
        );
    }
    if name.ends_with("_bin") {
        check_value(cx, path, value, Kind::Binary);
    } else if name.ends_with("_hex") {
        check_value(cx, path, value, Kind::Hex);
    } else if let Value::Array(items) = value
        && items.is_empty()
    {
        cx.error(path, "empty-list", "lists must not be empty");
    }
}

/// §3.1 property names: a-z, 0-9 and '_', 3 to 250 characters.
pub(crate) fn is_property_name(name: &str) -> bool {
    (3..=250).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// `lang`: an RFC 5646 tag, from the list the reference validator accepts.
pub(crate) fn check_lang(cx: &mut Cx, path: &Path, value: &Value) {
    match value.as_str() {
        Some(s) if vocab::contains(vocab::LANG_CODES, s) => {}
        Some(s) => cx.error(
            path,
            "lang-value",
            format!("{s:?} is not a known RFC 5646 language tag"),
        ),
        None => cx.error(path, "property-type", "'lang' must be a string"),
    }
}

const KILL_CHAIN_PHASE: Spec = Spec::new(
    &["kill_chain_name", "phase_name"],
    &[],
    &[p("kill_chain_name", Kind::Str), p("phase_name", Kind::Str)],
);

/// §2.4: non-empty list of `{kill_chain_name, phase_name}`; names SHOULD be
/// lowercase with hyphens (a warning).
pub(crate) fn check_kill_chain_phases(cx: &mut Cx, path: &Path, value: &Value) {
    let Some(items) = non_empty_list(cx, path, value) else {
        return;
    };
    for (i, item) in items.iter().enumerate() {
        let at = path.index(i);
        let Some(m) = item.as_object() else {
            cx.error(&at, "property-type", "a kill chain phase must be an object");
            continue;
        };
        check_object_props(
            cx,
            m,
            &at,
            &KILL_CHAIN_PHASE,
            &super::props::NONE,
            super::props::Unknown::Free,
        );
        for key in ["kill_chain_name", "phase_name"] {
            if let Some(s) = m.get(key).and_then(Value::as_str)
                && !s
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                cx.warning(
                    &at.key(key),
                    "kill-chain-name-format",
                    "kill chain and phase names should be lowercase with hyphens",
                );
            }
        }
    }
}

const EXTERNAL_REFERENCE: Spec = Spec::new(
    &["source_name"],
    &["description", "url", "external_id"],
    &[
        p("source_name", Kind::Str),
        p("description", Kind::Str),
        p("url", Kind::Uri),
        p("hashes", Kind::Hashes),
        p("external_id", Kind::Str),
    ],
);

/// §2.5: each reference has a `source_name` and one of `description`,
/// `url`, `external_id`; CVE and CAPEC references carry their ids' forms.
pub(crate) fn check_external_references(cx: &mut Cx, path: &Path, value: &Value) {
    let Some(items) = non_empty_list(cx, path, value) else {
        return;
    };
    for (i, item) in items.iter().enumerate() {
        let at = path.index(i);
        let Some(m) = item.as_object() else {
            cx.error(
                &at,
                "property-type",
                "an external reference must be an object",
            );
            continue;
        };
        check_object_props(
            cx,
            m,
            &at,
            &EXTERNAL_REFERENCE,
            &super::props::NONE,
            super::props::Unknown::Free,
        );
        let id = m.get("external_id").and_then(Value::as_str);
        let (check, form): (fn(&str) -> bool, &str) =
            match m.get("source_name").and_then(Value::as_str) {
                Some("cve") => (formats::is_cve_id, "CVE-YYYY-NNNN"),
                Some("capec") => (formats::is_capec_id, "CAPEC-N"),
                _ => continue,
            };
        match id {
            Some(id) if check(id) => {}
            _ => cx.error(
                &at.key("external_id"),
                "external-id-format",
                format!("this source requires an external_id of the form {form}"),
            ),
        }
    }
}

/// §2.7 hashes: a non-empty dictionary; keys of 3 to 250 characters of
/// a-z A-Z 0-9 '_' '-'; the values of the spec's algorithms in their forms.
pub(crate) fn check_hashes(cx: &mut Cx, path: &Path, value: &Value) {
    let Some(m) = value.as_object() else {
        cx.error(path, "property-type", "hashes must be an object");
        return;
    };
    if m.is_empty() {
        cx.error(path, "empty-dictionary", "hashes must not be empty");
    }
    for (k, v) in m {
        let at = path.key(k);
        if !(3..=250).contains(&k.len())
            || !k
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            cx.error(
                &at,
                "hash-name",
                "hash names must be 3 to 250 characters of a-z, A-Z, 0-9, '_' and '-'",
            );
        }
        let Some(s) = v.as_str() else {
            cx.error(&at, "property-type", "a hash value must be a string");
            continue;
        };
        let ok = match k.as_str() {
            "MD5" => is_hex_len(s, 32),
            "SHA-1" => is_hex_len(s, 40),
            "SHA-256" | "SHA3-256" => is_hex_len(s, 64),
            "SHA-512" | "SHA3-512" => is_hex_len(s, 128),
            "SSDEEP" => {
                (1..=128).contains(&s.len())
                    && s.bytes().all(|b| {
                        b.is_ascii_alphanumeric() || matches!(b, b'/' | b'+' | b':' | b'.')
                    })
            }
            "TLSH" => s.len() == 70 && s.bytes().all(|b| b.is_ascii_alphanumeric()),
            _ => {
                if !vocab::contains(vocab::HASH_ALGO_OV, k) {
                    cx.warning(
                        &at,
                        "vocab-value",
                        format!("'{k}' is not in hash-algorithm-ov"),
                    );
                }
                true
            }
        };
        if !ok {
            cx.error(&at, "hash-format", format!("not a valid {k} value"));
        }
    }
}

fn is_hex_len(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// §2.10 dictionary: non-empty; keys at most 250 characters of a-z A-Z 0-9
/// '_' '-'; no null value, no empty list.
pub(crate) fn check_dict(cx: &mut Cx, path: &Path, value: &Value) {
    let Some(m) = value.as_object() else {
        cx.error(
            path,
            "property-type",
            "must be a dictionary (a JSON object)",
        );
        return;
    };
    if m.is_empty() {
        cx.error(path, "empty-dictionary", "dictionaries must not be empty");
    }
    for (k, v) in m {
        let at = path.key(k);
        if k.len() > 250
            || !k
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            cx.error(
                &at,
                "dictionary-key",
                "dictionary keys must be at most 250 characters of a-z, A-Z, 0-9, '_' and '-'",
            );
        }
        match v {
            Value::Null => cx.error(&at, "property-type", "dictionary values must not be null"),
            Value::Array(items) if items.is_empty() => {
                cx.error(&at, "empty-list", "lists must not be empty");
            }
            _ => {}
        }
    }
}

/// §7.2.3 granular markings: each names a marking (`marking_ref`) or a
/// language (`lang`), never both, and selectors that resolve in the object.
/// The selectors are resolved by `check_selectors` once the whole object is known.
pub(crate) fn check_granular_markings(cx: &mut Cx, path: &Path, value: &Value) {
    let Some(items) = non_empty_list(cx, path, value) else {
        return;
    };
    for (i, item) in items.iter().enumerate() {
        let at = path.index(i);
        let Some(m) = item.as_object() else {
            cx.error(&at, "property-type", "a granular marking must be an object");
            continue;
        };
        match (m.get("marking_ref"), m.get("lang")) {
            (Some(r), None) => check_ref(
                cx,
                &at.key("marking_ref"),
                r,
                Refs::To(&["marking-definition"]),
            ),
            (None, Some(l)) => check_lang(cx, &at.key("lang"), l),
            (Some(_), Some(_)) => cx.error(
                &at,
                "granular-marking",
                "a granular marking has either 'marking_ref' or 'lang', not both",
            ),
            (None, None) => cx.error(
                &at.key("marking_ref"),
                "required-property",
                "a granular marking needs 'marking_ref' (or 'lang')",
            ),
        }
        match m.get("selectors") {
            None => cx.error(
                &at.key("selectors"),
                "required-property",
                "'selectors' is required",
            ),
            Some(v) => check_value(cx, &at.key("selectors"), v, Kind::StrList),
        }
    }
}

/// Every selector of every granular marking must select something present
/// in `object` (§7.2.3.1): `a.b.[2].c` walks keys and list indexes.
pub(crate) fn check_selectors(cx: &mut Cx, object: &Map<String, Value>, path: &Path) {
    let Some(Value::Array(markings)) = object.get("granular_markings") else {
        return;
    };
    let gm = path.key("granular_markings");
    for (i, marking) in markings.iter().enumerate() {
        let Some(Value::Array(selectors)) = marking.get("selectors") else {
            continue;
        };
        let gi = gm.index(i);
        let sel = gi.key("selectors");
        for (j, s) in selectors.iter().enumerate() {
            let Some(s) = s.as_str() else { continue };
            if !selector_resolves(object, s) {
                cx.error(
                    &sel.index(j),
                    "selector",
                    format!("selector {s:?} does not select anything in this object"),
                );
            }
        }
    }
}

fn selector_resolves(object: &Map<String, Value>, selector: &str) -> bool {
    let mut segments = selector.split('.');
    let Some(first) = segments.next() else {
        return false;
    };
    let Some(mut at) = object.get(first) else {
        return false;
    };
    for seg in segments {
        let next = match seg.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            Some(idx) => idx
                .parse::<usize>()
                .ok()
                .and_then(|i| at.as_array().and_then(|a| a.get(i))),
            None => at.as_object().and_then(|m| m.get(seg)),
        };
        match next {
            Some(v) => at = v,
            None => return false,
        }
    }
    true
}

/// §7.3 extensions: a non-empty dictionary whose keys are the id of an
/// extension-definition (the value then has an `extension_type`) or the
/// name of a predefined or custom `-ext` extension; each extension is a
/// non-empty object. The predefined SCO extensions are checked in `sco_ext`.
pub(crate) fn check_extensions(cx: &mut Cx, path: &Path, value: &Value) {
    let Some(m) = value.as_object() else {
        cx.error(path, "property-type", "'extensions' must be an object");
        return;
    };
    if m.is_empty() {
        cx.error(path, "empty-dictionary", "'extensions' must not be empty");
    }
    for (key, ext) in m {
        let at = path.key(key);
        let is_definition = key.starts_with("extension-definition--");
        if is_definition {
            if parse_id(cx, &at, key).is_none() {
                continue;
            }
        } else if !key.strip_suffix("-ext").is_some_and(is_extension_name) {
            cx.error(
                &at,
                "extension-name",
                "extension keys are an extension-definition id or a name ending in '-ext'",
            );
            continue;
        }
        let Some(em) = ext.as_object() else {
            cx.error(&at, "property-type", "an extension must be an object");
            continue;
        };
        if em.is_empty() {
            cx.error(&at, "empty-dictionary", "an extension must not be empty");
        }
        if is_definition {
            match em.get("extension_type") {
                None => cx.error(
                    &at.key("extension_type"),
                    "required-property",
                    "an extension-definition extension needs 'extension_type'",
                ),
                Some(v) => check_value(
                    cx,
                    &at.key("extension_type"),
                    v,
                    Kind::Enum(vocab::EXTENSION_TYPE_ENUM),
                ),
            }
        }
        for (name, v) in em {
            if name != "extension_type" {
                check_custom_property(cx, &at.key(name), name, v);
            }
        }
    }
}

/// The part of a `-ext` key before the suffix: a letter, then letters and
/// digits in hyphen-separated groups (the schema's pattern).
fn is_extension_name(name: &str) -> bool {
    name.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
        && name.split('-').all(|g| {
            !g.is_empty()
                && g.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// One timestamp-ordering rule: `later` must be after (`strict`) or not
/// before `earlier`.
pub(crate) struct Order {
    pub(crate) earlier: &'static str,
    pub(crate) later: &'static str,
    pub(crate) strict: bool,
}

pub(crate) const fn order(earlier: &'static str, later: &'static str, strict: bool) -> Order {
    Order {
        earlier,
        later,
        strict,
    }
}

/// Checks timestamp orderings; unparsable timestamps were reported already.
pub(crate) fn check_orders(
    cx: &mut Cx,
    object: &Map<String, Value>,
    path: &Path,
    orders: &[Order],
) {
    for o in orders {
        let ts = |k: &str| {
            object
                .get(k)
                .and_then(Value::as_str)
                .and_then(|s| Timestamp::parse(s).ok())
        };
        let (Some(a), Some(b)) = (ts(o.earlier), ts(o.later)) else {
            continue;
        };
        if b < a || (o.strict && b == a) {
            let (rule, rel) = match (o.earlier, o.strict) {
                ("created", _) => ("modified-before-created", "not be earlier than"),
                (_, true) => ("timestamp-order", "be later than"),
                (_, false) => ("timestamp-order", "not be earlier than"),
            };
            cx.error(
                &path.key(o.later),
                rule,
                format!("'{}' must {rel} '{}'", o.later, o.earlier),
            );
        }
    }
}
