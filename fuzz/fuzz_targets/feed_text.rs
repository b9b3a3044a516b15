//! Any body as a text IOC list: never a panic; every object is a valid
//! indicator whose pattern parses; reading the same body again against the
//! state it left gives the same objects, all unchanged (no duplicate
//! versions on a re-fetch).
#![no_main]

use concord_feeds::{Change, CsvOptions, FeedFormat, FeedSpec, FeedState, ForeignReader, Validators, parse};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

struct NoForeign;

impl ForeignReader for NoForeign {
    fn misp(&self, _: &FeedSpec, _: &[u8]) -> Result<Vec<Map<String, Value>>, String> {
        Err("none".into())
    }
    fn taxii(&self, _: &FeedSpec, _: &[u8]) -> Result<Vec<Map<String, Value>>, String> {
        Err("none".into())
    }
}

fuzz_target!(|data: &[u8]| {
    let spec = FeedSpec {
        name: "fuzz".into(),
        url: "http://127.0.0.1/list.txt".into(),
        format: FeedFormat::Text,
        interval_secs: 60,
        tlp: None,
        audience: Vec::new(),
        collection: None,
        csv: CsvOptions::default(),
    };
    let now = concord_stix::Timestamp(1_764_756_000_000_000);
    let Ok(first) = parse(&spec, data, now, &FeedState::default(), &NoForeign) else { return };
    for o in &first.objects {
        let pattern = o.object["pattern"].as_str().expect("a pattern");
        concord_pattern::Pattern::parse(pattern).expect("the pattern parses");
        assert!(concord_stix::validate::is_valid(&concord_stix::validate::validate(&o.object)));
    }
    let mut state = FeedState::default();
    state.commit(&first, Validators::default(), "2025-12-03T10:00:00.000Z");
    let later = concord_stix::Timestamp(now.0 + 86_400_000_000);
    let again = parse(&spec, data, later, &state, &NoForeign).expect("read once, read twice");
    assert!(again.objects.iter().all(|o| o.change == Change::Unchanged));
    assert_eq!(again.objects, first.objects.iter().map(|o| concord_feeds::FeedObject { change: Change::Unchanged, ..o.clone() }).collect::<Vec<_>>());
});
