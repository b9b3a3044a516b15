//! The typed syntax tree of a STIX pattern (STIX 2.1 part 5, section 9).
//!
//! Printing a tree (`Display`) gives a pattern that parses back to the same
//! tree; binary operators are always parenthesised so precedence never
//! depends on the reader.

use std::fmt;

use crate::timestamp::Timestamp;

/// An observation expression: what must be observed, and how observations
/// relate in time.
#[derive(Debug, Clone, PartialEq)]
pub enum ObservationExpr {
    /// `[ comparison ]`: one observation satisfies the comparison.
    Comparison(ComparisonExpr),
    /// A left-associative chain `a AND b AND c` (at least two operands).
    And(Vec<ObservationExpr>),
    /// A left-associative chain `a OR b OR c` (at least two operands).
    Or(Vec<ObservationExpr>),
    /// A chain `a FOLLOWEDBY b FOLLOWEDBY c` (at least two operands):
    /// observations matching each operand, in this order in time.
    FollowedBy(Vec<ObservationExpr>),
    /// An expression with one qualifier after it; several qualifiers nest,
    /// the first one innermost.
    Qualified(Box<ObservationExpr>, Qualifier),
}

/// A qualifier after an observation expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Qualifier {
    /// `WITHIN n SECONDS`; the duration in microseconds, as the reference
    /// rounds fractional seconds.
    Within {
        /// The duration in microseconds (positive).
        micros: i64,
        /// The number of seconds as written (without a leading `+`), so that
        /// printing gives the pattern's own text back.
        text: String,
    },
    /// `REPEATS n TIMES`.
    Repeats(u32),
    /// `START t'..' STOP t'..'`.
    StartStop {
        /// `START`: where the time window begins.
        start: Timestamp,
        /// `STOP`: where the time window ends (a window that does not end
        /// after it begins admits nothing).
        stop: Timestamp,
    },
}

/// A comparison expression inside `[ ]`.
#[derive(Debug, Clone, PartialEq)]
pub enum ComparisonExpr {
    /// A left-associative chain (at least two operands); a chain is one node
    /// so that long chains of ORed hashes cost no recursion.
    And(Vec<ComparisonExpr>),
    /// A left-associative chain `a OR b` (at least two operands).
    Or(Vec<ComparisonExpr>),
    /// One test of an object path.
    Test(PropTest),
}

/// One test of the values an object path selects.
#[derive(Debug, Clone, PartialEq)]
pub struct PropTest {
    /// The values tested: those the path selects in one object.
    pub path: ObjectPath,
    /// `NOT` before the operator: the test is true for a value the operator
    /// is false for.
    pub negated: bool,
    /// The operator and its operand.
    pub op: Operator,
}

/// A comparison operator with its operand.
#[derive(Debug, Clone, PartialEq)]
pub enum Operator {
    /// `=`.
    Eq(Literal),
    /// `!=`.
    Ne(Literal),
    /// `<`.
    Lt(Literal),
    /// `<=`.
    Le(Literal),
    /// `>`.
    Gt(Literal),
    /// `>=`.
    Ge(Literal),
    /// `IN (a, b, ...)`: equal to one of the set's elements (all of one kind).
    In(Vec<Literal>),
    /// `LIKE`: the SQL-style pattern (`%` any run, `_` one character), unescaped.
    Like(String),
    /// `MATCHES`: the regular expression, unescaped; the parser checked that
    /// it compiles.
    Matches(String),
    /// `ISSUBSET`: the CIDR subnet text; the parser checked that it reads.
    IsSubset(String),
    /// `ISSUPERSET`: the address or CIDR subnet text; the parser checked that
    /// it reads.
    IsSuperset(String),
    /// `EXISTS`: the path selects at least one value.
    Exists,
}

/// `type:first.step[0].'quoted key'[*]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectPath {
    /// The SCO type before `:` (such as `file`).
    pub object_type: String,
    /// The first step is always a key.
    pub steps: Vec<PathStep>,
}

/// One step of an object path after the type.
#[derive(Debug, Clone, PartialEq)]
pub enum PathStep {
    /// `.name` or `.'quoted name'`: a property or dictionary key.
    Key(String),
    /// `[n]`: one list element; an index past either end (or beyond `i64`)
    /// selects nothing.
    Index(i64),
    /// `[*]`: every list element.
    AnyIndex,
}

/// A literal operand.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// An integer.
    Int(i128),
    /// A number with a fraction or exponent.
    Float(f64),
    /// `'..'`, unescaped.
    Str(String),
    /// `true` or `false`.
    Bool(bool),
    /// `b'..'` (base64), decoded.
    Binary(Vec<u8>),
    /// `h'..'`, decoded.
    Hex(Vec<u8>),
    /// `t'..'`, read.
    Timestamp(Timestamp),
}

impl fmt::Display for ObservationExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObservationExpr::Comparison(c) => write!(f, "[{c}]"),
            ObservationExpr::And(v) => chain(f, v, "AND"),
            ObservationExpr::Or(v) => chain(f, v, "OR"),
            ObservationExpr::FollowedBy(v) => chain(f, v, "FOLLOWEDBY"),
            ObservationExpr::Qualified(e, q) => write!(f, "{e} {q}"),
        }
    }
}

fn chain<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T], op: &str) -> fmt::Result {
    write!(f, "(")?;
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            write!(f, " {op} ")?;
        }
        write!(f, "{item}")?;
    }
    write!(f, ")")
}

impl fmt::Display for Qualifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Qualifier::Within { text, .. } => write!(f, "WITHIN {text} SECONDS"),
            Qualifier::Repeats(n) => write!(f, "REPEATS {n} TIMES"),
            Qualifier::StartStop { start, stop } => write!(f, "START t'{start}' STOP t'{stop}'"),
        }
    }
}

impl fmt::Display for ComparisonExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ComparisonExpr::And(v) => chain(f, v, "AND"),
            ComparisonExpr::Or(v) => chain(f, v, "OR"),
            ComparisonExpr::Test(t) => write!(f, "{t}"),
        }
    }
}

impl fmt::Display for PropTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let not = if self.negated { "NOT " } else { "" };
        let p = &self.path;
        match &self.op {
            Operator::Exists => write!(f, "{not}EXISTS {p}"),
            Operator::Eq(l) => write!(f, "{p} {not}= {l}"),
            Operator::Ne(l) => write!(f, "{p} {not}!= {l}"),
            Operator::Lt(l) => write!(f, "{p} {not}< {l}"),
            Operator::Le(l) => write!(f, "{p} {not}<= {l}"),
            Operator::Gt(l) => write!(f, "{p} {not}> {l}"),
            Operator::Ge(l) => write!(f, "{p} {not}>= {l}"),
            Operator::In(set) => {
                write!(f, "{p} {not}IN (")?;
                for (i, l) in set.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{l}")?;
                }
                write!(f, ")")
            }
            Operator::Like(s) => write!(f, "{p} {not}LIKE {}", quote(s)),
            Operator::Matches(s) => write!(f, "{p} {not}MATCHES {}", quote(s)),
            Operator::IsSubset(s) => write!(f, "{p} {not}ISSUBSET {}", quote(s)),
            Operator::IsSuperset(s) => write!(f, "{p} {not}ISSUPERSET {}", quote(s)),
        }
    }
}

/// Whether a key can be written without quotes (an identifier that is no
/// keyword and no boolean).
fn is_plain_key(k: &str) -> bool {
    let mut chars = k.chars();
    let ok_start = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    ok_start
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !crate::parser::is_reserved_word(k)
}

impl fmt::Display for ObjectPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.object_type)?;
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Key(k) => {
                    if i > 0 {
                        write!(f, ".")?;
                    }
                    if is_plain_key(k) {
                        write!(f, "{k}")?;
                    } else {
                        write!(f, "{}", quote(k))?;
                    }
                }
                PathStep::Index(n) => write!(f, "[{n}]")?,
                PathStep::AnyIndex => write!(f, "[*]")?,
            }
        }
        Ok(())
    }
}

/// A string literal with `'` and `\` escaped.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Int(i) => write!(f, "{i}"),
            Literal::Float(x) => {
                // The grammar has no exponent: print every digit.
                let s = format!("{x:?}");
                if s.contains('e') || s.contains("inf") || s.contains("NaN") {
                    write!(f, "{x:.1}")
                } else {
                    write!(f, "{s}")
                }
            }
            Literal::Str(s) => write!(f, "{}", quote(s)),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Binary(bytes) => write!(f, "b'{}'", crate::literal::base64_encode(bytes)),
            Literal::Hex(bytes) => {
                write!(f, "h'")?;
                for b in bytes {
                    write!(f, "{b:02x}")?;
                }
                write!(f, "'")
            }
            Literal::Timestamp(t) => write!(f, "t'{t}'"),
        }
    }
}
