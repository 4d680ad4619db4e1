//! Binding vendor/ to its modules: each listed package has its folder, each
//! vendored file has an owner module, and each module's vendored files are
//! exactly the ones `go mod vendor` copies from it, byte for byte.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::GoCheck;
use crate::gomod::diags::{Code, Finding};
use crate::gomod::modules_txt::{ModulesTxt, VendoredModule};
use crate::gomod::vendor_rules::{self, ModuleFile};

/// Vendored files' sha256, by path relative to vendor/.
type Vendored = BTreeMap<String, [u8; 32]>;

fn dir_of(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(d, _)| d)
}

/// Each listed package has a folder with files; no folder of Go files is unlisted.
pub(super) fn check_package_folders(txt: &ModulesTxt, vendored: &Vendored, out: &mut GoCheck) {
    listed_once(txt, out);
    let dirs_with_files: BTreeSet<&str> = vendored.keys().map(|f| dir_of(f)).collect();
    let listed: BTreeSet<&str> = txt
        .modules
        .iter()
        .flat_map(|m| m.packages.iter().map(String::as_str))
        .collect();
    for m in &txt.modules {
        for p in m
            .packages
            .iter()
            .filter(|p| !dirs_with_files.contains(p.as_str()))
        {
            out.findings.push(Finding::new(
                Code::PackageFolderMissing,
                &m.path,
                &m.version,
                &format!("vendor/{p}"),
                format!("package {p} is listed in vendor/modules.txt but has no folder in vendor/"),
            ));
        }
    }
    let go_dirs: BTreeSet<&str> = vendored
        .keys()
        .filter(|f| f.ends_with(".go"))
        .map(|f| dir_of(f))
        .collect();
    for d in go_dirs.difference(&listed) {
        out.findings.push(Finding::new(
            Code::PackageUnlisted,
            "",
            "",
            &format!("vendor/{d}"),
            format!("folder holds Go files but vendor/modules.txt lists no package {d}"),
        ));
    }
}

/// A package belongs to one module: `go mod vendor` never lists one twice,
/// and two owners would make the binding pick one of them.
fn listed_once(txt: &ModulesTxt, out: &mut GoCheck) {
    let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
    for m in &txt.modules {
        for p in &m.packages {
            if let Some(first) = owner.insert(p, &m.path) {
                out.findings.push(Finding::new(
                    Code::PackageListedTwice,
                    &m.path,
                    &m.version,
                    "vendor/modules.txt",
                    format!("package {p} is listed under {first} and under {}", m.path),
                ));
            }
        }
    }
}

/// Which vendored module each vendored file belongs to: the module of its
/// package folder, else the longest module path above it.
pub(super) fn owners<'a>(
    txt: &ModulesTxt,
    vendored: &'a Vendored,
    out: &mut GoCheck,
) -> BTreeMap<&'a String, usize> {
    // The last module that lists the package, as Go's readVendorList
    // keeps it (a package listed twice is a finding of its own).
    let mut by_pkg: HashMap<&str, usize> = HashMap::new();
    for (i, m) in txt.modules.iter().enumerate() {
        by_pkg.extend(m.packages.iter().map(|p| (p.as_str(), i)));
    }
    // Folders are shared by many files: each is looked up once.
    let mut by_dir: HashMap<&str, Option<usize>> = HashMap::new();
    let mut map = BTreeMap::new();
    for f in vendored.keys() {
        let dir = dir_of(f);
        let owner = *by_dir
            .entry(dir)
            .or_insert_with(|| by_pkg.get(dir).copied().or_else(|| by_prefix(txt, dir)));
        match owner {
            Some(i) => {
                map.insert(f, i);
            }
            None => out.findings.push(Finding::new(
                Code::FileWithoutModule,
                "",
                "",
                &format!("vendor/{f}"),
                "belongs to no module in vendor/modules.txt",
            )),
        }
    }
    map
}

/// The module with the longest path above folder `dir`.
fn by_prefix(txt: &ModulesTxt, dir: &str) -> Option<usize> {
    txt.modules
        .iter()
        .enumerate()
        .filter(|(_, m)| vendor_rules::package_dir(&m.path, dir).is_some())
        .max_by_key(|(_, m)| m.path.len())
        .map(|(i, _)| i)
}

/// A module that vendors no package has no file in vendor/: `go mod
/// vendor` copies files of packages, and of the folders above them.
pub(super) fn no_packages(m: &VendoredModule, mine: &[&String], out: &mut GoCheck) {
    for f in mine {
        out.findings.push(Finding::new(
            Code::FileNotCopiedByGo,
            &m.path,
            &m.version,
            &format!("vendor/{f}"),
            "belongs to a module that vendors no package; go mod vendor copies no file of it",
        ));
    }
}

/// Every vendored file of `m` is in its module, byte for byte, and is one that
/// `go mod vendor` copies; every file it copies is there.
pub(super) fn bind(
    m: &VendoredModule,
    files: &BTreeMap<String, ModuleFile>,
    mine: &[&String],
    vendored: &Vendored,
    main_go: &str,
    out: &mut GoCheck,
) {
    let source = if m.replace.as_ref().is_some_and(|r| r.is_local()) {
        "the local replacement folder"
    } else {
        "the module zip"
    };
    let expected = vendor_rules::expected(&m.path, &m.packages, files, main_go);
    let prefix = format!("{}/", m.path);
    let found = |code, file: &str, problem: String| {
        Finding::new(
            code,
            &m.path,
            &m.version,
            &format!("vendor/{file}"),
            problem,
        )
    };
    // A .go file whose content is not here (a proof that lacks it) cannot be
    // judged "not copied": that would let a bundle drop any file it likes.
    let decisive = vendor_rules::decisive(&m.path, &m.packages, files.keys(), main_go);
    for rel in decisive.into_iter().filter(|r| files[*r].go.is_none()) {
        out.findings.push(found(
            Code::ProofIncomplete,
            &format!("{prefix}{rel}"),
            format!(
                "its content decides what go mod vendor copies, and neither vendor/ nor {source}'s proof holds it"
            ),
        ));
    }
    let sha = |d: &[u8; 32]| Some(format!("sha256:{}", hex::encode(d)));
    for f in mine {
        let rel = f.strip_prefix(prefix.as_str()).unwrap_or(f);
        let actual = &vendored[*f];
        let finding = match files.get(rel) {
            None => found(Code::FileNotInModule, f, format!("is not in {source}"))
                .hashes(None, sha(actual)),
            Some(mf) if mf.sha256 != *actual => {
                found(Code::FileDiffers, f, format!("differs from {source}"))
                    .hashes(sha(&mf.sha256), sha(actual))
            }
            Some(_) if !expected.contains(rel) => found(
                Code::FileNotCopiedByGo,
                f,
                format!("is in {source}, but go mod vendor does not copy it"),
            ),
            Some(_) => continue,
        };
        out.findings.push(finding);
    }
    for (rel, mf) in expected.iter().filter_map(|r| Some((r, files.get(r)?))) {
        let f = format!("{prefix}{rel}");
        if !vendored.contains_key(&f) {
            let problem =
                format!("is missing from vendor/ (go mod vendor copies it from {source})");
            out.findings
                .push(found(Code::FileMissing, &f, problem).hashes(sha(&mf.sha256), None));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gomod::modules_txt;

    #[test]
    fn a_package_listed_under_two_modules_is_a_finding() {
        let txt = modules_txt::parse(
            "# example.com/a v1.0.0\n## explicit\nexample.com/a/x\n# example.com/b v1.0.0\n## explicit\nexample.com/a/x\n",
        )
        .unwrap();
        let mut out = GoCheck::default();
        listed_once(&txt, &mut out);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].code, Code::PackageListedTwice);
        assert!(
            out.findings[0]
                .problem
                .contains("under example.com/a and under example.com/b")
        );
    }
}
