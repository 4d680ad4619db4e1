//! The trimmed module download cache that travels in the bundle: the `.info`,
//! `.mod`, `.zip` and `.ziphash` files of exactly the modules that go.sum and
//! the build list name, in GOPROXY layout. Their hashes are checked by
//! `verify::check_tree`, which reads each zip once.

use std::path::{Path, PathBuf};

use super::diags::{Code, Finding};
use super::escape::{escape, unescape};
use super::gosum::GoSum;
use super::toolchain::Download;

/// One cache file to bundle: `rel` is its path below `modcache/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheFile {
    pub rel: String,
    pub source: PathBuf,
}

/// The selected cache files, and what did not match go.sum.
#[derive(Debug, Default)]
pub struct Selection {
    pub files: Vec<CacheFile>,
    pub findings: Vec<Finding>,
    /// `path@version` of each `/go.mod` line of go.sum whose go.mod the
    /// cache lacks (after `go list -m all`, none should).
    pub missing_go_mods: Vec<String>,
}

/// Picks the cache files under `download_dir` (`$GOMODCACHE/cache/download`)
/// for the downloaded modules and every `/go.mod` line of go.sum. A download
/// that go.sum does not cover is a finding: nothing unhashed crosses.
pub fn select(download_dir: &Path, downloads: &[Download], sum: &GoSum) -> Selection {
    let mut sel = Selection::default();
    for d in downloads {
        let zip = rel_path(&d.path, &d.version, "zip");
        if d.zip.is_none() {
            sel.findings.push(missing(
                d,
                &zip,
                Code::ZipNotDownloaded,
                "module zip was not downloaded",
            ));
        } else if sum.hash(&d.path, &d.version, false).is_none() {
            sel.findings.push(missing(
                d,
                &zip,
                Code::GoSumMissing,
                "go.sum has no line for this module zip",
            ));
        }
        add(
            &mut sel,
            download_dir,
            &d.path,
            &d.version,
            &["info", "zip", "ziphash"],
        );
    }
    // Only the go.mod of a module the build does not download: its .info
    // is in the cache or not depending on what else the cache was used for.
    for line in sum.lines.iter().filter(|l| l.go_mod) {
        let rel = rel_path(&line.path, &line.version, "mod");
        if !download_dir.join(&rel).is_file() {
            sel.missing_go_mods
                .push(format!("{}@{}", line.path, line.version));
        }
        add(&mut sel, download_dir, &line.path, &line.version, &["mod"]);
    }
    sel.files.sort_by(|a, b| a.rel.cmp(&b.rel));
    sel.files.dedup_by(|a, b| a.rel == b.rel);
    sel
}

fn add(sel: &mut Selection, dir: &Path, path: &str, version: &str, exts: &[&str]) {
    for ext in exts {
        let rel = rel_path(path, version, ext);
        let source = dir.join(&rel);
        if source.is_file() {
            sel.files.push(CacheFile { rel, source });
        }
    }
}

/// `<escaped path>/@v/<escaped version>.<ext>`, the GOPROXY layout.
pub fn rel_path(path: &str, version: &str, ext: &str) -> String {
    format!("{}/@v/{}.{ext}", escape(path), escape(version))
}

/// The cache file kinds a bundle's `modcache/` holds.
pub const EXTENSIONS: [&str; 4] = ["info", "mod", "zip", "ziphash"];

/// A cache file named by what it holds: the module, its version and the
/// kind of file (one of [`EXTENSIONS`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheName {
    pub path: String,
    pub version: String,
    pub ext: String,
}

/// Reverses [`rel_path`] for untrusted text: the path and version come back
/// unescaped and checked against Go's rules (a module path, a canonical
/// version), so they are safe to name files with.
pub fn parse_rel(rel: &str) -> Result<CacheName, String> {
    let (path, file) = rel
        .split_once("/@v/")
        .ok_or("not <escaped path>/@v/<escaped version>.<ext>")?;
    let (version, ext) = file
        .rsplit_once('.')
        .ok_or("the file name has no extension")?;
    if !EXTENSIONS.contains(&ext) {
        return Err(format!(
            "{ext:?} is not a module cache file kind ({})",
            EXTENSIONS.join(", ")
        ));
    }
    let unescaped = |text: &str, what: &str| {
        unescape(text).ok_or_else(|| format!("{what} {text:?} is not escaped as Go escapes it"))
    };
    let path = unescaped(path, "module path")?;
    let version = unescaped(version, "version")?;
    super::module_rules::module_path(&path)?;
    super::module_rules::version(&version)?;
    Ok(CacheName {
        path,
        version,
        ext: ext.to_string(),
    })
}

fn missing(d: &Download, file: &str, code: Code, problem: &str) -> Finding {
    Finding::new(
        code,
        &d.path,
        &d.version,
        &format!("modcache/{file}"),
        problem,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_escapes_capitals() {
        assert_eq!(
            rel_path("example.com/Upper/tzinfo", "v1.0.0", "zip"),
            "example.com/!upper/tzinfo/@v/v1.0.0.zip"
        );
    }

    #[test]
    fn cache_names_parse_back() {
        let name = parse_rel("example.com/!upper/tzinfo/@v/v1.0.0.zip").unwrap();
        assert_eq!(
            name,
            CacheName {
                path: "example.com/Upper/tzinfo".into(),
                version: "v1.0.0".into(),
                ext: "zip".into(),
            }
        );
        assert_eq!(
            rel_path(&name.path, &name.version, &name.ext),
            "example.com/!upper/tzinfo/@v/v1.0.0.zip"
        );
        let pre = parse_rel("example.com/m/@v/v1.0.0-!r!c1.info").unwrap();
        assert_eq!(pre.version, "v1.0.0-RC1");
    }

    #[test]
    fn hostile_cache_names_are_refused() {
        for rel in [
            "example.com/m/@v/v1.0.0.lock",
            "example.com/m/@v/list",
            "example.com/m/v1.0.0.zip",
            "example.com/Upper/@v/v1.0.0.zip",
            "example.com/../etc/@v/v1.0.0.zip",
            "/etc/@v/v1.0.0.zip",
            "example.com/m/@v/../../x.zip",
            "example.com/m/@v/v1.0.0/../x.zip",
            "example.com/m/@v/v1.0.zip",
            "example.com/m/@v/!v1.0.0.zip",
            "localhost/m/@v/v1.0.0.zip",
        ] {
            assert!(parse_rel(rel).is_err(), "{rel} accepted");
        }
    }
}
