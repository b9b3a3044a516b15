//! Three stages at once: a source thread yields chunks of work, worker
//! threads do each chunk in parallel, and the calling thread receives the
//! results back in input order. STIX input is split into objects by the
//! source thread (never holding the whole file) and checked by the
//! workers; a MISP conversion's objects are signed by them.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::sync_channel;
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
    let counter = bytes_read.clone();
    let mut reader = BundleReader::new(input);
    let chunks = std::iter::from_fn(move || {
        let chunk: Vec<_> = reader.by_ref().take(CHUNK).collect();
        counter.store(reader.bytes_read(), Ordering::Relaxed);
        (!chunk.is_empty()).then_some(chunk)
    });
    in_order(
        chunks,
        workers,
        &|raw| prep.check(name, raw),
        &mut |checked| sink(checked, bytes_read.load(Ordering::Relaxed)),
    )
}

/// `items` in chunks, for [`in_order`].
pub(crate) fn chunks<T>(items: Vec<T>) -> impl Iterator<Item = Vec<T>> {
    let mut rest = items.into_iter();
    std::iter::from_fn(move || {
        let chunk: Vec<T> = rest.by_ref().take(CHUNK).collect();
        (!chunk.is_empty()).then_some(chunk)
    })
}

/// `work` over every item of `chunks` on `workers` threads, while a thread
/// of its own draws the chunks; `sink` gets each chunk's results in input
/// order, on the calling thread. When `sink` fails, the workers and then
/// the source stop at their next chunk.
pub(crate) fn in_order<T: Send, U: Send>(
    chunks: impl Iterator<Item = Vec<T>> + Send,
    workers: usize,
    work: &(dyn Fn(T) -> U + Sync),
    sink: &mut dyn FnMut(Vec<U>) -> Result<(), IngestError>,
) -> Result<(), IngestError> {
    let (raw_tx, raw_rx) = sync_channel::<(u64, Vec<T>)>(workers);
    let (done_tx, done_rx) = sync_channel::<(u64, Vec<U>)>(workers);
    let raw_rx = Arc::new(Mutex::new(raw_rx));
    std::thread::scope(move |scope| -> Result<(), IngestError> {
        scope.spawn(move || {
            for (seq, chunk) in (0u64..).zip(chunks) {
                if raw_tx.send((seq, chunk)).is_err() {
                    return;
                }
            }
        });
        for _ in 0..workers.max(1) {
            let rx = raw_rx.clone();
            let tx = done_tx.clone();
            scope.spawn(move || {
                loop {
                    let next = match rx.lock() {
                        Ok(guard) => guard.recv(),
                        Err(_) => return,
                    };
                    let Ok((seq, chunk)) = next else { return };
                    let done = chunk.into_iter().map(work).collect();
                    if tx.send((seq, done)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        // Only the workers hold the chunk queue now: when the sink fails
        // and `done_rx` goes, the workers stop, then the source.
        drop(raw_rx);
        let done_rx = done_rx;
        // Put chunks back in input order before handing them on.
        let mut pending = BTreeMap::new();
        let mut want = 0u64;
        for (seq, done) in done_rx.iter() {
            pending.insert(seq, done);
            while let Some(next) = pending.remove(&want) {
                sink(next)?;
                want += 1;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_input_order_and_whole() {
        let items: Vec<u32> = (0..10_000).collect();
        let mut out = Vec::new();
        // Later items finish first: order must come from the sink, not luck.
        let work = |i: u32| {
            if i.is_multiple_of(CHUNK as u32) {
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            i * 2
        };
        in_order(chunks(items), 3, &work, &mut |c| {
            out.extend(c);
            Ok(())
        })
        .unwrap();
        assert_eq!(out, (0..10_000).map(|i| i * 2).collect::<Vec<_>>());
    }

    #[test]
    fn a_failing_sink_stops_the_stages() {
        let drawn = std::sync::atomic::AtomicUsize::new(0);
        let endless = std::iter::from_fn(|| {
            drawn.fetch_add(1, Ordering::Relaxed);
            Some(vec![0u8; 16])
        });
        let err = in_order(endless, 2, &|b| b, &mut |_| {
            Err(IngestError::Foreign("the store is gone".into()))
        })
        .unwrap_err();
        assert!(err.to_string().contains("the store is gone"));
        assert!(drawn.load(Ordering::Relaxed) < 100, "the source stopped");
    }
}
