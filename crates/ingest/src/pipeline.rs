//! Three stages at once: a reader thread splits the input into objects
//! (never holding the whole file), worker threads check chunks in
//! parallel, and the calling thread receives them back in input order.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use concord_stix::bundle::BundleReader;

use crate::IngestError;
use crate::check::{Checked, Preparation};

/// Objects per chunk handed to a worker.
const CHUNK: usize = 1024;

/// Reads, checks and hands over the objects of `input` (the source
/// `name`) in input order: `sink` gets each chunk and the bytes read so far.
pub(crate) fn run(
    input: Box<dyn Read + Send>,
    name: &str,
    prep: &Preparation<'_>,
    workers: usize,
    sink: &mut dyn FnMut(Vec<Checked>, u64) -> Result<(), IngestError>,
) -> Result<(), IngestError> {
    let bytes_read = Arc::new(AtomicU64::new(0));
    let (raw_tx, raw_rx): (SyncSender<(u64, Vec<_>)>, Receiver<_>) = sync_channel(workers * 2);
    let (done_tx, done_rx) = sync_channel::<(u64, Vec<Checked>)>(workers * 2);
    let raw_rx = Arc::new(Mutex::new(raw_rx));
    std::thread::scope(move |scope| -> Result<(), IngestError> {
        let counter = bytes_read.clone();
        scope.spawn(move || {
            let mut reader = BundleReader::new(input);
            let mut seq = 0u64;
            let mut chunk = Vec::with_capacity(CHUNK);
            while let Some(item) = reader.next() {
                chunk.push(item);
                if chunk.len() == CHUNK {
                    counter.store(reader.bytes_read(), Ordering::Relaxed);
                    if raw_tx.send((seq, std::mem::take(&mut chunk))).is_err() {
                        return;
                    }
                    seq += 1;
                }
            }
            counter.store(reader.bytes_read(), Ordering::Relaxed);
            if !chunk.is_empty() {
                let _ = raw_tx.send((seq, chunk));
            }
        });
        for _ in 0..workers {
            let rx = raw_rx.clone();
            let tx = done_tx.clone();
            scope.spawn(move || {
                loop {
                    let next = match rx.lock() {
                        Ok(guard) => guard.recv(),
                        Err(_) => return,
                    };
                    let Ok((seq, chunk)) = next else { return };
                    let checked = chunk.into_iter().map(|r| prep.check(name, r)).collect();
                    if tx.send((seq, checked)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        // Only the workers hold the chunk queue now: when the sink fails
        // and `done_rx` goes, the workers stop, then the reader.
        drop(raw_rx);
        let done_rx = done_rx;
        // Put chunks back in input order before handing them on.
        let mut pending = BTreeMap::new();
        let mut want = 0u64;
        for (seq, checked) in done_rx.iter() {
            pending.insert(seq, checked);
            while let Some(next) = pending.remove(&want) {
                sink(next, bytes_read.load(Ordering::Relaxed))?;
                want += 1;
            }
        }
        Ok(())
    })
}
