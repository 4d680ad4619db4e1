//! The archive as a whole: unique names, local headers that agree with the
//! central directory, entries that tile the file with no gap, and at the end
//! only the directory the reader used and the end records (zip64 ones when
//! present), no comment, nothing after: hidden bytes are where a second,
//! different archive could live.

use std::io::{self, Read, Seek};

use zip::ZipArchive;

use super::Bundle;
use crate::bundle::MANIFEST;
use crate::bundle::diags::{Code, Problem};
use crate::bundle::source::Stream;

/// A central directory (with end records) larger than this is not a bundle's:
/// a million entries would need about 100 MiB.
const MAX_CENTRAL_DIRECTORY: u64 = 256 * 1024 * 1024;

impl Bundle {
    /// The archive as a whole: unique names, local headers that agree with the
    /// central directory, and entries that tile the file from offset 0 to the
    /// central directory with no gap, overlap or hidden data.
    pub(super) fn check_layout(&self, archive: &mut ZipArchive<Stream>) -> Vec<Problem> {
        let mut problems = Vec::new();
        if archive.offset() != 0 {
            problems.push(Problem::new(
                Code::PrefixData,
                "(archive)",
                format!("{} bytes before the first entry", archive.offset()),
            ));
        }
        if archive.has_duplicate_names() {
            problems.push(Problem::new(
                Code::DuplicateName,
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
            problems.push(Problem::new(
                Code::ManifestUnsorted,
                MANIFEST,
                "entries are not sorted and unique",
            ));
        }
        if let Err(e) = archive.validate_header_consistency() {
            problems.push(Problem::new(
                Code::HeaderMismatch,
                "(archive)",
                e.to_string(),
            ));
        }
        let mut expected_start = 0u64;
        for index in 0..archive.len() {
            let Ok(f) = archive.by_index_raw(index) else {
                problems.push(Problem::new(
                    Code::UnreadableHeader,
                    format!("(entry {index})"),
                    "unreadable local header",
                ));
                return problems;
            };
            let name = String::from_utf8_lossy(f.name_raw()).into_owned();
            if f.header_start() != expected_start {
                problems.push(Problem::mismatch(
                    Code::EntryMisplaced,
                    &name,
                    "local header is not where the previous entry ends",
                    expected_start,
                    f.header_start(),
                ));
            }
            let Some(data) = f.data_start() else { break };
            expected_start = data.saturating_add(f.compressed_size());
        }
        let cd = archive.central_directory_start();
        if expected_start != cd {
            problems.push(Problem::mismatch(
                Code::DirectoryMisplaced,
                "(central directory)",
                "does not start where the last entry ends",
                expected_start,
                cd,
            ));
        }
        if let Err(e) = self.check_end(cd) {
            problems.push(Problem::new(Code::EndRecords, "(end of archive)", e));
        }
        problems
    }

    /// From the central directory to the end of the file: nothing but the
    /// directory the reader used and the end records (see `layout`).
    fn check_end(&self, cd: u64) -> Result<(), String> {
        let mut file = self.source.open().map_err(|e| e.to_string())?;
        let len = self.source.size().map_err(|e| e.to_string())?;
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
        check_tail(&tail, self.archive.len())
    }
}

const CENTRAL: u32 = 0x0201_4b50;
const ZIP64_END: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const END: u32 = 0x0605_4b50;

fn u16_at(b: &[u8], at: usize) -> Option<usize> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?) as usize)
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Checks `tail`, the bytes from the start of the central directory to the
/// end of the file, for a directory of `entries` entries and the end records.
pub fn check_tail(tail: &[u8], entries: usize) -> Result<(), String> {
    let mut at = 0usize;
    for n in 0..entries {
        if u32_at(tail, at) != Some(CENTRAL) {
            return Err(format!(
                "central directory entry {n} is not where the directory says"
            ));
        }
        let lengths = (
            u16_at(tail, at + 28),
            u16_at(tail, at + 30),
            u16_at(tail, at + 32),
        );
        let (Some(name), Some(extra), Some(comment)) = lengths else {
            return Err("the central directory is cut short".into());
        };
        at += 46 + name + extra + comment;
    }
    if u32_at(tail, at) == Some(ZIP64_END) {
        let size = u64_at(tail, at + 4).ok_or("the zip64 end record is cut short")?;
        let size = usize::try_from(size).map_err(|_| "the zip64 end record's size is absurd")?;
        at = at.saturating_add(12).saturating_add(size);
        if u32_at(tail, at) != Some(ZIP64_LOCATOR) {
            return Err("the zip64 end record is not followed by its locator".into());
        }
        at += 20;
    }
    if u32_at(tail, at) != Some(END) {
        return Err("unexpected bytes between the central directory and its end record".into());
    }
    let comment = u16_at(tail, at + 20).ok_or("the end record is cut short")?;
    if comment != 0 {
        return Err(format!(
            "the archive has a {comment}-byte comment; ferry writes none"
        ));
    }
    let end = at + 22;
    match tail.len().checked_sub(end) {
        Some(0) => Ok(()),
        Some(extra) => Err(format!(
            "{extra} bytes after the end of the central directory"
        )),
        None => Err("the end record is cut short".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end_record(comment: &[u8]) -> Vec<u8> {
        let mut e = END.to_le_bytes().to_vec();
        e.extend_from_slice(&[0; 16]);
        e.extend_from_slice(&(comment.len() as u16).to_le_bytes());
        e.extend_from_slice(comment);
        e
    }

    fn central(name: &[u8]) -> Vec<u8> {
        let mut c = CENTRAL.to_le_bytes().to_vec();
        c.extend_from_slice(&[0; 24]);
        c.extend_from_slice(&(name.len() as u16).to_le_bytes());
        c.extend_from_slice(&[0; 16]);
        c.extend_from_slice(name);
        c
    }

    #[test]
    fn a_clean_end_passes_and_anything_extra_is_named() {
        let mut ok = central(b"a");
        ok.extend(end_record(b""));
        assert_eq!(check_tail(&ok, 1), Ok(()));
        let mut trailing = ok.clone();
        trailing.extend_from_slice(b"PK\x03\x04hidden");
        assert_eq!(
            check_tail(&trailing, 1),
            Err("10 bytes after the end of the central directory".into())
        );
        let mut commented = central(b"a");
        commented.extend(end_record(b"hi"));
        assert!(
            check_tail(&commented, 1)
                .unwrap_err()
                .contains("2-byte comment")
        );
        assert!(
            check_tail(&ok, 2).is_err(),
            "one entry fewer than the reader saw"
        );
        assert!(check_tail(&ok[..ok.len() - 3], 1).is_err());
    }
}
