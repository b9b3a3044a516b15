//! The worker against a real `nats-server -js` on a loopback port and a
//! real embedded store: hits published with their sequence and indicator
//! before the ack, unreadable messages terminated and counted, messages a
//! vanished worker held redelivered, the index following the store.

#[path = "jetstream/nats_server.rs"]
mod nats_server;
#[path = "jetstream/server.rs"]
mod server;
#[path = "jetstream/worker.rs"]
mod worker;
