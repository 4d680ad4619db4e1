//! Base images with no Docker daemon: references and the names they restore
//! as, manifests and indexes, registry credentials, pulls and pushes over the
//! OCI distribution API, and the tar that `docker load`, `podman load` and
//! `skopeo` all read.

pub mod archive;
pub mod auth;
pub mod diags;
pub mod grammar;
pub mod import;
pub mod manifest;
pub mod pull;
pub mod reference;
pub mod registry;

pub use diags::ImageError;

use serde::{Deserialize, Serialize};

/// What an image is for in the build (lowercase in ferry.json).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
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

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A bundled image as ferry.json records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    /// The full reference it was pulled by.
    pub reference: String,
    /// The tag its tar restores as on `docker load`, and the Dockerfile names.
    pub tag: String,
    /// The digest of its manifest (for the platform below).
    pub digest: String,
    pub platform: String,
    pub role: Role,
    /// The bundle entry, `images/<name>.tar`.
    pub entry: String,
}
