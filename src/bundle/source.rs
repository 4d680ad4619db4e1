//! Where a bundle's bytes come from: one file, or the parts of a verified
//! index read as one. Readers open it as often as they need (one reader per
//! job) and see the same `Read + Seek` whole either way.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;

use super::parts::Verified;
use super::parts::stream::PartsReader;

#[derive(Debug, Clone)]
pub enum Source {
    File(PathBuf),
    Parts {
        parts: Verified,
        offsets: Arc<Vec<u64>>,
    },
}

/// One open reader of a [`Source`].
pub enum Stream {
    File(File),
    Parts(Box<PartsReader>),
}

impl Source {
    pub fn parts(parts: Verified) -> Source {
        let offsets = Arc::new(parts.index.offsets());
        Source::Parts { parts, offsets }
    }

    pub fn open(&self) -> io::Result<Stream> {
        match self {
            Source::File(path) => File::open(path).map(Stream::File),
            Source::Parts { parts, offsets } => Ok(Stream::Parts(Box::new(PartsReader::new(
                parts.clone(),
                offsets.clone(),
            )))),
        }
    }

    /// The whole's size: the file's, or the signed index's.
    pub fn size(&self) -> io::Result<u64> {
        match self {
            Source::File(path) => std::fs::metadata(path).map(|m| m.len()),
            Source::Parts { parts, .. } => Ok(parts.size()),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::File(f) => f.read(buf),
            Stream::Parts(p) => p.read(buf),
        }
    }
}

impl Seek for Stream {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        match self {
            Stream::File(f) => f.seek(to),
            Stream::Parts(p) => p.seek(to),
        }
    }
}
