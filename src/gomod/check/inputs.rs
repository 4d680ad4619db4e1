//! Where the Go check reads from: a module folder and a GOPROXY-layout module
//! cache on disk ([`Disk`]), or a bundle's entries as they stream past
//! (`bundle::go_inputs`), with the types both give and the error they share.
//! The check itself does no I/O of its own.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::gomod::ParseError;
use crate::gomod::dirhash::{self, DirhashError};
use crate::gomod::modcache::rel_path;
use crate::gomod::modzip::{self, ModuleZip};
use crate::gomod::vendor_rules::ModuleFile;
use crate::gomod::zip_proof::ProofError;

/// The Go check could not read its inputs.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error(transparent)]
    Dirhash(#[from] DirhashError),
    #[error("proof of a module zip: {0}")]
    Proof(#[from] ProofError),
}

/// What is in vendor/ (but modules.txt): each file's sha256 and size, by
/// path relative to vendor/.
#[derive(Debug, Clone, Default)]
pub struct VendorListing {
    pub files: BTreeMap<String, [u8; 32]>,
    pub sizes: BTreeMap<String, u64>,
}

/// What the Go check reads; paths are relative to the module root or, for
/// the cache, below it (`<escaped path>/@v/<escaped version>.zip`).
pub trait Inputs: Sync {
    /// A text file of the main module: `go.mod`, `go.sum`, `vendor/modules.txt`.
    fn text(&self, rel: &str) -> Result<Option<String>, CheckError>;
    /// Every file below vendor/ but modules.txt.
    fn vendor(&self) -> Result<VendorListing, CheckError>;
    /// The files of a folder of the main module (a local replacement).
    fn folder(&self, rel: &str) -> Result<Option<BTreeMap<String, ModuleFile>>, CheckError>;
    /// Whether there is a module cache at all.
    fn has_cache(&self) -> bool;
    /// The go.sum `/go.mod` hash of a module's go.mod, when it is here.
    fn go_mod_hash(&self, path: &str, version: &str) -> Result<Option<String>, CheckError>;
    /// A module zip read in one pass, or what a proof of it says.
    fn zip(&self, path: &str, version: &str) -> Result<Option<Arc<ModuleZip>>, CheckError>;
    /// The entries below `proofs/` (`proofs/<path>/@v/<version>/…`), which
    /// the check holds to what proofs may contain; none outside a bundle.
    fn proof_entries(&self) -> Result<Vec<String>, CheckError> {
        Ok(Vec::new())
    }
    /// The files a bundle carries in modcache/, by their path below it;
    /// none for the user's own module cache, which holds what it holds.
    fn carried_cache(&self) -> Result<Vec<String>, CheckError> {
        Ok(Vec::new())
    }
}

/// A module folder, and a module cache in GOPROXY layout
/// (`$GOMODCACHE/cache/download`, or an unpacked bundle's modcache/).
pub struct Disk<'a> {
    pub tree: &'a Path,
    pub cache: Option<&'a Path>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CheckError + '_ {
    move |source| CheckError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn walk_err(dir: &Path) -> impl Fn(walkdir::Error) -> CheckError + '_ {
    move |e| CheckError::Io {
        path: dir.to_path_buf(),
        source: e.into(),
    }
}

impl Inputs for Disk<'_> {
    fn text(&self, rel: &str) -> Result<Option<String>, CheckError> {
        let path = self.tree.join(rel);
        match fs::read_to_string(&path) {
            Ok(t) => Ok(Some(t)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&path)(e)),
        }
    }

    fn vendor(&self) -> Result<VendorListing, CheckError> {
        let vendor = self.tree.join("vendor");
        let hashed: Vec<(String, [u8; 32], u64)> = walk(&vendor)?
            .into_par_iter()
            .filter(|f| f.rel != "modules.txt")
            .map(|f| {
                let digest = if f.regular {
                    let mut file = File::open(&f.path).map_err(io(&f.path))?;
                    dirhash::sha256_reader(&mut file).map_err(io(&f.path))?
                } else {
                    [0; 32] // a symlink or device: it can match no module file
                };
                Ok((f.rel, digest, f.size))
            })
            .collect::<Result<_, CheckError>>()?;
        let mut out = VendorListing::default();
        for (rel, digest, size) in hashed {
            out.sizes.insert(rel.clone(), size);
            out.files.insert(rel, digest);
        }
        Ok(out)
    }

    fn folder(&self, rel: &str) -> Result<Option<BTreeMap<String, ModuleFile>>, CheckError> {
        let dir = self.tree.join(rel);
        if !dir.is_dir() {
            return Ok(None);
        }
        let mut files = BTreeMap::new();
        for f in walk(&dir)?.into_iter().filter(|f| f.regular) {
            let mut file = BufReader::new(File::open(&f.path).map_err(io(&f.path))?);
            let read = modzip::module_file(&f.rel, &mut file).map_err(io(&f.path))?;
            files.insert(f.rel, read);
        }
        Ok(Some(files))
    }

    fn has_cache(&self) -> bool {
        self.cache.is_some()
    }

    fn go_mod_hash(&self, path: &str, version: &str) -> Result<Option<String>, CheckError> {
        let Some(path) = self.cached(&rel_path(path, version, "mod")) else {
            return Ok(None);
        };
        let bytes = fs::read(&path).map_err(io(&path))?;
        Ok(Some(dirhash::hash_go_mod(&bytes)))
    }

    fn zip(&self, path: &str, version: &str) -> Result<Option<Arc<ModuleZip>>, CheckError> {
        let Some(path) = self.cached(&rel_path(path, version, "zip")) else {
            return Ok(None);
        };
        let file = File::open(&path).map_err(io(&path))?;
        Ok(Some(Arc::new(modzip::read(BufReader::new(file), &path)?)))
    }
}

impl Disk<'_> {
    fn cached(&self, rel: &str) -> Option<PathBuf> {
        let path = self.cache?.join(rel);
        path.is_file().then_some(path)
    }
}

/// A non-folder found below a folder.
pub(super) struct Found {
    /// Its path relative to the folder walked.
    pub(super) rel: String,
    pub(super) path: PathBuf,
    /// A regular file, not a symlink or device.
    pub(super) regular: bool,
    pub(super) size: u64,
}

/// Every non-folder below `dir`, with the size the walk already read.
pub(super) fn walk(dir: &Path) -> Result<Vec<Found>, CheckError> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(dir).follow_links(false) {
        let e = e.map_err(walk_err(dir))?;
        if e.file_type().is_dir() {
            continue;
        }
        let rel = e
            .path()
            .strip_prefix(dir)
            .map(|r| r.to_string_lossy().into_owned())
            .unwrap_or_default();
        let size = e.metadata().map_err(walk_err(dir))?.len();
        out.push(Found {
            rel,
            path: e.path().to_path_buf(),
            regular: e.file_type().is_file(),
            size,
        });
    }
    Ok(out)
}
