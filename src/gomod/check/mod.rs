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
mod workspace;

use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;

use super::consistency::{self, Mains};
use super::diags::{Code, Finding};
use super::gosum::GoSum;
use super::modfile::ModFile;
use super::workfile::{self, WorkFile};
use super::{gosum, modfile, modules_txt};

pub use inputs::{CheckError, Disk, Inputs, VendorListing};
pub use status::{ModuleStatus, ReplaceKind, Status};
pub use workspace::Expected;

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
    /// One module's part of the check, added after those before it.
    fn add(&mut self, one: GoCheck) {
        self.findings.extend(one.findings);
        self.not_checked.extend(one.not_checked);
        self.modules += one.modules;
        self.hashes_checked += one.hashes_checked;
    }

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

/// Runs every check on `tree` (a module root, or a workspace's folder);
/// `cache` is a module download cache in GOPROXY layout
/// (`$GOMODCACHE/cache/download`, or a bundle's modcache/). With no
/// `expected`, a go.work at `tree` makes it a workspace.
pub fn run_on_disk(
    tree: &Path,
    cache: Option<&Path>,
    expected: Option<&Expected>,
) -> Result<GoCheck, CheckError> {
    run(&Disk { tree, cache }, expected)
}

/// The main module(s) of a tree with vendor/: its go.mod, or, in a
/// workspace, each module go.work uses; their go.sum files (and go.work.sum)
/// as one, since Go reads them so.
pub struct MainModules {
    pub work: Option<WorkFile>,
    /// Each main module's folder (relative to the vendor root, `/`-separated,
    /// `../` where a `use` climbs) and go.mod.
    pub modules: Vec<(String, ModFile)>,
    pub sum: GoSum,
    /// What the files themselves get wrong: a `use` that is absolute or has
    /// no go.mod, a go.work where no workspace is declared.
    pub problems: Vec<Finding>,
}

impl MainModules {
    /// Reads them through `inputs`: a workspace when `expected` declares one
    /// (or, with none, when go.work is there), never because a go.work is.
    pub fn read(
        inputs: &dyn Inputs,
        expected: Option<&Expected>,
    ) -> Result<MainModules, CheckError> {
        let found = inputs.text("go.work")?;
        let workspace = match expected {
            Some(e) => e.layout.workspace.is_some(),
            None => found.is_some(),
        };
        let mut problems = Vec::new();
        if !workspace && found.is_some() {
            problems.push(workspace::undeclared(expected));
        }
        let work = match (workspace, found) {
            (true, Some(text)) => Some(workfile::parse(&text)?),
            (true, None) => {
                problems.push(workspace::no_go_work());
                Some(WorkFile::default())
            }
            (false, _) => None,
        };
        let dirs: Vec<String> = match &work {
            Some(w) => workspace::use_dirs(w, &mut problems),
            None => vec![String::new()],
        };
        let mut modules = Vec::new();
        let mut sum = GoSum::default();
        for dir in dirs {
            let gomod = below(&dir, "go.mod");
            let modfile = match (inputs.text(&gomod)?, &work) {
                (Some(text), _) => modfile::parse(&text)?,
                (None, Some(_)) => {
                    problems.push(workspace::no_go_mod(&dir));
                    continue;
                }
                (None, None) => ModFile::default(),
            };
            sum.lines
                .extend(read_sum(inputs, &below(&dir, "go.sum"))?.lines);
            modules.push((dir, modfile));
        }
        if work.is_some() {
            sum.lines.extend(read_sum(inputs, "go.work.sum")?.lines);
        }
        Ok(MainModules {
            work,
            modules,
            sum,
            problems,
        })
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

pub(super) fn below(dir: &str, name: &str) -> String {
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

/// Runs every check on what `inputs` give; `expected` is what the signed
/// manifest (or pack's shape) says the tree is, which its files must match.
pub fn run(inputs: &dyn Inputs, expected: Option<&Expected>) -> Result<GoCheck, CheckError> {
    let mains = MainModules::read(inputs, expected)?;
    let modfile = mains.first();
    let sum = &mains.sum;
    let mut out = GoCheck::default();
    out.findings.extend(mains.problems.iter().cloned());
    out.findings.extend(sum.conflicts().into_iter().map(|(first, then)| {
        Finding::new(
            Code::GoSumConflict,
            &first.path,
            &first.version,
            "go.sum",
            format!(
                "the main modules' go.sum files (and go.work.sum) give two hashes: {} and {}; Go stops on this, and ferry does not pick one",
                first.hash, then.hash
            ),
        )
    }));
    if let Some(e) = expected {
        out.findings.extend(workspace::against(&mains, e));
    }
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
    out.findings.extend(workspace::shadows(&mains, &txt));
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
    let mut by_module: Vec<Vec<&String>> = vec![Vec::new(); txt.modules.len()];
    for (f, &i) in &owners {
        by_module[i].push(*f);
    }
    // Each module is bound on its own (on every core); their findings are
    // gathered in modules.txt's order, as a serial walk would give them.
    let bound: Vec<Result<GoCheck, CheckError>> = txt
        .modules
        .par_iter()
        .zip(&by_module)
        .map(|(m, mine)| {
            let mut one = GoCheck::default();
            if m.packages.is_empty() {
                bind::no_packages(m, mine, &mut one);
                return Ok(one);
            }
            one.modules = 1;
            if let Some(files) = cache::module_files(inputs, &zips, m, sum, &mut one)? {
                bind::bind(m, &files, mine, &listing.files, main_go, &mut one);
            }
            Ok(one)
        })
        .collect();
    for one in bound {
        out.add(one?);
    }
    out.module = mains.paths();
    out.modules_status = status::statuses(&listing.sizes, &txt, &by_module, &out);
    Ok(out)
}
