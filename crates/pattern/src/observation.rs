//! Observed data as the evaluator sees it.
//!
//! STIX 2.1 (STIX 2.1 part 2, section 4.13): bundles holding observed-data
//! objects and the SCOs their `object_refs` name, or those objects
//! themselves, in any mix. As in the reference matcher, everything is
//! pooled first, an observed-data sees exactly the objects its
//! `object_refs` name (plus itself), and a later object with the same id
//! replaces an earlier one. An observed-data without `object_refs` that
//! carries the `objects` dictionary (deprecated in 2.1, the 2.0 form) is
//! read through that dictionary.
//!
//! STIX 2.0: a list of observed-data objects with an `objects` dictionary;
//! references are the dictionary's keys.

use serde_json::{Map, Value};

use crate::error::InputError;
use crate::timestamp::Timestamp;

/// Which STIX version the observed data and the pattern follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StixVersion {
    /// STIX 2.0: observed-data carries its objects in an `objects` dictionary.
    V20,
    /// STIX 2.1: observed-data names its objects with `object_refs`.
    #[default]
    V21,
}

#[derive(Debug, Clone)]
enum Scope<'a> {
    /// The observed-data followed by the objects its `object_refs` name
    /// (duplicates included, as the reference keeps them).
    V21(Vec<&'a Value>),
    /// The `objects` dictionary.
    V20(Option<&'a Map<String, Value>>),
}

/// One observed-data object and what it can see.
#[derive(Debug, Clone)]
pub struct Observation<'a> {
    /// The observed-data object itself.
    pub sdo: &'a Value,
    /// What references resolve against.
    scope: Scope<'a>,
    /// Candidate root objects: (key, object), one per id (2.1) or key (2.0).
    pub(crate) roots: Vec<&'a Value>,
    /// The observed-data's `first_observed`.
    pub first_observed: Timestamp,
    /// The observed-data's `last_observed`.
    pub last_observed: Timestamp,
    /// The observed-data's `number_observed` (at least 1): how many times
    /// this observation counts for REPEATS.
    pub number_observed: u64,
}

impl<'a> Observation<'a> {
    /// Resolves one reference the way the reference matcher does.
    pub(crate) fn dereference(&self, id: &str, out: &mut Vec<&'a Value>) {
        match &self.scope {
            Scope::V20(map) => {
                if let Some(v) = map.and_then(|m| m.get(id)) {
                    out.push(v);
                }
            }
            Scope::V21(objects) => out.extend(
                objects
                    .iter()
                    .filter(|o| o.get("id").and_then(Value::as_str) == Some(id))
                    .copied(),
            ),
        }
    }

    /// The observed-data's id, if it has one.
    pub fn id(&self) -> Option<&'a str> {
        self.sdo.get("id").and_then(Value::as_str)
    }
}

/// The observations a pattern is matched against, in input order.
#[derive(Debug, Clone)]
pub struct Observations<'a> {
    /// The STIX version the input was read as.
    pub version: StixVersion,
    /// One entry per observed-data object, in input order.
    pub items: Vec<Observation<'a>>,
}

fn field<'a>(obj: &'a Value, key: &str, path: &str) -> Result<&'a Value, InputError> {
    obj.get(key)
        .ok_or_else(|| InputError::new(path, format!("missing '{key}'")))
}

fn timing(sdo: &Value, path: &str) -> Result<(Timestamp, Timestamp, u64), InputError> {
    let stamp = |key: &str| -> Result<Timestamp, InputError> {
        let v = field(sdo, key, path)?;
        v.as_str().and_then(Timestamp::parse).ok_or_else(|| {
            InputError::new(format!("{path}.{key}"), format!("invalid timestamp {v}"))
        })
    };
    let n = field(sdo, "number_observed", path)?;
    let number = n.as_u64().filter(|n| *n >= 1).ok_or_else(|| {
        InputError::new(
            format!("{path}.number_observed"),
            format!("must be an integer >= 1, not {n}"),
        )
    })?;
    Ok((stamp("first_observed")?, stamp("last_observed")?, number))
}

impl<'a> Observations<'a> {
    /// STIX 2.1: a list of bundles and objects (observed-data and the
    /// objects they name), in any mix: what stix2-matcher's callers pass
    /// (a list of bundles), and what its command line and 2.0 callers pass
    /// (observed-data objects).
    pub fn from_stix21(inputs: &'a [Value]) -> Result<Observations<'a>, InputError> {
        let mut pooled: Vec<(&'a Value, String)> = Vec::new();
        let mut any_objects = false;
        for (b, input) in inputs.iter().enumerate() {
            if !is_bundle(input) {
                any_objects = true;
                pooled.push((input, format!("[{b}]")));
                continue;
            }
            let Some(objects) = input.get("objects") else {
                continue;
            };
            any_objects = true;
            let objects = objects
                .as_array()
                .ok_or_else(|| InputError::new(format!("[{b}].objects"), "must be a list"))?;
            for (o, obj) in objects.iter().enumerate() {
                pooled.push((obj, format!("[{b}].objects[{o}]")));
            }
        }
        if !any_objects {
            return Err(InputError::new(
                "",
                "no objects: a STIX 2.1 bundle must have 'objects'",
            ));
        }
        // Later objects with the same id replace earlier ones.
        let mut by_id: std::collections::HashMap<&'a str, &'a Value> =
            std::collections::HashMap::new();
        let mut observed = Vec::new();
        for (obj, path) in &pooled {
            let ty = field(obj, "type", path)?;
            if ty.as_str() == Some("observed-data") {
                observed.push((*obj, path.clone()));
            } else {
                let id = field(obj, "id", path)?
                    .as_str()
                    .ok_or_else(|| InputError::new(format!("{path}.id"), "must be a string"))?;
                by_id.insert(id, obj);
            }
        }
        let mut items = Vec::with_capacity(observed.len());
        for (sdo, path) in observed {
            let refs = match (sdo.get("object_refs"), sdo.get("objects")) {
                (None, Some(embedded @ Value::Object(_))) => {
                    items.push(embedded_observation(sdo, Some(embedded), &path)?);
                    continue;
                }
                (refs, _) => refs.ok_or_else(|| {
                    InputError::new(path.clone(), "missing 'object_refs'".to_string())
                })?,
            };
            let refs = refs
                .as_array()
                .ok_or_else(|| InputError::new(format!("{path}.object_refs"), "must be a list"))?;
            let mut objects = vec![sdo];
            for r in refs {
                match r {
                    Value::String(id) => {
                        if let Some(o) = by_id.get(id.as_str()) {
                            objects.push(o);
                        }
                    }
                    Value::Array(_) | Value::Object(_) => {
                        return Err(InputError::new(
                            format!("{path}.object_refs"),
                            "references must be strings",
                        ));
                    }
                    _ => {}
                }
            }
            let (first, last, number) = timing(sdo, &path)?;
            let mut roots: Vec<&'a Value> = Vec::with_capacity(objects.len());
            let mut slot: std::collections::HashMap<&'a str, usize> =
                std::collections::HashMap::new();
            for o in &objects {
                let id = o.get("id").and_then(Value::as_str).ok_or_else(|| {
                    InputError::new(path.clone(), "every object needs a string 'id'")
                })?;
                // One root per id: the last object wins, at the first's place.
                match slot.get(id) {
                    Some(&i) => roots[i] = o,
                    None => {
                        slot.insert(id, roots.len());
                        roots.push(o);
                    }
                }
            }
            items.push(Observation {
                sdo,
                scope: Scope::V21(objects),
                roots,
                first_observed: first,
                last_observed: last,
                number_observed: number,
            });
        }
        Ok(Observations {
            version: StixVersion::V21,
            items,
        })
    }

    /// STIX 2.0: a list of observed-data objects with an `objects` dictionary.
    pub fn from_observed_data_v20(sdos: &'a [Value]) -> Result<Observations<'a>, InputError> {
        let mut items = Vec::with_capacity(sdos.len());
        for (i, sdo) in sdos.iter().enumerate() {
            let path = format!("[{i}]");
            items.push(embedded_observation(sdo, sdo.get("objects"), &path)?);
        }
        Ok(Observations {
            version: StixVersion::V20,
            items,
        })
    }
}

/// Whether an input is a bundle (a container) rather than a STIX object:
/// it says so, or it has no type and an `objects` list.
fn is_bundle(input: &Value) -> bool {
    match input.get("type") {
        Some(t) => t.as_str() == Some("bundle"),
        None => input.get("objects").is_some_and(Value::is_array),
    }
}

/// An observed-data read through its `objects` dictionary (STIX 2.0, and
/// deprecated in 2.1): references are the dictionary's keys.
fn embedded_observation<'a>(
    sdo: &'a Value,
    embedded: Option<&'a Value>,
    path: &str,
) -> Result<Observation<'a>, InputError> {
    let (first, last, number) = timing(sdo, path)?;
    let map = match embedded {
        None => None,
        Some(Value::Object(m)) => Some(m),
        Some(_) => {
            return Err(InputError::new(
                format!("{path}.objects"),
                "must be a dictionary",
            ));
        }
    };
    Ok(Observation {
        sdo,
        scope: Scope::V20(map),
        roots: map.map(|m| m.values().collect()).unwrap_or_default(),
        first_observed: first,
        last_observed: last,
        number_observed: number,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::Observations;
    use crate::Pattern;

    const T: &str = "2021-01-01T00:00:00Z";

    fn observed(n: u32, refs: &[&str]) -> Value {
        json!({"type": "observed-data", "id": format!("observed-data--00000000-0000-4000-8000-00000000000{n}"),
               "first_observed": T, "last_observed": T, "number_observed": 1, "object_refs": refs})
    }

    fn ip(n: u32, value: &str) -> Value {
        json!({"type": "ipv4-addr", "id": format!("ipv4-addr--00000000-0000-4000-8000-00000000000{n}"), "value": value})
    }

    /// The ids of the observed-data that `[ipv4-addr:value = '10.0.0.2']`
    /// and `... '10.0.0.1'` match first, or the error.
    fn verdicts(inputs: &[Value]) -> Result<[Option<Vec<String>>; 2], String> {
        let obs = Observations::from_stix21(inputs).map_err(|e| e.to_string())?;
        let run = |p: &str| {
            Pattern::parse(p).unwrap().matches(&obs).unwrap().map(|m| {
                m.observations
                    .iter()
                    .map(|i| obs.items[*i].id().unwrap_or("").to_string())
                    .collect()
            })
        };
        Ok([
            run("[ipv4-addr:value = '10.0.0.2']"),
            run("[ipv4-addr:value = '10.0.0.1']"),
        ])
    }

    #[test]
    fn every_shape_stix2_matcher_callers_pass() {
        let (o1, o2) = (
            observed(1, &["ipv4-addr--00000000-0000-4000-8000-000000000001"]),
            observed(2, &["ipv4-addr--00000000-0000-4000-8000-000000000002"]),
        );
        let (a, b) = (ip(1, "10.0.0.1"), ip(2, "10.0.0.2"));
        let second = Some(vec![
            "observed-data--00000000-0000-4000-8000-000000000002".to_string(),
        ]);
        let first = Some(vec![
            "observed-data--00000000-0000-4000-8000-000000000001".to_string(),
        ]);
        let bundle =
            |objects: Vec<Value>| json!({"type": "bundle", "id": "bundle--1", "objects": objects});
        let shapes: Vec<(&str, Vec<Value>)> = vec![
            (
                "one bundle",
                vec![bundle(vec![o1.clone(), a.clone(), o2.clone(), b.clone()])],
            ),
            (
                "bundles",
                vec![
                    bundle(vec![o1.clone(), a.clone()]),
                    bundle(vec![o2.clone(), b.clone()]),
                ],
            ),
            (
                "objects",
                vec![o1.clone(), a.clone(), o2.clone(), b.clone()],
            ),
            // The SCOs may come before the observed-data that names them.
            (
                "objects, SCOs first",
                vec![b.clone(), a.clone(), o1.clone(), o2.clone()],
            ),
            (
                "mixed",
                vec![bundle(vec![o1.clone(), a.clone()]), o2.clone(), b.clone()],
            ),
        ];
        for (what, inputs) in shapes {
            assert_eq!(
                verdicts(&inputs),
                Ok([second.clone(), first.clone()]),
                "{what}"
            );
        }
        // One observed-data alone (as a list of one) names nothing here.
        assert_eq!(verdicts(std::slice::from_ref(&o1)), Ok([None, None]));
    }

    #[test]
    fn the_deprecated_objects_dictionary_is_read_when_there_are_no_refs() {
        // The input of stix2-matcher's combinatorial cases: observed-data
        // with the 2.0 `objects` dictionary and no ids at all.
        let sdo = json!({"type": "observed-data", "first_observed": T, "last_observed": T,
                         "number_observed": 1, "objects": {"0": {"type": "ipv4-addr", "value": "10.0.0.2"}}});
        let obs = Observations::from_stix21(std::slice::from_ref(&sdo)).unwrap();
        let p = Pattern::parse("[ipv4-addr:value = '10.0.0.2']").unwrap();
        assert_eq!(
            p.matches(&obs).unwrap().map(|m| m.observations),
            Some(vec![0])
        );
        // object_refs wins over the dictionary, as in the reference.
        let both = json!({"type": "observed-data", "id": "observed-data--00000000-0000-4000-8000-000000000009",
                          "first_observed": T, "last_observed": T, "number_observed": 1,
                          "object_refs": [], "objects": {"0": {"type": "ipv4-addr", "value": "10.0.0.2"}}});
        let obs = Observations::from_stix21(std::slice::from_ref(&both)).unwrap();
        assert_eq!(p.matches(&obs).unwrap(), None);
        // Neither: refused, with where.
        let neither = json!({"type": "observed-data", "id": "observed-data--00000000-0000-4000-8000-000000000009",
                             "first_observed": T, "last_observed": T, "number_observed": 1});
        let e = Observations::from_stix21(std::slice::from_ref(&neither)).unwrap_err();
        assert!(e.to_string().contains("[0]: missing 'object_refs'"), "{e}");
        let e =
            Observations::from_stix21(&[json!({"type": "bundle", "id": "bundle--1"})]).unwrap_err();
        assert!(e.to_string().contains("must have 'objects'"), "{e}");
    }
}
