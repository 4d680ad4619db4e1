//! A zip writer of the tests' own, byte by byte, that makes what real zip
//! writers refuse to: names with `..`, duplicates, local headers that disagree
//! with the central directory, gaps, trailing data, lying sizes and modes.
//! A faithful rebuild of a good bundle verifies (tests check that first), so
//! each attack fails for the reason it is about.

use std::io::{Read, Write};

/// One entry as it will be written.
#[derive(Clone)]
pub struct RawEntry {
    /// The central directory's name.
    pub name: Vec<u8>,
    /// The local header's name, when it should differ.
    pub local_name: Option<Vec<u8>>,
    /// The bytes as stored (compressed for method 8).
    pub data: Vec<u8>,
    pub method: u16,
    pub crc: u32,
    /// Declared uncompressed size, in both headers.
    pub size: u64,
    /// Unix mode, kept in the high half of the external attributes.
    pub mode: u32,
    pub flags: u16,
    /// Write sizes as 0xFFFFFFFF with a zip64 extra field (central directory).
    pub zip64_size: Option<u64>,
    /// Point the central entry at another entry's local header.
    pub offset_of: Option<usize>,
}

impl RawEntry {
    pub fn stored(name: &str, content: &[u8], mode: u32) -> RawEntry {
        RawEntry {
            name: name.as_bytes().to_vec(),
            local_name: None,
            data: content.to_vec(),
            method: 0,
            crc: crc32fast::hash(content),
            size: content.len() as u64,
            mode,
            flags: 0,
            zip64_size: None,
            offset_of: None,
        }
    }

    pub fn deflated(name: &str, content: &[u8], mode: u32) -> RawEntry {
        let mut e = RawEntry::stored(name, content, mode);
        e.data = deflate(content);
        e.method = 8;
        e
    }
}

pub fn deflate(content: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(content).unwrap();
    enc.finish().unwrap()
}

/// A whole archive, with room for bytes where none belong.
#[derive(Default)]
pub struct RawZip {
    pub entries: Vec<RawEntry>,
    /// Bytes before the first local header.
    pub prefix: Vec<u8>,
    /// Bytes written after entry N's data.
    pub gaps: Vec<(usize, Vec<u8>)>,
    /// Bytes after the end-of-central-directory record.
    pub trailing: Vec<u8>,
}

fn u16le(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn u32le(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn small(v: u64) -> u32 {
    u32::try_from(v).unwrap()
}

impl RawZip {
    pub fn build(&self) -> Vec<u8> {
        let mut out = self.prefix.clone();
        let mut offsets = Vec::new();
        for (i, e) in self.entries.iter().enumerate() {
            offsets.push(out.len() as u64);
            let name = e.local_name.as_ref().unwrap_or(&e.name);
            u32le(&mut out, 0x0403_4b50);
            u16le(&mut out, 20);
            u16le(&mut out, e.flags);
            u16le(&mut out, e.method);
            u16le(&mut out, 0); // time
            u16le(&mut out, 0x21); // 1980-01-01
            u32le(&mut out, e.crc);
            u32le(&mut out, small(e.data.len() as u64));
            u32le(&mut out, small(e.size));
            u16le(&mut out, name.len() as u16);
            u16le(&mut out, 0);
            out.extend_from_slice(name);
            out.extend_from_slice(&e.data);
            for (at, bytes) in &self.gaps {
                if *at == i {
                    out.extend_from_slice(bytes);
                }
            }
        }
        let cd_start = out.len() as u64;
        for (i, e) in self.entries.iter().enumerate() {
            let offset = offsets[e.offset_of.unwrap_or(i)];
            let mut extra = Vec::new();
            let (csize, usize_) = match e.zip64_size {
                Some(big) => {
                    u16le(&mut extra, 0x0001);
                    u16le(&mut extra, 16);
                    extra.extend_from_slice(&big.to_le_bytes());
                    extra.extend_from_slice(&(e.data.len() as u64).to_le_bytes());
                    (u32::MAX, u32::MAX)
                }
                None => (small(e.data.len() as u64), small(e.size)),
            };
            u32le(&mut out, 0x0201_4b50);
            u16le(&mut out, (3 << 8) | 20); // made by Unix
            u16le(&mut out, if e.zip64_size.is_some() { 45 } else { 20 });
            u16le(&mut out, e.flags);
            u16le(&mut out, e.method);
            u16le(&mut out, 0);
            u16le(&mut out, 0x21);
            u32le(&mut out, e.crc);
            u32le(&mut out, csize);
            u32le(&mut out, usize_);
            u16le(&mut out, e.name.len() as u16);
            u16le(&mut out, extra.len() as u16);
            u16le(&mut out, 0); // comment
            u16le(&mut out, 0); // disk
            u16le(&mut out, 0); // internal attributes
            u32le(&mut out, e.mode << 16);
            u32le(&mut out, small(offset));
            out.extend_from_slice(&e.name);
            out.extend_from_slice(&extra);
        }
        let cd_size = out.len() as u64 - cd_start;
        u32le(&mut out, 0x0605_4b50);
        u16le(&mut out, 0);
        u16le(&mut out, 0);
        u16le(&mut out, self.entries.len() as u16);
        u16le(&mut out, self.entries.len() as u16);
        u32le(&mut out, small(cd_size));
        u32le(&mut out, small(cd_start));
        u16le(&mut out, 0);
        out.extend_from_slice(&self.trailing);
        out
    }
}

/// Every entry of a bundle: name, content (inflated) and unix mode, in order.
pub fn entries_of(bundle: &[u8]) -> Vec<(String, Vec<u8>, u32)> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bundle)).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            (
                f.name().unwrap().into_owned(),
                data,
                f.unix_mode().unwrap_or(0) & 0o7777,
            )
        })
        .collect()
}

/// The entries as ferry writes them: the manifest and signature stored, the
/// rest deflated, every mode a regular file's.
pub fn rebuild(entries: &[(String, Vec<u8>, u32)]) -> RawZip {
    RawZip {
        entries: entries
            .iter()
            .map(|(name, data, mode)| RawEntry::deflated(name, data, 0o100000 | mode))
            .collect(),
        ..RawZip::default()
    }
}

/// The offset of `name`'s local header in a zip's bytes (its fields at
/// fixed offsets from there: version needed +4, name length +26, name +30).
pub fn local_header(zip: &[u8], name: &str) -> usize {
    let mut at = 0;
    loop {
        let found = zip[at..]
            .windows(4)
            .position(|w| w == b"PK\x03\x04")
            .unwrap_or_else(|| panic!("no local header for {name}"));
        let start = at + found;
        let len = u16::from_le_bytes([zip[start + 26], zip[start + 27]]) as usize;
        if zip.get(start + 30..start + 30 + len) == Some(name.as_bytes()) {
            return start;
        }
        at = start + 4;
    }
}

/// Where `name`'s data starts in a zip's bytes.
pub fn data_of(zip: &[u8], name: &str) -> usize {
    let h = local_header(zip, name);
    let field = |at: usize| u16::from_le_bytes([zip[h + at], zip[h + at + 1]]) as usize;
    h + 30 + field(26) + field(28)
}
