//! The URL parameters of TAXII 2.1 requests (section 3.4 and 3.5): paging
//! (`limit`, `next`, `added_after`) and the `match[...]` filters. Parsing is
//! strict: a value that is not what the spec allows is a 400 with the
//! parameter's name, never silently dropped. Unknown parameters are ignored
//! as the spec permits.

use concord_stix::Timestamp;
use concord_stix::id::{StixId, check_type_name};
use concord_store::VersionSel;

/// Most values one filter may list (keeps queries bounded).
pub const MAX_FILTER_VALUES: usize = 1000;

/// Why a parameter was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{param}: {message}")]
pub struct FilterError {
    /// The parameter's name as in the URL (`limit`, `match[id]`, ...).
    pub param: String,
    /// What is wrong with its value.
    pub message: String,
}

fn err(param: &str, message: impl Into<String>) -> FilterError {
    FilterError {
        param: param.to_string(),
        message: message.into(),
    }
}

/// Every parameter a TAXII request may carry, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// `added_after`, in microseconds since the Unix epoch.
    pub added_after_us: Option<i64>,
    /// `limit`: the most entries wanted in the page (at least 1).
    pub limit: Option<usize>,
    /// The decoded `next` token: the `date_added` of the last entry served.
    pub next: Option<i64>,
    /// `match[id]`: STIX ids (any of them).
    pub ids: Vec<String>,
    /// `match[type]`: STIX types (any of them).
    pub types: Vec<String>,
    /// `None`: the endpoint's default (`last` for objects and manifests).
    pub versions: Option<VersionSel>,
    /// `match[spec_version]`: STIX spec versions (any of them).
    pub spec_versions: Vec<String>,
}

impl Filters {
    /// Where a page starts: after the later of `added_after` and `next`
    /// (`next` comes from a page of the same query, so it is never earlier).
    pub fn start_after(&self) -> Option<i64> {
        match (self.added_after_us, self.next) {
            (Some(a), Some(n)) => Some(a.max(n)),
            (a, n) => a.or(n),
        }
    }
}

/// The opaque `next` token for a page that ended at `date_added_us`. Since
/// `date_added` is unique within a collection, it pins the exact position.
pub fn encode_next(date_added_us: i64) -> String {
    format!("{date_added_us:x}")
}

/// The `date_added` (microseconds) an `encode_next` token stands for;
/// `None` for anything this server did not hand out.
pub fn decode_next(token: &str) -> Option<i64> {
    if token.is_empty() || token.len() > 16 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(token, 16)
        .ok()
        .and_then(|v| i64::try_from(v).ok())
}

fn values<'a>(param: &str, raw: &'a str, into_len: usize) -> Result<Vec<&'a str>, FilterError> {
    let vals: Vec<&str> = raw.split(',').map(str::trim).collect();
    if vals.iter().any(|v| v.is_empty()) {
        return Err(err(param, "empty value in the list"));
    }
    if vals.len() + into_len > MAX_FILTER_VALUES {
        return Err(err(
            param,
            format!("at most {MAX_FILTER_VALUES} values are allowed"),
        ));
    }
    Ok(vals)
}

fn version_sel(param: &str, vals: &[&str], into: &mut Vec<VersionSel>) -> Result<(), FilterError> {
    for v in vals {
        into.push(match *v {
            "all" => VersionSel::All,
            "first" => VersionSel::First,
            "last" => VersionSel::Last,
            t => {
                Timestamp::parse(t).map_err(|e| {
                    err(
                        param,
                        format!("{t:?} is not first, last, all or a timestamp ({e})"),
                    )
                })?;
                VersionSel::At(vec![t.to_string()])
            }
        });
    }
    Ok(())
}

/// One selection from the parts of `match[version]`: `all` wins; several
/// timestamps become one list.
fn combine(parts: Vec<VersionSel>) -> VersionSel {
    if parts.contains(&VersionSel::All) {
        return VersionSel::All;
    }
    let mut at = Vec::new();
    let mut rest = Vec::new();
    for p in parts {
        match p {
            VersionSel::At(v) => at.extend(v),
            other if !rest.contains(&other) => rest.push(other),
            _ => {}
        }
    }
    if !at.is_empty() {
        rest.push(VersionSel::At(at));
    }
    if rest.len() == 1 {
        rest.pop().unwrap_or(VersionSel::Last)
    } else {
        VersionSel::Union(rest)
    }
}

/// Parses a raw query string (without the `?`).
pub fn parse(query: &str) -> Result<Filters, FilterError> {
    let mut f = Filters::default();
    let mut versions = Vec::new();
    let mut seen_version = false;
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        let (k, v) = (k.as_ref(), v.as_ref());
        match k {
            "added_after" => {
                let t = Timestamp::parse(v)
                    .map_err(|e| err(k, format!("{v:?} is not a timestamp ({e})")))?;
                f.added_after_us = Some(t.0);
            }
            "limit" => {
                let n: usize = v
                    .parse()
                    .map_err(|_| err(k, format!("{v:?} is not a positive integer")))?;
                if n == 0 {
                    return Err(err(k, "must be at least 1"));
                }
                f.limit = Some(n);
            }
            "next" => {
                f.next = Some(
                    decode_next(v).ok_or_else(|| err(k, "not a token this server handed out"))?,
                );
            }
            "match[id]" => {
                for id in values(k, v, f.ids.len())? {
                    StixId::parse(id).map_err(|e| err(k, e.to_string()))?;
                    f.ids.push(id.to_string());
                }
            }
            "match[type]" => {
                for t in values(k, v, f.types.len())? {
                    check_type_name(t).map_err(|e| err(k, e.to_string()))?;
                    f.types.push(t.to_string());
                }
            }
            "match[version]" => {
                let vals = values(k, v, versions.len())?;
                version_sel(k, &vals, &mut versions)?;
                seen_version = true;
            }
            "match[spec_version]" => {
                for s in values(k, v, f.spec_versions.len())? {
                    let ok = s.split_once('.').is_some_and(|(a, b)| {
                        !a.is_empty()
                            && !b.is_empty()
                            && a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit())
                    });
                    if !ok {
                        return Err(err(k, format!("{s:?} is not a spec version such as 2.1")));
                    }
                    f.spec_versions.push(s.to_string());
                }
            }
            _ => {}
        }
    }
    if seen_version {
        f.versions = Some(combine(versions));
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_filter() {
        let f = parse(
            "added_after=2020-01-01T00:00:00.5Z&limit=10&match[id]=indicator--00000000-0000-4000-8000-000000000001\
             &match%5Btype%5D=indicator,malware&match[version]=first,last&match[spec_version]=2.1",
        )
        .unwrap();
        assert_eq!(f.added_after_us, Some(1_577_836_800_500_000));
        assert_eq!(f.limit, Some(10));
        assert_eq!(f.types, ["indicator", "malware"]);
        assert_eq!(f.ids.len(), 1);
        assert_eq!(
            f.versions,
            Some(VersionSel::Union(vec![VersionSel::First, VersionSel::Last]))
        );
        assert_eq!(f.spec_versions, ["2.1"]);
    }

    #[test]
    fn version_lists_combine() {
        let v = |q: &str| parse(q).unwrap().versions;
        assert_eq!(v(""), None);
        assert_eq!(v("match[version]=all,first"), Some(VersionSel::All));
        assert_eq!(
            v("match[version]=2020-01-01T00:00:00Z,2021-01-01T00:00:00.000Z"),
            Some(VersionSel::At(vec![
                "2020-01-01T00:00:00Z".into(),
                "2021-01-01T00:00:00.000Z".into()
            ]))
        );
        assert_eq!(
            v("match[version]=last&match[version]=2020-01-01T00:00:00Z"),
            Some(VersionSel::Union(vec![
                VersionSel::Last,
                VersionSel::At(vec!["2020-01-01T00:00:00Z".into()])
            ]))
        );
    }

    #[test]
    fn refuses_bad_values() {
        for q in [
            "limit=0",
            "limit=-1",
            "limit=abc",
            "added_after=yesterday",
            "added_after=2020-01-01T00:00:00+01:00",
            "match[id]=not-an-id",
            "match[type]=A",
            "match[type]=indicator,,malware",
            "match[version]=newest",
            "match[spec_version]=two",
            "next=zz",
            "next=",
        ] {
            assert!(parse(q).is_err(), "{q} must be refused");
        }
        assert!(parse("foo=bar&match[foo]=x").is_ok());
    }

    #[test]
    fn next_tokens_round_trip() {
        for us in [0, 1, 1_700_000_000_123_456, i64::MAX] {
            assert_eq!(decode_next(&encode_next(us)), Some(us));
        }
        assert_eq!(decode_next("ffffffffffffffff"), None);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in ".{0,200}") {
            let _ = parse(&s);
        }
    }
}
