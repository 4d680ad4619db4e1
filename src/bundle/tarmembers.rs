//! An image tar as ferry writes it (`image/archive.rs`): 512-byte headers,
//! each member's data zero-padded to 512, then zero blocks to the end. A
//! delta records such a tar as its ordered members, so a reader rebuilds it
//! byte for byte from blobs of the base and of the delta.

use std::io::{self, Read, Write};

use sha2::{Digest, Sha256};

/// A tar block: headers and padding come in these.
pub const BLOCK: u64 = 512;

/// One member as found in a tar: its header, and its data's sha256, size
/// and offset from the tar's start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub header: Vec<u8>,
    pub sha256: String,
    pub size: u64,
    pub offset: u64,
}

/// A tar taken apart: its members in order, and the zero bytes after them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Walk {
    pub members: Vec<Found>,
    pub trailer: u64,
}

/// `size` rounded up to whole blocks: what a member's data takes.
pub fn padded(size: u64) -> u64 {
    size.div_ceil(BLOCK).saturating_mul(BLOCK)
}

/// The data size a 512-byte header declares, if it is a regular file's
/// ustar or GNU header with a checksum that holds.
pub fn header_size(header: &[u8]) -> Result<u64, String> {
    let Ok(block) = <&[u8; 512]>::try_from(header) else {
        return Err(format!(
            "is {} bytes, not one 512-byte tar header",
            header.len()
        ));
    };
    let h = tar::Header::from_byte_slice(block);
    let sum = h.cksum().map_err(|e| format!("checksum field: {e}"))?;
    let actual: u32 = block
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(*b)
            }
        })
        .sum();
    if sum != actual {
        return Err(format!("checksum {sum} is not the header's ({actual})"));
    }
    if !matches!(h.entry_type(), tar::EntryType::Regular) {
        return Err(format!(
            "a {:?} member; ferry's image tars hold files",
            h.entry_type()
        ));
    }
    h.entry_size().map_err(|e| format!("size field: {e}"))
}

/// Walks a tar ferry wrote, hashing each member's data; `None` when the
/// bytes are not exactly such a tar (another header kind, padding that is
/// not zero, bytes after the end that are not zero), so the tar is carried
/// whole rather than rebuilt wrong.
pub fn walk(mut r: impl Read) -> io::Result<Option<Walk>> {
    let mut members = Vec::new();
    let mut at = 0u64;
    let mut block = [0u8; 512];
    loop {
        if !read_block(&mut r, &mut block)? {
            return Ok(None);
        }
        if block.iter().all(|&b| b == 0) {
            let rest = zeros(&mut r)?;
            return Ok(rest.map(|n| Walk {
                members,
                trailer: BLOCK + n,
            }));
        }
        let Ok(size) = header_size(&block) else {
            return Ok(None);
        };
        let (sha256, read) = hash(&mut (&mut r).take(size))?;
        if read != size {
            return Ok(None);
        }
        let pad = padded(size) - size;
        if zeros(&mut (&mut r).take(pad))? != Some(pad) {
            return Ok(None);
        }
        members.push(Found {
            header: block.to_vec(),
            sha256,
            size,
            offset: at + BLOCK,
        });
        at += BLOCK + padded(size);
    }
}

/// Copies the data of the members `carried` says to carry (in order) from
/// the tar `r` to `w`: what a delta's zip holds for a rebuilt tar.
pub fn copy_carried(
    mut r: impl Read,
    walk: &Walk,
    carried: &[bool],
    w: &mut dyn Write,
) -> io::Result<u64> {
    let mut written = 0;
    for (m, &carry) in walk.members.iter().zip(carried) {
        io::copy(&mut (&mut r).take(BLOCK), &mut io::sink())?;
        let mut data = (&mut r).take(m.size);
        let n = match carry {
            true => io::copy(&mut data, w)?,
            false => io::copy(&mut data, &mut io::sink())?,
        };
        if n != m.size {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the tar ended early",
            ));
        }
        written += if carry { n } else { 0 };
        io::copy(&mut (&mut r).take(padded(m.size) - m.size), &mut io::sink())?;
    }
    Ok(written)
}

/// Fills `block`; false when the reader ends first.
fn read_block(r: &mut impl Read, block: &mut [u8; 512]) -> io::Result<bool> {
    let mut got = 0;
    while got < block.len() {
        match r.read(&mut block[got..])? {
            0 => return Ok(false),
            n => got += n,
        }
    }
    Ok(true)
}

fn hash(r: &mut impl Read) -> io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let n = io::copy(r, &mut hasher)?;
    Ok((hex::encode(hasher.finalize()), n))
}

/// How many bytes `r` held, if all were zero.
fn zeros(r: &mut impl Read) -> io::Result<Option<u64>> {
    let mut buf = [0u8; 8192];
    let mut n = 0u64;
    loop {
        match r.read(&mut buf)? {
            0 => return Ok(Some(n)),
            k if buf[..k].iter().all(|&b| b == 0) => n += k as u64,
            _ => return Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in files {
            let mut h = tar::Header::new_ustar();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_entry_type(tar::EntryType::Regular);
            b.append_data(&mut h, name, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn a_tar_is_its_members_and_rebuilds_byte_for_byte() {
        let tar = tar_of(&[("a", b"hello"), ("blobs/sha256/x", &[7u8; 1000])]);
        let walk = walk(&tar[..]).unwrap().expect("ferry's kind of tar");
        assert_eq!(walk.members.len(), 2);
        assert_eq!(walk.members[1].size, 1000);
        assert_eq!(walk.members[1].offset, 512 + 512 + 512);
        let mut rebuilt = Vec::new();
        for m in &walk.members {
            assert_eq!(header_size(&m.header).unwrap(), m.size);
            rebuilt.extend(&m.header);
            let at = m.offset as usize;
            rebuilt.extend(&tar[at..at + m.size as usize]);
            rebuilt.resize(rebuilt.len() + (padded(m.size) - m.size) as usize, 0);
        }
        rebuilt.resize(rebuilt.len() + walk.trailer as usize, 0);
        assert_eq!(rebuilt, tar);
        let mut carried = Vec::new();
        copy_carried(&tar[..], &walk, &[false, true], &mut carried).unwrap();
        assert_eq!(carried, vec![7u8; 1000]);
    }

    #[test]
    fn anything_else_is_not_taken_apart() {
        let mut tar = tar_of(&[("a", b"hello")]);
        tar[512 + 6] = 1; // padding that is not zero
        assert_eq!(walk(&tar[..]).unwrap(), None);
        let mut tar = tar_of(&[("a", b"hello")]);
        tar[100] ^= 1; // a header whose checksum fails
        assert_eq!(walk(&tar[..]).unwrap(), None);
        assert!(header_size(&[0u8; 100]).is_err());
    }
}
