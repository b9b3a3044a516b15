//! What the index needs from a pattern: either the atoms that decide it
//! alone (a pattern that is one comparison, or an OR of comparisons, each
//! an equality, IN, ISSUBSET or subdomain LIKE on a value the index knows),
//! or the atoms one of which must hold before the pattern can match (its
//! prefilter), so that the evaluator runs only for candidate events.

use concord_pattern::{
    ComparisonExpr, Literal, Net, ObservationExpr, Operator, PathStep, Pattern, PropTest,
};

use crate::observable::Observable;

/// A condition on one observable of an event.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Atom {
    /// The observable's index key equals this.
    Key(Vec<u8>),
    /// An IPv4 address inside this network.
    V4Net(u32, u8),
    V6Net(u128, u8),
    /// A domain name strictly below this one (`LIKE '%.example.com'`).
    Subdomain(String),
}

pub(crate) enum Plan {
    /// The pattern holds for an event exactly when one atom does.
    Direct(Vec<Atom>),
    /// Evaluate the pattern, but only when one of the atoms holds; `None`:
    /// for every event.
    Evaluate(Option<Vec<Atom>>),
}

fn keys(path: &[PathStep]) -> Option<Vec<String>> {
    path.iter()
        .map(|s| match s {
            PathStep::Key(k) => Some(k.clone()),
            _ => None,
        })
        .collect()
}

/// The atoms that make one comparison true, if it is that simple.
fn test_atoms(t: &PropTest) -> Option<Vec<Atom>> {
    if t.negated {
        return None;
    }
    let ty = t.path.object_type.as_str();
    let path = keys(&t.path.steps)?;
    let key_of = |value: &str| -> Option<Atom> {
        // A CIDR value (`ipv4-addr:value = '10.0.0.0/8'`) is no address.
        if matches!(ty, "ipv4-addr" | "ipv6-addr") && value.contains('/') {
            return None;
        }
        let obs = Observable::at_path(ty, &path, value)?;
        let mut k = Vec::new();
        obs.key(&mut k).then_some(Atom::Key(k))
    };
    match &t.op {
        Operator::Eq(Literal::Str(v)) => Some(vec![key_of(v)?]),
        Operator::In(items) if !items.is_empty() => items
            .iter()
            .map(|l| match l {
                Literal::Str(v) => key_of(v),
                _ => None,
            })
            .collect(),
        Operator::IsSubset(s) if path == ["value"] => match (ty, concord_pattern::parse_subnet(s)?)
        {
            ("ipv4-addr", Net::V4 { addr, prefix }) => Some(vec![Atom::V4Net(addr, prefix)]),
            ("ipv6-addr", Net::V6 { addr, prefix }) => Some(vec![Atom::V6Net(addr, prefix)]),
            _ => None,
        },
        Operator::Like(s) if ty == "domain-name" && path == ["value"] => {
            let suffix = s.strip_prefix("%.")?;
            (!suffix.is_empty() && !suffix.contains(['%', '_']))
                .then(|| vec![Atom::Subdomain(suffix.to_ascii_lowercase())])
        }
        _ => None,
    }
}

/// Atoms one of which must hold for the comparison to hold.
fn comparison_prefilter(c: &ComparisonExpr) -> Option<Vec<Atom>> {
    match c {
        ComparisonExpr::Test(t) => test_atoms(t),
        ComparisonExpr::Or(items) => {
            let mut all = Vec::new();
            for i in items {
                all.extend(comparison_prefilter(i)?);
            }
            Some(all)
        }
        // Any conjunct will do; the one with the fewest atoms filters best.
        ComparisonExpr::And(items) => items
            .iter()
            .filter_map(comparison_prefilter)
            .min_by_key(Vec::len),
    }
}

fn observation_prefilter(e: &ObservationExpr) -> Option<Vec<Atom>> {
    match e {
        ObservationExpr::Comparison(c) => comparison_prefilter(c),
        ObservationExpr::Or(items) => {
            let mut all = Vec::new();
            for i in items {
                all.extend(observation_prefilter(i)?);
            }
            Some(all)
        }
        ObservationExpr::And(items) | ObservationExpr::FollowedBy(items) => items
            .iter()
            .filter_map(observation_prefilter)
            .min_by_key(Vec::len),
        ObservationExpr::Qualified(inner, _) => observation_prefilter(inner),
    }
}

/// How to index a pattern.
pub(crate) fn plan(p: &Pattern) -> Plan {
    if let ObservationExpr::Comparison(c) = p.ast() {
        let direct = match c {
            ComparisonExpr::Test(t) => test_atoms(t),
            ComparisonExpr::Or(items) => items
                .iter()
                .map(|i| match i {
                    ComparisonExpr::Test(t) => test_atoms(t),
                    _ => None,
                })
                .collect::<Option<Vec<Vec<Atom>>>>()
                .map(|v| v.into_iter().flatten().collect()),
            ComparisonExpr::And(_) => None,
        };
        if let Some(atoms) = direct {
            return Plan::Direct(atoms);
        }
    }
    Plan::Evaluate(observation_prefilter(p.ast()))
}
