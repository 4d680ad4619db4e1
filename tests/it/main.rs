//! ferry's integration tests, one binary (as ripgrep and cargo have it): one
//! link instead of one per file, and helpers in `common` that the compiler
//! checks are used. Most tests drive the built `ferry` binary on the fixture
//! apps, as a release engineer and an operator would.

mod approvals;
mod audit_report;
mod cli;
mod common;
mod day;
mod delta;
mod delta_faults;
mod diff;
mod faults;
mod fuzz_corpus;
mod go_verification;
mod golden;
mod h1_oracle;
mod hostile;
mod images;
mod manifest_fields;
mod minisign_interop;
mod modules_export;
mod offline_build;
mod pack_stages;
mod parts;
mod proofs;
mod provenance;
mod rejections;
mod shapes;
mod trust;
mod vendor_rules_oracle;
mod vulns;
mod workspaces;
