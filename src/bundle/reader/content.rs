//! Entry contents: inflated and hashed on every core, each job with its own
//! buffered reader of the file, never past the signed size, and passed to a
//! sink that sees a clean end only of the bytes the manifest signs.

use std::io::{self, Read};

use indicatif::ProgressBar;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use zip::ZipArchive;

use super::{Bundle, Sink};
use crate::bundle::diags::{BundleError, Code, Problem};
use crate::bundle::manifest::Entry;
use crate::bundle::source::Stream;

impl Bundle {
    /// Inflates and hashes the entries `(zip index, manifest position)` on
    /// every core, each job with its own reader of the file.
    pub(super) fn check_contents(
        &self,
        entries: &[(usize, usize)],
        sink: &dyn Sink,
        progress: &ProgressBar,
    ) -> Result<Vec<Problem>, BundleError> {
        self.check_contents_in(&self.archive, entries, sink, progress)
    }

    /// [`Bundle::check_contents`] with the zip indexes in another bundle's
    /// `archive` (a delta's base): the bytes are held to this manifest.
    pub(super) fn check_contents_in(
        &self,
        archive: &ZipArchive<Stream>,
        entries: &[(usize, usize)],
        sink: &dyn Sink,
        progress: &ProgressBar,
    ) -> Result<Vec<Problem>, BundleError> {
        // One reader per rayon job, not per entry: a clone shares the
        // central directory read once and the open file, with a buffer and
        // an offset of its own. Entries are taken one by one so a large
        // image and many small files spread evenly.
        let shards: Vec<Result<Option<Problem>, BundleError>> = entries
            .par_iter()
            .with_min_len(8)
            .map_init(
                || archive.clone(),
                |archive, &(index, pos)| {
                    let entry = &self.manifest.entries[pos];
                    let found = check_content(archive, index, entry, sink);
                    progress.inc(entry.size);
                    found
                },
            )
            .collect();
        let mut problems = Vec::new();
        for found in shards {
            problems.extend(found?);
        }
        Ok(problems)
    }
}

/// Inflates one entry (never past its signed size + 1) through sha256 into
/// the sink, which sees a clean end only of the bytes the manifest signs.
fn check_content(
    archive: &mut ZipArchive<Stream>,
    index: usize,
    entry: &Entry,
    sink: &dyn Sink,
) -> Result<Option<Problem>, BundleError> {
    let reader = match archive.by_index(index) {
        Ok(r) => r,
        Err(e) => {
            return Ok(Some(Problem::new(
                Code::Unreadable,
                &entry.path,
                format!("cannot be read: {e}"),
            )));
        }
    };
    check_stream(reader, entry, sink)
}

/// Streams `data` (never past the entry's signed size + 1) through sha256
/// into the sink: a problem when the bytes are not the entry the manifest
/// signs, an error when the sink fails.
pub(super) fn check_stream(
    data: impl Read,
    entry: &Entry,
    sink: &dyn Sink,
) -> Result<Option<Problem>, BundleError> {
    let mut checked = CheckedReader::new(data.take(entry.size + 1), entry);
    let sunk = sink
        .entry(entry, &mut checked)
        .and_then(|_| io::copy(&mut checked, &mut io::sink()));
    if let Some(e) = checked.failed.take() {
        return Ok(Some(Problem::new(
            Code::Unreadable,
            &entry.path,
            format!("cannot be inflated: {e}"),
        )));
    }
    if let Some(problem) = checked.verdict.take() {
        return Ok(Some(problem));
    }
    sunk.map(|_| None).map_err(|source| BundleError::Io {
        path: entry.path.clone(),
        source,
    })
}

/// Hashes what passes through and, at the end, fails unless the bytes are
/// the entry the manifest signs (size and sha256): whatever a sink does with
/// the bytes, it never sees a clean end of unverified ones. Remembers whether
/// the zip side failed (a bad bundle) as opposed to the sink (local I/O).
struct CheckedReader<'e, R> {
    inner: R,
    entry: &'e Entry,
    hasher: Sha256,
    read: u64,
    ended: bool,
    failed: Option<io::Error>,
    verdict: Option<Problem>,
}

impl<'e, R: Read> CheckedReader<'e, R> {
    fn new(inner: R, entry: &'e Entry) -> Self {
        CheckedReader {
            inner,
            entry,
            hasher: Sha256::new(),
            read: 0,
            ended: false,
            failed: None,
            verdict: None,
        }
    }

    /// The size, then the sha256, against the manifest, once all is read.
    fn judge(&mut self) -> Option<Problem> {
        let e = self.entry;
        if self.read != e.size {
            let shown = if self.read > e.size {
                format!("more than {}", e.size)
            } else {
                self.read.to_string()
            };
            let what = "inflated size differs from the manifest";
            return Some(Problem::mismatch(Code::Size, &e.path, what, e.size, shown));
        }
        let actual = hex::encode(std::mem::take(&mut self.hasher).finalize());
        (actual != e.sha256).then(|| {
            Problem::mismatch(
                Code::Sha256,
                &e.path,
                "sha256 differs from the manifest",
                &e.sha256,
                actual,
            )
        })
    }

    fn refused(&self) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: does not match the signed manifest", self.entry.path),
        )
    }
}

impl<R: Read> Read for CheckedReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.verdict.is_some() {
            return Err(self.refused());
        }
        if self.ended {
            return Ok(0);
        }
        let n = match self.inner.read(buf) {
            Ok(n) => n,
            Err(e) => {
                let copy = io::Error::new(e.kind(), e.to_string());
                self.failed = Some(e);
                return Err(copy);
            }
        };
        self.hasher.update(&buf[..n]);
        self.read += n as u64;
        if n == 0 || self.read > self.entry.size {
            self.ended = true;
            self.verdict = self.judge();
        }
        match self.verdict {
            Some(_) => Err(self.refused()),
            None => Ok(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(bytes: &[u8]) -> Entry {
        Entry {
            path: "src/a.go".into(),
            sha256: hex::encode(Sha256::digest(bytes)),
            size: bytes.len() as u64,
            mode: 0o644,
        }
    }

    #[test]
    fn only_the_signed_bytes_reach_a_clean_end() {
        let signed = entry(b"package a\n");
        let mut out = Vec::new();
        let mut r = CheckedReader::new(&b"package a\n"[..], &signed);
        assert_eq!(io::copy(&mut r, &mut out).expect("signed bytes"), 10);
        assert!(r.verdict.is_none());

        for (bytes, problem) in [
            (&b"package b\n"[..], "sha256 differs"),
            (&b"package a\n//"[..], "size differs"),
            (&b"package"[..], "size differs"),
        ] {
            let mut r = CheckedReader::new(bytes, &signed);
            let err = io::copy(&mut r, &mut io::sink()).expect_err("refused at the end");
            assert!(
                err.to_string()
                    .contains("does not match the signed manifest")
            );
            assert!(r.read(&mut [0; 4]).is_err(), "stays refused");
            let verdict = r.verdict.expect("a verdict");
            assert!(verdict.problem.contains(problem), "{}", verdict.problem);
        }
    }
}
