//! Streaming reader of STIX input: bundles, JSON arrays of objects, single
//! objects and JSON lines, in any mix, from any `Read`.
//!
//! Why a hand-written scanner instead of a serde visitor: the reader must
//! never hold a whole file (bundles of millions of objects), must hand each
//! object's exact bytes to parallel parsers, must survive one oversized
//! object without losing the rest, and must say where a syntax error is. It
//! only finds the boundaries of values (strings, escapes, nesting); the
//! strict JSON parse of each object happens in `json::parse_object`.
//!
//! A top-level object is a bundle when its `objects` member is an array and
//! its `type` (if seen before `objects`) is "bundle"; the members are then
//! streamed one by one and the envelope is checked at its end.

use std::io::Read;

/// Default largest accepted object: larger ones are skipped with an error.
pub const DEFAULT_MAX_OBJECT_BYTES: usize = 16 * 1024 * 1024;

const BUF_SIZE: usize = 256 * 1024;

/// Where an object stood in its input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// 0-based position among all objects read from this input.
    pub index: usize,
    /// 1-based line where the object starts.
    pub line: usize,
    /// A JSON path: `$.objects[12]` in a bundle, `$[3]` in an array,
    /// `$` for a lone object (JSON lines name the line instead).
    pub path: String,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (line {})", self.path, self.line)
    }
}

/// The bytes of one object and where it was.
#[derive(Debug, Clone)]
pub struct RawObject {
    /// Where the object stood in the input.
    pub location: Location,
    /// The object's exact bytes as they arrived, from `{` to `}`; not yet
    /// parsed (`json::parse_object` does that).
    pub bytes: Vec<u8>,
}

/// What went wrong while reading.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The input is not JSON here; reading cannot go on past it.
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line of the offending byte.
        line: usize,
        /// 1-based column of the offending byte, counted in bytes.
        column: usize,
        /// What the scanner expected or found.
        message: String,
    },
    /// One object is larger than the limit; it was skipped, reading goes on.
    #[error("{location}: object of {size} bytes or more exceeds the {limit}-byte limit; skipped")]
    Oversize {
        /// Where the skipped object stood.
        location: Location,
        /// The object's size in bytes (it is scanned to its end to be skipped).
        size: usize,
        /// The limit in force, in bytes.
        limit: usize,
    },
    /// The bundle envelope itself is wrong (for example its type is not "bundle").
    #[error("bundle envelope at line {line}: {message}")]
    Envelope {
        /// 1-based line where the bundle starts.
        line: usize,
        /// Which envelope rule was broken.
        message: String,
    },
    /// The underlying reader failed (its error, as text); reading stops.
    #[error("reading input failed: {0}")]
    Io(String),
}

impl ReadError {
    /// Whether reading stops after this error.
    pub fn is_fatal(&self) -> bool {
        matches!(self, ReadError::Syntax { .. } | ReadError::Io(_))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArrayKind {
    Bundle,
    Plain,
}

#[derive(Debug)]
struct BundleScan {
    /// The envelope as seen so far, without the objects array.
    envelope: Vec<u8>,
    members: usize,
    type_value: Option<String>,
    streamed: bool,
    start_line: usize,
}

#[derive(Debug)]
enum Mode {
    Array {
        kind: ArrayKind,
        index: usize,
        expect_value: bool,
    },
    Object(BundleScan),
}

/// An iterator of objects (or errors) over one input.
pub struct BundleReader<R> {
    src: R,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    eof: bool,
    line: usize,
    line_start: u64,
    consumed: u64,
    max_object: usize,
    stack: Vec<Mode>,
    top_values: usize,
    count: usize,
    done: bool,
}

enum Scanned {
    Bytes(Vec<u8>),
    TooLarge(usize),
}

impl<R: Read> BundleReader<R> {
    /// A reader of `src` that skips objects larger than
    /// [`DEFAULT_MAX_OBJECT_BYTES`].
    pub fn new(src: R) -> Self {
        Self::with_limit(src, DEFAULT_MAX_OBJECT_BYTES)
    }

    /// A reader of `src` that skips (with [`ReadError::Oversize`]) objects
    /// larger than `max_object` bytes; buffering stays bounded by that limit.
    pub fn with_limit(src: R, max_object: usize) -> Self {
        BundleReader {
            src,
            buf: vec![0; BUF_SIZE],
            pos: 0,
            len: 0,
            eof: false,
            line: 1,
            line_start: 0,
            consumed: 0,
            max_object,
            stack: Vec::new(),
            top_values: 0,
            count: 0,
            done: false,
        }
    }

    /// Bytes read so far (for progress bars).
    pub fn bytes_read(&self) -> u64 {
        self.consumed
    }

    fn fill(&mut self) -> Result<bool, ReadError> {
        if self.pos < self.len {
            return Ok(true);
        }
        if self.eof {
            return Ok(false);
        }
        loop {
            match self.src.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.pos = 0;
                    self.len = n;
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(ReadError::Io(e.to_string())),
            }
        }
    }

    /// Moves past `n` buffered bytes, keeping line and column counts.
    fn advance(&mut self, n: usize) {
        let slice = &self.buf[self.pos..self.pos + n];
        let mut at = 0;
        while let Some(i) = slice[at..].iter().position(|&c| c == b'\n') {
            self.line += 1;
            self.line_start = self.consumed + (at + i + 1) as u64;
            at += i + 1;
        }
        self.pos += n;
        self.consumed += n as u64;
    }

    fn column(&self) -> usize {
        (self.consumed - self.line_start) as usize + 1
    }

    fn syntax(&self, message: impl Into<String>) -> ReadError {
        ReadError::Syntax {
            line: self.line,
            column: self.column(),
            message: message.into(),
        }
    }

    /// Skips white space; returns the next byte without consuming it.
    fn peek_non_ws(&mut self) -> Result<Option<u8>, ReadError> {
        loop {
            if !self.fill()? {
                return Ok(None);
            }
            let chunk = &self.buf[self.pos..self.len];
            match chunk
                .iter()
                .position(|&c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
            {
                Some(i) => {
                    self.advance(i);
                    return Ok(Some(self.buf[self.pos]));
                }
                None => {
                    let n = chunk.len();
                    self.advance(n);
                }
            }
        }
    }

    fn expect_byte(&mut self, want: u8) -> Result<(), ReadError> {
        match self.peek_non_ws()? {
            Some(c) if c == want => {
                self.advance(1);
                Ok(())
            }
            Some(c) => Err(self.syntax(format!(
                "expected '{}', found '{}'",
                want as char,
                c.escape_ascii()
            ))),
            None => Err(self.syntax(format!("input ends where '{}' was expected", want as char))),
        }
    }

    /// Scans one whole JSON value starting at the current byte (which is not
    /// white space). Keeps its bytes unless it grows past `limit`.
    fn scan_value(&mut self, limit: usize) -> Result<Scanned, ReadError> {
        let mut out: Vec<u8> = Vec::new();
        let mut size = 0usize;
        let mut too_large = false;
        let mut depth = 0usize;
        let mut in_str = false;
        let mut esc = false;
        let mut started = false;
        let mut scalar = false;
        let start_line = self.line;
        loop {
            if !self.fill()? {
                if started && scalar && !in_str {
                    break;
                }
                return Err(ReadError::Syntax {
                    line: self.line,
                    column: self.column(),
                    message: format!("input ends inside a value that starts at line {start_line}"),
                });
            }
            let chunk = &self.buf[self.pos..self.len];
            let mut end: Option<usize> = None;
            let mut i = 0;
            while i < chunk.len() {
                let c = chunk[i];
                if !started {
                    started = true;
                    match c {
                        b'"' => in_str = true,
                        b'{' | b'[' => depth = 1,
                        _ => scalar = true,
                    }
                    i += 1;
                    continue;
                }
                if in_str {
                    if esc {
                        esc = false;
                    } else if c == b'\\' {
                        esc = true;
                    } else if c == b'"' {
                        in_str = false;
                        if depth == 0 {
                            end = Some(i + 1);
                            break;
                        }
                    }
                } else if scalar {
                    if matches!(c, b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r') {
                        end = Some(i);
                        break;
                    }
                } else {
                    match c {
                        b'"' => in_str = true,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                end = Some(i + 1);
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                i += 1;
            }
            let take = end.unwrap_or(chunk.len());
            size += take;
            if !too_large {
                if size > limit {
                    too_large = true;
                    out = Vec::new();
                } else {
                    out.extend_from_slice(&chunk[..take]);
                }
            }
            self.advance(take);
            if end.is_some() {
                break;
            }
        }
        if too_large {
            Ok(Scanned::TooLarge(size))
        } else {
            Ok(Scanned::Bytes(out))
        }
    }

    fn location(&self, kind: Option<ArrayKind>, index: usize, line: usize) -> Location {
        let path = match kind {
            Some(ArrayKind::Bundle) => format!("$.objects[{index}]"),
            Some(ArrayKind::Plain) => format!("$[{index}]"),
            None if self.top_values > 1 => format!("$ (value {})", self.top_values),
            None => "$".to_string(),
        };
        Location {
            index: self.count,
            line,
            path,
        }
    }

    fn emit(
        &mut self,
        scanned: Scanned,
        kind: Option<ArrayKind>,
        index: usize,
        line: usize,
    ) -> Result<RawObject, ReadError> {
        let location = self.location(kind, index, line);
        self.count += 1;
        match scanned {
            Scanned::Bytes(bytes) => Ok(RawObject { location, bytes }),
            Scanned::TooLarge(size) => Err(ReadError::Oversize {
                location,
                size,
                limit: self.max_object,
            }),
        }
    }

    fn step(&mut self) -> Result<Option<RawObject>, ReadError> {
        loop {
            match self.stack.last_mut() {
                None => {
                    let Some(c) = self.peek_non_ws()? else {
                        return Ok(None);
                    };
                    self.top_values += 1;
                    match c {
                        b'[' => {
                            self.advance(1);
                            self.stack.push(Mode::Array {
                                kind: ArrayKind::Plain,
                                index: 0,
                                expect_value: false,
                            });
                        }
                        b'{' => {
                            let start_line = self.line;
                            self.advance(1);
                            self.stack.push(Mode::Object(BundleScan {
                                envelope: b"{".to_vec(),
                                members: 0,
                                type_value: None,
                                streamed: false,
                                start_line,
                            }));
                        }
                        other => {
                            return Err(self.syntax(format!(
                                "expected a STIX object, an array of objects or a bundle, found '{}'",
                                other.escape_ascii()
                            )));
                        }
                    }
                }
                Some(Mode::Array {
                    kind,
                    index,
                    expect_value,
                }) => {
                    let (kind, idx, must_value) = (*kind, *index, *expect_value);
                    let Some(c) = self.peek_non_ws()? else {
                        return Err(self.syntax("input ends inside an array of objects"));
                    };
                    if c == b']' && !must_value {
                        self.advance(1);
                        self.stack.pop();
                        continue;
                    }
                    if idx > 0 && !must_value {
                        if c != b',' {
                            return Err(self.syntax(format!(
                                "expected ',' or ']' after an object, found '{}'",
                                c.escape_ascii()
                            )));
                        }
                        self.advance(1);
                        if let Some(Mode::Array { expect_value, .. }) = self.stack.last_mut() {
                            *expect_value = true;
                        }
                        continue;
                    }
                    if c == b']' || c == b',' {
                        return Err(self.syntax(format!("expected a value, found '{}'", c as char)));
                    }
                    let line = self.line;
                    let scanned = self.scan_value(self.max_object)?;
                    if let Some(Mode::Array {
                        index,
                        expect_value,
                        ..
                    }) = self.stack.last_mut()
                    {
                        *index += 1;
                        *expect_value = false;
                    }
                    return self.emit(scanned, Some(kind), idx, line).map(Some);
                }
                Some(Mode::Object(_)) => {
                    if let Some(item) = self.step_object()? {
                        return Ok(Some(item));
                    }
                }
            }
        }
    }

    /// Reads the next member of a top-level object, or its end. Returns an
    /// object when the top-level object turned out to be a lone object.
    fn step_object(&mut self) -> Result<Option<RawObject>, ReadError> {
        let members = match self.stack.last() {
            Some(Mode::Object(scan)) => scan.members,
            _ => return Ok(None),
        };
        let Some(c) = self.peek_non_ws()? else {
            return Err(self.syntax("input ends inside an object"));
        };
        if c == b'}' {
            self.advance(1);
            let Some(Mode::Object(mut scan)) = self.stack.pop() else {
                return Ok(None);
            };
            scan.envelope.push(b'}');
            return self.finish_object(scan);
        }
        if members > 0 {
            if c != b',' {
                return Err(self.syntax(format!(
                    "expected ',' or '}}' between members, found '{}'",
                    c.escape_ascii()
                )));
            }
            self.advance(1);
            if self.peek_non_ws()? != Some(b'"') {
                return Err(self.syntax("expected a member name after ','"));
            }
        } else if c != b'"' {
            return Err(self.syntax(format!(
                "expected a member name, found '{}'",
                c.escape_ascii()
            )));
        }
        let key_bytes = match self.scan_value(4096)? {
            Scanned::Bytes(b) => b,
            Scanned::TooLarge(_) => return Err(self.syntax("member name longer than 4096 bytes")),
        };
        let key: String = serde_json::from_slice(&key_bytes)
            .map_err(|e| self.syntax(format!("bad member name: {e}")))?;
        self.expect_byte(b':')?;
        let Some(vc) = self.peek_non_ws()? else {
            return Err(self.syntax("input ends where a value was expected"));
        };
        let Some(Mode::Object(scan)) = self.stack.last_mut() else {
            return Ok(None);
        };
        let may_be_bundle = scan.type_value.as_deref().is_none_or(|t| t == "bundle");
        if key == "objects" && vc == b'[' && may_be_bundle && !scan.streamed {
            scan.streamed = true;
            if scan.members > 0 {
                scan.envelope.push(b',');
            }
            scan.envelope.extend_from_slice(b"\"objects\":[]");
            scan.members += 1;
            self.advance(1);
            self.stack.push(Mode::Array {
                kind: ArrayKind::Bundle,
                index: 0,
                expect_value: false,
            });
            return Ok(None);
        }
        let limit = self.max_object;
        let line = self.line;
        let value = match self.scan_value(limit)? {
            Scanned::Bytes(b) => b,
            Scanned::TooLarge(size) => {
                let location = self.location(None, 0, line);
                self.count += 1;
                // The lone object (or envelope) is too large: skip the rest of it.
                self.skip_rest_of_object()?;
                return Err(ReadError::Oversize {
                    location,
                    size,
                    limit,
                });
            }
        };
        let Some(Mode::Object(scan)) = self.stack.last_mut() else {
            return Ok(None);
        };
        if key == "type" {
            scan.type_value = serde_json::from_slice::<String>(&value).ok();
        }
        if scan.members > 0 {
            scan.envelope.push(b',');
        }
        scan.envelope.extend_from_slice(&key_bytes);
        scan.envelope.push(b':');
        scan.envelope.extend_from_slice(&value);
        scan.members += 1;
        if scan.envelope.len() > limit {
            let location = self.location(None, 0, line);
            self.count += 1;
            self.skip_rest_of_object()?;
            return Err(ReadError::Oversize {
                location,
                size: limit + 1,
                limit,
            });
        }
        Ok(None)
    }

    /// After an oversized member, consume the remaining members of the
    /// top-level object so reading can go on with the next top-level value.
    fn skip_rest_of_object(&mut self) -> Result<(), ReadError> {
        self.stack.pop();
        loop {
            let Some(c) = self.peek_non_ws()? else {
                return Err(self.syntax("input ends inside an object"));
            };
            match c {
                b'}' => {
                    self.advance(1);
                    return Ok(());
                }
                b',' | b':' => self.advance(1),
                _ => {
                    self.scan_value(0)?;
                }
            }
        }
    }

    fn finish_object(&mut self, scan: BundleScan) -> Result<Option<RawObject>, ReadError> {
        let is_bundle = scan.type_value.as_deref() == Some("bundle");
        if scan.streamed && !is_bundle {
            return Err(ReadError::Envelope {
                line: scan.start_line,
                message: format!(
                    "an object with an 'objects' array must be a bundle, but its type is {:?}",
                    scan.type_value.unwrap_or_default()
                ),
            });
        }
        if is_bundle {
            // Only the envelope's own JSON is checked here; objects are checked one by one.
            return match crate::json::parse_object(&scan.envelope) {
                Err(e) => Err(ReadError::Envelope {
                    line: scan.start_line,
                    message: e.message,
                }),
                Ok(m) if !scan.streamed && m.contains_key("objects") => Err(ReadError::Envelope {
                    line: scan.start_line,
                    message: "the bundle's 'objects' must be an array".into(),
                }),
                Ok(_) => Ok(None),
            };
        }
        let line = scan.start_line;
        let location = self.location(None, 0, line);
        self.count += 1;
        Ok(Some(RawObject {
            location,
            bytes: scan.envelope,
        }))
    }
}

impl<R: Read> Iterator for BundleReader<R> {
    type Item = Result<RawObject, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.step() {
            Ok(Some(o)) => Some(Ok(o)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                if e.is_fatal() {
                    self.done = true;
                }
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests;
