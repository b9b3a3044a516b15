//! Hand-written cases: every operator, qualifier, literal kind and path
//! form, the reference's type rules, error cases, and the cases where we
//! deliberately give another verdict than the reference (each with why).

use serde_json::{Value, json};

use super::{Case, Suite, Verdict};

const T0: &str = "2021-06-01T12:00:00Z";
const T0_5: &str = "2021-06-01T12:00:05Z";
const T10: &str = "2021-06-01T12:00:10Z";
const T20: &str = "2021-06-01T12:00:20Z";

/// A STIX 2.1 bundle: one observed-data naming all the given objects.
fn bundle(od: &str, first: &str, last: &str, n: u64, objects: Vec<Value>) -> Value {
    let refs: Vec<Value> = objects.iter().map(|o| o["id"].clone()).collect();
    let mut all = vec![json!({
        "type": "observed-data", "spec_version": "2.1", "id": od,
        "created": first, "modified": first,
        "first_observed": first, "last_observed": last, "number_observed": n,
        "object_refs": refs,
    })];
    all.extend(objects);
    json!({"type": "bundle", "id": format!("bundle--{}", &od[15..]), "objects": all})
}

fn od(n: u32) -> String {
    format!("observed-data--00000000-0000-4000-8000-{n:012}")
}

fn id(ty: &str, n: u32) -> String {
    format!("{ty}--10000000-0000-4000-8000-{n:012}")
}

struct Inputs {
    file: usize,
    net: usize,
    email: usize,
    decomposed: usize,
    twice: usize,
    later: usize,
    custom: usize,
    bad_hex: usize,
    no_id: usize,
    no_count: usize,
    bad_ref: usize,
    shared_a: usize,
    shared_b: usize,
    inverted: usize,
    v20: usize,
}

fn inputs(s: &mut Suite) -> Inputs {
    let file = s.add_input(bundle(&od(1), T0, T0, 1, vec![json!({
        "type": "file", "spec_version": "2.1", "id": id("file", 1),
        "name": "foo.exe", "size": 1024, "x_float": 1.0, "x_bool": true, "x_null": null,
        "x_list": [1, 2, 3], "x_nested": [[1, 2], [3]],
        "hashes": {"MD5": "abc", "SHA-256": "def"},
        "payload_bin": "aGVsbG8=", "magic_number_hex": "ffd8",
        "ctime": "2020-01-01T00:00:00Z", "x_bad_time": "yesterday", "x_lower_time": "2020-01-01t00:00:00z",
        "x_text": "line one\nline two\n", "x_latin": "caf\u{e9}",
        "extensions": {"windows-pebinary-ext": {"sections": [
            {"name": ".text", "entropy": 7.5}, {"name": ".data", "entropy": 3.2}]}},
    })]));
    let ip = |n: u32, v: &str, ty: &str| json!({"type": ty, "spec_version": "2.1", "id": id(ty, n), "value": v});
    let net = s.add_input(bundle(
        &od(2),
        T0,
        T0,
        1,
        vec![
            ip(1, "10.1.2.3", "ipv4-addr"),
            ip(2, "198.51.100.7", "ipv4-addr"),
            ip(3, "192.168.0.0/24", "ipv4-addr"),
            ip(4, "2001:db8::1", "ipv6-addr"),
            json!({"type": "network-traffic", "spec_version": "2.1", "id": id("network-traffic", 1),
               "src_ref": id("ipv4-addr", 1), "dst_ref": id("ipv4-addr", 2), "dst_port": 443,
               "protocols": ["ipv4", "tcp"]}),
        ],
    ));
    let email = s.add_input(bundle(&od(3), T0, T0, 1, vec![
        json!({"type": "email-addr", "spec_version": "2.1", "id": id("email-addr", 1), "value": "a@example.org"}),
        json!({"type": "email-addr", "spec_version": "2.1", "id": id("email-addr", 2), "value": "b@example.org"}),
        json!({"type": "email-message", "spec_version": "2.1", "id": id("email-message", 1),
               "is_multipart": false, "subject": "Caf\u{e9} menu",
               "from_ref": id("email-addr", 1),
               "to_refs": [id("email-addr", 2), id("email-addr", 99), id("email-addr", 1)]}),
    ]));
    let decomposed = s.add_input(bundle(&od(4), T0, T0, 1, vec![json!({
        "type": "domain-name", "spec_version": "2.1", "id": id("domain-name", 1), "value": "cafe\u{301}.example"})]));
    let twice = s.add_input(bundle(&od(5), T0, T0, 2, vec![json!({
        "type": "domain-name", "spec_version": "2.1", "id": id("domain-name", 2), "value": "twice.example"})]));
    let later = s.add_input(bundle(&od(6), T10, T20, 1, vec![json!({
        "type": "domain-name", "spec_version": "2.1", "id": id("domain-name", 3), "value": "later.example"})]));
    let custom = s.add_input(bundle(&od(7), T0, T0, 1, vec![
        json!({"type": "x-custom", "id": id("x-custom", 1), "x-key": "v", "AND": 1, "nested": {"deep": {"er": [true]}}}),
        json!({"type": "indicator", "spec_version": "2.1", "id": id("indicator", 1), "name": "n"}),
        json!({"type": "x-thing", "id": id("x-thing", 1), "name": "n"}),
    ]));
    let bad_hex = s.add_input(bundle(&od(8), T0, T0, 1, vec![json!({
        "type": "artifact", "spec_version": "2.1", "id": id("artifact", 1), "x_hex": "zz", "x_ref": 5})]));
    let no_id = s.add_input(json!({"type": "bundle", "id": "bundle--x", "objects": [
        {"type": "observed-data", "id": od(9), "first_observed": T0, "last_observed": T0, "number_observed": 1,
         "object_refs": []},
        {"type": "domain-name", "value": "no-id.example"}]}));
    let no_count = s.add_input(json!({"type": "bundle", "id": "bundle--y", "objects": [
        {"type": "observed-data", "id": od(10), "first_observed": T0, "last_observed": T0, "object_refs": []}]}));
    let bad_ref = s.add_input(bundle(&od(11), T0, T0, 1, vec![json!({
        "type": "network-traffic", "spec_version": "2.1", "id": id("network-traffic", 2), "src_ref": 7,
        "dst_refs_x": "x"})]));
    // Two bundles: the second replaces the first's domain object (same id).
    let shared_a = s.add_input(bundle(&od(12), T0, T0, 1, vec![json!({
        "type": "domain-name", "spec_version": "2.1", "id": id("domain-name", 9), "value": "first.example"})]));
    let shared_b = s.add_input(bundle(&od(13), T0_5, T0_5, 1, vec![json!({
        "type": "domain-name", "spec_version": "2.1", "id": id("domain-name", 9), "value": "second.example"})]));
    let inverted = s.add_input(bundle(&od(14), T20, T10, 1, vec![json!({
        "type": "domain-name", "spec_version": "2.1", "id": id("domain-name", 4), "value": "inverted.example"})]));
    let v20 = s.add_input(json!({
    "type": "observed-data", "id": od(20), "created": T0, "modified": T0,
    "first_observed": T0, "last_observed": T0, "number_observed": 1,
    "objects": {
        "0": {"type": "ipv4-addr", "value": "10.0.0.1"},
        "1": {"type": "network-traffic", "src_ref": "0", "dst_port": 80, "protocols": ["tcp"]},
        "2": {"type": "file", "name": "a.txt", "hashes": {"MD5": "abc"}},
    }}));
    Inputs {
        file,
        net,
        email,
        decomposed,
        twice,
        later,
        custom,
        bad_hex,
        no_id,
        no_count,
        bad_ref,
        shared_a,
        shared_b,
        inverted,
        v20,
    }
}

/// Adds the hand-written cases.
pub(crate) fn add(s: &mut Suite) {
    let i = inputs(s);
    let f = vec![i.file];
    let n = vec![i.net];
    let e = vec![i.email];
    let agree: Vec<(&str, Vec<usize>)> = vec![
        // = and != across the reference's type rules
        ("[file:name = 'foo.exe']", f.clone()),
        ("[file:name == 'foo.exe']", f.clone()),
        ("[file:name != 'bar.exe']", f.clone()),
        ("[file:name <> 'foo.exe']", f.clone()),
        ("[file:name NOT = 'foo.exe']", f.clone()),
        ("[file:size = 1024]", f.clone()),
        ("[file:size = 1024.0]", f.clone()),
        ("[file:size = +1024]", f.clone()),
        ("[file:x_float = 1]", f.clone()),
        ("[file:x_bool = true]", f.clone()),
        ("[file:x_bool = 1]", f.clone()),
        ("[file:x_bool != 1]", f.clone()),
        ("[file:size != 'x']", f.clone()),
        ("[file:x_null = 'x']", f.clone()),
        ("[file:x_null != 'x']", f.clone()),
        ("[file:x_list = 1]", f.clone()),
        ("[file:x_list[*] = 2]", f.clone()),
        ("[file:x_list[0] = 1]", f.clone()),
        ("[file:x_list[2] = 3]", f.clone()),
        ("[file:x_list[3] = 3]", f.clone()),
        ("[file:x_list[-1] = 3]", f.clone()),
        ("[file:x_nested[*][*] = 3]", f.clone()),
        ("[file:x_nested[1][0] = 3]", f.clone()),
        ("[file:hashes.MD5 = 'abc']", f.clone()),
        ("[file:hashes.'SHA-256' = 'def']", f.clone()),
        ("[file:'hashes'.'MD5' = 'abc']", f.clone()),
        (
            "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]",
            f.clone(),
        ),
        (
            "[file:extensions.'windows-pebinary-ext'.sections[1].entropy > 7.0]",
            f.clone(),
        ),
        (
            "[file:extensions.'windows-pebinary-ext'.sections[*].name = '.data' AND file:size < 2048]",
            f.clone(),
        ),
        // binary and hex
        ("[file:payload_bin = b'aGVsbG8=']", f.clone()),
        ("[file:payload_bin = 'hello']", f.clone()),
        ("[file:payload_bin = h'68656c6c6f']", f.clone()),
        ("[file:magic_number_hex = h'ffd8']", f.clone()),
        ("[file:magic_number_hex = h'FFD8']", f.clone()),
        ("[file:magic_number_hex > h'ff']", f.clone()),
        ("[file:magic_number_hex < 'caf\u{e9}']", f.clone()),
        ("[file:magic_number_hex < '\u{20ac}']", f.clone()),
        ("[file:magic_number_hex NOT < '\u{20ac}']", f.clone()),
        ("[file:payload_bin LIKE 'hel%']", f.clone()),
        ("[file:payload_bin MATCHES '^h.l']", f.clone()),
        ("[file:payload_bin IN (b'aGVsbG8=', h'00')]", f.clone()),
        ("[file:payload_bin IN ('hello')]", f.clone()),
        ("[file:x_latin = h'636166e9']", f.clone()),
        // order
        ("[file:size > 1000]", f.clone()),
        ("[file:size >= 1024]", f.clone()),
        ("[file:size < 1024.5]", f.clone()),
        ("[file:size <= -1]", f.clone()),
        ("[file:size > 'abc']", f.clone()),
        ("[file:size NOT > 'abc']", f.clone()),
        ("[file:name > 'foo']", f.clone()),
        ("[file:name < 'foo.exf']", f.clone()),
        ("[file:x_bool > 0]", f.clone()),
        // timestamps
        ("[file:ctime = t'2020-01-01T00:00:00Z']", f.clone()),
        ("[file:ctime = t'2020-01-01T00:00:00.000Z']", f.clone()),
        ("[file:ctime < t'2020-01-01T00:00:00.5Z']", f.clone()),
        (
            "[file:ctime IN (t'2020-01-01T00:00:00Z', t'2021-01-01T00:00:00Z')]",
            f.clone(),
        ),
        ("[file:ctime = '2020-01-01T00:00:00Z']", f.clone()),
        ("[file:x_bad_time = t'2020-01-01T00:00:00Z']", f.clone()),
        ("[file:x_lower_time > t'2020-01-01T00:00:00Z']", f.clone()),
        ("[file:size = t'2020-01-01T00:00:00Z']", f.clone()),
        // sets
        ("[file:size IN (1024, 2048)]", f.clone()),
        ("[file:size IN (1024.0)]", f.clone()),
        ("[file:size NOT IN (1, 2)]", f.clone()),
        ("[file:x_bool IN (1)]", f.clone()),
        ("[file:x_bool IN (true, false)]", f.clone()),
        ("[file:x_float IN (true)]", f.clone()),
        ("[file:name IN ()]", f.clone()),
        ("[file:name NOT IN ()]", f.clone()),
        ("[file:x_list IN (1, 2)]", f.clone()),
        ("[file:x_list NOT IN (1, 2)]", f.clone()),
        ("[file:name IN ('foo.exe', 'bar')]", f.clone()),
        // LIKE and MATCHES
        ("[file:name LIKE 'foo%']", f.clone()),
        ("[file:name LIKE 'f_o.exe']", f.clone()),
        ("[file:name LIKE 'f_o']", f.clone()),
        ("[file:name LIKE '%.EXE']", f.clone()),
        ("[file:name NOT LIKE '%.dll']", f.clone()),
        ("[file:name LIKE 'foo.exe%']", f.clone()),
        ("[file:name LIKE '(foo)%']", f.clone()),
        ("[file:x_text LIKE 'line%']", f.clone()),
        ("[file:x_text LIKE 'line one%two']", f.clone()),
        ("[file:x_text LIKE 'line two']", f.clone()),
        ("[file:size LIKE '1024']", f.clone()),
        ("[file:name MATCHES '^foo']", f.clone()),
        ("[file:name MATCHES 'exe$']", f.clone()),
        ("[file:name MATCHES '^FOO']", f.clone()),
        ("[file:name MATCHES '(?i)^FOO']", f.clone()),
        ("[file:name NOT MATCHES 'o{2}']", f.clone()),
        ("[file:x_text MATCHES 'two$']", f.clone()),
        ("[file:x_text MATCHES 'one$']", f.clone()),
        ("[file:x_text MATCHES '(?m)one$']", f.clone()),
        ("[file:x_text MATCHES '\\\\d']", f.clone()),
        ("[file:name MATCHES '[.]exe']", f.clone()),
        ("[file:name MATCHES '[]x]']", f.clone()),
        ("[file:size MATCHES '1']", f.clone()),
        (
            "[domain-name:value LIKE 'caf\u{e9}.example']",
            vec![i.decomposed],
        ),
        (
            "[domain-name:value = 'caf\u{e9}.example']",
            vec![i.decomposed],
        ),
        (
            "[domain-name:value MATCHES '^caf\u{e9}\\\\.']",
            vec![i.decomposed],
        ),
        ("[email-message:subject LIKE 'Cafe\u{301}%']", e.clone()),
        // addresses
        ("[ipv4-addr:value ISSUBSET '10.0.0.0/8']", n.clone()),
        ("[ipv4-addr:value NOT ISSUBSET '10.0.0.0/8']", n.clone()),
        ("[ipv4-addr:value ISSUBSET '192.168.0.0/16']", n.clone()),
        ("[ipv4-addr:value ISSUBSET '10.1/16']", n.clone()),
        (
            "[network-traffic:dst_ref.value ISSUBSET '198.51.100.0/24']",
            n.clone(),
        ),
        (
            "[network-traffic:src_ref.value ISSUBSET '198.51.100.0/24']",
            n.clone(),
        ),
        ("[ipv4-addr:value ISSUPERSET '10.1.2.3']", n.clone()),
        ("[file:name ISSUBSET '10.0.0.0/8']", f.clone()),
        ("[file:size ISSUBSET '10.0.0.0/8']", f.clone()),
        // An operand that is no subnet: refused only when a string reaches it.
        ("[ipv4-addr:value ISSUBSET 'not a subnet']", f.clone()),
        ("[ipv4-addr:value ISSUBSET 'not a subnet']", n.clone()),
        ("[ipv4-addr:value NOT ISSUBSET '10.1.2.3']", n.clone()),
        ("[file:size NOT ISSUBSET '10.1.2.3']", f.clone()),
        ("[file:size ISSUPERSET 'nothing']", f.clone()),
        ("[file:name ISSUPERSET 'nothing']", f.clone()),
        ("[file:size NOT ISSUPERSET '10.0.0.0/33']", f.clone()),
        // references
        ("[network-traffic:src_ref.value = '10.1.2.3']", n.clone()),
        ("[network-traffic:dst_ref.value = '10.1.2.3']", n.clone()),
        (
            "[network-traffic:src_ref.type = 'ipv4-addr' AND network-traffic:dst_port = 443]",
            n.clone(),
        ),
        (
            "[network-traffic:protocols[*] = 'tcp' AND network-traffic:protocols[0] = 'ipv4']",
            n.clone(),
        ),
        (
            "[network-traffic:dst_port = 443 AND ipv4-addr:value = '10.1.2.3']",
            n.clone(),
        ),
        (
            "[network-traffic:dst_port = 443 OR ipv4-addr:value = '10.1.2.3']",
            n.clone(),
        ),
        (
            "[email-message:to_refs[*].value = 'a@example.org']",
            e.clone(),
        ),
        (
            "[email-message:to_refs[1].value = 'a@example.org']",
            e.clone(),
        ),
        (
            "[email-message:to_refs[2].value = 'a@example.org']",
            e.clone(),
        ),
        ("[email-message:to_refs.value = 'a@example.org']", e.clone()),
        (
            "[email-message:from_ref.value LIKE '%@example.org']",
            e.clone(),
        ),
        (
            "[email-message:is_multipart = false AND email-message:from_ref.value = 'a@example.org']",
            e.clone(),
        ),
        ("[network-traffic:src_ref = 'x']", vec![i.bad_ref]),
        ("[artifact:x_hex = h'00']", vec![i.bad_hex]),
        ("[artifact:x_ref.value = 'x']", vec![i.bad_hex]),
        ("[artifact:type = 'artifact']", vec![i.bad_hex]),
        // object types
        ("[x-custom:'x-key' = 'v']", vec![i.custom]),
        ("[x-custom:nested.deep.er[0] = true]", vec![i.custom]),
        ("[x-custom:'AND' = 1]", vec![i.custom]),
        ("[indicator:name = 'n']", vec![i.custom]),
        ("[x-thing:name = 'n']", vec![i.custom]),
        ("[observed-data:number_observed = 1]", vec![i.custom]),
        // EXISTS alone
        ("[EXISTS file:name]", f.clone()),
        ("[EXISTS file:x_absent]", f.clone()),
        ("[EXISTS email-message:to_refs[*].value]", e.clone()),
        // observation operators and qualifiers
        (
            "[domain-name:value = 'twice.example'] REPEATS 2 TIMES",
            vec![i.twice],
        ),
        (
            "[domain-name:value = 'twice.example'] REPEATS 3 TIMES",
            vec![i.twice],
        ),
        (
            "[domain-name:value = 'twice.example'] AND [domain-name:value = 'twice.example']",
            vec![i.twice],
        ),
        (
            "[domain-name:value = 'twice.example'] FOLLOWEDBY [domain-name:value = 'later.example']",
            vec![i.twice, i.later],
        ),
        (
            "[domain-name:value = 'later.example'] FOLLOWEDBY [domain-name:value = 'twice.example']",
            vec![i.twice, i.later],
        ),
        (
            "([domain-name:value = 'twice.example'] AND [domain-name:value = 'later.example']) WITHIN 10 SECONDS",
            vec![i.twice, i.later],
        ),
        (
            "([domain-name:value = 'twice.example'] AND [domain-name:value = 'later.example']) WITHIN 9.999 SECONDS",
            vec![i.twice, i.later],
        ),
        (
            "[domain-name:value = 'later.example'] START t'2021-06-01T12:00:20Z' STOP t'2021-06-01T12:00:30Z'",
            vec![i.later],
        ),
        (
            "[domain-name:value = 'later.example'] START t'2021-06-01T12:00:00Z' STOP t'2021-06-01T12:00:10Z'",
            vec![i.later],
        ),
        (
            "[domain-name:value = 'later.example'] START t'2021-06-01T12:00:00Z' STOP t'2021-06-01T12:00:10.000001Z'",
            vec![i.later],
        ),
        (
            "[domain-name:value = 'later.example'] START t'2021-06-01T12:00:30Z' STOP t'2021-06-01T12:00:00Z'",
            vec![i.later],
        ),
        (
            "[domain-name:value LIKE '%'] START t'2021-06-01T12:00:00Z' STOP t'2021-06-01T12:00:00Z'",
            vec![i.later],
        ),
        (
            "[domain-name:value LIKE '%.example'] REPEATS 3 TIMES",
            vec![i.twice, i.later],
        ),
        (
            "[domain-name:value LIKE '%.example'] REPEATS 4 TIMES",
            vec![i.twice, i.later],
        ),
        (
            "([domain-name:value LIKE 'later%'] OR [domain-name:value LIKE 'twice%']) REPEATS 2 TIMES WITHIN 5 SECONDS",
            vec![i.twice, i.later],
        ),
        (
            "[domain-name:value LIKE '%'] WITHIN 1 SECONDS REPEATS 2 TIMES",
            vec![i.later, i.twice],
        ),
        (
            "[domain-name:value = 'x'] OR [domain-name:value = 'later.example']",
            vec![i.twice, i.later],
        ),
        (
            "([domain-name:value = 'x'] OR [domain-name:value LIKE '%']) AND [file:name = 'foo.exe']",
            vec![i.twice, i.file],
        ),
        (
            "[domain-name:value LIKE '%'] FOLLOWEDBY [domain-name:value LIKE '%'] FOLLOWEDBY [domain-name:value LIKE '%']",
            vec![i.twice, i.later],
        ),
        (
            "[domain-name:value = 'inverted.example'] WITHIN 5 SECONDS",
            vec![i.inverted],
        ),
        (
            "([domain-name:value = 'inverted.example'] AND [file:name = 'foo.exe']) WITHIN 5 SECONDS",
            vec![i.inverted, i.file],
        ),
        (
            "[domain-name:value = 'inverted.example'] START t'2021-06-01T12:00:00Z' STOP t'2021-06-01T12:00:30Z'",
            vec![i.inverted],
        ),
        (
            "[domain-name:value = 'first.example']",
            vec![i.shared_a, i.shared_b],
        ),
        (
            "[domain-name:value = 'second.example']",
            vec![i.shared_a, i.shared_b],
        ),
        (
            "[domain-name:value = 'second.example'] REPEATS 2 TIMES",
            vec![i.shared_a, i.shared_b],
        ),
        (
            "[file:name = 'foo.exe'] AND [ipv4-addr:value = '10.1.2.3']",
            vec![i.file, i.net, i.email],
        ),
        (
            "[ipv4-addr:value = '10.1.2.3'] FOLLOWEDBY [file:name = 'foo.exe']",
            vec![i.file, i.net],
        ),
        (
            "[domain-name:value LIKE '%'] WITHIN 99999999999999 SECONDS",
            vec![i.later],
        ),
        // input errors
        ("[domain-name:value = 'no-id.example']", vec![i.no_id]),
        ("[domain-name:value = 'x']", vec![i.no_count]),
        // grammar errors
        ("[file:name = 'x'", f.clone()),
        ("file:name = 'x'", f.clone()),
        ("[file:name = x]", f.clone()),
        ("[file:name IN 'x']", f.clone()),
        ("[]", f.clone()),
        ("[file:name]", f.clone()),
        ("[ file : name = 'foo.exe' ]", f.clone()),
        ("[file:name = 'x'] WITHIN 5", f.clone()),
        ("[file:name = 'x'] REPEATS -1 TIMES", f.clone()),
        ("[file:name = h'abc']", f.clone()),
        ("[file:hashes.SHA-256 = 'x']", f.clone()),
        ("[file:name = 'x'] START '2020' STOP '2021'", f.clone()),
        ("[file:name = 'x'] AND", f.clone()),
        ("[file:size = 1.]", f.clone()),
        ("[file:size > true]", f.clone()),
        ("[file:name LIKE 5]", f.clone()),
        (
            "[file:name = 'x'] /* comment */ OR // line\n [file:name = 'foo.exe']",
            f.clone(),
        ),
        ("[file:name = 'a\\'b']", f.clone()),
        ("[file:name = 'a\\b']", f.clone()),
        ("[file:x.AND = 1]", f.clone()),
        ("[file:name NOT EXISTS]", f.clone()),
        (
            "[file:name = 'foo.exe'] REPEATS 2 TIMES WITHIN 5 SECONDS START t'2021-01-01T00:00:00Z' STOP t'2022-01-01T00:00:00Z'",
            f.clone(),
        ),
        // literals the reference refuses on every evaluation
        ("[file:ctime = t'2020-02-30T00:00:00Z']", f.clone()),
        ("[file:ctime = t'2020-01-01T00:00:60Z']", f.clone()),
        ("[file:name IN (1, 'a')]", f.clone()),
        ("[file:name IN (true, 1)]", f.clone()),
        ("[file:name = 'x'] WITHIN 0 SECONDS", f.clone()),
        ("[file:name = 'x'] WITHIN 0.0 SECONDS", f.clone()),
        ("[file:name = 'x'] REPEATS 0 TIMES", f.clone()),
        ("[file:name MATCHES '(']", f.clone()),
        ("[file:name MATCHES '[a']", f.clone()),
    ];
    for (k, (pattern, inputs)) in agree.into_iter().enumerate() {
        s.case(format!("edge {k}"), pattern, inputs);
    }
    // STIX 2.0: observed-data with an `objects` dictionary.
    for (k, pattern) in [
        "[ipv4-addr:value = '10.0.0.1']",
        "[network-traffic:src_ref.value = '10.0.0.1']",
        "[network-traffic:dst_port = 80 AND network-traffic:protocols[*] = 'tcp']",
        "[file:hashes.MD5 = 'abc'] AND [ipv4-addr:value ISSUBSET '10.0.0.0/8']",
        "[file:name = 'b.txt']",
        "[observed-data:number_observed = 1]",
    ]
    .into_iter()
    .enumerate()
    {
        s.cases.push(Case {
            name: format!("stix 2.0 #{k}"),
            pattern: pattern.to_string(),
            version: "2.0",
            inputs: vec![i.v20],
            reference_wrong: None,
        });
    }
    let matched = |ods: &[u32]| Verdict::Match(ods.iter().map(|n| od(*n)).collect());
    let diverge: Vec<(&str, Vec<usize>, &'static str, Verdict)> = vec![
        (
            "[NOT EXISTS file:x_absent]",
            f.clone(),
            "stix2-matcher has no handler for EXISTS and ignores its NOT, so NOT EXISTS acts as EXISTS; STIX 2.1 section 9.5 (Comparison Operators) defines NOT as negating the operator",
            matched(&[1]),
        ),
        (
            "[NOT EXISTS file:name]",
            f.clone(),
            "same: NOT EXISTS of a present property must be false (STIX 2.1 section 9.5)",
            Verdict::NoMatch,
        ),
        (
            "[EXISTS file:name AND file:size = 1024]",
            f.clone(),
            "stix2-matcher leaves EXISTS's raw value map on its stack, so AND/OR with EXISTS fails with a Python TypeError; STIX 2.1 section 9.5 makes EXISTS an ordinary comparison that AND combines (section 9.4)",
            matched(&[1]),
        ),
        (
            "[file:size = 1024 OR EXISTS file:name]",
            f.clone(),
            "same TypeError in stix2-matcher for OR with EXISTS on the same observation (STIX 2.1 sections 9.4, 9.5)",
            matched(&[1]),
        ),
        (
            "[ipv6-addr:value ISSUBSET '2001:db8::/32']",
            n.clone(),
            "stix2-matcher reads addresses with inet_aton only and raises on IPv6; STIX 2.1 section 9.5 defines ISSUBSET for IPv4 and IPv6 addresses",
            matched(&[2]),
        ),
        (
            "[file:name MATCHES '(o)\\\\1']",
            f.clone(),
            "deliberate: MATCHES runs on a linear-time engine and refuses back-references (Python's re accepts them, with exponential worst cases)",
            Verdict::Invalid,
        ),
        (
            "[file:name MATCHES 'foo(?=\\\\.)']",
            f.clone(),
            "deliberate: look-around is refused for the same reason",
            Verdict::Invalid,
        ),
    ];
    for (k, (pattern, inputs, why, ours)) in diverge.into_iter().enumerate() {
        s.cases.push(Case {
            name: format!("divergence {k}"),
            pattern: pattern.to_string(),
            version: "2.1",
            inputs,
            reference_wrong: Some((why, ours)),
        });
    }
}
