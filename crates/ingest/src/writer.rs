//! Batched writes: while the store commits one batch, the next is filled,
//! and PostgreSQL works on two at once.

use std::collections::VecDeque;

use concord_store::{AnyStore, BatchOutcome, PreparedObject, Store};
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

use crate::IngestError;

/// Objects per write transaction. SQLite has one writer, so large batches
/// (measured: +25% at 1M objects over 8,192) amortise its commit; PostgreSQL
/// works on two batches at once, and smaller ones keep both busy.
pub(crate) fn batch_size(store: &AnyStore) -> usize {
    match store {
        AnyStore::Sqlite(_) => 16_384,
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
    rt: Handle,
    store: AnyStore,
    collection: String,
    in_flight: VecDeque<JoinHandle<concord_store::Result<BatchOutcome>>>,
    pub written: Written,
}

impl BatchWriter {
    pub(crate) fn new(rt: Handle, store: AnyStore, collection: &str) -> BatchWriter {
        BatchWriter {
            rt,
            store,
            collection: collection.to_string(),
            in_flight: VecDeque::new(),
            written: Written::default(),
        }
    }

    pub(crate) fn submit(&mut self, batch: Vec<PreparedObject>) -> Result<(), IngestError> {
        if batch.is_empty() {
            return Ok(());
        }
        while self.in_flight.len() >= max_in_flight(&self.store) {
            self.settle_one()?;
        }
        let store = self.store.clone();
        let collection = self.collection.clone();
        self.in_flight.push_back(
            self.rt
                .spawn(async move { store.put_batch(&collection, batch).await }),
        );
        Ok(())
    }

    fn settle_one(&mut self) -> Result<(), IngestError> {
        let Some(task) = self.in_flight.pop_front() else {
            return Ok(());
        };
        let out = self
            .rt
            .block_on(task)
            .map_err(|e| IngestError::Task(e.to_string()))?
            .map_err(|source| IngestError::Write {
                collection: self.collection.clone(),
                source,
            })?;
        self.written.stored += out.inserted as u64;
        self.written.duplicates += out.duplicates as u64;
        Ok(())
    }

    /// Waits for every batch submitted.
    pub(crate) fn finish(&mut self) -> Result<(), IngestError> {
        while !self.in_flight.is_empty() {
            self.settle_one()?;
        }
        Ok(())
    }
}
