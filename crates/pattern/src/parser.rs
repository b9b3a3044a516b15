//! A recursive-descent parser for STIX patterns (STIX 2.1 part 5, section 9;
//! the OASIS STIXPattern.g4 grammar).
//!
//! Precedence, loosest first: FOLLOWEDBY, OR, AND between observation
//! expressions, then qualifiers (postfix, any number); OR, AND inside `[ ]`.
//! All binary operators associate to the left.
//!
//! Besides the grammar, the parser refuses the literals and qualifiers the
//! reference matcher refuses on every evaluation (a timestamp that is no
//! date, a set of mixed types, WITHIN 0, REPEATS 0, an invalid regular
//! expression), so an accepted pattern never fails for its own sake. The
//! one exception is an ISSUBSET or ISSUPERSET operand that is not a subnet
//! or address: the reference only refuses it when a string value reaches
//! the test (a number or a boolean is simply not in the subnet), so the
//! parser accepts it and names it among the pattern's deferred errors.

use crate::ast::{
    ComparisonExpr, Literal, ObjectPath, ObservationExpr, Operator, PathStep, PropTest, Qualifier,
};
use crate::error::{PatternError, Position};
use crate::ipv4;
use crate::lexer::{Token, TokenKind, tokenize};
use crate::literal::{decode_base64, decode_hex, unescape_string};
use crate::predicate;
use crate::timestamp::Timestamp;

/// Bounds that keep parsing and evaluation of hostile patterns small.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes of pattern text.
    pub max_length: usize,
    /// Nesting of parentheses, brackets and binary operators.
    pub max_depth: usize,
    /// Elements of one IN set.
    pub max_set_size: usize,
    /// The count of REPEATS.
    pub max_repeats: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_length: 1 << 20,
            max_depth: 200,
            max_set_size: 100_000,
            max_repeats: 10_000,
        }
    }
}

/// Words that are tokens of their own and cannot be unquoted keys.
pub(crate) fn is_reserved_word(word: &str) -> bool {
    matches!(
        word,
        "AND"
            | "OR"
            | "NOT"
            | "FOLLOWEDBY"
            | "LIKE"
            | "MATCHES"
            | "ISSUPERSET"
            | "ISSUBSET"
            | "EXISTS"
            | "LAST"
            | "IN"
            | "START"
            | "STOP"
            | "SECONDS"
            | "WITHIN"
            | "REPEATS"
            | "TIMES"
            | "true"
            | "false"
    )
}

/// Parses a pattern into its syntax tree, with the operands it accepted
/// that the specification refuses (see the module's doc).
pub(crate) fn parse(
    text: &str,
    limits: &Limits,
) -> Result<(ObservationExpr, Vec<PatternError>), PatternError> {
    if text.len() > limits.max_length {
        return Err(PatternError::Limit {
            at: Position { line: 1, column: 1 },
            reason: format!("pattern is longer than {} bytes", limits.max_length),
        });
    }
    let tokens = tokenize(text, limits.max_length)?;
    let mut p = Parser {
        tokens,
        pos: 0,
        depth: 0,
        limits: *limits,
        deferred: Vec::new(),
    };
    let expr = p.observation_expressions()?;
    p.expect(
        TokenKind::Eof,
        "FOLLOWEDBY, OR, AND, a qualifier or the end of the pattern",
    )?;
    Ok((expr, p.deferred))
}

struct Parser<'s> {
    tokens: Vec<Token<'s>>,
    pos: usize,
    depth: usize,
    limits: Limits,
    /// Operands refused by the specification but only at evaluation by
    /// the reference.
    deferred: Vec<PatternError>,
}

impl<'s> Parser<'s> {
    fn peek(&self) -> &Token<'s> {
        // The token list always ends with Eof and the parser never moves past it.
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn kind(&self) -> TokenKind {
        self.peek().kind
    }

    fn advance(&mut self) -> Token<'s> {
        let t = self.peek().clone();
        if t.kind != TokenKind::Eof {
            self.pos += 1;
        }
        t
    }

    fn error(&self, expected: &str) -> PatternError {
        let t = self.peek();
        let found = match t.kind {
            TokenKind::Eof => "the end of the pattern".to_string(),
            _ => format!("{} `{}`", t.kind.describe(), t.text),
        };
        PatternError::Syntax {
            at: t.at,
            expected: expected.to_string(),
            found,
        }
    }

    fn expect(&mut self, kind: TokenKind, expected: &str) -> Result<Token<'s>, PatternError> {
        if self.kind() == kind {
            Ok(self.advance())
        } else {
            Err(self.error(expected))
        }
    }

    fn enter(&mut self) -> Result<(), PatternError> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            return Err(PatternError::Limit {
                at: self.peek().at,
                reason: format!("pattern is nested deeper than {}", self.limits.max_depth),
            });
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// A left-associative chain of `op`; one operand alone is returned as is.
    fn chain<T>(
        &mut self,
        op: TokenKind,
        mut operand: impl FnMut(&mut Self) -> Result<T, PatternError>,
        build: impl Fn(Vec<T>) -> T,
    ) -> Result<T, PatternError> {
        let first = operand(self)?;
        if self.kind() != op {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.kind() == op {
            self.advance();
            if items.len() >= self.limits.max_set_size {
                return Err(PatternError::Limit {
                    at: self.peek().at,
                    reason: format!("more than {} operands in a row", self.limits.max_set_size),
                });
            }
            items.push(operand(self)?);
        }
        Ok(build(items))
    }

    fn observation_expressions(&mut self) -> Result<ObservationExpr, PatternError> {
        self.enter()?;
        let r = self.chain(
            TokenKind::FollowedBy,
            Self::observation_or,
            ObservationExpr::FollowedBy,
        );
        self.leave();
        r
    }

    fn observation_or(&mut self) -> Result<ObservationExpr, PatternError> {
        self.chain(TokenKind::Or, Self::observation_and, ObservationExpr::Or)
    }

    fn observation_and(&mut self) -> Result<ObservationExpr, PatternError> {
        self.chain(
            TokenKind::And,
            Self::observation_expression,
            ObservationExpr::And,
        )
    }

    fn observation_expression(&mut self) -> Result<ObservationExpr, PatternError> {
        let mut expr = match self.kind() {
            TokenKind::LBrack => {
                self.advance();
                let c = self.comparison_expression()?;
                self.expect(TokenKind::RBrack, "AND, OR or ']'")?;
                ObservationExpr::Comparison(c)
            }
            TokenKind::LParen => {
                self.advance();
                let e = self.observation_expressions()?;
                self.expect(TokenKind::RParen, "FOLLOWEDBY, OR, AND, a qualifier or ')'")?;
                e
            }
            _ => return Err(self.error("'[' or '('")),
        };
        let mut qualifiers = 0usize;
        while let Some(q) = self.qualifier()? {
            qualifiers += 1;
            if qualifiers > self.limits.max_depth {
                return Err(PatternError::Limit {
                    at: self.peek().at,
                    reason: format!("more than {} qualifiers in a row", self.limits.max_depth),
                });
            }
            expr = ObservationExpr::Qualified(Box::new(expr), q);
        }
        Ok(expr)
    }

    fn qualifier(&mut self) -> Result<Option<Qualifier>, PatternError> {
        match self.kind() {
            TokenKind::Within => {
                self.advance();
                let t = self.peek().clone();
                if !matches!(t.kind, TokenKind::IntPos | TokenKind::FloatPos) {
                    return Err(self.error("a positive number of seconds"));
                }
                self.advance();
                let micros = within_micros(t.text).ok_or_else(|| PatternError::Qualifier {
                    at: t.at,
                    reason: format!("WITHIN needs a positive number of seconds, not {}", t.text),
                })?;
                self.expect(TokenKind::Seconds, "SECONDS")?;
                Ok(Some(Qualifier::Within {
                    micros,
                    text: t.text.trim_start_matches('+').to_string(),
                }))
            }
            TokenKind::Repeats => {
                self.advance();
                let t = self.expect(TokenKind::IntPos, "a positive integer")?;
                let n: u128 = t.text.trim_start_matches('+').parse().unwrap_or(u128::MAX);
                if n < 1 {
                    return Err(PatternError::Qualifier {
                        at: t.at,
                        reason: "REPEATS needs a count of at least 1".to_string(),
                    });
                }
                if n > u128::from(self.limits.max_repeats) {
                    return Err(PatternError::Limit {
                        at: t.at,
                        reason: format!("REPEATS count above {}", self.limits.max_repeats),
                    });
                }
                self.expect(TokenKind::Times, "TIMES")?;
                Ok(Some(Qualifier::Repeats(n as u32)))
            }
            TokenKind::Start => {
                self.advance();
                let start = self.timestamp()?;
                self.expect(TokenKind::Stop, "STOP")?;
                let stop = self.timestamp()?;
                Ok(Some(Qualifier::StartStop { start, stop }))
            }
            _ => Ok(None),
        }
    }

    fn timestamp(&mut self) -> Result<Timestamp, PatternError> {
        let t = self.expect(TokenKind::Timestamp, "a timestamp literal t'..'")?;
        timestamp_value(&t)
    }

    fn comparison_expression(&mut self) -> Result<ComparisonExpr, PatternError> {
        self.enter()?;
        let r = self.chain(TokenKind::Or, Self::comparison_and, ComparisonExpr::Or);
        self.leave();
        r
    }

    fn comparison_and(&mut self) -> Result<ComparisonExpr, PatternError> {
        self.chain(TokenKind::And, Self::prop_test, ComparisonExpr::And)
    }

    fn prop_test(&mut self) -> Result<ComparisonExpr, PatternError> {
        match self.kind() {
            TokenKind::LParen => {
                self.advance();
                let c = self.comparison_expression()?;
                self.expect(TokenKind::RParen, "AND, OR or ')'")?;
                Ok(c)
            }
            TokenKind::Not | TokenKind::Exists => {
                let negated = self.kind() == TokenKind::Not;
                if negated {
                    self.advance();
                }
                self.expect(TokenKind::Exists, "EXISTS")?;
                let path = self.object_path()?;
                Ok(ComparisonExpr::Test(PropTest {
                    path,
                    negated,
                    op: Operator::Exists,
                }))
            }
            TokenKind::IdentWithoutHyphen | TokenKind::IdentWithHyphen => {
                let path = self.object_path()?;
                let negated = if self.kind() == TokenKind::Not {
                    self.advance();
                    true
                } else {
                    false
                };
                let op = self.operator()?;
                Ok(ComparisonExpr::Test(PropTest { path, negated, op }))
            }
            _ => Err(self.error("an object path, EXISTS or '('")),
        }
    }

    fn operator(&mut self) -> Result<Operator, PatternError> {
        let kind = self.kind();
        let valid = matches!(
            kind,
            TokenKind::Eq
                | TokenKind::Neq
                | TokenKind::Lt
                | TokenKind::Le
                | TokenKind::Gt
                | TokenKind::Ge
                | TokenKind::In
                | TokenKind::Like
                | TokenKind::Matches
                | TokenKind::IsSubset
                | TokenKind::IsSuperset
        );
        if !valid {
            return Err(self.error(
                "a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET)",
            ));
        }
        self.advance();
        match kind {
            TokenKind::Eq | TokenKind::Neq => {
                let lit = self.literal(true)?;
                Ok(if kind == TokenKind::Eq {
                    Operator::Eq(lit)
                } else {
                    Operator::Ne(lit)
                })
            }
            TokenKind::Lt | TokenKind::Le | TokenKind::Gt | TokenKind::Ge => {
                let lit = self.literal(false)?;
                Ok(match kind {
                    TokenKind::Lt => Operator::Lt(lit),
                    TokenKind::Le => Operator::Le(lit),
                    TokenKind::Gt => Operator::Gt(lit),
                    _ => Operator::Ge(lit),
                })
            }
            TokenKind::In => self.set_literal(),
            TokenKind::Like => {
                let t = self.expect(TokenKind::Str, "a string literal")?;
                Ok(Operator::Like(unescape_string(t.text)))
            }
            TokenKind::Matches => {
                let t = self.expect(TokenKind::Str, "a string literal")?;
                let re = unescape_string(t.text);
                predicate::RegexTest::compile(&re)
                    .map_err(|reason| PatternError::Regex { at: t.at, reason })?;
                Ok(Operator::Matches(re))
            }
            TokenKind::IsSubset | TokenKind::IsSuperset => {
                let t = self.expect(TokenKind::Str, "a string literal")?;
                let s = unescape_string(t.text);
                let (valid, operator, needs) = if kind == TokenKind::IsSubset {
                    (
                        ipv4::parse_subnet(&s).is_some(),
                        "ISSUBSET",
                        "a CIDR subnet",
                    )
                } else {
                    (
                        ipv4::parse_address_or_subnet(&s).is_some(),
                        "ISSUPERSET",
                        "an IP address or CIDR subnet",
                    )
                };
                if !valid {
                    self.deferred.push(PatternError::Literal {
                        at: t.at,
                        reason: format!("{operator} needs {needs}, not {}", crate::ast::quote(&s)),
                    });
                }
                Ok(if kind == TokenKind::IsSubset {
                    Operator::IsSubset(s)
                } else {
                    Operator::IsSuperset(s)
                })
            }
            _ => Err(self.error("a comparison operator")),
        }
    }

    fn set_literal(&mut self) -> Result<Operator, PatternError> {
        let open = self.expect(TokenKind::LParen, "'(' starting a set")?;
        let mut items = Vec::new();
        if self.kind() == TokenKind::RParen {
            self.advance();
            return Ok(Operator::In(items));
        }
        loop {
            if items.len() >= self.limits.max_set_size {
                return Err(PatternError::Limit {
                    at: self.peek().at,
                    reason: format!("set has more than {} elements", self.limits.max_set_size),
                });
            }
            items.push(self.literal(true)?);
            match self.kind() {
                TokenKind::Comma => {
                    self.advance();
                }
                TokenKind::RParen => {
                    self.advance();
                    break;
                }
                _ => return Err(self.error("',' or ')'")),
            }
        }
        // The reference refuses sets that mix types (ints and floats mix;
        // binary and hex are both bytes).
        let class = |l: &Literal| match l {
            Literal::Int(_) | Literal::Float(_) => 0,
            Literal::Str(_) => 1,
            Literal::Bool(_) => 2,
            Literal::Binary(_) | Literal::Hex(_) => 3,
            Literal::Timestamp(_) => 4,
        };
        if let Some(first) = items.first()
            && items.iter().any(|l| class(l) != class(first))
        {
            return Err(PatternError::Literal {
                at: open.at,
                reason: "a set must hold values of one type".to_string(),
            });
        }
        Ok(Operator::In(items))
    }

    fn literal(&mut self, allow_bool: bool) -> Result<Literal, PatternError> {
        let t = self.peek().clone();
        let lit =
            match t.kind {
                TokenKind::IntPos | TokenKind::IntNeg => {
                    let v: i128 = t.text.trim_start_matches('+').parse().map_err(|_| {
                        PatternError::Literal {
                            at: t.at,
                            reason: format!("integer {} is out of range", t.text),
                        }
                    })?;
                    Literal::Int(v)
                }
                TokenKind::FloatPos | TokenKind::FloatNeg => {
                    let v: f64 = t.text.trim_start_matches('+').parse().map_err(|_| {
                        PatternError::Literal {
                            at: t.at,
                            reason: format!("invalid float {}", t.text),
                        }
                    })?;
                    Literal::Float(v)
                }
                TokenKind::Str => Literal::Str(unescape_string(t.text)),
                TokenKind::Bool if allow_bool => Literal::Bool(t.text == "true"),
                TokenKind::Hex => {
                    let inner = &t.text[2..t.text.len() - 1];
                    Literal::Hex(decode_hex(inner).ok_or_else(|| PatternError::Literal {
                        at: t.at,
                        reason: "invalid hex literal".to_string(),
                    })?)
                }
                TokenKind::Binary => {
                    let inner = &t.text[2..t.text.len() - 1];
                    Literal::Binary(decode_base64(inner).ok_or_else(|| PatternError::Literal {
                        at: t.at,
                        reason: "invalid base64 literal".to_string(),
                    })?)
                }
                TokenKind::Timestamp => Literal::Timestamp(timestamp_value(&t)?),
                _ => {
                    let expected = if allow_bool {
                        "a literal (string, number, boolean, h'..', b'..' or t'..')"
                    } else {
                        "an orderable literal (string, number, h'..', b'..' or t'..')"
                    };
                    return Err(self.error(expected));
                }
            };
        self.advance();
        Ok(lit)
    }

    fn object_path(&mut self) -> Result<ObjectPath, PatternError> {
        let t = self.peek().clone();
        if !matches!(
            t.kind,
            TokenKind::IdentWithoutHyphen | TokenKind::IdentWithHyphen
        ) {
            return Err(self.error("an object type"));
        }
        self.advance();
        self.expect(TokenKind::Colon, "':' after the object type")?;
        let mut steps = vec![self.key("a property name")?];
        loop {
            match self.kind() {
                TokenKind::Dot => {
                    self.advance();
                    steps.push(self.key("a property name after '.'")?);
                }
                TokenKind::LBrack => {
                    self.advance();
                    let i = self.peek().clone();
                    let step = match i.kind {
                        TokenKind::Asterisk => PathStep::AnyIndex,
                        TokenKind::IntPos | TokenKind::IntNeg => {
                            // An index beyond i64 selects nothing, like any
                            // index past the end of a list.
                            PathStep::Index(
                                i.text.trim_start_matches('+').parse().unwrap_or(i64::MAX),
                            )
                        }
                        _ => return Err(self.error("a list index or '*'")),
                    };
                    self.advance();
                    self.expect(TokenKind::RBrack, "']'")?;
                    steps.push(step);
                }
                _ => break,
            }
            if steps.len() > self.limits.max_depth {
                return Err(PatternError::Limit {
                    at: self.peek().at,
                    reason: format!("object path longer than {} steps", self.limits.max_depth),
                });
            }
        }
        Ok(ObjectPath {
            object_type: t.text.to_string(),
            steps,
        })
    }

    fn key(&mut self, expected: &str) -> Result<PathStep, PatternError> {
        let t = self.peek().clone();
        let key = match t.kind {
            TokenKind::IdentWithoutHyphen => t.text.to_string(),
            TokenKind::Str => unescape_string(t.text),
            _ => return Err(self.error(expected)),
        };
        self.advance();
        Ok(PathStep::Key(key))
    }
}

fn timestamp_value(t: &Token<'_>) -> Result<Timestamp, PatternError> {
    let inner = &t.text[2..t.text.len() - 1];
    Timestamp::parse(inner).ok_or_else(|| PatternError::Literal {
        at: t.at,
        reason: format!("{} is not a valid timestamp", t.text),
    })
}

/// WITHIN's seconds as microseconds, rounded like Python's `timedelta`
/// and saturated at `i64::MAX` (a duration that long fails when it is added
/// to a timestamp, as in the reference); `None` unless positive.
fn within_micros(text: &str) -> Option<i64> {
    let text = text.trim_start_matches('+');
    if !text.contains('.') {
        let secs: i128 = text.parse().unwrap_or(i128::MAX);
        if secs <= 0 {
            return None;
        }
        return Some(secs.saturating_mul(1_000_000).min(i128::from(i64::MAX)) as i64);
    }
    let secs: f64 = text.parse().ok()?;
    if secs <= 0.0 || secs.is_nan() {
        return None;
    }
    // A positive value that rounds to 0 µs is still a positive WITHIN for the
    // reference; one microsecond is the closest we can keep.
    let micros = (secs * 1_000_000.0).round_ties_even().max(1.0);
    Some(if micros >= i64::MAX as f64 {
        i64::MAX
    } else {
        micros as i64
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<ObservationExpr, PatternError> {
        parse(s, &Limits::default()).map(|(expr, _)| expr)
    }

    #[test]
    fn precedence_and_associativity() {
        let e = p("[a:b = 1] AND [a:b = 2] OR [a:b = 3] FOLLOWEDBY [a:b = 4]").unwrap();
        assert_eq!(
            e.to_string(),
            "((([a:b = 1] AND [a:b = 2]) OR [a:b = 3]) FOLLOWEDBY [a:b = 4])"
        );
        let e = p("[a:b = 1] AND [a:b = 2] AND [a:b = 3]").unwrap();
        assert_eq!(e.to_string(), "([a:b = 1] AND [a:b = 2] AND [a:b = 3])");
        let e = p("[a:b = 1 OR a:b = 2 AND a:c = 3]").unwrap();
        assert_eq!(e.to_string(), "[(a:b = 1 OR (a:b = 2 AND a:c = 3))]");
        let e = p("[a:b = 1] AND [a:b = 2] WITHIN 5 SECONDS REPEATS 2 TIMES").unwrap();
        assert_eq!(
            e.to_string(),
            "([a:b = 1] AND [a:b = 2] WITHIN 5 SECONDS REPEATS 2 TIMES)"
        );
    }

    #[test]
    fn errors_name_position_and_expectation() {
        let err = p("[file:name = 'x'\n AND ]").unwrap_err();
        match err {
            PatternError::Syntax { at, expected, .. } => {
                assert_eq!(at, Position { line: 2, column: 6 });
                assert!(expected.contains("object path"), "{expected}");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            p("[a:b = 1] WITHIN 0 SECONDS"),
            Err(PatternError::Qualifier { .. })
        ));
        assert!(matches!(
            p("[a:b = 1] REPEATS 0 TIMES"),
            Err(PatternError::Qualifier { .. })
        ));
        assert!(matches!(
            p("[a:b IN (1, 'x')]"),
            Err(PatternError::Literal { .. })
        ));
        assert!(matches!(
            p("[a:b = t'2021-02-30T00:00:00Z']"),
            Err(PatternError::Literal { .. })
        ));
        assert!(matches!(
            p(r"[a:b MATCHES '(a)\\1']"),
            Err(PatternError::Regex { .. })
        ));
        assert!(matches!(
            p("[a:b MATCHES '(?=a)']"),
            Err(PatternError::Regex { .. })
        ));
        // Accepted as the reference accepts it, and named as deferred.
        let (_, deferred) = parse("[a:b ISSUBSET '10.0.0.0/0']", &Limits::default()).unwrap();
        assert!(
            matches!(&deferred[..], [PatternError::Literal { at, .. }] if at.column == 15),
            "{deferred:?}"
        );
        assert!(matches!(
            p("[a:b > true]"),
            Err(PatternError::Syntax { .. })
        ));
        assert!(p("[a:b = 1] ").is_ok());
        assert!(matches!(p(""), Err(PatternError::Syntax { .. })));
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = format!("{}[a:b = 1]{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(matches!(p(&deep), Err(PatternError::Limit { .. })));
        let deep = format!("[{}a:b = 1{}]", "(".repeat(100_000), ")".repeat(100_000));
        assert!(matches!(p(&deep), Err(PatternError::Limit { .. })));
        // Long chains are flat, not deep: 30,000 ORed hashes parse.
        let long_chain = format!("[{}]", vec!["file:hashes.MD5 = 'x'"; 30_000].join(" OR "));
        assert!(p(&long_chain).is_ok());
    }
}
