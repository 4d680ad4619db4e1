//! Image references as users write them, and the two names ferry derives: the
//! tag an image tar restores on `docker load` (the reference without its
//! registry, so `ARG REGISTRY` can put an intranet registry in front) and the
//! bundle entry that carries it.

use oci_client::Reference;

use super::diags::ImageError;

/// An image the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// As given on the command line.
    pub given: String,
    pub parsed: Reference,
}

impl ImageRef {
    pub fn parse(given: &str) -> Result<ImageRef, ImageError> {
        let parsed: Reference = given.parse().map_err(|e| ImageError::Reference {
            reference: given.to_string(),
            reason: format!("{e}"),
        })?;
        Ok(ImageRef {
            given: given.to_string(),
            parsed,
        })
    }

    /// The full reference: registry, repository, tag and/or digest.
    pub fn whole(&self) -> String {
        self.parsed.whole()
    }

    /// The registry host as users name it (`docker.io` for Docker Hub).
    pub fn registry(&self) -> &str {
        self.parsed.registry()
    }

    /// The tag the image restores as, e.g. `golang:1.26.8-alpine3.22` or
    /// `team/base:2`. Pulled by digest alone, the tag is `sha256-<hex>`, as
    /// Docker cannot tag an image with a digest.
    pub fn local_tag(&self) -> String {
        local_tag(&self.parsed)
    }
}

/// See [`ImageRef::local_tag`].
pub fn local_tag(r: &Reference) -> String {
    let repo = repository_without_registry(r);
    let tag = match (r.tag(), r.digest()) {
        (Some(t), _) => t.to_string(),
        (None, Some(d)) => d.replace(':', "-"),
        (None, None) => "latest".to_string(),
    };
    format!("{repo}:{tag}")
}

/// The repository path, without Docker Hub's implicit `library/`.
pub fn repository_without_registry(r: &Reference) -> &str {
    let repo = r.repository();
    if r.registry() == "docker.io" {
        repo.strip_prefix("library/").unwrap_or(repo)
    } else {
        repo
    }
}

/// The bundle entry for an image restored as `tag`: `images/<tag>.tar` with
/// `/` and `:` made `_`, so it is one plain file name.
pub fn entry_name(tag: &str) -> String {
    let flat: String = tag
        .chars()
        .map(|c| if c == '/' || c == ':' { '_' } else { c })
        .collect();
    format!("images/{flat}.tar")
}

/// The reference an image gets in another registry: `HOST[:PORT]/[PREFIX/]TAG`.
pub fn in_registry(registry: &str, prefix: Option<&str>, tag: &str) -> String {
    match prefix
        .map(|p| p.trim_matches('/'))
        .filter(|p| !p.is_empty())
    {
        Some(p) => format!("{registry}/{p}/{tag}"),
        None => format!("{registry}/{tag}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag_of(s: &str) -> String {
        ImageRef::parse(s).unwrap().local_tag()
    }

    #[test]
    fn local_tags_drop_the_registry_and_docker_hubs_library() {
        assert_eq!(
            tag_of("golang:1.26.8-alpine3.22"),
            "golang:1.26.8-alpine3.22"
        );
        assert_eq!(tag_of("docker.io/library/alpine"), "alpine:latest");
        assert_eq!(tag_of("docker.io/bitnami/redis:7"), "bitnami/redis:7");
        assert_eq!(tag_of("127.0.0.1:5055/test/busybox:1"), "test/busybox:1");
        assert_eq!(tag_of("ghcr.io/org/app:v1"), "org/app:v1");
        let d = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            tag_of(&format!("127.0.0.1:5055/test/busybox@{d}")),
            format!("test/busybox:sha256-{}", "a".repeat(64))
        );
        assert_eq!(
            tag_of(&format!("127.0.0.1:5055/test/busybox:1@{d}")),
            "test/busybox:1"
        );
    }

    #[test]
    fn entry_names_are_one_flat_file() {
        assert_eq!(entry_name("test/busybox:1"), "images/test_busybox_1.tar");
        assert_eq!(
            entry_name("golang:1.26.8-alpine3.22"),
            "images/golang_1.26.8-alpine3.22.tar"
        );
    }

    #[test]
    fn references_in_another_registry() {
        assert_eq!(
            in_registry("harbor.intra:5000", None, "golang:1.26"),
            "harbor.intra:5000/golang:1.26"
        );
        assert_eq!(
            in_registry("harbor.intra:5000", Some("/base/"), "golang:1.26"),
            "harbor.intra:5000/base/golang:1.26"
        );
    }

    #[test]
    fn bad_references_are_named() {
        let err = ImageRef::parse("Not A Ref").unwrap_err().to_string();
        assert!(err.contains("\"Not A Ref\""), "{err}");
    }
}
