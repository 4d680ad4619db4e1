//! The first stage of pack: everything that can be refused before anything
//! slow runs (go.mod, the key, the output folder, the vulnerability
//! database), then a copy of the module in a private scratch folder, so that
//! Go never writes into the user's tree.

use std::path::{Path, PathBuf};

use super::PackOptions;
use super::mains::{self, Query};
use crate::audit::vulns::{self, Snapshot as VulnDb};
use crate::bundle::fields;
use crate::dockerfile::MainPackage;
use crate::error::Error;
use crate::gomod::modfile::{self, ModFile};
use crate::gomod::toolchain::Go;
use crate::ops::{Context, existing_parent};
use crate::sign::{self, Signer};
use crate::{source, vcs};

/// The module as pack took it, and what it will sign with.
pub struct Snapshot {
    pub go: Go,
    pub modfile: ModFile,
    /// The main packages to build, settled before anything slow runs.
    pub mains: Vec<MainPackage>,
    pub signer: Signer,
    /// The folder the bundle is written in (its temporaries go there too).
    pub out_dir: PathBuf,
    pub vulndb: Option<VulnDb>,
    pub scratch: tempfile::TempDir,
    /// The copy of the module, inside `scratch`.
    pub tree: PathBuf,
    /// vendor/modules.txt was committed with the tree.
    pub committed_vendor: bool,
    /// `git describe` of the user's tree, or "unversioned".
    pub version: String,
}

/// Checks the inputs, then copies the module (minus the bundle being written).
pub fn take(opts: &PackOptions, ctx: &Context) -> Result<Snapshot, Error> {
    check_flags(opts)?;
    let go = ctx.go()?;
    let modfile = read_modfile(&opts.dir)?;
    let mains = mains::settle(&Query {
        go: &go,
        dir: &opts.dir,
        module: &modfile.module,
        given: &opts.mains,
        tags: &opts.tags,
        cgo: opts.cgo,
    })?;
    let signer = sign::load_secret_key(&opts.key, &*ctx.password)?;
    let out_dir = output_dir(&opts.output)?;
    let vulndb = opts.vulndb.as_deref().map(vulns::load).transpose()?;
    let scratch = ctx.temp("pack")?;
    let tree = scratch.path().join("src");
    let files = source::walk(&opts.dir, true, std::slice::from_ref(&opts.output))?;
    source::copy_to(&files, &tree)?;
    let committed_vendor = tree.join("vendor/modules.txt").is_file();
    Ok(Snapshot {
        go,
        modfile,
        mains,
        signer,
        out_dir,
        vulndb,
        scratch,
        tree,
        committed_vendor,
        version: vcs::describe(&opts.dir),
    })
}

/// The build flags that land in the manifest follow the rules every
/// reader will hold them to: refused here, before anything runs.
fn check_flags(opts: &PackOptions) -> Result<(), Error> {
    let tags = opts
        .tags
        .iter()
        .map(|t| ("--tags", t.as_str(), fields::build_tag(t)));
    let mains = opts
        .mains
        .iter()
        .map(|m| ("--main", m.as_str(), fields::main_package(m)));
    let checks = [(
        "--ldflags",
        opts.ldflags.as_str(),
        fields::ldflags(&opts.ldflags),
    )];
    for (flag, value, verdict) in checks.into_iter().chain(mains).chain(tags) {
        if let Err(rule) = verdict {
            return Err(Error::Usage(format!("{flag} {value:?}: {rule}")));
        }
    }
    Ok(())
}

fn read_modfile(dir: &Path) -> Result<ModFile, Error> {
    let path = dir.join("go.mod");
    if !path.is_file() {
        return Err(Error::Usage(format!(
            "{}: no go.mod: ferry packs a Go module",
            dir.display()
        )));
    }
    let text = std::fs::read_to_string(&path).map_err(Error::io(&path))?;
    Ok(modfile::parse(&text)?)
}

fn output_dir(output: &Path) -> Result<PathBuf, Error> {
    Ok(existing_parent(output, "for the bundle")?.to_path_buf())
}
