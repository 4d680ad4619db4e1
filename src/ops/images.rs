//! `ferry images`: the base images of a bundle (verified first) or of an
//! unpacked bundle folder, listed or pushed to an intranet registry. Every tar
//! is checked against the manifest before it is read, and every blob against
//! its digest as it is pushed.

use std::path::Path;

use super::Context;
use super::target::Opened;
use crate::bundle::manifest::Image;
use crate::error::Error;
use crate::image::ImageError;
use crate::image::archive::Archive;
use crate::image::reference::{self, ImageRef};
use crate::image::registry::{Connection, Pushed, Registry};
use crate::sign::TrustedKeys;

/// Opens a bundle file or an unpacked folder with its `images/` checked.
pub fn open(target: &Path, keys: &TrustedKeys, ctx: &Context) -> Result<Opened, Error> {
    super::target::open(target, keys, &["images/"], ctx)
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
pub fn push(opened: &Opened, target: &PushTarget, ctx: &Context) -> Result<Vec<Pushed>, Error> {
    let registry = Registry::new(&target.connection)?;
    let mut out = Vec::new();
    for image in &opened.manifest.images {
        let archive = open_archive(opened, image)?;
        let dest =
            reference::in_registry(&target.registry, target.repo_prefix.as_deref(), &image.tag);
        let dest = ImageRef::parse(&dest)?;
        let bar = ctx.progress.bytes(0, &image.tag);
        out.push(registry.push(&archive, &dest, &bar)?);
        bar.finish_and_clear();
    }
    Ok(out)
}
