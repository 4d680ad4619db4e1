//! The repository shape pack carries, found before anything slow runs: the
//! module alone, the module with local replacement folders outside it, or a
//! go.work workspace (as `go env GOWORK` finds it from DIR). The folder that
//! becomes `src/` is the nearest common ancestor of every folder carried;
//! none may lie outside the repository (git) root or be reached through a
//! symbolic link. Only those folders, go.work and go.work.sum are copied.

use std::path::{Component, Path, PathBuf};

use super::refusal::Refusal;
use crate::error::Error;
use crate::gomod::modfile::{self, ModFile};
use crate::gomod::toolchain::Go;
use crate::gomod::workfile::{self, WorkFile};
use crate::source::{Layout, Workspace, WorkspaceModule};

/// One main module: its folder (canonical) and its go.mod.
pub struct MainModule {
    pub dir: PathBuf,
    pub modfile: ModFile,
}

/// What pack carries and where each part sits below `src/`.
pub struct Shape {
    /// The folder that becomes `src/` (canonical).
    pub root: PathBuf,
    /// The folders copied whole, none inside another.
    pub folders: Vec<PathBuf>,
    /// Single files copied besides them: go.work and go.work.sum.
    pub files: Vec<PathBuf>,
    pub layout: Layout,
    /// The workspace's go.work and its folder, when DIR is in one.
    pub work: Option<(PathBuf, WorkFile)>,
    /// Every main module: DIR's alone, or each module the workspace uses.
    pub mains: Vec<MainModule>,
}

/// Finds the shape of the module at `dir` (its go.mod already read).
pub fn discover(dir: &Path, go: &Go, modfile: &ModFile) -> Result<Shape, Error> {
    let dir = std::fs::canonicalize(dir).map_err(Error::io(dir))?;
    let gowork = go.env(&dir, "GOWORK")?;
    let work = match gowork.as_str() {
        "" | "off" => None,
        path => Some(read_work(Path::new(path))?),
    };
    let mains = match &work {
        Some((ws, wf)) => workspace_modules(ws, wf, &dir)?,
        None => vec![MainModule {
            dir: dir.clone(),
            modfile: modfile.clone(),
        }],
    };
    let top = crate::vcs::toplevel(&dir)?;
    let mut folders: Vec<PathBuf> = mains.iter().map(|m| m.dir.clone()).collect();
    for (folder, what) in replacement_folders(&mains, work.as_ref())? {
        inside_repository(&folder, top.as_deref(), &what)?;
        folders.push(folder);
    }
    for m in &mains {
        inside_repository(&m.dir, top.as_deref(), "go.work: use")?;
    }
    let mut anchors = Vec::new();
    let mut files = Vec::new();
    if let Some((ws, _)) = &work {
        inside_repository(ws, top.as_deref(), "go.work")?;
        anchors.push(ws.clone());
        // A committed workspace vendor/ is kept (or regenerated) like a module's.
        if ws.join("vendor").is_dir() {
            folders.push(real_folder(ws, "vendor", "workspace")?);
        }
        files.extend(
            ["go.work", "go.work.sum"]
                .map(|n| ws.join(n))
                .into_iter()
                .filter(|f| f.is_file()),
        );
    }
    anchors.extend(folders.iter().cloned());
    let root = common_ancestor(&anchors);
    let layout = layout(&root, &dir, &mains, work.as_ref())?;
    Ok(Shape {
        root,
        folders: outermost(folders),
        files,
        layout,
        work,
        mains,
    })
}

fn read_work(path: &Path) -> Result<(PathBuf, WorkFile), Error> {
    let text = std::fs::read_to_string(path).map_err(Error::io(path))?;
    let wf = workfile::parse(&text)?;
    let folder = path.parent().unwrap_or(Path::new("/"));
    let folder = std::fs::canonicalize(folder).map_err(Error::io(folder))?;
    Ok((folder, wf))
}

/// Each module the workspace uses; DIR must be one of them, as Go requires.
fn workspace_modules(ws: &Path, wf: &WorkFile, dir: &Path) -> Result<Vec<MainModule>, Error> {
    let mut out = Vec::new();
    for used in &wf.uses {
        let folder = real_folder(ws, used, "go.work: use")?;
        let gomod = folder.join("go.mod");
        let text = std::fs::read_to_string(&gomod).map_err(Error::io(&gomod))?;
        out.push(MainModule {
            modfile: modfile::parse(&text)?,
            dir: folder,
        });
    }
    if !out.iter().any(|m| m.dir == dir) {
        return Err(Refusal::NotInWorkspace {
            dir: dir.to_path_buf(),
            work: ws.join("go.work"),
        }
        .into());
    }
    Ok(out)
}

/// `rel` below `base`, lexically; refused when absolute, missing, or when a
/// symbolic link lies on the way (its real place is not where the path says).
fn real_folder(base: &Path, rel: &str, what: &str) -> Result<PathBuf, Error> {
    if Path::new(rel).is_absolute() {
        return Err(Refusal::AbsoluteFolder {
            what: what.into(),
            rel: rel.into(),
            base: base.to_path_buf(),
        }
        .into());
    }
    let lexical = normalize(&base.join(rel));
    let real = std::fs::canonicalize(&lexical).map_err(|source| Refusal::NoFolder {
        what: what.into(),
        rel: rel.into(),
        path: lexical.clone(),
        source,
    })?;
    if real != lexical {
        return Err(Refusal::ThroughSymlink {
            what: what.into(),
            rel: rel.into(),
            path: lexical,
            real,
        }
        .into());
    }
    Ok(real)
}

/// The local folders that replace modules, in every main module's go.mod
/// (relative to that module) and in go.work (relative to its folder). A
/// folder that does not exist is left to Go, which needs it only if used.
fn replacement_folders(
    mains: &[MainModule],
    work: Option<&(PathBuf, WorkFile)>,
) -> Result<Vec<(PathBuf, String)>, Error> {
    let in_modules = mains.iter().flat_map(|m| {
        m.modfile
            .replaces
            .iter()
            .map(move |r| (m.dir.as_path(), r, "go.mod"))
    });
    let in_work = work.into_iter().flat_map(|(ws, wf)| {
        wf.replaces
            .iter()
            .map(move |r| (ws.as_path(), r, "go.work"))
    });
    let mut out = Vec::new();
    for (base, r, file) in in_modules.chain(in_work) {
        if !r.with.is_local() || !normalize(&base.join(&r.with.path)).exists() {
            continue;
        }
        let what = format!(
            "{}:{}: replace {} =>",
            base.join(file).display(),
            r.line,
            r.path
        );
        let folder = real_folder(base, &r.with.path, &what)?;
        out.push((folder, format!("{what} {}", r.with.path)));
    }
    Ok(out)
}

/// A carried folder lies inside the repository: the git work tree of DIR
/// when there is one (with none, the folders themselves set the root).
fn inside_repository(folder: &Path, top: Option<&Path>, what: &str) -> Result<(), Error> {
    match top {
        Some(top) if !folder.starts_with(top) => Err(Refusal::OutsideRepository {
            what: what.into(),
            folder: folder.to_path_buf(),
            top: top.to_path_buf(),
        }
        .into()),
        _ => Ok(()),
    }
}

/// `.` and `..` resolved without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The deepest folder that holds every one of `paths`.
fn common_ancestor(paths: &[PathBuf]) -> PathBuf {
    let mut root = paths.first().cloned().unwrap_or_else(|| PathBuf::from("/"));
    for p in paths {
        while !p.starts_with(&root) {
            if !root.pop() {
                break;
            }
        }
    }
    root
}

/// The folders with any that lies inside another left out (copied with it).
fn outermost(mut folders: Vec<PathBuf>) -> Vec<PathBuf> {
    folders.sort();
    folders.dedup();
    let all = folders.clone();
    folders.retain(|f| !all.iter().any(|o| o != f && f.starts_with(o)));
    folders
}

/// `path` below `root`, `/`-separated; empty for `root` itself. `root` is
/// the common ancestor of every path given, so anything else is a bug,
/// reported rather than turned into `src/` itself.
pub fn rel(root: &Path, path: &Path) -> Result<String, Error> {
    match path.strip_prefix(root) {
        Ok(r) => Ok(r.to_string_lossy().replace(std::path::MAIN_SEPARATOR, "/")),
        Err(_) => Err(Error::io(path)(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("not below {}, the folder that becomes src/", root.display()),
        ))),
    }
}

fn layout(
    root: &Path,
    dir: &Path,
    mains: &[MainModule],
    work: Option<&(PathBuf, WorkFile)>,
) -> Result<Layout, Error> {
    let workspace = match work {
        None => None,
        Some((ws, _)) => Some(Workspace {
            dir: rel(root, ws)?,
            modules: mains
                .iter()
                .map(|m| {
                    Ok(WorkspaceModule {
                        path: m.modfile.module.clone(),
                        dir: rel(root, &m.dir)?,
                    })
                })
                .collect::<Result<_, Error>>()?,
        }),
    };
    Ok(Layout {
        module_dir: rel(root, dir)?,
        workspace,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_is_the_nearest_common_ancestor() {
        let p = |s: &str| PathBuf::from(s);
        assert_eq!(
            common_ancestor(&[p("/r/mono/service"), p("/r/mono/shared")]),
            p("/r/mono")
        );
        assert_eq!(common_ancestor(&[p("/r/a")]), p("/r/a"));
        assert_eq!(
            common_ancestor(&[p("/r/a/b"), p("/r/a/b/third_party/x")]),
            p("/r/a/b")
        );
        assert_eq!(normalize(&p("/r/a/../b/./c")), p("/r/b/c"));
        assert_eq!(
            outermost(vec![p("/r/a"), p("/r/a/x"), p("/r/b"), p("/r/a")]),
            [p("/r/a"), p("/r/b")]
        );
        assert_eq!(rel(&p("/r"), &p("/r/a/b")).unwrap(), "a/b");
        assert_eq!(rel(&p("/r"), &p("/r")).unwrap(), "");
        assert!(rel(&p("/r"), &p("/s")).is_err());
    }

    #[test]
    fn a_folder_through_a_symlink_or_absolute_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let base = std::fs::canonicalize(d.path()).unwrap();
        std::fs::create_dir_all(base.join("real")).unwrap();
        std::os::unix::fs::symlink(base.join("real"), base.join("link")).unwrap();
        assert_eq!(
            real_folder(&base, "./real", "x").unwrap(),
            base.join("real")
        );
        let e = real_folder(&base, "link", "replace y =>")
            .unwrap_err()
            .to_string();
        assert!(e.contains("reached through a symbolic link"), "{e}");
        let e = real_folder(&base, "/opt/x", "replace y =>")
            .unwrap_err()
            .to_string();
        assert!(e.contains("absolute folder cannot travel"), "{e}");
        let e = inside_repository(&base.join("out"), Some(&base.join("repo")), "replace")
            .unwrap_err()
            .to_string();
        assert!(e.contains("outside the repository root"), "{e}");
    }
}
