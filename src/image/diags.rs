//! What can go wrong with an image: a reference that does not parse, a
//! registry that refuses or fails, a blob whose bytes are not its digest, a tar
//! that is not the layout ferry writes. Each error names the image and the blob.

use std::path::PathBuf;

use crate::exit::{Classify, Exit};

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("{reference:?}: not an image reference: {reason}")]
    Reference { reference: String, reason: String },
    #[error("{0:?}: a platform is OS/ARCH or OS/ARCH/VARIANT, as linux/amd64 or linux/arm64/v8")]
    Platform(String),
    #[error("{image}: no image for {wanted} in its index; it has: {available}")]
    NoPlatform {
        image: String,
        wanted: String,
        available: String,
    },
    #[error("{image}: blob {digest}: {what} (expected {expected}, actual {actual})")]
    Digest {
        image: String,
        digest: String,
        what: &'static str,
        expected: String,
        actual: String,
    },
    #[error("{image}: {reason}")]
    Invalid { image: String, reason: String },
    #[error("{image}: {registry} asks for credentials: {reason}")]
    Auth {
        image: String,
        registry: String,
        reason: String,
    },
    #[error("{image}: {operation} failed after {attempts} attempt(s): {reason}")]
    Registry {
        image: String,
        operation: String,
        attempts: u32,
        reason: String,
    },
    #[error("{path}: {reason}")]
    Archive { path: PathBuf, reason: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {reason}")]
    DockerConfig { path: PathBuf, reason: String },
    #[error(
        "images {first:?} and {second:?} would both restore as {tag:?}; bundle only one of them"
    )]
    SameTag {
        first: String,
        second: String,
        tag: String,
    },
}

impl ImageError {
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> ImageError {
        let path = path.into();
        move |source| ImageError::Io { path, source }
    }
}

impl Classify for ImageError {
    fn exit(&self) -> Exit {
        match self {
            ImageError::Reference { .. }
            | ImageError::Platform(_)
            | ImageError::NoPlatform { .. }
            | ImageError::SameTag { .. }
            | ImageError::DockerConfig { .. } => Exit::Usage,
            ImageError::Digest { .. } | ImageError::Invalid { .. } | ImageError::Archive { .. } => {
                Exit::CheckFailed
            }
            ImageError::Auth { .. } | ImageError::Registry { .. } | ImageError::Io { .. } => {
                Exit::CouldNotRun
            }
        }
    }
}
