//! Reading a bundle, trusting nothing before the signature. `open` reads only
//! the first two entries (bounded), checks the signature over the manifest
//! bytes and only then parses them; `check` then holds every zip entry and the
//! archive's layout against the signed manifest, streaming each entry's bytes
//! through sha256 (never past the signed size) and on to a [`Sink`].

use std::fs::File;
use std::io::{self, Read, Seek};
use std::path::Path;

use indicatif::ProgressBar;
use minisign::PublicKey;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use zip::{CompressionMethod, ZipArchive};

use super::diags::{BundleError, Check, Problem, Report};
use super::manifest::{Entry, MAX_MANIFEST_BYTES, Manifest};
use super::{MANIFEST, SIGNATURE, layout, names};
use crate::sign::{self, MAX_SIGNATURE_BYTES};

/// A central directory (with end records) larger than this is not a bundle's:
/// a million entries would need about 100 MiB.
const MAX_CENTRAL_DIRECTORY: u64 = 256 * 1024 * 1024;

/// Where verified entry bytes go: nowhere for `verify`, files for `unpack`.
pub trait Sink: Sync {
    /// Called from several threads at once, for distinct entries.
    fn entry(&self, entry: &Entry, data: &mut dyn Read) -> io::Result<()>;
}

/// Reads and forgets: what `verify` needs.
pub struct Discard;

impl Sink for Discard {
    fn entry(&self, _: &Entry, data: &mut dyn Read) -> io::Result<()> {
        io::copy(data, &mut io::sink()).map(drop)
    }
}

/// A bundle whose manifest signature checked out.
pub struct Bundle {
    path: String,
    file: std::path::PathBuf,
    archive: ZipArchive<File>,
    pub manifest: Manifest,
    pub manifest_bytes: Vec<u8>,
    pub signature_bytes: Vec<u8>,
    pub trusted_comment: String,
}

/// Opens a bundle and checks its signature with `pk`.
pub fn open(path: &Path, pk: &PublicKey) -> Result<Bundle, BundleError> {
    let shown = path.display().to_string();
    let unreadable = |reason: String| BundleError::Unreadable {
        path: shown.clone(),
        reason,
    };
    let file = File::open(path).map_err(|source| BundleError::Io {
        path: shown.clone(),
        source,
    })?;
    let mut archive = ZipArchive::new(file).map_err(|e| unreadable(e.to_string()))?;
    if archive.len() < 2 {
        return Err(unreadable(format!(
            "{} entries; a bundle starts with {MANIFEST} and {SIGNATURE}",
            archive.len()
        )));
    }
    let manifest_bytes =
        read_head(&mut archive, 0, MANIFEST, MAX_MANIFEST_BYTES).map_err(unreadable)?;
    let signature_bytes =
        read_head(&mut archive, 1, SIGNATURE, MAX_SIGNATURE_BYTES).map_err(unreadable)?;
    let digest = hex::encode(Sha256::digest(&manifest_bytes));
    let pk_check = sign::verify_manifest(pk, &signature_bytes, &manifest_bytes, &digest);
    let trusted_comment = pk_check.map_err(|source| BundleError::Signature {
        path: shown.clone(),
        source,
    })?;
    let manifest = Manifest::from_bytes(&manifest_bytes)
        .map_err(|e| unreadable(format!("signed {MANIFEST} cannot be read: {e}")))?;
    Ok(Bundle {
        path: shown,
        file: path.to_path_buf(),
        archive,
        manifest,
        manifest_bytes,
        signature_bytes,
        trusted_comment,
    })
}

/// Reads entry `index`, which must be `name`, stored or deflated, at most `limit` bytes.
fn read_head(
    archive: &mut ZipArchive<File>,
    index: usize,
    name: &str,
    limit: u64,
) -> Result<Vec<u8>, String> {
    let entry = archive
        .by_index_raw(index)
        .map_err(|e| format!("entry {index}: {e}"))?;
    if entry.name_raw() != name.as_bytes() {
        return Err(format!(
            "entry {index} is {:?}, expected {name}",
            String::from_utf8_lossy(entry.name_raw())
        ));
    }
    if entry.encrypted()
        || !matches!(
            entry.compression(),
            CompressionMethod::Stored | CompressionMethod::Deflated
        )
    {
        return Err(format!(
            "{name}: encrypted or compressed with an unsupported method"
        ));
    }
    if entry.size() > limit {
        return Err(format!(
            "{name}: declares {} bytes (limit {limit})",
            entry.size()
        ));
    }
    drop(entry);
    let reader = archive
        .by_index(index)
        .map_err(|e| format!("{name}: {e}"))?;
    let mut bytes = Vec::new();
    reader
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{name}: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!("{name}: inflates past {limit} bytes"));
    }
    Ok(bytes)
}

impl Bundle {
    /// Holds every entry and the layout against the manifest; verified bytes
    /// flow to `sink`. Problems are collected, not fatal; a failing sink is.
    pub fn check(
        &mut self,
        sink: &dyn Sink,
        progress: &ProgressBar,
    ) -> Result<Report, BundleError> {
        let mut problems = self.check_layout();
        let layout_ok = problems.is_empty();
        let mut seen = vec![false; self.manifest.entries.len()];
        let mut clean = Vec::new();
        for index in 0..self.archive.len() {
            let (found, entry_problems) = self.check_metadata(index);
            let ok = entry_problems.is_empty();
            problems.extend(entry_problems);
            let Some(pos) = found else { continue };
            seen[pos] = true;
            if ok {
                clean.push((index, pos));
            }
        }
        problems.extend(self.check_contents(&clean, sink, progress)?);
        let count = clean.len();
        let bytes = clean
            .iter()
            .map(|&(_, pos)| self.manifest.entries[pos].size)
            .sum();
        for (entry, _) in self
            .manifest
            .entries
            .iter()
            .zip(&seen)
            .filter(|(_, s)| !**s)
        {
            problems.push(Problem::new(
                &entry.path,
                "listed in the manifest but missing from the bundle",
            ));
        }
        Ok(self.report(problems, layout_ok, count, bytes))
    }

    fn report(&self, problems: Vec<Problem>, layout_ok: bool, count: usize, bytes: u64) -> Report {
        let entries_ok = problems.is_empty();
        Report {
            bundle: self.path.clone(),
            module: Some(self.manifest.module.path.clone()),
            version: Some(self.manifest.module.version.clone()),
            trusted_comment: Some(self.trusted_comment.clone()),
            entries: count,
            bytes,
            checks: vec![
                Check { check: "signature", ok: true, detail: self.trusted_comment.clone() },
                Check { check: "layout", ok: layout_ok, detail: "names unique, local headers match the central directory, entries contiguous".into() },
                Check { check: "entries", ok: entries_ok, detail: format!("{count} entries, {bytes} bytes against the manifest") },
            ],
            problems,
        }
    }

    /// The archive as a whole: unique names, local headers that agree with the
    /// central directory, and entries that tile the file from offset 0 to the
    /// central directory with no gap, overlap or hidden data.
    fn check_layout(&mut self) -> Vec<Problem> {
        let mut problems = Vec::new();
        if self.archive.offset() != 0 {
            problems.push(Problem::new(
                "(archive)",
                format!("{} bytes before the first entry", self.archive.offset()),
            ));
        }
        if self.archive.has_duplicate_names() {
            problems.push(Problem::new(
                "(central directory)",
                "the same entry name appears more than once",
            ));
        }
        if !self
            .manifest
            .entries
            .windows(2)
            .all(|w| w[0].path < w[1].path)
        {
            problems.push(Problem::new(MANIFEST, "entries are not sorted and unique"));
        }
        if let Err(e) = self.archive.validate_header_consistency() {
            problems.push(Problem::new("(archive)", e.to_string()));
        }
        let mut expected_start = 0u64;
        for index in 0..self.archive.len() {
            let Ok(f) = self.archive.by_index_raw(index) else {
                problems.push(Problem::new(
                    format!("(entry {index})"),
                    "unreadable local header",
                ));
                return problems;
            };
            let name = String::from_utf8_lossy(f.name_raw()).into_owned();
            if f.header_start() != expected_start {
                problems.push(Problem::mismatch(
                    &name,
                    "local header is not where the previous entry ends",
                    expected_start,
                    f.header_start(),
                ));
            }
            let Some(data) = f.data_start() else { break };
            expected_start = data.saturating_add(f.compressed_size());
        }
        let cd = self.archive.central_directory_start();
        if expected_start != cd {
            problems.push(Problem::mismatch(
                "(central directory)",
                "does not start where the last entry ends",
                expected_start,
                cd,
            ));
        }
        if let Err(e) = self.check_end(cd) {
            problems.push(Problem::new("(end of archive)", e));
        }
        problems
    }

    /// From the central directory to the end of the file: nothing but the
    /// directory the reader used and the end records (see `layout`).
    fn check_end(&self, cd: u64) -> Result<(), String> {
        let mut file = File::open(&self.file).map_err(|e| e.to_string())?;
        let len = file.metadata().map_err(|e| e.to_string())?.len();
        let tail_len = len.saturating_sub(cd);
        if tail_len > MAX_CENTRAL_DIRECTORY {
            return Err(format!(
                "{tail_len} bytes of central directory and end records"
            ));
        }
        file.seek(io::SeekFrom::Start(cd))
            .map_err(|e| e.to_string())?;
        let mut tail = Vec::new();
        file.read_to_end(&mut tail).map_err(|e| e.to_string())?;
        layout::check_tail(&tail, self.archive.len())
    }

    /// Name, kind, encryption, compression, declared size and mode of one
    /// entry; returns its position in the manifest when it is listed there.
    fn check_metadata(&mut self, index: usize) -> (Option<usize>, Vec<Problem>) {
        let Ok(f) = self.archive.by_index_raw(index) else {
            return (
                None,
                vec![Problem::new(format!("(entry {index})"), "unreadable entry")],
            );
        };
        let raw = f.name_raw().to_vec();
        let shown = shorten(&String::from_utf8_lossy(&raw));
        let name = match names::check(&raw) {
            Ok(n) => n,
            Err(reason) => {
                return (
                    None,
                    vec![Problem::new(
                        format!("{shown:?}"),
                        format!("refused entry name: {reason}"),
                    )],
                );
            }
        };
        let mut problems = Vec::new();
        let fixed = [MANIFEST, SIGNATURE];
        if index < 2 || fixed.contains(&name) {
            if fixed.get(index) != Some(&name) {
                problems.push(Problem::new(name, format!("at position {index}: {MANIFEST} and {SIGNATURE} must be the first two entries")));
            }
            return (None, problems);
        }
        let Ok(pos) = self
            .manifest
            .entries
            .binary_search_by(|e| e.path.as_str().cmp(name))
        else {
            return (None, vec![Problem::new(name, "not listed in the manifest")]);
        };
        let listed = &self.manifest.entries[pos];
        if f.is_dir() {
            problems.push(Problem::new(name, "is a directory entry"));
        }
        if f.is_symlink() {
            problems.push(Problem::new(name, "is a symbolic link"));
        }
        // The raw Unix mode: the zip crate's unix_mode() clears setuid,
        // setgid and sticky bits, which are exactly what must be seen.
        let mode = match f.system() {
            zip::System::Unix => f.external_attributes() >> 16,
            _ => f.unix_mode().unwrap_or(0),
        };
        let kind = mode & 0o170000;
        if kind != 0 && kind != 0o100000 {
            problems.push(Problem::new(
                name,
                format!("is not a regular file (mode {mode:06o})"),
            ));
        }
        if f.encrypted() {
            problems.push(Problem::new(name, "is encrypted"));
        }
        if !matches!(
            f.compression(),
            CompressionMethod::Stored | CompressionMethod::Deflated
        ) {
            problems.push(Problem::new(
                name,
                format!(
                    "compression {:?} is neither stored nor deflate",
                    f.compression()
                ),
            ));
        }
        if f.size() != listed.size {
            problems.push(Problem::mismatch(
                name,
                "declared size differs from the manifest",
                listed.size,
                f.size(),
            ));
        }
        if !matches!(listed.mode, 0o644 | 0o755) {
            problems.push(Problem::mismatch(
                name,
                "manifest mode is not 0644 or 0755",
                "0644 or 0755",
                format!("{:04o}", listed.mode),
            ));
        } else if mode & 0o7777 != listed.mode {
            problems.push(Problem::mismatch(
                name,
                "mode differs from the manifest",
                format!("{:04o}", listed.mode),
                format!("{:04o}", mode & 0o7777),
            ));
        }
        (Some(pos), problems)
    }

    /// Inflates and hashes the entries `(zip index, manifest position)` on
    /// every core, each job with its own reader of the file.
    fn check_contents(
        &self,
        entries: &[(usize, usize)],
        sink: &dyn Sink,
        progress: &ProgressBar,
    ) -> Result<Vec<Problem>, BundleError> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let open = || -> Result<ZipArchive<File>, BundleError> {
            let file = File::open(&self.file).map_err(|source| BundleError::Io {
                path: self.path.clone(),
                source,
            })?;
            ZipArchive::new(file).map_err(|e| BundleError::Unreadable {
                path: self.path.clone(),
                reason: e.to_string(),
            })
        };
        // One reader per rayon job, not per entry; entries are taken one by
        // one so a large image and many small files spread evenly.
        let shards: Vec<Result<Option<Problem>, BundleError>> = entries
            .par_iter()
            .with_min_len(8)
            .map_init(open, |archive, &(index, pos)| {
                let archive = archive.as_mut().map_err(|e| BundleError::Unreadable {
                    path: self.path.clone(),
                    reason: e.to_string(),
                })?;
                let entry = &self.manifest.entries[pos];
                let found = check_content(archive, index, entry, sink);
                progress.inc(entry.size);
                found
            })
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
    archive: &mut ZipArchive<File>,
    index: usize,
    entry: &Entry,
    sink: &dyn Sink,
) -> Result<Option<Problem>, BundleError> {
    let reader = match archive.by_index(index) {
        Ok(r) => r,
        Err(e) => {
            return Ok(Some(Problem::new(
                &entry.path,
                format!("cannot be read: {e}"),
            )));
        }
    };
    let mut checked = CheckedReader::new(reader.take(entry.size + 1), entry);
    let sunk = sink
        .entry(entry, &mut checked)
        .and_then(|_| io::copy(&mut checked, &mut io::sink()));
    if let Some(e) = checked.failed.take() {
        return Ok(Some(Problem::new(
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

impl Bundle {
    /// The number of payload bytes the manifest lists, for progress bars.
    pub fn payload_bytes(&self) -> u64 {
        self.manifest.entries.iter().map(|e| e.size).sum()
    }
}

/// A refused name as it is shown: long ones cut, so a report stays readable.
fn shorten(name: &str) -> String {
    const SHOWN: usize = 120;
    match name.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}…({} bytes)", &name[..cut], name.len()),
        None => name.to_string(),
    }
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
            return Some(Problem::mismatch(&e.path, what, e.size, shown));
        }
        let actual = hex::encode(std::mem::take(&mut self.hasher).finalize());
        (actual != e.sha256).then(|| {
            Problem::mismatch(
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
