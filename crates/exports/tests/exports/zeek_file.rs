//! A reader of Zeek Intel files that follows Zeek's ASCII input reader
//! (src/input/readers/ascii and the ASCII formatter): `#` lines are
//! headers, `#fields` names the columns, fields are split on tabs, `-` is
//! unset, and string fields are unescaped (`\xHH`). On top, each
//! indicator is checked against its `Intel::` type as the Intel framework
//! needs it.

use std::collections::BTreeMap;
use std::net::IpAddr;

/// One line as Zeek reads it: column name to value (`None`: unset).
pub(crate) type IntelItem = BTreeMap<String, Option<Vec<u8>>>;

fn unescape(field: &str) -> Vec<u8> {
    let b = field.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && b.get(i + 1) == Some(&b'x')
            && let Some(hex) = field.get(i + 2..i + 4)
            && let Ok(v) = u8::from_str_radix(hex, 16)
        {
            out.push(v);
            i += 4;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

const TYPES: [&str; 6] = [
    "Intel::ADDR",
    "Intel::SUBNET",
    "Intel::DOMAIN",
    "Intel::URL",
    "Intel::EMAIL",
    "Intel::FILE_HASH",
];

/// Reads an Intel file and fails the test on anything Zeek would refuse
/// or misread; returns the items.
pub(crate) fn read_intel(text: &str) -> Vec<IntelItem> {
    let mut columns: Option<Vec<String>> = None;
    let mut items = Vec::new();
    assert!(text.ends_with('\n'), "the file ends with a line break");
    for (n, line) in text.lines().enumerate() {
        if let Some(header) = line.strip_prefix('#') {
            if let Some(fields) = header.strip_prefix("fields\t") {
                columns = Some(fields.split('\t').map(str::to_string).collect());
            }
            continue;
        }
        let columns = columns.as_ref().expect("#fields comes before the data");
        assert_eq!(
            columns,
            &[
                "indicator",
                "indicator_type",
                "meta.source",
                "meta.desc",
                "meta.url"
            ]
        );
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields.len(), columns.len(), "line {}: {line:?}", n + 1);
        let item: IntelItem = columns
            .iter()
            .zip(&fields)
            .map(|(c, f)| (c.clone(), (*f != "-").then(|| unescape(f))))
            .collect();
        let text_of = |k: &str| {
            item[k]
                .as_ref()
                .map(|v| String::from_utf8(v.clone()).expect("UTF-8 field"))
        };
        let indicator = text_of("indicator").expect("the indicator is set");
        let ty = text_of("indicator_type").expect("the type is set");
        assert!(TYPES.contains(&ty.as_str()), "line {}: type {ty}", n + 1);
        assert!(
            text_of("meta.source").is_some(),
            "Zeek requires meta.source"
        );
        assert!(
            !indicator.contains(['\t', '\n', '\r']),
            "line {}: {indicator:?}",
            n + 1
        );
        match ty.as_str() {
            "Intel::ADDR" => {
                indicator.parse::<IpAddr>().expect("an address");
            }
            "Intel::SUBNET" => {
                let (addr, len) = indicator.split_once('/').expect("addr/len");
                let addr: IpAddr = addr.parse().expect("an address");
                let len: u8 = len.parse().expect("a prefix length");
                assert!(len <= if addr.is_ipv4() { 32 } else { 128 });
            }
            "Intel::DOMAIN" => assert!(
                indicator.split('.').all(|l| !l.is_empty() && l.len() <= 63),
                "{indicator}"
            ),
            // No scheme: Zeek's URLs start with the host. A "://" further
            // on, in the path or query, is part of the URL.
            "Intel::URL" => assert!(
                indicator
                    .find("://")
                    .is_none_or(|i| indicator.find('/').is_some_and(|s| s < i)),
                "{indicator}"
            ),
            "Intel::EMAIL" => assert!(indicator.contains('@'), "{indicator}"),
            _ => assert!(
                matches!(indicator.len(), 32 | 40 | 64)
                    && indicator
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
                "{indicator}"
            ),
        }
        items.push(item);
    }
    items
}

#[test]
fn zeek_reads_back_every_name_as_written() {
    use concord_exports::{Target, ZeekOptions};
    use serde_json::json;
    let names = [
        "plain",
        "tab\there",
        "line\nbreak\r\n",
        "back\\slash \\x41 not an escape",
        "-",
        "(empty)",
        "#hash",
        "恶意软件",
        "",
    ];
    let objects: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            super::support::indicator(
                i as u32,
                &format!("[domain-name:value = 'n{i}.example']"),
                json!({ "name": name }),
            )
        })
        .collect();
    let (intel, _) = super::support::run(Target::Zeek(ZeekOptions::default()), &objects);
    let items = read_intel(&intel);
    assert_eq!(items.len(), names.len());
    for (i, name) in names.iter().enumerate() {
        let item = items
            .iter()
            .find(|it| it["indicator"].as_deref() == Some(format!("n{i}.example").as_bytes()))
            .expect("each name has its line");
        let want = (!name.is_empty()).then(|| name.as_bytes().to_vec());
        assert_eq!(item["meta.desc"], want, "{name:?}");
    }
}
