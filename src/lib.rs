//! ferry carries a Go service across an air gap: `pack` turns a Go module into
//! one signed bundle (source, vendor/, module cache, base images, offline
//! Dockerfile); `verify` and `unpack` check every byte of it against the signed
//! manifest on the isolated side. Each module below is one stage of that pipeline.

pub mod audit;
pub mod build;
pub mod bundle;
pub mod dockerfile;
pub mod error;
pub mod exit;
pub mod fsutil;
pub mod gomod;
pub mod image;
pub mod images;
pub mod pack;
pub mod progress;
pub mod sign;
pub mod source;
pub mod temp;
pub mod unpack;
pub mod unpacked;
pub mod verify;

pub use error::Error;
pub use exit::{Classify, Exit};

/// This build of ferry, as recorded in every manifest.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
