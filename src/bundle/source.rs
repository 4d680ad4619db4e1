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

/// One reader of a [`Source`]: its own offset and buffer over the file
/// opened once (a clone reads the same open file, never the path again).
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
    fn from_buffer(&mut self, out: &mut [u8]) -> Option<usize> {
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
        if let Some(n) = self.from_buffer(out) {
            return Ok(n);
        }
        if out.len() >= BUFFER {
            // A large read (a stored image) skips the copy through the buffer.
            let n = self.raw.read_at(self.pos, out)?;
            self.pos += n as u64;
            return Ok(n);
        }
        self.fill()?;
        Ok(self.from_buffer(out).unwrap_or(0))
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
