//! TAXII 2.1 media types and content negotiation (section 1.6.8).

/// The one media type of TAXII 2.1 resources.
pub const TAXII_21: &str = "application/taxii+json;version=2.1";
/// The media type of the STIX objects a collection holds.
pub const STIX_21: &str = "application/stix+json;version=2.1";

/// One media range of an Accept or Content-Type header, lowercased.
struct Range<'a> {
    kind: String,
    params: Vec<(String, &'a str)>,
}

fn parse_range(s: &str) -> Range<'_> {
    let mut parts = s.split(';');
    let kind = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let params = parts
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            Some((k.trim().to_ascii_lowercase(), v.trim().trim_matches('"')))
        })
        .collect();
    Range { kind, params }
}

fn param<'a>(r: &Range<'a>, name: &str) -> Option<&'a str> {
    r.params.iter().find(|(k, _)| k == name).map(|(_, v)| *v)
}

/// Whether `taxii+json` with this range's `version` (if any) is TAXII 2.1.
fn taxii_21(r: &Range<'_>) -> bool {
    r.kind == "application/taxii+json" && param(r, "version").is_none_or(|v| v == "2.1")
}

/// Whether a response in TAXII 2.1 satisfies the request's Accept header.
/// No header at all, `*/*` and `application/*` accept it; `q=0` refuses.
pub fn accepts_taxii(accept: Option<&str>) -> bool {
    let Some(accept) = accept else { return true };
    accept.split(',').map(parse_range).any(|r| {
        let refused = param(&r, "q").is_some_and(|q| q.parse::<f32>().is_ok_and(|q| q <= 0.0));
        !refused && (taxii_21(&r) || r.kind == "*/*" || r.kind == "application/*")
    })
}

/// Whether a request body's Content-Type is a TAXII 2.1 envelope.
pub fn is_taxii_body(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|c| taxii_21(&parse_range(c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation() {
        assert!(accepts_taxii(None));
        assert!(accepts_taxii(Some(TAXII_21)));
        assert!(accepts_taxii(Some("application/taxii+json")));
        assert!(accepts_taxii(Some(
            "text/html, application/taxii+json; version=2.1"
        )));
        assert!(accepts_taxii(Some("*/*")));
        assert!(!accepts_taxii(Some("application/taxii+json;version=2.0")));
        assert!(!accepts_taxii(Some("application/json")));
        assert!(!accepts_taxii(Some(
            "application/taxii+json;version=2.1;q=0"
        )));
        assert!(is_taxii_body(Some("application/taxii+json;version=2.1")));
        assert!(is_taxii_body(Some("Application/TAXII+json")));
        assert!(!is_taxii_body(Some("application/json")));
        assert!(!is_taxii_body(Some("application/stix+json;version=2.1")));
        assert!(!is_taxii_body(None));
    }
}
