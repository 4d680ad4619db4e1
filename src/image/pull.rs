//! The images a pack bundles: each requested reference pulled for one
//! platform and written as one tar, with what the manifest records of it.

use super::{Image, Role};
use std::path::{Path, PathBuf};

use super::archive::{self, ImageContent};
use super::diags::ImageError;
use super::import;
use super::manifest::{self, Platform};
use super::reference::{self, ImageRef};
use super::registry::{Connection, Registry};
use crate::progress::Progress;

/// One image to bundle.
#[derive(Debug, Clone)]
pub struct Request {
    pub reference: String,
    pub role: Role,
}

/// One image pulled and written.
#[derive(Debug, Clone)]
pub struct Bundled {
    /// What the manifest records of it.
    pub image: Image,
    /// The tar on disk.
    pub tar: PathBuf,
    /// `GOLANG_VERSION` from the image's environment, as official Go images set it.
    pub go_version: Option<String>,
}

/// The requests as images to pull: parsed, each reference once (its first
/// role wins).
pub fn plan(requests: &[Request]) -> Result<Vec<(ImageRef, Role)>, ImageError> {
    let mut out: Vec<(ImageRef, Role)> = Vec::new();
    for req in requests {
        let image = ImageRef::parse(&req.reference)?;
        if !out.iter().any(|(i, _)| i.whole() == image.whole()) {
            out.push((image, req.role));
        }
    }
    Ok(out)
}

/// No two images may restore as the same tag (or share an entry name).
fn check_unique(images: &[(ImageRef, Role)]) -> Result<(), ImageError> {
    for (n, (a, _)) in images.iter().enumerate() {
        let entry = reference::entry_name(&a.local_tag());
        if let Some((b, _)) = images[n + 1..]
            .iter()
            .find(|(b, _)| reference::entry_name(&b.local_tag()) == entry)
        {
            return Err(ImageError::SameTag {
                first: a.given.clone(),
                second: b.given.clone(),
                tag: b.local_tag(),
            });
        }
    }
    Ok(())
}

/// Pulls every request into `dir` (blobs shared between images are fetched
/// once) and writes one tar per image there. An image in one of `archives`
/// is taken from it rather than pulled: in the role of the request that
/// names it, else as an extra image.
pub fn pull_all(
    requests: &[Request],
    archives: &[PathBuf],
    platform: &str,
    conn: &Connection,
    dir: &Path,
    progress: &dyn Progress,
) -> Result<Vec<Bundled>, ImageError> {
    let mut wanted = plan(requests)?;
    if wanted.is_empty() && archives.is_empty() {
        return Ok(Vec::new());
    }
    let platform = Platform::parse(platform)?;
    let blobs = dir.join("blobs");
    std::fs::create_dir_all(&blobs).map_err(ImageError::io(&blobs))?;
    let mut got: Vec<(ImageRef, Role, ImageContent)> = Vec::new();
    for path in archives {
        let imported = import::import(path, &platform, &blobs)?;
        let role = match wanted
            .iter()
            .position(|(i, _)| i.whole() == imported.reference.whole())
        {
            Some(n) => wanted.remove(n).1,
            None => Role::Extra,
        };
        got.push((imported.reference, role, imported.content));
    }
    let all: Vec<(ImageRef, Role)> = got
        .iter()
        .map(|(i, r, _)| (i.clone(), *r))
        .chain(wanted.iter().cloned())
        .collect();
    check_unique(&all)?;
    if !wanted.is_empty() {
        let registry = Registry::new(conn)?;
        for (image, role) in wanted {
            let bar = progress.bytes(0, &image.local_tag());
            let content = registry.pull(&image, &platform, &blobs, &bar)?;
            bar.finish_and_clear();
            got.push((image, role, content));
        }
    }
    got.into_iter()
        .map(|(image, role, content)| write(&image, role, content, &platform, &blobs, dir))
        .collect()
}

fn write(
    image: &ImageRef,
    role: Role,
    content: ImageContent,
    platform: &Platform,
    blobs: &Path,
    dir: &Path,
) -> Result<Bundled, ImageError> {
    let config = blobs.join(content.config.digest.trim_start_matches("sha256:"));
    let config = std::fs::read(&config).map_err(ImageError::io(&config))?;
    manifest::check_config_platform(&image.given, &config, platform)?;
    let entry = reference::entry_name(&content.tag);
    let tar = dir.join(entry.trim_start_matches("images/"));
    archive::write(&content, blobs, &tar)?;
    Ok(Bundled {
        image: Image {
            reference: image.whole(),
            tag: content.tag,
            digest: content.manifest_digest,
            platform: platform.to_string(),
            role,
            entry,
        },
        tar,
        go_version: env_value(&config, "GOLANG_VERSION"),
    })
}

/// A variable of the image config's `config.Env`.
fn env_value(config: &[u8], name: &str) -> Option<String> {
    let config: serde_json::Value = serde_json::from_slice(config).ok()?;
    let prefix = format!("{name}=");
    config["config"]["Env"]
        .as_array()?
        .iter()
        .filter_map(|e| e.as_str())
        .find_map(|e| e.strip_prefix(&prefix).map(str::to_string))
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
        let p = plan(&[
            req("a.example/team/base:1", Role::Builder),
            req("b.example/team/base:1", Role::Runtime),
        ])
        .unwrap();
        let err = check_unique(&p).unwrap_err().to_string();
        assert!(
            err.contains("would both restore as \"team/base:1\""),
            "{err}"
        );
    }
}
