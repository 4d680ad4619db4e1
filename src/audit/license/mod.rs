//! Which licenses a module's code is under, found as pkg.go.dev finds them:
//! every license file (pkgsite's names, and LICENSE.*/COPYING.* like them) at
//! the module's root and in its vendored package folders, each scanned for
//! every license it holds (`detect`), joined into one SPDX expression (`expr`).

pub mod detect;
pub mod expr;

use std::path::Path;

use serde::Serialize;

/// What a license file whose text matches no SPDX text well enough is
/// (`LicenseRef-ferry-unknown` in an SBOM): never a guess.
pub const UNKNOWN: &str = "unknown";

/// One license file and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LicenseFile {
    /// The file, `/`-separated, relative to the module's folder.
    pub file: String,
    /// Its SPDX expression, or "unknown".
    pub expression: String,
    /// Percent of its words inside the license texts found.
    pub coverage: usize,
}

/// A module's licenses: one expression, and the files it was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModuleLicense {
    /// The files' expressions joined with AND; "unknown" when there is none.
    pub expression: String,
    pub files: Vec<LicenseFile>,
}

/// pkg.go.dev's license file names (pkgsite internal/licenses FileNames),
/// compared case-insensitively; `COPYING.LESSER*` are ferry's own additions
/// (the LGPL's usual file name, beside its `COPYING`).
const PKGSITE_NAMES: &[&str] = &[
    "COPYING",
    "COPYING.md",
    "COPYING.markdown",
    "COPYING.txt",
    "COPYING.LESSER",
    "COPYING.LESSER.md",
    "COPYING.LESSER.markdown",
    "COPYING.LESSER.txt",
    "LICENCE",
    "LICENCE.md",
    "LICENCE.markdown",
    "LICENCE.txt",
    "LICENSE",
    "LICENSE.md",
    "LICENSE.markdown",
    "LICENSE.txt",
    "LICENSE-2.0.txt",
    "LICENCE-2.0.txt",
    "LICENSE-APACHE",
    "LICENCE-APACHE",
    "LICENSE-APACHE-2.0.txt",
    "LICENCE-APACHE-2.0.txt",
    "LICENSE-MIT",
    "LICENCE-MIT",
    "LICENSE.MIT",
    "LICENCE.MIT",
    "LICENSE.code",
    "LICENCE.code",
    "LICENSE.docs",
    "LICENCE.docs",
    "LICENSE.rst",
    "LICENCE.rst",
    "MIT-LICENSE",
    "MIT-LICENCE",
    "MIT-LICENSE.md",
    "MIT-LICENCE.md",
    "MIT-LICENSE.markdown",
    "MIT-LICENCE.markdown",
    "MIT-LICENSE.txt",
    "MIT-LICENCE.txt",
    "MIT_LICENSE",
    "MIT_LICENCE",
    "UNLICENSE",
    "UNLICENCE",
];

/// Whether a file of this name is a license file: one of pkg.go.dev's names,
/// or, as real modules name them too, a LICENSE/LICENCE/COPYING/UNLICENSE
/// stem with a license's name after it (`LICENSE.BSD`, `LICENSE.MPL-2.0`,
/// `LICENSE-APACHE.txt`) or before it (`GO_LICENSE`, `BSD-LICENSE`): the
/// name must begin an SPDX id. Other names with the stem (`LICENSE_HEADER`,
/// `LICENSE.tmpl`, `LICENSE-3rdparty.csv`) and source files are not.
pub fn is_license_file(name: &str) -> bool {
    let upper = name.to_uppercase();
    if PKGSITE_NAMES.iter().any(|n| n.to_uppercase() == upper) {
        return true;
    }
    let upper = [".TXT", ".MD", ".MARKDOWN", ".RST"]
        .iter()
        .find_map(|ext| upper.strip_suffix(ext))
        .unwrap_or(&upper);
    let stems = ["LICENSE", "LICENCE", "COPYING", "UNLICENSE", "UNLICENCE"];
    stems.iter().any(|s| {
        let after = upper
            .strip_prefix(s)
            .and_then(|rest| rest.strip_prefix(['.', '-', '_']));
        let before = upper
            .strip_suffix(s)
            .and_then(|rest| rest.strip_suffix(['-', '_']));
        after.is_some_and(|w| names_a_license(w) || LICENSED_CODE.contains(&w))
            || before.is_some_and(|w| names_a_license(w) || w == "GO")
    })
}

/// Names of code, not of a license, that real modules put after the stem
/// of a license file: sigs.k8s.io/yaml's `goyaml.v2/LICENSE.libyaml` (MIT).
const LICENSED_CODE: &[&str] = &["LIBYAML"];

/// Whether a word begins an SPDX license id (`BSD`, `MPL-2.0`, `APACHE`).
fn names_a_license(word: &str) -> bool {
    word.len() >= 2
        && spdx::identifiers::LICENSES
            .iter()
            .any(|l| l.name.to_uppercase().starts_with(word))
}

/// A module's licenses: every license file under `dir`, but not under a
/// folder `other_module` says belongs to another module (a nested module
/// vendored beside it), nor under vendor/, testdata/ or a hidden folder.
pub fn of_module(dir: &Path, other_module: &dyn Fn(&Path) -> bool) -> ModuleLicense {
    let walk = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            e.depth() == 0
                || !e.file_type().is_dir()
                || !(other_module(e.path())
                    || name == "vendor"
                    || name == "testdata"
                    || name.starts_with('.'))
        });
    let mut files: Vec<LicenseFile> = Vec::new();
    let entries = walk.filter_map(|e| match e {
        Ok(e) => Some(e),
        // A folder that cannot be read may hold a license: it is unknown.
        Err(err) => {
            let at = err.path().unwrap_or(dir);
            let rel = at.strip_prefix(dir).unwrap_or(at).to_string_lossy();
            files.push(LicenseFile {
                file: format!("{rel} (unreadable: {err})"),
                expression: UNKNOWN.into(),
                coverage: 0,
            });
            None
        }
    });
    let found: Vec<LicenseFile> = entries
        .filter(|e| e.file_type().is_file())
        .filter(|e| is_license_file(&e.file_name().to_string_lossy()))
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap_or(e.path());
            let file = rel.to_string_lossy().replace('\\', "/");
            // A file that cannot be read as text is a file of unknown license.
            let text = std::fs::read(e.path())
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            let (expression, coverage) = of_text(&text);
            LicenseFile {
                file,
                expression,
                coverage,
            }
        })
        .collect();
    files.extend(found);
    let expression = expr::all_of(files.iter().map(|f| f.expression.as_str()));
    ModuleLicense { expression, files }
}

/// One license file's expression and coverage. A file that states its own
/// `SPDX-License-Identifier:` is taken at its word when the scan identified
/// its text and every license found is in it (the scan cannot tell how a
/// project combines them). Words that restrict the licenses found add
/// `AND unknown`: the file is more than they are.
pub fn of_text(text: &str) -> (String, usize) {
    let found = detect::scan(text);
    let declared = expr::declared(text)
        .filter(|d| found.identified() && found.ids.iter().all(|id| expr::ids(d).contains(id)));
    let expression = match declared {
        Some(declared) => declared,
        None if !found.identified() => {
            return match detect::choice_by_reference(text) {
                Some(ids) => (ids.join(" OR "), found.coverage),
                None => (UNKNOWN.into(), found.coverage),
            };
        }
        None if found.choice => found.ids.join(" OR "),
        None => found.ids.join(" AND "),
    };
    match found.restricted {
        true if expression.contains(" OR ") => {
            (format!("({expression}) AND {UNKNOWN}"), found.coverage)
        }
        true => (format!("{expression} AND {UNKNOWN}"), found.coverage),
        false => (expression, found.coverage),
    }
}

/// The SPDX id of a text holding one license, if it is one of ours closely
/// enough (what diff and older callers ask).
pub fn identify(text: &str) -> Option<String> {
    let (expression, _) = of_text(text);
    (expression != UNKNOWN).then_some(expression)
}

#[cfg(test)]
mod tests;
