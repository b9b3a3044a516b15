//! The comparison operators applied to one selected value, with the type
//! rules of the reference matcher (stix2-matcher 3.0.0):
//!
//! - `=`/`!=` compare numbers with numbers (ints and floats mix, booleans do
//!   not), strings with strings, bytes with bytes or with strings whose code
//!   points are all below 256, booleans with booleans, timestamps with
//!   strings read as timestamps. Other pairs are unequal.
//! - `<`, `<=`, `>`, `>=` on a pair with no order are false, and `NOT` does
//!   not turn that into true.
//! - `IN` is set membership with Python's hashing (so `true IN (1)`).
//! - `LIKE` and `MATCHES` compare NFC-normalised text; `MATCHES` searches
//!   anywhere, `LIKE` must match the whole value.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::rc::Rc;

use regex::Regex;
use serde_json::Value;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

use crate::ast::Literal;
use crate::ipv4::{self, Net};
use crate::timestamp::Timestamp;

/// A value selected by an object path.
#[derive(Debug, Clone)]
pub(crate) enum Selected<'a> {
    Json(&'a Value),
    /// The decoded value of a `_hex` or `_bin` property.
    Bytes(Rc<[u8]>),
    /// The objects a `_refs` list resolves to.
    Objects(Rc<[&'a Value]>),
}

/// The reference's outcome of one test on one value: true, false, or an
/// error that ends the evaluation.
pub(crate) type Outcome = Result<bool, String>;

/// A compiled comparison (the operator and its operand).
#[derive(Debug)]
pub(crate) enum Test {
    Equal {
        literal: Literal,
        not_equal: bool,
    },
    Order {
        literal: Literal,
        op: Ordering,
        or_equal: bool,
    },
    In(SetTest),
    Like(LikeTest),
    Matches(RegexTest),
    /// The subnet, or the operand that is none (an error only when a
    /// string value reaches the test, as in the reference).
    IsSubset(Result<Net, String>),
    /// The address or subnet, or the operand that is neither.
    IsSuperset(Result<Net, String>),
    Exists,
}

impl Test {
    /// Applies the test to one value; `negated` is the pattern's `NOT`.
    pub(crate) fn apply(&self, value: &Selected<'_>, negated: bool) -> Outcome {
        let result = match self {
            Test::Equal { literal, not_equal } => equal(value, literal)? != *not_equal,
            Test::Order {
                literal,
                op,
                or_equal,
            } => match order(value, literal)? {
                OrderOutcome::Unordered => return Ok(false),
                OrderOutcome::Refused => false,
                OrderOutcome::Ordered(o) => o == *op || (*or_equal && o == Ordering::Equal),
            },
            Test::In(set) => set.contains(value)?,
            Test::Like(like) => like.matches(value)?,
            Test::Matches(re) => re.matches(value),
            Test::IsSubset(net) => match text(value) {
                Some(s) => {
                    let v = ipv4::parse_address_or_subnet(s)
                        .ok_or_else(|| format!("invalid IP address or subnet: {s}"))?;
                    let net = net
                        .as_ref()
                        .map_err(|n| format!("invalid CIDR subnet: {n}"))?;
                    ipv4::contains(*net, v)
                }
                None => false,
            },
            Test::IsSuperset(net) => match text(value) {
                Some(s) => {
                    let net = net
                        .as_ref()
                        .map_err(|n| format!("invalid IP address or subnet: {n}"))?;
                    let v =
                        ipv4::parse_subnet(s).ok_or_else(|| format!("invalid CIDR subnet: {s}"))?;
                    ipv4::contains(v, *net)
                }
                None => false,
            },
            Test::Exists => true,
        };
        Ok(result != negated)
    }
}

fn text<'v>(value: &'v Selected<'_>) -> Option<&'v str> {
    match value {
        Selected::Json(Value::String(s)) => Some(s),
        _ => None,
    }
}

/// A JSON number as the reference sees it: int or float.
#[derive(Clone, Copy)]
enum Number {
    Int(i128),
    Float(f64),
}

fn number(v: &Value) -> Option<Number> {
    let Value::Number(n) = v else { return None };
    if let Some(i) = n.as_i64() {
        Some(Number::Int(i128::from(i)))
    } else if let Some(u) = n.as_u64() {
        Some(Number::Int(i128::from(u)))
    } else {
        n.as_f64().map(Number::Float)
    }
}

/// Exact comparison of an integer with a float, as Python does it.
fn cmp_int_float(i: i128, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    const LIMIT: f64 = 1.7014118346046923e38; // 2^127
    if f >= LIMIT {
        return Some(Ordering::Less);
    }
    if f < -LIMIT {
        return Some(Ordering::Greater);
    }
    let t = f.trunc();
    match i.cmp(&(t as i128)) {
        Ordering::Equal => (t).partial_cmp(&f),
        o => Some(o),
    }
}

fn cmp_numbers(a: Number, b: Number) -> Option<Ordering> {
    match (a, b) {
        (Number::Int(x), Number::Int(y)) => Some(x.cmp(&y)),
        (Number::Int(x), Number::Float(y)) => cmp_int_float(x, y),
        (Number::Float(x), Number::Int(y)) => cmp_int_float(y, x).map(Ordering::reverse),
        (Number::Float(x), Number::Float(y)) => x.partial_cmp(&y),
    }
}

fn literal_number(l: &Literal) -> Option<Number> {
    match l {
        Literal::Int(i) => Some(Number::Int(*i)),
        Literal::Float(f) => Some(Number::Float(*f)),
        _ => None,
    }
}

fn literal_bytes(l: &Literal) -> Option<&[u8]> {
    match l {
        Literal::Binary(b) | Literal::Hex(b) => Some(b),
        _ => None,
    }
}

/// A string's code points as bytes, if all are below 256.
fn latin1(s: &str) -> Option<Vec<u8>> {
    s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
}

fn json_timestamp(s: &str) -> Result<Timestamp, String> {
    Timestamp::parse(s).ok_or_else(|| format!("invalid timestamp in JSON: {s}"))
}

fn equal(value: &Selected<'_>, literal: &Literal) -> Outcome {
    let v = match value {
        Selected::Json(v) => *v,
        Selected::Bytes(b) => {
            return Ok(match literal {
                Literal::Binary(l) | Literal::Hex(l) => b[..] == l[..],
                Literal::Str(s) => latin1(s).is_some_and(|l| b[..] == l[..]),
                _ => false,
            });
        }
        Selected::Objects(_) => return Ok(false),
    };
    Ok(match (v, literal) {
        (Value::String(s), Literal::Timestamp(t)) => json_timestamp(s)? == *t,
        (Value::String(s), Literal::Str(l)) => s == l,
        (Value::String(s), Literal::Binary(l) | Literal::Hex(l)) => {
            latin1(s).is_some_and(|b| b == *l)
        }
        (Value::Bool(b), Literal::Bool(l)) => b == l,
        (Value::Number(_), _) => match (number(v), literal_number(literal)) {
            (Some(a), Some(b)) => cmp_numbers(a, b) == Some(Ordering::Equal),
            _ => false,
        },
        _ => false,
    })
}

enum OrderOutcome {
    /// No order between these types: the test is false even under NOT.
    Unordered,
    /// Bytes against a string with a code point >= 256: false, NOT applies.
    Refused,
    Ordered(Ordering),
}

fn order(value: &Selected<'_>, literal: &Literal) -> Result<OrderOutcome, String> {
    let ordered = |o: Option<Ordering>| o.map_or(OrderOutcome::Unordered, OrderOutcome::Ordered);
    let v = match value {
        Selected::Json(v) => *v,
        Selected::Bytes(b) => {
            return Ok(match literal {
                Literal::Binary(l) | Literal::Hex(l) => OrderOutcome::Ordered(b[..].cmp(&l[..])),
                Literal::Str(s) => match latin1(s) {
                    Some(l) => OrderOutcome::Ordered(b[..].cmp(&l[..])),
                    None => OrderOutcome::Refused,
                },
                _ => OrderOutcome::Unordered,
            });
        }
        Selected::Objects(_) => return Ok(OrderOutcome::Unordered),
    };
    Ok(match (v, literal) {
        (Value::String(s), Literal::Timestamp(t)) => {
            OrderOutcome::Ordered(json_timestamp(s)?.cmp(t))
        }
        (Value::String(s), Literal::Str(l)) => OrderOutcome::Ordered(s.as_str().cmp(l.as_str())),
        (Value::String(s), Literal::Binary(_) | Literal::Hex(_)) => {
            match (latin1(s), literal_bytes(literal)) {
                (Some(b), Some(l)) => OrderOutcome::Ordered(b[..].cmp(l)),
                _ => OrderOutcome::Refused,
            }
        }
        (Value::Number(_), _) => match (number(v), literal_number(literal)) {
            (Some(a), Some(b)) => ordered(cmp_numbers(a, b)),
            _ => OrderOutcome::Unordered,
        },
        _ => OrderOutcome::Unordered,
    })
}

/// An IN set, hashed per type.
#[derive(Debug, Default)]
pub(crate) struct SetTest {
    strings: HashSet<String>,
    ints: HashSet<i128>,
    floats: Vec<f64>,
    bools: [bool; 2],
    bytes: HashSet<Vec<u8>>,
    timestamps: HashSet<Timestamp>,
    of_timestamps: bool,
}

impl SetTest {
    pub(crate) fn new(items: &[Literal]) -> SetTest {
        let mut set = SetTest {
            of_timestamps: matches!(items.first(), Some(Literal::Timestamp(_))),
            ..SetTest::default()
        };
        for item in items {
            match item {
                Literal::Int(i) => {
                    set.ints.insert(*i);
                }
                Literal::Float(f) => set.floats.push(*f),
                Literal::Str(s) => {
                    set.strings.insert(s.clone());
                }
                Literal::Bool(b) => set.bools[usize::from(*b)] = true,
                Literal::Binary(b) | Literal::Hex(b) => {
                    set.bytes.insert(b.clone());
                }
                Literal::Timestamp(t) => {
                    set.timestamps.insert(*t);
                }
            }
        }
        set
    }

    /// Python's `hash(x) == hash(y) and x == y` across bool, int and float.
    fn contains_number(&self, n: Number) -> bool {
        let as_int = match n {
            Number::Int(i) => Some(i),
            Number::Float(f) if f.fract() == 0.0 && f.abs() < 1e38 => Some(f as i128),
            Number::Float(_) => None,
        };
        if let Some(i) = as_int
            && (self.ints.contains(&i) || (i == 0 && self.bools[0]) || (i == 1 && self.bools[1]))
        {
            return true;
        }
        self.floats
            .iter()
            .any(|f| cmp_numbers(n, Number::Float(*f)) == Some(Ordering::Equal))
    }

    fn contains(&self, value: &Selected<'_>) -> Outcome {
        let v = match value {
            Selected::Json(v) => *v,
            Selected::Bytes(b) => return Ok(self.bytes.contains(&b[..])),
            // Lists are unhashable: the reference's `in` fails and counts false.
            Selected::Objects(_) => return Ok(false),
        };
        Ok(match v {
            Value::String(s) if self.of_timestamps => self.timestamps.contains(&json_timestamp(s)?),
            Value::String(s) => self.strings.contains(s.as_str()),
            Value::Bool(b) => {
                self.bools[usize::from(*b)] || self.contains_number(Number::Int(i128::from(*b)))
            }
            Value::Number(_) => number(v).is_some_and(|n| self.contains_number(n)),
            _ => false,
        })
    }
}

/// NFC as the reference applies it before LIKE and MATCHES.
fn nfc(s: &str) -> std::borrow::Cow<'_, str> {
    if s.is_ascii() || is_nfc_quick(s.chars()) == IsNormalized::Yes {
        std::borrow::Cow::Borrowed(s)
    } else {
        std::borrow::Cow::Owned(s.nfc().collect())
    }
}

/// LIKE: `%` any run, `_` any one character (neither crosses a newline, as
/// the reference's `.` does not), anchored at both ends (the end may be
/// followed by one newline, as Python's `$` allows).
#[derive(Debug)]
pub(crate) struct LikeTest {
    re: Regex,
    /// Every character of the operand is below 256, so bytes values are
    /// decoded as UTF-8 and tested.
    bytes_convertible: bool,
}

impl LikeTest {
    pub(crate) fn new(operand: &str) -> Result<LikeTest, String> {
        let operand = nfc(operand);
        let mut re = String::from("^(?:");
        for c in operand.chars() {
            match c {
                '%' => re.push_str(".*"),
                '_' => re.push('.'),
                c => re.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
            }
        }
        re.push_str(")\n?\\z");
        let re = regex::RegexBuilder::new(&re)
            .size_limit(1 << 22)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(LikeTest {
            re,
            bytes_convertible: operand.chars().all(|c| u32::from(c) < 256),
        })
    }

    fn matches(&self, value: &Selected<'_>) -> Outcome {
        match value {
            Selected::Json(Value::String(s)) => Ok(self.re.is_match(&nfc(s))),
            Selected::Bytes(b) if self.bytes_convertible => {
                let s = std::str::from_utf8(b)
                    .map_err(|_| "bytes value is not UTF-8 for LIKE".to_string())?;
                Ok(self.re.is_match(&nfc(s)))
            }
            _ => Ok(false),
        }
    }
}

/// MATCHES: a Python-syntax regular expression searched in the value, run by
/// the `regex` crate (linear time: no back-references, no look-around).
#[derive(Debug)]
pub(crate) struct RegexTest {
    re: Regex,
    bytes: Option<regex::bytes::Regex>,
}

impl RegexTest {
    /// Compiles a MATCHES operand; the error says why it is refused.
    pub(crate) fn compile(pattern: &str) -> Result<RegexTest, String> {
        let pattern = nfc(pattern);
        refuse_backtracking_features(&pattern)?;
        let translated = translate_python_regex(&pattern);
        let re = regex::RegexBuilder::new(&translated)
            .size_limit(1 << 22)
            .dfa_size_limit(1 << 22)
            .build()
            .map_err(|e| e.to_string())?;
        let bytes = if pattern.chars().all(|c| u32::from(c) < 256) {
            let mut b = String::with_capacity(translated.len());
            let mut escaped = false;
            for c in translated.chars() {
                if u32::from(c) >= 128 {
                    if !escaped {
                        b.push('\\');
                    }
                    b.push_str(&format!("x{:02X}", u32::from(c)));
                } else {
                    b.push(c);
                }
                escaped = c == '\\' && !escaped;
            }
            regex::bytes::RegexBuilder::new(&b)
                .unicode(false)
                .size_limit(1 << 22)
                .build()
                .ok()
        } else {
            None
        };
        Ok(RegexTest { re, bytes })
    }

    fn matches(&self, value: &Selected<'_>) -> bool {
        match value {
            Selected::Json(Value::String(s)) => self.re.is_match(&nfc(s)),
            Selected::Bytes(b) => self.bytes.as_ref().is_some_and(|re| re.is_match(b)),
            _ => false,
        }
    }
}

/// Back-references and look-around need backtracking, which can take
/// exponential time; they are refused with a message that says so.
fn refuse_backtracking_features(pattern: &str) -> Result<(), String> {
    let b = pattern.as_bytes();
    let mut i = 0;
    let mut in_class = false;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                if let Some(&c) = b.get(i + 1)
                    && !in_class
                    && c.is_ascii_digit()
                    && c != b'0'
                {
                    return Err(
                        "back-references (\\1 ...) are not supported: MATCHES runs in linear time"
                            .into(),
                    );
                }
                i += 2;
                continue;
            }
            b'[' if !in_class => in_class = true,
            b']' if in_class => in_class = false,
            b'(' if !in_class => {
                let rest = &b[i..];
                for (prefix, what) in [
                    (&b"(?="[..], "look-ahead"),
                    (b"(?!", "negative look-ahead"),
                    (b"(?<=", "look-behind"),
                    (b"(?<!", "negative look-behind"),
                    (b"(?P=", "named back-references"),
                    (b"(?>", "atomic groups"),
                    (b"(?(", "conditional groups"),
                ] {
                    if rest.starts_with(prefix) {
                        return Err(format!(
                            "{what} is not supported: MATCHES runs in linear time"
                        ));
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// Python's `$` (outside multi-line mode) also matches before a final
/// newline, and its `\Z` is the `regex` crate's `\z`.
fn translate_python_regex(pattern: &str) -> String {
    let multiline = {
        let b = pattern.as_bytes();
        b.windows(2).enumerate().any(|(i, w)| {
            w == b"(?"
                && b[i + 2..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphabetic() || **c == b'-')
                    .any(|c| *c == b'm')
        })
    };
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('Z') if !in_class => out.push_str("\\z"),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            },
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // A `]` right after `[` or `[^` is a literal in both syntaxes.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '$' if !in_class && !multiline => out.push_str("(?:\\n?\\z)"),
            c => out.push(c),
        }
    }
    out
}

/// A compiled comparison operator from the syntax tree.
pub(crate) fn compile(op: &crate::ast::Operator) -> Result<Test, String> {
    use crate::ast::Operator as O;
    Ok(match op {
        O::Eq(l) => Test::Equal {
            literal: l.clone(),
            not_equal: false,
        },
        O::Ne(l) => Test::Equal {
            literal: l.clone(),
            not_equal: true,
        },
        O::Lt(l) => Test::Order {
            literal: l.clone(),
            op: Ordering::Less,
            or_equal: false,
        },
        O::Le(l) => Test::Order {
            literal: l.clone(),
            op: Ordering::Less,
            or_equal: true,
        },
        O::Gt(l) => Test::Order {
            literal: l.clone(),
            op: Ordering::Greater,
            or_equal: false,
        },
        O::Ge(l) => Test::Order {
            literal: l.clone(),
            op: Ordering::Greater,
            or_equal: true,
        },
        O::In(items) => Test::In(SetTest::new(items)),
        O::Like(s) => Test::Like(LikeTest::new(s)?),
        O::Matches(s) => Test::Matches(RegexTest::compile(s)?),
        O::IsSubset(s) => Test::IsSubset(ipv4::parse_subnet(s).ok_or_else(|| s.clone())),
        O::IsSuperset(s) => {
            Test::IsSuperset(ipv4::parse_address_or_subnet(s).ok_or_else(|| s.clone()))
        }
        O::Exists => Test::Exists,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn j(v: &Value) -> Selected<'_> {
        Selected::Json(v)
    }

    #[test]
    fn python_number_rules() {
        let one = json!(1);
        let one_f = json!(1.0);
        let t = json!(true);
        let eq1 = Test::Equal {
            literal: Literal::Int(1),
            not_equal: false,
        };
        assert_eq!(eq1.apply(&j(&one), false), Ok(true));
        assert_eq!(eq1.apply(&j(&one_f), false), Ok(true));
        assert_eq!(eq1.apply(&j(&t), false), Ok(false));
        let set = Test::In(SetTest::new(&[Literal::Int(1), Literal::Int(2)]));
        assert_eq!(set.apply(&j(&t), false), Ok(true));
        assert_eq!(
            cmp_int_float(9_007_199_254_740_993, 9_007_199_254_740_992.0),
            Some(Ordering::Greater)
        );
    }

    #[test]
    fn unordered_pairs_stay_false_under_not() {
        let s = json!("abc");
        let gt = Test::Order {
            literal: Literal::Int(1),
            op: Ordering::Greater,
            or_equal: false,
        };
        assert_eq!(gt.apply(&j(&s), false), Ok(false));
        assert_eq!(gt.apply(&j(&s), true), Ok(false));
    }

    #[test]
    fn like_and_matches() {
        let like = LikeTest::new("a%c_").unwrap();
        assert!(like.re.is_match("abbbcd"));
        assert!(like.re.is_match("acd\n"));
        assert!(!like.re.is_match("a\ncd"));
        let re = RegexTest::compile("^ab$").unwrap();
        assert!(re.matches(&j(&json!("ab\n"))));
        assert!(!re.matches(&j(&json!("ab\n\n"))));
        assert!(RegexTest::compile("(?=x)").is_err());
        assert!(RegexTest::compile(r"(a)\1").is_err());
        let bytes = RegexTest::compile("^\u{e9}").unwrap();
        assert!(bytes.matches(&Selected::Bytes(Rc::from(&[0xe9u8, 1][..]))));
    }
}
