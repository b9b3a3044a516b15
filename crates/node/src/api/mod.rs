//! The node's own HTTP API beside TAXII (`/api/v1/…`), served by
//! `concord serve` on the same listener. Handlers translate HTTP into calls
//! on the library crates; authentication is TAXII's (Basic or bearer token).

pub mod community;
pub mod events;
pub mod incidents;
pub mod matching;
