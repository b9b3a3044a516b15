//! Meta objects (§7): marking-definition, language-content and
//! extension-definition.

use serde_json::{Map, Value};

use super::common::{self, check_type_and_id};
use super::props::{Kind, Refs, Spec, Unknown, check_object_props, p};
use super::sdo::check_with;
use super::vocab::{self, EXTENSION_TYPE_ENUM, LANG_CODES};
use super::{Cx, Path};

pub(crate) fn check(cx: &mut Cx, object_type: &str, object: &Map<String, Value>) {
    let root = Path::Root;
    check_type_and_id(cx, object_type, object, &root);
    match object_type {
        "marking-definition" => marking_definition(cx, object, &root),
        "language-content" => {
            check_with(cx, object, &root, &LANGUAGE_CONTENT, &[]);
        }
        _ => {
            check_with(cx, object, &root, &EXTENSION_DEFINITION, &[]);
            extension_definition(cx, object, &root);
        }
    }
}

const MARKING_DEFINITION: Spec = Spec::new(
    &["type", "spec_version", "id", "created"],
    &[],
    &[
        p("type", Kind::Custom(nothing)),
        p("id", Kind::Custom(nothing)),
        p("spec_version", Kind::Enum(&["2.1"])),
        p("created_by_ref", Kind::Ref(Refs::To(&["identity"]))),
        p("created", Kind::Timestamp),
        p("external_references", Kind::ExternalReferences),
        p(
            "object_marking_refs",
            Kind::RefList(Refs::To(&["marking-definition"])),
        ),
        p(
            "granular_markings",
            Kind::Custom(common::check_granular_markings),
        ),
        p("extensions", Kind::Custom(marking_extensions)),
        p("name", Kind::Str),
        p("definition_type", Kind::Str),
        p("definition", Kind::Custom(nothing)),
        p("lang", Kind::Custom(common::check_lang)),
    ],
);

fn nothing(_: &mut Cx, _: &Path, _: &Value) {}

/// The four TLP 1.0 marking definitions of §7.2.1.4, the only valid
/// `definition_type: tlp` objects: (id, name, tlp).
const TLP1: &[(&str, &str, &str)] = &[
    (
        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
        "TLP:WHITE",
        "white",
    ),
    (
        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        "TLP:GREEN",
        "green",
    ),
    (
        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        "TLP:AMBER",
        "amber",
    ),
    (
        "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
        "TLP:RED",
        "red",
    ),
];

/// §7.2.1: definition_type + definition (unless an extension carries the
/// marking, as TLP 2.0 does), statements have a `statement`, TLP 1.0
/// markings are exactly the four of the spec, and a marking never marks itself.
fn marking_definition(cx: &mut Cx, object: &Map<String, Value>, root: &Path) {
    check_object_props(
        cx,
        object,
        root,
        &MARKING_DEFINITION,
        &super::props::NONE,
        Unknown::Custom,
    );
    common::check_selectors(cx, object, root);
    let definition_type = object.get("definition_type").and_then(Value::as_str);
    let definition = object.get("definition");
    if !object.contains_key("extensions") {
        for key in ["definition_type", "definition"] {
            if !object.contains_key(key) {
                cx.error(
                    &root.key(key),
                    "required-property",
                    format!("a marking definition without extensions needs '{key}'"),
                );
            }
        }
    }
    if let Some(d) = definition
        && !d.is_object()
    {
        cx.error(
            &root.key("definition"),
            "property-type",
            "'definition' must be an object",
        );
    }
    match definition_type {
        Some("statement")
            if !definition
                .and_then(|d| d.get("statement"))
                .is_some_and(Value::is_string) =>
        {
            cx.error(
                &root.key("definition").key("statement"),
                "required-property",
                "a statement marking needs a string 'statement'",
            );
        }
        Some("tlp") => {
            let id = object.get("id").and_then(Value::as_str);
            let matches_tlp1 = TLP1.iter().any(|(tid, name, level)| {
                id == Some(*tid)
                    && object.get("name").and_then(Value::as_str) == Some(*name)
                    && definition
                        .and_then(|d| d.get("tlp"))
                        .and_then(Value::as_str)
                        == Some(*level)
            });
            let exact = object.get("created").and_then(Value::as_str)
                == Some("2017-01-20T00:00:00.000Z")
                && object.keys().all(|k| {
                    matches!(
                        k.as_str(),
                        "type"
                            | "id"
                            | "spec_version"
                            | "created"
                            | "name"
                            | "definition"
                            | "definition_type"
                    )
                });
            if !(matches_tlp1 && exact) {
                cx.error(
                    root,
                    "tlp-marking",
                    "a 'tlp' marking definition must be one of the four TLP 1.0 objects of STIX 2.1 §7.2.1.4, unchanged",
                );
            }
        }
        _ => {}
    }
    let own_id = object.get("id").and_then(Value::as_str);
    if let Some(Value::Array(refs)) = object.get("object_marking_refs") {
        for (i, r) in refs.iter().enumerate() {
            if r.as_str().is_some() && r.as_str() == own_id {
                cx.error(
                    &root.key("object_marking_refs").index(i),
                    "marking-circular",
                    "a marking definition must not mark itself",
                );
            }
        }
    }
    if let Some(Value::Array(gms)) = object.get("granular_markings") {
        for (i, gm) in gms.iter().enumerate() {
            let r = gm.get("marking_ref").and_then(Value::as_str);
            if r.is_some() && r == own_id {
                cx.error(
                    &root.key("granular_markings").index(i).key("marking_ref"),
                    "marking-circular",
                    "a marking definition must not mark itself",
                );
            }
        }
    }
}

/// Marking definitions take only extension-definition extensions (§7.2.1).
fn marking_extensions(cx: &mut Cx, path: &Path, value: &Value) {
    common::check_extensions(cx, path, value);
    if let Some(m) = value.as_object() {
        for key in m.keys() {
            if !key.starts_with("extension-definition--") {
                cx.error(
                    &path.key(key),
                    "extension-name",
                    "a marking definition takes only extension-definition extensions",
                );
            }
        }
    }
}

const LANGUAGE_CONTENT: Spec = Spec::new(
    &["object_ref", "contents"],
    &[],
    &[
        p(
            "object_ref",
            Kind::Ref(Refs::NotTo(&["bundle", "language-content"])),
        ),
        p("object_modified", Kind::Timestamp),
        p("contents", Kind::Custom(contents)),
    ],
);

/// §7.1: `contents` maps language tags to dictionaries keyed by the
/// property names of the translated object.
fn contents(cx: &mut Cx, path: &Path, value: &Value) {
    common::check_dict(cx, path, value);
    let Some(m) = value.as_object() else { return };
    for (lang, translations) in m {
        let at = path.key(lang);
        if !vocab::contains(LANG_CODES, lang) {
            cx.error(
                &at,
                "lang-value",
                format!("{lang:?} is not a known RFC 5646 language tag"),
            );
        }
        let Some(t) = translations.as_object() else {
            cx.error(
                &at,
                "property-type",
                "each language maps to an object of translated properties",
            );
            continue;
        };
        for key in t.keys() {
            if !common::is_property_name(key) {
                cx.error(
                    &at.key(key),
                    "property-name",
                    "translated property names must be 3 to 250 characters of a-z, 0-9 and '_'",
                );
            }
        }
    }
}

const EXTENSION_DEFINITION: Spec = Spec::new(
    &["name", "schema", "version", "extension_types"],
    &[],
    &[
        p("name", Kind::Str),
        p("schema", Kind::Str),
        p("version", Kind::Str),
        p("extension_types", Kind::Custom(extension_types)),
        p("extension_properties", Kind::StrList),
    ],
);

fn extension_types(cx: &mut Cx, path: &Path, value: &Value) {
    if let Some(items) = super::props::non_empty_list(cx, path, value) {
        for (i, v) in items.iter().enumerate() {
            super::props::check_value(cx, &path.index(i), v, Kind::Enum(EXTENSION_TYPE_ENUM));
        }
    }
}

/// §7.3: `extension_properties` only for toplevel-property-extension.
fn extension_definition(cx: &mut Cx, object: &Map<String, Value>, root: &Path) {
    let toplevel = object
        .get("extension_types")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|v| v == "toplevel-property-extension"));
    if object.contains_key("extension_properties") && !toplevel {
        cx.error(
            &root.key("extension_properties"),
            "dependent-property",
            "'extension_properties' is only for toplevel-property-extension definitions",
        );
    }
}
