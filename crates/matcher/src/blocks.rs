//! Input cut into large blocks of whole lines, so that blocks can be read
//! on several cores at once.
//!
//! A block ends after a line break, except the last one of the input when
//! the input does not end with one. A line longer than the block size makes
//! its block longer: a line is never cut. Each block knows the number of
//! its first line, so that hits carry the same line numbers as a reading
//! line by line. Line breaks are `\n`; a `\r` before it stays in the line
//! (the readers ignore it).

use std::io::{self, Read};

/// A run of whole lines of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The lines, each ended by `\n` except maybe the last one of the input.
    pub bytes: Vec<u8>,
    /// The 1-based number of the block's first line in the input.
    pub first_line: u64,
}

impl Block {
    /// The block's lines, without their `\n`, each with its number.
    pub fn lines(&self) -> impl Iterator<Item = (u64, &[u8])> {
        lines(&self.bytes, self.first_line)
    }
}

/// The lines of `bytes` (without their `\n`) numbered from `first`; a final
/// `\n` does not start another line.
pub(crate) fn lines(bytes: &[u8], first: u64) -> impl Iterator<Item = (u64, &[u8])> {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let none = bytes.is_empty();
    body.split(|b| *b == b'\n')
        .filter(move |_| !none)
        .zip(first..)
        .map(|(l, n)| (n, l))
}

/// Reads an input in blocks of about `block_size` bytes of whole lines.
pub struct BlockReader<R> {
    input: R,
    block_size: usize,
    /// The start of a line read past the end of the previous block.
    carry: Vec<u8>,
    next_line: u64,
    done: bool,
}

impl<R: Read> BlockReader<R> {
    /// A reader of `input` in blocks of at least `block_size` bytes (at
    /// least 1), except where the input pauses or ends.
    pub fn new(input: R, block_size: usize) -> BlockReader<R> {
        BlockReader {
            input,
            block_size: block_size.max(1),
            carry: Vec::new(),
            next_line: 1,
            done: false,
        }
    }

    /// The next block, `None` at the end of the input.
    ///
    /// Reads until the block is full or a read returns less than asked
    /// (a pipe with nothing more for now: what came is matched at once
    /// rather than waiting for a full block), then cuts after the last line
    /// break; the rest starts the next block.
    pub fn next_block(&mut self) -> io::Result<Option<Block>> {
        let mut buf = Vec::with_capacity(self.block_size.max(self.carry.len() + 1) + 1);
        // The carry is what followed the last line break: it holds none.
        buf.append(&mut self.carry);
        let mut has_break = false;
        loop {
            if self.done {
                break;
            }
            // The rest of the block, or more of a line longer than a block.
            let want = match self.block_size.saturating_sub(buf.len()) {
                0 => 1 << 16,
                n => n,
            };
            let start = buf.len();
            buf.resize(start + want, 0);
            let n = loop {
                match self.input.read(&mut buf[start..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        buf.truncate(start);
                        self.carry = buf;
                        return Err(e);
                    }
                }
            };
            buf.truncate(start + n);
            if n == 0 {
                self.done = true;
                break;
            }
            has_break = has_break || memchr::memchr(b'\n', &buf[start..]).is_some();
            if has_break && (buf.len() >= self.block_size || n < want) {
                break;
            }
        }
        if buf.is_empty() {
            return Ok(None);
        }
        if !self.done {
            // Cut after the last line break; a block without one only
            // happens at the end of the input.
            if let Some(p) = memchr::memrchr(b'\n', &buf) {
                self.carry = buf[p + 1..].to_vec();
                buf.truncate(p + 1);
            }
        }
        let first_line = self.next_line;
        self.next_line += memchr::memchr_iter(b'\n', &buf).count() as u64;
        Ok(Some(Block {
            bytes: buf,
            first_line,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `step` bytes per read, as a pipe does.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(out.len()).min(self.data.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn all_blocks(data: &[u8], block_size: usize, step: usize) -> Vec<Block> {
        let mut r = BlockReader::new(Trickle { data, step }, block_size);
        let mut out = Vec::new();
        while let Some(b) = r.next_block().unwrap() {
            out.push(b);
        }
        out
    }

    /// The lines as a line-by-line reading numbers them.
    fn expected(data: &[u8]) -> Vec<(u64, Vec<u8>)> {
        lines(data, 1).map(|(n, l)| (n, l.to_vec())).collect()
    }

    fn got(blocks: &[Block]) -> Vec<(u64, Vec<u8>)> {
        blocks
            .iter()
            .flat_map(|b| b.lines().map(|(n, l)| (n, l.to_vec())))
            .collect()
    }

    fn check(data: &[u8]) {
        for block_size in [1, 2, 3, 7, 16, 1000] {
            for step in [1, 3, 5, 64, 1 << 20] {
                let blocks = all_blocks(data, block_size, step);
                assert_eq!(got(&blocks), expected(data), "{block_size}/{step}");
                let joined: Vec<u8> = blocks.iter().flat_map(|b| b.bytes.clone()).collect();
                assert_eq!(joined, data, "blocks rejoin to the input");
                for b in &blocks[..blocks.len().saturating_sub(1)] {
                    assert_eq!(b.bytes.last(), Some(&b'\n'), "only the last block is open");
                }
            }
        }
    }

    #[test]
    fn lines_across_block_boundaries() {
        let data = b"first line\nsecond, a longer line\nthird\n";
        check(data);
        let blocks = all_blocks(data, 12, 1 << 20);
        assert!(blocks.len() > 1);
        assert_eq!(blocks[1].first_line, 2);
    }

    #[test]
    fn crlf_keeps_the_carriage_return_in_the_line() {
        let data = b"a\r\nb\r\n\r\nc";
        check(data);
        let lines = expected(data);
        assert_eq!(lines[0], (1, b"a\r".to_vec()));
        assert_eq!(lines[2], (3, b"\r".to_vec()));
        assert_eq!(lines[3], (4, b"c".to_vec()));
    }

    #[test]
    fn no_trailing_newline_and_empty_lines() {
        check(b"x\n\n\ny");
        check(b"\n\n\n");
        check(b"");
        check(b"only");
        assert_eq!(expected(b"\n\n").len(), 2);
        assert!(all_blocks(b"", 8, 8).is_empty());
    }

    #[test]
    fn a_line_longer_than_a_block_is_kept_whole() {
        let long = "z".repeat(10_000);
        let data = format!("short\n{long}\nafter\n");
        check(data.as_bytes());
        let blocks = all_blocks(data.as_bytes(), 64, 1 << 20);
        assert!(blocks.iter().any(|b| b.bytes.len() > 10_000));
        assert_eq!(got(&blocks)[1].1.len(), 10_000);
    }

    #[test]
    fn a_full_file_gives_large_blocks() {
        let data: Vec<u8> = (0..10_000)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let blocks = all_blocks(&data, 4096, 1 << 20);
        assert!(blocks.len() < data.len() / 4096 + 2, "{}", blocks.len());
        assert_eq!(got(&blocks), expected(&data));
    }
}
