//! Matching a whole input (a log file, a pipe) on several cores, with the
//! results in input order.
//!
//! The calling thread reads the input in large blocks of whole lines
//! ([`BlockReader`]) and hands them to `threads` workers, which read and
//! match their lines; each finished block is handed to the caller's sink
//! in input order, so the output is the same as a reading line by line.
//!
//! What one line means can depend on the lines before it: a Zeek header
//! sets up the data lines after it. Only lines starting with `#` change a
//! [`LogReader`] (see `LogReader::read`), so the reading thread cuts blocks
//! at those lines, keeps its own reader up to date with them, and sends
//! each piece with a copy of the reader as it stands there: every line is
//! read in the state a sequential reading would have.
//!
//! At most `2 × threads + 2` blocks are in flight, so memory stays flat
//! whatever the input size.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::ops::Range;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, mpsc};

use crate::blocks::{BlockReader, lines};
use crate::error::MatcherError;
use crate::index::{Hit, Index, Scratch};
use crate::observable::Observable;
use crate::reader::{LineKind, LogReader};

/// One event line that hit indicators, as the emitter sees it.
pub struct EventHits<'a> {
    /// The 1-based line number in the input.
    pub line_no: u64,
    /// The line, without its line break.
    pub line: &'a str,
    /// The event's observables ([`Hit::observable`] indexes them).
    pub observables: &'a [Observable],
    /// The indicators hit, one hit per indicator.
    pub hits: &'a [Hit],
}

/// What one piece of the input gave, handed to the sink in input order.
pub struct Piece<T> {
    /// The number of the piece's first line.
    pub first_line: u64,
    /// Event lines read (lines that were no event or could not be read
    /// not counted).
    pub events: u64,
    /// The lines that could not be read, in order.
    pub errors: Vec<MatcherError>,
    /// What the emitter made of the piece's hits.
    pub emitted: T,
}

/// How an input is read and matched.
#[derive(Debug, Clone)]
pub struct StreamOptions {
    /// Worker threads (at least 1; 1 reads and matches on the calling
    /// thread).
    pub threads: usize,
    /// The block size in bytes (several MB for files).
    pub block_size: usize,
}

/// A piece of a block, with the reader state its lines are read in.
struct Work {
    seq: u64,
    bytes: Arc<Vec<u8>>,
    range: Range<usize>,
    first_line: u64,
    reader: LogReader,
}

/// Reads and matches one piece; `emit` is called for each event with hits.
fn read_piece<T: Default>(
    index: &Index,
    file: &str,
    work: Work,
    emit: &(impl Fn(&EventHits<'_>, &mut T) + Sync),
) -> Piece<T> {
    let Work {
        bytes,
        range,
        first_line,
        mut reader,
        ..
    } = work;
    let mut piece = Piece {
        first_line,
        events: 0,
        errors: Vec::new(),
        emitted: T::default(),
    };
    let mut scratch = Scratch::default();
    let mut observables = Vec::new();
    let mut hits = Vec::new();
    for (line_no, raw) in lines(&bytes[range], first_line) {
        let Ok(line) = std::str::from_utf8(raw) else {
            piece.errors.push(MatcherError::Event {
                file: file.to_string(),
                line: line_no,
                // What a line-by-line reading (`BufRead::lines`) says.
                reason: "stream did not contain valid UTF-8".into(),
            });
            continue;
        };
        observables.clear();
        match reader.read(line, file, line_no, &mut observables) {
            Ok(LineKind::Event) => {}
            Ok(LineKind::Skipped) => continue,
            Err(e) => {
                piece.errors.push(e);
                continue;
            }
        }
        piece.events += 1;
        hits.clear();
        index.match_event(&observables, &mut scratch, &mut hits);
        if !hits.is_empty() {
            emit(
                &EventHits {
                    line_no,
                    line,
                    observables: &observables,
                    hits: &hits,
                },
                &mut piece.emitted,
            );
        }
    }
    piece
}

/// Cuts a block into pieces at the lines that change the reader, which
/// `master` reads as it goes; `send` gets each piece.
fn cut(
    block: crate::blocks::Block,
    file: &str,
    master: &mut LogReader,
    seq: &mut u64,
    mut send: impl FnMut(Work) -> io::Result<()>,
) -> io::Result<()> {
    let bytes = Arc::new(block.bytes);
    let mut start = 0;
    let mut start_line = block.first_line;
    let mut line_no = block.first_line;
    let mut pos = 0;
    // Line starts that may change the reader: '#' lines, and line 1 (a
    // byte-order mark before its '#').
    let mut marks = Vec::new();
    if bytes.first() == Some(&b'#') || block.first_line == 1 {
        marks.push(0);
    }
    marks.extend(memchr::memmem::find_iter(&bytes, b"\n#").map(|p| p + 1));
    for m in marks {
        line_no += memchr::memchr_iter(b'\n', &bytes[pos..m]).count() as u64;
        pos = m;
        let end = memchr::memchr(b'\n', &bytes[m..]).map_or(bytes.len(), |e| m + e + 1);
        if m > start {
            send(Work {
                seq: *seq,
                bytes: bytes.clone(),
                range: start..m,
                first_line: start_line,
                reader: master.clone(),
            })?;
            *seq += 1;
        }
        send(Work {
            seq: *seq,
            bytes: bytes.clone(),
            range: m..end,
            first_line: line_no,
            reader: master.clone(),
        })?;
        *seq += 1;
        if let Ok(text) = std::str::from_utf8(&bytes[m..end]) {
            let text = text.strip_suffix('\n').unwrap_or(text);
            // Only the state change counts here; the piece reports the line.
            let _ = master.read(text, file, line_no, &mut Vec::new());
        }
        start = end;
        start_line = line_no + 1;
    }
    if start < bytes.len() {
        send(Work {
            seq: *seq,
            range: start..bytes.len(),
            bytes,
            first_line: start_line,
            reader: master.clone(),
        })?;
        *seq += 1;
    }
    Ok(())
}

/// The pieces finished out of order, waiting for their turn.
struct Reorder<T, S> {
    next: u64,
    waiting: BTreeMap<u64, Piece<T>>,
    in_flight: usize,
    sink: S,
    failed: Option<io::Error>,
}

/// A poisoned lock (a panicking emitter) still guards consistent data:
/// every update under it is complete before anything can panic.
fn lock<X>(m: &Mutex<X>) -> MutexGuard<'_, X> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Reads `input` (named `file` in errors) with `reader`, matches each event
/// against `index` on `options.threads` threads, and hands each piece's
/// results to `sink` in input order. `emit` turns an event's hits into the
/// piece's output `T`. Stops at the first read error of the input or the
/// first error of the sink, and returns it.
pub fn match_stream<R, T, E, S>(
    index: &Index,
    input: R,
    file: &str,
    reader: LogReader,
    options: &StreamOptions,
    emit: E,
    mut sink: S,
) -> io::Result<()>
where
    R: Read,
    T: Default + Send,
    E: Fn(&EventHits<'_>, &mut T) + Sync,
    S: FnMut(Piece<T>) -> io::Result<()> + Send,
{
    let mut blocks = BlockReader::new(input, options.block_size);
    let mut master = reader;
    let mut seq = 0;
    if options.threads <= 1 {
        while let Some(block) = blocks.next_block()? {
            cut(block, file, &mut master, &mut seq, |w| {
                sink(read_piece(index, file, w, &emit))
            })?;
        }
        return Ok(());
    }
    let limit = 2 * options.threads + 2;
    let order = Mutex::new(Reorder {
        next: 0,
        waiting: BTreeMap::new(),
        in_flight: 0,
        sink,
        failed: None,
    });
    let turn = Condvar::new();
    let (tx, rx) = mpsc::sync_channel::<Work>(limit);
    let rx = Mutex::new(rx);
    std::thread::scope(|scope| {
        for _ in 0..options.threads {
            scope.spawn(|| {
                loop {
                    let work = match lock(&rx).recv() {
                        Ok(w) => w,
                        Err(_) => return,
                    };
                    let seq = work.seq;
                    let piece = read_piece(index, file, work, &emit);
                    let mut o = lock(&order);
                    o.waiting.insert(seq, piece);
                    loop {
                        let next = o.next;
                        let Some(p) = o.waiting.remove(&next) else {
                            break;
                        };
                        o.next += 1;
                        o.in_flight -= 1;
                        if o.failed.is_none()
                            && let Err(e) = (o.sink)(p)
                        {
                            o.failed = Some(e);
                        }
                    }
                    drop(o);
                    turn.notify_all();
                }
            });
        }
        let mut read = || -> io::Result<()> {
            while let Some(block) = blocks.next_block()? {
                cut(block, file, &mut master, &mut seq, |w| {
                    let mut o = lock(&order);
                    while o.in_flight >= limit && o.failed.is_none() {
                        o = turn.wait(o).unwrap_or_else(|p| p.into_inner());
                    }
                    if let Some(e) = &o.failed {
                        return Err(io::Error::new(e.kind(), e.to_string()));
                    }
                    o.in_flight += 1;
                    drop(o);
                    tx.send(w)
                        .map_err(|_| io::Error::other("the matching threads stopped"))
                })?;
            }
            Ok(())
        };
        let result = read();
        drop(tx);
        result
    })?;
    let o = order.into_inner().unwrap_or_else(|p| p.into_inner());
    match o.failed {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reader::Format;
    use serde_json::json;

    fn index() -> Index {
        let indicators: Vec<_> = (0..50u32)
            .map(|i| {
                json!({"type": "indicator", "id": format!("indicator--00000000-0000-4000-8000-{i:012}"),
                       "pattern": format!("[ipv4-addr:value = '192.0.2.{i}']"), "pattern_type": "stix"})
            })
            .collect();
        Index::build(&indicators, None).0
    }

    /// (line, indicator slot) of every hit, in output order, and the
    /// errors' lines.
    fn run(
        index: &Index,
        data: &[u8],
        format: Option<Format>,
        threads: usize,
        block_size: usize,
    ) -> (Vec<(u64, u32)>, Vec<u64>, u64) {
        let mut out = Vec::new();
        let mut errors = Vec::new();
        let mut events = 0;
        match_stream(
            index,
            data,
            "t",
            LogReader::new(format, Vec::new()),
            &StreamOptions {
                threads,
                block_size,
            },
            |e: &EventHits<'_>, t: &mut Vec<(u64, u32)>| {
                t.extend(e.hits.iter().map(|h| (e.line_no, h.slot)));
            },
            |p: Piece<Vec<(u64, u32)>>| {
                out.extend(p.emitted);
                events += p.events;
                errors.extend(p.errors.iter().map(|e| match e {
                    MatcherError::Event { line, .. } => *line,
                    _ => 0,
                }));
                Ok(())
            },
        )
        .unwrap();
        (out, errors, events)
    }

    #[test]
    fn many_threads_keep_input_order() {
        let index = index();
        let mut data = String::new();
        for i in 0..5000u32 {
            match i % 7 {
                0 => data.push_str("{not json\n"),
                1 => data.push('\n'),
                _ => data.push_str(&format!(
                    "{{\"src_ip\":\"192.0.2.{}\",\"dst_ip\":\"192.0.2.{}\"}}\n",
                    i % 50,
                    (i + 1) % 60
                )),
            }
        }
        let single = run(&index, data.as_bytes(), None, 1, 1 << 20);
        assert!(single.0.len() > 5000, "{}", single.0.len());
        assert!(single.0.windows(2).all(|w| w[0].0 <= w[1].0));
        for threads in [2, 3, 8] {
            for block in [1, 100, 4096] {
                assert_eq!(
                    run(&index, data.as_bytes(), None, threads, block),
                    single,
                    "{threads} threads, blocks of {block}"
                );
            }
        }
    }

    #[test]
    fn zeek_headers_set_up_the_lines_after_them_in_every_block() {
        let index = index();
        let header =
            "#separator \\x09\n#fields\tts\tid.orig_h\tid.resp_h\n#types\ttime\taddr\taddr\n";
        let mut data = String::from("\u{feff}");
        for part in 0..4 {
            data.push_str(header);
            for i in 0..300u32 {
                data.push_str(&format!("1.0\t10.0.0.{part}\t192.0.2.{}\n", i % 50));
            }
            data.push_str("#close\tx\n");
        }
        let single = run(&index, data.as_bytes(), None, 1, 1 << 20);
        assert_eq!(single.0.len(), 1200);
        assert!(single.1.is_empty(), "{:?}", single.1);
        for threads in [1, 2, 4] {
            for block in [1, 64, 1000] {
                assert_eq!(run(&index, data.as_bytes(), None, threads, block), single);
                assert_eq!(
                    run(
                        &index,
                        data.as_bytes(),
                        Some(Format::ZeekTsv),
                        threads,
                        block
                    ),
                    single
                );
            }
        }
    }

    #[test]
    fn a_failing_sink_stops_the_run() {
        let index = index();
        let data = "{\"src_ip\":\"192.0.2.1\"}\n".repeat(10_000);
        for threads in [1, 2] {
            let result = match_stream(
                &index,
                data.as_bytes(),
                "t",
                LogReader::new(None, Vec::new()),
                &StreamOptions {
                    threads,
                    block_size: 64,
                },
                |_: &EventHits<'_>, _: &mut ()| {},
                |_: Piece<()>| Err(io::Error::other("closed")),
            );
            assert_eq!(result.unwrap_err().to_string(), "closed");
        }
    }

    #[test]
    fn bad_utf8_is_an_error_of_its_line() {
        let index = index();
        let data = b"{\"src_ip\":\"192.0.2.1\"}\n\xff\xfe\n{\"src_ip\":\"192.0.2.2\"}";
        for threads in [1, 2] {
            let (hits, errors, events) = run(&index, data, None, threads, 8);
            assert_eq!(hits.iter().map(|h| h.0).collect::<Vec<_>>(), [1, 3]);
            assert_eq!(errors, [2]);
            assert_eq!(events, 2);
        }
    }
}
