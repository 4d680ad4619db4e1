//! The first stages of pack: everything that can be refused before anything
//! slow runs (go.mod, the key, the output folder, the vulnerability
//! database, the repository shape and what the offline build could not
//! honour), then a copy of the module (with its workspace and replacement
//! folders) in a private scratch folder, so that Go never writes into the
//! user's tree: reflinks where the file system has them, else copies, on
//! every core; never hard links.

use std::path::{Path, PathBuf};

use super::PackOptions;
use super::mains::{self, Query};
use super::{shape, stops};
use crate::audit::vulns::{self, Snapshot as VulnDb};
use crate::bundle::fields;
use crate::dockerfile::Target;
use crate::dockerfile::{BuildMode, MainPackage};
use crate::error::Error;
use crate::gomod::modfile::{self, ModFile};
use crate::gomod::toolchain::Go;
use crate::gomod::workfile::WorkFile;
use crate::ops::{Context, existing_parent};
use crate::sign::{self, Signer};
use crate::source::{Layout, WorkspaceModule};
use crate::{source, vcs};

/// The module as pack took it, and what it will sign with.
pub struct Snapshot {
    pub go: Go,
    pub modfile: ModFile,
    /// The main packages to build, settled before anything slow runs.
    pub mains: Vec<MainPackage>,
    /// What the build is for: `--platform`'s `GOOS` and `GOARCH`.
    pub target: Target,
    pub signer: Signer,
    /// The folder the bundle is written in (its temporaries go there too).
    pub out_dir: PathBuf,
    pub vulndb: Option<VulnDb>,
    pub scratch: tempfile::TempDir,
    /// The copy that becomes `src/`, inside `scratch`.
    pub tree: PathBuf,
    /// Where the module (and the workspace) sit below `tree`.
    pub layout: Layout,
    /// The folder below `tree` that holds vendor/: the module's, or the workspace's.
    pub vendor_root: PathBuf,
    /// The workspace's go.work: its `go` line is the Go version vendor/ and
    /// the build's GODEBUG defaults follow, its `godebug` lines apply.
    pub work: Option<WorkFile>,
    /// vendor/modules.txt was committed with the tree.
    pub committed_vendor: bool,
    /// `git describe` of the user's tree, or "unversioned".
    pub version: String,
}

/// What the checks settled, before anything is copied.
pub struct Prepared {
    go: Go,
    modfile: ModFile,
    shape: shape::Shape,
    mains: Vec<MainPackage>,
    target: Target,
    signer: Signer,
    out_dir: PathBuf,
    vulndb: Option<VulnDb>,
}

/// Checks the inputs: everything that can be refused before anything is
/// copied (pack's `checks` stage).
pub fn prepare(opts: &PackOptions, ctx: &Context) -> Result<Prepared, Error> {
    check_flags(opts)?;
    let modfile = read_modfile(&opts.dir)?;
    let go = ctx.go_for(&opts.dir)?;
    let shape = shape::discover(&opts.dir, &go, &modfile)?;
    stops::check(&shape, &go.version)?;
    refuse_gopath_collisions(opts, &shape.layout)?;
    let target = crate::ops::target_of(&opts.platform)?;
    let mains = mains::settle(&Query {
        go: &go,
        dir: &opts.dir,
        module: &modfile.module,
        given: &opts.mains,
        tags: &opts.tags,
        cgo: opts.cgo,
        target: &target,
    })?;
    let signer = sign::load_secret_key(&opts.key, &*ctx.password)?;
    let out_dir = output_dir(&opts.output)?;
    let vulndb = opts.vulndb.as_deref().map(vulns::load).transpose()?;
    Ok(Prepared {
        go,
        modfile,
        shape,
        mains,
        target,
        signer,
        out_dir,
        vulndb,
    })
}

impl Prepared {
    /// Copies the module (minus the bundle being written) into a private
    /// scratch folder (pack's `copy` stage).
    pub fn copy(self, opts: &PackOptions, ctx: &Context) -> Result<Snapshot, Error> {
        let Prepared {
            mut go,
            modfile,
            shape,
            mains,
            target,
            signer,
            out_dir,
            vulndb,
        } = self;
        let scratch = ctx.temp("pack")?;
        let tree = scratch.path().join("src");
        copy_shape(&shape, &tree, &opts.output)?;
        let vendor_root = tree.join(shape.layout.vendor_root());
        if shape.work.is_none() {
            leave_out_go_work(&vendor_root)?;
        }
        go.work = Some(match &shape.work {
            Some(_) => vendor_root.join("go.work").into_os_string(),
            None => "off".into(),
        });
        let committed_vendor = vendor_root.join("vendor/modules.txt").is_file();
        Ok(Snapshot {
            layout: shape.layout,
            vendor_root,
            work: shape.work.map(|(_, wf)| wf),
            go,
            modfile,
            mains,
            target,
            signer,
            out_dir,
            vulndb,
            scratch,
            tree,
            committed_vendor,
            version: vcs::describe(&opts.dir),
        })
    }
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
        // A final `/` (as shells complete a folder) is the same folder.
        .map(|m| {
            let folder = m.strip_suffix('/').filter(|f| !f.is_empty()).unwrap_or(m);
            ("--main", m.as_str(), fields::main_package(folder))
        });
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

/// Copies the shape's folders and files to the same places below `tree`.
fn copy_shape(shape: &shape::Shape, tree: &Path, output: &Path) -> Result<(), Error> {
    for folder in &shape.folders {
        let files = source::walk(folder, true, &[output.to_path_buf()])?;
        source::copy_to(&files, &tree.join(shape::rel(&shape.root, folder)?))?;
    }
    for file in &shape.files {
        let to = tree.join(shape::rel(&shape.root, file)?);
        std::fs::copy(file, &to).map_err(Error::io(file))?;
    }
    Ok(())
}

/// Packed alone (`GOWORK=off`, or no workspace), the module's own go.work
/// and go.work.sum are no part of the build: left out of the copy, so that
/// no reader takes the module for a workspace.
fn leave_out_go_work(vendor_root: &Path) -> Result<(), Error> {
    for name in ["go.work", "go.work.sum"] {
        let path = vendor_root.join(name);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(Error::io(&path)(e)),
            _ => {}
        }
    }
    Ok(())
}

/// GOPATH mode lays each workspace module at `$GOPATH/src/<its path>`: a
/// module whose path lies inside another's lands in the other's folder,
/// which is right only when it sits there in the tree too (a nested module).
fn refuse_gopath_collisions(opts: &PackOptions, layout: &Layout) -> Result<(), Error> {
    let Some(ws) = layout
        .workspace
        .as_ref()
        .filter(|_| opts.mode == BuildMode::Gopath)
    else {
        return Ok(());
    };
    for a in &ws.modules {
        let inside = |b: &&WorkspaceModule| {
            let Some(rest) = b.path.strip_prefix(&format!("{}/", a.path)) else {
                return false;
            };
            b.dir != Layout::join(&a.dir, rest)
        };
        if let Some(b) = ws.modules.iter().find(inside) {
            return Err(Error::Usage(format!(
                "--mode gopath: the workspace module {} would land inside the folder of {} (src/{}) at $GOPATH/src/{}, which is not where it sits in the tree (src/{}); pack with --mode vendor",
                b.path, a.path, a.dir, b.path, b.dir
            )));
        }
    }
    Ok(())
}

impl Snapshot {
    /// The main module's folder in the scratch copy: `--main ./cmd/x` is
    /// relative to it.
    pub fn module_root(&self) -> PathBuf {
        self.tree.join(&self.layout.module_dir)
    }

    /// go.mod as the build reads it: in a workspace, go.work's `go` and
    /// `godebug` lines are the ones that set the program's GODEBUG defaults.
    pub fn build_modfile(&self) -> ModFile {
        let mut m = self.modfile.clone();
        if let Some(w) = &self.work {
            m.go = w.go.clone().or(m.go);
            m.godebug = w.godebug.clone();
        }
        m
    }

    /// The packages of every main module, as patterns from the vendor root:
    /// `./...`, or each workspace module's folder as go.work's `use` names
    /// it (`./service/...`, `../lib/...`).
    pub fn package_patterns(&self) -> Vec<String> {
        let Some(ws) = &self.layout.workspace else {
            return vec!["./...".into()];
        };
        let pattern = |dir: &str| match from_folder(&ws.dir, dir) {
            d if d.is_empty() => "./...".to_string(),
            d if d.starts_with("..") => format!("{d}/..."),
            d => format!("./{d}/..."),
        };
        ws.modules.iter().map(|m| pattern(&m.dir)).collect()
    }
}

/// `to` relative to `from`, both `/`-separated folders below the same root:
/// by whole path parts (`ws`, `ws-lib` gives `../ws-lib`), never by prefix.
fn from_folder(from: &str, to: &str) -> String {
    let parts = |p: &str| -> Vec<String> {
        p.split('/')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    };
    let (from, to) = (parts(from), parts(to));
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let up = std::iter::repeat_n("..".to_string(), from.len() - common);
    up.chain(to[common..].iter().cloned())
        .collect::<Vec<_>>()
        .join("/")
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

#[cfg(test)]
mod tests {
    use super::from_folder;

    #[test]
    fn folders_relate_by_whole_parts() {
        assert_eq!(from_folder("ws", "lib"), "../lib");
        assert_eq!(from_folder("ws", "ws-lib"), "../ws-lib");
        assert_eq!(from_folder("ws", "ws/service"), "service");
        assert_eq!(from_folder("", "service"), "service");
        assert_eq!(from_folder("a/b", "a/c/d"), "../c/d");
        assert_eq!(from_folder("ws", "ws"), "");
    }
}
