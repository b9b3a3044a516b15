//! Indicators for tests, running an export, and finding the real tools.

use std::path::{Path, PathBuf};
use std::process::Command;

use concord_exports::{Authors, ExportContext, ExportReport, Target, export};
use concord_stix::Timestamp;
use serde_json::{Map, Value, json};

/// The fixed time every test exports at.
pub(crate) fn now() -> Timestamp {
    Timestamp::parse("2026-12-01T00:00:00Z").expect("a valid timestamp")
}

/// An active indicator with `pattern` and the `extra` properties.
pub(crate) fn indicator(n: u32, pattern: &str, extra: Value) -> Map<String, Value> {
    let mut o = json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
        "created": "2026-11-01T00:00:00.000Z",
        "modified": "2026-11-01T00:00:00.000Z",
        "name": format!("indicator {n}"),
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2026-11-01T00:00:00Z",
        "confidence": 80,
        "created_by_ref": "identity--11111111-1111-4111-8111-111111111111",
        "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]
    });
    let map = o.as_object_mut().expect("an object");
    if let Value::Object(extra) = extra {
        for (k, v) in extra {
            if v.is_null() {
                map.remove(&k);
            } else {
                map.insert(k, v);
            }
        }
    }
    map.clone()
}

/// The STIX id `indicator` gives for `n`.
pub(crate) fn id(n: u32) -> String {
    format!("indicator--00000000-0000-4000-8000-{n:012}")
}

/// The authors the tests name.
pub(crate) fn authors() -> Authors {
    let mut a = Authors::new();
    a.insert(
        "identity--11111111-1111-4111-8111-111111111111",
        "Example CERT",
    );
    a
}

/// Exports `objects` at [`now`] and returns the output as text.
pub(crate) fn run(target: Target<'_>, objects: &[Map<String, Value>]) -> (String, ExportReport) {
    let authors = authors();
    let ctx = ExportContext::new(now(), &authors);
    run_with(target, objects, &ctx)
}

/// Exports with a given context.
pub(crate) fn run_with(
    target: Target<'_>,
    objects: &[Map<String, Value>],
    ctx: &ExportContext<'_>,
) -> (String, ExportReport) {
    let mut out = Vec::new();
    let report = export(target, objects, ctx, &mut out).expect("the export runs");
    (String::from_utf8(out).expect("exports are UTF-8"), report)
}

/// A program from Debian's packages: found on PATH or in the sbin
/// directories, else the test fails naming the package.
pub(crate) fn tool(name: &str, package: &str) -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from));
    dirs.into_iter()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("{name} is missing: install the Debian package {package} (apt-get install -y {package})")
        })
}

/// The Python that has suricataparser and idstools: `CONCORD_PYTHON`, else
/// the workspace's `.venv`, else /work/main/.venv.
pub(crate) fn python() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    let candidates: Vec<PathBuf> = match std::env::var_os("CONCORD_PYTHON") {
        Some(p) => vec![PathBuf::from(p)],
        None => vec![workspace, PathBuf::from("/work/main/.venv/bin/python")],
    };
    let python = candidates
        .iter()
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "no Python found at {candidates:?}: set CONCORD_PYTHON to a Python with the PyPI packages suricataparser and idstools"
            )
        })
        .clone();
    let probe = Command::new(&python)
        .args(["-c", "import suricataparser, idstools.rule"])
        .output()
        .expect("python runs");
    assert!(
        probe.status.success(),
        "{} lacks the PyPI packages suricataparser and idstools ({}): `{} -m pip install suricataparser idstools`",
        python.display(),
        String::from_utf8_lossy(&probe.stderr).trim(),
        python.display()
    );
    python
}

/// Runs `named-checkzone` (strict: check-names, integrity checks) on a
/// zone and fails the test with its output if it rejects it.
pub(crate) fn check_zone(origin: &str, zone: &str) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("zone.rpz");
    std::fs::write(&path, zone).expect("the zone is written");
    let out = Command::new(tool("named-checkzone", "bind9-utils"))
        .args(["-k", "fail", "-n", "fail", "-i", "full", origin])
        .arg(&path)
        .output()
        .expect("named-checkzone runs");
    assert!(
        out.status.success(),
        "named-checkzone rejects the zone:\n{}{}\n--- zone ---\n{zone}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
