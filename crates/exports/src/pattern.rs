//! Which patterns an enforcement format can carry, and their values.
//!
//! A blocklist entry says "this value is bad". A pattern says the same only
//! when it is one comparison, or an OR of comparisons, each an equality (or
//! `IN`, a set of equalities, or ISSUBSET of a CIDR for addresses) on the
//! `value` of one observable type (or on the hashes of a file). Anything
//! else (AND, FOLLOWEDBY, WITHIN/REPEATS/START-STOP qualifiers, NOT,
//! `!=`, `<`, LIKE, MATCHES, other properties) would change meaning if its
//! parts were exported alone, so the whole indicator is skipped.

use concord_pattern::{ComparisonExpr, Literal, ObservationExpr, Operator, PathStep, PropTest};

use crate::observable::{self, Observable};
use crate::report::{Kind, SkipReason};

/// One comparison the pattern ORs.
struct Leaf<'p> {
    object_type: &'p str,
    kind: Kind,
    value: &'p str,
}

/// The values of a pattern: every valid one, and every invalid one with
/// the rule it breaks.
pub(crate) struct Values {
    pub valid: Vec<Observable>,
    pub invalid: Vec<(String, SkipReason)>,
}

/// Reads the values out of a parsed pattern, or says why the pattern is
/// not exported.
pub(crate) fn values(ast: &ObservationExpr) -> Result<Values, SkipReason> {
    let mut leaves = Vec::new();
    observation(ast, &mut leaves)?;
    let first = leaves.first().map(|l| l.object_type);
    if leaves.iter().any(|l| Some(l.object_type) != first) {
        let mut types: Vec<&str> = leaves.iter().map(|l| l.object_type).collect();
        types.sort_unstable();
        types.dedup();
        return Err(SkipReason::MixedObservables {
            types: types.join(", "),
        });
    }
    let mut out = Values {
        valid: Vec::with_capacity(leaves.len()),
        invalid: Vec::new(),
    };
    for leaf in leaves {
        let parsed = match leaf.kind {
            Kind::Ipv4Addr => observable::ipv4(leaf.value),
            Kind::Ipv6Addr => observable::ipv6(leaf.value),
            Kind::DomainName => observable::domain(leaf.value),
            Kind::Url => observable::url(leaf.value),
            Kind::EmailAddr => observable::email(leaf.value),
            Kind::Md5 | Kind::Sha1 | Kind::Sha256 => observable::hash(leaf.kind, leaf.value),
        };
        match parsed {
            Ok(o) => out.valid.push(o),
            Err(why) => out.invalid.push((
                leaf.value.to_string(),
                SkipReason::InvalidValue {
                    kind: leaf.kind,
                    why,
                },
            )),
        }
    }
    out.valid.sort_unstable();
    out.valid.dedup();
    Ok(out)
}

fn unsupported(construct: impl Into<String>) -> SkipReason {
    SkipReason::UnsupportedPattern {
        construct: construct.into(),
    }
}

fn observation<'p>(e: &'p ObservationExpr, out: &mut Vec<Leaf<'p>>) -> Result<(), SkipReason> {
    match e {
        ObservationExpr::Comparison(c) => comparison(c, out),
        ObservationExpr::Or(v) => v.iter().try_for_each(|x| observation(x, out)),
        ObservationExpr::And(_) => Err(unsupported("AND between observations")),
        ObservationExpr::FollowedBy(_) => Err(unsupported("FOLLOWEDBY")),
        ObservationExpr::Qualified(_, q) => Err(unsupported(format!("the qualifier {q}"))),
    }
}

fn comparison<'p>(c: &'p ComparisonExpr, out: &mut Vec<Leaf<'p>>) -> Result<(), SkipReason> {
    match c {
        ComparisonExpr::Or(v) => v.iter().try_for_each(|x| comparison(x, out)),
        ComparisonExpr::And(_) => Err(unsupported("AND")),
        ComparisonExpr::Test(t) => test(t, out),
    }
}

/// The kind a path selects: `<type>:value` or `file:hashes.<algorithm>`.
fn kind_of(t: &PropTest) -> Option<Kind> {
    let key = |i: usize| match t.path.steps.get(i) {
        Some(PathStep::Key(k)) => Some(k.as_str()),
        _ => None,
    };
    match (t.path.object_type.as_str(), t.path.steps.len()) {
        (ty, 1) if key(0) == Some("value") => match ty {
            "ipv4-addr" => Some(Kind::Ipv4Addr),
            "ipv6-addr" => Some(Kind::Ipv6Addr),
            "domain-name" => Some(Kind::DomainName),
            "url" => Some(Kind::Url),
            "email-addr" => Some(Kind::EmailAddr),
            _ => None,
        },
        ("file", 2) if key(0) == Some("hashes") => {
            // The STIX hash vocabulary spells them MD5, SHA-1, SHA-256;
            // feeds also write sha1/sha256.
            let alg: String = key(1)?
                .chars()
                .filter(|c| *c != '-')
                .map(|c| c.to_ascii_uppercase())
                .collect();
            match alg.as_str() {
                "MD5" => Some(Kind::Md5),
                "SHA1" => Some(Kind::Sha1),
                "SHA256" => Some(Kind::Sha256),
                _ => None,
            }
        }
        _ => None,
    }
}

fn operator_name(op: &Operator) -> &'static str {
    match op {
        Operator::Eq(_) => "=",
        Operator::Ne(_) => "!=",
        Operator::Lt(_) => "<",
        Operator::Le(_) => "<=",
        Operator::Gt(_) => ">",
        Operator::Ge(_) => ">=",
        Operator::In(_) => "IN",
        Operator::Like(_) => "LIKE",
        Operator::Matches(_) => "MATCHES",
        Operator::IsSubset(_) => "ISSUBSET",
        Operator::IsSuperset(_) => "ISSUPERSET",
        Operator::Exists => "EXISTS",
    }
}

fn test<'p>(t: &'p PropTest, out: &mut Vec<Leaf<'p>>) -> Result<(), SkipReason> {
    if t.negated {
        return Err(unsupported("NOT"));
    }
    let kind = kind_of(t).ok_or_else(|| unsupported(format!("the object path {}", t.path)))?;
    let object_type = t.path.object_type.as_str();
    let mut leaf = |value: &'p str| {
        out.push(Leaf {
            object_type,
            kind,
            value,
        })
    };
    let string = |l: &'p Literal| match l {
        Literal::Str(s) => Ok(s.as_str()),
        other => Err(unsupported(format!("a comparison with {other}"))),
    };
    match &t.op {
        Operator::Eq(l) => leaf(string(l)?),
        Operator::In(set) => {
            for l in set {
                leaf(string(l)?);
            }
        }
        Operator::IsSubset(net) if matches!(kind, Kind::Ipv4Addr | Kind::Ipv6Addr) => leaf(net),
        op => {
            return Err(unsupported(format!("the operator {}", operator_name(op))));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use concord_pattern::Pattern;

    fn run(p: &str) -> Result<Values, SkipReason> {
        values(Pattern::parse(p).unwrap().ast())
    }

    fn texts(p: &str) -> Vec<String> {
        run(p)
            .unwrap()
            .valid
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn single_comparisons_and_ors_of_equalities_are_read() {
        assert_eq!(
            texts("[domain-name:value = 'Evil.Example']"),
            ["evil.example"]
        );
        assert_eq!(
            texts("[domain-name:value = 'a.example' OR domain-name:value = 'b.example']"),
            ["a.example", "b.example"]
        );
        assert_eq!(
            texts("[ipv4-addr:value = '1.2.3.4'] OR [ipv4-addr:value = '5.6.7.8']"),
            ["1.2.3.4", "5.6.7.8"]
        );
        assert_eq!(
            texts("[ipv4-addr:value ISSUBSET '198.51.100.0/24']"),
            ["198.51.100.0/24"]
        );
        assert_eq!(
            texts("[domain-name:value IN ('b.example', 'a.example', 'a.example')]"),
            ["a.example", "b.example"]
        );
        assert_eq!(
            texts(&format!(
                "[file:hashes.MD5 = '{}' OR file:hashes.'SHA-256' = '{}']",
                "A".repeat(32),
                "b".repeat(64)
            )),
            ["a".repeat(32), "b".repeat(64)]
        );
    }

    fn reason(p: &str) -> String {
        match run(p) {
            Err(SkipReason::UnsupportedPattern { construct }) => construct,
            Err(SkipReason::MixedObservables { types }) => format!("mixed {types}"),
            other => panic!("{p}: {:?}", other.map(|v| v.valid)),
        }
    }

    #[test]
    fn everything_else_is_refused_with_its_construct() {
        assert_eq!(
            reason("[domain-name:value = 'a.example'] AND [domain-name:value = 'b.example']"),
            "AND between observations"
        );
        assert_eq!(
            reason("[ipv4-addr:value = '1.2.3.4' AND ipv4-addr:value = '1.2.3.5']"),
            "AND"
        );
        assert_eq!(
            reason("[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [ipv4-addr:value = '1.2.3.5']"),
            "FOLLOWEDBY"
        );
        assert_eq!(
            reason("[ipv4-addr:value = '1.2.3.4'] WITHIN 300 SECONDS"),
            "the qualifier WITHIN 300 SECONDS"
        );
        assert_eq!(reason("[ipv4-addr:value NOT = '1.2.3.4']"), "NOT");
        assert_eq!(reason("[ipv4-addr:value != '1.2.3.4']"), "the operator !=");
        assert_eq!(
            reason("[domain-name:value LIKE '%.example']"),
            "the operator LIKE"
        );
        assert_eq!(
            reason("[domain-name:value ISSUBSET '10.0.0.0/8']"),
            "the operator ISSUBSET"
        );
        assert_eq!(reason("[file:name = 'x.exe']"), "the object path file:name");
        assert_eq!(
            reason("[file:hashes.'SHA-512' = 'ab']"),
            "the object path file:hashes.'SHA-512'"
        );
        assert_eq!(reason("[file:size = 3]"), "the object path file:size");
        assert_eq!(
            reason("[domain-name:value = 'a.example'] OR [ipv4-addr:value = '1.2.3.4']"),
            "mixed domain-name, ipv4-addr"
        );
        assert_eq!(reason("[url:value = 3]"), "a comparison with 3");
    }

    #[test]
    fn invalid_values_are_listed_and_the_rest_kept() {
        let v =
            run("[domain-name:value = 'ok.example' OR domain-name:value = 'bad name']").unwrap();
        assert_eq!(v.valid.len(), 1);
        assert_eq!(v.invalid.len(), 1);
        assert_eq!(v.invalid[0].0, "bad name");
        assert!(matches!(
            v.invalid[0].1,
            SkipReason::InvalidValue {
                kind: Kind::DomainName,
                ..
            }
        ));
    }
}
