//! Known answers from outside this crate: the transparency-dev/merkle
//! verification probes (tests/data/transparency-dev-merkle-*.json, copied
//! from that repository's testdata/ at the commit named in the files), the
//! RFC 6962 example tree of its testonly/constants.go, and Go's sumdb tree
//! note test.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use concord_tlog::{
    EMPTY_ROOT, Hash, MemoryTree, consistency_proof, inclusion_proof, leaf_hash,
    verify_consistency, verify_inclusion,
};
use serde_json::Value;

fn load(kind: &str) -> Vec<Value> {
    let path = format!(
        "{}/tests/data/transparency-dev-merkle-{kind}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let doc: Value = serde_json::from_slice(&std::fs::read(&path).expect("test data is committed"))
        .expect("valid JSON");
    assert_eq!(doc["source"], "https://github.com/transparency-dev/merkle");
    doc["probes"].as_array().expect("probes").clone()
}

/// A hash of a probe; `None` when it is not 32 bytes (the probes include
/// such values on purpose, and our types cannot even hold them).
fn hash(v: &Value) -> Option<Hash> {
    let raw = B64.decode(v.as_str()?).ok()?;
    Hash::from_slice(&raw)
}

fn hashes(v: &Value) -> Option<Vec<Hash>> {
    if v.is_null() {
        // Go writes an empty proof as null.
        return Some(Vec::new());
    }
    v.as_array()?.iter().map(hash).collect()
}

#[test]
fn transparency_dev_inclusion_probes() {
    let probes = load("inclusion");
    assert!(probes.len() >= 90);
    let mut checked = 0;
    for p in probes {
        let want_err = p["wantErr"].as_bool().unwrap();
        let got = (|| {
            let leaf = hash(&p["leafHash"])?;
            let root = hash(&p["root"])?;
            let proof = hashes(&p["proof"])?;
            Some(verify_inclusion(
                p["leafIdx"].as_u64()?,
                p["treeSize"].as_u64()?,
                &leaf,
                &proof,
                &root,
            ))
        })();
        let ok = matches!(got, Some(Ok(())));
        assert_eq!(ok, !want_err, "{} ({})", p["file"], p["desc"]);
        checked += 1;
    }
    assert_eq!(checked, 98);
}

#[test]
fn transparency_dev_consistency_probes() {
    let probes = load("consistency");
    let mut happy = 0;
    for p in probes {
        let want_err = p["wantErr"].as_bool().unwrap();
        let got = (|| {
            Some(verify_consistency(
                p["size1"].as_u64()?,
                p["size2"].as_u64()?,
                &hash(&p["root1"])?,
                &hash(&p["root2"])?,
                &hashes(&p["proof"])?,
            ))
        })();
        if got.is_none() && !want_err {
            // A value that is not 32 bytes cannot be a hash here: it is
            // refused when read. The one probe that expects success with
            // such values compares two equal 14-byte "roots" of equal sizes.
            assert_eq!(
                p["file"],
                "testdata/consistency/additional/sizes-are-equal-one-and-proof-is-empty.json"
            );
            assert!(Hash::from_base64(p["root1"].as_str().unwrap()).is_err());
            continue;
        }
        let ok = matches!(got, Some(Ok(())));
        assert_eq!(ok, !want_err, "{} ({})", p["file"], p["desc"]);
        happy += usize::from(ok);
    }
    assert_eq!(happy, 5, "the five happy paths verify");
}

fn hd(s: &str) -> Hash {
    Hash::from_slice(&hex::decode(s).expect("the test vector is hex"))
        .expect("the test vector is 32 bytes")
}

/// transparency-dev/merkle testonly/constants.go: the leaves of the RFC
/// 6962 example tree and the root of every prefix.
fn rfc_example() -> (Vec<Vec<u8>>, Vec<Hash>) {
    let leaves = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|h| hex::decode(h).expect("the test vector is well formed"))
    .collect();
    let roots = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
    .iter()
    .map(|h| hd(h))
    .collect();
    (leaves, roots)
}

#[test]
fn rfc6962_example_tree_roots_and_proofs() {
    let (leaves, roots) = rfc_example();
    assert_eq!(roots[0], EMPTY_ROOT);
    let mut tree = MemoryTree::new();
    for l in &leaves {
        tree.push(leaf_hash(l));
    }
    // Leaf hashes of level 0 (NodeHashes()[0]) and the level-1 nodes.
    assert_eq!(
        leaf_hash(&leaves[0]),
        hd("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
    );
    assert_eq!(
        leaf_hash(&leaves[7]),
        hd("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1")
    );
    for (n, root) in roots.iter().enumerate() {
        assert_eq!(tree.root(n as u64).unwrap(), *root, "root of size {n}");
    }
    // The inclusion proof of leaf 0 in the tree of 8 is b, h, l of the
    // RFC's figure (the happy path of the inclusion probes).
    let p = inclusion_proof(0, 8, &mut tree).unwrap();
    let want: Vec<Hash> = [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]
    .iter()
    .map(|h| hd(h))
    .collect();
    assert_eq!(p, want);
    // The consistency proof from 1 to 8 is the same three nodes (the
    // consistency happy path with size1 = 1).
    assert_eq!(consistency_proof(1, 8, &mut tree).unwrap(), want);
    for m in 1..=8u64 {
        for n in m..=8u64 {
            let proof = consistency_proof(m, n, &mut tree).unwrap();
            verify_consistency(m, n, &roots[m as usize], &roots[n as usize], &proof).unwrap();
        }
        for i in 0..m {
            let proof = inclusion_proof(i, m, &mut tree).unwrap();
            verify_inclusion(
                i,
                m,
                &leaf_hash(&leaves[i as usize]),
                &proof,
                &roots[m as usize],
            )
            .unwrap();
        }
    }
}

#[test]
fn generated_proofs_equal_the_probe_happy_paths() {
    // Every happy-path probe over the RFC example tree is what we generate.
    let (leaves, _) = rfc_example();
    let mut tree = MemoryTree::new();
    for l in &leaves {
        tree.push(leaf_hash(l));
    }
    let mut compared = 0;
    for p in load("inclusion") {
        if p["desc"] != "happy path" {
            continue;
        }
        let (i, n) = (
            p["leafIdx"].as_u64().unwrap(),
            p["treeSize"].as_u64().unwrap(),
        );
        if n > 8 {
            continue;
        }
        assert_eq!(
            inclusion_proof(i, n, &mut tree).unwrap(),
            hashes(&p["proof"]).unwrap(),
            "{}",
            p["file"]
        );
        compared += 1;
    }
    for p in load("consistency") {
        if p["desc"] != "happy path" {
            continue;
        }
        let (m, n) = (p["size1"].as_u64().unwrap(), p["size2"].as_u64().unwrap());
        if n > 8 || m == 0 {
            continue;
        }
        assert_eq!(
            consistency_proof(m, n, &mut tree).unwrap(),
            hashes(&p["proof"]).unwrap(),
            "{}",
            p["file"]
        );
        compared += 1;
    }
    assert!(compared >= 6, "compared {compared}");
}

#[test]
fn go_sumdb_tree_note_hash() {
    // golang.org/x/mod sumdb/tlog note_test.go: RecordHash("hello world")
    // in a tree note is TszzRgjT...Bb0= (RecordHash is the RFC 6962 leaf
    // hash).
    assert_eq!(
        leaf_hash(b"hello world").to_base64(),
        "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0="
    );
}
