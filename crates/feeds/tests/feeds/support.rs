//! What the tests share: a spec with defaults, the caller's readers of
//! foreign formats, timestamps.

use concord_feeds::{CsvOptions, FeedFormat, FeedSpec, ForeignReader};
use serde_json::{Map, Value};

/// A spec with defaults for the tests.
pub(crate) fn spec(name: &str, url: &str, format: FeedFormat) -> FeedSpec {
    FeedSpec {
        name: name.into(),
        url: url.into(),
        format,
        interval_secs: 3600,
        tlp: None,
        audience: Vec::new(),
        collection: None,
        csv: CsvOptions::default(),
    }
}

/// The caller's readers as the tests need them: TAXII envelopes read by
/// hand (`objects`), MISP not expected.
pub(crate) struct Readers;

impl ForeignReader for Readers {
    fn misp(&self, _: &FeedSpec, _: &[u8]) -> Result<Vec<Map<String, Value>>, String> {
        Err("these tests bring no MISP reader".into())
    }

    fn taxii(&self, _: &FeedSpec, body: &[u8]) -> Result<Vec<Map<String, Value>>, String> {
        let v: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        let objects = v
            .get("objects")
            .and_then(Value::as_array)
            .ok_or("no objects array")?;
        objects
            .iter()
            .map(|o| {
                o.as_object()
                    .cloned()
                    .ok_or_else(|| "an object is no JSON object".to_string())
            })
            .collect()
    }
}

pub(crate) fn at(text: &str) -> concord_stix::Timestamp {
    concord_stix::Timestamp::parse(text).expect("test timestamp")
}
