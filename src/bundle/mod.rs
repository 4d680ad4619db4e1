//! The ferry bundle (`ferry/v2`, and `ferry/v1` read): one zip whose first entry is a signed manifest that
//! lists every other entry by sha256, size and mode. `writer` makes it
//! deterministically; `reader` trusts nothing in it before the signature.

pub mod delta;
pub mod diags;
pub mod extract;
pub mod fields;
pub mod go_inputs;
pub mod manifest;
pub mod names;
pub mod parts;
pub mod reader;
pub mod source;
pub mod tarmembers;
pub mod unpacked;
pub mod writer;

/// Entry names fixed by the format.
pub const MANIFEST: &str = "ferry.json";
pub const SIGNATURE: &str = "ferry.json.minisig";
pub const DOCKERFILE: &str = "Dockerfile";
pub const DOCKERIGNORE: &str = ".dockerignore";
pub const SBOM: &str = "sbom.cdx.json";
/// The folder of the bundled vulnerability database snapshot (OSV JSON).
pub const VULNDB: &str = "vulndb/";
/// govulncheck's findings at pack time, each with its level (symbol
/// called, package imported, module required): `audit::reach::Reach`.
pub const VULNS: &str = "vulns.json";
