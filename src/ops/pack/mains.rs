//! Which main packages pack builds, settled before anything slow runs: each
//! `--main` checked (a folder of this module, not of a nested one, `package
//! main` under the build's tags), or with none the module root if it is
//! `package main`, else the only main package in the module (a folder of
//! tests alone is none, nor one `.ferryignore` leaves out). The go tool
//! answers (`go list -e -find`: package clauses and build constraints only,
//! no dependency needed, nothing written, no network), in the user's tree.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::build;
use crate::dockerfile::MainPackage;
use crate::error::Error;
use crate::gomod::toolchain::Go;

/// What pack needs to know to find or check the main packages.
#[derive(Clone, Copy)]
pub struct Query<'a> {
    pub go: &'a Go,
    /// The module root (the user's DIR).
    pub dir: &'a Path,
    pub module: &'a str,
    /// `--main` as given, in order; empty asks pack to find it.
    pub given: &'a [String],
    pub tags: &'a [String],
    pub cgo: bool,
    pub target: &'a crate::dockerfile::Target,
}

/// One package as `go list -json=Name,Dir,Error` reports it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Listed {
    #[serde(default)]
    name: String,
    #[serde(default)]
    dir: Option<PathBuf>,
    #[serde(default)]
    error: Option<ListError>,
    #[serde(default)]
    go_files: Vec<String>,
    #[serde(default)]
    cgo_files: Vec<String>,
}

impl Listed {
    /// `package main` with files the build compiles: a folder of
    /// `package main` tests only (`main_test.go`) builds nothing.
    fn is_main(&self) -> bool {
        self.name == "main" && !(self.go_files.is_empty() && self.cgo_files.is_empty())
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListError {
    err: String,
}

/// The main packages to build, each with a distinct binary name.
pub fn settle(q: &Query) -> Result<Vec<MainPackage>, Error> {
    let root = std::fs::canonicalize(q.dir).map_err(Error::io(q.dir))?;
    let carried = carried_folders(&root)?;
    let packages = match q.given {
        [] => vec![discover(q, &root, &carried)?],
        given => {
            for pkg in given {
                outside_nested_module(&root, pkg)?;
            }
            let packages = given_mains(q, &root)?;
            for pkg in &packages {
                if !carried.contains(pkg) {
                    return Err(Error::Usage(format!(
                        "--main {pkg}: .ferryignore leaves out the Go files of its folder, so the bundle would not carry it; take the folder out of .ferryignore or pass another --main"
                    )));
                }
            }
            packages
        }
    };
    let mains: Vec<MainPackage> = packages
        .into_iter()
        .map(|package| MainPackage {
            binary: build::binary_name(q.module, &package),
            package,
        })
        .collect();
    for m in &mains {
        follows_the_rules(m)?;
    }
    distinct_binaries(&mains)?;
    Ok(mains)
}

/// The manifest's rules for `build.main` and `build.binary`, held before
/// anything slow runs: a folder named `-x` is found by go list but would
/// reach the build's command line as an option.
fn follows_the_rules(m: &MainPackage) -> Result<(), Error> {
    let broken = build::inputs::main_package(&m.package)
        .err()
        .or_else(|| build::inputs::binary_name(&m.binary).err());
    match broken {
        Some(rule) => Err(Error::Usage(format!(
            "main package {} (binary {}): {rule}; rename its folder",
            m.package, m.binary
        ))),
        None => Ok(()),
    }
}

/// The folders below `root`, as `.` or `./a/b`, in which the bundle carries
/// a Go file: what `.ferryignore` leaves out is not built.
fn carried_folders(root: &Path) -> Result<std::collections::BTreeSet<String>, Error> {
    let files = crate::source::walk(root, true, &[])?;
    Ok(files
        .iter()
        .filter(|f| f.rel.ends_with(".go"))
        .map(|f| match f.rel.rsplit_once('/') {
            Some((dir, _)) => format!("./{dir}"),
            None => ".".into(),
        })
        .collect())
}

/// The root if it is `package main`, else the only main package below it.
fn discover(
    q: &Query,
    root: &Path,
    carried: &std::collections::BTreeSet<String>,
) -> Result<String, Error> {
    let listed = list(q, &["./..."])?;
    let mains: Vec<String> = listed
        .iter()
        .filter(|p| p.is_main())
        .filter_map(|p| p.dir.as_deref())
        .map(|d| relative(root, d))
        .filter(|rel| rel.as_ref().map_or(true, |r| carried.contains(r)))
        .collect::<Result<_, _>>()?;
    if mains.iter().any(|m| m == ".") {
        return Ok(".".into());
    }
    match mains.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Error::Usage(format!(
            "no main package in module {}{}: ferry packs a program, and a library has none to build. \
             Pack the module of a program that uses it, or, if build constraints hide a main package, pass --tags (or --cgo) and --main ./PATH",
            q.module,
            root_is(&listed, root)
        ))),
        several => {
            let flags: Vec<String> = several.iter().map(|m| format!("--main {m}")).collect();
            Err(Error::Usage(format!(
                "module {} has {} main packages and nothing says which to build; pass one or more of:\n{}",
                q.module,
                several.len(),
                crate::text::indented(&flags)
            )))
        }
    }
}

/// " (the root is package x)" when the root holds a package.
fn root_is(listed: &[Listed], root: &Path) -> String {
    listed
        .iter()
        .find(|p| p.dir.as_deref() == Some(root) && !p.name.is_empty())
        .map(|p| format!(" (the root is package {})", p.name))
        .unwrap_or_default()
}

/// Each `--main` must be a `package main` this module builds.
fn given_mains(q: &Query, root: &Path) -> Result<Vec<String>, Error> {
    let patterns: Vec<String> = q.given.iter().map(|g| dot_slash(g)).collect();
    let pats: Vec<&str> = patterns.iter().map(String::as_str).collect();
    let listed = list(q, &pats)?;
    for pkg in &patterns {
        let dir = root.join(pkg.trim_start_matches("./"));
        // outside_nested_module found it a folder; it is compared as go lists it.
        let dir = std::fs::canonicalize(&dir).map_err(Error::io(&dir))?;
        let found = listed
            .iter()
            .find(|p| p.dir.as_deref() == Some(dir.as_path()));
        judge(q, pkg, found)?;
    }
    Ok(patterns)
}

/// Ok when go list `found` `pkg` a main package the build compiles; else
/// the refusal that says what it is instead.
fn judge(q: &Query, pkg: &str, found: Option<&Listed>) -> Result<(), Error> {
    let why = match found {
        Some(p) if p.is_main() && p.error.is_none() => return Ok(()),
        Some(p) if p.name == "main" && p.error.is_none() => format!(
            "--main {pkg} holds only tests of package main, nothing the build compiles{}",
            tags_note(q.tags)
        ),
        Some(p) if !p.name.is_empty() && p.name != "main" => format!(
            "--main {pkg} is package {}, not package main: ferry builds programs; pass the folder of a main package",
            p.name
        ),
        other => {
            let why = other
                .and_then(|p| p.error.as_ref())
                .map_or("go list does not find it".to_string(), |e| e.err.clone());
            let note = match why.contains("build constraints") {
                true => constraints_note(q, pkg)?,
                false => "",
            };
            format!(
                "--main {pkg} is not a main package this module builds{}: {why}{note}",
                tags_note(q.tags)
            )
        }
    };
    Err(Error::Usage(why))
}

/// Why build constraints leave out every file of `pkg`: cgo, when with cgo
/// on it is a main package; else its `//go:build` lines or file names.
fn constraints_note(q: &Query, pkg: &str) -> Result<&'static str, Error> {
    let with_cgo = Query { cgo: true, ..*q };
    let is_cgo_main = !q.cgo && list(&with_cgo, &[pkg])?.iter().any(Listed::is_main);
    Ok(match is_cgo_main {
        true => " (cgo is off, and its files import \"C\": pass --cgo)",
        false => {
            " (its //go:build lines or file names, such as _windows.go, leave every file out: pass --tags with the tag that selects them)"
        }
    })
}

fn tags_note(tags: &[String]) -> String {
    match tags {
        [] => String::new(),
        t => format!(" with --tags {}", t.join(",")),
    }
}

/// A `--main` inside a folder with its own go.mod belongs to that module,
/// which this module's build does not contain.
fn outside_nested_module(root: &Path, pkg: &str) -> Result<(), Error> {
    let rel = pkg.trim_start_matches("./");
    let dir = root.join(rel);
    if !dir.is_dir() {
        return Err(Error::Usage(format!(
            "--main {pkg}: {} is not a folder of the module",
            dir.display()
        )));
    }
    let mut at = dir.as_path();
    while at != root {
        if at.join("go.mod").is_file() {
            return Err(Error::Usage(format!(
                "--main {pkg} lies in a nested module: {} has its own go.mod, so this module's build does not contain it; pack that module instead: ferry pack {}",
                at.display(),
                at.display()
            )));
        }
        at = match at.parent() {
            Some(parent) => parent,
            None => break,
        };
    }
    Ok(())
}

/// `go list -e -find` of `patterns` in the user's tree: read-only
/// (`-mod=readonly`), no proxy, no workspace, under the build's tags, cgo
/// and platform, with none of the caller's Go settings.
fn list(q: &Query, patterns: &[&str]) -> Result<Vec<Listed>, Error> {
    let mut tags = vec!["timetzdata".to_string()];
    tags.extend(q.tags.iter().cloned());
    // In the canonical root, which is what go's paths are compared with.
    let root = std::fs::canonicalize(q.dir).map_err(Error::io(q.dir))?;
    let mut cmd = q.go.command(&root);
    cmd.env("GOFLAGS", "-mod=readonly")
        .env("GOPROXY", "off")
        .env("GOWORK", "off");
    build::target_env(&mut cmd, q.target, q.cgo);
    cmd.args([
        "list",
        "-e",
        "-find",
        "-json=Name,Dir,Error,GoFiles,CgoFiles",
        "-tags",
    ])
    .arg(tags.join(","))
    .args(patterns);
    let out = q.go.run(&mut cmd, &root, false)?;
    serde_json::Deserializer::from_slice(&out.stdout)
        .into_iter::<Listed>()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            crate::gomod::toolchain::ToolchainError::BadOutput {
                cmd: "go list -e -find -json".into(),
                reason: e.to_string(),
            }
            .into()
        })
}

/// `./a/b` for the folder `dir` below `root`, `.` for the root itself; a
/// folder go lists outside the root is not one of this module's.
fn relative(root: &Path, dir: &Path) -> Result<String, Error> {
    match dir.strip_prefix(root) {
        Ok(rel) if rel.as_os_str().is_empty() => Ok(".".into()),
        Ok(rel) => Ok(format!("./{}", rel.to_string_lossy())),
        Err(_) => Err(Error::Usage(format!(
            "go list names the package folder {}, which is not below the module root {}",
            dir.display(),
            root.display()
        ))),
    }
}

/// `.` or `./a/b`, as go list reads a relative package pattern.
fn dot_slash(pkg: &str) -> String {
    let trimmed = pkg.trim_start_matches("./").trim_end_matches('/');
    match trimmed {
        "" | "." => ".".into(),
        t => format!("./{t}"),
    }
}

/// Two main packages with the same last element would overwrite each other,
/// as would one named like another's provenance file; the same package given
/// twice is said as such.
fn distinct_binaries(mains: &[MainPackage]) -> Result<(), Error> {
    for (i, m) in mains.iter().enumerate() {
        for first in &mains[..i] {
            if dot_slash(&first.package) == dot_slash(&m.package) {
                return Err(Error::Usage(format!(
                    "--main {} is given twice; pass each package once",
                    m.package
                )));
            }
            if let Some(why) = build::inputs::binary_clash(&first.binary, &m.binary) {
                return Err(Error::Usage(format!(
                    "--main {} and --main {}: {why}; ferry names each binary after its folder, so pack them in two bundles or rename one folder",
                    first.package, m.package
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_and_patterns() {
        let root = Path::new("/m");
        assert_eq!(relative(root, Path::new("/m")).unwrap(), ".");
        assert_eq!(relative(root, Path::new("/m/cmd/a")).unwrap(), "./cmd/a");
        assert!(relative(root, Path::new("/n/cmd/a")).is_err());
        assert_eq!(dot_slash("cmd/a/"), "./cmd/a");
        assert_eq!(dot_slash("./"), ".");
        assert_eq!(dot_slash("."), ".");
    }

    #[test]
    fn a_main_below_a_nested_go_mod_is_refused_naming_the_folder() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        std::fs::create_dir_all(root.join("tools/gopls/internal")).unwrap();
        std::fs::create_dir_all(root.join("cmd/a")).unwrap();
        std::fs::write(root.join("tools/go.mod"), "module x/tools\n").unwrap();
        let err = outside_nested_module(root, "./tools/gopls/internal").unwrap_err();
        let msg = err.to_string();
        let folder = root.join("tools");
        assert!(
            msg.contains(&format!("ferry pack {}", folder.display())),
            "{msg}"
        );
        assert!(outside_nested_module(root, "./cmd/a").is_ok());
        assert!(outside_nested_module(root, ".").is_ok());
        assert!(outside_nested_module(root, "./nope").is_err());
    }

    #[test]
    fn two_binaries_of_one_name_are_refused() {
        let m = |p: &str, b: &str| MainPackage {
            package: p.into(),
            binary: b.into(),
        };
        assert!(distinct_binaries(&[m("./cmd/a", "a"), m("./cmd/b", "b")]).is_ok());
        let err = distinct_binaries(&[m("./x/tool", "tool"), m("./y/tool", "tool")]).unwrap_err();
        assert!(
            err.to_string().contains("both build a binary named tool"),
            "{err}"
        );
    }
}
