//! Writing a bundle. Payload entries are hashed while they are compressed, in
//! one read of each file, into a temporary zip; the bundle is then the signed
//! manifest followed by those entries copied raw, written beside the output
//! and renamed into place, so a failed pack never leaves a bundle behind.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;
use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

use super::manifest::Entry;
use super::{MANIFEST, SIGNATURE, names};
use crate::exit::{Classify, Exit};

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("writing entry {entry}: {source}")]
    Zip {
        entry: String,
        source: zip::result::ZipError,
    },
    #[error("{source_path}: cannot be bundled as {entry:?}: {reason}")]
    Name {
        entry: String,
        source_path: PathBuf,
        reason: String,
    },
    /// Asked to stop (pack's build proof failed beside it): the payload is
    /// unfinished and is removed.
    #[error("writing the bundle was stopped before it finished; nothing was written")]
    Stopped,
}

impl Classify for WriteError {
    fn exit(&self) -> Exit {
        match self {
            WriteError::Name { .. } => Exit::Usage,
            _ => Exit::CouldNotRun,
        }
    }
}

/// The zip timestamp of every entry: `SOURCE_DATE_EPOCH` when given, else
/// 1980-01-01 00:00:00, the earliest time a zip can hold.
pub fn zip_time(source_date_epoch: Option<i64>) -> DateTime {
    source_date_epoch
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|t| {
            DateTime::from_date_and_time(
                u16::try_from(t.year()).ok()?,
                t.month() as u8,
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
            )
            .ok()
        })
        .unwrap_or_default()
}

/// 1980-01-01T00:00:00Z, the earliest time a zip entry can carry.
const ZIP_EPOCH: time::OffsetDateTime = match time::OffsetDateTime::from_unix_timestamp(315_532_800)
{
    Ok(t) => t,
    Err(_) => time::OffsetDateTime::UNIX_EPOCH,
};

/// The manifest's creation time: `SOURCE_DATE_EPOCH`, else the zip epoch, so
/// that a bundle never records when or where it was made unless asked.
pub fn created(source_date_epoch: Option<i64>) -> String {
    let t = source_date_epoch
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .unwrap_or(ZIP_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// How an entry's bytes are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    Deflated,
    /// For content that is compressed already (image layers, module zips).
    Stored,
}

impl Storage {
    /// Stored for a zip, whose files are compressed already (deflating a
    /// module zip again costs time and saves about 6%); deflated otherwise.
    pub fn by_name(entry: &str) -> Storage {
        if entry.ends_with(".zip") {
            Storage::Stored
        } else {
            Storage::Deflated
        }
    }
}

/// The entries of a bundle other than the manifest and its signature.
pub struct Payload {
    zip: ZipWriter<BufWriter<File>>,
    temp: NamedTempFile,
    entries: Vec<Entry>,
    time: DateTime,
}

impl Payload {
    /// Starts a payload in a temporary file in `dir` (the output's folder, so
    /// that the final copy stays on one file system).
    pub fn create_in(dir: &Path, time: DateTime) -> Result<Payload, WriteError> {
        let temp =
            crate::temp::file_in("pack", dir, ".payload").map_err(|source| WriteError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        let file = temp.reopen().map_err(|source| WriteError::Io {
            path: temp.path().to_path_buf(),
            source,
        })?;
        Ok(Payload {
            zip: ZipWriter::new(BufWriter::new(file)),
            temp,
            entries: Vec::new(),
            time,
        })
    }

    fn options(&self, mode: u32, size: u64, storage: Storage) -> SimpleFileOptions {
        let method = match storage {
            Storage::Deflated => CompressionMethod::Deflated,
            Storage::Stored => CompressionMethod::Stored,
        };
        SimpleFileOptions::default()
            .compression_method(method)
            .compression_level(if storage == Storage::Deflated {
                Some(9)
            } else {
                None
            })
            .last_modified_time(self.time)
            .unix_permissions(mode)
            .large_file(size >= u64::from(u32::MAX))
    }

    /// Adds a file from disk, hashing it while it is compressed.
    pub fn add_file(
        &mut self,
        entry: &str,
        source: &Path,
        mode: u32,
        storage: Storage,
    ) -> Result<(), WriteError> {
        names::check(entry.as_bytes()).map_err(|reason| WriteError::Name {
            entry: entry.into(),
            source_path: source.to_path_buf(),
            reason,
        })?;
        let io_err = |e| WriteError::Io {
            path: source.to_path_buf(),
            source: e,
        };
        let mut file = File::open(source).map_err(io_err)?;
        let size = file.metadata().map_err(io_err)?.len();
        self.add(entry, &mut file, size, mode, storage, source)
    }

    /// [`Payload::add_file`], giving up part way through the file once
    /// `stop` is set (one large file can take many seconds to compress).
    fn add_file_until(
        &mut self,
        entry: &str,
        source: &Path,
        mode: u32,
        storage: Storage,
        stop: &AtomicBool,
    ) -> Result<(), WriteError> {
        let io_err = |e| WriteError::Io {
            path: source.to_path_buf(),
            source: e,
        };
        let file = File::open(source).map_err(io_err)?;
        let size = file.metadata().map_err(io_err)?.len();
        let mut until = Until { inner: file, stop };
        let added = self.add(entry, &mut until, size, mode, storage, source);
        match stop.load(Ordering::Relaxed) {
            true => Err(WriteError::Stopped),
            false => added,
        }
    }

    /// Adds many files, hashed and compressed on every core: contiguous
    /// shards are written to shard zips in parallel, then copied raw into the
    /// payload in order, each in one piece.
    pub fn add_files(
        &mut self,
        files: &[(String, PathBuf, u32)],
        storage: impl Fn(&str) -> Storage + Sync,
        progress: &indicatif::ProgressBar,
    ) -> Result<(), WriteError> {
        let never = AtomicBool::new(false);
        self.add_files_until(files, storage, progress, &never)
    }

    /// [`Payload::add_files`], giving up with [`WriteError::Stopped`] at the
    /// next entry once `stop` is set.
    pub fn add_files_until(
        &mut self,
        files: &[(String, PathBuf, u32)],
        storage: impl Fn(&str) -> Storage + Sync,
        progress: &indicatif::ProgressBar,
        stop: &AtomicBool,
    ) -> Result<(), WriteError> {
        if files.is_empty() {
            return Ok(());
        }
        let dir = crate::fsutil::parent_dir(self.temp.path()).to_path_buf();
        let shards = rayon::current_num_threads().clamp(1, files.len());
        let per = files.len().div_ceil(shards);
        let time = self.time;
        let written: Vec<Result<Payload, WriteError>> = files
            .par_chunks(per)
            .map(|chunk| {
                let mut shard = Payload::create_in(&dir, time)?;
                for (entry, source, mode) in chunk {
                    if stop.load(Ordering::Relaxed) {
                        return Err(WriteError::Stopped);
                    }
                    shard.add_file_until(entry, source, *mode, storage(entry), stop)?;
                    progress.inc(shard.entries.last().map_or(0, |e| e.size));
                }
                Ok(shard)
            })
            .collect();
        for shard in written {
            self.append(shard?)?;
        }
        Ok(())
    }

    /// Copies a shard's entries, raw, to the end of this payload.
    fn append(&mut self, shard: Payload) -> Result<(), WriteError> {
        let path = shard.temp.path().to_path_buf();
        let zip_err = |source| WriteError::Zip {
            entry: "(shard)".into(),
            source,
        };
        shard.zip.finish().map_err(zip_err)?;
        let file = File::open(&path).map_err(|source| WriteError::Io {
            path: path.clone(),
            source,
        })?;
        let archive = ZipArchive::new(file).map_err(zip_err)?;
        self.zip.merge_archive(archive).map_err(zip_err)?;
        self.entries.extend(shard.entries);
        Ok(())
    }

    /// Adds generated content (Dockerfile, SBOM).
    pub fn add_bytes(&mut self, entry: &str, bytes: &[u8], mode: u32) -> Result<(), WriteError> {
        let size = bytes.len() as u64;
        let origin = self.temp.path().to_path_buf();
        self.add(
            entry,
            &mut &bytes[..],
            size,
            mode,
            Storage::Deflated,
            &origin,
        )
    }

    /// Starts an entry and streams `data` into it through sha256, in one pass.
    fn add(
        &mut self,
        entry: &str,
        data: &mut dyn Read,
        size: u64,
        mode: u32,
        storage: Storage,
        origin: &Path,
    ) -> Result<(), WriteError> {
        let options = self.options(mode, size, storage);
        self.zip
            .start_file(entry, options)
            .map_err(|source| WriteError::Zip {
                entry: entry.into(),
                source,
            })?;
        let (sha256, size) =
            copy_hashing(data, &mut self.zip).map_err(|source| WriteError::Io {
                path: origin.to_path_buf(),
                source,
            })?;
        self.entries.push(Entry {
            path: entry.into(),
            sha256,
            size,
            mode,
        });
        Ok(())
    }

    /// The entries written so far, in order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Writes the bundle: manifest, signature, then the payload copied raw
    /// in one piece (in the kernel, where it can).
    pub fn write_bundle(
        self,
        out: &Path,
        manifest: &[u8],
        signature: &[u8],
    ) -> Result<(), WriteError> {
        let temp_path = self.temp.path().to_path_buf();
        let zip_err = |entry: &str| {
            let entry = entry.to_string();
            move |source| WriteError::Zip { entry, source }
        };
        let io_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| WriteError::Io { path, source }
        };
        let payload_file = self.zip.finish().map_err(zip_err("(payload)"))?;
        drop(payload_file);
        let payload = ZipArchive::new(File::open(&temp_path).map_err(io_err(&temp_path))?)
            .map_err(zip_err("(payload)"))?;

        let dir = crate::fsutil::parent_dir(out);
        let bundle = crate::temp::file_in("pack", dir, ".ferry").map_err(io_err(dir))?;
        let mut zip = ZipWriter::new(BufWriter::new(
            bundle.reopen().map_err(io_err(bundle.path()))?,
        ));
        for (name, bytes) in [(MANIFEST, manifest), (SIGNATURE, signature)] {
            let options = SimpleFileOptions::default()
                .compression_method(CompressionMethod::Deflated)
                .last_modified_time(self.time)
                .unix_permissions(0o644);
            zip.start_file(name, options).map_err(zip_err(name))?;
            zip.write_all(bytes).map_err(io_err(bundle.path()))?;
        }
        zip.merge_archive(payload).map_err(zip_err("(payload)"))?;
        let writer = zip.finish().map_err(zip_err("(central directory)"))?;
        let file = writer.into_inner().map_err(|e| WriteError::Io {
            path: bundle.path().to_path_buf(),
            source: e.into_error(),
        })?;
        // A temporary file is private (0600); the bundle gets the mode any new
        // file would, so that the operator's account can read it.
        file.set_permissions(std::fs::Permissions::from_mode(0o666 & !umask()))
            .map_err(io_err(bundle.path()))?;
        file.sync_all().map_err(io_err(bundle.path()))?;
        bundle.persist(out).map_err(|e| WriteError::Io {
            path: out.to_path_buf(),
            source: e.error,
        })?;
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

/// The process umask, read the only way POSIX offers: by setting it and back.
fn umask() -> u32 {
    // SAFETY: umask(2) cannot fail; it is set back at once, and ferry starts
    // no threads that create files while a bundle is being written.
    unsafe {
        let old = libc::umask(0o022);
        libc::umask(old);
        old as u32
    }
}

/// Copies `from` into `to`, returning the sha256 (hex) and length of what passed.
fn copy_hashing(from: &mut dyn Read, to: &mut dyn Write) -> io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        to.write_all(&buf[..n])?;
        total += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), total))
}

/// A reader that fails once `stop` is set, so that a copy ends part way.
struct Until<'a, R> {
    inner: R,
    stop: &'a AtomicBool,
}

impl<R: Read> Read for Until<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.stop.load(Ordering::Relaxed) {
            true => Err(io::Error::other("stopped")),
            false => self.inner.read(buf),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_time_defaults_to_1980_and_follows_epoch() {
        assert_eq!(zip_time(None), DateTime::default());
        let t = zip_time(Some(1_700_000_000));
        assert_eq!((t.year(), t.month(), t.day()), (2023, 11, 14));
        assert_eq!(
            zip_time(Some(0)),
            DateTime::default(),
            "1970 cannot be stored in a zip"
        );
    }

    #[test]
    fn a_stop_ends_adding_files_with_none_added_and_no_shard_left() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.txt");
        std::fs::write(&file, b"a").unwrap();
        let files = vec![("src/a.txt".to_string(), file.clone(), 0o644)];
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let mut payload = Payload::create_in(&out, DateTime::default()).unwrap();
        let hidden = indicatif::ProgressBar::hidden();
        let stop = AtomicBool::new(true);
        let got = payload.add_files_until(&files, Storage::by_name, &hidden, &stop);
        assert!(matches!(got, Err(WriteError::Stopped)), "{got:?}");
        assert!(payload.entries().is_empty());
        // Not stopped, the same file is added.
        stop.store(false, Ordering::Relaxed);
        payload
            .add_files_until(&files, Storage::by_name, &hidden, &stop)
            .unwrap();
        assert_eq!(payload.entries().len(), 1);
        drop(payload);
        let left = std::fs::read_dir(&out).unwrap().count();
        assert_eq!(left, 0, "a payload or shard left behind");
    }

    #[test]
    fn a_stop_ends_a_copy_part_way_through_a_file() {
        let stop = AtomicBool::new(false);
        let mut until = Until {
            inner: &b"0123456789"[..],
            stop: &stop,
        };
        let mut buf = [0u8; 4];
        assert_eq!(until.read(&mut buf).unwrap(), 4);
        stop.store(true, Ordering::Relaxed);
        assert!(until.read(&mut buf).is_err(), "read on after the stop");
    }
}
