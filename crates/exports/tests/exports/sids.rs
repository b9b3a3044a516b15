//! Suricata sids stay with their indicator across exports, are never
//! handed to another one, and `rev` follows `modified`.

use std::collections::BTreeMap;

use concord_exports::{ExportError, SidRange, SidTable, SuricataOptions, Target};
use serde_json::json;

use super::formats::fixture;
use super::support::{id, indicator, run};
use super::suricata_tools::check_rules;

/// sid -> (STIX id in metadata, rev, first content) of every rule.
fn rules_of(text: &str) -> BTreeMap<u64, (String, u64, String)> {
    check_rules(text)
        .into_iter()
        .map(|r| {
            let stix = r
                .metadata
                .iter()
                .find_map(|m| m.strip_prefix("stix_id "))
                .unwrap_or("list")
                .to_string();
            let content = r
                .options
                .iter()
                .find(|(n, _)| n == "content")
                .and_then(|(_, v)| v.clone())
                .unwrap_or_else(|| r.dest_addr.clone());
            (r.sid, (stix, r.rev, content))
        })
        .collect()
}

fn through_json(table: &SidTable) -> SidTable {
    let json = serde_json::to_string(table).expect("the table serialises");
    serde_json::from_str(&json).expect("and reads back")
}

#[test]
fn sids_survive_new_versions_removals_and_reorderings() {
    let mut table = SidTable::new();
    let objects = fixture();
    let (first, _) = run(
        Target::Suricata(SuricataOptions::default(), &mut table),
        &objects,
    );
    let mut table = through_json(&table);

    // The same input, in another order, with the stored table: the same bytes.
    let mut reversed = objects.clone();
    reversed.reverse();
    let (again, _) = run(
        Target::Suricata(SuricataOptions::default(), &mut table),
        &reversed,
    );
    assert_eq!(again, first);
    let before = rules_of(&first);

    // A new version of 3: same sid, rev 2; nothing else moves.
    let mut changed = objects.clone();
    changed[2] = indicator(
        3,
        "[ipv4-addr:value = '203.0.113.8']",
        json!({"modified": "2026-11-20T00:00:00.000Z"}),
    );
    let (second, _) = run(
        Target::Suricata(SuricataOptions::default(), &mut table),
        &changed,
    );
    let after = rules_of(&second);
    assert_eq!(after.len(), before.len());
    for (sid, (stix, rev, content)) in &after {
        if *stix == id(3) {
            assert_eq!(*rev, 2);
            assert_eq!(content, "[203.0.113.8]");
            assert_eq!(before[sid].0, id(3));
        } else {
            assert_eq!(before[sid], (stix.clone(), *rev, content.clone()));
        }
    }
    let mut table = through_json(&table);
    assert_eq!(table.get(&id(3)).unwrap().rev, 2);

    // 1 leaves, 13 arrives: 13 gets fresh sids, never 1's.
    let mut without_one = changed[1..].to_vec();
    without_one.push(indicator(
        13,
        "[domain-name:value = 'new.example']",
        json!({}),
    ));
    let (third, _) = run(
        Target::Suricata(SuricataOptions::default(), &mut table),
        &without_one,
    );
    let third = rules_of(&third);
    let ones: Vec<u32> = table.get(&id(1)).unwrap().rules.values().copied().collect();
    let thirteens: Vec<u64> = table
        .get(&id(13))
        .unwrap()
        .rules
        .values()
        .copied()
        .map(u64::from)
        .collect();
    assert_eq!(thirteens.len(), 2);
    for s in &thirteens {
        assert!(!before.contains_key(s), "13 took an old sid {s}");
        assert_eq!(third[s].0, id(13));
    }
    // 1 comes back: its old sids, its old rev.
    let (fourth, _) = run(
        Target::Suricata(SuricataOptions::default(), &mut table),
        &changed,
    );
    let fourth = rules_of(&fourth);
    for s in ones {
        assert_eq!(fourth[&u64::from(s)].0, id(1));
        assert_eq!(fourth[&u64::from(s)], before[&u64::from(s)]);
    }
}

#[test]
fn an_exhausted_range_is_an_error_naming_the_indicator() {
    let mut table = SidTable::new();
    let options = SuricataOptions {
        sids: SidRange { first: 5, last: 7 },
        ..SuricataOptions::default()
    };
    let authors = super::support::authors();
    let ctx = concord_exports::ExportContext::new(super::support::now(), &authors);
    let mut out = Vec::new();
    let err = concord_exports::export(
        Target::Suricata(options, &mut table),
        &fixture(),
        &ctx,
        &mut out,
    )
    .expect_err("19+ rules do not fit in 3 sids");
    match err {
        ExportError::SidRangeExhausted {
            first,
            last,
            id: who,
            ..
        } => {
            assert_eq!((first, last), (5, 7));
            assert_eq!(who, id(2));
        }
        other => panic!("{other}"),
    }
    let bad = SuricataOptions {
        sids: SidRange { first: 9, last: 8 },
        ..SuricataOptions::default()
    };
    let err = concord_exports::export(
        Target::Suricata(bad, &mut table),
        &fixture(),
        &ctx,
        &mut out,
    )
    .expect_err("an empty range");
    assert!(matches!(
        err,
        ExportError::InvalidOption { option: "sids", .. }
    ));
}
