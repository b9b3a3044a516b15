//! Object paths: which values of an object a comparison looks at.
//!
//! As in the reference matcher: a key step keeps the values that are
//! dictionaries holding the key; `[n]` and `[*]` keep the values that are
//! lists; a key ending in `_hex` or `_bin` yields bytes; a key ending in
//! `_ref` is replaced by the object it names, one ending in `_refs` by the
//! list of objects it names (unresolved references are dropped).

use std::rc::Rc;

use serde_json::Value;

use crate::ast::PathStep;
use crate::literal::{decode_base64, decode_hex};
use crate::observation::Observation;
use crate::predicate::Selected;

/// The values the steps select from `root`, in order. An error is a value
/// the reference cannot read (a `_hex` that is no hex, a `_ref` that is no
/// string, ...).
pub(crate) fn select<'a>(
    obs: &Observation<'a>,
    root: &'a Value,
    steps: &[PathStep],
) -> Result<Vec<Selected<'a>>, String> {
    let mut values = vec![Selected::Json(root)];
    for step in steps {
        if values.is_empty() {
            break;
        }
        let mut next = Vec::with_capacity(values.len());
        match step {
            PathStep::Key(key) => {
                for v in &values {
                    if let Selected::Json(Value::Object(map)) = v
                        && let Some(child) = map.get(key.as_str())
                    {
                        next.push(with_suffix(key, child)?);
                    }
                }
                if key.ends_with("_ref") {
                    next = dereference(obs, key, next)?;
                } else if key.ends_with("_refs") {
                    next = dereference_list(obs, key, next)?;
                }
            }
            PathStep::Index(n) => {
                let Ok(n) = usize::try_from(*n) else {
                    return Ok(Vec::new());
                };
                for v in &values {
                    match v {
                        Selected::Json(Value::Array(a)) => {
                            if let Some(x) = a.get(n) {
                                next.push(Selected::Json(x));
                            }
                        }
                        Selected::Objects(list) => {
                            if let Some(x) = list.get(n) {
                                next.push(Selected::Json(x));
                            }
                        }
                        _ => {}
                    }
                }
            }
            PathStep::AnyIndex => {
                for v in &values {
                    match v {
                        Selected::Json(Value::Array(a)) => {
                            next.extend(a.iter().map(Selected::Json))
                        }
                        Selected::Objects(list) => {
                            next.extend(list.iter().map(|x| Selected::Json(x)))
                        }
                        _ => {}
                    }
                }
            }
        }
        values = next;
    }
    Ok(values)
}

fn with_suffix<'a>(key: &str, value: &'a Value) -> Result<Selected<'a>, String> {
    if key.ends_with("_hex") {
        let bytes = value
            .as_str()
            .and_then(decode_hex)
            .ok_or_else(|| format!("property {key} is not hex: {value}"))?;
        Ok(Selected::Bytes(Rc::from(bytes)))
    } else if key.ends_with("_bin") {
        let bytes = value
            .as_str()
            .and_then(decode_base64)
            .ok_or_else(|| format!("property {key} is not base64: {value}"))?;
        Ok(Selected::Bytes(Rc::from(bytes)))
    } else {
        Ok(Selected::Json(value))
    }
}

fn dereference<'a>(
    obs: &Observation<'a>,
    key: &str,
    refs: Vec<Selected<'a>>,
) -> Result<Vec<Selected<'a>>, String> {
    let mut out = Vec::new();
    let mut found = Vec::new();
    for r in refs {
        let Selected::Json(Value::String(id)) = r else {
            return Err(format!(
                "the value of reference property '{key}' is not a string"
            ));
        };
        found.clear();
        obs.dereference(id, &mut found);
        out.extend(found.iter().map(|o| Selected::Json(o)));
    }
    Ok(out)
}

fn dereference_list<'a>(
    obs: &Observation<'a>,
    key: &str,
    lists: Vec<Selected<'a>>,
) -> Result<Vec<Selected<'a>>, String> {
    let mut out = Vec::new();
    for l in lists {
        let Selected::Json(Value::Array(ids)) = l else {
            return Err(format!(
                "the value of reference list property '{key}' is not a list"
            ));
        };
        let mut found = Vec::new();
        for id in ids {
            let Value::String(id) = id else {
                return Err(format!(
                    "a value of reference property '{key}' is not a string"
                ));
            };
            obs.dereference(id, &mut found);
        }
        if !found.is_empty() {
            out.push(Selected::Objects(Rc::from(found)));
        }
    }
    Ok(out)
}
