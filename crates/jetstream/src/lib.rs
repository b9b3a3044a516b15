//! Matching events across many machines on NATS JetStream: the worker
//! behind `concord match --nats`.
//!
//! What it is for: any number of workers, on any number of boxes, share
//! one durable pull consumer of an existing stream of events. Each worker
//! pulls batches, reads each message's body as one event (a JSON object,
//! with the field mapping `concord match` uses for JSON lines: the readers
//! of `concord-matcher`), matches it against the node's active indicators,
//! publishes one JSON record per hit (`seq`: the event message's stream
//! sequence, `indicator`: the STIX id, the observable that hit...) and acks
//! the message only once its hits are out. The guarantee is at-least-once:
//! a worker killed at any point loses nothing, since the server redelivers
//! every message it did not ack (after the consumer's ack wait) to the
//! others; a redelivered message that had been matched but not acked gives
//! its hits a second time, which is the rare duplicate.
//!
//! Hits are published with a JetStream acknowledgement when a stream
//! captures the hits subject (the hit is stored before the event is
//! acked), else as core NATS messages on the same connection as the acks,
//! flushed before them: the server reads them in order, so an ack it saw
//! comes after the hits it saw.
//!
//! The index follows the node's store without a restart: a watcher asks
//! the store every so often whether an indicator row newer than the index
//! exists and, if so (or when the index grows old, as validity windows
//! move), builds a new one in the background and swaps it in.
//!
//! What it must never do: ack a message before its hits are published,
//! create or change the stream (it binds to one an operator made), crash
//! or stall on a message it cannot read (it is terminated and counted),
//! print, read the environment or configuration.

mod error;
mod hit;
mod watch;
mod worker;

pub use error::JetStreamError;
pub use hit::hit_record;
pub use watch::IndexWatch;
pub use worker::{Counters, Settings, Sightings, Totals, Worker};
