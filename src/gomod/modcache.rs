//! The trimmed module download cache that travels in the bundle: the `.info`,
//! `.mod`, `.zip` and `.ziphash` files of exactly the modules that go.sum and
//! the build list name, in GOPROXY layout, each checked against go.sum first.

use std::path::{Path, PathBuf};

use super::diags::Finding;
use super::dirhash::{self, DirhashError};
use super::escape::escape;
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
}

/// Picks and checks the cache files under `download_dir`
/// (`$GOMODCACHE/cache/download`) for the downloaded modules and every
/// `/go.mod` line of go.sum.
pub fn select(
    download_dir: &Path,
    downloads: &[Download],
    sum: &GoSum,
) -> Result<Selection, DirhashError> {
    let mut sel = Selection::default();
    for d in downloads {
        check_zip(d, sum, &mut sel)?;
        add(
            &mut sel,
            download_dir,
            &d.path,
            &d.version,
            &["info", "zip", "ziphash"],
        );
    }
    for line in sum.lines.iter().filter(|l| l.go_mod) {
        let rel = rel_path(&line.path, &line.version, "mod");
        let source = download_dir.join(&rel);
        if !source.is_file() {
            continue;
        }
        let bytes = std::fs::read(&source).map_err(|e| DirhashError::Io {
            path: source.clone(),
            source: e,
        })?;
        let actual = dirhash::hash_go_mod(&bytes);
        if actual != line.hash {
            sel.findings.push(finding(
                &line.path,
                &line.version,
                &rel,
                "go.mod does not match go.sum",
                &line.hash,
                &actual,
            ));
        }
        add(
            &mut sel,
            download_dir,
            &line.path,
            &line.version,
            &["info", "mod"],
        );
    }
    sel.files.sort_by(|a, b| a.rel.cmp(&b.rel));
    sel.files.dedup_by(|a, b| a.rel == b.rel);
    Ok(sel)
}

fn check_zip(d: &Download, sum: &GoSum, sel: &mut Selection) -> Result<(), DirhashError> {
    let rel = rel_path(&d.path, &d.version, "zip");
    let Some(zip) = &d.zip else {
        sel.findings
            .push(missing(d, &rel, "module zip was not downloaded"));
        return Ok(());
    };
    let Some(expected) = sum.hash(&d.path, &d.version, false) else {
        sel.findings
            .push(missing(d, &rel, "go.sum has no line for this module zip"));
        return Ok(());
    };
    let actual = dirhash::hash_zip(zip)?;
    if actual != expected {
        sel.findings.push(finding(
            &d.path,
            &d.version,
            &rel,
            "module zip does not match go.sum",
            expected,
            &actual,
        ));
    }
    if sum.hash(&d.path, &d.version, true).is_none() {
        sel.findings.push(missing(
            d,
            &rel_path(&d.path, &d.version, "mod"),
            "go.sum has no /go.mod line",
        ));
    }
    Ok(())
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

fn finding(
    module: &str,
    version: &str,
    file: &str,
    problem: &str,
    expected: &str,
    actual: &str,
) -> Finding {
    Finding {
        module: module.into(),
        version: version.into(),
        file: format!("modcache/{file}"),
        problem: problem.into(),
        expected: Some(expected.into()),
        actual: Some(actual.into()),
    }
}

fn missing(d: &Download, file: &str, problem: &str) -> Finding {
    Finding {
        module: d.path.clone(),
        version: d.version.clone(),
        file: format!("modcache/{file}"),
        problem: problem.into(),
        expected: None,
        actual: None,
    }
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
}
