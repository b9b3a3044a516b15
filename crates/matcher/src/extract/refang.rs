//! Refanging: undoing the ways analysts defang indicators so that nobody
//! clicks them (`hxxp://evil[.]example`, `alice[at]evil(dot)example`,
//! `1.2.3[.]4`, `hxxps[:]//`).

use std::borrow::Cow;

/// The bracketed forms, inside `[]`, `()` or `{}`, and what they stand for.
/// Word forms (`dot`, `at`) may have spaces around them (`evil [dot] com`).
const BRACKETED: &[(&str, &str, bool)] = &[
    (".", ".", true),
    ("dot", ".", true),
    ("at", "@", true),
    ("@", "@", true),
    (":", ":", false),
    ("://", "://", false),
    ("/", "/", false),
];

/// The text with every defanged form made plain again; borrowed when there
/// was nothing to undo.
pub fn refang(text: &str) -> Cow<'_, str> {
    let b = text.as_bytes();
    let mut out: Option<String> = None;
    // Bytes of `text` before `copied` are in `out` (or need no change).
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        // A defanged scheme is found from its `x` or `*` (rarer in text
        // than `h` or `f`): `hxxp`, `hxtp`, `fxp` from one byte back,
        // `htxp`, `h**p` from two.
        let (at, replaced) = match b[i] {
            open @ (b'[' | b'(' | b'{') => (i, bracketed(b, i, open)),
            b'x' | b'X' | b'*' => [1, 2]
                .into_iter()
                .filter_map(|back| i.checked_sub(back).filter(|s| *s >= copied))
                .find_map(|s| scheme(b, s).map(|r| (s, Some(r))))
                .unwrap_or((i, None)),
            b'\\' if b.get(i + 1) == Some(&b'.') => (i, Some((2, ".", false))),
            _ => (i, None),
        };
        let Some((len, with, spaced)) = replaced else {
            i += 1;
            continue;
        };
        let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
        o.push_str(&text[copied..at]);
        if spaced {
            while o.ends_with(' ') {
                o.pop();
            }
        }
        o.push_str(with);
        i = at + len;
        if spaced {
            while b.get(i) == Some(&b' ') {
                i += 1;
            }
        }
        copied = i;
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut o) => {
            o.push_str(&text[copied..]);
            Cow::Owned(o)
        }
    }
}

/// `[.]`, `(dot)`, `{at}`...: its length, the plain text, whether spaces
/// around it go too.
fn bracketed(b: &[u8], at: usize, open: u8) -> Option<(usize, &'static str, bool)> {
    let close = match open {
        b'[' => b']',
        b'(' => b')',
        _ => b'}',
    };
    let rest = &b[at + 1..];
    BRACKETED.iter().find_map(|(inner, with, spaced)| {
        let n = inner.len();
        (rest.len() > n && rest[..n].eq_ignore_ascii_case(inner.as_bytes()) && rest[n] == close)
            .then_some((n + 2, *with, *spaced))
    })
}

/// `hxxp`, `hXXp`, `hxtp`, `h**p` and `fxp` at the start of a word and
/// before `:`, `s:` or a bracketed colon.
fn scheme(b: &[u8], at: usize) -> Option<(usize, &'static str, bool)> {
    if at > 0 && b[at - 1].is_ascii_alphanumeric() {
        return None;
    }
    let lower = |k: usize| b.get(at + k).map(u8::to_ascii_lowercase);
    let (len, with) = match lower(0)? {
        b'h' => {
            let (x, y) = (lower(1)?, lower(2)?);
            let defanged = matches!(
                (x, y),
                (b'x', b'x') | (b'x', b't') | (b't', b'x') | (b'*', b'*')
            );
            if !defanged || lower(3)? != b'p' {
                return None;
            }
            (4, "http")
        }
        b'f' => {
            if lower(1)? != b'x' || lower(2)? != b'p' {
                return None;
            }
            (3, "ftp")
        }
        _ => return None,
    };
    let mut next = at + len;
    if matches!(b.get(next), Some(b's' | b'S')) {
        next += 1;
    }
    matches!(b.get(next), Some(b':' | b'[' | b'(' | b'{')).then_some((len, with, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defanged_forms() {
        for (defanged, plain) in [
            ("hxxp://evil[.]example/x", "http://evil.example/x"),
            ("hXXps[:]//evil(.)example", "https://evil.example"),
            ("hxxp[://]evil{.}example[/]a", "http://evil.example/a"),
            (
                "fxp://files[dot]evil(dot)example",
                "ftp://files.evil.example",
            ),
            ("1.2.3[.]4", "1.2.3.4"),
            ("alice[at]evil[.]example", "alice@evil.example"),
            ("alice [at] evil [dot] example", "alice@evil.example"),
            ("bob(@)evil\\.example", "bob@evil.example"),
            ("h**ps://x[.]example", "https://x.example"),
            (
                "HtXp://x.example and htxps://y.example",
                "http://x.example and https://y.example",
            ),
            ("(hxxp://a.example) txp://b", "(http://a.example) txp://b"),
        ] {
            assert_eq!(refang(defanged), plain, "{defanged}");
        }
    }

    #[test]
    fn plain_text_is_borrowed() {
        for t in [
            "http://example.com/a",
            "Dec  3 kernel: DROP SRC=10.0.0.5 (x) [y] {z} 0x00",
            "ahxxp://no",
            "hxxpx",
            "[",
            "(dot",
        ] {
            assert!(matches!(refang(t), Cow::Borrowed(_)), "{t}");
        }
    }
}
