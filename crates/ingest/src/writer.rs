//! Batched writes, as a stage of their own: while the reader and checkers
//! fill the next batch, a writer thread makes the last one ready (search
//! trigrams the checkers did not hash, and for the embedded store
//! compressed bodies, on every core) and hands it to the store once the
//! batch before has committed.
//! Batches are written in input order; PostgreSQL works on two at once.

use std::collections::VecDeque;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle as ThreadHandle;

use concord_store::{AnyStore, BatchOutcome, PreparedObject};
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

use crate::IngestError;

/// Objects per write transaction. SQLite has one writer and commits with
/// an fsync; now that bodies are compressed before the write, 8,192 objects
/// commit as fast as 16,384 did and hold 20 MB less (measured on 121k
/// objects). PostgreSQL works on two batches at once, and smaller ones keep
/// both busy.
pub(crate) fn batch_size(store: &AnyStore) -> usize {
    match store {
        AnyStore::Sqlite(_) => 8_192,
        AnyStore::Postgres(_) => 8_192,
    }
}

/// Batches submitted and not yet committed: SQLite commits one at a time
/// (a second would only wait for the lock, holding its objects in memory),
/// PostgreSQL works on two at once.
fn max_in_flight(store: &AnyStore) -> usize {
    match store {
        AnyStore::Sqlite(_) => 1,
        AnyStore::Postgres(_) => 2,
    }
}

/// What the writer has stored so far.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Written {
    pub stored: u64,
    pub duplicates: u64,
}

pub(crate) struct BatchWriter {
    collection: String,
    /// To the writer thread; a batch is taken once the one before is
    /// ready and handed to the store (so at most one waits here).
    batches: Option<SyncSender<Vec<PreparedObject>>>,
    stage: Option<ThreadHandle<Result<Written, IngestError>>>,
    pub written: Written,
}

/// The writer thread's side.
struct Stage {
    rt: Handle,
    store: AnyStore,
    collection: String,
    index: bool,
    in_flight: VecDeque<JoinHandle<concord_store::Result<BatchOutcome>>>,
    written: Written,
}

impl Stage {
    fn write(&mut self, batch: Vec<PreparedObject>) -> Result<(), IngestError> {
        let ready = self
            .store
            .prepare_batch(batch, self.index)
            .map_err(|source| self.failed(source))?;
        while self.in_flight.len() >= max_in_flight(&self.store) {
            self.settle_one()?;
        }
        let store = self.store.clone();
        let collection = self.collection.clone();
        self.in_flight.push_back(
            self.rt
                .spawn(async move { store.put_ready(&collection, ready).await }),
        );
        Ok(())
    }

    fn failed(&self, source: concord_store::StoreError) -> IngestError {
        IngestError::Write {
            collection: self.collection.clone(),
            source,
        }
    }

    fn settle_one(&mut self) -> Result<(), IngestError> {
        let Some(task) = self.in_flight.pop_front() else {
            return Ok(());
        };
        let out = self
            .rt
            .block_on(task)
            .map_err(|e| IngestError::Task(e.to_string()))?
            .map_err(|source| self.failed(source))?;
        self.written.stored += out.inserted as u64;
        self.written.duplicates += out.duplicates as u64;
        Ok(())
    }

    fn finish(&mut self) -> Result<(), IngestError> {
        while !self.in_flight.is_empty() {
            self.settle_one()?;
        }
        Ok(())
    }
}

impl BatchWriter {
    pub(crate) fn new(
        rt: Handle,
        store: AnyStore,
        collection: &str,
        index: bool,
    ) -> Result<BatchWriter, IngestError> {
        let (batches, incoming) = sync_channel::<Vec<PreparedObject>>(0);
        let mut stage = Stage {
            rt,
            store,
            collection: collection.to_string(),
            index,
            in_flight: VecDeque::new(),
            written: Written::default(),
        };
        let thread = std::thread::Builder::new()
            .name("concord-writer".into())
            .spawn(move || {
                for batch in incoming {
                    if let Err(e) = stage.write(batch) {
                        // Whatever was handed to the store goes on to
                        // commit or fail; the import stops here.
                        let _ = stage.finish();
                        return Err(e);
                    }
                }
                stage.finish()?;
                Ok(stage.written)
            })
            .map_err(|e| IngestError::Task(format!("starting the writer thread: {e}")))?;
        Ok(BatchWriter {
            collection: collection.to_string(),
            batches: Some(batches),
            stage: Some(thread),
            written: Written::default(),
        })
    }

    pub(crate) fn submit(&mut self, batch: Vec<PreparedObject>) -> Result<(), IngestError> {
        if batch.is_empty() {
            return Ok(());
        }
        let sent = match &self.batches {
            Some(b) => b.send(batch).is_ok(),
            None => false,
        };
        if sent {
            return Ok(());
        }
        // The writer thread stopped: its error says why.
        self.finish()?;
        Err(IngestError::Task(format!(
            "the writer of collection {} stopped",
            self.collection
        )))
    }

    /// Waits for every batch submitted.
    pub(crate) fn finish(&mut self) -> Result<(), IngestError> {
        self.batches = None;
        let Some(stage) = self.stage.take() else {
            return Ok(());
        };
        self.written = stage
            .join()
            .map_err(|_| IngestError::Task("the writer thread failed".into()))??;
        Ok(())
    }
}

impl Drop for BatchWriter {
    /// An import that stops early (a read error) still waits for what it
    /// handed to the store, so nothing writes after it returns.
    fn drop(&mut self) {
        let _ = self.finish();
    }
}
