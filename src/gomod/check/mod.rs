//! The Go verification of a module tree with a vendor/ folder: module cache
//! against go.sum (`cache`), modules.txt against go.mod (`consistency`), and
//! every vendored file against its module's verified zip or local replacement
//! folder (`bind`); each module's verdict (`status`). Reads through [`Inputs`].

mod bind;
mod cache;
pub mod inputs;
mod proofs;
pub mod status;
pub mod unpacked;

use std::path::Path;

use serde::Serialize;

use super::diags::{Code, Finding};
use super::{consistency, gosum, modfile, modules_txt};

pub use inputs::{CheckError, Disk, Inputs, VendorListing};
pub use status::{ModuleStatus, ReplaceKind, Status};

/// A module whose files could not be bound, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotChecked {
    pub module: String,
    pub version: String,
    pub reason: String,
}

/// The outcome: findings fail the check; `not_checked` is never a pass.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GoCheck {
    pub module: String,
    pub modules_status: Vec<ModuleStatus>,
    pub findings: Vec<Finding>,
    pub not_checked: Vec<NotChecked>,
    pub modules: usize,
    pub vendored_files: usize,
    pub hashes_checked: usize,
}

impl GoCheck {
    /// Findings, with every module left unbound as a finding too: before a
    /// bundle is signed, "not checked" is a failure.
    pub fn strict_findings(&self) -> Vec<Finding> {
        let unbound = self.not_checked.iter().map(|n| {
            Finding::new(
                Code::NotChecked,
                &n.module,
                &n.version,
                "vendor/modules.txt",
                n.reason.clone(),
            )
        });
        self.findings.iter().cloned().chain(unbound).collect()
    }
}

/// Runs every check on `tree` (a module root); `cache` is a module download
/// cache in GOPROXY layout (`$GOMODCACHE/cache/download`, or a bundle's modcache/).
pub fn run_on_disk(tree: &Path, cache: Option<&Path>) -> Result<GoCheck, CheckError> {
    run(&Disk { tree, cache })
}

/// Runs every check on what `inputs` give.
pub fn run(inputs: &dyn Inputs) -> Result<GoCheck, CheckError> {
    let modfile = modfile::parse(&inputs.text("go.mod")?.unwrap_or_default())?;
    let sum = inputs
        .text("go.sum")?
        .map(|t| gosum::parse(&t))
        .transpose()?
        .unwrap_or_default();
    let mut out = GoCheck::default();
    let Some(txt) = inputs.text("vendor/modules.txt")? else {
        if !modfile.requires.is_empty() {
            out.findings.push(Finding::new(
                Code::NoModulesTxt,
                &modfile.module,
                "",
                "vendor/modules.txt",
                "go.mod requires modules but there is no vendor/modules.txt",
            ));
        }
        out.module = modfile.module;
        return Ok(out);
    };
    let txt = modules_txt::parse(&txt)?;
    out.findings.extend(consistency::check(&modfile, &txt));
    let listing = inputs.vendor()?;
    out.vendored_files = listing.files.len();
    bind::check_package_folders(&txt, &listing.files, &mut out);
    let bound = cache::bound_zips(&txt);
    proofs::check(inputs, &bound, &sum, &mut out)?;
    cache::check_pinned(inputs, &sum, &mut out)?;
    let zips = cache::read_zips(inputs, &sum, &bound)?;
    cache::check(inputs, &zips, &sum, &bound, &mut out)?;
    let owners = bind::owners(&txt, &listing.files, &mut out);
    let main_go = modfile.go.as_deref().unwrap_or("1.16");
    for (i, m) in txt.modules.iter().enumerate() {
        let mine: Vec<&String> = owners
            .iter()
            .filter(|(_, o)| **o == i)
            .map(|(f, _)| *f)
            .collect();
        if m.packages.is_empty() {
            bind::no_packages(m, &mine, &mut out);
            continue;
        }
        out.modules += 1;
        if let Some(files) = cache::module_files(inputs, &zips, m, &sum, &mut out)? {
            bind::bind(m, &files, &mine, &listing.files, main_go, &mut out);
        }
    }
    out.module = modfile.module;
    out.modules_status = status::statuses(&listing.sizes, &txt, &owners, &out);
    Ok(out)
}
