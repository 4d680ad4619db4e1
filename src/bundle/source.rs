//! Where a bundle's bytes come from: one file, or the parts of a verified
//! index read as one. A [`Stream`] reads it through its own buffer at its own
//! offset (positioned reads on one open file), so cloning one per job is
//! cheap, a seek costs no system call, and small reads never reach the kernel.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;

use super::parts::Verified;
use super::parts::stream::PartsReader;

/// What one read from the file or the parts asks for: local headers, names
/// and small entries of a run of entries come from one system call.
const BUFFER: usize = 64 << 10;

#[derive(Debug, Clone)]
pub enum Source {
    File(PathBuf),
    Parts {
        parts: Verified,
        offsets: Arc<Vec<u64>>,
    },
}

/// One reader of a [`Source`]: its own offset and buffer. Over one file, a
/// clone reads the same open file, never the path again; over parts, each
/// clone opens the part files it reaches by path, one at a time.
pub struct Stream {
    raw: Raw,
    buf: Vec<u8>,
    /// The offset of `buf[0]` in the whole.
    buf_at: u64,
    pos: u64,
}

/// The bytes under a [`Stream`], read at an offset.
enum Raw {
    File(Arc<File>),
    Parts {
        reader: Box<PartsReader>,
        parts: Verified,
        offsets: Arc<Vec<u64>>,
    },
}

impl Source {
    pub fn parts(parts: Verified) -> Source {
        let offsets = Arc::new(parts.index.offsets());
        Source::Parts { parts, offsets }
    }

    pub fn open(&self) -> io::Result<Stream> {
        let raw = match self {
            Source::File(path) => Raw::File(Arc::new(File::open(path)?)),
            Source::Parts { parts, offsets } => Raw::parts(parts, offsets),
        };
        Ok(Stream::new(raw))
    }

    /// The whole's size: the file's, or the signed index's.
    pub fn size(&self) -> io::Result<u64> {
        match self {
            Source::File(path) => std::fs::metadata(path).map(|m| m.len()),
            Source::Parts { parts, .. } => Ok(parts.size()),
        }
    }
}

impl Raw {
    fn parts(parts: &Verified, offsets: &Arc<Vec<u64>>) -> Raw {
        Raw::Parts {
            reader: Box::new(PartsReader::new(parts.clone(), offsets.clone())),
            parts: parts.clone(),
            offsets: offsets.clone(),
        }
    }

    /// Up to `buf.len()` bytes at offset `at`; 0 only at the end of the whole
    /// (a part cut short is an error, as [`PartsReader`] makes it).
    fn read_at(&mut self, at: u64, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Raw::File(f) => f.read_at(buf, at),
            Raw::Parts { reader, .. } => {
                reader.seek(SeekFrom::Start(at))?;
                reader.read(buf)
            }
        }
    }

    fn size(&mut self) -> io::Result<u64> {
        match self {
            Raw::File(f) => f.metadata().map(|m| m.len()),
            Raw::Parts { reader, .. } => reader.seek(SeekFrom::End(0)),
        }
    }
}

impl Clone for Raw {
    fn clone(&self) -> Raw {
        match self {
            Raw::File(f) => Raw::File(Arc::clone(f)),
            Raw::Parts { parts, offsets, .. } => Raw::parts(parts, offsets),
        }
    }
}

impl Stream {
    fn new(raw: Raw) -> Stream {
        Stream {
            raw,
            buf: Vec::new(),
            buf_at: 0,
            pos: 0,
        }
    }

    /// Copies what the buffer holds at the current offset; `None` when it
    /// holds nothing there.
    fn take_buffered(&mut self, out: &mut [u8]) -> Option<usize> {
        let skip = usize::try_from(self.pos.checked_sub(self.buf_at)?).ok()?;
        let held = self.buf.get(skip..).filter(|h| !h.is_empty())?;
        let n = held.len().min(out.len());
        out[..n].copy_from_slice(&held[..n]);
        self.pos += n as u64;
        Some(n)
    }

    /// Refills the buffer from the current offset.
    fn fill(&mut self) -> io::Result<()> {
        self.buf.resize(BUFFER, 0);
        match self.raw.read_at(self.pos, &mut self.buf) {
            Ok(n) => {
                self.buf.truncate(n);
                self.buf_at = self.pos;
                Ok(())
            }
            Err(e) => {
                self.buf.clear();
                Err(e)
            }
        }
    }
}

impl Clone for Stream {
    /// Another reader at the same offset, with a buffer of its own.
    fn clone(&self) -> Stream {
        Stream {
            pos: self.pos,
            ..Stream::new(self.raw.clone())
        }
    }
}

impl Read for Stream {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        if let Some(n) = self.take_buffered(out) {
            return Ok(n);
        }
        if out.len() >= BUFFER {
            // A large read (a stored image) skips the copy through the buffer.
            let n = self.raw.read_at(self.pos, out)?;
            self.pos += n as u64;
            return Ok(n);
        }
        self.fill()?;
        Ok(self.take_buffered(out).unwrap_or(0))
    }
}

impl Seek for Stream {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
            SeekFrom::End(d) => self.raw.size()?.checked_add_signed(d),
        };
        self.pos = target.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the bundle",
            )
        })?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes that differ at every offset of a few buffers' worth.
    fn bytes(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8 ^ (i >> 8) as u8).collect()
    }

    #[test]
    fn reads_and_seeks_through_the_buffer_as_the_file_reads() {
        let whole = bytes(3 * BUFFER + 123);
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("b.ferry");
        std::fs::write(&path, &whole).expect("write");
        let mut s = Source::File(path).open().expect("open");
        let mut all = Vec::new();
        s.read_to_end(&mut all).expect("whole");
        assert_eq!(all, whole);
        let mut other = s.clone();
        for at in [0, 1, BUFFER - 1, BUFFER, 2 * BUFFER + 7, whole.len() - 3] {
            s.seek(SeekFrom::Start(at as u64)).expect("seek");
            let mut small = [0u8; 40];
            let n = s.read(&mut small).expect("read");
            assert!(n >= 1 && small[..n] == whole[at..at + n], "at {at}");
            let mut large = vec![0u8; BUFFER + 10];
            s.seek(SeekFrom::Start(at as u64)).expect("seek");
            let n = s.read(&mut large).expect("read");
            assert!(n >= 1 && large[..n] == whole[at..at + n], "large at {at}");
        }
        assert_eq!(
            s.seek(SeekFrom::End(-5)).expect("end"),
            whole.len() as u64 - 5
        );
        assert_eq!(
            s.seek(SeekFrom::Current(2)).expect("on"),
            whole.len() as u64 - 3
        );
        assert!(s.seek(SeekFrom::Current(-(whole.len() as i64))).is_err());
        // A clone keeps its own offset: it is at the end, where it was made.
        assert_eq!(other.read(&mut [0u8; 8]).expect("end"), 0);
        other.seek(SeekFrom::Start(5)).expect("seek");
        let mut five = [0u8; 5];
        other.read_exact(&mut five).expect("read");
        assert_eq!(five, whole[5..10]);
    }

    /// A part cut short after its index was checked is an error when the
    /// buffer reaches it, never a short, clean end of the whole.
    #[test]
    fn a_part_cut_short_stays_an_error_through_the_buffer() {
        let whole = bytes(2 * BUFFER);
        let (dir, verified) = crate::bundle::parts::stream::cut_for_tests(&whole, BUFFER);
        let cut = dir.path().join(&verified.index.parts[1].name);
        std::fs::write(&cut, &whole[BUFFER..BUFFER + 100]).expect("cut the part");
        let mut s = Source::parts(verified).open().expect("open");
        let err = io::copy(&mut s, &mut io::sink()).expect_err("cut short");
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(err.to_string().contains("b.ferry"), "{err}");
        // A clone reads the same parts: the first part still reads whole.
        let mut again = s.clone();
        again.seek(SeekFrom::Start(0)).expect("seek");
        let mut first = vec![0u8; BUFFER];
        again.read_exact(&mut first).expect("first part");
        assert_eq!(first, whole[..BUFFER]);
        assert!(again.read_exact(&mut [0u8; 200]).is_err());
    }
}
