use proptest::prelude::*;

use super::*;
use crate::spec::{ColumnMapping, CsvOptions, FeedFormat};

fn spec(columns: &[&str], header: bool) -> FeedSpec {
    FeedSpec {
        name: "csv test".into(),
        url: "http://127.0.0.1/list.csv".into(),
        format: FeedFormat::Csv,
        interval_secs: 60,
        tlp: None,
        audience: Vec::new(),
        collection: None,
        csv: CsvOptions {
            delimiter: ',',
            header,
            columns: columns
                .iter()
                .map(|c| ColumnMapping::parse(c).unwrap())
                .collect(),
        },
    }
}

fn fields(body: &str) -> Vec<(u64, Vec<String>)> {
    let (records, problems) = records(body.as_bytes(), b',');
    assert!(problems.is_empty(), "{problems:?}");
    records
        .into_iter()
        .map(|r| {
            (
                r.line,
                r.fields
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn rfc_4180_records() {
    assert_eq!(
        fields("a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\n# comment\n\nlast,,\n"),
        vec![
            (1, vec!["a".into(), "b".into(), "c".into()]),
            (
                2,
                vec!["x, y".into(), "say \"hi\"".into(), "two\nlines".into()]
            ),
            (6, vec!["last".into(), String::new(), String::new()]),
        ]
    );
    assert_eq!(fields("only"), vec![(1, vec!["only".into()])]);
    assert_eq!(fields("a,\"b\""), vec![(1, vec!["a".into(), "b".into()])]);
    let (records, problems) = records(b"a,\"b\"x,c\nd,e\n\"never closed,f\n", b',');
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].line, 2);
    assert_eq!(problems.len(), 2);
    assert_eq!((problems[0].line, problems[1].line), (1, 3));
    assert!(
        problems[0].reason.contains("after a closing quote"),
        "{}",
        problems[0]
    );
    assert!(
        problems[1].reason.contains("never closed"),
        "{}",
        problems[1]
    );
}

#[test]
fn header_names_are_stix_paths() {
    let body = "# abuse list, 2026-12-03\n\
                ipv4-addr:value,file:hashes.'SHA-256',name,description,labels,valid_from,valid_until,confidence,first_seen\n\
                203.0.113.7,,C2 server,\"Seen in \"\"Op. Winter\"\", Dec 2026\",c2;botnet,2026-12-01,2027-01-01 00:00:00,80,2026-11-30\n\
                ,E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855,dropper,,,,,,\n\
                198.51.100[.]0/24,,,,,,,,\n";
    let (entries, problems) = super::entries(&spec(&[], true), body.as_bytes()).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(entries.len(), 3);
    let c2 = &entries[0];
    assert_eq!(
        (c2.line, c2.path.as_str(), c2.value.as_str()),
        (3, "ipv4-addr:value", "203.0.113.7")
    );
    assert_eq!(c2.details.name.as_deref(), Some("C2 server"));
    assert_eq!(
        c2.details.description.as_deref(),
        Some("Seen in \"Op. Winter\", Dec 2026")
    );
    assert_eq!(c2.details.labels, ["c2", "botnet"]);
    assert_eq!(
        c2.details.valid_from.as_deref(),
        Some("2026-12-01T00:00:00.000Z")
    );
    assert_eq!(
        c2.details.valid_until.as_deref(),
        Some("2027-01-01T00:00:00.000Z")
    );
    assert_eq!(c2.details.confidence, Some(80));
    assert_eq!(entries[1].path, "file:hashes.'SHA-256'");
    assert_eq!(
        entries[1].value,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert!(entries[2].subset);
    assert_eq!(entries[2].value, "198.51.100.0/24");
}

#[test]
fn mappings_by_name_and_number() {
    let body = "id;url;threat\n1;hxxp://evil[.]example/x;malware\n";
    let mut s = spec(&["url=url:value", "3=labels"], true);
    s.csv.delimiter = ';';
    let (entries, problems) = super::entries(&s, body.as_bytes()).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(entries[0].value, "http://evil.example/x");
    assert_eq!(entries[0].details.labels, ["malware"]);
    let (entries, _) =
        super::entries(&spec(&["1=domain-name:value"], false), b"evil.example,x\n").unwrap();
    assert_eq!(entries[0].value, "evil.example");
}

#[test]
fn bad_rows_name_line_and_column() {
    let body = "ip,domain,confidence,valid_from\n\
                203.0.113.7,evil.example,50,2026-12-01\n\
                999.1.1.1,ok.example,50,\n\
                203.0.113.8,,150,\n\
                203.0.113.9,,,yesterday\n\
                2001:db8::1,,,\n\
                ,,,\n\
                198.51.100.1,report.pdf,,\n";
    let s = spec(
        &[
            "ip=ipv4-addr:value",
            "domain=domain-name:value",
            "confidence=confidence",
            "valid_from=valid_from",
        ],
        true,
    );
    let (entries, problems) = super::entries(&s, body.as_bytes()).unwrap();
    let made: Vec<(u64, &str)> = entries.iter().map(|e| (e.line, e.value.as_str())).collect();
    assert_eq!(made, vec![(2, "203.0.113.7"), (2, "evil.example")]);
    let seen: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(seen.len(), 6, "{seen:#?}");
    assert!(
        seen[0].starts_with("line 3, column 1 (ip): \"999.1.1.1\""),
        "{}",
        seen[0]
    );
    assert!(
        seen[1].starts_with("line 4, column 3 (confidence): confidence \"150\""),
        "{}",
        seen[1]
    );
    assert!(
        seen[2].starts_with("line 5, column 4 (valid_from): \"yesterday\" is no date"),
        "{}",
        seen[2]
    );
    assert!(
        seen[3].starts_with(
            "line 6, column 1 (ip): \"2001:db8::1\" is an address (ipv6-addr:value), not an IPv4"
        ),
        "{}",
        seen[3]
    );
    assert_eq!(seen[4], "line 7: no value in any indicator column");
    assert!(
        seen[5].starts_with("line 8, column 2 (domain): "),
        "{}",
        seen[5]
    );
}

#[test]
fn specs_that_cannot_work() {
    for (columns, header, body, why) in [
        (
            &[][..],
            true,
            "first_seen,comment\nx,y\n",
            "no column holds indicator values",
        ),
        (
            &["nope=ipv4-addr:value"][..],
            true,
            "ip\n1.2.3.4\n",
            "not in the header row (ip)",
        ),
        (
            &["ip=ipv4-addr:value"][..],
            false,
            "1.2.3.4\n",
            "no header row",
        ),
        (&[][..], false, "1.2.3.4\n", "needs column mappings"),
        (&["1=name"][..], false, "x\n", "names a STIX object path"),
    ] {
        let err = super::entries(&spec(columns, header), body.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(err.contains(why), "{err}");
    }
}

proptest! {
    /// Whatever the cells hold, writing them as RFC 4180 says and reading
    /// them back gives the same cells.
    #[test]
    fn written_cells_read_back(rows in prop::collection::vec(prop::collection::vec("[a-z,\"\\n\\r ;#]{0,6}", 1..5), 1..6)) {
        let mut body = String::new();
        for row in &rows {
            let cells: Vec<String> = row.iter().map(|c| format!("\"{}\"", c.replace('"', "\"\""))).collect();
            body.push_str(&cells.join(","));
            body.push_str("\r\n");
        }
        let (records, problems) = records(body.as_bytes(), b',');
        prop_assert!(problems.is_empty());
        let back: Vec<Vec<String>> = records.iter().map(|r| r.fields.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect()).collect();
        prop_assert_eq!(back, rows);
    }
}
