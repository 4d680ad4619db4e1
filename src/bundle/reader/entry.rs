//! One entry's metadata against the signed manifest: its name (a plain
//! relative path, listed), its kind (a regular file), no encryption, stored
//! or deflate, and the size and mode the manifest signs.

use crate::bundle::source::Stream;

use zip::read::ZipFile;
use zip::{CompressionMethod, ZipArchive};

use super::Bundle;
use crate::bundle::diags::{Code, Problem};
use crate::bundle::manifest::Entry;
use crate::bundle::{MANIFEST, SIGNATURE, names};

impl Bundle {
    /// Name, kind, encryption, compression, declared size and mode of one
    /// entry; returns its position in the manifest when it is listed there.
    pub(super) fn check_metadata(
        &self,
        archive: &mut ZipArchive<Stream>,
        index: usize,
    ) -> (Option<usize>, Vec<Problem>) {
        let Ok(f) = archive.by_index_raw(index) else {
            let at = format!("(entry {index})");
            return (
                None,
                vec![Problem::new(Code::UnreadableHeader, at, "unreadable entry")],
            );
        };
        let (pos, name) = match listed_name(&self.manifest.entries, index, f.name_raw()) {
            Ok(Listed::At(pos, name)) => (pos, name),
            Ok(Listed::Fixed) => return (None, Vec::new()),
            Err(problem) => return (None, vec![problem]),
        };
        let mut problems = kind_problems(&name, &f);
        let mode = raw_mode(&f);
        let declared = f.size();
        drop(f);
        // A tar the delta rebuilds carries only its new members' data.
        let want = self.declared_size(pos);
        if declared != want {
            let what = "declared size differs from the manifest";
            problems.push(Problem::mismatch(
                Code::DeclaredSize,
                &name,
                what,
                want,
                declared,
            ));
        }
        let listed = &self.manifest.entries[pos];
        // The manifest's own mode (0644 or 0755) was checked with its fields.
        if mode & 0o7777 != listed.mode {
            problems.push(Problem::mismatch(
                Code::Mode,
                &name,
                "mode differs from the manifest",
                format!("{:04o}", listed.mode),
                format!("{:04o}", mode & 0o7777),
            ));
        }
        (Some(pos), problems)
    }
}

/// Where an entry's name puts it.
enum Listed {
    /// ferry.json or its signature, where they must be.
    Fixed,
    /// A payload entry, at this position of the manifest.
    At(usize, String),
}

/// The entry's name checked: a plain relative path, the fixed entries
/// first, every other one listed in the manifest.
fn listed_name(entries: &[Entry], index: usize, raw: &[u8]) -> Result<Listed, Problem> {
    let name = names::check(raw).map_err(|reason| {
        let shown = shorten(&String::from_utf8_lossy(raw));
        Problem::new(
            Code::RefusedName,
            format!("{shown:?}"),
            format!("refused entry name: {reason}"),
        )
    })?;
    let fixed = [MANIFEST, SIGNATURE];
    if index < 2 || fixed.contains(&name) {
        if fixed.get(index) != Some(&name) {
            let why = format!(
                "at position {index}: {MANIFEST} and {SIGNATURE} must be the first two entries"
            );
            return Err(Problem::new(Code::FixedEntryMisplaced, name, why));
        }
        return Ok(Listed::Fixed);
    }
    match entries.binary_search_by(|e| e.path.as_str().cmp(name)) {
        Ok(pos) => Ok(Listed::At(pos, name.to_string())),
        Err(_) => Err(Problem::new(
            Code::NotInManifest,
            name,
            "not listed in the manifest",
        )),
    }
}

/// The raw Unix mode: the zip crate's unix_mode() clears setuid, setgid
/// and sticky bits, which are exactly what must be seen.
fn raw_mode(f: &ZipFile<'_, Stream>) -> u32 {
    match f.system() {
        zip::System::Unix => f.external_attributes() >> 16,
        _ => f.unix_mode().unwrap_or(0),
    }
}

/// A regular file, not encrypted, stored or deflated.
fn kind_problems(name: &str, f: &ZipFile<'_, Stream>) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut refuse = |code, why: String| problems.push(Problem::new(code, name, why));
    if f.is_dir() {
        refuse(Code::NotRegularFile, "is a directory entry".into());
    }
    if f.is_symlink() {
        refuse(Code::NotRegularFile, "is a symbolic link".into());
    }
    let mode = raw_mode(f);
    let kind = mode & 0o170000;
    if kind != 0 && kind != 0o100000 {
        refuse(
            Code::NotRegularFile,
            format!("is not a regular file (mode {mode:06o})"),
        );
    }
    if f.encrypted() {
        refuse(Code::Encrypted, "is encrypted".into());
    }
    if !matches!(
        f.compression(),
        CompressionMethod::Stored | CompressionMethod::Deflated
    ) {
        let what = format!(
            "compression {:?} is neither stored nor deflate",
            f.compression()
        );
        refuse(Code::Compression, what);
    }
    problems
}

/// A refused name as it is shown: long ones cut, so a report stays readable.
fn shorten(name: &str) -> String {
    const SHOWN: usize = 120;
    match name.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}…({} bytes)", &name[..cut], name.len()),
        None => name.to_string(),
    }
}
