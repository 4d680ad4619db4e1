//! Image manifests and indexes as registries serve them (OCI and Docker v2
//! schema 2), parsed from bytes with every descriptor checked before a digest
//! becomes a file name, and an index resolved to one platform.

use std::fmt;

use oci_client::manifest::{ImageIndexEntry, OciDescriptor, OciImageIndex, OciImageManifest};

use super::diags::ImageError;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// What ferry asks a registry for, in order of preference.
pub const ACCEPTED: &[&str] = &[OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST];

/// A manifest larger than this is not an image manifest.
pub const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;

/// OS/ARCH[/VARIANT], as `--platform` takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Platform {
    pub fn parse(s: &str) -> Result<Platform, ImageError> {
        let parts: Vec<&str> = s.split('/').collect();
        let ok = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric());
        if !(2..=3).contains(&parts.len()) || !parts.iter().all(ok) {
            return Err(ImageError::Platform(s.to_string()));
        }
        Ok(Platform {
            os: parts[0].to_string(),
            architecture: parts[1].to_string(),
            variant: parts.get(2).map(|v| v.to_string()),
        })
    }

    /// Whether an index entry's platform is this one. With no variant asked
    /// for, any variant matches (as `docker pull --platform linux/arm64`).
    fn matches(&self, p: &oci_client::manifest::Platform) -> bool {
        p.os.to_string() == self.os
            && p.architecture.to_string() == self.architecture
            && (self.variant.is_none() || p.variant == self.variant)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// What a registry served for a reference.
#[derive(Debug)]
pub enum Served {
    Index(OciImageIndex),
    Manifest(Box<OciImageManifest>),
}

/// A digest ferry accepts: `sha256:` and 64 lower-case hex digits. Anything
/// else could not be checked, and must never become a path.
pub fn check_digest(image: &str, digest: &str) -> Result<(), ImageError> {
    let hex = digest.strip_prefix("sha256:").unwrap_or("");
    let ok = hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if ok {
        return Ok(());
    }
    Err(ImageError::Invalid {
        image: image.to_string(),
        reason: format!("{digest:?} is not a sha256 digest"),
    })
}

fn check_descriptor(image: &str, d: &OciDescriptor) -> Result<(), ImageError> {
    check_digest(image, &d.digest)?;
    if d.size < 0 {
        return Err(ImageError::Invalid {
            image: image.to_string(),
            reason: format!("blob {} has a negative size", d.digest),
        });
    }
    Ok(())
}

/// Parses what a registry served, by its `mediaType` or, when that is absent
/// (it is optional in OCI), by its shape.
pub fn parse(image: &str, bytes: &[u8]) -> Result<Served, ImageError> {
    let invalid = |reason: String| ImageError::Invalid {
        image: image.to_string(),
        reason,
    };
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| invalid(format!("manifest: {e}")))?;
    let media_type = value.get("mediaType").and_then(|m| m.as_str());
    let is_index = match media_type {
        Some(OCI_INDEX | DOCKER_LIST) => true,
        Some(OCI_MANIFEST | DOCKER_MANIFEST) => false,
        Some(other) => return Err(invalid(format!("unsupported manifest type {other:?}"))),
        None => value.get("manifests").is_some(),
    };
    if value.get("schemaVersion").and_then(|v| v.as_i64()) != Some(2) {
        return Err(invalid("manifest schemaVersion is not 2".into()));
    }
    if is_index {
        let index: OciImageIndex =
            serde_json::from_value(value).map_err(|e| invalid(format!("image index: {e}")))?;
        for m in &index.manifests {
            check_digest(image, &m.digest)?;
        }
        return Ok(Served::Index(index));
    }
    let manifest: OciImageManifest =
        serde_json::from_value(value).map_err(|e| invalid(format!("image manifest: {e}")))?;
    check_descriptor(image, &manifest.config)?;
    for layer in &manifest.layers {
        check_descriptor(image, layer)?;
    }
    Ok(Served::Manifest(Box::new(manifest)))
}

/// The index entry for `platform`, or an error listing what the index has.
pub fn select<'a>(
    image: &str,
    index: &'a OciImageIndex,
    platform: &Platform,
) -> Result<&'a ImageIndexEntry, ImageError> {
    let found = index
        .manifests
        .iter()
        .find(|m| m.platform.as_ref().is_some_and(|p| platform.matches(p)));
    found.ok_or_else(|| ImageError::NoPlatform {
        image: image.to_string(),
        wanted: platform.to_string(),
        available: available(index),
    })
}

fn available(index: &OciImageIndex) -> String {
    let names: Vec<String> = index
        .manifests
        .iter()
        .map(|m| match &m.platform {
            Some(p) => {
                let mut s = format!("{}/{}", p.os, p.architecture);
                if let Some(v) = &p.variant {
                    s.push('/');
                    s.push_str(v);
                }
                s
            }
            None => format!("(no platform: {})", m.digest),
        })
        .collect();
    if names.is_empty() {
        "nothing".into()
    } else {
        names.join(", ")
    }
}

/// An image config must say the platform that was asked for: an image
/// pulled by a plain tag, or loaded from an archive, could be any.
pub fn check_config_platform(
    image: &str,
    config: &[u8],
    platform: &Platform,
) -> Result<(), ImageError> {
    let invalid = |reason: String| ImageError::Invalid {
        image: image.to_string(),
        reason,
    };
    let config: serde_json::Value =
        serde_json::from_slice(config).map_err(|e| invalid(format!("image config: {e}")))?;
    let field = |k: &str| config.get(k).and_then(|v| v.as_str()).unwrap_or("?");
    let (os, arch) = (field("os"), field("architecture"));
    if os == platform.os && arch == platform.architecture {
        return Ok(());
    }
    Err(invalid(format!(
        "the image is {os}/{arch}, not {platform} as --platform asks"
    )))
}

/// The media type a manifest is stored under: its own, else the OCI one.
pub fn media_type(manifest: &OciImageManifest) -> &str {
    manifest.media_type.as_deref().unwrap_or(OCI_MANIFEST)
}

#[cfg(test)]
mod tests {
    use super::*;

    const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    fn index() -> Vec<u8> {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[
            {{"mediaType":"{OCI_MANIFEST}","digest":"{D1}","size":10,"platform":{{"os":"linux","architecture":"amd64"}}}},
            {{"mediaType":"{OCI_MANIFEST}","digest":"{D2}","size":10,"platform":{{"os":"linux","architecture":"arm64","variant":"v8"}}}}]}}"#
        )
        .into_bytes()
    }

    #[test]
    fn platforms_parse_and_print() {
        assert_eq!(
            Platform::parse("linux/arm64/v8").unwrap().to_string(),
            "linux/arm64/v8"
        );
        for bad in [
            "linux",
            "linux/",
            "/amd64",
            "linux/amd64/v8/x",
            "linux/../x",
        ] {
            assert!(Platform::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_index_resolves_to_the_platform_asked_for() {
        let Served::Index(ix) = parse("img", &index()).unwrap() else {
            panic!("not an index")
        };
        let arm = Platform::parse("linux/arm64").unwrap();
        assert_eq!(select("img", &ix, &arm).unwrap().digest, D2);
        let err = select("img", &ix, &Platform::parse("linux/s390x").unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no image for linux/s390x") && err.contains("linux/amd64, linux/arm64/v8"),
            "{err}"
        );
    }

    #[test]
    fn a_digest_that_could_be_a_path_is_refused() {
        let m = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"x","digest":"{D1}","size":1}},
            "layers":[{{"mediaType":"x","digest":"sha256:../../etc/passwd","size":1}}]}}"#
        );
        let err = parse("img", m.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("is not a sha256 digest"), "{err}");
    }

    #[test]
    fn a_manifest_without_media_type_is_read_by_its_shape() {
        let m = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"x","digest":"{D1}","size":1}},"layers":[]}}"#
        );
        assert!(matches!(
            parse("img", m.as_bytes()).unwrap(),
            Served::Manifest(_)
        ));
        let v1 = br#"{"schemaVersion":1,"name":"x"}"#;
        assert!(parse("img", v1).is_err());
    }
}
