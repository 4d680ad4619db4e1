//! A module proxy's folder as the two layouts intranets use lay it out:
//! the GOPROXY protocol's (`GOPROXY=file://`, any static web server) and
//! Athens' disk storage; the `list` files they merge; and what makes an
//! export into such a folder refuse (a file there with other bytes).

use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;

use super::escape::escape;
use super::modcache::{self, CacheName};
use super::semver;
use crate::exit::{Classify, Exit};

/// How the module proxy lays its files out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// The GOPROXY protocol as files: what `GOPROXY=file://FOLDER` and any
    /// static web server serve.
    Goproxy,
    /// Athens' disk storage (`pkg/storage/fs`).
    Athens,
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layout::Goproxy => "goproxy",
            Layout::Athens => "athens",
        })
    }
}

/// Where a cache file goes in `layout`, relative to the proxy's folder, or
/// `None` for a file the layout does not hold.
///
/// GOPROXY: `<escaped path>/@v/<escaped version>.{info,mod,zip}`; the
/// `.ziphash` is the go command's own record of a cached zip's hash, not a
/// file of the proxy protocol, so it stays behind.
///
/// Athens (`pkg/storage/fs`, `Save`): below `<module path>/<version>/`, not
/// escaped, `go.mod`, `source.zip` and `<version>.info`. A version the build
/// list needs only the go.mod of goes without `source.zip`: Athens counts a
/// version as there when its go.mod is, which is what Go asks it for.
pub fn layout_path(layout: Layout, name: &CacheName) -> Option<String> {
    let CacheName { path, version, ext } = name;
    match (layout, ext.as_str()) {
        (_, "ziphash") => None,
        (Layout::Goproxy, _) => Some(modcache::rel_path(path, version, ext)),
        (Layout::Athens, "mod") => Some(format!("{path}/{version}/go.mod")),
        (Layout::Athens, "zip") => Some(format!("{path}/{version}/source.zip")),
        (Layout::Athens, "info") => Some(format!("{path}/{version}/{version}.info")),
        (Layout::Athens, _) => None,
    }
}

/// The GOPROXY version list of a module: `<escaped path>/@v/list`.
pub fn list_path(path: &str) -> String {
    format!("{}/@v/list", escape(path))
}

/// A version list with `versions` added: the union, one per line, in Go's
/// version order (equal versions by text, so the order is total).
pub fn merge_list<'a>(existing: &'a str, versions: impl IntoIterator<Item = &'a str>) -> String {
    let mut all: Vec<&str> = existing
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .chain(versions)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    all.sort_by(|a, b| semver::compare(a, b).then_with(|| a.cmp(b)));
    all.iter().map(|v| format!("{v}\n")).collect()
}

/// Why an export was refused before anything was written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A `modcache/` entry whose name is no module cache file.
    #[error("{entry}: {why}")]
    Entry { entry: String, why: String },
    #[error("{}: {} conflict(s) with the bundle's files; nothing was written\n{}", .to.display(), .conflicts.len(), crate::text::indented(.conflicts))]
    Conflicts {
        to: PathBuf,
        conflicts: Vec<Conflict>,
    },
}

/// A file or folder of the proxy's folder that the export would overwrite.
#[derive(Debug, Clone)]
pub enum Conflict {
    /// The file is there with other bytes.
    Bytes {
        file: PathBuf,
        expected: String,
        actual: String,
    },
    /// Something that is not a plain folder (a file, a symbolic link) where
    /// the export needs one.
    NotAFolder { path: PathBuf },
    /// Something that is not a plain file where the export writes one.
    NotAFile { path: PathBuf },
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Conflict::Bytes {
                file,
                expected,
                actual,
            } => write!(
                f,
                "{}: other bytes than the bundle's: expected sha256 {expected}, actual sha256 {actual}",
                file.display()
            ),
            Conflict::NotAFolder { path } => {
                write!(
                    f,
                    "{}: not a folder (ferry writes only inside the folder)",
                    path.display()
                )
            }
            Conflict::NotAFile { path } => write!(f, "{}: not a regular file", path.display()),
        }
    }
}

impl Classify for ExportError {
    fn exit(&self) -> Exit {
        Exit::CheckFailed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(path: &str, version: &str, ext: &str) -> CacheName {
        CacheName {
            path: path.into(),
            version: version.into(),
            ext: ext.into(),
        }
    }

    #[test]
    fn each_layout_puts_each_file_in_its_place() {
        let tz = "example.com/Upper/tzinfo";
        let cases = [
            (
                Layout::Goproxy,
                "v1.0.0",
                "info",
                Some("example.com/!upper/tzinfo/@v/v1.0.0.info"),
            ),
            (
                Layout::Goproxy,
                "v1.0.0",
                "mod",
                Some("example.com/!upper/tzinfo/@v/v1.0.0.mod"),
            ),
            (
                Layout::Goproxy,
                "v1.0.0",
                "zip",
                Some("example.com/!upper/tzinfo/@v/v1.0.0.zip"),
            ),
            (
                Layout::Goproxy,
                "v1.0.0-RC1",
                "zip",
                Some("example.com/!upper/tzinfo/@v/v1.0.0-!r!c1.zip"),
            ),
            (Layout::Goproxy, "v1.0.0", "ziphash", None),
            (
                Layout::Athens,
                "v1.0.0-RC1",
                "mod",
                Some("example.com/Upper/tzinfo/v1.0.0-RC1/go.mod"),
            ),
            (
                Layout::Athens,
                "v1.0.0-RC1",
                "zip",
                Some("example.com/Upper/tzinfo/v1.0.0-RC1/source.zip"),
            ),
            (
                Layout::Athens,
                "v1.0.0-RC1",
                "info",
                Some("example.com/Upper/tzinfo/v1.0.0-RC1/v1.0.0-RC1.info"),
            ),
            (Layout::Athens, "v1.0.0", "ziphash", None),
        ];
        for (layout, version, ext, want) in cases {
            let got = layout_path(layout, &name(tz, version, ext));
            assert_eq!(got.as_deref(), want, "{layout} {version} {ext}");
        }
        assert_eq!(list_path(tz), "example.com/!upper/tzinfo/@v/list");
    }

    #[test]
    fn lists_merge_as_a_sorted_union() {
        assert_eq!(merge_list("", ["v1.0.0"]), "v1.0.0\n");
        assert_eq!(
            merge_list(
                "v1.10.0\nv1.2.0\n\n",
                ["v1.9.0", "v1.2.0", "v1.0.0-rc.1", "v1.0.0"]
            ),
            "v1.0.0-rc.1\nv1.0.0\nv1.2.0\nv1.9.0\nv1.10.0\n"
        );
        let merged = merge_list("v2.0.0+incompatible\n", ["v2.0.0", "v1.0.0"]);
        assert_eq!(merged, "v1.0.0\nv2.0.0\nv2.0.0+incompatible\n");
        assert_eq!(
            merge_list(&merged, ["v2.0.0"]),
            merged,
            "merging is idempotent"
        );
    }
}
