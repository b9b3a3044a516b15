//! CSV IOC lists (RFC 4180: quoted fields, `""` inside them, delimiters and
//! line breaks inside quotes, CRLF or LF), one indicator per value cell.
//!
//! Which column holds what comes from the feed's `columns` mappings
//! (`value=ipv4-addr:value`, `3=file:hashes.'SHA-256'`,
//! `comment=description`) or, without mappings, from a header row whose
//! names are STIX object paths and property words (`name`, `description`,
//! `labels`, `valid_from`, `valid_until`, `confidence`); other columns are
//! ignored. Lines starting with `#` before a record are comments (abuse.ch
//! and many others write their preamble so). Every row or cell that cannot
//! be read is a [`Problem`] with its line and column; a row with a bad cell
//! gives no indicator at all, so that no indicator is made with half its
//! details.

use std::borrow::Cow;

use concord_matcher::HashAlgorithm;
use concord_matcher::extract::{Ioc, parse_ioc};

use crate::error::FeedError;
use crate::indicator::{Details, Entry};
use crate::parse::Problem;
use crate::spec::{Column, FeedSpec, Target};

/// One record: the line it starts on and its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record<'a> {
    pub(crate) line: u64,
    pub(crate) fields: Vec<Cow<'a, [u8]>>,
}

/// Splits a body into records. Syntax errors are problems; reading goes on
/// at the next line.
pub(crate) fn records(body: &[u8], delimiter: u8) -> (Vec<Record<'_>>, Vec<Problem>) {
    let body = body.strip_prefix("\u{feff}".as_bytes()).unwrap_or(body);
    let mut records = Vec::new();
    let mut problems = Vec::new();
    let mut i = 0;
    let mut line = 1u64;
    let n = body.len();
    while i < n {
        // A comment or blank line between records.
        if body[i] == b'#'
            || body[i] == b'\n'
            || (body[i] == b'\r' && body.get(i + 1) == Some(&b'\n'))
        {
            i = memchr_newline(body, i).map_or(n, |e| e + 1);
            line += 1;
            continue;
        }
        let start_line = line;
        let mut fields: Vec<Cow<'_, [u8]>> = Vec::new();
        let mut broken: Option<String> = None;
        loop {
            // One field, starting at i.
            if body.get(i) == Some(&b'"') {
                let mut value = Vec::new();
                let mut j = i + 1;
                let mut closed = false;
                while j < n {
                    match body[j] {
                        b'"' if body.get(j + 1) == Some(&b'"') => {
                            value.push(b'"');
                            j += 2;
                        }
                        b'"' => {
                            closed = true;
                            j += 1;
                            break;
                        }
                        c => {
                            if c == b'\n' {
                                line += 1;
                            }
                            value.push(c);
                            j += 1;
                        }
                    }
                }
                if !closed {
                    problems.push(Problem::line(
                        start_line,
                        "a quoted field is never closed".into(),
                    ));
                    return (records, problems);
                }
                fields.push(Cow::Owned(value));
                i = j;
                match body.get(i) {
                    Some(&c) if c == delimiter => {
                        i += 1;
                        continue;
                    }
                    Some(b'\r') if body.get(i + 1) == Some(&b'\n') => {
                        i += 2;
                        break;
                    }
                    Some(b'\n') => {
                        i += 1;
                        break;
                    }
                    None => break,
                    Some(&c) => {
                        broken = Some(format!(
                            "column {}: {:?} after a closing quote (a quote inside a quoted field is written \"\")",
                            fields.len(),
                            char::from(c)
                        ));
                        i = memchr_newline(body, i).map_or(n, |e| e + 1);
                        break;
                    }
                }
            } else {
                let mut j = i;
                while j < n && body[j] != delimiter && body[j] != b'\n' {
                    j += 1;
                }
                let end = if j < n && body[j] == b'\n' && j > i && body[j - 1] == b'\r' {
                    j - 1
                } else {
                    j
                };
                fields.push(Cow::Borrowed(&body[i..end]));
                if j < n && body[j] == delimiter {
                    i = j + 1;
                    if i == n {
                        // `a,b,` at the very end: a last empty field.
                        fields.push(Cow::Borrowed(&body[n..n]));
                        break;
                    }
                    continue;
                }
                i = if j < n { j + 1 } else { n };
                break;
            }
        }
        line += 1;
        match broken {
            Some(reason) => problems.push(Problem::line(start_line, reason)),
            None => records.push(Record {
                line: start_line,
                fields,
            }),
        }
    }
    (records, problems)
}

fn memchr_newline(body: &[u8], from: usize) -> Option<usize> {
    body[from..]
        .iter()
        .position(|b| *b == b'\n')
        .map(|p| p + from)
}

/// The entries of a CSV body, and the rows and cells that are none.
pub(crate) fn entries(
    spec: &FeedSpec,
    body: &[u8],
) -> Result<(Vec<Entry>, Vec<Problem>), FeedError> {
    let fail = |reason: String| FeedError::Spec {
        feed: spec.name.clone(),
        reason,
    };
    let options = &spec.csv;
    let delimiter = u8::try_from(options.delimiter)
        .ok()
        .filter(|d| d.is_ascii() && !matches!(d, b'"' | b'\r' | b'\n'))
        .ok_or_else(|| {
            fail(format!(
                "CSV delimiter {:?} must be one ASCII character other than a quote or line break",
                options.delimiter
            ))
        })?;
    let (records, mut problems) = records(body, delimiter);
    let mut rows = records.iter();
    let header: Option<Vec<String>> = if options.header {
        rows.next().map(|r| {
            r.fields
                .iter()
                .map(|f| String::from_utf8_lossy(f).trim().to_string())
                .collect()
        })
    } else {
        None
    };
    let plan = plan(spec, header.as_deref()).map_err(fail)?;
    let mut entries = Vec::new();
    for record in rows {
        row_entries(
            record,
            &plan,
            header.as_deref(),
            &mut entries,
            &mut problems,
        );
    }
    problems.sort_by_key(|p| p.line);
    Ok((entries, problems))
}

/// Which column (0-based) holds what.
fn plan(spec: &FeedSpec, header: Option<&[String]>) -> Result<Vec<(usize, Target)>, String> {
    let mut plan = Vec::new();
    if spec.csv.columns.is_empty() {
        let Some(names) = header else {
            return Err(
                "a CSV feed without a header row needs column mappings (value=ipv4-addr:value)"
                    .into(),
            );
        };
        for (i, name) in names.iter().enumerate() {
            if let Ok(t) = Target::parse(name) {
                plan.push((i, t));
            }
        }
    } else {
        for m in &spec.csv.columns {
            let index = match &m.column {
                Column::Number(n) => n - 1,
                Column::Name(name) => {
                    let Some(names) = header else {
                        return Err(format!(
                            "column {name:?} is named, but the feed has no header row: number it"
                        ));
                    };
                    names
                        .iter()
                        .position(|h| h == name)
                        .or_else(|| names.iter().position(|h| h.eq_ignore_ascii_case(name)))
                        .ok_or_else(|| {
                            format!(
                                "column {name:?} is not in the header row ({})",
                                names.join(", ")
                            )
                        })?
                }
            };
            plan.push((index, m.target.clone()));
        }
    }
    if !plan.iter().any(|(_, t)| matches!(t, Target::Value(_))) {
        return Err(match header {
            Some(names) if spec.csv.columns.is_empty() => format!(
                "no column holds indicator values: name one with a STIX object path in the header ({}) or map one (value=ipv4-addr:value)",
                names.join(", ")
            ),
            _ => "no column mapping names a STIX object path (value=ipv4-addr:value)".into(),
        });
    }
    Ok(plan)
}

/// The entries of one data row, or its problems.
fn row_entries(
    record: &Record<'_>,
    plan: &[(usize, Target)],
    header: Option<&[String]>,
    entries: &mut Vec<Entry>,
    problems: &mut Vec<Problem>,
) {
    let line = record.line;
    let before = problems.len();
    let cell_problem = |index: usize, reason: String| Problem {
        line,
        column: Some(index + 1),
        column_name: header.and_then(|h| h.get(index)).cloned(),
        reason,
    };
    let mut details = Details::default();
    let mut values: Vec<(usize, &str, String)> = Vec::new();
    for (index, target) in plan {
        let raw = record.fields.get(*index).map_or(&[][..], |f| f.as_ref());
        let Ok(text) = std::str::from_utf8(raw) else {
            problems.push(cell_problem(*index, "not UTF-8 text".into()));
            continue;
        };
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let read = match target {
            Target::Value(path) => {
                values.push((*index, path, text.to_string()));
                Ok(())
            }
            Target::Name => {
                details.name = Some(text.to_string());
                Ok(())
            }
            Target::Description => {
                details.description = Some(text.to_string());
                Ok(())
            }
            Target::Labels => {
                details.labels = text
                    .split([',', ';', '|'])
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect();
                Ok(())
            }
            Target::ValidFrom => timestamp(text).map(|t| details.valid_from = Some(t)),
            Target::ValidUntil => timestamp(text).map(|t| details.valid_until = Some(t)),
            Target::Confidence => match text.parse::<u8>() {
                Ok(c) if c <= 100 => {
                    details.confidence = Some(c);
                    Ok(())
                }
                _ => Err(format!(
                    "confidence {text:?} must be a whole number from 0 to 100"
                )),
            },
        };
        if let Err(reason) = read {
            problems.push(cell_problem(*index, reason));
        }
    }
    let mut made = Vec::new();
    for (index, path, text) in &values {
        match value(path, text) {
            Ok((value, subset)) => made.push(Entry {
                line,
                path: (*path).to_string(),
                subset,
                value,
                details: details.clone(),
            }),
            Err(reason) => problems.push(cell_problem(*index, reason)),
        }
    }
    if problems.len() > before {
        return;
    }
    if made.is_empty() {
        problems.push(Problem::line(
            line,
            "no value in any indicator column".into(),
        ));
    }
    entries.extend(made);
}

/// Reads a value for an object path: the paths of the types a value can be
/// checked against must hold a value of that type (plain or defanged);
/// any other path takes the text as it is.
fn value(path: &str, text: &str) -> Result<(String, bool), String> {
    let hash = path
        .strip_prefix("file:hashes.")
        .map(|k| k.trim_matches('\''))
        .and_then(HashAlgorithm::from_stix);
    let expected = match path {
        "ipv4-addr:value" => "an IPv4 address or network",
        "ipv6-addr:value" => "an IPv6 address or network",
        "domain-name:value" => "a domain name",
        "url:value" => "a URL",
        "email-addr:value" => "an e-mail address",
        _ if hash.is_some() => "a hash",
        _ => return Ok((text.to_string(), false)),
    };
    let ioc = parse_ioc(text).map_err(|e| e.to_string())?;
    let fits = match (&ioc, path) {
        (Ioc::Address(a), "ipv4-addr:value") | (Ioc::Network(a, _), "ipv4-addr:value") => {
            a.is_ipv4()
        }
        (Ioc::Address(a), "ipv6-addr:value") | (Ioc::Network(a, _), "ipv6-addr:value") => {
            a.is_ipv6()
        }
        (Ioc::Domain(_), "domain-name:value")
        | (Ioc::Url(_), "url:value")
        | (Ioc::Email(_), "email-addr:value") => true,
        (Ioc::Hash(a, _), _) => Some(*a) == hash,
        _ => false,
    };
    if !fits {
        return Err(format!(
            "{text:?} is {} ({}), not {expected}",
            article(&ioc),
            ioc.object_path()
        ));
    }
    Ok((ioc.value(), matches!(ioc, Ioc::Network(..))))
}

fn article(ioc: &Ioc) -> &'static str {
    match ioc {
        Ioc::Address(_) => "an address",
        Ioc::Network(..) => "a network",
        Ioc::Domain(_) => "a domain name",
        Ioc::Url(_) => "a URL",
        Ioc::Email(_) => "an e-mail address",
        Ioc::Hash(..) => "a hash",
    }
}

/// A STIX timestamp from the forms CSV lists write: `2026-12-03`,
/// `2026-12-03 10:00:00`, `2026-12-03T10:00:00Z`, with or without a
/// fraction or the `Z`.
fn timestamp(text: &str) -> Result<String, String> {
    let mut t = text.replacen(' ', "T", 1);
    if t.len() == 10 {
        t.push_str("T00:00:00");
    }
    if !t.ends_with('Z') && !t.ends_with('z') {
        t.push('Z');
    }
    concord_stix::Timestamp::parse(&t)
        .map(|ts| ts.to_stix())
        .map_err(|e| {
            format!(
                "{text:?} is no date and time (YYYY-MM-DD[THH:MM:SS[.s]Z], UTC): {}",
                e.0
            )
        })
}

#[cfg(test)]
mod tests;
