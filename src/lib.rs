//! ferry carries a Go service across an air gap: `pack` turns a Go module into
//! one signed bundle (source, vendor/, proofs of its module zips, base images,
//! offline Dockerfile); `verify` and `unpack` check every byte of it against
//! the signed manifest on the isolated side.
//!
//! Layers point one way. [`ops`] has one operation per command, and [`error`]
//! gathers every layer's error for the binary; the operations compose the
//! domains, each of which imports only those listed after it: [`audit`] (the
//! reviewer's reports), [`bundle`] (the format, its writer and its reader),
//! [`build`] (the offline build), [`dockerfile`], [`image`] (OCI images),
//! [`gomod`] (Go's files and the Go verification), [`sign`], [`source`] and
//! [`vcs`]; under them lie the primitives [`fsutil`], [`temp`], [`text`],
//! [`progress`] and [`exit`]. The library never prints and never reads the
//! environment.

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
pub mod text;
pub mod vcs;

pub use error::Error;
pub use exit::{Classify, Exit};

/// This build of ferry, as recorded in every manifest.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
