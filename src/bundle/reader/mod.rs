//! Reading a bundle, trusting nothing before the signature. `open` reads only
//! the first two entries (bounded), checks the signature over the manifest
//! bytes and only then parses them; `check` then holds every zip entry and the
//! archive's layout against the signed manifest, streaming each entry's bytes
//! through sha256 (never past the signed size) and on to a [`Sink`].

mod base;
mod content;
mod entry;
pub mod folder;
pub mod layout;
mod tars;

use std::io::{self, Read};
use std::path::Path;

use indicatif::ProgressBar;
use sha2::{Digest, Sha256};
use zip::{CompressionMethod, ZipArchive};

use super::diags::{BundleError, Check, CheckName, Code, Problem, Report};
use super::manifest::{Entry, MAX_MANIFEST_BYTES, Manifest};
use super::parts::{self, PartsError};
use super::source::{Source, Stream};
use super::{MANIFEST, SIGNATURE, fields};
use crate::sign::{MAX_SIGNATURE_BYTES, TrustedKeys};
pub use base::Base;

/// Where verified entry bytes go: nowhere for `verify`, files for `unpack`.
pub trait Sink: Sync {
    /// Called from several threads at once, for distinct entries.
    fn entry(&self, entry: &Entry, data: &mut dyn Read) -> io::Result<()>;

    /// Whether entry bytes reach a place the user or a later step sees
    /// before the verdict (a file, a folder; not an unnamed spool read only
    /// after `check` returned): then parts have every sha256 checked first.
    fn writes(&self) -> bool {
        true
    }
}

/// Reads and forgets: what `verify` needs.
pub struct Discard;

impl Sink for Discard {
    fn entry(&self, _: &Entry, data: &mut dyn Read) -> io::Result<()> {
        io::copy(data, &mut io::sink()).map(drop)
    }

    fn writes(&self) -> bool {
        false
    }
}

/// The archive's headers held to the manifest, before any entry is read.
struct Scanned {
    problems: Vec<Problem>,
    layout_ok: bool,
    /// Which manifest entries the archive holds.
    seen: Vec<bool>,
    /// `(zip index, manifest position)` of entries whose metadata matched.
    clean: Vec<(usize, usize)>,
}

/// A bundle whose manifest signature checked out.
pub struct Bundle {
    path: String,
    source: Source,
    archive: ZipArchive<Stream>,
    /// The signed index when the bundle was read from parts.
    pub parts: Option<parts::Verified>,
    /// Their sha256s, being checked since the index was opened.
    part_hashes: Option<parts::Pending>,
    /// A delta's base, its signature checked, and the one the delta names.
    base: Option<Base>,
    pub manifest: Manifest,
    pub manifest_bytes: Vec<u8>,
    pub signature_bytes: Vec<u8>,
    pub trusted_comment: String,
    /// The id of the trusted key that signed it.
    pub key_id: String,
    /// That key's 32 bytes: what the key is, whatever its id says.
    pub signer_key: [u8; 32],
}

/// Opens a bundle (or the parts of one, by their signed index) and checks
/// its signature with the trusted key that made it.
pub fn open(path: &Path, keys: &TrustedKeys) -> Result<Bundle, BundleError> {
    if !parts::is_index(path) {
        return open_source(path, Source::File(path.to_path_buf()), None, keys);
    }
    let verified = parts::open(path, keys)?;
    // Hashed from now on, beside the reading of the manifest and directory.
    let hashes = verified.start_hashes();
    let source = Source::parts(verified.clone());
    match open_source(path, source, Some(verified), keys) {
        Ok(mut bundle) => {
            bundle.part_hashes = Some(hashes);
            Ok(bundle)
        }
        // Parts whose bytes differ explain why the bundle in them is not
        // the signed one: the part is named, not a symptom of it.
        Err(e) => match hashes.wait() {
            Ok(()) => Err(e),
            Err(parts) => Err(parts.into()),
        },
    }
}

fn open_source(
    path: &Path,
    source: Source,
    verified: Option<parts::Verified>,
    keys: &TrustedKeys,
) -> Result<Bundle, BundleError> {
    let shown = path.display().to_string();
    let unreadable = |reason: String| BundleError::Unreadable {
        path: shown.clone(),
        reason,
    };
    let file = source.open().map_err(|source| BundleError::Io {
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
    let checked = keys.verify_manifest(&signature_bytes, &manifest_bytes, &digest);
    let (trusted_comment, signer) = checked.map_err(|source| BundleError::Signature {
        path: shown.clone(),
        source,
    })?;
    let key_id = signer.id.clone();
    let signer_key = crate::sign::key_bytes(&signer.key);
    let manifest = Manifest::from_bytes(&manifest_bytes)
        .map_err(|e| unreadable(format!("signed {MANIFEST} cannot be read: {e}")))?;
    if let Some(v) = &verified {
        check_cut(v, &digest)?;
    }
    Ok(Bundle {
        path: shown,
        source,
        archive,
        parts: verified,
        part_hashes: None,
        base: None,
        manifest,
        manifest_bytes,
        signature_bytes,
        trusted_comment,
        key_id,
        signer_key,
    })
}

/// The index's whole sha256 as what it is: signed, not hashed by the reader,
/// with the stock-tool command that checks it.
pub fn whole_as_signed(index: &parts::Index) -> String {
    format!(
        "whole sha256:{} as signed (not re-hashed here: each part's size and sha256 was checked, which fixes every byte; compare with cat {}.0?? | sha256sum)",
        index.sha256, index.bundle
    )
}

/// The parts hold the bundle their signed index names, by its manifest.
fn check_cut(parts: &parts::Verified, manifest_sha256: &str) -> Result<(), PartsError> {
    match parts.index.manifest_sha256 == manifest_sha256 {
        true => Ok(()),
        false => Err(PartsError::OtherBundle {
            path: parts.path.clone(),
            expected: parts.index.manifest_sha256.clone(),
            actual: manifest_sha256.to_string(),
        }),
    }
}

/// Reads entry `index`, which must be `name`, stored or deflated, at most `limit` bytes.
fn read_head(
    archive: &mut ZipArchive<Stream>,
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
    // The declared size (at most `limit`) sizes the buffer: no regrowth.
    let declared = usize::try_from(entry.size()).unwrap_or(0);
    drop(entry);
    let reader = archive
        .by_index(index)
        .map_err(|e| format!("{name}: {e}"))?;
    let mut bytes = Vec::with_capacity(declared.saturating_add(1));
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
    /// Read from parts (this bundle's, or a delta's base's), every part's
    /// sha256 is checked too (started when the index was opened): complete
    /// before the first entry when the sink writes, else alongside the
    /// entries (on the cores one large entry leaves idle), and a part that
    /// differs is the verdict.
    pub fn check(
        &mut self,
        sink: &dyn Sink,
        progress: &ProgressBar,
    ) -> Result<Report, BundleError> {
        let mut hashes: Vec<parts::Pending> = self.pending_hashes().into_iter().collect();
        if let Some(Base::Bundle(base)) = &mut self.base {
            hashes.extend(base.pending_hashes());
        }
        if sink.writes() {
            hashes.into_iter().try_for_each(parts::Pending::wait)?;
            return self.check_entries(sink, progress);
        }
        let report = self.check_entries(sink, progress);
        hashes.into_iter().try_for_each(parts::Pending::wait)?;
        report
    }

    /// The hashing of its parts, started at open (or now, if stopped since).
    fn pending_hashes(&mut self) -> Option<parts::Pending> {
        let parts = self.parts.as_ref()?;
        Some(match self.part_hashes.take() {
            Some(started) => started,
            None => parts.start_hashes(),
        })
    }

    fn check_entries(
        &mut self,
        sink: &dyn Sink,
        progress: &ProgressBar,
    ) -> Result<Report, BundleError> {
        // The fields and the archive's headers are read side by side; with
        // a field refused, the headers' verdict is dropped unseen. So the
        // header scan runs on fields not yet checked: it must never panic
        // on any manifest, only report.
        let (fields, scanned) = rayon::join(|| fields::check(&self.manifest), || self.scan());
        if !fields.is_empty() {
            return Ok(self.refuse_fields(&fields));
        }
        let Scanned {
            mut problems,
            layout_ok,
            mut seen,
            clean,
        } = scanned;
        problems.extend(self.carried_from_base(&clean));
        let (rebuilt, whole): (Vec<_>, Vec<_>) = clean
            .iter()
            .partition(|&&(_, pos)| self.split_tar(pos).is_some());
        problems.extend(self.check_contents(&whole, sink, progress)?);
        problems.extend(self.check_rebuilt(&rebuilt, sink, progress)?);
        let from_base = self.check_from_base(&mut seen, sink, progress)?;
        // With no base a rebuilt tar's carried members were checked, not the
        // tar: it is not counted as checked (needs-base says so).
        let checked: &[(usize, usize)] = match self.base {
            Some(_) => &clean,
            None => &whole,
        };
        let count = checked.len() + from_base.checked;
        problems.extend(from_base.problems);
        let bytes = checked
            .iter()
            .map(|&(_, pos)| self.manifest.entries[pos].size)
            .sum::<u64>()
            + from_base.bytes;
        for (entry, _) in self
            .manifest
            .entries
            .iter()
            .zip(&seen)
            .filter(|(_, s)| !**s)
        {
            problems.push(Problem::new(
                Code::Missing,
                &entry.path,
                "listed in the manifest but missing from the bundle",
            ));
        }
        let mut report = self.report(problems, layout_ok, count, bytes);
        report.checks.extend(from_base.check);
        Ok(report)
    }

    /// The layout, then each entry's metadata, through a reader of its own.
    fn scan(&self) -> Scanned {
        let mut archive = self.archive.clone();
        let mut problems = self.check_layout(&mut archive);
        let layout_ok = problems.is_empty();
        let mut seen = vec![false; self.manifest.entries.len()];
        let mut clean = Vec::new();
        for index in 0..archive.len() {
            let (found, entry_problems) = self.check_metadata(&mut archive, index);
            let ok = entry_problems.is_empty();
            problems.extend(entry_problems);
            let Some(pos) = found else { continue };
            seen[pos] = true;
            if ok {
                clean.push((index, pos));
            }
        }
        Scanned {
            problems,
            layout_ok,
            seen,
            clean,
        }
    }

    fn report(&self, problems: Vec<Problem>, layout_ok: bool, count: usize, bytes: u64) -> Report {
        let entries_ok = problems.is_empty();
        let mut checks = self.parts_check();
        checks.extend([
            Check {
                check: CheckName::Signature,
                ok: true,
                detail: self.trusted_comment.clone(),
            },
            Check {
                check: CheckName::Fields,
                ok: true,
                detail: "every manifest field follows its owner's rules".into(),
            },
            Check {
                check: CheckName::Layout,
                ok: layout_ok,
                detail:
                    "names unique, local headers match the central directory, entries contiguous"
                        .into(),
            },
            Check {
                check: CheckName::Entries,
                ok: entries_ok,
                detail: format!("{count} entries, {bytes} bytes against the manifest"),
            },
        ]);
        Report {
            bundle: self.path.clone(),
            module: Some(self.manifest.module.path.clone()),
            version: Some(self.manifest.module.version.clone()),
            trusted_comment: Some(self.trusted_comment.clone()),
            key_id: Some(self.key_id.clone()),
            entries: count,
            bytes,
            checks,
            problems,
            approvals: None,
        }
    }

    /// Read from parts: their index's signature, every part's size and sha256.
    /// The whole's sha256 is the index's claim, shown as such: no reader
    /// hashes the whole (docs/decisions.md, "Split parts").
    fn parts_check(&self) -> Vec<Check> {
        let Some(p) = &self.parts else {
            return Vec::new();
        };
        let detail = format!(
            "{} parts, {} bytes, each part's size and sha256 against {} signed by key {}; {}",
            p.index.parts.len(),
            p.index.size,
            p.path.display(),
            p.key_id,
            whole_as_signed(&p.index)
        );
        vec![Check {
            check: CheckName::Parts,
            ok: true,
            detail,
        }]
    }

    /// A manifest whose fields are refused: nothing else is read, so no
    /// entry reaches a sink (an unpack never starts writing).
    fn refuse_fields(&self, fields: &[fields::FieldProblem]) -> Report {
        let mut report = super::diags::fields_report(&self.path, fields);
        report.module = Some(self.manifest.module.path.clone());
        report.version = Some(self.manifest.module.version.clone());
        report.trusted_comment = Some(self.trusted_comment.clone());
        report.key_id = Some(self.key_id.clone());
        let signature = Check {
            check: CheckName::Signature,
            ok: true,
            detail: self.trusted_comment.clone(),
        };
        report.checks.insert(0, signature);
        report
    }

    /// Stops the hashing of its parts started at open, for a bundle whose
    /// entries are read only through their own checks (`pack`'s base); a
    /// later [`Bundle::check`] hashes them again.
    pub fn stop_part_hashes(&mut self) {
        self.part_hashes = None;
    }

    /// The number of payload bytes the manifest lists, for progress bars.
    pub fn payload_bytes(&self) -> u64 {
        self.manifest.entries.iter().map(|e| e.size).sum()
    }
}
