//! ferry carries a Go service across an air gap: `pack` turns a Go module into
//! one signed bundle (source, vendor/, module cache, base images, offline
//! Dockerfile); `verify` and `unpack` check every byte of it against the signed
//! manifest on the isolated side.
//!
//! Layers point one way. [`ops`] has one operation per command; it composes
//! the domains: [`gomod`] (Go's files and the Go verification), [`bundle`]
//! (the format, its writer and its reader), [`image`] (OCI images),
//! [`audit`] (the reviewer's reports), [`build`] (the offline build),
//! [`dockerfile`], [`sign`], [`source`] and [`vcs`]; under them lie the
//! primitives [`fsutil`], [`temp`], [`progress`], [`error`] and [`exit`].
//! The library never prints and never reads the environment.

pub mod audit;
pub mod build;
pub mod bundle;
pub mod dockerfile;
pub mod error;
pub mod exit;
pub mod fsutil;
pub mod gomod;
pub mod image;
pub mod ops;
pub mod progress;
pub mod sign;
pub mod source;
pub mod temp;
#[cfg(test)]
pub(crate) mod testutil;
pub mod vcs;

pub use error::Error;
pub use exit::{Classify, Exit};

/// This build of ferry, as recorded in every manifest.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
