//! The main module's tree as it goes into `src/`: every regular file under DIR
//! except version-control folders, ferry's own bundles and temporaries, and
//! what `.ferryignore` (gitignore syntax) excludes. Symlinks are refused, not
//! followed: a bundle holds regular files only.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::exit::{Classify, Exit};

/// The ignore file read in every folder of the tree.
pub const IGNORE_FILE: &str = ".ferryignore";

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("reading the source tree: {0}")]
    Walk(#[from] ignore::Error),
    #[error(
        "{}: ferry bundles regular files only; list each in {IGNORE_FILE} or replace it with the file it points to:\n{}",
        count(.0.len()), crate::text::indented(.0)
    )]
    NotRegular(Vec<NotRegular>),
}

fn count(n: usize) -> String {
    match n {
        1 => "1 path in the tree is not a regular file".into(),
        n => format!("{n} paths in the tree are not regular files"),
    }
}

/// A path the tree holds that is not a regular file or folder, and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotRegular {
    pub path: PathBuf,
    pub kind: &'static str,
}

impl std::fmt::Display for NotRegular {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.path.display(), self.kind)
    }
}

impl Classify for SourceError {
    fn exit(&self) -> Exit {
        match self {
            SourceError::NotRegular(_) => Exit::Usage,
            _ => Exit::CouldNotRun,
        }
    }
}

/// What a file type that is neither a regular file nor a folder is.
fn kind_of(ft: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_symlink() {
        "symbolic link"
    } else if ft.is_fifo() {
        "named pipe"
    } else if ft.is_socket() {
        "socket"
    } else if ft.is_block_device() || ft.is_char_device() {
        "device"
    } else {
        "not a regular file"
    }
}

/// One file of the tree: its `/`-separated path below the root and its
/// normalised mode (0755 when any execute bit is set, else 0644).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub rel: String,
    pub path: PathBuf,
    pub mode: u32,
}

const NEVER: &[&str] = &[".git", ".hg", ".svn", ".bzr"];

/// Lists the files of `root`, sorted, skipping `skip` (such as the output
/// bundle); every path that is not a regular file is refused in one error.
pub fn walk(
    root: &Path,
    use_ignore_files: bool,
    skip: &[PathBuf],
) -> Result<Vec<SourceFile>, SourceError> {
    let skip: Vec<PathBuf> = skip
        .iter()
        .filter_map(|p| fs::canonicalize(p).ok())
        .collect();
    let mut builder = ignore::WalkBuilder::new(root);
    builder
        .standard_filters(false)
        .follow_links(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            let vcs = e.depth() > 0 && NEVER.contains(&name.as_ref());
            let ours = name.starts_with(crate::temp::PREFIX);
            !(vcs || ours)
        });
    if use_ignore_files {
        builder.add_custom_ignore_filename(IGNORE_FILE);
    }
    let mut files = Vec::new();
    let mut refused = Vec::new();
    for item in builder.build() {
        let entry = item?;
        let path = entry.path().to_path_buf();
        let Some(ft) = entry.file_type() else {
            refused.push(NotRegular {
                path,
                kind: "stdin",
            });
            continue;
        };
        if ft.is_dir() {
            continue;
        }
        if !ft.is_file() {
            refused.push(NotRegular {
                path,
                kind: kind_of(&ft),
            });
            continue;
        }
        if path.extension().is_some_and(|e| e == "ferry")
            || fs::canonicalize(&path).is_ok_and(|c| skip.contains(&c))
        {
            continue;
        }
        let meta = entry.metadata()?;
        let mode = if meta.permissions().mode() & 0o111 != 0 {
            0o755
        } else {
            0o644
        };
        let rel = path
            .strip_prefix(root)
            .map(|r| r.to_string_lossy().replace(std::path::MAIN_SEPARATOR, "/"))
            .unwrap_or_default();
        files.push(SourceFile { rel, path, mode });
    }
    if !refused.is_empty() {
        return Err(SourceError::NotRegular(refused));
    }
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(files)
}

/// Copies listed files under `dest`, with their normalised modes: the
/// folders first, then the files many at once (`fsutil::par_io`), each a
/// reflink where the file system has them, else a copy, never a hard link
/// (go writes go.sum in place, and the user's tree is never written).
pub fn copy_to(files: &[SourceFile], dest: &Path) -> Result<(), SourceError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SourceError::Io { path, source }
    };
    let folders: std::collections::BTreeSet<PathBuf> = files
        .iter()
        .filter_map(|f| dest.join(&f.rel).parent().map(Path::to_path_buf))
        .collect();
    for folder in &folders {
        fs::create_dir_all(folder).map_err(io(folder))?;
    }
    crate::fsutil::par_io(files, |f| {
        let to = dest.join(&f.rel);
        let copy = || crate::fsutil::clone_or_copy(&f.path, &to, f.mode).map(drop);
        match copy() {
            // A nested module laid out again over its parent's copy: the
            // later copy wins, as a plain copy would.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                fs::remove_file(&to).map_err(io(&to))?;
                copy().map_err(io(&f.path))
            }
            done => done.map_err(io(&f.path)),
        }
    })
}

/// Where the packed parts sit below `src/`: the main module's folder, and
/// for a go.work workspace its folder and every module it uses. The default
/// (all empty) is the single module at `src/` itself, as every bundle before
/// workspaces were carried.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Layout {
    /// The main module's folder below `src/`, `/`-separated; empty for `src/`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub module_dir: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<Workspace>,
}

/// A go.work workspace as carried: its folder below `src/` (empty for
/// `src/`) and each module it uses.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Workspace {
    pub dir: String,
    pub modules: Vec<WorkspaceModule>,
}

/// One module of a workspace: its module path and its folder below `src/`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WorkspaceModule {
    pub path: String,
    pub dir: String,
}

impl Layout {
    /// The folder holding vendor/ (and go.work in a workspace), below `src/`.
    pub fn vendor_root(&self) -> &str {
        match &self.workspace {
            Some(w) => &w.dir,
            None => &self.module_dir,
        }
    }

    /// The file whose `go` and `godebug` lines the build follows: go.work in
    /// a workspace, else go.mod.
    pub fn go_file(&self) -> &'static str {
        match self.workspace {
            Some(_) => "go.work",
            None => "go.mod",
        }
    }

    /// `rel` (`/`-separated, relative) resolved lexically from `folder`, both
    /// below `src/`: `None` when it is absolute or leads out of `src/`, which
    /// nothing read from a bundle may.
    pub fn resolve(folder: &str, rel: &str) -> Option<String> {
        if rel.starts_with('/') || rel.contains('\\') {
            return None;
        }
        let mut parts: Vec<&str> = Vec::new();
        for part in folder.split('/').chain(rel.split('/')) {
            match part {
                "" | "." => {}
                ".." => {
                    parts.pop()?;
                }
                p => parts.push(p),
            }
        }
        Some(parts.join("/"))
    }

    /// `rel` below `src/`'s `folder` as a `/`-separated path (`folder/rel`).
    pub fn join(folder: &str, rel: &str) -> String {
        match (folder, rel) {
            ("", r) => r.to_string(),
            (f, "") => f.to_string(),
            (f, r) => format!("{f}/{r}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_stays_below_src() {
        assert_eq!(Layout::resolve("ws", "../lib").as_deref(), Some("lib"));
        assert_eq!(Layout::resolve("", "./service").as_deref(), Some("service"));
        assert_eq!(Layout::resolve("", ".").as_deref(), Some(""));
        assert_eq!(
            Layout::resolve("a/b", "../../c/./d").as_deref(),
            Some("c/d")
        );
        assert_eq!(Layout::resolve("ws", "../../x"), None);
        assert_eq!(Layout::resolve("", "/tmp/x"), None);
        assert_eq!(Layout::resolve("", "a\\..\\..\\x"), None);
    }

    #[test]
    fn honours_ferryignore_and_skips_vcs_and_bundles() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        for f in [
            ".git/config",
            "main.go",
            "bin/app",
            "sub/x.log",
            "sub/keep.go",
            "old.ferry",
            "run.sh",
        ] {
            let p = root.join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(&p, f).unwrap();
        }
        fs::set_permissions(root.join("run.sh"), fs::Permissions::from_mode(0o700)).unwrap();
        fs::write(root.join(".ferryignore"), "bin/\n*.log\n").unwrap();
        let files = walk(root, true, &[]).unwrap();
        let rels: Vec<_> = files.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(rels, [".ferryignore", "main.go", "run.sh", "sub/keep.go"]);
        assert_eq!(files[2].mode, 0o755);
        assert_eq!(files[1].mode, 0o644);
    }

    #[test]
    fn refuses_every_symlink_at_once() {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir(d.path().join("sub")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", d.path().join("leak")).unwrap();
        std::os::unix::fs::symlink("../leak", d.path().join("sub/again")).unwrap();
        fs::write(d.path().join("main.go"), "package main\n").unwrap();
        let err = walk(d.path(), true, &[]).unwrap_err();
        let SourceError::NotRegular(found) = &err else {
            panic!("{err}");
        };
        let names: Vec<_> = found
            .iter()
            .map(|n| n.path.strip_prefix(d.path()).unwrap().to_path_buf())
            .collect();
        assert_eq!(names, [Path::new("leak"), Path::new("sub/again")]);
        let msg = err.to_string();
        assert!(
            msg.starts_with("2 paths in the tree are not regular files"),
            "{msg}"
        );
        assert!(msg.contains("sub/again (symbolic link)"), "{msg}");
        assert_eq!(err.exit(), Exit::Usage);
    }
}
