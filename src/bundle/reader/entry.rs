//! One entry's metadata against the signed manifest: its name (a plain
//! relative path, listed), its kind (a regular file), no encryption, stored
//! or deflate, and the size and mode the manifest signs.

use zip::CompressionMethod;

use super::Bundle;
use crate::bundle::diags::{Code, Problem};
use crate::bundle::{MANIFEST, SIGNATURE, names};

impl Bundle {
    /// Name, kind, encryption, compression, declared size and mode of one
    /// entry; returns its position in the manifest when it is listed there.
    pub(super) fn check_metadata(&mut self, index: usize) -> (Option<usize>, Vec<Problem>) {
        let Ok(f) = self.archive.by_index_raw(index) else {
            return (
                None,
                vec![Problem::new(
                    Code::UnreadableHeader,
                    format!("(entry {index})"),
                    "unreadable entry",
                )],
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
                        Code::RefusedName,
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
                problems.push(Problem::new(Code::FixedEntryMisplaced, name, format!("at position {index}: {MANIFEST} and {SIGNATURE} must be the first two entries")));
            }
            return (None, problems);
        }
        let Ok(pos) = self
            .manifest
            .entries
            .binary_search_by(|e| e.path.as_str().cmp(name))
        else {
            return (
                None,
                vec![Problem::new(
                    Code::NotInManifest,
                    name,
                    "not listed in the manifest",
                )],
            );
        };
        let listed = &self.manifest.entries[pos];
        if f.is_dir() {
            problems.push(Problem::new(
                Code::NotRegularFile,
                name,
                "is a directory entry",
            ));
        }
        if f.is_symlink() {
            problems.push(Problem::new(
                Code::NotRegularFile,
                name,
                "is a symbolic link",
            ));
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
                Code::NotRegularFile,
                name,
                format!("is not a regular file (mode {mode:06o})"),
            ));
        }
        if f.encrypted() {
            problems.push(Problem::new(Code::Encrypted, name, "is encrypted"));
        }
        if !matches!(
            f.compression(),
            CompressionMethod::Stored | CompressionMethod::Deflated
        ) {
            problems.push(Problem::new(
                Code::Compression,
                name,
                format!(
                    "compression {:?} is neither stored nor deflate",
                    f.compression()
                ),
            ));
        }
        if f.size() != listed.size {
            problems.push(Problem::mismatch(
                Code::DeclaredSize,
                name,
                "declared size differs from the manifest",
                listed.size,
                f.size(),
            ));
        }
        // The manifest's own mode (0644 or 0755) was checked with its fields.
        if mode & 0o7777 != listed.mode {
            problems.push(Problem::mismatch(
                Code::Mode,
                name,
                "mode differs from the manifest",
                format!("{:04o}", listed.mode),
                format!("{:04o}", mode & 0o7777),
            ));
        }
        (Some(pos), problems)
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
