//! An unpacked bundle folder, read again after `unpack` by `images` and
//! `build`: its `ferry.json` (checked against the signature when a key is
//! given), and the files under some prefixes checked against that manifest,
//! none missing, none changed, none added.

use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::bundle::diags::{BundleError, Code, Problem, Report};
use crate::bundle::manifest::{MAX_MANIFEST_BYTES, Manifest};
use crate::bundle::{MANIFEST, SIGNATURE};
use crate::error::Error;
use crate::fsutil::read_at_most;
use crate::gomod::dirhash;
use crate::sign;

pub struct Unpacked {
    pub root: PathBuf,
    pub manifest: Manifest,
    /// Whether ferry.json's signature was checked in this run.
    pub signed: bool,
}

/// Reads `dir/ferry.json`; with `pub_key`, its signature first.
pub fn open(dir: &Path, pub_key: Option<&Path>) -> Result<Unpacked, Error> {
    let path = dir.join(MANIFEST);
    if !path.is_file() {
        return Err(Error::Usage(format!(
            "{}: not an unpacked bundle folder (no {MANIFEST})",
            dir.display()
        )));
    }
    let bytes = read_at_most(&path, MAX_MANIFEST_BYTES).map_err(Error::io(&path))?;
    if let Some(pub_key) = pub_key {
        let pk = sign::load_public_key(pub_key)?;
        let sig_path = dir.join(SIGNATURE);
        let sig =
            read_at_most(&sig_path, sign::MAX_SIGNATURE_BYTES).map_err(Error::io(&sig_path))?;
        let digest = hex::encode(Sha256::digest(&bytes));
        sign::verify_manifest(&pk, &sig, &bytes, &digest).map_err(|source| {
            BundleError::Signature {
                path: path.display().to_string(),
                source,
            }
        })?;
    }
    let manifest = Manifest::from_bytes(&bytes).map_err(|reason| BundleError::Unreadable {
        path: path.display().to_string(),
        reason,
    })?;
    Ok(Unpacked {
        root: dir.to_path_buf(),
        manifest,
        signed: pub_key.is_some(),
    })
}

impl Unpacked {
    /// Every manifest entry under `prefixes` is on disk with its sha256, and
    /// no other file is there; otherwise an error listing each problem.
    pub fn check(&self, prefixes: &[&str]) -> Result<(), Error> {
        let under = |p: &str| prefixes.iter().any(|x| p.starts_with(x));
        let mut problems = Vec::new();
        let mut listed = BTreeSet::new();
        for entry in self.manifest.entries.iter().filter(|e| under(&e.path)) {
            listed.insert(entry.path.as_str());
            let path = self.root.join(&entry.path);
            let Ok(mut file) = File::open(&path) else {
                problems.push(Problem::new(Code::Missing, &entry.path, "is missing"));
                continue;
            };
            let actual = hex::encode(dirhash::sha256_reader(&mut file).map_err(Error::io(&path))?);
            if actual != entry.sha256 {
                problems.push(Problem::mismatch(
                    Code::Sha256,
                    &entry.path,
                    "sha256 differs from the manifest",
                    &entry.sha256,
                    &actual,
                ));
            }
        }
        for prefix in prefixes {
            for rel in self.files_under(prefix) {
                if !listed.contains(rel.as_str()) {
                    problems.push(Problem::new(
                        Code::NotInManifest,
                        &rel,
                        "is not listed in the manifest",
                    ));
                }
            }
        }
        if problems.is_empty() {
            return Ok(());
        }
        let report = Report {
            bundle: self.root.display().to_string(),
            problems,
            ..Report::default()
        };
        Err(BundleError::Rejected(Box::new(report)).into())
    }

    /// Relative `/`-separated paths of everything but folders under `prefix`.
    fn files_under(&self, prefix: &str) -> Vec<String> {
        walkdir::WalkDir::new(self.root.join(prefix))
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| !e.file_type().is_dir())
            .filter_map(|e| {
                let rel = e.path().strip_prefix(&self.root).ok()?;
                Some(rel.to_string_lossy().replace('\\', "/"))
            })
            .collect()
    }
}
