//! An unpacked bundle folder as the Go check reads it: `src/` as a module
//! folder with its vendor/, and what the bundle carried beside it, its
//! `proofs/` and (with `--with-modcache`) its `modcache/`; every proof entry
//! and cache file is held to go.sum, as inside the bundle.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use super::inputs::{CheckError, Disk, Inputs, VendorListing, walk};
use crate::gomod::dirhash;
use crate::gomod::modcache::rel_path;
use crate::gomod::module_rules;
use crate::gomod::modzip::{self, ModuleZip};
use crate::gomod::vendor_rules::{GoFile, ModuleFile};
use crate::gomod::zip_proof::{self, ProofError};

/// The folder `unpack` made (or any folder laid out the same way).
pub struct Unpacked {
    src: PathBuf,
    /// The folder below `src/` holding vendor/ (the module's or the workspace's).
    at: String,
    cache: Option<PathBuf>,
    proofs: PathBuf,
    root: PathBuf,
    facts: OnceLock<Result<HashMap<[u8; 32], GoFile>, String>>,
    listing: Option<VendorListing>,
}

impl Unpacked {
    pub fn new(root: &Path) -> Unpacked {
        let cache = Some(root.join("modcache")).filter(|c| c.is_dir());
        Unpacked {
            src: root.join("src"),
            at: String::new(),
            cache,
            proofs: root.join("proofs"),
            root: root.to_path_buf(),
            facts: OnceLock::new(),
            listing: None,
        }
    }

    /// The module, or the workspace, sits at `at` below `src/` (the signed
    /// manifest's vendor root).
    pub fn at(mut self, at: &str) -> Unpacked {
        self.at = at.to_string();
        self
    }

    /// `rel` from the vendor root as a path below `src/`; `None` when it
    /// would lead out of `src/`, which nothing the check reads may.
    fn within(&self, rel: &str) -> Option<String> {
        crate::source::Layout::resolve(&self.at, rel)
    }

    /// vendor/ as the caller already checked it file by file (against the
    /// signed manifest), so that it is not hashed again.
    pub fn with_listing(mut self, listing: VendorListing) -> Unpacked {
        self.listing = Some(listing);
        self
    }

    fn disk(&self) -> Disk<'_> {
        Disk {
            tree: &self.src,
            cache: self.cache.as_deref(),
        }
    }

    /// Every file below `dir`, by its path below `self.root`.
    fn below(&self, dir: &Path) -> Result<Vec<String>, CheckError> {
        if !dir.is_dir() {
            return Ok(Vec::new());
        }
        let found = walk(dir)?.into_iter().filter_map(|f| {
            let rel = f.path.strip_prefix(&self.root).ok()?;
            Some(rel.to_string_lossy().replace('\\', "/"))
        });
        Ok(found.collect())
    }

    /// What Go reads in each .go file of vendor/ and of the proofs, by sha256.
    fn facts(&self) -> Result<&HashMap<[u8; 32], GoFile>, CheckError> {
        let facts = self.facts.get_or_init(|| {
            let mut out = HashMap::new();
            for dir in [self.src.join(&self.at).join("vendor"), self.proofs.clone()] {
                let files = if dir.is_dir() {
                    walk(&dir).map_err(|e| e.to_string())?
                } else {
                    Vec::new()
                };
                for f in files
                    .into_iter()
                    .filter(|f| f.regular && f.rel.ends_with(".go"))
                {
                    let file =
                        File::open(&f.path).map_err(|e| format!("{}: {e}", f.path.display()))?;
                    let read = modzip::module_file(&f.rel, &mut BufReader::new(file))
                        .map_err(|e| format!("{}: {e}", f.path.display()))?;
                    if let ModuleFile {
                        sha256,
                        go: Some(go),
                    } = read
                    {
                        out.insert(sha256, go);
                    }
                }
            }
            Ok(out)
        });
        facts.as_ref().map_err(|reason| CheckError::Io {
            path: self.root.clone(),
            source: std::io::Error::other(reason.clone()),
        })
    }

    fn proved_zip(&self, path: &str, version: &str) -> Result<Option<ModuleZip>, CheckError> {
        plain(path, version)?;
        let dir = self.root.join(zip_proof::dir(path, version));
        let summary_path = dir.join(zip_proof::SUMMARY);
        if !summary_path.is_file() {
            return Ok(None);
        }
        let summary = fs::read(&summary_path).map_err(io(&summary_path))?;
        let files = dir.join(zip_proof::FILES);
        let mut carried = Vec::new();
        if files.is_dir() {
            for f in walk(&files)? {
                let mut file = File::open(&f.path).map_err(io(&f.path))?;
                carried.push((
                    f.rel,
                    dirhash::sha256_reader(&mut file).map_err(io(&f.path))?,
                ));
            }
        }
        Ok(Some(zip_proof::prove(
            path,
            version,
            &summary,
            &carried,
            self.facts()?,
        )?))
    }

    fn digest(&self, file: Option<PathBuf>) -> Result<Option<[u8; 32]>, CheckError> {
        let Some(file) = file.filter(|f| f.is_file()) else {
            return Ok(None);
        };
        let mut f = File::open(&file).map_err(io(&file))?;
        Ok(Some(dirhash::sha256_reader(&mut f).map_err(io(&file))?))
    }
}

/// A module path and version named by the folder's go.sum or modules.txt
/// become file names below it only when they are what Go accepts: a `..`
/// in either must not read a file outside the folder.
fn plain(path: &str, version: &str) -> Result<(), ProofError> {
    let refused = module_rules::module_path(path).and_then(|_| module_rules::version(version));
    refused.map_err(|reason| ProofError {
        module: path.to_string(),
        version: version.to_string(),
        file: "go.sum or vendor/modules.txt".into(),
        reason: format!("not a module version Go accepts, so no file of it is read: {reason}"),
    })
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CheckError + '_ {
    move |source| CheckError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl Inputs for Unpacked {
    fn text(&self, rel: &str) -> Result<Option<String>, CheckError> {
        match self.within(rel) {
            Some(path) => self.disk().text(&path),
            None => Ok(None),
        }
    }

    fn vendor(&self) -> Result<VendorListing, CheckError> {
        let root = self.src.join(&self.at);
        match &self.listing {
            Some(listing) => Ok(listing.clone()),
            None => Disk {
                tree: &root,
                cache: None,
            }
            .vendor(),
        }
    }

    fn folder(
        &self,
        rel: &str,
    ) -> Result<Option<std::collections::BTreeMap<String, ModuleFile>>, CheckError> {
        match self.within(rel) {
            Some(path) => self.disk().folder(&path),
            None => Ok(None),
        }
    }

    fn has_cache(&self) -> bool {
        self.cache.is_some() || self.proofs.is_dir()
    }

    fn go_mod_hash(&self, path: &str, version: &str) -> Result<Option<String>, CheckError> {
        plain(path, version)?;
        let cached = self
            .cache
            .as_ref()
            .map(|c| c.join(rel_path(path, version, "mod")));
        let proved = self
            .root
            .join(zip_proof::dir(path, version))
            .join(zip_proof::GO_MOD);
        let (cached, proved) = (self.digest(cached)?, self.digest(Some(proved))?);
        let go_mod = zip_proof::one_go_mod(path, version, cached, proved)?;
        Ok(go_mod.map(|d| dirhash::hash1_of_digests(vec![("go.mod".into(), d)])))
    }

    fn zip(&self, path: &str, version: &str) -> Result<Option<Arc<ModuleZip>>, CheckError> {
        plain(path, version)?;
        let cached = self.disk().zip(path, version)?;
        Ok(match (cached, self.proved_zip(path, version)?) {
            (Some(zip), Some(proof)) => Some(zip_proof::agree(path, version, zip, &proof)?),
            (Some(zip), None) => Some(zip),
            (None, proved) => proved.map(Arc::new),
        })
    }

    fn proof_entries(&self) -> Result<Vec<String>, CheckError> {
        self.below(&self.proofs)
    }

    fn carried_cache(&self) -> Result<Vec<String>, CheckError> {
        let Some(cache) = &self.cache else {
            return Ok(Vec::new());
        };
        let found = self.below(cache)?.into_iter();
        Ok(found
            .filter_map(|p| p.strip_prefix("modcache/").map(str::to_string))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_module_versions_go_accepts_become_file_names() {
        assert!(plain("example.com/Upper/tzinfo", "v1.0.0").is_ok());
        assert!(plain("example.com/x", "v0.0.0-20240101000000-abcdefabcdef").is_ok());
        for (path, version) in [
            ("../../etc", "v1.0.0"),
            ("example.com/x", "v1.0.0/../../y"),
            ("/abs", "v1.0.0"),
        ] {
            assert!(plain(path, version).is_err(), "{path}@{version}");
        }
        let folder = tempfile::tempdir().unwrap();
        let inputs = Unpacked::new(folder.path());
        assert!(inputs.zip("../../etc", "v1.0.0").is_err());
        assert!(
            inputs
                .go_mod_hash("example.com/x", "v1/../../../y")
                .is_err()
        );
    }
}
