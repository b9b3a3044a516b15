//! What a feed is: where it lives, in which format, how often to fetch it,
//! how to mark what it brings, and for CSV lists which column holds what.
//! The node keeps a [`FeedSpec`] as a record (JSON through serde).

use concord_stix::tlp::Tlp;
use serde::{Deserialize, Serialize};

/// One feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedSpec {
    /// The feed's name, unique on the node. Indicator ids are derived from
    /// it, so renaming a feed gives its indicators new ids.
    pub name: String,
    /// Where to fetch it (http or https). For a TAXII feed, the URL of the
    /// collection's objects resource.
    pub url: String,
    /// Its format.
    pub format: FeedFormat,
    /// Seconds between two fetches.
    #[serde(default = "default_interval")]
    pub interval_secs: u64,
    /// The TLP marking given to the indicators this crate makes from CSV
    /// and text lists (objects of STIX, MISP and TAXII feeds keep their own).
    #[serde(default, with = "tlp_word", skip_serializing_if = "Option::is_none")]
    pub tlp: Option<Tlp>,
    /// Who may receive what the feed brings (member ids or group names),
    /// applied by the node's sharing policy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audience: Vec<String>,
    /// The node's collection the objects are stored in (`None`: the node's
    /// default collection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection: Option<String>,
    /// How a CSV list is read (ignored for other formats).
    #[serde(default, skip_serializing_if = "CsvOptions::is_default")]
    pub csv: CsvOptions,
}

fn default_interval() -> u64 {
    3600
}

/// A feed's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedFormat {
    /// MISP events (read by the caller's [`crate::ForeignReader`]).
    Misp,
    /// A STIX 2.1 bundle, JSON array of objects or JSON lines.
    Stix,
    /// A TAXII 2.1 objects envelope (read by the caller's
    /// [`crate::ForeignReader`]).
    Taxii,
    /// CSV (RFC 4180), one indicator per value cell.
    Csv,
    /// Plain text, one indicator per line.
    Text,
}

impl FeedFormat {
    /// The lower-case name (`csv`).
    pub fn word(self) -> &'static str {
        match self {
            FeedFormat::Misp => "misp",
            FeedFormat::Stix => "stix",
            FeedFormat::Taxii => "taxii",
            FeedFormat::Csv => "csv",
            FeedFormat::Text => "text",
        }
    }

    /// The `Accept` header a fetch sends.
    pub(crate) fn accept(self) -> &'static str {
        match self {
            FeedFormat::Misp => "application/json",
            FeedFormat::Stix => {
                "application/stix+json;version=2.1, application/json;q=0.9, */*;q=0.1"
            }
            FeedFormat::Taxii => "application/taxii+json;version=2.1",
            FeedFormat::Csv => "text/csv, text/plain;q=0.9, */*;q=0.1",
            FeedFormat::Text => "text/plain, */*;q=0.1",
        }
    }
}

/// How a CSV list is read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvOptions {
    /// The field delimiter (`,` by default; `;` and tab are common too).
    #[serde(default = "default_delimiter")]
    pub delimiter: char,
    /// Whether the first record (after `#` comment lines) is a header row.
    #[serde(default = "default_header")]
    pub header: bool,
    /// Which column holds what. Empty: the header row names the columns
    /// (STIX object paths such as `ipv4-addr:value` for values, and `name`,
    /// `description`, `labels`, `valid_from`, `valid_until`, `confidence`).
    #[serde(default)]
    pub columns: Vec<ColumnMapping>,
}

fn default_delimiter() -> char {
    ','
}

fn default_header() -> bool {
    true
}

impl Default for CsvOptions {
    fn default() -> CsvOptions {
        CsvOptions {
            delimiter: default_delimiter(),
            header: default_header(),
            columns: Vec::new(),
        }
    }
}

impl CsvOptions {
    fn is_default(&self) -> bool {
        *self == CsvOptions::default()
    }
}

/// `COLUMN=TARGET`: a column (its header name, or its 1-based number) and
/// what it holds. Written and stored as that text (`value=ipv4-addr:value`,
/// `3=file:hashes.'SHA-256'`, `comment=description`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ColumnMapping {
    /// The column.
    pub column: Column,
    /// What it holds.
    pub target: Target,
}

/// A CSV column: by header name or by 1-based number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    /// The name in the header row.
    Name(String),
    /// The 1-based column number.
    Number(usize),
}

/// What a column holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Indicator values at this STIX object path (`ipv4-addr:value`,
    /// `file:hashes.'SHA-256'`), in the canonical form the pattern printer
    /// writes.
    Value(String),
    /// The indicator's `name`.
    Name,
    /// Its `description`.
    Description,
    /// Its `labels` (separated by `,`, `;` or `|` inside the cell).
    Labels,
    /// Its `valid_from`.
    ValidFrom,
    /// Its `valid_until`.
    ValidUntil,
    /// Its `confidence` (0 to 100).
    Confidence,
}

impl Target {
    /// Reads a target: a property word or a STIX object path.
    pub fn parse(text: &str) -> Result<Target, String> {
        let t = text.trim();
        Ok(match t.to_ascii_lowercase().as_str() {
            "name" => Target::Name,
            "description" => Target::Description,
            "labels" => Target::Labels,
            "valid_from" => Target::ValidFrom,
            "valid_until" => Target::ValidUntil,
            "confidence" => Target::Confidence,
            _ => Target::Value(object_path(t)?),
        })
    }

    fn word(&self) -> &str {
        match self {
            Target::Value(p) => p,
            Target::Name => "name",
            Target::Description => "description",
            Target::Labels => "labels",
            Target::ValidFrom => "valid_from",
            Target::ValidUntil => "valid_until",
            Target::Confidence => "confidence",
        }
    }
}

/// The canonical text of a STIX object path (`file:hashes.sha256` ->
/// `file:hashes.'SHA-256'`), checked by the pattern parser.
pub(crate) fn object_path(text: &str) -> Result<String, String> {
    if !text.contains(':') {
        return Err(format!(
            "{text:?} is neither a STIX object path (type:property) nor one of name, description, labels, valid_from, valid_until, confidence"
        ));
    }
    let pattern = concord_pattern::Pattern::parse(&format!("[EXISTS {text}]"))
        .map_err(|e| format!("{text:?} is no STIX object path: {e}"))?;
    let Some(concord_pattern::ComparisonExpr::Test(test)) = pattern.comparisons().first().copied()
    else {
        return Err(format!("{text:?} is no STIX object path"));
    };
    let mut path = test.path.clone();
    if path.object_type == "file"
        && let [
            concord_pattern::PathStep::Key(h),
            concord_pattern::PathStep::Key(algo),
        ] = path.steps.as_mut_slice()
        && h == "hashes"
        && let Some(a) = concord_matcher::HashAlgorithm::from_stix(algo)
    {
        *algo = a.stix_key().to_string();
    }
    if path
        .steps
        .iter()
        .any(|s| !matches!(s, concord_pattern::PathStep::Key(_)))
    {
        return Err(format!(
            "{text:?}: list indexes are not supported in a value column"
        ));
    }
    Ok(path.to_string())
}

impl ColumnMapping {
    /// Reads `COLUMN=TARGET`.
    pub fn parse(text: &str) -> Result<ColumnMapping, String> {
        let (column, target) = text
            .split_once('=')
            .ok_or_else(|| format!("{text:?}: expected COLUMN=TARGET (value=ipv4-addr:value)"))?;
        let column = column.trim();
        if column.is_empty() {
            return Err(format!("{text:?}: empty column"));
        }
        let column = match column.parse::<usize>() {
            Ok(0) => return Err(format!("{text:?}: columns are numbered from 1")),
            Ok(n) => Column::Number(n),
            Err(_) => Column::Name(column.to_string()),
        };
        Ok(ColumnMapping {
            column,
            target: Target::parse(target).map_err(|e| format!("{text:?}: {e}"))?,
        })
    }
}

impl TryFrom<String> for ColumnMapping {
    type Error = String;

    fn try_from(text: String) -> Result<ColumnMapping, String> {
        ColumnMapping::parse(&text)
    }
}

impl From<ColumnMapping> for String {
    fn from(m: ColumnMapping) -> String {
        let column = match &m.column {
            Column::Name(n) => n.clone(),
            Column::Number(n) => n.to_string(),
        };
        format!("{column}={}", m.target.word())
    }
}

/// TLP levels stored as their word (`amber+strict`).
mod tlp_word {
    use concord_stix::tlp::Tlp;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(t: &Option<Tlp>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(t.word()),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Tlp>, D::Error> {
        let Some(word) = Option::<String>::deserialize(d)? else {
            return Ok(None);
        };
        Tlp::parse(&word).map(Some).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{word:?} is no TLP level (clear, green, amber, amber+strict, red)"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mappings_read_and_write_as_text() {
        let m = ColumnMapping::parse("value=ipv4-addr:value").unwrap();
        assert_eq!(m.column, Column::Name("value".into()));
        assert_eq!(m.target, Target::Value("ipv4-addr:value".into()));
        let m = ColumnMapping::parse("3=file:hashes.sha256").unwrap();
        assert_eq!(m.column, Column::Number(3));
        assert_eq!(String::from(m), "3=file:hashes.'SHA-256'");
        assert_eq!(
            ColumnMapping::parse("note=Description").unwrap().target,
            Target::Description
        );
        for bad in [
            "novalue",
            "=ipv4-addr:value",
            "0=ipv4-addr:value",
            "a=nothing",
            "a=file:hashes[0]",
            "a=x:",
        ] {
            assert!(ColumnMapping::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn specs_round_trip_through_json() {
        let spec = FeedSpec {
            name: "abuse list".into(),
            url: "https://lists.example/ips.csv".into(),
            format: FeedFormat::Csv,
            interval_secs: 900,
            tlp: Some(Tlp::AmberStrict),
            audience: vec!["identity--00000000-0000-4000-8000-000000000001".into()],
            collection: Some("feeds".into()),
            csv: CsvOptions {
                delimiter: ';',
                header: true,
                columns: vec![ColumnMapping::parse("ip=ipv4-addr:value").unwrap()],
            },
        };
        let json = serde_json::to_value(&spec).unwrap();
        assert_eq!(json["tlp"], "amber+strict");
        assert_eq!(json["csv"]["columns"][0], "ip=ipv4-addr:value");
        assert_eq!(serde_json::from_value::<FeedSpec>(json).unwrap(), spec);
        let minimal: FeedSpec =
            serde_json::from_str(r#"{"name":"t","url":"http://x","format":"text"}"#).unwrap();
        assert_eq!(minimal.interval_secs, 3600);
        assert_eq!(minimal.csv, CsvOptions::default());
        assert!(
            serde_json::from_str::<FeedSpec>(
                r#"{"name":"t","url":"u","format":"text","tlp":"purple"}"#
            )
            .is_err()
        );
    }
}
