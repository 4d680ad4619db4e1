//! The images a pack bundles: each requested reference pulled for one
//! platform and written as one tar, with what the manifest records of it.

use std::path::{Path, PathBuf};

use super::archive;
use super::diags::ImageError;
use super::manifest::Platform;
use super::reference::{self, ImageRef};
use super::registry::{Connection, Registry};
use crate::progress;

/// What an image is for in the build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Builder,
    Runtime,
    /// Asked for with `--image`: carried, not named in the Dockerfile.
    Extra,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Builder => "builder",
            Role::Runtime => "runtime",
            Role::Extra => "extra",
        }
    }
}

/// One image to bundle.
#[derive(Debug, Clone)]
pub struct Request {
    pub reference: String,
    pub role: Role,
}

/// One image pulled and written.
#[derive(Debug, Clone)]
pub struct Bundled {
    pub reference: String,
    pub tag: String,
    pub digest: String,
    pub platform: String,
    pub role: Role,
    /// The bundle entry, `images/<name>.tar`.
    pub entry: String,
    /// The tar on disk.
    pub tar: PathBuf,
}

/// The requests as images to pull: parsed, each reference once (its first
/// role wins), no two restoring as the same tag.
pub fn plan(requests: &[Request]) -> Result<Vec<(ImageRef, Role)>, ImageError> {
    let mut out: Vec<(ImageRef, Role)> = Vec::new();
    for req in requests {
        let image = ImageRef::parse(&req.reference)?;
        if out.iter().any(|(i, _)| i.whole() == image.whole()) {
            continue;
        }
        if let Some((other, _)) = out.iter().find(|(i, _)| {
            reference::entry_name(&i.local_tag()) == reference::entry_name(&image.local_tag())
        }) {
            return Err(ImageError::SameTag {
                first: other.given.clone(),
                second: image.given.clone(),
                tag: image.local_tag(),
            });
        }
        out.push((image, req.role));
    }
    Ok(out)
}

/// Pulls every request into `dir` (blobs shared between images are fetched
/// once) and writes one tar per image there.
pub fn pull_all(
    requests: &[Request],
    platform: &str,
    conn: &Connection,
    dir: &Path,
    quiet: bool,
) -> Result<Vec<Bundled>, ImageError> {
    let plan = plan(requests)?;
    if plan.is_empty() {
        return Ok(Vec::new());
    }
    let platform = Platform::parse(platform)?;
    let registry = Registry::new(conn)?;
    let blobs = dir.join("blobs");
    std::fs::create_dir_all(&blobs).map_err(ImageError::io(&blobs))?;
    let mut out = Vec::new();
    for (image, role) in plan {
        let bar = progress::bytes(0, &image.local_tag(), quiet);
        let content = registry.pull(&image, &platform, &blobs, &bar)?;
        bar.finish_and_clear();
        let entry = reference::entry_name(&content.tag);
        let tar = dir.join(entry.trim_start_matches("images/"));
        archive::write(&content, &blobs, &tar)?;
        out.push(Bundled {
            reference: image.whole(),
            tag: content.tag,
            digest: content.manifest_digest,
            platform: platform.to_string(),
            role,
            entry,
            tar,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(r: &str, role: Role) -> Request {
        Request {
            reference: r.into(),
            role,
        }
    }

    #[test]
    fn a_reference_is_pulled_once_and_tags_may_not_collide() {
        let p = plan(&[
            req("golang:1.26", Role::Builder),
            req("docker.io/library/golang:1.26", Role::Extra),
            req("busybox:1", Role::Runtime),
        ])
        .unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].1, Role::Builder);
        let err = plan(&[
            req("a.example/team/base:1", Role::Builder),
            req("b.example/team/base:1", Role::Runtime),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("would both restore as \"team/base:1\""),
            "{err}"
        );
    }
}
