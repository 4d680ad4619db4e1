//! Cutting a bundle into parts: one sequential read of the bundle, each part
//! hashed as it is written to a temporary beside its final name, then every
//! part renamed into place and the signed index written last, so that a
//! failed cut leaves no index (and no part) behind.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::index::{FORMAT, Index, MAX_PARTS, Part, part_name};
use super::{PartsError, SUFFIX, io, signature_of, trusted_comment};
use crate::sign::Signer;

/// Which bundle is cut: what its signed manifest says.
pub struct Whole<'a> {
    pub path: &'a Path,
    pub module: &'a str,
    pub version: &'a str,
    pub manifest_sha256: &'a str,
}

/// What a cut wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Cut {
    pub index: PathBuf,
    pub signature: PathBuf,
    pub parts: Vec<Written>,
    pub part_size: u64,
    pub size: u64,
    pub sha256: String,
}

/// One part on disk.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Written {
    pub path: PathBuf,
    pub size: u64,
    pub sha256: String,
}

/// Where a cut of `bundle` writes: its index, and the file name parts start with.
pub fn index_path(bundle: &Path) -> PathBuf {
    let mut name = bundle.as_os_str().to_owned();
    name.push(SUFFIX);
    PathBuf::from(name)
}

/// Refuses before anything slow when a cut of `bundle` would overwrite an
/// index, its signature or a part (any `<bundle>.<digits>` beside it).
pub fn refuse_existing(bundle: &Path) -> Result<(), PartsError> {
    let index = index_path(bundle);
    for path in [index.clone(), signature_of(&index)] {
        if path.symlink_metadata().is_ok() {
            return Err(PartsError::Exists { path });
        }
    }
    let dir = crate::fsutil::parent_dir(bundle);
    let Some(name) = bundle.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Ok(());
    };
    let prefix = format!("{name}.");
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(dir)(e)),
    };
    for entry in entries {
        let file = entry
            .map_err(io(dir))?
            .file_name()
            .to_string_lossy()
            .into_owned();
        let numbered = file
            .strip_prefix(&prefix)
            .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
        if numbered {
            return Err(PartsError::Exists {
                path: dir.join(file),
            });
        }
    }
    Ok(())
}

/// Cuts `whole` into parts of `part_size` bytes beside it, and signs their index.
pub fn cut(whole: &Whole, part_size: u64, signer: &Signer) -> Result<Cut, PartsError> {
    refuse_existing(whole.path)?;
    let path = whole.path;
    let size = std::fs::metadata(path).map_err(io(path))?.len();
    let count = size.div_ceil(part_size).max(1);
    if count > MAX_PARTS as u64 {
        return Err(PartsError::TooMany {
            bundle: path.to_path_buf(),
            size,
            part: part_size,
            count,
        });
    }
    let bundle = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = crate::fsutil::parent_dir(path);
    let (temps, parts, sha256) = write_parts(path, dir, &bundle, part_size)?;
    check_joined(&temps, &index_path(path), &bundle, &sha256)?;
    let index = Index {
        format: FORMAT.into(),
        bundle: bundle.clone(),
        module: whole.module.into(),
        version: whole.version.into(),
        manifest_sha256: whole.manifest_sha256.into(),
        size,
        sha256: sha256.clone(),
        part_size,
        parts,
    };
    // The index must read back under the rules every reader holds it to.
    let bytes = index
        .to_bytes()
        .and_then(|bytes| Index::from_bytes(&bytes).map(|_| bytes))
        .map_err(|reason| PartsError::Index {
            path: path.to_path_buf(),
            reason,
        })?;
    let index_file = index_path(path);
    let comment = trusted_comment(&index, &hex::encode(Sha256::digest(&bytes)));
    let signature = signer
        .sign_as(
            &bytes,
            "signature of a ferry parts index, by ferry",
            &comment,
        )
        .map_err(|source| PartsError::Sign {
            path: index_file.clone(),
            source,
        })?;
    let placed = place_parts(temps, path, &index.parts)?;
    let sig_file = signature_of(&index_file);
    let written = write_new(&sig_file, signature.as_bytes(), dir)
        .and_then(|_| write_new(&index_file, &bytes, dir));
    if let Err(e) = written {
        for p in placed.iter().chain([&sig_file]) {
            let _ = std::fs::remove_file(p);
        }
        return Err(e);
    }
    sync_dir(dir);
    let placed = placed
        .into_iter()
        .zip(&index.parts)
        .map(|(path, p)| Written {
            path,
            size: p.size,
            sha256: p.sha256.clone(),
        })
        .collect();
    Ok(Cut {
        index: index_file,
        signature: sig_file,
        parts: placed,
        part_size,
        size,
        sha256,
    })
}

/// Parts written to temporaries in `dir`, each hashed as written; and the whole's sha256.
fn write_parts(
    path: &Path,
    dir: &Path,
    bundle: &str,
    part_size: u64,
) -> Result<(Vec<tempfile::NamedTempFile>, Vec<Part>, String), PartsError> {
    let mut from = File::open(path).map_err(io(path))?;
    let mut whole = Sha256::new();
    let (mut temps, mut parts) = (Vec::new(), Vec::new());
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let mut temp = crate::temp::file_in("part", dir, "").map_err(io(dir))?;
        let mut hasher = Sha256::new();
        let mut written = 0u64;
        while written < part_size {
            let want = buf
                .len()
                .min(usize::try_from(part_size - written).unwrap_or(usize::MAX));
            let n = from.read(&mut buf[..want]).map_err(io(path))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            whole.update(&buf[..n]);
            temp.write_all(&buf[..n]).map_err(io(temp.path()))?;
            written += n as u64;
        }
        if written == 0 && !parts.is_empty() {
            break;
        }
        temp.as_file().sync_all().map_err(io(temp.path()))?;
        parts.push(Part {
            name: part_name(bundle, parts.len() + 1),
            size: written,
            sha256: hex::encode(hasher.finalize()),
        });
        temps.push(temp);
        if written < part_size {
            break;
        }
    }
    Ok((temps, parts, hex::encode(whole.finalize())))
}

/// The parts as written, read back from disk in order, join to the whole's
/// sha256 taken as the bundle was read: the one value of the index readers
/// do not hash again (they check each part's), so it is checked here, before
/// it is signed.
fn check_joined(
    temps: &[tempfile::NamedTempFile],
    index: &Path,
    bundle: &str,
    sha256: &str,
) -> Result<(), PartsError> {
    let mut whole = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    for temp in temps {
        let mut file = File::open(temp.path()).map_err(io(temp.path()))?;
        loop {
            let n = file.read(&mut buf).map_err(io(temp.path()))?;
            if n == 0 {
                break;
            }
            whole.update(&buf[..n]);
        }
    }
    let joined = hex::encode(whole.finalize());
    if joined == sha256 {
        return Ok(());
    }
    // What ferry just wrote reads back otherwise: a fault here or on the
    // disk, not a fault of the input (exit 3).
    Err(PartsError::ReadBack {
        path: index.to_path_buf(),
        bundle: bundle.to_string(),
        joined,
        expected: sha256.to_string(),
    })
}

/// Each temporary renamed to its part's name beside `bundle`; on failure,
/// those already placed are removed again.
fn place_parts(
    temps: Vec<tempfile::NamedTempFile>,
    bundle: &Path,
    parts: &[Part],
) -> Result<Vec<PathBuf>, PartsError> {
    let mut placed = Vec::new();
    for (temp, part) in temps.into_iter().zip(parts) {
        let to = bundle.with_file_name(&part.name);
        if let Err(e) =
            set_mode(temp.path()).and_then(|_| temp.persist_noclobber(&to).map_err(|e| e.error))
        {
            for p in &placed {
                let _ = std::fs::remove_file(p);
            }
            return Err(io(&to)(e));
        }
        placed.push(to);
    }
    Ok(placed)
}

fn set_mode(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644))
}

/// A small file written beside its name and renamed into place, never over another.
fn write_new(path: &Path, bytes: &[u8], dir: &Path) -> Result<(), PartsError> {
    let mut temp = crate::temp::file_in("index", dir, "").map_err(io(dir))?;
    temp.write_all(bytes)
        .and_then(|_| temp.as_file().sync_all())
        .and_then(|_| set_mode(temp.path()))
        .map_err(io(path))?;
    temp.persist_noclobber(path)
        .map_err(|e| io(path)(e.error))?;
    Ok(())
}

fn sync_dir(dir: &Path) {
    // Best effort: the renames are durable once the folder is synced.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_that_read_back_other_than_hashed_are_not_signed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let bundle = dir.path().join("b.ferry");
        let bytes: Vec<u8> = (0..2500u32).map(|i| (i % 253) as u8).collect();
        std::fs::write(&bundle, &bytes).expect("bundle");
        let (temps, parts, sha) = write_parts(&bundle, dir.path(), "b.ferry", 1000).expect("cut");
        assert_eq!(parts.len(), 3);
        assert_eq!(sha, hex::encode(Sha256::digest(&bytes)));
        let index = index_path(&bundle);
        check_joined(&temps, &index, "b.ferry", &sha).expect("parts as hashed");

        let mut changed = std::fs::read(temps[1].path()).expect("part 2");
        changed[7] ^= 1;
        std::fs::write(temps[1].path(), changed).expect("flip a byte");
        let err = check_joined(&temps, &index, "b.ferry", &sha).expect_err("refused");
        assert!(err.to_string().contains("[parts-sha256]"), "{err}");
        assert!(err.to_string().contains("no index signed"), "{err}");
        use crate::exit::Classify;
        assert_eq!(
            err.exit(),
            crate::exit::Exit::CouldNotRun,
            "ferry's fault, not the input's"
        );
    }
}
