//! A bundle cut into parts for small media: `BUNDLE.001`, `BUNDLE.002`, … and
//! `BUNDLE.parts`, a signed index of every part's size and sha256. Readers
//! check the index and every part before any entry is read, then read the
//! parts as one stream (`stream`), never reassembled on disk.

pub mod cut;
pub mod index;
pub mod size;
pub mod stream;

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use sha2::{Digest, Sha256};

use crate::exit::{Classify, Exit};
use crate::sign::{MAX_SIGNATURE_BYTES, SignError, TrustedKeys};
pub use index::Index;

/// The index's suffix: what tells a reader it was given parts.
pub const SUFFIX: &str = ".parts";

/// The index's signature beside it, as the stock `minisign -V` finds it.
pub const SIGNATURE_SUFFIX: &str = ".minisig";

/// Whether `path` names a parts index rather than a bundle file.
pub fn is_index(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().ends_with(SUFFIX))
}

/// The bundle a parts index stands for: `X.ferry.parts` → `X.ferry`.
pub fn whole_of(index: &Path) -> PathBuf {
    let name = index.as_os_str().to_string_lossy();
    PathBuf::from(name.strip_suffix(SUFFIX).unwrap_or(&name))
}

/// The signature file of an index: `BUNDLE.parts.minisig`.
pub fn signature_of(index: &Path) -> PathBuf {
    let mut name = index.as_os_str().to_owned();
    name.push(SIGNATURE_SUFFIX);
    PathBuf::from(name)
}

/// What is wrong with one part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    PartMissing,
    PartExtra,
    PartSize,
    PartSha256,
    PartsSha256,
}

impl Code {
    /// Every code, in the order docs/diagnostics.md lists them.
    pub const ALL: [Code; 5] = [
        Code::PartMissing,
        Code::PartExtra,
        Code::PartSize,
        Code::PartSha256,
        Code::PartsSha256,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::PartMissing => "part-missing",
            Code::PartExtra => "part-extra",
            Code::PartSize => "part-size",
            Code::PartSha256 => "part-sha256",
            Code::PartsSha256 => "parts-sha256",
        }
    }
}

/// One part that is not what the signed index says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PartProblem {
    pub code: Code,
    pub part: String,
    pub problem: String,
}

impl fmt::Display for PartProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} [{}]",
            self.part,
            self.problem,
            self.code.as_str()
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PartsError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a readable parts index: {reason}")]
    Index { path: PathBuf, reason: String },
    #[error("{path}: signed by key {id}, which is not trusted here (trusted: {})", .trusted.join(", "))]
    UntrustedKey {
        path: PathBuf,
        id: String,
        trusted: Vec<String>,
    },
    #[error("{path}: its signature {} does not match it: {reason}", signature_of(.path).display())]
    BadSignature { path: PathBuf, reason: String },
    #[error("{path}: its signature {} is missing: carry it beside the index", signature_of(.path).display())]
    MissingSignature { path: PathBuf },
    #[error("{path}: {} of {} part(s) refused:\n{}", .problems.len(), .parts, crate::text::indented(.problems))]
    Parts {
        path: PathBuf,
        parts: usize,
        problems: Vec<PartProblem>,
    },
    #[error(
        "{path}: the parts hold a bundle whose ferry.json has sha256:{actual}; the signed index names sha256:{expected}"
    )]
    OtherBundle {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("{path} already exists: refusing to overwrite (remove it, or cut into another folder)")]
    Exists { path: PathBuf },
    #[error(
        "{bundle}: {size} bytes in parts of {part} bytes makes {count} parts; at most {} (choose a larger --size)",
        index::MAX_PARTS
    )]
    TooMany {
        bundle: PathBuf,
        size: u64,
        part: u64,
        count: u64,
    },
    #[error("signing {path}: {source}")]
    Sign { path: PathBuf, source: SignError },
    #[error(
        "{path}: the parts of {bundle} just written do not read back as it: joined, sha256 {joined}; the bundle read had {expected}: no index signed [{}]",
        Code::PartsSha256.as_str()
    )]
    ReadBack {
        path: PathBuf,
        bundle: String,
        joined: String,
        expected: String,
    },
    #[error("{path}: the parts' sha256 could not be taken: {reason}")]
    Hashing { path: PathBuf, reason: String },
}

impl Classify for PartsError {
    fn exit(&self) -> Exit {
        match self {
            PartsError::Io { .. }
            | PartsError::Sign { .. }
            | PartsError::Hashing { .. }
            | PartsError::ReadBack { .. } => Exit::CouldNotRun,
            PartsError::Exists { .. } | PartsError::TooMany { .. } => Exit::Usage,
            PartsError::Index { .. }
            | PartsError::UntrustedKey { .. }
            | PartsError::BadSignature { .. }
            | PartsError::MissingSignature { .. }
            | PartsError::Parts { .. }
            | PartsError::OtherBundle { .. } => Exit::CheckFailed,
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PartsError + '_ {
    move |source| PartsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A signed index whose every part was found with its size and sha256.
#[derive(Debug, Clone)]
pub struct Verified {
    pub path: PathBuf,
    pub index: Arc<Index>,
    /// The folder the parts are in: the index's.
    pub dir: PathBuf,
    /// The id of the trusted key that signed the index.
    pub key_id: String,
}

/// Opens a parts index: its signature against the trusted keys first, then
/// its fields, then every part's presence and size (and no extra part).
/// Each part's sha256 is [`Verified::start_hashes`]'s, whose verdict the
/// bundle reader has before any entry reaches a sink that writes.
pub fn open(path: &Path, keys: &TrustedKeys) -> Result<Verified, PartsError> {
    let bytes = crate::fsutil::read_at_most(path, index::MAX_INDEX_BYTES).map_err(io(path))?;
    let sig_path = signature_of(path);
    let signature =
        crate::fsutil::read_at_most(&sig_path, MAX_SIGNATURE_BYTES).map_err(|e| {
            match e.kind() {
                std::io::ErrorKind::NotFound => PartsError::MissingSignature {
                    path: path.to_path_buf(),
                },
                _ => io(&sig_path)(e),
            }
        })?;
    let key_id = check_signature(path, &bytes, &signature, keys)?;
    let index = Index::from_bytes(&bytes).map_err(|reason| PartsError::Index {
        path: path.to_path_buf(),
        reason,
    })?;
    let dir = crate::fsutil::parent_dir(path).to_path_buf();
    let verified = Verified {
        path: path.to_path_buf(),
        index: Arc::new(index),
        dir,
        key_id,
    };
    let problems = verified.check_presence()?;
    verified.refuse(problems)?;
    Ok(verified)
}

/// The index's signature by a trusted key, and its trusted comment naming
/// these very bytes; returns the signer's key id.
fn check_signature(
    path: &Path,
    bytes: &[u8],
    signature: &[u8],
    keys: &TrustedKeys,
) -> Result<String, PartsError> {
    let sha = hex::encode(Sha256::digest(bytes));
    let (comment, signer) = keys
        .verify_manifest(signature, bytes, &sha)
        .map_err(|e| match e {
            SignError::UntrustedKey { id, trusted } => PartsError::UntrustedKey {
                path: path.to_path_buf(),
                id,
                trusted,
            },
            SignError::BadSignature(reason) => PartsError::BadSignature {
                path: path.to_path_buf(),
                reason,
            },
            other => PartsError::BadSignature {
                path: path.to_path_buf(),
                reason: other.to_string(),
            },
        })?;
    let named = comment
        .split_whitespace()
        .find_map(|w| w.strip_prefix("index=sha256:"));
    if named != Some(sha.as_str()) || !comment.starts_with(index::FORMAT) {
        return Err(PartsError::BadSignature {
            path: path.to_path_buf(),
            reason: format!(
                "its trusted comment {comment:?} does not name this index (sha256:{sha})"
            ),
        });
    }
    Ok(signer.id.clone())
}

/// The trusted comment of an index: what it is, and these bytes.
pub fn trusted_comment(index: &Index, index_sha256: &str) -> String {
    format!(
        "{} bundle={} module={} version={} parts={} index=sha256:{index_sha256}",
        index::FORMAT,
        index.bundle,
        index.module,
        index.version,
        index.parts.len()
    )
}

impl Verified {
    /// The whole bundle's size.
    pub fn size(&self) -> u64 {
        self.index.size
    }

    pub fn part_path(&self, number: usize) -> PathBuf {
        self.dir.join(&self.index.parts[number].name)
    }

    /// Every part is a file of its listed size, and no `<bundle>.NNN` beside
    /// them is one the index does not list.
    fn check_presence(&self) -> Result<Vec<PartProblem>, PartsError> {
        let mut problems = Vec::new();
        for (i, part) in self.index.parts.iter().enumerate() {
            let path = self.part_path(i);
            let expect = format!("{} bytes, sha256 {}", part.size, part.sha256);
            match std::fs::symlink_metadata(&path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => problems.push(PartProblem {
                    code: Code::PartMissing,
                    part: part.name.clone(),
                    problem: format!(
                        "missing; the index lists part {} of {}: {expect}",
                        i + 1,
                        self.index.parts.len()
                    ),
                }),
                Err(e) => return Err(io(&path)(e)),
                Ok(m) if !m.is_file() => problems.push(PartProblem {
                    code: Code::PartMissing,
                    part: part.name.clone(),
                    problem: format!(
                        "not a regular file (a link, folder or device); expected {expect}"
                    ),
                }),
                Ok(m) if m.len() != part.size => problems.push(PartProblem {
                    code: Code::PartSize,
                    part: part.name.clone(),
                    problem: format!("{} bytes; the index expects {expect}", m.len()),
                }),
                Ok(_) => {}
            }
        }
        problems.extend(self.extra_parts()?);
        Ok(problems)
    }

    /// Files `<bundle>.<digits>` in the folder that the index does not list.
    fn extra_parts(&self) -> Result<Vec<PartProblem>, PartsError> {
        let listed = self.index.parts.len();
        let prefix = format!("{}.", self.index.bundle);
        let mut extra = Vec::new();
        for entry in std::fs::read_dir(&self.dir).map_err(io(&self.dir))? {
            let name = entry
                .map_err(io(&self.dir))?
                .file_name()
                .to_string_lossy()
                .into_owned();
            let Some(digits) = name.strip_prefix(&prefix) else {
                continue;
            };
            let numbered = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
            if numbered && !self.index.parts.iter().any(|p| p.name == name) {
                extra.push(PartProblem {
                    code: Code::PartExtra,
                    part: name,
                    problem: format!(
                        "not in the signed index, which lists {listed} part(s), {} to {}",
                        self.index.parts[0].name,
                        self.index.parts[listed - 1].name
                    ),
                });
            }
        }
        extra.sort_by(|a, b| a.part.cmp(&b.part));
        Ok(extra)
    }

    fn refuse(&self, problems: Vec<PartProblem>) -> Result<(), PartsError> {
        match problems.is_empty() {
            true => Ok(()),
            false => Err(PartsError::Parts {
                path: self.path.clone(),
                parts: self.index.parts.len(),
                problems,
            }),
        }
    }

    /// Each part's sha256 against the index, the parts on every core; every
    /// part that differs is named. The whole's sha256 is not taken again:
    /// parts that each match their signed size and sha256 fix every byte of
    /// the whole, and the index's own `sha256` is shown as signed, not as
    /// checked (docs/decisions.md, "Split parts").
    fn hash_problems(&self, stop: &AtomicBool) -> Result<Vec<PartProblem>, PartsError> {
        let sums = self.hash_all(stop)?;
        let mut problems = Vec::new();
        for (i, actual) in sums.into_iter().enumerate() {
            let part = &self.index.parts[i];
            if actual == part.sha256 {
                continue;
            }
            let whose = self.index.parts.iter().find(|p| p.sha256 == actual);
            let hint = match whose {
                Some(p) => format!(" (the bytes of {}: parts swapped or renamed)", p.name),
                None => String::new(),
            };
            problems.push(PartProblem {
                code: Code::PartSha256,
                part: part.name.clone(),
                problem: format!("sha256 {actual}; the index expects {}{hint}", part.sha256),
            });
        }
        Ok(problems)
    }

    /// Every part's sha256, in index order, on threads of its own (one per
    /// core, each taking the next part): not rayon's global pool, so that a
    /// caller may wait for the verdict from inside a rayon job without
    /// holding the workers the hashing would need.
    fn hash_all(&self, stop: &AtomicBool) -> Result<Vec<String>, PartsError> {
        let count = self.index.parts.len();
        let next = AtomicUsize::new(0);
        let failed = AtomicBool::new(false);
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(count);
        let work = || {
            let mut done = Vec::new();
            while !failed.load(Ordering::Relaxed) {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let sum = hash_part(&self.part_path(i), stop);
                failed.fetch_or(sum.is_err(), Ordering::Relaxed);
                done.push((i, sum));
            }
            done
        };
        let mut sums: Vec<Option<String>> = vec![None; count];
        let joined = std::thread::scope(|scope| {
            let threads = (0..workers)
                .map(|_| {
                    std::thread::Builder::new()
                        .name("part hash".into())
                        .spawn_scoped(scope, work)
                })
                .collect::<Vec<_>>();
            threads
                .into_iter()
                .map(|t| match t {
                    Ok(t) => t
                        .join()
                        .map_err(|_| self.hashing("a hashing thread panicked")),
                    // Its share falls to the others, or to this thread below.
                    Err(_) => Ok(Vec::new()),
                })
                .collect::<Vec<_>>()
        });
        for done in joined {
            for (i, sum) in done? {
                sums[i] = Some(sum?);
            }
        }
        // A part left unhashed when no thread could start (the others stop
        // early only on an error, returned above): hashed on this thread.
        sums.into_iter()
            .enumerate()
            .map(|(i, s)| s.map_or_else(|| hash_part(&self.part_path(i), stop), Ok))
            .collect()
    }

    fn hashing(&self, reason: &str) -> PartsError {
        PartsError::Hashing {
            path: self.path.clone(),
            reason: reason.to_string(),
        }
    }
}

/// Every part's sha256 being checked on other threads since
/// [`Verified::start_hashes`]: a reader starts it as soon as the index is
/// open, so the hashing runs while the manifest and the central directory
/// are read. Dropped without [`Pending::wait`], it stops at its next chunk
/// and is joined. Its threads are its own, not rayon's, so it may be waited
/// on from anywhere, a rayon job included.
pub struct Pending {
    /// The hashing thread; `None` once joined, or when it could not start
    /// (then [`Pending::wait`] hashes on the caller's thread).
    handle: Option<std::thread::JoinHandle<Result<(), PartsError>>>,
    parts: Verified,
    stop: Arc<AtomicBool>,
}

impl Verified {
    /// Every part's sha256 checked on a thread of its own (the parts on
    /// every core): its verdict is [`Pending::wait`]'s.
    pub fn start_hashes(&self) -> Pending {
        let stop = Arc::new(AtomicBool::new(false));
        let (parts, stopped) = (self.clone(), stop.clone());
        let handle = std::thread::Builder::new()
            .name("part hashes".into())
            .spawn(move || parts.verdict(&stopped))
            .ok();
        Pending {
            handle,
            parts: self.clone(),
            stop,
        }
    }

    fn verdict(&self, stop: &AtomicBool) -> Result<(), PartsError> {
        let problems = self.hash_problems(stop)?;
        self.refuse(problems)
    }
}

impl Pending {
    /// Every part's sha256 checked: `Ok` only when each is the index's.
    pub fn wait(mut self) -> Result<(), PartsError> {
        match self.handle.take() {
            Some(h) => h
                .join()
                .map_err(|_| self.parts.hashing("the part hashing thread panicked"))?,
            // No thread could start: the verdict is taken here instead.
            None => self.parts.verdict(&self.stop),
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            // Its verdict is not wanted: only the thread's end is.
            let _ = h.join();
        }
    }
}

/// One part's sha256, read through one buffer; an error once `stop` is set.
fn hash_part(path: &Path, stop: &AtomicBool) -> Result<String, PartsError> {
    let mut file = open_part(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; HASH_CHUNK];
    loop {
        if stop.load(Ordering::Relaxed) {
            return Err(PartsError::Hashing {
                path: path.to_path_buf(),
                reason: "stopped: its verdict was no longer wanted".into(),
            });
        }
        let n = file.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Reads of a part being hashed: large enough that the syscalls do not count.
const HASH_CHUNK: usize = 1 << 20;

/// A part opened as a plain file: a symbolic link is not followed, a FIFO
/// or device swapped in after the size check does not block, and anything
/// but a regular file is refused.
pub fn open_part(path: &Path) -> Result<File, PartsError> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(io(path))?;
    match file.metadata().map_err(io(path))?.is_file() {
        true => Ok(file),
        false => Err(io(path)(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use index::Part;

    /// Six parts of 1000 bytes in a temporary folder, part 4 flipped after
    /// its sha256 was taken.
    fn six_parts(dir: &Path) -> Verified {
        let parts = (1..=6)
            .map(|n| {
                let bytes = vec![n as u8; 1000];
                let name = index::part_name("b.ferry", n);
                std::fs::write(dir.join(&name), &bytes).expect("part");
                Part {
                    name,
                    size: 1000,
                    sha256: hex::encode(Sha256::digest(&bytes)),
                }
            })
            .collect();
        std::fs::write(dir.join("b.ferry.004"), vec![9u8; 1000]).expect("flip");
        let index = Index {
            format: index::FORMAT.into(),
            bundle: "b.ferry".into(),
            module: "example.com/b".into(),
            version: "v1.0.0".into(),
            manifest_sha256: "0".repeat(64),
            size: 6000,
            sha256: "0".repeat(64),
            part_size: 1000,
            parts,
        };
        Verified {
            path: dir.join("b.ferry.parts"),
            index: Arc::new(index),
            dir: dir.to_path_buf(),
            key_id: "TEST".into(),
        }
    }

    /// Every worker of rayon's global pool waits for a part verdict at
    /// once: the hashing needs none of them, so each gets its verdict (on
    /// the global pool it would wait for a free worker forever; the channel
    /// turns that hang into a failure).
    #[test]
    fn part_verdicts_waited_on_from_every_rayon_worker_arrive() {
        use rayon::prelude::*;
        let dir = tempfile::tempdir().expect("temp dir");
        let parts = six_parts(dir.path());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let verdicts: Vec<_> = (0..rayon::current_num_threads() * 2)
                .into_par_iter()
                .map(|_| parts.start_hashes().wait().map_err(|e| e.to_string()))
                .collect();
            let _ = tx.send(verdicts);
        });
        let verdicts = rx
            .recv_timeout(std::time::Duration::from_secs(600))
            .expect("every wait returned (a deadlock otherwise)");
        for v in verdicts {
            let err = v.expect_err("part 4 differs");
            assert!(
                err.contains("b.ferry.004: sha256") && err.contains("[part-sha256]"),
                "{err}"
            );
            assert!(!err.contains("b.ferry.003"), "{err}");
        }
    }
}
