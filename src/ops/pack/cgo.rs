//! The stop for a package the build needs that cgo alone can build: with
//! `CGO_ENABLED=0` (ferry's default) build constraints then exclude all its
//! Go files, and the offline build would fail at the proof or, worse, at the
//! site. Found with the go tool on the vendored scratch tree, before anything
//! is written: `go list -deps` with cgo off, then the excluded packages again
//! with cgo on. The build tags that would leave such a package out are read
//! from the `//go:build` lines of the files importing it, and offered only
//! when `go list` confirms that with them the build no longer needs it. A
//! package that builds either way, but from other files with cgo off (a
//! `!cgo` stub, as mattn/go-sqlite3 has), is a warning (`cgo-stub`).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::PackOptions;
use super::snapshot::Snapshot;
use crate::build::warnings::{Code, Warning};
use crate::dockerfile::Target;
use crate::error::Error;
use crate::gomod::toolchain::{Go, ToolchainError};

/// One package as `go list -json=…` reports it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Listed {
    import_path: String,
    dir: Option<PathBuf>,
    go_files: Vec<String>,
    cgo_files: Vec<String>,
    ignored_go_files: Vec<String>,
    standard: bool,
    error: Option<ListError>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct ListError {
    import_stack: Vec<String>,
}

/// A package the build needs that only cgo builds.
#[derive(Debug)]
struct NeedsCgo {
    path: String,
    cgo_files: Vec<String>,
    imported_by: Option<String>,
}

/// Stops pack (exit 2) when, with cgo off, the build needs a package that
/// only cgo builds, and warns of each needed package that cgo off builds
/// from other files than cgo on; nothing to do with `--cgo`.
pub fn check(snap: &Snapshot, opts: &PackOptions) -> Result<Vec<Warning>, Error> {
    if opts.cgo {
        return Ok(Vec::new());
    }
    let mains: Vec<&str> = snap.mains.iter().map(|m| m.package.as_str()).collect();
    let root = snap.module_root();
    let go = Lister {
        go: &snap.go,
        tree: &root,
        target: &snap.target,
    };
    let off = list(&go, &["-deps"], &mains, &opts.tags, false)?;
    let needy = needing_cgo(&go, &off, &opts.tags)?;
    if needy.is_empty() {
        let on = list(&go, &["-deps"], &mains, &opts.tags, true)?;
        return Ok(stubs(&off, &on));
    }
    let tags = avoiding_tags(&go, &mains, &opts.tags, &needy)?;
    Err(Error::Usage(message(&needy, &opts.tags, tags.as_deref())))
}

/// A `cgo-stub` warning for each package outside the standard library that
/// cgo off builds (`off`) from files other than cgo on does (`on`, where it
/// has cgo files): the program then runs the stub, which may only panic.
fn stubs(off: &[Listed], on: &[Listed]) -> Vec<Warning> {
    off.iter()
        .filter(|p| !p.standard && !p.go_files.is_empty())
        .filter_map(|p| {
            let with = on.iter().find(|c| c.import_path == p.import_path)?;
            (!with.cgo_files.is_empty()).then(|| {
                Warning::new(
                    Code::CgoStub,
                    format!(
                        "{} has cgo files ({}) that cgo off (CGO_ENABLED=0, ferry's default) leaves out, building {} instead: if that is a stub, the program fails where it calls it; pass --cgo to build the C code",
                        p.import_path,
                        with.cgo_files.join(", "),
                        p.go_files.join(", ")
                    ),
                )
            })
        })
        .collect()
}

/// The packages of `listed` (the build's packages with cgo off) that build
/// constraints exclude and that cgo files make up with cgo on.
fn needing_cgo(go: &Lister, listed: &[Listed], tags: &[String]) -> Result<Vec<NeedsCgo>, Error> {
    let excluded: Vec<&Listed> = listed
        .iter()
        .filter(|p| p.go_files.is_empty() && p.cgo_files.is_empty())
        .filter(|p| !p.ignored_go_files.is_empty())
        .collect();
    if excluded.is_empty() {
        return Ok(Vec::new());
    }
    let paths: Vec<&str> = excluded.iter().map(|p| p.import_path.as_str()).collect();
    let with_cgo = list(go, &["-find"], &paths, tags, true)?;
    Ok(excluded
        .into_iter()
        .filter_map(|p| {
            let on = with_cgo.iter().find(|c| c.import_path == p.import_path)?;
            (!on.cgo_files.is_empty()).then(|| NeedsCgo {
                path: p.import_path.clone(),
                cgo_files: on.cgo_files.clone(),
                imported_by: importer(p),
            })
        })
        .collect())
}

/// The package whose import brought `p` in, from go list's import stack.
fn importer(p: &Listed) -> Option<String> {
    let stack = &p.error.as_ref()?.import_stack;
    let n = stack.len();
    (n >= 2).then(|| stack[n - 2].clone())
}

/// Tags that, added to `tags`, leave every needy package out of the build
/// (confirmed by go list), read from the importing files' `//go:build` lines.
fn avoiding_tags(
    go: &Lister,
    mains: &[&str],
    tags: &[String],
    needy: &[NeedsCgo],
) -> Result<Option<Vec<String>>, Error> {
    let importers: Vec<&str> = needy
        .iter()
        .filter_map(|n| n.imported_by.as_deref())
        .collect();
    if importers.is_empty() {
        return Ok(None);
    }
    let mut candidates: Vec<String> = Vec::new();
    for p in list(go, &["-find"], &importers, tags, false)? {
        let Some(dir) = &p.dir else { continue };
        for file in &p.go_files {
            let path = dir.join(file);
            let text = std::fs::read_to_string(&path).map_err(Error::io(&path))?;
            let imports_needy = needy
                .iter()
                .any(|n| text.contains(&format!("\"{}\"", n.path)));
            if imports_needy {
                for tag in negated_tags(&text) {
                    if !candidates.contains(&tag) && !tags.contains(&tag) {
                        candidates.push(tag);
                    }
                }
            }
        }
    }
    if candidates.is_empty() {
        return Ok(None);
    }
    let mut with: Vec<String> = tags.to_vec();
    with.extend(candidates);
    let listed = list(go, &["-deps"], mains, &with, false)?;
    let still = needing_cgo(go, &listed, &with)?;
    let gone = needy
        .iter()
        .all(|n| !listed.iter().any(|p| p.import_path == n.path));
    Ok((still.is_empty() && gone).then_some(with))
}

/// The tags a file's `//go:build` line (in its header, before `package`)
/// requires to be absent: `!tag` terms.
fn negated_tags(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in source.lines() {
        let line = line.trim();
        if line.starts_with("package ") {
            break;
        }
        let Some(expr) = line.strip_prefix("//go:build ") else {
            continue;
        };
        let mut rest = expr;
        while let Some(at) = rest.find('!') {
            let after = rest[at + 1..].trim_start();
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                .unwrap_or(after.len());
            if end > 0 {
                out.push(after[..end].to_string());
            }
            rest = &after[end..];
        }
    }
    out
}

/// The go tool on the vendored scratch tree, for the build's platform.
struct Lister<'a> {
    go: &'a Go,
    tree: &'a Path,
    target: &'a Target,
}

/// `go list -e -json=… FLAGS PATTERNS`, offline, with none of the caller's
/// Go settings.
fn list(
    at: &Lister,
    flags: &[&str],
    patterns: &[&str],
    tags: &[String],
    cgo: bool,
) -> Result<Vec<Listed>, Error> {
    let (go, tree) = (at.go, at.tree);
    let mut all_tags = vec!["timetzdata".to_string()];
    all_tags.extend(tags.iter().cloned());
    let mut cmd = go.command(tree);
    cmd.env("GOFLAGS", "-mod=vendor").env("GOPROXY", "off");
    crate::build::target_env(&mut cmd, at.target, cgo);
    cmd.args(["list", "-e"])
        .args(flags)
        .arg("-json=ImportPath,Dir,GoFiles,CgoFiles,IgnoredGoFiles,Standard,Error")
        .args(["-tags", &all_tags.join(",")])
        .args(patterns);
    let out = go.run(&mut cmd, tree, false)?;
    serde_json::Deserializer::from_slice(&out.stdout)
        .into_iter::<Listed>()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            ToolchainError::BadOutput {
                cmd: "go list -e -json".into(),
                reason: e.to_string(),
            }
            .into()
        })
}

/// The refusal: each package, what brought it in, and the two ways out.
fn message(needy: &[NeedsCgo], tags: &[String], avoiding: Option<&[String]>) -> String {
    let lines: Vec<String> = needy
        .iter()
        .map(|n| {
            let by = n
                .imported_by
                .as_deref()
                .map_or(String::new(), |i| format!(", imported by {i}"));
            format!(
                "{} (cgo files only: {}{by})",
                n.path,
                n.cgo_files.join(", ")
            )
        })
        .collect();
    let tagged = match tags {
        [] => String::new(),
        t => format!(" with --tags {}", t.join(",")),
    };
    let way = match avoiding {
        Some(with) => format!(
            "build without it: --tags {} (go list confirms the build then no longer needs it), or build",
            with.join(",")
        ),
        None => "no build tag found that leaves it out; build".to_string(),
    };
    format!(
        "with cgo off (CGO_ENABLED=0, ferry's default){tagged}, the build needs packages that only cgo builds:\n{}\n\
         {way} with cgo: --cgo (CGO_ENABLED=1, a builder image with a C toolchain, a runtime image with a libc)",
        crate::text::indented(&lines)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negated_tags_come_from_the_build_line_of_the_header() {
        let src = "// Copyright\n//go:build linux && !exclude_graphdriver_btrfs && ! nocgo\n\npackage x\n//go:build !late\n";
        assert_eq!(negated_tags(src), ["exclude_graphdriver_btrfs", "nocgo"]);
        assert!(negated_tags("package x\n").is_empty());
    }

    #[test]
    fn the_refusal_names_the_package_its_importer_and_both_ways_out() {
        let needy = [NeedsCgo {
            path: "example.com/cgoonly".into(),
            cgo_files: vec!["cgoonly.go".into()],
            imported_by: Some("example.com/app".into()),
        }];
        let with = ["purego".to_string()];
        let msg = message(&needy, &[], Some(&with));
        assert!(
            msg.contains(
                "example.com/cgoonly (cgo files only: cgoonly.go, imported by example.com/app)"
            ),
            "{msg}"
        );
        assert!(
            msg.contains("--tags purego") && msg.contains("--cgo"),
            "{msg}"
        );
        let msg = message(&needy, &["x".into()], None);
        assert!(
            msg.contains("with --tags x") && msg.contains("no build tag found"),
            "{msg}"
        );
    }
}
