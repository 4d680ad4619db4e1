//! An unpacked bundle folder, read again after `unpack` by `images`, `build`
//! and `diff`: its `ferry.json`, believed only once its signature checks out
//! against a trusted key, and the files under some prefixes checked against
//! that manifest, none missing, none changed, none added.

use std::collections::BTreeSet;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::bundle::diags::{BundleError, Code, Problem, Report, fields_report};
use crate::bundle::fields;
use crate::bundle::manifest::{MAX_MANIFEST_BYTES, Manifest};
use crate::bundle::{MANIFEST, SIGNATURE};
use crate::fsutil::read_at_most;
use crate::gomod::dirhash;
use crate::sign::{self, TrustedKeys};

pub struct Unpacked {
    pub root: PathBuf,
    pub manifest: Manifest,
    /// ferry.json as signed.
    pub manifest_bytes: Vec<u8>,
    /// The id of the trusted key that signed ferry.json.
    pub key_id: String,
    /// That key's 32 bytes: what the key is, whatever its id says.
    pub signer_key: [u8; 32],
    /// The hex sha256 of the signed ferry.json bytes.
    pub manifest_sha256: String,
}

/// Reads `dir/ferry.json` and checks its signature before parsing it.
pub fn open(dir: &Path, keys: &TrustedKeys) -> Result<Unpacked, BundleError> {
    let path = dir.join(MANIFEST);
    if !path.is_file() {
        return Err(BundleError::NotUnpacked {
            path: dir.display().to_string(),
        });
    }
    let bytes = read_at_most(&path, MAX_MANIFEST_BYTES).map_err(io_error(&path))?;
    let sig_path = dir.join(SIGNATURE);
    let sig = match read_at_most(&sig_path, sign::MAX_SIGNATURE_BYTES) {
        Ok(sig) => sig,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let source = sign::SignError::BadSignature(format!("{SIGNATURE} is missing"));
            return Err(signature_error(&path, source));
        }
        Err(e) => return Err(io_error(&sig_path)(e)),
    };
    let digest = hex::encode(Sha256::digest(&bytes));
    let (_, signer) = keys
        .verify_manifest(&sig, &bytes, &digest)
        .map_err(|source| signature_error(&path, source))?;
    let manifest = Manifest::from_bytes(&bytes).map_err(|reason| BundleError::Unreadable {
        path: path.display().to_string(),
        reason,
    })?;
    let refused = fields::check(&manifest);
    if !refused.is_empty() {
        let report = fields_report(&dir.display().to_string(), &refused);
        return Err(BundleError::Rejected(Box::new(report)));
    }
    Ok(Unpacked {
        root: dir.to_path_buf(),
        manifest,
        manifest_bytes: bytes,
        key_id: signer.id.clone(),
        signer_key: crate::sign::key_bytes(&signer.key),
        manifest_sha256: digest,
    })
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> BundleError + '_ {
    move |source| BundleError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn signature_error(path: &Path, source: sign::SignError) -> BundleError {
    BundleError::Signature {
        path: path.display().to_string(),
        source,
    }
}

impl Unpacked {
    /// Every manifest entry under `prefixes` is on disk with its sha256, and
    /// no other file is there; otherwise an error listing each problem.
    pub fn check(&self, prefixes: &[&str]) -> Result<(), BundleError> {
        let under = |p: &str| prefixes.iter().any(|x| p.starts_with(x));
        let mut problems = Vec::new();
        let mut listed = BTreeSet::new();
        for entry in self.manifest.entries.iter().filter(|e| under(&e.path)) {
            listed.insert(entry.path.as_str());
            let path = self.root.join(&entry.path);
            let mut file = match File::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    problems.push(Problem::new(Code::Missing, &entry.path, "is missing"));
                    continue;
                }
                Err(e) => return Err(io_error(&path)(e)),
            };
            let actual = hex::encode(dirhash::sha256_reader(&mut file).map_err(io_error(&path))?);
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
            for rel in self.files_under(prefix)? {
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
        Err(BundleError::Rejected(Box::new(report)))
    }

    /// Relative `/`-separated paths of everything but folders under
    /// `prefix`; a folder that cannot be read is an error, not skipped.
    fn files_under(&self, prefix: &str) -> Result<Vec<String>, BundleError> {
        let top = self.root.join(prefix);
        if !top.exists() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for e in walkdir::WalkDir::new(&top).sort_by_file_name() {
            let e = e.map_err(|e| io_error(&top)(e.into()))?;
            if e.file_type().is_dir() {
                continue;
            }
            if let Ok(rel) = e.path().strip_prefix(&self.root) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
        Ok(out)
    }
}
