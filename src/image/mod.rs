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
