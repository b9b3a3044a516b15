//! The enforcement exports of a real node, judged by the tools that load
//! them: `concord export --format rpz|suricata|zeek|hosts|text|csv` read
//! by named-checkzone, a real Unbound, suricataparser and idstools and a
//! Zeek Intel reader; `/exports/<format>` served under the caller's
//! sharing policy, polled with ETags, and loaded by Unbound over `url:`.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use crate::export_tools::{Unbound, ZoneSource, check_zone, parse_intel, parse_rules};
use crate::harness::{Node, PASSWORD, basic, ok, request, run, user_token, uuid};

const NXDOMAIN: u8 = 3;

/// An active indicator named `name` with `pattern`, and `extra` properties.
fn indicator(name: &str, pattern: &str, extra: Value) -> Value {
    let mut o = json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--{}", uuid()),
        "created": "2026-11-20T10:00:00.000Z", "modified": "2026-11-20T10:00:00.000Z",
        "name": name, "pattern": pattern, "pattern_type": "stix",
        "valid_from": "2026-11-20T10:00:00Z", "confidence": 80,
    });
    if let (Some(o), Value::Object(extra)) = (o.as_object_mut(), extra) {
        o.extend(extra);
    }
    o
}

/// Imports `objects` into `collection` of the node at `dir`, marked `tlp`.
fn import_to(dir: &Path, collection: &str, tlp: &str, objects: &[Value]) {
    let file = dir.join(format!("in-{}.json", uuid()));
    let bundle = json!({"type": "bundle", "id": format!("bundle--{}", uuid()), "objects": objects});
    std::fs::write(&file, bundle.to_string()).expect("the bundle is written");
    let path = file.to_str().expect("a path");
    ok(
        dir,
        &["import", "--collection", collection, "--tlp", tlp, path],
    );
}

/// Runs an export; (stdout, stderr), failing the test unless it succeeds.
fn export(dir: &Path, args: &[&str]) -> (String, String) {
    let mut all = vec!["export"];
    all.extend_from_slice(args);
    let out = run(dir, &all);
    assert!(
        out.status.success(),
        "export {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// sid -> (rev, msg) of a rules file, read by both parsers.
fn sids(path: &Path) -> BTreeMap<u64, (u64, String)> {
    parse_rules(path)
        .into_iter()
        .map(|(sid, rev, msg)| (sid, (rev, msg)))
        .collect()
}

#[test]
fn exports_on_the_command_line_pass_the_real_tools() {
    let root = tempfile::tempdir().expect("a temporary directory");
    let a = Node::new(root.path(), "a");
    let expired = indicator(
        "old name",
        "[domain-name:value = 'old.test']",
        json!({"valid_until": "2026-11-21T00:00:00Z"}),
    );
    let and = indicator(
        "both names",
        "[domain-name:value = 'a.test' AND domain-name:value = 'b.test']",
        json!({}),
    );
    let withdrawn = indicator(
        "withdrawn name",
        "[domain-name:value = 'good.test']",
        json!({}),
    );
    a.import(
        &[
            indicator("evil name", "[domain-name:value = 'evil.test']", json!({})),
            indicator(
                "evil address",
                "[ipv4-addr:value = '203.0.113.7']",
                json!({}),
            ),
            indicator(
                "evil url",
                "[url:value = 'http://evil.test/payload.bin']",
                json!({}),
            ),
            indicator(
                "evil file",
                "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
                json!({}),
            ),
            indicator("phish", "[email-addr:value = 'phish@evil.test']", json!({})),
            indicator(
                "evil net",
                "[ipv6-addr:value = '2001:db8::/32']",
                json!({"confidence": 40}),
            ),
            expired.clone(),
            and.clone(),
            withdrawn.clone(),
        ],
        "green",
        &[],
    );
    let wid = withdrawn["id"].as_str().expect("an id");
    ok(&a.dir, &["withdraw", wid, "--reason", "false positive"]);
    let out = root.path().join("out");
    std::fs::create_dir_all(&out).expect("a directory");
    let at = ["--at", "2026-12-01T00:00:00Z"];

    // RPZ: a file named-checkzone accepts, the left-out ones with reasons.
    let zone = out.join("block.rpz");
    let zone_arg = zone.to_str().expect("a path");
    let (stdout, stderr) = export(
        &a.dir,
        &[
            &at[..],
            &[
                "--format",
                "rpz",
                "--wildcard",
                "--url-hosts",
                "--report",
                "--out",
                zone_arg,
            ],
        ]
        .concat(),
    );
    assert!(stdout.is_empty(), "{stdout}");
    check_zone("rpz.concord.", &zone);
    let text = std::fs::read_to_string(&zone).expect("the zone");
    for trigger in [
        "evil.test CNAME . ;",
        "*.evil.test CNAME . ;",
        "32.7.113.0.203.rpz-ip CNAME . ;",
        "32.zz.db8.2001.rpz-ip CNAME . ;",
    ] {
        assert!(text.contains(trigger), "{trigger} missing:\n{text}");
    }
    for absent in ["old.test", "a.test", "good.test"] {
        assert!(!text.contains(absent), "{absent} is listed:\n{text}");
    }
    let eid = expired["id"].as_str().expect("an id");
    let aid = and["id"].as_str().expect("an id");
    for (id, reason) in [
        (eid, "expired (valid_until 2026-11-21T00:00:00Z)"),
        (aid, "pattern uses AND"),
        (wid, "withdrawn by its author: false positive"),
    ] {
        assert!(
            stderr.contains(&format!("left out {id}: {reason}")),
            "{id} {reason}:\n{stderr}"
        );
    }
    assert!(
        stderr.contains("left out") && stderr.contains("phish@evil.test: rpz cannot express"),
        "{stderr}"
    );
    // Without --report: the counts per reason.
    let (stdout, stderr) = export(&a.dir, &[&at[..], &["--format", "rpz"]].concat());
    check_zone_text(&out, "rpz.concord.", &stdout);
    assert!(
        stderr.contains("expired 1")
            && stderr.contains("withdrawn 1")
            && stderr.contains("(--report lists them)"),
        "{stderr}"
    );
    // The other actions, another zone name, a confidence floor.
    let (garden, _) = export(
        &a.dir,
        &[
            &at[..],
            &[
                "--format",
                "rpz",
                "--zone",
                "block.example.",
                "--action",
                "cname:walled.garden.example",
                "--confidence",
                "50",
            ],
        ]
        .concat(),
    );
    check_zone_text(&out, "block.example.", &garden);
    assert!(
        garden.contains("evil.test CNAME walled.garden.example. ;"),
        "{garden}"
    );
    assert!(
        !garden.contains("2001"),
        "confidence 40 is below 50:\n{garden}"
    );
    for action in ["nodata", "passthru"] {
        let (z, _) = export(
            &a.dir,
            &[&at[..], &["--format", "rpz", "--action", action]].concat(),
        );
        check_zone_text(&out, "rpz.concord.", &z);
    }

    // A real Unbound loads the file as its policy.
    let unbound = Unbound::start(
        &root.path().join("unbound"),
        "rpz.concord.",
        ZoneSource::File(&zone),
    );
    for listed in ["evil.test", "sub.evil.test", "ip.test"] {
        assert_eq!(
            unbound.rcode(listed),
            NXDOMAIN,
            "{listed}\n{}",
            unbound.log()
        );
    }
    let good = unbound.answer("good.test");
    assert_eq!((good.rcode, good.records.len()), (0, 1), "{good:?}");
    drop(unbound);

    // Suricata: rules and the MD5 list in the directory, every rule read
    // by both parsers; sids stay when an indicator comes and one changes.
    let rules_dir = out.join("suricata/");
    let rules_arg = rules_dir.to_str().expect("a path");
    let (_, stderr) = export(
        &a.dir,
        &[&at[..], &["--format", "suricata", "--out", rules_arg]].concat(),
    );
    assert!(stderr.contains("concord-md5.list"), "{stderr}");
    let md5 = std::fs::read_to_string(rules_dir.join("concord-md5.list")).expect("the MD5 list");
    assert!(
        md5.starts_with("d41d8cd98f00b204e9800998ecf8427e indicator--"),
        "{md5}"
    );
    let first = sids(&rules_dir.join("concord.rules"));
    assert!(first.len() >= 5, "{first:?}");
    assert!(
        first.keys().all(|s| (1_000_000..=1_999_999).contains(s)),
        "{first:?}"
    );
    a.import(
        &[indicator(
            "fresh name",
            "[domain-name:value = 'fresh.test']",
            json!({}),
        )],
        "green",
        &[],
    );
    export(
        &a.dir,
        &[&at[..], &["--format", "suricata", "--out", rules_arg]].concat(),
    );
    let second = sids(&rules_dir.join("concord.rules"));
    for (sid, rule) in &first {
        assert_eq!(second.get(sid), Some(rule), "sid {sid} changed");
    }
    let new: Vec<_> = second
        .iter()
        .filter(|(s, _)| !first.contains_key(s))
        .collect();
    assert_eq!(new.len(), 2, "dns and tls rules of the new name: {new:?}");
    assert!(
        new.iter()
            .all(|(_, (rev, msg))| *rev == 1 && msg == "concord fresh name"),
        "{new:?}"
    );
    // Another range for new rules; old sids stay where they are.
    let evil_name = indicator(
        "evil name 2",
        "[domain-name:value = 'evil2.test']",
        json!({}),
    );
    a.import(std::slice::from_ref(&evil_name), "green", &[]);
    let file = out.join("ranged.rules");
    let file_arg = file.to_str().expect("a path");
    export(
        &a.dir,
        &[
            &at[..],
            &[
                "--format",
                "suricata",
                "--sid-range",
                "5000000-5000099",
                "--out",
                file_arg,
            ],
        ]
        .concat(),
    );
    let ranged = sids(&file);
    for (sid, rule) in &second {
        assert_eq!(ranged.get(sid), Some(rule), "sid {sid} changed");
    }
    let added: Vec<u64> = ranged
        .keys()
        .filter(|s| !second.contains_key(s))
        .copied()
        .collect();
    assert_eq!(added, [5_000_000, 5_000_001]);
    assert!(
        out.join("concord-md5.list").is_file(),
        "the list is written beside the rules file"
    );

    // Zeek: the Intel file as Zeek's reader reads it.
    let (intel, _) = export(&a.dir, &[&at[..], &["--format", "zeek"]].concat());
    let items = parse_intel(&intel);
    let has = |value: &str, ty: &str| {
        items
            .iter()
            .any(|(v, t, s)| v == value && t == ty && s == "CERT-a")
    };
    assert!(has("evil.test", "Intel::DOMAIN"), "{items:?}");
    assert!(has("203.0.113.7", "Intel::ADDR"), "{items:?}");
    assert!(has("2001:db8::/32", "Intel::SUBNET"), "{items:?}");
    assert!(has("evil.test/payload.bin", "Intel::URL"), "{items:?}");
    assert!(has("phish@evil.test", "Intel::EMAIL"), "{items:?}");
    assert!(
        has("d41d8cd98f00b204e9800998ecf8427e", "Intel::FILE_HASH"),
        "{items:?}"
    );
    assert!(
        !items
            .iter()
            .any(|(v, _, _)| v == "old.test" || v == "good.test")
    );

    // hosts, text by kind, CSV, and the JSON summary.
    let (hosts, _) = export(&a.dir, &[&at[..], &["--format", "hosts"]].concat());
    assert!(hosts.contains("\n0.0.0.0 evil.test\n"), "{hosts}");
    let (text, _) = export(
        &a.dir,
        &[&at[..], &["--format", "text", "--type", "ipv4-addr,file"]].concat(),
    );
    assert_eq!(text, "203.0.113.7\nd41d8cd98f00b204e9800998ecf8427e\n");
    let (csv, _) = export(
        &a.dir,
        &[&at[..], &["--format", "csv", "--type", "url"]].concat(),
    );
    let rows: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(
        rows[0],
        "value,type,stix_id,name,tlp,author,valid_until,confidence"
    );
    assert!(
        rows[1].starts_with("http://evil.test/payload.bin,url,indicator--"),
        "{csv}"
    );
    let (_, summary) = export(
        &a.dir,
        &[&["--json"][..], &at, &["--format", "text"]].concat(),
    );
    let summary: Value = serde_json::from_str(summary.trim()).expect("a JSON summary");
    assert_eq!(summary["skipped_by_reason"]["expired"], 1, "{summary}");
    assert_eq!(summary["skipped_by_reason"]["withdrawn"], 1, "{summary}");
    // --include-inactive brings the expired and withdrawn ones back.
    let (all, _) = export(
        &a.dir,
        &[
            &at[..],
            &[
                "--format",
                "text",
                "--include-inactive",
                "--type",
                "domain-name",
            ],
        ]
        .concat(),
    );
    assert!(
        all.contains("old.test\n") && all.contains("good.test\n"),
        "{all}"
    );
    // A wrong option says which and why.
    let out = run(&a.dir, &["export", "--format", "rpz", "--action", "drop"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--action"),
        "{out:?}"
    );
    let out = run(&a.dir, &["export", "--format", "bind"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("none of stix, rpz"),
        "{out:?}"
    );
}

/// Writes a zone printed on standard output and checks it.
fn check_zone_text(dir: &Path, origin: &str, zone: &str) {
    let path = dir.join(format!("{}.check.rpz", uuid()));
    std::fs::write(&path, zone).expect("the zone");
    check_zone(origin, &path);
}

/// The values of each format that must never reach the public.
const SECRET: [&str; 3] = ["amber.test", "198.51.100.66", "red.test"];

#[test]
fn served_exports_follow_the_sharing_policy_and_etags() {
    let root = tempfile::tempdir().expect("a temporary directory");
    let mut a = Node::new(root.path(), "a");
    ok(&a.dir, &["collection", "add", "Open", "--public"]);
    ok(&a.dir, &["collection", "add", "Closed"]);
    import_to(
        &a.dir,
        "Open",
        "clear",
        &[
            indicator("evil name", "[domain-name:value = 'evil.test']", json!({})),
            indicator(
                "evil address",
                "[ipv4-addr:value = '203.0.113.7']",
                json!({}),
            ),
            indicator(
                "evil file",
                "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
                json!({}),
            ),
        ],
    );
    import_to(
        &a.dir,
        "Open",
        "amber",
        &[
            indicator(
                "amber name",
                "[domain-name:value = 'amber.test']",
                json!({}),
            ),
            indicator(
                "amber address",
                "[ipv4-addr:value = '198.51.100.66']",
                json!({}),
            ),
        ],
    );
    import_to(
        &a.dir,
        "Open",
        "red",
        &[indicator(
            "red name",
            "[domain-name:value = 'red.test']",
            json!({}),
        )],
    );
    import_to(
        &a.dir,
        "Closed",
        "amber",
        &[indicator(
            "closed name",
            "[domain-name:value = 'closed.test']",
            json!({}),
        )],
    );
    let token = user_token(&a.dir, "analyst", &["--read", "Closed"]);
    let bearer = format!("Bearer {token}");
    a.serve();
    let addr = a.served.as_ref().expect("serving").addr();
    let get = |path: &str, headers: &[(&str, &str)]| request(&addr, "GET", path, headers, "");

    // The public: public collections' CLEAR only, in every format.
    for format in ["rpz", "suricata", "zeek", "hosts", "text", "csv", "stix"] {
        let r = get(&format!("/exports/{format}"), &[]);
        assert_eq!(r.status, 200, "{format}: {}", r.body);
        for secret in SECRET.iter().chain(&["closed.test"]) {
            assert!(
                !r.body.contains(secret),
                "{format} gives the public {secret}:\n{}",
                r.body
            );
        }
        if format != "suricata" {
            assert!(r.body.contains("evil.test"), "{format}:\n{}", r.body);
        }
        assert!(r.header("etag").is_some(), "{format}: {}", r.head);
    }
    let zone = get("/exports/rpz", &[]);
    check_zone_text(root.path(), "rpz.concord.", &zone.body);
    assert!(zone.body.contains("evil.test CNAME . ;"), "{}", zone.body);
    let rules = root.path().join("served.rules");
    std::fs::write(&rules, get("/exports/suricata", &[]).body).expect("the rules");
    let served = parse_rules(&rules);
    assert!(
        served.iter().any(|(_, _, m)| m == "concord evil name"),
        "{served:?}"
    );
    let list = get("/exports/suricata/concord-md5.list", &[]);
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(
        list.body.starts_with("d41d8cd98f00b204e9800998ecf8427e "),
        "{}",
        list.body
    );
    parse_intel(&get("/exports/zeek", &[]).body);
    // A collection the public cannot see does not exist for it.
    assert_eq!(get("/exports/rpz?collection=Closed", &[]).status, 404);
    assert_eq!(get("/exports/rpz?tlp=purple", &[]).status, 400);
    assert_eq!(get("/exports/bind", &[]).status, 404);
    assert_eq!(
        get("/exports/rpz", &[("Authorization", "Bearer wrong")]).status,
        401
    );

    // A user with a grant: that collection whole, public ones as the public.
    let mine = get("/exports/text", &[("Authorization", &bearer)]);
    assert_eq!(mine.status, 200, "{}", mine.body);
    assert!(mine.body.contains("closed.test\n"), "{}", mine.body);
    assert!(mine.body.contains("evil.test\n"), "{}", mine.body);
    assert!(
        !mine.body.contains("amber.test") && !mine.body.contains("red.test"),
        "{}",
        mine.body
    );
    let only = get(
        "/exports/text?collection=Closed",
        &[("Authorization", &bearer)],
    );
    assert_eq!(only.body, "closed.test\n");
    // Basic authentication is the same user.
    let auth = basic("analyst", PASSWORD.trim_end());
    assert_eq!(
        get(
            "/exports/text?collection=Closed",
            &[("Authorization", &auth)]
        )
        .body,
        "closed.test\n"
    );

    // ETags: 304 while nothing changed; a new indicator changes the output,
    // the ETag and the serial at the next poll.
    let etag = zone.header("etag").expect("an etag");
    let same = get("/exports/rpz", &[("If-None-Match", &etag)]);
    assert_eq!(same.status, 304, "{}", same.head);
    assert!(same.body.is_empty());
    let serial = zone.header("x-concord-serial").expect("a serial");
    import_to(
        &a.dir,
        "Open",
        "clear",
        &[indicator(
            "fresh name",
            "[domain-name:value = 'fresh.test']",
            json!({}),
        )],
    );
    let changed = get("/exports/rpz", &[("If-None-Match", &etag)]);
    assert_eq!(changed.status, 200, "{}", changed.head);
    assert!(
        changed.body.contains("fresh.test CNAME . ;"),
        "{}",
        changed.body
    );
    assert_ne!(changed.header("etag"), Some(etag.clone()));
    let new_serial = changed.header("x-concord-serial").expect("a serial");
    assert!(
        new_serial.parse::<u64>().expect("a number") > serial.parse::<u64>().expect("a number"),
        "{serial} -> {new_serial}"
    );
    // An unchanged poll again gives the new tag's 304.
    let new_etag = changed.header("etag").expect("an etag");
    assert_eq!(
        get("/exports/rpz", &[("If-None-Match", &new_etag)]).status,
        304
    );
    // The parameters choose another view.
    let wild = get("/exports/rpz?wildcard=1&zone=block.example.", &[]);
    assert!(
        wild.body.starts_with("$ORIGIN block.example.\n"),
        "{}",
        wild.body
    );
    assert!(wild.body.contains("*.evil.test CNAME . ;"), "{}", wild.body);

    // Unbound loads the served zone by `url:` and applies it.
    let url = format!("http://{addr}/exports/rpz");
    let unbound = Unbound::start(
        &root.path().join("unbound-url"),
        "rpz.concord.",
        ZoneSource::Url(&url),
    );
    unbound.wait_for("evil.test", NXDOMAIN);
    assert_eq!(unbound.rcode("fresh.test"), NXDOMAIN, "{}", unbound.log());
    assert_eq!(unbound.rcode("ip.test"), NXDOMAIN, "{}", unbound.log());
    // Not listed for the public (AMBER), or not listed at all.
    assert_eq!(unbound.rcode("amber.test"), 0, "{}", unbound.log());
    assert_eq!(unbound.rcode("good.test"), 0, "{}", unbound.log());
}
