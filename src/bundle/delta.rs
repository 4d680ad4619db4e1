//! Delta bundles, writing side: a full bundle just written, rewritten with a
//! manifest that names its base and a zip that leaves out every entry whose
//! bytes (sha256 and size) the base already has. Carried entries are copied
//! raw, so their bytes are those of the full bundle.

use std::collections::{BTreeSet, HashSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::manifest::{Base, Manifest};
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
    });
    m
}

/// Rewrites the bundle at `path` in place (a temporary beside it, then one
/// rename): the new manifest and signature first, then every entry of the
/// old zip but those in `leave_out`, copied raw.
pub fn rewrite(
    path: &Path,
    manifest: &[u8],
    signature: &[u8],
    leave_out: &BTreeSet<String>,
) -> Result<(), WriteError> {
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
