//! tlog-witness add-checkpoint bodies from anyone: parsing never panics and
//! round-trips, and the witness decides on any body (status 200, 400, 403,
//! 404, 409 or 422) without panicking, against a store holding a real
//! checkpoint of a real log.
#![no_main]

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use concord_tlog::{
    AddCheckpoint, Cosigner, Hash, LogSigner, MemoryTiles, Swap, TlogError, Witness, WitnessRecord,
    WitnessStore, append,
};
use concord_trust::Keypair;
use libfuzzer_sys::fuzz_target;

#[derive(Default)]
struct Store(Mutex<HashMap<String, WitnessRecord>>);

impl WitnessStore for Store {
    fn latest(&self, origin: &str) -> Result<Option<WitnessRecord>, TlogError> {
        Ok(self
            .0
            .lock()
            .map_err(TlogError::storage)?
            .get(origin)
            .cloned())
    }

    fn compare_and_swap(
        &self,
        origin: &str,
        expected: Option<(u64, Hash)>,
        new: &WitnessRecord,
    ) -> Result<Swap, TlogError> {
        let mut m = self.0.lock().map_err(TlogError::storage)?;
        let current = m.get(origin).cloned();
        if current.as_ref().map(|r| (r.size, r.root)) != expected {
            return Ok(Swap::Changed(current));
        }
        m.insert(origin.to_string(), new.clone());
        Ok(Swap::Done)
    }
}

fn witness() -> &'static (Witness, WitnessRecord) {
    static W: OnceLock<(Witness, WitnessRecord)> = OnceLock::new();
    W.get_or_init(|| {
        let key = Keypair::from_seed(&[1; 32]);
        let mut w =
            Witness::new(Cosigner::new("w.example", Keypair::from_seed(&[2; 32])).expect("valid"));
        w.follow("log.example", &key.public())
            .expect("valid origin");
        let mut tiles = MemoryTiles::new();
        let entries: Vec<Vec<u8>> = (0..10u8).map(|i| vec![i]).collect();
        let a = append(0, &entries, &tiles).expect("append");
        tiles.apply(&a.tiles);
        let signer = LogSigner::new("log.example", key).expect("valid origin");
        let cp = signer.sign_next(None, 10, &tiles).expect("signs");
        let record = WitnessRecord {
            size: 10,
            root: cp.checkpoint().root,
            checkpoint: cp.to_bytes(),
        };
        (w, record)
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = AddCheckpoint::parse(data) {
        assert_eq!(req.to_bytes(), data);
    }
    let (w, held) = witness();
    let store = Store::default();
    store
        .0
        .lock()
        .expect("fresh lock")
        .insert("log.example".into(), held.clone());
    match w.add_checkpoint(data, &store, 1_700_000_000) {
        Ok(c) => {
            assert!(c.record.size >= held.size, "never lowers the stored size");
            assert!(c.body().starts_with('\u{2014}'));
        }
        Err(r) => assert!([400, 403, 404, 409, 422].contains(&r.status()), "{r:?}"),
    }
});
