//! Evaluation of a compiled pattern over observations.
//!
//! Comparison expressions are evaluated first, all of them, over every
//! observation (as the reference does while it walks the pattern, so a
//! value that makes the reference fail makes this fail too). Each yields the
//! observations it holds for, in the reference's order, each with the root
//! objects it holds for; AND intersects the roots of one observation, OR
//! unites them. Then the observation expressions are combined into binding
//! streams (see `binding`), and the first binding decides.

use serde_json::Value;

use crate::ast::{ComparisonExpr, ObjectPath, ObservationExpr, Qualifier};
use crate::binding::{BoxStream, Context, Join, JoinKind, Or, Repeats, Simple, StartStop, Within};
use crate::error::EvalError;
use crate::observation::{Observations, StixVersion};
use crate::path::select;
use crate::predicate::{self, Test};

/// The STIX 2.1 object types that are no cyber-observable (STIX 2.1 part 2,
/// sections 4 and 5; the list stix2-matcher keeps): a 2.1 pattern never
/// selects them.
const NON_SCO_TYPES_V21: &[&str] = &[
    "attack-pattern",
    "bundle",
    "campaign",
    "course-of-action",
    "extension-definition",
    "grouping",
    "identity",
    "incident",
    "indicator",
    "infrastructure",
    "intrusion-set",
    "language-content",
    "location",
    "malware",
    "malware-analysis",
    "marking-definition",
    "note",
    "observed-data",
    "opinion",
    "relationship",
    "report",
    "threat-actor",
    "tool",
    "sighting",
    "vulnerability",
];

/// A comparison with its compiled operator.
#[derive(Debug)]
pub(crate) struct CompiledTest {
    pub path: ObjectPath,
    pub negated: bool,
    pub test: Test,
}

/// A comparison expression ready to run.
#[derive(Debug)]
pub(crate) enum Comparison {
    And(Vec<Comparison>),
    Or(Vec<Comparison>),
    Test(Box<CompiledTest>),
}

/// An observation expression ready to run.
#[derive(Debug)]
pub(crate) enum Program {
    Comparison(Comparison),
    And(Vec<Program>),
    Or(Vec<Program>),
    FollowedBy(Vec<Program>),
    Within(Box<Program>, i64),
    Repeats(Box<Program>, u32),
    StartStop(
        Box<Program>,
        crate::timestamp::Timestamp,
        crate::timestamp::Timestamp,
    ),
}

pub(crate) fn compile_comparison(c: &ComparisonExpr) -> Result<Comparison, String> {
    Ok(match c {
        ComparisonExpr::And(v) => {
            Comparison::And(v.iter().map(compile_comparison).collect::<Result<_, _>>()?)
        }
        ComparisonExpr::Or(v) => {
            Comparison::Or(v.iter().map(compile_comparison).collect::<Result<_, _>>()?)
        }
        ComparisonExpr::Test(t) => Comparison::Test(Box::new(CompiledTest {
            path: t.path.clone(),
            negated: t.negated,
            test: predicate::compile(&t.op)?,
        })),
    })
}

pub(crate) fn compile(e: &ObservationExpr) -> Result<Program, String> {
    let all = |v: &[ObservationExpr]| v.iter().map(compile).collect::<Result<Vec<_>, _>>();
    Ok(match e {
        ObservationExpr::Comparison(c) => Program::Comparison(compile_comparison(c)?),
        ObservationExpr::And(v) => Program::And(all(v)?),
        ObservationExpr::Or(v) => Program::Or(all(v)?),
        ObservationExpr::FollowedBy(v) => Program::FollowedBy(all(v)?),
        ObservationExpr::Qualified(inner, q) => {
            let inner = Box::new(compile(inner)?);
            match q {
                Qualifier::Within { micros, .. } => Program::Within(inner, *micros),
                Qualifier::Repeats(n) => Program::Repeats(inner, *n),
                Qualifier::StartStop { start, stop } => Program::StartStop(inner, *start, *stop),
            }
        }
    })
}

/// The observations a comparison holds for, in the reference's order, each
/// with the (sorted) indices of the root objects it holds for.
pub(crate) type Holds = Vec<(u32, Vec<u32>)>;

fn test_holds(t: &CompiledTest, obs: &Observations<'_>) -> Result<Holds, EvalError> {
    let mut out = Vec::new();
    if obs.version == StixVersion::V21 && NON_SCO_TYPES_V21.contains(&t.path.object_type.as_str()) {
        return Ok(out);
    }
    let ty = t.path.object_type.as_str();
    for (oi, o) in obs.items.iter().enumerate() {
        let mut roots = Vec::new();
        for (ri, root) in o.roots.iter().enumerate() {
            if root.get("type").and_then(Value::as_str) != Some(ty) {
                continue;
            }
            let fail = |reason: String| EvalError::Value {
                observation: oi,
                reason,
            };
            let values = select(o, root, &t.path.steps).map_err(fail)?;
            if values.is_empty() {
                // EXISTS with NOT holds for a root that lacks the property
                // (STIX 2.1 section 9.5, Comparison Operators).
                if matches!(t.test, Test::Exists) && t.negated {
                    roots.push(ri as u32);
                }
                continue;
            }
            if matches!(t.test, Test::Exists) {
                if !t.negated {
                    roots.push(ri as u32);
                }
                continue;
            }
            for v in &values {
                if t.test.apply(v, t.negated).map_err(fail)? {
                    roots.push(ri as u32);
                    break;
                }
            }
        }
        if !roots.is_empty() {
            out.push((oi as u32, roots));
        }
    }
    Ok(out)
}

fn position(h: &Holds) -> std::collections::HashMap<u32, usize> {
    h.iter().enumerate().map(|(i, (o, _))| (*o, i)).collect()
}

fn intersect(a: &[u32], b: &[u32]) -> Vec<u32> {
    a.iter()
        .filter(|x| b.binary_search(x).is_ok())
        .copied()
        .collect()
}

fn unite(a: &mut Vec<u32>, b: &[u32]) {
    a.extend_from_slice(b);
    a.sort_unstable();
    a.dedup();
}

/// Evaluates a comparison expression over all observations.
pub(crate) fn comparison_holds(c: &Comparison, obs: &Observations<'_>) -> Result<Holds, EvalError> {
    match c {
        Comparison::Test(t) => test_holds(t, obs),
        Comparison::And(items) => {
            let mut acc: Option<Holds> = None;
            for item in items {
                let h = comparison_holds(item, obs)?;
                acc = Some(match acc {
                    None => h,
                    Some(left) => {
                        let right = position(&h);
                        left.into_iter()
                            .filter_map(|(o, roots)| {
                                let r = &h[*right.get(&o)?].1;
                                let both = intersect(&roots, r);
                                (!both.is_empty()).then_some((o, both))
                            })
                            .collect()
                    }
                });
            }
            Ok(acc.unwrap_or_default())
        }
        Comparison::Or(items) => {
            let mut acc: Option<Holds> = None;
            for item in items {
                let h = comparison_holds(item, obs)?;
                acc = Some(match acc {
                    None => h,
                    Some(mut left) => {
                        let mut at = position(&left);
                        for (o, roots) in h {
                            match at.get(&o) {
                                Some(&i) => unite(&mut left[i].1, &roots),
                                None => {
                                    at.insert(o, left.len());
                                    left.push((o, roots));
                                }
                            }
                        }
                        left
                    }
                });
            }
            Ok(acc.unwrap_or_default())
        }
    }
}

/// Evaluates every comparison (in pattern order) and builds the binding
/// stream of the whole pattern.
fn build(p: &Program, obs: &Observations<'_>) -> Result<BoxStream, EvalError> {
    Ok(match p {
        Program::Comparison(c) => {
            let holds = comparison_holds(c, obs)?;
            Box::new(Simple::new(holds.into_iter().map(|(o, _)| o).collect()))
        }
        Program::And(items) => fold(items, obs, |l, r| Box::new(Join::new(JoinKind::And, l, r)))?,
        Program::Or(items) => fold(items, obs, |l, r| Box::new(Or::new(l, r)))?,
        Program::FollowedBy(items) => fold(items, obs, |l, r| {
            Box::new(Join::new(JoinKind::FollowedBy, l, r))
        })?,
        Program::Within(inner, micros) => Box::new(Within::new(build(inner, obs)?, *micros)),
        Program::Repeats(inner, n) => Box::new(Repeats::new(build(inner, obs)?, *n as usize)),
        Program::StartStop(inner, start, stop) => {
            Box::new(StartStop::new(build(inner, obs)?, *start, *stop))
        }
    })
}

fn fold(
    items: &[Program],
    obs: &Observations<'_>,
    join: impl Fn(BoxStream, BoxStream) -> BoxStream,
) -> Result<BoxStream, EvalError> {
    let mut acc: Option<BoxStream> = None;
    for item in items {
        let s = build(item, obs)?;
        acc = Some(match acc {
            None => s,
            Some(left) => join(left, s),
        });
    }
    Ok(acc.unwrap_or_else(|| Box::new(Simple::new(Vec::new()))))
}

/// The observations of the first binding (indices, ascending), or `None`
/// when the pattern does not match.
pub(crate) fn evaluate(
    p: &Program,
    obs: &Observations<'_>,
    budget: u64,
) -> Result<Option<Vec<usize>>, EvalError> {
    // One observation expression: the first observation that satisfies the
    // comparison is the first binding.
    if let Program::Comparison(c) = p {
        let holds = comparison_holds(c, obs)?;
        return Ok(holds.first().map(|(o, _)| vec![*o as usize]));
    }
    let mut stream = build(p, obs)?;
    let cx = Context::new(&obs.items, budget);
    let Some(first) = stream.next(&cx)? else {
        return Ok(None);
    };
    // Only an observation's first instance names it in the result, as in the
    // reference: a binding of later instances only reports nothing.
    let mut found: Vec<usize> = first
        .iter()
        .filter(|i| i.instance == 0)
        .map(|i| i.observation as usize)
        .collect();
    found.sort_unstable();
    found.dedup();
    Ok((!found.is_empty()).then_some(found))
}
