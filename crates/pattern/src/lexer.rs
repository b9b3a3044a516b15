//! The lexer of the STIX patterning language.
//!
//! It follows the token rules of the OASIS grammar (STIXPattern.g4, the one
//! the reference tools are generated from): at each position the longest
//! match wins, and of two matches of the same length the rule listed first
//! wins. That is why `AND` is a keyword, `ANDx` an identifier, `ipv4-addr` an
//! identifier with a hyphen and `h'0g'` the identifier `h` followed by a
//! string. Whitespace, `/* */` and `//` comments are skipped.

use crate::error::{PatternError, Position};

/// The kinds of token of the grammar, in the grammar's rule order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    IntNeg,
    IntPos,
    FloatNeg,
    FloatPos,
    Hex,
    Binary,
    Str,
    Bool,
    Timestamp,
    And,
    Or,
    Not,
    FollowedBy,
    Like,
    Matches,
    IsSuperset,
    IsSubset,
    Exists,
    Last,
    In,
    Start,
    Stop,
    Seconds,
    Within,
    Repeats,
    Times,
    IdentWithoutHyphen,
    IdentWithHyphen,
    Eq,
    Neq,
    Lt,
    Le,
    Gt,
    Ge,
    Quote,
    Colon,
    Dot,
    Comma,
    RParen,
    LParen,
    RBrack,
    LBrack,
    Plus,
    Hyphen,
    Power,
    Divide,
    Asterisk,
    Invalid,
    Eof,
}

impl TokenKind {
    /// How a token of this kind is named in an error message.
    pub(crate) fn describe(self) -> &'static str {
        use TokenKind::*;
        match self {
            IntNeg | IntPos => "an integer",
            FloatNeg | FloatPos => "a float",
            Hex => "a hex literal h'..'",
            Binary => "a binary literal b'..'",
            Str => "a string literal",
            Bool => "a boolean",
            Timestamp => "a timestamp literal t'..'",
            And => "AND",
            Or => "OR",
            Not => "NOT",
            FollowedBy => "FOLLOWEDBY",
            Like => "LIKE",
            Matches => "MATCHES",
            IsSuperset => "ISSUPERSET",
            IsSubset => "ISSUBSET",
            Exists => "EXISTS",
            Last => "LAST",
            In => "IN",
            Start => "START",
            Stop => "STOP",
            Seconds => "SECONDS",
            Within => "WITHIN",
            Repeats => "REPEATS",
            Times => "TIMES",
            IdentWithoutHyphen => "an identifier",
            IdentWithHyphen => "an identifier with a hyphen",
            Eq => "'='",
            Neq => "'!='",
            Lt => "'<'",
            Le => "'<='",
            Gt => "'>'",
            Ge => "'>='",
            Quote => "an unterminated string",
            Colon => "':'",
            Dot => "'.'",
            Comma => "','",
            RParen => "')'",
            LParen => "'('",
            RBrack => "']'",
            LBrack => "'['",
            Plus => "'+'",
            Hyphen => "'-'",
            Power => "'^'",
            Divide => "'/'",
            Asterisk => "'*'",
            Invalid => "an invalid character",
            Eof => "the end of the pattern",
        }
    }
}

/// One token: its kind, its text and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token<'s> {
    pub kind: TokenKind,
    pub text: &'s str,
    pub at: Position,
}

const KEYWORDS: &[(&str, TokenKind)] = &[
    ("AND", TokenKind::And),
    ("OR", TokenKind::Or),
    ("NOT", TokenKind::Not),
    ("FOLLOWEDBY", TokenKind::FollowedBy),
    ("LIKE", TokenKind::Like),
    ("MATCHES", TokenKind::Matches),
    ("ISSUPERSET", TokenKind::IsSuperset),
    ("ISSUBSET", TokenKind::IsSubset),
    ("EXISTS", TokenKind::Exists),
    ("LAST", TokenKind::Last),
    ("IN", TokenKind::In),
    ("START", TokenKind::Start),
    ("STOP", TokenKind::Stop),
    ("SECONDS", TokenKind::Seconds),
    ("WITHIN", TokenKind::Within),
    ("REPEATS", TokenKind::Repeats),
    ("TIMES", TokenKind::Times),
];

/// Characters the grammar's WS rule skips.
fn is_pattern_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n'
            | '\u{0b}'
            | '\u{0c}'
            | '\r'
            | ' '
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'
            ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    )
}

/// Splits a pattern into tokens. Never fails on content (unknown characters
/// become `Invalid` tokens the parser reports); fails only past `max_tokens`.
pub(crate) fn tokenize(text: &str, max_tokens: usize) -> Result<Vec<Token<'_>>, PatternError> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut pos = 0usize;
    let mut line = 1u32;
    let mut column = 1u32;
    while pos < bytes.len() {
        let rest = &text[pos..];
        let (len, kind) = longest_match(rest);
        let at = Position { line, column };
        let piece = &rest[..len];
        for c in piece.chars() {
            if c == '\n' {
                line = line.saturating_add(1);
                column = 1;
            } else {
                column = column.saturating_add(1);
            }
        }
        pos += len;
        if let Some(kind) = kind {
            if out.len() >= max_tokens {
                return Err(PatternError::Limit {
                    at,
                    reason: format!("pattern has more than {max_tokens} tokens"),
                });
            }
            out.push(Token {
                kind,
                text: piece,
                at,
            });
        }
    }
    out.push(Token {
        kind: TokenKind::Eof,
        text: "",
        at: Position { line, column },
    });
    Ok(out)
}

/// The longest token at the start of `s` (never empty); `None` as kind for
/// skipped text (whitespace and comments).
fn longest_match(s: &str) -> (usize, Option<TokenKind>) {
    let b = s.as_bytes();
    let first = s.chars().next().unwrap_or(' ');
    let mut best: (usize, Option<TokenKind>) = (first.len_utf8(), Some(TokenKind::Invalid));
    let mut best_len = 0usize;
    let mut consider = |len: Option<usize>, kind: Option<TokenKind>| {
        if let Some(len) = len {
            // Rules are tried in grammar order: only a strictly longer match
            // replaces an earlier one.
            if len > best_len {
                best_len = len;
                best = (len, kind);
            }
        }
    };
    consider(int_literal(b, true), Some(TokenKind::IntNeg));
    consider(int_literal(b, false), Some(TokenKind::IntPos));
    consider(float_literal(b, true), Some(TokenKind::FloatNeg));
    consider(float_literal(b, false), Some(TokenKind::FloatPos));
    consider(hex_literal(b), Some(TokenKind::Hex));
    consider(binary_literal(b), Some(TokenKind::Binary));
    consider(string_literal(s), Some(TokenKind::Str));
    consider(bool_literal(b), Some(TokenKind::Bool));
    consider(timestamp_literal(b), Some(TokenKind::Timestamp));
    for (word, kind) in KEYWORDS {
        if b.starts_with(word.as_bytes()) {
            consider(Some(word.len()), Some(*kind));
        }
    }
    consider(identifier(b, false), Some(TokenKind::IdentWithoutHyphen));
    consider(identifier(b, true), Some(TokenKind::IdentWithHyphen));
    let two = b.get(..2);
    let op = match (b.first(), two) {
        (_, Some(b"==")) => Some((2, TokenKind::Eq)),
        (_, Some(b"!=")) | (_, Some(b"<>")) => Some((2, TokenKind::Neq)),
        (_, Some(b"<=")) => Some((2, TokenKind::Le)),
        (_, Some(b">=")) => Some((2, TokenKind::Ge)),
        (Some(b'='), _) => Some((1, TokenKind::Eq)),
        (Some(b'<'), _) => Some((1, TokenKind::Lt)),
        (Some(b'>'), _) => Some((1, TokenKind::Gt)),
        (Some(b'\''), _) => Some((1, TokenKind::Quote)),
        (Some(b':'), _) => Some((1, TokenKind::Colon)),
        (Some(b'.'), _) => Some((1, TokenKind::Dot)),
        (Some(b','), _) => Some((1, TokenKind::Comma)),
        (Some(b')'), _) => Some((1, TokenKind::RParen)),
        (Some(b'('), _) => Some((1, TokenKind::LParen)),
        (Some(b']'), _) => Some((1, TokenKind::RBrack)),
        (Some(b'['), _) => Some((1, TokenKind::LBrack)),
        (Some(b'+'), _) => Some((1, TokenKind::Plus)),
        (Some(b'-'), _) => Some((1, TokenKind::Hyphen)),
        (Some(b'^'), _) => Some((1, TokenKind::Power)),
        (Some(b'/'), _) => Some((1, TokenKind::Divide)),
        (Some(b'*'), _) => Some((1, TokenKind::Asterisk)),
        _ => None,
    };
    if let Some((len, kind)) = op {
        consider(Some(len), Some(kind));
    }
    // Skipped text: whitespace, block and line comments.
    let ws: usize = s
        .chars()
        .take_while(|c| is_pattern_space(*c))
        .map(char::len_utf8)
        .sum();
    if ws > 0 {
        consider(Some(ws), None);
    }
    if let Some(end) = s.strip_prefix("/*").and_then(|rest| rest.find("*/")) {
        consider(Some(end + 4), None);
    }
    if b.starts_with(b"//") {
        let end = s.find(['\r', '\n']).unwrap_or(s.len());
        consider(Some(end), None);
    }
    best
}

fn digits(b: &[u8], from: usize) -> usize {
    b[from..].iter().take_while(|c| c.is_ascii_digit()).count()
}

/// `'-' ('0' | [1-9][0-9]*)` or `'+'? ('0' | [1-9][0-9]*)`.
fn int_literal(b: &[u8], negative: bool) -> Option<usize> {
    let mut i = 0;
    if negative {
        if b.first() != Some(&b'-') {
            return None;
        }
        i = 1;
    } else if b.first() == Some(&b'+') {
        i = 1;
    }
    match b.get(i) {
        Some(b'0') => Some(i + 1),
        Some(c) if c.is_ascii_digit() => Some(i + 1 + digits(b, i + 1)),
        _ => None,
    }
}

/// `'-' [0-9]* '.' [0-9]+` or `'+'? [0-9]* '.' [0-9]+`.
fn float_literal(b: &[u8], negative: bool) -> Option<usize> {
    let mut i = 0;
    if negative {
        if b.first() != Some(&b'-') {
            return None;
        }
        i = 1;
    } else if b.first() == Some(&b'+') {
        i = 1;
    }
    i += digits(b, i);
    if b.get(i) != Some(&b'.') {
        return None;
    }
    let frac = digits(b, i + 1);
    if frac == 0 {
        return None;
    }
    Some(i + 1 + frac)
}

/// `'h' QUOTE (hexdigit hexdigit)* QUOTE`.
fn hex_literal(b: &[u8]) -> Option<usize> {
    if !b.starts_with(b"h'") {
        return None;
    }
    let n = b[2..].iter().take_while(|c| c.is_ascii_hexdigit()).count();
    let even = n - n % 2;
    // With an odd count the last digit cannot be followed by the quote.
    if n % 2 == 0 && b.get(2 + even) == Some(&b'\'') {
        Some(3 + even)
    } else {
        None
    }
}

fn is_base64_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'+' || c == b'/'
}

/// `'b' QUOTE (B B B B)* ((B B B B) | (B B B '=') | (B B '==')) QUOTE`.
fn binary_literal(b: &[u8]) -> Option<usize> {
    if !b.starts_with(b"b'") {
        return None;
    }
    let n = b[2..].iter().take_while(|c| is_base64_char(**c)).count();
    let after = &b[2 + n..];
    let len = match n % 4 {
        0 if n > 0 && after.first() == Some(&b'\'') => 2 + n + 1,
        3 if after.starts_with(b"='") => 2 + n + 2,
        2 if after.starts_with(b"=='") => 2 + n + 3,
        _ => return None,
    };
    Some(len)
}

/// `QUOTE (~['\\] | '\\\'' | '\\\\')* QUOTE`.
fn string_literal(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.first() != Some(&b'\'') {
        return None;
    }
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'\'' => return Some(i + 1),
            b'\\' => match b.get(i + 1) {
                Some(b'\'') | Some(b'\\') => i += 2,
                _ => return None,
            },
            _ => i += 1,
        }
    }
    None
}

fn bool_literal(b: &[u8]) -> Option<usize> {
    if b.starts_with(b"true") {
        Some(4)
    } else if b.starts_with(b"false") {
        Some(5)
    } else {
        None
    }
}

/// `t'YYYY-MM-DDTHH:MM:SS(.f+)?Z'` with the grammar's digit ranges.
fn timestamp_literal(b: &[u8]) -> Option<usize> {
    let d = |i: usize| b.get(i).is_some_and(|c| c.is_ascii_digit());
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    let in_range = |i: usize, lo: u8, hi: u8| b.get(i).is_some_and(|c| (lo..=hi).contains(c));
    if !b.starts_with(b"t'") {
        return None;
    }
    // year
    if !(d(2) && d(3) && d(4) && d(5) && at(6, b'-')) {
        return None;
    }
    // month: 0[1-9] | 1[0-2]
    let month_ok =
        (at(7, b'0') && in_range(8, b'1', b'9')) || (at(7, b'1') && in_range(8, b'0', b'2'));
    if !month_ok || !at(9, b'-') {
        return None;
    }
    // day: 0[1-9] | [12][0-9] | 3[01]
    let day_ok = (at(10, b'0') && in_range(11, b'1', b'9'))
        || (in_range(10, b'1', b'2') && d(11))
        || (at(10, b'3') && in_range(11, b'0', b'1'));
    if !day_ok || !at(12, b'T') {
        return None;
    }
    // hour: [01][0-9] | 2[0-3]
    let hour_ok = (in_range(13, b'0', b'1') && d(14)) || (at(13, b'2') && in_range(14, b'0', b'3'));
    if !hour_ok || !at(15, b':') {
        return None;
    }
    if !(in_range(16, b'0', b'5') && d(17) && at(18, b':')) {
        return None;
    }
    // second: [0-5][0-9] | 60
    let sec_ok = (in_range(19, b'0', b'5') && d(20)) || (at(19, b'6') && at(20, b'0'));
    if !sec_ok {
        return None;
    }
    let mut i = 21;
    if at(i, b'.') {
        let n = digits(b, i + 1);
        if n == 0 {
            return None;
        }
        i += 1 + n;
    }
    if at(i, b'Z') && at(i + 1, b'\'') {
        Some(i + 2)
    } else {
        None
    }
}

fn identifier(b: &[u8], hyphen: bool) -> Option<usize> {
    let first = *b.first()?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    let n = b[1..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_' || (hyphen && **c == b'-'))
        .count();
    Some(1 + n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<(TokenKind, &str)> {
        tokenize(s, 1000)
            .unwrap()
            .into_iter()
            .filter(|t| t.kind != TokenKind::Eof)
            .map(|t| (t.kind, t.text))
            .collect()
    }

    #[test]
    fn longest_match_and_rule_order() {
        use TokenKind::*;
        assert_eq!(
            kinds("true TRUE ANDx AND ipv4-addr:value x-"),
            vec![
                (Bool, "true"),
                (IdentWithoutHyphen, "TRUE"),
                (IdentWithoutHyphen, "ANDx"),
                (And, "AND"),
                (IdentWithHyphen, "ipv4-addr"),
                (Colon, ":"),
                (IdentWithoutHyphen, "value"),
                (IdentWithHyphen, "x-"),
            ]
        );
        assert_eq!(
            kinds("+1 -1 01 1.5 .5 -0 1."),
            vec![
                (IntPos, "+1"),
                (IntNeg, "-1"),
                (IntPos, "0"),
                (IntPos, "1"),
                (FloatPos, "1.5"),
                (FloatPos, ".5"),
                (IntNeg, "-0"),
                (IntPos, "1"),
                (Dot, "."),
            ]
        );
        assert_eq!(
            kinds("h'0a' h'a' b'AA==' b'' == <> /* c */ a // x"),
            vec![
                (Hex, "h'0a'"),
                (IdentWithoutHyphen, "h"),
                (Str, "'a'"),
                (Binary, "b'AA=='"),
                (IdentWithoutHyphen, "b"),
                (Str, "''"),
                (Eq, "=="),
                (Neq, "<>"),
                (IdentWithoutHyphen, "a"),
            ]
        );
        assert_eq!(
            kinds("t'2020-13-01T00:00:00Z' t'2020-01-01T00:00:60.5Z'"),
            vec![
                (IdentWithoutHyphen, "t"),
                (Str, "'2020-13-01T00:00:00Z'"),
                (Timestamp, "t'2020-01-01T00:00:60.5Z'"),
            ]
        );
    }

    #[test]
    fn positions_are_one_based_lines_and_columns() {
        let toks = tokenize("[a:b\n  = 1]", 100).unwrap();
        let eq = toks.iter().find(|t| t.kind == TokenKind::Eq).unwrap();
        assert_eq!(eq.at, Position { line: 2, column: 3 });
    }
}
