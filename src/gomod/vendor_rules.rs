//! Which files of a module `go mod vendor` copies, as cmd/go decides: every
//! regular file directly in a vendored package's folder except tests (and
//! go.mod/go.sum from Go 1.17), minus .go files tagged `ignore`; metadata files
//! (LICENSE…, by capitalised prefix) from the folders above it up to the module
//! root; and the files its `//go:embed` patterns select.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, BufRead, Read};

use super::{constraint, embed};

/// Capitalised name prefixes that Go copies from parent folders.
const META_PREFIXES: &[&str] = &[
    "AUTHORS",
    "CONTRIBUTORS",
    "COPYLEFT",
    "COPYING",
    "COPYRIGHT",
    "LEGAL",
    "LICENSE",
    "NOTICE",
    "PATENTS",
];

/// One file of a module: its sha256, and for a .go file what Go reads in it.
#[derive(Debug, Clone)]
pub struct ModuleFile {
    pub sha256: [u8; 32],
    pub go: Option<GoFile>,
}

/// What `go mod vendor` reads in a .go file: whether its build constraints
/// keep it, and the patterns of its `//go:embed` lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoFile {
    pub vendored: bool,
    pub embeds: Vec<String>,
}

impl GoFile {
    /// Reads a .go file once, line by line, holding one line at a time.
    pub fn scan(source: &mut dyn BufRead) -> io::Result<GoFile> {
        let mut header = Vec::new();
        let mut in_header = true;
        let mut embeds = Vec::new();
        let mut line = Vec::new();
        while next_line(source, &mut line)? {
            if in_header {
                match constraint::header_line(&line) {
                    Some(l) => header.push(l),
                    None => in_header = false,
                }
            }
            embeds.extend(embed::line_patterns(&line).into_iter().flatten());
        }
        let vendored = constraint::vendors_header(&header);
        if !vendored {
            embeds.clear();
        }
        Ok(GoFile { vendored, embeds })
    }
}

/// Directives are short: of a longer line only the start is kept and the
/// rest skipped, so that a file with no newline is never held whole.
const MAX_LINE: u64 = 64 << 10;

/// Reads the next line (cut at [`MAX_LINE`]) into `line`; false at the end.
fn next_line(source: &mut dyn BufRead, line: &mut Vec<u8>) -> io::Result<bool> {
    line.clear();
    let n = Read::take(&mut *source, MAX_LINE).read_until(b'\n', line)?;
    if n as u64 == MAX_LINE && line.last() != Some(&b'\n') {
        source.skip_until(b'\n')?;
    }
    Ok(n > 0)
}

/// Compares Go versions such as `1.21`, `1.22.3` or `1.23rc1` by major and minor.
pub fn go_at_least(version: &str, want: (u32, u32)) -> bool {
    let mut parts = version
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty());
    let major = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let minor = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (major, minor) >= want
}

fn split(rel: &str) -> (&str, &str) {
    rel.rsplit_once('/').unwrap_or(("", rel))
}

/// The paths (relative to the module root) that vendoring `packages` of the
/// module at `module_path` produces; `main_go` is the main module's `go` line.
pub fn expected(
    module_path: &str,
    packages: &[String],
    files: &BTreeMap<String, ModuleFile>,
    main_go: &str,
) -> BTreeSet<String> {
    let strip_mod = go_at_least(main_go, (1, 17));
    let test_embeds = !go_at_least(main_go, (1, 22));
    let mut out = BTreeSet::new();
    for pkg in packages {
        let Some(dir) = package_dir(module_path, pkg) else {
            continue;
        };
        let mut patterns = Vec::new();
        for (rel, f) in files.iter().filter(|(rel, _)| split(rel).0 == dir) {
            let name = split(rel).1;
            let is_test = name.ends_with("_test.go");
            let go = f.go.as_ref().filter(|_| name.ends_with(".go"));
            if let Some(go) = go.filter(|_| !is_test || test_embeds) {
                patterns.extend(go.embeds.iter().cloned());
            }
            if is_test || (strip_mod && (name == "go.mod" || name == "go.sum")) {
                continue;
            }
            if name.ends_with(".go") && !go.is_some_and(|g| g.vendored) {
                continue;
            }
            out.insert(rel.clone());
        }
        add_metadata(dir, files, &mut out);
        add_embeds(dir, &patterns, files, &mut out);
    }
    out
}

/// The .go files of the vendored packages' folders whose content decides
/// what `go mod vendor` copies: every non-test one (its build constraints),
/// and the tests too while the main module's `go` line makes Go read their
/// `//go:embed` lines (before 1.22).
pub fn decisive<'a>(
    module_path: &str,
    packages: &[String],
    files: impl Iterator<Item = &'a String>,
    main_go: &str,
) -> Vec<&'a String> {
    let test_embeds = !go_at_least(main_go, (1, 22));
    let dirs: BTreeSet<&str> = packages
        .iter()
        .filter_map(|p| package_dir(module_path, p))
        .collect();
    files
        .filter(|rel| rel.ends_with(".go") && dirs.contains(split(rel).0))
        .filter(|rel| test_embeds || !rel.ends_with("_test.go"))
        .collect()
}

/// A package's folder relative to its module root (`""` for the root).
pub fn package_dir<'a>(module_path: &str, pkg: &'a str) -> Option<&'a str> {
    if pkg == module_path {
        return Some("");
    }
    pkg.strip_prefix(module_path)?.strip_prefix('/')
}

fn add_metadata(dir: &str, files: &BTreeMap<String, ModuleFile>, out: &mut BTreeSet<String>) {
    let mut parent = dir;
    while !parent.is_empty() {
        parent = split(parent).0;
        for rel in files.keys().filter(|rel| split(rel).0 == parent) {
            if META_PREFIXES.iter().any(|p| split(rel).1.starts_with(p)) {
                out.insert(rel.clone());
            }
        }
    }
}

fn add_embeds(
    dir: &str,
    patterns: &[String],
    files: &BTreeMap<String, ModuleFile>,
    out: &mut BTreeSet<String>,
) {
    if patterns.is_empty() {
        return;
    }
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    let below = files
        .keys()
        .filter_map(|rel| rel.strip_prefix(prefix.as_str()));
    for f in embed::select(patterns, below) {
        out.insert(format!("{prefix}{f}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> BTreeMap<String, ModuleFile> {
        list.iter()
            .map(|(rel, body)| {
                let go = rel
                    .ends_with(".go")
                    .then(|| GoFile::scan(&mut body.as_bytes()).expect("reading from memory"));
                (
                    rel.to_string(),
                    ModuleFile {
                        sha256: [0; 32],
                        go,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn follows_go_mod_vendor() {
        let m = files(&[
            ("LICENSE", ""),
            ("README.md", ""),
            ("go.mod", ""),
            (
                "a.go",
                "package a\n//go:embed banner.txt static\nvar b string\n",
            ),
            ("a_test.go", "package a\n//go:embed testdata/x\n"),
            ("gen.go", "//go:build ignore\n\npackage main\n"),
            ("banner.txt", ""),
            ("static/site.css", ""),
            ("static/.keep", ""),
            ("testdata/x", ""),
            ("sub/b.go", "package sub\n"),
            ("sub/NOTICE", ""),
            ("sub/deeper/c.go", "package deeper\n"),
            ("unused/d.go", "package unused\n"),
        ]);
        let pkgs = [
            "example.com/m".to_string(),
            "example.com/m/sub/deeper".to_string(),
        ];
        let got: Vec<_> = expected("example.com/m", &pkgs, &m, "1.22")
            .into_iter()
            .collect();
        assert_eq!(
            got,
            [
                "LICENSE",
                "README.md",
                "a.go",
                "banner.txt",
                "static/site.css",
                "sub/NOTICE",
                "sub/deeper/c.go"
            ]
        );
        let old: Vec<_> = expected("example.com/m", &pkgs[..1], &m, "1.16")
            .into_iter()
            .collect();
        assert!(
            old.contains(&"go.mod".to_string()) && old.contains(&"testdata/x".to_string()),
            "{old:?}"
        );
    }

    #[test]
    fn a_long_line_is_cut_not_held() {
        let long = "x".repeat(3 * MAX_LINE as usize);
        let src = format!("package a\n{long}//go:embed hidden\n//go:embed a.txt\nvar b string\n");
        let go = GoFile::scan(&mut src.as_bytes()).expect("reading from memory");
        assert_eq!(go.embeds, ["a.txt"]);
    }

    proptest::proptest! {
        #[test]
        fn one_pass_scan_agrees_with_the_parsers(src in "((//go:build|// \\+build|//go:embed|package|) ?[a-z!&|() ]{0,12}\n){0,6}") {
            let go = GoFile::scan(&mut src.as_bytes()).expect("reading from memory");
            let vendored = constraint::vendors_go_file(src.as_bytes());
            let embeds = if vendored { embed::patterns(src.as_bytes()) } else { Vec::new() };
            proptest::prop_assert_eq!(go, GoFile { vendored, embeds });
        }
    }

    #[test]
    fn go_versions_compare_by_major_and_minor() {
        assert!(go_at_least("1.22.3", (1, 22)));
        assert!(go_at_least("1.23rc1", (1, 22)));
        assert!(!go_at_least("1.16", (1, 17)));
        assert!(go_at_least("2.0", (1, 17)));
    }
}
