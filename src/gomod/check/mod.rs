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

use super::consistency::{self, Mains};
use super::diags::{Code, Finding};
use super::gosum::GoSum;
use super::modfile::ModFile;
use super::workfile::{self, WorkFile};
use super::{gosum, modfile, modules_txt};

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

/// The main module(s) of a tree with vendor/: its go.mod, or, where go.work
/// sits beside vendor/, each module the workspace uses; their go.sum files
/// (and go.work.sum) as one, since Go reads them so.
pub struct MainModules {
    pub work: Option<WorkFile>,
    /// Each main module's folder (relative to the tree, `/`-separated) and go.mod.
    pub modules: Vec<(String, ModFile)>,
    pub sum: GoSum,
}

impl MainModules {
    /// Reads them through `inputs`.
    pub fn read(inputs: &dyn Inputs) -> Result<MainModules, CheckError> {
        let work = inputs
            .text("go.work")?
            .map(|t| workfile::parse(&t))
            .transpose()?;
        let dirs: Vec<String> = match &work {
            Some(w) => w.uses.iter().map(|u| use_dir(u)).collect(),
            None => vec![String::new()],
        };
        let mut modules = Vec::new();
        let mut sum = GoSum::default();
        for dir in dirs {
            let text = inputs.text(&below(&dir, "go.mod"))?.unwrap_or_default();
            let modfile = match (&work, text.is_empty()) {
                (Some(_), true) => continue,
                _ => modfile::parse(&text)?,
            };
            sum.lines
                .extend(read_sum(inputs, &below(&dir, "go.sum"))?.lines);
            modules.push((dir, modfile));
        }
        if work.is_some() {
            sum.lines.extend(read_sum(inputs, "go.work.sum")?.lines);
        }
        Ok(MainModules { work, modules, sum })
    }

    /// The first main module's go.mod: DIR's, or the workspace's first.
    pub fn first(&self) -> ModFile {
        self.modules
            .first()
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }

    /// The Go version vendor/ follows: go.work's `go` line in a workspace.
    pub fn go_version(&self) -> String {
        let line = match &self.work {
            Some(w) => w.go.clone(),
            None => self.first().go,
        };
        line.unwrap_or_else(|| "1.16".into())
    }

    /// Every main module path, comma-separated.
    pub fn paths(&self) -> String {
        let paths: Vec<&str> = self
            .modules
            .iter()
            .map(|(_, m)| m.module.as_str())
            .collect();
        paths.join(", ")
    }

    fn consistency(&self) -> Mains<'_> {
        Mains {
            modules: self.modules.iter().map(|(d, m)| (d.as_str(), m)).collect(),
            work: self.work.as_ref(),
        }
    }
}

/// A `use` folder as a plain relative folder (`./service` is `service`).
fn use_dir(used: &str) -> String {
    consistency::relative_to_work("", used)
        .trim_start_matches("./")
        .trim_start_matches('.')
        .to_string()
}

fn below(dir: &str, name: &str) -> String {
    match dir {
        "" => name.to_string(),
        d => format!("{d}/{name}"),
    }
}

fn read_sum(inputs: &dyn Inputs, rel: &str) -> Result<GoSum, CheckError> {
    Ok(inputs
        .text(rel)?
        .map(|t| gosum::parse(&t))
        .transpose()?
        .unwrap_or_default())
}

/// Runs every check on what `inputs` give.
pub fn run(inputs: &dyn Inputs) -> Result<GoCheck, CheckError> {
    let mains = MainModules::read(inputs)?;
    let modfile = mains.first();
    let sum = &mains.sum;
    let mut out = GoCheck::default();
    let Some(txt) = inputs.text("vendor/modules.txt")? else {
        if mains.modules.iter().any(|(_, m)| !m.requires.is_empty()) {
            out.findings.push(Finding::new(
                Code::NoModulesTxt,
                &modfile.module,
                "",
                "vendor/modules.txt",
                "go.mod requires modules but there is no vendor/modules.txt",
            ));
        }
        out.module = mains.paths();
        return Ok(out);
    };
    let txt = modules_txt::parse(&txt)?;
    out.findings
        .extend(consistency::check_mains(&mains.consistency(), &txt));
    let listing = inputs.vendor()?;
    out.vendored_files = listing.files.len();
    bind::check_package_folders(&txt, &listing.files, &mut out);
    let bound = cache::bound_zips(&txt);
    proofs::check(inputs, &bound, sum, &mut out)?;
    cache::check_pinned(inputs, sum, &mut out)?;
    let zips = cache::read_zips(inputs, sum, &bound)?;
    cache::check(inputs, &zips, sum, &bound, &mut out)?;
    let owners = bind::owners(&txt, &listing.files, &mut out);
    let main_go = mains.go_version();
    let main_go = main_go.as_str();
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
        if let Some(files) = cache::module_files(inputs, &zips, m, sum, &mut out)? {
            bind::bind(m, &files, &mine, &listing.files, main_go, &mut out);
        }
    }
    out.module = mains.paths();
    out.modules_status = status::statuses(&listing.sizes, &txt, &owners, &out);
    Ok(out)
}
