//! Shared test helpers: fixtures, the oracle interpreter, value extraction.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use concord_misp::{Conversion, Importer, MemberDirectory};
use concord_pattern::{ComparisonExpr, Literal, Operator, Pattern};
use serde_json::{Map, Value};

pub(crate) fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

pub(crate) fn directory() -> MemberDirectory {
    MemberDirectory::new()
        .with_organisation_name(
            "CERT-North",
            "identity--1f0c5a9e-0b0c-4f43-9a3f-3d7c7a2b0a01",
        )
        .with_organisation_uuid(
            "3f8e5a3a-1c2b-4d5e-8f90-0a1b2c3d4e02"
                .parse()
                .expect("uuid"),
            "identity--1f0c5a9e-0b0c-4f43-9a3f-3d7c7a2b0a02",
        )
}

pub(crate) fn convert(name: &str) -> Conversion {
    let bytes = std::fs::read(data(name)).expect("fixture");
    let dir = directory();
    Importer::new(&dir).convert_bytes(&bytes).expect("converts")
}

/// The interpreter of the venv holding misp-stix and pymisp:
/// `CONCORD_PYTHON`, else the project venv. Fails (never skips) when the
/// packages are missing.
pub(crate) fn python() -> String {
    let py =
        std::env::var("CONCORD_PYTHON").unwrap_or_else(|_| "/work/main/.venv/bin/python".into());
    let ok = Command::new(&py)
        .arg(oracle_script())
        .arg("check")
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "the MISP oracles are missing: {py} cannot import misp_stix_converter and pymisp. \
         Install them with `{py} -m pip install misp-stix==2026.10.12 pymisp==2.5.34.4`, \
         or point CONCORD_PYTHON at an interpreter that has them"
    );
    py
}

pub(crate) fn oracle_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/misp_oracle.py")
}

pub(crate) fn oracle(command: &str, file: &std::path::Path) -> Value {
    let py = python();
    let out = Command::new(py)
        .arg(oracle_script())
        .arg(command)
        .arg(file)
        .output()
        .expect("runs the oracle");
    assert!(
        out.status.success(),
        "oracle {command} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("oracle prints JSON")
}

/// Properties whose values are bookkeeping, not observed values.
fn skipped(key: &str) -> bool {
    matches!(
        key,
        "type"
            | "spec_version"
            | "id"
            | "protocols"
            | "is_multipart"
            | "content_disposition"
            | "defanged"
    ) || key.ends_with("_ref")
        || key.ends_with("_refs")
}

fn collect_value(key: &str, v: &Value, out: &mut BTreeSet<String>) {
    if skipped(key) || key.starts_with("x_misp") {
        return;
    }
    match v {
        Value::String(s) => {
            out.insert(s.clone());
        }
        Value::Number(n) => {
            out.insert(n.to_string());
        }
        Value::Array(items) => items.iter().for_each(|i| collect_value("", i, out)),
        Value::Object(m) => m.iter().for_each(|(k, x)| collect_value(k, x, out)),
        _ => {}
    }
}

fn pattern_values(c: &ComparisonExpr, out: &mut BTreeSet<String>) {
    match c {
        ComparisonExpr::Test(t) => {
            let last = t.path.to_string();
            if last.ends_with(".type")
                || last.contains("content_disposition")
                || last.contains(":x_misp")
            {
                return;
            }
            if let Operator::Eq(l) = &t.op {
                match l {
                    Literal::Str(s) => {
                        out.insert(s.clone());
                    }
                    Literal::Int(i) => {
                        out.insert(i.to_string());
                    }
                    _ => {}
                }
            }
        }
        ComparisonExpr::And(items) | ComparisonExpr::Or(items) => {
            items.iter().for_each(|i| pattern_values(i, out));
        }
    }
}

/// Every indicator pattern value and every SCO value among objects.
pub(crate) fn kept_values<'a>(
    objects: impl Iterator<Item = &'a Map<String, Value>>,
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for o in objects {
        let ty = o.get("type").and_then(Value::as_str).unwrap_or("");
        if ty == "indicator" {
            let text = o.get("pattern").and_then(Value::as_str).unwrap_or("");
            let p = Pattern::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            for c in p.comparisons() {
                pattern_values(c, &mut out);
            }
        } else if concord_stix::id::contributing_properties(ty).is_some() {
            for (k, v) in o {
                collect_value(k, v, &mut out);
            }
        }
    }
    out
}
