use std::path::PathBuf;

/// Why MISP input could not be read, or STIX could not be written as MISP.
/// Each variant says where: a JSON path such as
/// `$.response[0].Event.Attribute[3].uuid`, a file, or both.
#[derive(Debug, thiserror::Error)]
pub enum MispError {
    /// The bytes are not JSON (or have duplicate keys, or nest too deep).
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Json {
        /// 1-based line of the fault.
        line: usize,
        /// 1-based column of the fault.
        column: usize,
        /// What the JSON reader found.
        message: String,
    },
    /// The JSON is not the shape MISP gives it.
    #[error("{path}: {message}")]
    Shape {
        /// JSON path of the offending value.
        path: String,
        /// The rule broken, in words.
        message: String,
    },
    /// A file of a MISP feed directory could not be read.
    #[error("{}: {source}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// A file of a MISP feed directory holds bad input.
    #[error("{}: {source}", file.display())]
    InFile {
        /// The file.
        file: PathBuf,
        /// What is wrong inside it.
        source: Box<MispError>,
    },
}

impl MispError {
    pub(crate) fn shape(path: impl Into<String>, message: impl Into<String>) -> MispError {
        MispError::Shape {
            path: path.into(),
            message: message.into(),
        }
    }
}
