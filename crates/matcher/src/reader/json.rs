//! JSON lines, read in one pass without building the JSON tree: the
//! deserializer hands each key and value to a visitor that keeps the dotted
//! path of where it stands, and only values at a known or mapped path are
//! looked at. Strings come borrowed from the line; nothing is allocated for
//! the fields nobody asked for.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::observable::Observable;
use crate::reader::FieldMapping;
use crate::reader::fields::{Event, Role, role};

/// Where the walk stands in one JSON object.
struct Walk<'m, 'o> {
    mappings: &'m [FieldMapping],
    path: String,
    event: Event<'o>,
}

impl Walk<'_, '_> {
    fn role(&self) -> Option<Role> {
        role(&self.path, self.mappings)
    }

    fn string(&mut self, role: Option<Role>, s: &str) {
        if let Some(r) = role {
            self.event.value(r, s, self.mappings);
        }
    }

    /// Numbers and booleans count only for mappings (`port=...`).
    fn scalar(&mut self, role: Option<Role>, s: impl fmt::Display) {
        if let Some(r @ Role::Mapped(_)) = role {
            self.event.value(r, &s.to_string(), self.mappings);
        }
    }
}

/// Reads one JSON object (a whole line) and appends its observables.
pub(crate) fn read(
    text: &str,
    mappings: &[FieldMapping],
    out: &mut Vec<Observable>,
) -> Result<(), serde_json::Error> {
    let start = out.len();
    let mut de = serde_json::Deserializer::from_str(text);
    let mut walk = Walk {
        mappings,
        path: String::new(),
        event: Event::new(out),
    };
    let read = de
        .deserialize_map(ObjectVisitor(&mut walk))
        .and_then(|()| de.end());
    walk.event.finish();
    if read.is_err() {
        out.truncate(start);
    }
    read
}

struct ObjectVisitor<'w, 'm, 'o>(&'w mut Walk<'m, 'o>);

impl<'de> Visitor<'de> for ObjectVisitor<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let w = self.0;
        let base = w.path.len();
        while map
            .next_key_seed(KeySeed {
                path: &mut w.path,
                base,
            })?
            .is_some()
        {
            let role = w.role();
            map.next_value_seed(ValueSeed { walk: w, role })?;
            w.path.truncate(base);
        }
        Ok(())
    }
}

/// Appends a key to the path.
struct KeySeed<'p> {
    path: &'p mut String,
    base: usize,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<(), E> {
        if self.base > 0 {
            self.path.push('.');
        }
        self.path.push_str(key);
        Ok(())
    }
}

/// One value at the walk's path, read for `role`.
struct ValueSeed<'w, 'm, 'o> {
    walk: &'w mut Walk<'m, 'o>,
    role: Option<Role>,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<(), E> {
        self.walk.string(self.role, s);
        Ok(())
    }

    fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<(), E> {
        self.walk.scalar(self.role, n);
        Ok(())
    }

    fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<(), E> {
        self.walk.scalar(self.role, n);
        Ok(())
    }

    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<(), E> {
        // As serde_json writes it (`1.0`, not `1`).
        if let Some(n) = serde_json::Number::from_f64(n) {
            self.walk.scalar(self.role, n);
        }
        Ok(())
    }

    fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<(), E> {
        self.walk.scalar(self.role, b);
        Ok(())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        ObjectVisitor(self.walk).visit_map(map)
    }

    /// A list is transparent: its items stand at the list's path.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(ValueSeed {
                walk: &mut *self.walk,
                role: self.role,
            })?
            .is_some()
        {}
        Ok(())
    }
}

/// The observables of a JSON object already parsed: the same walk over the
/// tree.
pub(crate) fn of_object(
    obj: &Map<String, Value>,
    mappings: &[FieldMapping],
    out: &mut Vec<Observable>,
) {
    let mut walk = Walk {
        mappings,
        path: String::new(),
        event: Event::new(out),
    };
    walk_object(&mut walk, obj);
    walk.event.finish();
}

fn walk_object(w: &mut Walk<'_, '_>, obj: &Map<String, Value>) {
    let base = w.path.len();
    for (k, v) in obj {
        if base > 0 {
            w.path.push('.');
        }
        w.path.push_str(k);
        let role = w.role();
        walk_value(w, v, role);
        w.path.truncate(base);
    }
}

fn walk_value(w: &mut Walk<'_, '_>, v: &Value, role: Option<Role>) {
    match v {
        Value::String(s) => w.string(role, s),
        Value::Number(n) => w.scalar(role, n),
        Value::Bool(b) => w.scalar(role, b),
        Value::Null => {}
        Value::Object(m) => walk_object(w, m),
        Value::Array(items) => items.iter().for_each(|x| walk_value(w, x, role)),
    }
}
