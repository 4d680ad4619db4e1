//! Delta bundles, writing side: a full bundle just written, rewritten with a
//! manifest that names its base and a zip that leaves out every entry whose
//! bytes (sha256 and size) the base already has. Carried entries are copied
//! raw, so their bytes are those of the full bundle; an image tar whose blobs
//! the base's image tars hold carries only the data of its other members.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::diags::BundleError;
use super::manifest::{Base, Entry, InBase, Manifest, Member, SplitTar};
use super::reader::{self, Bundle};
use super::tarmembers::{self, Walk};
use super::writer::WriteError;
use super::{MANIFEST, SIGNATURE};

/// `full`'s manifest as a delta over `base` (whose signed ferry.json has
/// `base_sha256`): every entry still listed, those the base has named in
/// `base.from_base`.
pub fn manifest_over(full: &Manifest, base: &Manifest, base_sha256: &str) -> Manifest {
    let have: HashSet<(&str, u64)> = base
        .entries
        .iter()
        .map(|e| (e.sha256.as_str(), e.size))
        .collect();
    let from_base = full
        .entries
        .iter()
        .filter(|e| have.contains(&(e.sha256.as_str(), e.size)))
        .map(|e| e.path.clone())
        .collect();
    let mut m = full.clone();
    m.base = Some(Base {
        manifest_sha256: base_sha256.to_string(),
        module: base.module.path.clone(),
        version: base.module.version.clone(),
        from_base,
        images: Vec::new(),
    });
    m
}

/// An image tar taken apart: what the manifest records, and which of the
/// walked members' data the zip carries.
pub struct Split {
    pub tar: SplitTar,
    /// The entry's mode, as the manifest signs it.
    pub mode: u32,
    pub walk: Walk,
    pub carried: Vec<bool>,
}

/// The image tars of `m` (a delta over `base`, written as the full bundle
/// `full`) that share blobs with the base's image tars, taken apart; a tar
/// the base has whole, or that shares nothing, is left as it is.
pub fn split_images(
    full: &Bundle,
    m: &Manifest,
    base: &reader::Base,
) -> Result<Vec<Split>, BundleError> {
    let held = base_blobs(base)?;
    let whole: HashSet<&str> = m
        .base
        .iter()
        .flat_map(|b| &b.from_base)
        .map(String::as_str)
        .collect();
    let mut out = Vec::new();
    for e in m
        .entries
        .iter()
        .filter(|e| is_image_tar(&e.path) && !whole.contains(e.path.as_str()))
    {
        let Some(r) = full.open_stored(&e.path)? else {
            continue;
        };
        out.extend(split_one(e, r, &held).map_err(io_err(&e.path))?);
    }
    Ok(out)
}

/// The tar `e` (its bytes `r`) taken apart, if the base holds any member.
fn split_one(
    e: &Entry,
    r: impl Read,
    held: &HashMap<(String, u64), InBase>,
) -> io::Result<Option<Split>> {
    let Some(walk) = tarmembers::walk(r)? else {
        return Ok(None);
    };
    let found: Vec<Option<&InBase>> = walk
        .members
        .iter()
        .map(|f| held.get(&(f.sha256.clone(), f.size)))
        .collect();
    if found.iter().all(Option::is_none) {
        return Ok(None);
    }
    let members = walk
        .members
        .iter()
        .zip(&found)
        .map(|(f, at)| Member {
            header: hex::encode(&f.header),
            sha256: f.sha256.clone(),
            size: f.size,
            base: at.cloned(),
        })
        .collect();
    Ok(Some(Split {
        tar: SplitTar {
            path: e.path.clone(),
            members,
        },
        mode: e.mode,
        carried: found.iter().map(Option::is_none).collect(),
        walk,
    }))
}

pub(crate) fn is_image_tar(path: &str) -> bool {
    path.starts_with("images/") && path.ends_with(".tar")
}

fn io_err(path: &str) -> impl Fn(io::Error) -> BundleError {
    let path = path.to_string();
    move |source| BundleError::Io {
        path: path.clone(),
        source,
    }
}

/// Every member of the base's image tars by sha256 and size: where its data
/// lies. A tar whose bytes are not its signed entry (a folder changed since
/// unpack) lends nothing.
fn base_blobs(base: &reader::Base) -> Result<HashMap<(String, u64), InBase>, BundleError> {
    let mut held = HashMap::new();
    for e in base
        .manifest()
        .entries
        .iter()
        .filter(|e| is_image_tar(&e.path))
    {
        let Some(r) = base.open_entry(&e.path)? else {
            continue;
        };
        let mut hashed = Hashed {
            inner: r.take(e.size),
            hasher: Sha256::new(),
        };
        let walk = tarmembers::walk(&mut hashed).map_err(io_err(&base.shown()))?;
        let sha = hex::encode(hashed.hasher.finalize());
        let (Some(walk), true) = (walk, sha == e.sha256) else {
            continue;
        };
        for f in walk.members {
            let at = InBase {
                tar_sha256: e.sha256.clone(),
                offset: f.offset,
            };
            held.entry((f.sha256, f.size)).or_insert(at);
        }
    }
    Ok(held)
}

/// A reader that hashes what passes through.
struct Hashed<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for Hashed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Rewrites the bundle at `path` in place (a temporary beside it, then one
/// rename): the new manifest and signature first, then every entry of the
/// old zip but those in `leave_out`, copied raw, each tar in `split` as the
/// data of its carried members only.
pub fn rewrite(
    path: &Path,
    manifest: &[u8],
    signature: &[u8],
    leave_out: &BTreeSet<String>,
    split: &[Split],
) -> Result<(), WriteError> {
    let split: BTreeMap<&str, &Split> = split.iter().map(|s| (s.tar.path.as_str(), s)).collect();
    let io_err = |p: &Path| {
        let p = p.to_path_buf();
        move |source| WriteError::Io { path: p, source }
    };
    let zip_err = |entry: &str| {
        let entry = entry.to_string();
        move |source| WriteError::Zip { entry, source }
    };
    let mut full =
        ZipArchive::new(File::open(path).map_err(io_err(path))?).map_err(zip_err("(bundle)"))?;
    let time = full
        .by_index_raw(0)
        .map_err(zip_err(MANIFEST))?
        .last_modified()
        .unwrap_or_default();
    let dir = crate::fsutil::parent_dir(path);
    let temp = crate::temp::file_in("pack", dir, ".ferry").map_err(io_err(dir))?;
    let mut zip = ZipWriter::new(BufWriter::new(temp.reopen().map_err(io_err(temp.path()))?));
    for (name, bytes) in [(MANIFEST, manifest), (SIGNATURE, signature)] {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .last_modified_time(time)
            .unix_permissions(0o644);
        zip.start_file(name, options).map_err(zip_err(name))?;
        zip.write_all(bytes).map_err(io_err(temp.path()))?;
    }
    for i in 2..full.len() {
        let entry = full.by_index_raw(i).map_err(zip_err("(entry)"))?;
        let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        if leave_out.contains(&name) {
            continue;
        }
        if let Some(s) = split.get(name.as_str()) {
            let at = (entry.data_start(), entry.compressed_size());
            drop(entry);
            copy_split(&mut zip, path, at, s, time)?;
            continue;
        }
        zip.raw_copy_file(entry).map_err(zip_err(&name))?;
    }
    let writer = zip.finish().map_err(zip_err("(central directory)"))?;
    let file = writer.into_inner().map_err(|e| WriteError::Io {
        path: temp.path().to_path_buf(),
        source: e.into_error(),
    })?;
    let mode = std::fs::metadata(path).map_err(io_err(path))?.permissions();
    file.set_permissions(mode).map_err(io_err(temp.path()))?;
    file.sync_all().map_err(io_err(temp.path()))?;
    temp.persist(path).map_err(|e| WriteError::Io {
        path: path.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}

/// Writes the entry of the split tar `s` (its data at `at` in the bundle
/// `path`, stored) as the data of its carried members, one after another.
fn copy_split<W: Write + io::Seek>(
    zip: &mut ZipWriter<W>,
    path: &Path,
    at: (Option<u64>, u64),
    s: &Split,
    time: zip::DateTime,
) -> Result<(), WriteError> {
    let name = s.tar.path.as_str();
    let zip_err = |source| WriteError::Zip {
        entry: name.to_string(),
        source,
    };
    let io_err = |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    };
    let (Some(start), size) = at else {
        return Err(zip_err(zip::result::ZipError::InvalidArchive(
            "no data offset".into(),
        )));
    };
    let carried: u64 = s
        .tar
        .members
        .iter()
        .filter(|m| m.base.is_none())
        .map(|m| m.size)
        .sum();
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .last_modified_time(time)
        .unix_permissions(s.mode)
        .large_file(carried >= u64::from(u32::MAX));
    zip.start_file(name, options).map_err(zip_err)?;
    let mut tar = File::open(path).map_err(io_err)?;
    tar.seek(SeekFrom::Start(start)).map_err(io_err)?;
    tarmembers::copy_carried(tar.take(size), &s.walk, &s.carried, zip).map_err(io_err)?;
    Ok(())
}
