//! Any body as a CSV IOC list, with the delimiter, the header flag and the
//! column mappings chosen by the first byte: never a panic; every object a
//! valid indicator whose pattern parses; a second read against the state
//! the first left changes nothing.
#![no_main]

use concord_feeds::{Change, ColumnMapping, CsvOptions, FeedFormat, FeedSpec, FeedState, ForeignReader, Validators, parse};
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
    let Some((&choice, body)) = data.split_first() else { return };
    let delimiter = [',', ';', '\t', '|'][usize::from(choice & 3)];
    let header = choice & 4 != 0;
    let columns: Vec<ColumnMapping> = match (choice >> 3) & 3 {
        0 => Vec::new(),
        1 => vec!["1=ipv4-addr:value", "2=description", "3=confidence"],
        2 => vec!["2=domain-name:value", "1=file:hashes.sha256", "3=valid_from", "4=labels"],
        _ => vec!["1=url:value", "2=file:name", "3=valid_until", "4=name"],
    }
    .into_iter()
    .map(|m| ColumnMapping::parse(m).expect("a valid mapping"))
    .collect();
    let spec = FeedSpec {
        name: "fuzz".into(),
        url: "http://127.0.0.1/list.csv".into(),
        format: FeedFormat::Csv,
        interval_secs: 60,
        tlp: None,
        audience: Vec::new(),
        collection: None,
        csv: CsvOptions { delimiter, header, columns },
    };
    let now = concord_stix::Timestamp(1_764_756_000_000_000);
    let Ok(first) = parse(&spec, body, now, &FeedState::default(), &NoForeign) else { return };
    for o in &first.objects {
        let pattern = o.object["pattern"].as_str().expect("a pattern");
        concord_pattern::Pattern::parse(pattern).expect("the pattern parses");
        assert!(concord_stix::validate::is_valid(&concord_stix::validate::validate(&o.object)));
    }
    let mut state = FeedState::default();
    state.commit(&first, Validators::default(), "2025-12-03T10:00:00.000Z");
    let later = concord_stix::Timestamp(now.0 + 86_400_000_000);
    let again = parse(&spec, body, later, &state, &NoForeign).expect("read once, read twice");
    assert!(again.objects.iter().all(|o| o.change == Change::Unchanged));
    assert_eq!(again.objects, first.objects.iter().map(|o| concord_feeds::FeedObject { change: Change::Unchanged, ..o.clone() }).collect::<Vec<_>>());
});
