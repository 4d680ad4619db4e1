//! The end of a bundle, read byte by byte: the central directory holds
//! exactly the entries the zip reader saw, and then come only the end records
//! (zip64 ones when present) with no comment and nothing after them. Hidden
//! bytes after the end are where a second, different archive could live.

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
