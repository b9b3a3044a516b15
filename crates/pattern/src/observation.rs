//! Observed data as the evaluator sees it.
//!
//! STIX 2.1 (STIX 2.1 part 2, section 4.13): a list of bundles holding
//! observed-data objects and the SCOs their `object_refs` name. As in the
//! reference matcher, all bundles are pooled first, an observed-data sees
//! exactly the objects its `object_refs` name (plus itself), and a later
//! object with the same id replaces an earlier one.
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
    /// STIX 2.1: a list of bundles (observed-data and the objects they name).
    pub fn from_bundles(bundles: &'a [Value]) -> Result<Observations<'a>, InputError> {
        let mut pooled: Vec<(&'a Value, String)> = Vec::new();
        let mut any_objects = false;
        for (b, bundle) in bundles.iter().enumerate() {
            let Some(objects) = bundle.get("objects") else {
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
            return Err(InputError::new("", "a STIX 2.1 bundle must have 'objects'"));
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
            let refs = field(sdo, "object_refs", &path)?
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
            let (first, last, number) = timing(sdo, &path)?;
            let map = match sdo.get("objects") {
                None => None,
                Some(Value::Object(m)) => Some(m),
                Some(_) => {
                    return Err(InputError::new(
                        format!("{path}.objects"),
                        "must be a dictionary",
                    ));
                }
            };
            let roots = map.map(|m| m.values().collect()).unwrap_or_default();
            items.push(Observation {
                sdo,
                scope: Scope::V20(map),
                roots,
                first_observed: first,
                last_observed: last,
                number_observed: number,
            });
        }
        Ok(Observations {
            version: StixVersion::V20,
            items,
        })
    }
}
