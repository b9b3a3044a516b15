use concord_store::StoreError;

/// Why a worker could not start or go on.
#[derive(Debug, thiserror::Error)]
pub enum JetStreamError {
    /// A setting is unusable (an empty name, a zero batch...).
    #[error("setting {setting}: {reason}")]
    Setting {
        /// The setting (`stream`, `durable`, `batch`...).
        setting: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The NATS server could not be reached.
    #[error("connecting to NATS at {url}: {reason}")]
    Connect {
        /// The server URL given.
        url: String,
        /// The client's reason.
        reason: String,
    },
    /// The stream does not exist or could not be read: workers bind to a
    /// stream an operator created, they never create one.
    #[error("JetStream stream {stream:?}: {reason}")]
    Stream {
        /// The stream's name.
        stream: String,
        /// The server's or client's reason.
        reason: String,
    },
    /// The durable consumer could not be created or bound, or exists with
    /// another filter subject or ack policy.
    #[error("JetStream consumer {durable:?} on stream {stream:?}: {reason}")]
    Consumer {
        /// The stream's name.
        stream: String,
        /// The durable consumer's name.
        durable: String,
        /// The reason.
        reason: String,
    },
    /// Pulling a batch failed in a way retrying did not cure.
    #[error("pulling from consumer {durable:?}: {reason}")]
    Pull {
        /// The durable consumer's name.
        durable: String,
        /// The reason.
        reason: String,
    },
    /// The store could not give the active indicators.
    #[error("loading the active indicators: {0}")]
    Store(#[from] StoreError),
}
