//! `ferry images`: the base images of a bundle (verified first) or of an
//! unpacked bundle folder, listed or pushed to an intranet registry. Every tar
//! is checked against the manifest before it is read, and every blob against
//! its digest as it is pushed.

use std::fs::File;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::bundle::diags::{BundleError, Problem, Report};
use crate::bundle::manifest::{Image, Manifest};
use crate::bundle::{MANIFEST, SIGNATURE};
use crate::error::Error;
use crate::gomod::dirhash;
use crate::image::ImageError;
use crate::image::archive::Archive;
use crate::image::reference::{self, ImageRef};
use crate::image::registry::{Connection, Pushed, Registry};
use crate::{progress, sign, verify};

/// A bundle's images, ready to read.
pub struct Opened {
    /// The folder that holds `images/`.
    pub root: PathBuf,
    pub manifest: Manifest,
    /// Whether ferry.json's signature was checked in this run.
    pub signed: bool,
    _temp: Option<tempfile::TempDir>,
}

/// Opens a bundle file (signature and every entry checked, images extracted
/// to a private temporary folder) or an unpacked folder (each image tar
/// checked against ferry.json, and ferry.json against its signature when a key
/// is given).
pub fn open(target: &Path, pub_key: Option<&Path>, quiet: bool) -> Result<Opened, Error> {
    if target.is_file() {
        let pub_key = pub_key.ok_or_else(|| {
            Error::Usage(format!(
                "{}: reading a bundle starts with its signature: pass --pub PUB",
                target.display()
            ))
        })?;
        let temp = tempfile::Builder::new()
            .prefix(".ferry-images-")
            .tempdir()
            .map_err(Error::io(std::env::temp_dir()))?;
        let manifest = verify::extract_checked(target, pub_key, temp.path(), &["images/"], quiet)?;
        return Ok(Opened {
            root: temp.path().to_path_buf(),
            manifest,
            signed: true,
            _temp: Some(temp),
        });
    }
    if !target.join(MANIFEST).is_file() {
        return Err(Error::Usage(format!(
            "{}: neither a bundle nor an unpacked bundle folder (no {MANIFEST})",
            target.display()
        )));
    }
    open_dir(target, pub_key)
}

fn open_dir(dir: &Path, pub_key: Option<&Path>) -> Result<Opened, Error> {
    let read = |name: &str| std::fs::read(dir.join(name)).map_err(Error::io(dir.join(name)));
    let bytes = read(MANIFEST)?;
    if let Some(pub_key) = pub_key {
        let pk = sign::load_public_key(pub_key)?;
        let digest = hex::encode(Sha256::digest(&bytes));
        sign::verify_manifest(&pk, &read(SIGNATURE)?, &bytes, &digest).map_err(|source| {
            BundleError::Signature {
                path: dir.join(MANIFEST).display().to_string(),
                source,
            }
        })?;
    }
    let manifest = Manifest::from_bytes(&bytes).map_err(|reason| BundleError::Unreadable {
        path: dir.join(MANIFEST).display().to_string(),
        reason,
    })?;
    check_tars(dir, &manifest)?;
    Ok(Opened {
        root: dir.to_path_buf(),
        manifest,
        signed: pub_key.is_some(),
        _temp: None,
    })
}

/// Each image tar of an unpacked folder has the size and sha256 ferry.json gives.
fn check_tars(dir: &Path, manifest: &Manifest) -> Result<(), Error> {
    let mut problems = Vec::new();
    for image in &manifest.images {
        let Some(entry) = manifest.entries.iter().find(|e| e.path == image.entry) else {
            problems.push(Problem::new(&image.entry, "not listed among the entries"));
            continue;
        };
        let path = dir.join(&entry.path);
        let mut file = File::open(&path).map_err(Error::io(&path))?;
        let actual = hex::encode(dirhash::sha256_reader(&mut file).map_err(Error::io(&path))?);
        if actual != entry.sha256 {
            problems.push(Problem::mismatch(
                &entry.path,
                "sha256",
                &entry.sha256,
                &actual,
            ));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    let report = Report {
        bundle: dir.display().to_string(),
        problems,
        ..Report::default()
    };
    Err(BundleError::Rejected(Box::new(report)).into())
}

/// One bundled image as `images list` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Listed {
    #[serde(flatten)]
    pub image: Image,
    /// Bytes a registry stores for it: manifest, config and layers.
    pub size: u64,
    pub layers: usize,
}

/// Reads each image tar; its manifest must be the one ferry.json records.
pub fn list(opened: &Opened) -> Result<Vec<Listed>, Error> {
    opened
        .manifest
        .images
        .iter()
        .map(|image| {
            let archive = open_archive(opened, image)?;
            Ok(Listed {
                image: image.clone(),
                size: archive.image.size(),
                layers: archive.image.layers.len(),
            })
        })
        .collect()
}

fn open_archive(opened: &Opened, image: &Image) -> Result<Archive, Error> {
    let archive = Archive::open(&opened.root.join(&image.entry))?;
    if archive.image.manifest_digest != image.digest {
        return Err(ImageError::Digest {
            image: image.reference.clone(),
            digest: image.digest.clone(),
            what: "the tar's manifest is not the one ferry.json records",
            expected: image.digest.clone(),
            actual: archive.image.manifest_digest.clone(),
        }
        .into());
    }
    Ok(archive)
}

/// Where `images push` sends the images.
#[derive(Debug, Clone)]
pub struct PushTarget {
    pub registry: String,
    pub repo_prefix: Option<String>,
    pub connection: Connection,
}

impl PushTarget {
    /// The `--build-arg` value that makes the Dockerfile take its images here.
    pub fn build_arg(&self) -> String {
        reference::in_registry(&self.registry, self.repo_prefix.as_deref(), "")
    }
}

/// Pushes every image, each under its restored tag in the target registry.
pub fn push(opened: &Opened, target: &PushTarget, quiet: bool) -> Result<Vec<Pushed>, Error> {
    let registry = Registry::new(&target.connection)?;
    let mut out = Vec::new();
    for image in &opened.manifest.images {
        let archive = open_archive(opened, image)?;
        let dest =
            reference::in_registry(&target.registry, target.repo_prefix.as_deref(), &image.tag);
        let dest = ImageRef::parse(&dest)?;
        let bar = progress::bytes(0, &image.tag, quiet);
        out.push(registry.push(&archive, &dest, &bar)?);
        bar.finish_and_clear();
    }
    Ok(out)
}
