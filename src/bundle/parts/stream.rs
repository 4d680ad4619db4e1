//! The parts of a verified index read as one file: `Read + Seek` over the
//! whole, each read served by the one part that holds its offset. A part that
//! ends before its signed size (cut short after it was checked) is an error
//! naming it, never a short whole.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::Arc;

use super::{Index, Verified};

/// One reader of the whole; each rayon job opens its own, and each holds at
/// most one part open (a thousand parts never exhaust the open files).
pub struct PartsReader {
    parts: Verified,
    offsets: Arc<Vec<u64>>,
    /// The part open now, and where its cursor is (to skip a seek when
    /// reads follow on).
    open: Option<(usize, File, u64)>,
    pos: u64,
}

impl PartsReader {
    pub fn new(parts: Verified, offsets: Arc<Vec<u64>>) -> PartsReader {
        PartsReader {
            parts,
            offsets,
            open: None,
            pos: 0,
        }
    }

    fn index(&self) -> &Index {
        &self.parts.index
    }

    /// The part holding offset `pos` (< the whole's size).
    fn part_at(&self, pos: u64) -> usize {
        self.offsets.partition_point(|&start| start <= pos) - 1
    }

    /// Part `part` open (closing any other), and its cursor.
    fn file(&mut self, part: usize) -> io::Result<(&mut File, &mut u64)> {
        if self.open.as_ref().is_none_or(|(n, _, _)| *n != part) {
            self.open = None;
            let path = self.parts.part_path(part);
            let file = super::open_part(&path).map_err(|e| match &e {
                super::PartsError::Io { source, .. } => {
                    io::Error::new(source.kind(), e.to_string())
                }
                _ => io::Error::other(e.to_string()),
            })?;
            self.open = Some((part, file, 0));
        }
        match &mut self.open {
            Some((_, file, cursor)) => Ok((file, cursor)),
            None => Err(io::Error::other("part file not open")),
        }
    }
}

impl Read for PartsReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.index().size || buf.is_empty() {
            return Ok(0);
        }
        let part = self.part_at(self.pos);
        let within = self.pos - self.offsets[part];
        let left = self.index().parts[part].size - within;
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let (file, cursor) = self.file(part)?;
        if *cursor != within {
            file.seek(SeekFrom::Start(within))?;
            *cursor = within;
        }
        let n = file.read(&mut buf[..want])?;
        *cursor += n as u64;
        if n == 0 {
            let name = &self.index().parts[part].name;
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "{name}: ends at byte {within}, the signed index says {} bytes",
                    left + within
                ),
            ));
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for PartsReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let size = self.index().size;
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => size.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let target = target.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the bundle",
            )
        })?;
        self.pos = target;
        Ok(target)
    }
}

/// `whole` cut into parts of `size` bytes, with their true sha256, in a
/// fresh folder, and the index as if its signature had been checked: for
/// the tests of the readers built on parts.
#[cfg(test)]
pub(crate) fn cut_for_tests(whole: &[u8], size: usize) -> (tempfile::TempDir, Verified) {
    use crate::bundle::parts::index::{FORMAT, Part, part_name};
    use sha2::{Digest, Sha256};
    let dir = tempfile::tempdir().expect("temp dir");
    let parts: Vec<Part> = whole
        .chunks(size)
        .enumerate()
        .map(|(i, chunk)| {
            let name = part_name("b.ferry", i + 1);
            std::fs::write(dir.path().join(&name), chunk).expect("write part");
            Part {
                name,
                size: chunk.len() as u64,
                sha256: hex::encode(Sha256::digest(chunk)),
            }
        })
        .collect();
    let sha = hex::encode(Sha256::digest(whole));
    let index = Index {
        format: FORMAT.into(),
        bundle: "b.ferry".into(),
        module: "m".into(),
        version: "v".into(),
        manifest_sha256: sha.clone(),
        size: whole.len() as u64,
        sha256: sha,
        part_size: size as u64,
        parts,
    };
    let verified = Verified {
        path: dir.path().join("b.ferry.parts"),
        index: Arc::new(index),
        dir: dir.path().to_path_buf(),
        key_id: "K".into(),
    };
    (dir, verified)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `whole` cut into parts of `size` bytes in a fresh folder.
    fn parts_of(whole: &[u8], size: usize) -> (tempfile::TempDir, PartsReader) {
        let (dir, verified) = cut_for_tests(whole, size);
        let offsets = Arc::new(verified.index.offsets());
        (dir, PartsReader::new(verified, offsets))
    }

    #[test]
    fn reads_and_seeks_across_parts_as_one_file() {
        let whole: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
        let (_dir, mut r) = parts_of(&whole, 300);
        let mut all = Vec::new();
        r.read_to_end(&mut all).expect("whole");
        assert_eq!(all, whole);
        for at in [0u64, 299, 300, 301, 899, 900, 999] {
            r.seek(SeekFrom::Start(at)).expect("seek");
            let mut buf = [0u8; 5];
            let n = r.read(&mut buf).expect("read");
            assert!(n >= 1);
            assert_eq!(buf[..n], whole[at as usize..at as usize + n]);
        }
        assert_eq!(r.seek(SeekFrom::End(-10)).expect("end"), 990);
        let mut tail = Vec::new();
        r.read_to_end(&mut tail).expect("tail");
        assert_eq!(tail, whole[990..]);
        assert!(r.seek(SeekFrom::Current(-2000)).is_err());
    }

    #[test]
    fn a_part_cut_short_after_the_check_is_named() {
        let whole = vec![7u8; 1000];
        let (dir, mut r) = parts_of(&whole, 300);
        std::fs::write(dir.path().join("b.ferry.002"), [7u8; 10]).expect("truncate");
        let err = r.read_to_end(&mut Vec::new()).expect_err("short part");
        assert!(err.to_string().contains("b.ferry.002"), "{err}");
    }
}
