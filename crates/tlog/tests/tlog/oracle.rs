//! An independent oracle: tests/oracle/tlog_oracle.py, written from RFC
//! 8032, RFC 6962/9162 and the C2SP specs with Python's standard library
//! only, checks what this crate publishes and proves: the checkpoint's log
//! signature and a witness cosignature, the root recomputed from the tiles
//! as a client fetches them, every entry bundle, inclusion and consistency
//! proofs (and tampered ones), and split-view evidence (and non-evidence).
//! Needs python3 (or CONCORD_PYTHON), standard library only.

use std::path::Path;
use std::process::Command;

use concord_tlog::{
    ConsistencyCheck, Cosigner, Evidence, Hash, LogSigner, MemoryTiles, Tile, TileLevel, TileNodes,
    TileReader, check_consistency, consistency_proof, governance_entry, inclusion_proof, leaf_hash,
    tiles_root, verify_consistency, verify_inclusion,
};
use concord_trust::Keypair;
use serde_json::{Value, json};

use super::common::{Log, intel, log_signer, node_key, signed_indicator};

fn publish(tiles: &MemoryTiles, dir: &Path) {
    for ((level, index), data) in tiles.iter() {
        let width = match level {
            TileLevel::Hashes(_) => data.len() / 32,
            TileLevel::Entries => concord_tlog::parse_entry_bundle(data)
                .expect("the published tiles are written")
                .len(),
        };
        for w in 1..=width {
            let t = Tile {
                level: *level,
                index: *index,
                width: w as u16,
            };
            let path = dir.join(t.path());
            std::fs::create_dir_all(path.parent().expect("a tile path has folders"))
                .expect("the temporary folder is writable");
            std::fs::write(
                path,
                tiles.read_tile(&t).expect("stored tiles serve every width"),
            )
            .expect("the temporary folder is writable");
        }
    }
}

fn b64(h: &Hash) -> String {
    h.to_base64()
}

fn tamper(p: &[Hash]) -> Vec<Hash> {
    let mut p = p.to_vec();
    if let Some(h) = p.first_mut() {
        h.0[7] ^= 0x20;
    }
    p
}

fn run_oracle(dir: &Path) -> Value {
    let python = std::env::var("CONCORD_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/tlog_oracle.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {python} (python3 or CONCORD_PYTHON is needed): {e}")
        });
    assert!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the oracle prints JSON")
}

#[test]
fn the_python_oracle_agrees_on_everything_published_and_proved() {
    let dir = tempfile::tempdir().unwrap();
    let signer = log_signer();
    // A log of 1,500 entries: intel commitments and governance messages.
    let mut log = Log::new();
    let mut entries = Vec::new();
    for i in 0..1500 {
        let e = if i % 10 == 0 {
            governance_entry(&json!({"type": "vote", "n": i}))
                .unwrap()
                .to_bytes()
        } else if i % 10 == 1 {
            intel(&signed_indicator(i)).0
        } else {
            format!("opaque {i}").into_bytes()
        };
        entries.push(e);
    }
    for chunk in entries.chunks(333) {
        log.append(chunk);
    }
    let mut checkpoint = log.checkpoint(&signer);
    let witness = Cosigner::new("witness.example/w1", Keypair::from_seed(&[7; 32])).unwrap();
    checkpoint
        .add_signature(
            witness
                .cosign(checkpoint.note().text(), 1_700_000_123)
                .unwrap(),
        )
        .unwrap();
    std::fs::write(dir.path().join("checkpoint"), checkpoint.to_bytes()).unwrap();
    publish(&log.tiles, dir.path());

    let mut nodes = TileNodes::new(&log.tiles, 1500);
    let mut inclusion = Vec::new();
    let mut expected_inclusion = Vec::new();
    for (index, size) in [
        (0u64, 1500u64),
        (1, 1500),
        (255, 1500),
        (256, 1500),
        (700, 1500),
        (1499, 1500),
        (3, 4),
        (600, 1024),
        (1200, 1201),
    ] {
        let mut at = TileNodes::new(&log.tiles, size);
        let root = tiles_root(size, &log.tiles).unwrap();
        let proof = inclusion_proof(index, size, &mut at).unwrap();
        let entry = &log.entries[index as usize];
        for (p, want) in [(proof.clone(), true), (tamper(&proof), false)] {
            if p.is_empty() && !want {
                continue;
            }
            let ours = verify_inclusion(index, size, &leaf_hash(entry), &p, &root).is_ok();
            assert_eq!(ours, want);
            inclusion.push(json!({"index": index, "size": size, "entry": base64_of(entry), "proof": p.iter().map(b64).collect::<Vec<_>>(), "root": b64(&root)}));
            expected_inclusion.push(want);
        }
        // The same proof for the next index must fail.
        if index + 1 < size {
            inclusion.push(json!({"index": index + 1, "size": size, "entry": base64_of(entry), "proof": proof.iter().map(b64).collect::<Vec<_>>(), "root": b64(&root)}));
            expected_inclusion.push(false);
        }
    }
    let mut consistency = Vec::new();
    let mut expected_consistency = Vec::new();
    for (old, new) in [
        (1u64, 1500u64),
        (256, 1500),
        (700, 1500),
        (1000, 1200),
        (1024, 1500),
        (1500, 1500),
        (3, 7),
    ] {
        let old_root = tiles_root(old, &log.tiles).unwrap();
        let new_root = tiles_root(new, &log.tiles).unwrap();
        let proof = consistency_proof(old, new, &mut nodes).unwrap();
        for (p, want) in [(proof.clone(), true), (tamper(&proof), false)] {
            if p.is_empty() && !want {
                continue;
            }
            assert_eq!(
                verify_consistency(old, new, &old_root, &new_root, &p).is_ok(),
                want
            );
            consistency.push(json!({"old": old, "new": new, "old_root": b64(&old_root), "new_root": b64(&new_root), "proof": p.iter().map(b64).collect::<Vec<_>>()}));
            expected_consistency.push(want);
        }
    }

    // Evidence: one of each kind, and two documents that are not evidence.
    let key = node_key().public();
    let mut fork = Log::new();
    fork.append(&entries[..1400]);
    fork.append(
        &(1400..1500)
            .map(|i| format!("forged {i}").into_bytes())
            .collect::<Vec<_>>(),
    );
    let forked = fork.checkpoint(&signer);
    let ConsistencyCheck::SplitView(same) =
        check_consistency(&checkpoint, &forked, &key, &MemoryTiles::new()).unwrap()
    else {
        panic!("same-size split view");
    };
    fork.append(&[b"one more".to_vec()]);
    let bigger = fork.checkpoint(&signer);
    let ConsistencyCheck::SplitView(inconsistent) =
        check_consistency(&checkpoint, &bigger, &key, &fork.tiles).unwrap()
    else {
        panic!("inconsistent split view");
    };
    let mut two_keys: Value = serde_json::from_slice(&same.to_json()).unwrap();
    let other = LogSigner::new(
        &checkpoint.checkpoint().origin,
        Keypair::from_seed(&[99; 32]),
    )
    .unwrap();
    two_keys["checkpoints"][1] = String::from_utf8(fork_at(&entries, 1400, &other).to_bytes())
        .unwrap()
        .into();
    let mut consistent: Value = serde_json::from_slice(&inconsistent.to_json()).unwrap();
    let honest_small = signer.sign_next(None, 1000, &log.tiles).unwrap();
    consistent["checkpoints"][0] = String::from_utf8(honest_small.to_bytes()).unwrap().into();
    let path = concord_tlog::consistency_path_full(1000, 1500, &mut nodes).unwrap();
    consistent["checkpoints"][1] = String::from_utf8(log.checkpoint(&signer).to_bytes())
        .unwrap()
        .into();
    consistent["consistency_path"] = path.iter().map(b64).collect::<Vec<_>>().into();
    let evidence = vec![
        String::from_utf8(same.to_json()).unwrap(),
        String::from_utf8(inconsistent.to_json()).unwrap(),
        two_keys.to_string(),
        consistent.to_string(),
    ];
    let ours: Vec<bool> = evidence
        .iter()
        .map(|e| {
            Evidence::from_json(e.as_bytes())
                .and_then(|e| e.verify(&key))
                .is_ok()
        })
        .collect();
    assert_eq!(ours, vec![true, true, false, false]);

    let cases = json!({
        "vkeys": [signer.verifier().to_vkey(), witness.verifier().to_vkey()],
        "inclusion": inclusion,
        "consistency": consistency,
        "evidence": evidence,
    });
    std::fs::write(dir.path().join("cases.json"), cases.to_string()).unwrap();

    let verdict = run_oracle(dir.path());
    assert_eq!(
        verdict["signatures"],
        json!([
            [signer.origin(), 1, null],
            ["witness.example/w1", 4, 1_700_000_123]
        ])
    );
    assert_eq!(verdict["checkpoint"][1], 1500);
    assert_eq!(verdict["checkpoint"][2], b64(&checkpoint.checkpoint().root));
    assert_eq!(verdict["tiles_root_ok"], true);
    assert_eq!(verdict["entries_ok"], true);
    assert_eq!(verdict["inclusion"], json!(expected_inclusion));
    assert_eq!(verdict["consistency"], json!(expected_consistency));
    assert_eq!(verdict["evidence"], json!(ours));

    // Negative controls: the oracle sees a changed hash in a level-1 tile
    // and a changed entry.
    let tile = dir.path().join("tile/1/000.p/5");
    let mut bytes = std::fs::read(&tile).unwrap();
    bytes[40] ^= 1;
    std::fs::write(&tile, bytes).unwrap();
    let bundle = dir.path().join("tile/entries/005.p/220");
    let mut bytes = std::fs::read(&bundle).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&bundle, bytes).unwrap();
    let verdict = run_oracle(dir.path());
    assert_eq!(verdict["tiles_root_ok"], false);
    assert_eq!(verdict["entries_ok"], false);
}

fn fork_at(entries: &[Vec<u8>], at: usize, signer: &LogSigner) -> concord_tlog::SignedCheckpoint {
    let mut log = Log::new();
    log.append(&entries[..at]);
    log.append(
        &(at..1500)
            .map(|i| format!("other {i}").into_bytes())
            .collect::<Vec<_>>(),
    );
    log.checkpoint(signer)
}

fn base64_of(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}
