//! Image tars a delta rebuilds (`base.images`): each member's header from the
//! signed manifest, its data from the delta's zip or from one of the base's
//! image tars, every member held to its sha256 and size as it streams and the
//! whole tar to its entry, so a sink never sees a clean end of wrong bytes.

use std::io::{self, Read, Seek, SeekFrom};

use indicatif::ProgressBar;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use zip::CompressionMethod;

use super::content::check_stream;
use super::{Base, Bundle, Sink, folder};
use crate::bundle::diags::{BundleError, Code, Problem, Report};
use crate::bundle::manifest::{Entry, InBase, Member, SplitTar};
use crate::bundle::source::Stream;
use crate::bundle::tarmembers::{BLOCK, padded};

impl Bundle {
    /// The tar this delta rebuilds at manifest position `pos`, if any.
    pub(super) fn split_tar(&self, pos: usize) -> Option<&SplitTar> {
        let path = &self.manifest.entries.get(pos)?.path;
        let base = self.manifest.base.as_ref()?;
        base.images.iter().find(|t| &t.path == path)
    }

    /// The size the zip entry at manifest position `pos` must declare: a
    /// rebuilt tar's carried members, else the entry's own size.
    pub(super) fn declared_size(&self, pos: usize) -> u64 {
        match self.split_tar(pos) {
            Some(tar) => carried(tar).fold(0u64, |sum, m| sum.saturating_add(m.size)),
            None => self.manifest.entries[pos].size,
        }
    }

    /// Rebuilds each tar `(zip index, manifest position)` into the sink;
    /// with no base attached, only the members the delta carries are checked
    /// (the missing base is reported with the entries taken from it).
    pub(super) fn check_rebuilt(
        &self,
        jobs: &[(usize, usize)],
        sink: &dyn Sink,
        progress: &ProgressBar,
    ) -> Result<Vec<Problem>, BundleError> {
        let found: Vec<Result<Option<Problem>, BundleError>> = jobs
            .par_iter()
            .map(|&(index, pos)| {
                let entry = &self.manifest.entries[pos];
                let found = self.rebuild_one(index, entry, sink);
                progress.inc(entry.size);
                found
            })
            .collect();
        let mut problems = Vec::new();
        for f in found {
            problems.extend(f?);
        }
        Ok(problems)
    }

    fn rebuild_one(
        &self,
        index: usize,
        entry: &Entry,
        sink: &dyn Sink,
    ) -> Result<Option<Problem>, BundleError> {
        let unreadable = |e: &dyn std::fmt::Display| {
            Problem::new(
                Code::Unreadable,
                &entry.path,
                format!("cannot be read: {e}"),
            )
        };
        let Some(tar) = self
            .manifest
            .base
            .iter()
            .flat_map(|b| &b.images)
            .find(|t| t.path == entry.path)
        else {
            return Ok(None);
        };
        let mut archive = self.archive.clone();
        let data = match archive.by_index(index) {
            Ok(d) => d,
            Err(e) => return Ok(Some(unreadable(&e))),
        };
        let Some(base) = &self.base else {
            return Ok(check_carried(data, tar, entry));
        };
        let mut rebuild = Rebuild::new(tar, entry, data, base);
        let found = check_stream(&mut rebuild, entry, sink)?;
        Ok(rebuild.problem.take().or(found))
    }
}

/// The members whose data the delta's zip carries, in order.
fn carried(tar: &SplitTar) -> impl Iterator<Item = &Member> {
    tar.members.iter().filter(|m| m.base.is_none())
}

/// With no base: each carried member's bytes against its sha256 and size.
fn check_carried(mut data: impl Read, tar: &SplitTar, entry: &Entry) -> Option<Problem> {
    for (j, m) in tar
        .members
        .iter()
        .enumerate()
        .filter(|(_, m)| m.base.is_none())
    {
        let mut hasher = Sha256::new();
        let read = match io::copy(&mut (&mut data).take(m.size), &mut hasher) {
            Ok(n) => n,
            Err(e) => {
                let what = format!("{}: cannot be read: {e}", member_name(j, m));
                return Some(Problem::new(Code::Unreadable, &entry.path, what));
            }
        };
        if let Some(p) = judge(j, m, read, hasher, entry, "carried") {
            return Some(p);
        }
    }
    nothing_after(&mut data, tar, entry)
}

/// The zip entry holds the carried members' data and nothing else: a byte
/// after them is a problem, whatever the entry declared.
fn nothing_after(data: &mut impl Read, tar: &SplitTar, entry: &Entry) -> Option<Problem> {
    let carried: u64 = carried(tar).fold(0u64, |sum, m| sum.saturating_add(m.size));
    match data.read(&mut [0u8; 1]) {
        Ok(0) => None,
        Ok(_) => Some(Problem::new(
            Code::Size,
            &entry.path,
            format!("the zip entry holds more than the {carried} bytes of its carried members"),
        )),
        Err(e) => Some(Problem::new(
            Code::Unreadable,
            &entry.path,
            format!("cannot be read: {e}"),
        )),
    }
}

/// A member's data against its size and sha256.
fn judge(
    j: usize,
    m: &Member,
    read: u64,
    hasher: Sha256,
    entry: &Entry,
    from: &str,
) -> Option<Problem> {
    let what = format!("{} ({from}): ", member_name(j, m));
    if read != m.size {
        let what = format!("{what}size differs from the manifest");
        return Some(Problem::mismatch(
            Code::Size,
            &entry.path,
            &what,
            m.size,
            read,
        ));
    }
    let actual = hex::encode(hasher.finalize());
    (actual != m.sha256).then(|| {
        let what = format!("{what}sha256 differs from the manifest");
        Problem::mismatch(Code::Sha256, &entry.path, &what, &m.sha256, actual)
    })
}

/// `member 3 (blobs/sha256/…)`, the name its header gives.
fn member_name(j: usize, m: &Member) -> String {
    let bytes = hex::decode(&m.header).unwrap_or_default();
    let name = <&[u8; 512]>::try_from(bytes.as_slice())
        .map(|b| {
            String::from_utf8_lossy(&tar::Header::from_byte_slice(b).path_bytes()).into_owned()
        })
        .unwrap_or_default();
    format!("member {j} ({name})")
}

/// Where a rebuild stands.
enum State {
    /// About to start member `n`.
    Next,
    Header(Vec<u8>, usize),
    Data {
        from: Option<Box<dyn Read>>,
        left: u64,
        hasher: Sha256,
    },
    Zeros(u64),
    Trailer(u64),
}

/// The tar's bytes, member by member: header, data (carried or from the
/// base), zero padding; then the zero blocks that end it.
struct Rebuild<'a, R> {
    tar: &'a SplitTar,
    entry: &'a Entry,
    carried: R,
    base: &'a Base,
    member: usize,
    state: State,
    problem: Option<Problem>,
}

impl<'a, R: Read> Rebuild<'a, R> {
    fn new(tar: &'a SplitTar, entry: &'a Entry, carried: R, base: &'a Base) -> Self {
        Rebuild {
            tar,
            entry,
            carried,
            base,
            member: 0,
            state: State::Next,
            problem: None,
        }
    }

    fn fail(&mut self, p: Problem) -> io::Error {
        let e = io::Error::new(io::ErrorKind::InvalidData, p.problem.clone());
        self.problem = Some(p);
        e
    }

    /// Moves on from a finished piece, judging a member's data at its end.
    fn advance(&mut self) -> io::Result<()> {
        let state = std::mem::replace(&mut self.state, State::Trailer(0));
        self.state = match state {
            State::Next => match self.tar.members.get(self.member) {
                Some(m) => match hex::decode(&m.header) {
                    Ok(header) => State::Header(header, 0),
                    Err(e) => {
                        let what = format!("{}: header: {e}", member_name(self.member, m));
                        let p = Problem::new(Code::Unreadable, &self.entry.path, what);
                        return Err(self.fail(p));
                    }
                },
                None => {
                    if let Some(p) = nothing_after(&mut self.carried, self.tar, self.entry) {
                        return Err(self.fail(p));
                    }
                    let total = self.tar.members.iter().fold(0u64, |sum, m| {
                        sum.saturating_add(BLOCK).saturating_add(padded(m.size))
                    });
                    State::Trailer(self.entry.size.saturating_sub(total))
                }
            },
            State::Header(..) => {
                let (j, m) = (self.member, &self.tar.members[self.member]);
                let from = match &m.base {
                    None => None,
                    Some(at) => match open_in_base(self.base, j, m, at, self.entry) {
                        Ok(r) => Some(r),
                        Err(p) => return Err(self.fail(p)),
                    },
                };
                State::Data {
                    from,
                    left: m.size,
                    hasher: Sha256::new(),
                }
            }
            State::Data { hasher, left, .. } => {
                let (j, m) = (self.member, &self.tar.members[self.member]);
                let from = if m.base.is_some() {
                    "from the base"
                } else {
                    "carried"
                };
                if let Some(p) = judge(j, m, m.size - left, hasher, self.entry, from) {
                    return Err(self.fail(p));
                }
                State::Zeros(padded(m.size) - m.size)
            }
            State::Zeros(_) => {
                self.member += 1;
                State::Next
            }
            State::Trailer(n) => State::Trailer(n),
        };
        Ok(())
    }
}

impl<R: Read> Read for Rebuild<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.problem.is_some() {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "refused"));
        }
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match &mut self.state {
                State::Header(bytes, at) if *at < bytes.len() => {
                    let n = buf.len().min(bytes.len() - *at);
                    buf[..n].copy_from_slice(&bytes[*at..*at + n]);
                    *at += n;
                    return Ok(n);
                }
                State::Data { from, left, hasher } if *left > 0 => {
                    let want = buf.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
                    let reader: &mut dyn Read = match from {
                        Some(r) => r.as_mut(),
                        None => &mut self.carried,
                    };
                    let n = reader.read(&mut buf[..want])?;
                    if n == 0 {
                        // Short data: advancing judges the member, and fails.
                        let short = self.advance().err();
                        return Err(short.unwrap_or_else(|| io::ErrorKind::UnexpectedEof.into()));
                    }
                    hasher.update(&buf[..n]);
                    *left -= n as u64;
                    return Ok(n);
                }
                State::Zeros(k) | State::Trailer(k) if *k > 0 => {
                    let n = buf.len().min(usize::try_from(*k).unwrap_or(usize::MAX));
                    buf[..n].fill(0);
                    *k -= n as u64;
                    return Ok(n);
                }
                State::Trailer(_) => return Ok(0),
                _ => self.advance()?,
            }
        }
    }
}

/// A reader of a member's data where the base holds it: inside the base's
/// entry with the sha256 the manifest names, at its offset, never past it.
fn open_in_base(
    base: &Base,
    j: usize,
    m: &Member,
    at: &InBase,
    entry: &Entry,
) -> Result<Box<dyn Read>, Problem> {
    let problem = |code, what: String| {
        let what = format!(
            "{} (from the base {}): {what}",
            member_name(j, m),
            base.shown()
        );
        Problem::new(code, &entry.path, what)
    };
    let Some(held) = base
        .manifest()
        .entries
        .iter()
        .find(|e| e.sha256 == at.tar_sha256 && crate::bundle::delta::is_image_tar(&e.path))
    else {
        let what = format!("the base has no image tar with sha256 {}", at.tar_sha256);
        return Err(problem(Code::Missing, what));
    };
    if at
        .offset
        .checked_add(m.size)
        .is_none_or(|end| end > held.size)
    {
        let what = format!(
            "offset {} is past the end of the base's {}",
            at.offset, held.path
        );
        return Err(problem(Code::Size, what));
    }
    let io = |e: io::Error| {
        problem(
            Code::Unreadable,
            format!("{}: cannot be read: {e}", held.path),
        )
    };
    match base {
        Base::Folder(f) => {
            let mut file = folder::open_listed(f, &held.path)?;
            file.seek(SeekFrom::Start(at.offset)).map_err(io)?;
            Ok(Box::new(file.take(m.size)))
        }
        Base::Bundle(b) => {
            let (mut stream, start) =
                stored_data(b, &held.path).map_err(|(code, what)| problem(code, what))?;
            stream
                .seek(SeekFrom::Start(start.saturating_add(at.offset)))
                .map_err(io)?;
            Ok(Box::new(stream.take(m.size)))
        }
    }
}

/// A stream of bundle `b` at the first byte of its stored entry `path`, and
/// that byte's offset.
fn stored_data(b: &Bundle, path: &str) -> Result<(Stream, u64), (Code, String)> {
    let zip = |e: zip::result::ZipError| (Code::Unreadable, format!("{path}: cannot be read: {e}"));
    let mut archive = b.archive.clone();
    let Some(i) = archive.index_for_name(path) else {
        return Err((
            Code::Missing,
            format!("{path} is not in the zip of {}", b.path),
        ));
    };
    let raw = archive.by_index_raw(i).map_err(zip)?;
    if raw.compression() != CompressionMethod::Stored {
        return Err((
            Code::Compression,
            format!("{path} is compressed; blobs are taken only from a stored tar"),
        ));
    }
    // Stored, and holding exactly the signed size: reads at an offset stay
    // inside this entry's bytes.
    let signed = b.manifest.entry(path).map(|e| e.size);
    if signed != Some(raw.compressed_size()) {
        return Err((
            Code::Size,
            format!(
                "{path}: its zip entry holds {} bytes, not the signed {signed:?}",
                raw.compressed_size()
            ),
        ));
    }
    let Some(start) = raw.data_start() else {
        return Err((Code::Unreadable, format!("{path}: no data offset")));
    };
    drop(raw);
    let mut stream = archive.into_inner();
    stream
        .seek(SeekFrom::Start(start))
        .map_err(|e| (Code::Unreadable, format!("{path}: cannot be read: {e}")))?;
    Ok((stream, start))
}

impl Bundle {
    /// The bytes of the stored entry `path` (unchecked: `pack --base` walks
    /// the tar it just wrote); `None` for an entry that is not stored.
    pub fn open_stored(&self, path: &str) -> Result<Option<io::Take<Stream>>, BundleError> {
        let Some(size) = self.manifest.entry(path).map(|e| e.size) else {
            return Ok(None);
        };
        match stored_data(self, path) {
            Ok((stream, _)) => Ok(Some(stream.take(size))),
            Err((Code::Compression, _)) => Ok(None),
            Err((_, reason)) => Err(BundleError::Unreadable {
                path: self.path.clone(),
                reason,
            }),
        }
    }
}

impl Base {
    /// The bytes of entry `path` of the base (a stored entry of a bundle, a
    /// file of a folder), unchecked: callers hash what they read.
    pub fn open_entry(&self, path: &str) -> Result<Option<Box<dyn Read>>, BundleError> {
        match self {
            Base::Bundle(b) => Ok(b.open_stored(path)?.map(|r| Box::new(r) as Box<dyn Read>)),
            Base::Folder(f) => match folder::open_listed(f, path) {
                Ok(file) => Ok(Some(Box::new(file))),
                Err(problem) => Err(BundleError::Rejected(Box::new(Report {
                    bundle: f.root.display().to_string(),
                    problems: vec![problem],
                    ..Report::default()
                }))),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_byte_after_the_carried_members_is_a_problem() {
        let tar = SplitTar {
            path: "images/app.tar".into(),
            members: vec![Member {
                header: "00".repeat(512),
                sha256: "ab".repeat(32),
                size: 3,
                base: None,
            }],
        };
        let entry = Entry {
            path: "images/app.tar".into(),
            sha256: "cd".repeat(32),
            size: 2048,
            mode: 0o644,
        };
        assert!(nothing_after(&mut &b""[..], &tar, &entry).is_none());
        let p = nothing_after(&mut &b"x"[..], &tar, &entry).unwrap();
        assert_eq!(p.code, Code::Size);
        assert!(p.problem.contains("more than the 3 bytes"), "{}", p.problem);
    }
}
