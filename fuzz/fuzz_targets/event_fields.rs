//! The field extractor of JSON lines (which reads a line in one pass,
//! without building its JSON tree) against the same extraction over the
//! parsed tree: for every JSON object without repeated keys, both give the
//! same observables (order aside: the tree sorts keys), with and without
//! field mappings; an object the parser takes is never refused.
#![no_main]

use std::collections::HashSet;
use std::fmt;

use concord_matcher::{FieldMapping, Format, observables_of, read_line};
use libfuzzer_sys::fuzz_target;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// Whether a JSON value repeats a key in one of its objects.
struct Repeats;

impl<'de> DeserializeSeed<'de> for Repeats {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Repeats {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_f64<E>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_str<E>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let mut any = false;
        while let Some(r) = seq.next_element_seed(Repeats)? {
            any |= r;
        }
        Ok(any)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut keys = HashSet::new();
        let mut any = false;
        while let Some(k) = map.next_key::<String>()? {
            any |= !keys.insert(k);
            any |= map.next_value_seed(Repeats)?;
        }
        Ok(any)
    }
}

fn sorted(o: &[concord_matcher::Observable]) -> Vec<String> {
    let mut v: Vec<String> = o.iter().map(|o| format!("{o:?}")).collect();
    v.sort();
    v
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(Value::Object(tree)) = serde_json::from_str::<Value>(text) else {
        let _ = read_line(Format::Json, &[], text, "fuzz", 1);
        return;
    };
    let mut de = serde_json::Deserializer::from_str(text);
    if de.deserialize_any(Repeats).unwrap_or(true) {
        return;
    }
    let mappings = vec![
        FieldMapping::parse("a=x-custom:'a'.b").expect("valid mapping"),
        FieldMapping::parse("size=file:size").expect("valid mapping"),
        FieldMapping::parse("src_ip=domain-name:value").expect("valid mapping"),
        FieldMapping::parse("n.x=ipv4-addr:value").expect("valid mapping"),
    ];
    for m in [&[][..], &mappings[..]] {
        let streamed = read_line(Format::Json, m, text, "fuzz", 1)
            .unwrap_or_else(|e| panic!("the tree parses but the line is refused: {e}"));
        let mut from_tree = Vec::new();
        observables_of(&tree, m, &mut from_tree);
        assert_eq!(sorted(&streamed), sorted(&from_tree), "{text}");
    }
});
