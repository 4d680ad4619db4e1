//! Which files of a module `go mod vendor` copies, as cmd/go decides: every
//! regular file directly in a vendored package's folder except tests (and
//! go.mod/go.sum from Go 1.17), minus .go files whose build constraints need
//! the `ignore` tag; metadata files (LICENSE…, by capitalised prefix) from the
//! folders above it up to the module root; and the files selected by the
//! `//go:embed` patterns of the package's files as go/build lists them (every
//! .go file whatever its constraints, but none named `_…` or `.…`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{self, BufRead};
use std::ops::Bound;

use super::constraint::Header;
use super::embed;
use super::gosyntax::GoReader;

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
/// keep it, and the `//go:embed` patterns go/build records for it (whatever
/// its constraints: Go reads the package with `UseAllFiles`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoFile {
    pub vendored: bool,
    pub embeds: Vec<String>,
}

impl GoFile {
    /// Reads a .go file once, holding at most one header line and one
    /// `//go:embed` comment (each cut at 64 KiB) at a time.
    pub fn scan(source: &mut dyn BufRead) -> io::Result<GoFile> {
        let mut scan = Scan::default();
        loop {
            let chunk = source.fill_buf()?;
            if chunk.is_empty() {
                return Ok(scan.finish());
            }
            let n = chunk.len();
            scan.feed(chunk);
            source.consume(n);
        }
    }
}

/// Header lines are short: of a longer one only the start is kept (and the
/// file then counts as copied), so that a file with no newline is never held whole.
const MAX_LINE: usize = 64 << 10;

const BOM: &[u8] = b"\xef\xbb\xbf";

/// One pass over a .go file: its header line by line, all of it token by token.
struct Scan {
    /// The first bytes, held until they show whether the file starts with a
    /// byte order mark, which Go's readers drop.
    lead: Option<Vec<u8>>,
    line: Vec<u8>,
    cut: bool,
    header: Header,
    reader: GoReader,
    nul: bool,
}

impl Default for Scan {
    fn default() -> Self {
        Scan {
            lead: Some(Vec::new()),
            line: Vec::new(),
            cut: false,
            header: Header::new(),
            reader: GoReader::default(),
            nul: false,
        }
    }
}

impl Scan {
    fn feed(&mut self, mut chunk: &[u8]) {
        if let Some(lead) = &mut self.lead {
            let take = (BOM.len() - lead.len()).min(chunk.len());
            lead.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
            if lead.len() < BOM.len() {
                return;
            }
            self.end_lead();
        }
        self.bytes(chunk);
    }

    fn end_lead(&mut self) {
        if let Some(lead) = self.lead.take().filter(|l| l != BOM) {
            self.bytes(&lead);
        }
    }

    fn bytes(&mut self, bytes: &[u8]) {
        // Go's import reader fails on a NUL, and then vendor copies the file;
        // a NUL anywhere counts so (Go source never holds one).
        self.nul |= bytes.contains(&0);
        self.reader.feed(bytes);
        let mut rest = bytes;
        while !self.header.is_done() && !rest.is_empty() {
            let (part, newline) = match rest.iter().position(|&b| b == b'\n') {
                Some(i) => (&rest[..i], true),
                None => (rest, false),
            };
            let room = MAX_LINE - self.line.len();
            self.cut |= part.len() > room;
            self.line.extend_from_slice(&part[..part.len().min(room)]);
            rest = &rest[(part.len() + usize::from(newline)).min(rest.len())..];
            if newline {
                self.header.line(&self.line, self.cut);
                self.line.clear();
                self.cut = false;
            }
        }
    }

    fn finish(mut self) -> GoFile {
        self.end_lead();
        if !self.line.is_empty() {
            self.header.line(&self.line, self.cut);
        }
        GoFile {
            vendored: self.nul || self.header.vendors(),
            embeds: embed::recorded(self.reader),
        }
    }
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
    let meta = metadata_by_dir(files);
    let mut out = BTreeSet::new();
    for pkg in packages {
        let Some(dir) = package_dir(module_path, pkg) else {
            continue;
        };
        let mut patterns = Vec::new();
        for (rel, f) in files_in(dir, files) {
            let name = split(rel).1;
            let is_test = name.ends_with("_test.go");
            let go = f.go.as_ref().filter(|_| name.ends_with(".go"));
            // go/build skips files named _… or .… (vendor still copies them).
            let in_package = !name.starts_with(['_', '.']);
            if let Some(go) = go.filter(|_| in_package && (!is_test || test_embeds)) {
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
        add_metadata(dir, &meta, &mut out);
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

/// The module's metadata files (LICENSE, NOTICE, …) by folder, gathered
/// once for all its packages.
fn metadata_by_dir(files: &BTreeMap<String, ModuleFile>) -> HashMap<&str, Vec<&String>> {
    let mut by_dir: HashMap<&str, Vec<&String>> = HashMap::new();
    for rel in files.keys() {
        let (dir, name) = split(rel);
        if META_PREFIXES.iter().any(|p| name.starts_with(p)) {
            by_dir.entry(dir).or_default().push(rel);
        }
    }
    by_dir
}

/// The metadata files of every folder above `dir`, up to the module root.
fn add_metadata(dir: &str, meta: &HashMap<&str, Vec<&String>>, out: &mut BTreeSet<String>) {
    let mut parent = dir;
    while !parent.is_empty() {
        parent = split(parent).0;
        for rel in meta.get(parent).into_iter().flatten() {
            out.insert((*rel).clone());
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
    let prefix = folder_prefix(dir);
    let below =
        below(prefix.clone(), files).filter_map(|(rel, _)| rel.strip_prefix(prefix.as_str()));
    for f in embed::select(patterns, below) {
        out.insert(format!("{prefix}{f}"));
    }
}

/// `dir/`, or nothing for the module root.
fn folder_prefix(dir: &str) -> String {
    if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    }
}

/// The files whose path starts with `prefix`, found in the sorted map
/// rather than by a walk over all of a module's files for each package.
fn below(
    prefix: String,
    files: &BTreeMap<String, ModuleFile>,
) -> impl Iterator<Item = (&String, &ModuleFile)> + Clone {
    files
        .range::<str, _>((Bound::Included(prefix.as_str()), Bound::Unbounded))
        .take_while(move |(rel, _)| rel.starts_with(prefix.as_str()))
}

/// The files directly in folder `dir` (`""` for the module root).
fn files_in<'a>(
    dir: &'a str,
    files: &'a BTreeMap<String, ModuleFile>,
) -> impl Iterator<Item = (&'a String, &'a ModuleFile)> {
    below(folder_prefix(dir), files).filter(move |(rel, _)| split(rel).0 == dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gomod::constraint;

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
                "package a\nimport \"embed\"\n//go:embed banner.txt static\nvar b embed.FS\n",
            ),
            (
                "a_test.go",
                "package a\nimport _ \"embed\"\n//go:embed testdata/x\n",
            ),
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

    fn scan(src: &str) -> GoFile {
        GoFile::scan(&mut src.as_bytes()).expect("reading from memory")
    }

    /// (source, copied?, embeds): what `go mod vendor` does with one file.
    const FILES: &[(&str, bool, &[&str])] = &[
        (
            "// Copyright 2020 The Authors.\n\n// +build ignore\npackage sec\n",
            true,
            &[],
        ),
        ("//go:build-x\n\npackage a\n", true, &[]),
        ("// +buildignore\n\npackage a\n", true, &[]),
        ("//+build ignore\n\npackage a\n", false, &[]),
        ("//go:build a\n//go:build b\n\npackage a\n", false, &[]),
        ("/* x */\n//go:build ignore\npackage a\n", false, &[]),
        ("\u{feff}//go:build ignore\n\npackage a\n", false, &[]),
        ("package a\n//go:embed x\nvar x string\n", true, &[]),
        (
            "package a\nimport \"embed\"\n//go:embed x\nvar x embed.FS\n",
            true,
            &["x"],
        ),
        (
            "//go:build ignore\n\npackage a\nimport _ \"embed\"\n//go:embed x\nvar x string\n",
            false,
            &["x"],
        ),
        (
            "package a\nimport _ \"embed\"\nvar s = `\n//go:embed raw\n`\nvar x = 1 //go:embed y\n",
            true,
            &["y"],
        ),
    ];

    #[test]
    fn reads_each_file_as_go_does() {
        for (src, vendored, embeds) in FILES {
            let want = GoFile {
                vendored: *vendored,
                embeds: embeds.iter().map(|e| e.to_string()).collect(),
            };
            assert_eq!(scan(src), want, "{src:?}");
        }
    }

    #[test]
    fn embeds_of_files_go_build_skips_do_not_count() {
        let body = "package a\nimport \"embed\"\n//go:embed e\nvar x embed.FS\n";
        let m = files(&[
            ("_a.go", body),
            (".b.go", body),
            ("c.go", "package a\n"),
            ("e/f", ""),
        ]);
        let got = expected("example.com/m", &["example.com/m".to_string()], &m, "1.22");
        assert_eq!(
            got.into_iter().collect::<Vec<_>>(),
            [".b.go", "_a.go", "c.go"]
        );
    }

    #[test]
    fn a_long_line_is_cut_not_held() {
        let long = "x".repeat(3 * MAX_LINE);
        let src = format!(
            "package a\nimport \"embed\"\n{long}//go:embed after\n//go:embed a.txt\nvar b string\n"
        );
        assert_eq!(scan(&src).embeds, ["after", "a.txt"]);
        let header = format!("//{long}\n// +build ignore\n\npackage a\n");
        assert!(scan(&header).vendored, "a cut header line counts as copied");
        let comment = format!("package a\nimport \"embed\"\n//go:embed a {long}\n");
        assert_eq!(scan(&comment).embeds.len(), 2);
    }

    proptest::proptest! {
        #[test]
        fn one_pass_scan_agrees_with_the_parsers(
            src in "(\u{feff}?)((//go:build|// \\+build|//go:embed|/\\*|\\*/|package|import|\"|`) ?[a-z!&|()\"` ]{0,12}\n){0,6}",
            capacity in 1usize..8,
        ) {
            let mut reader = io::BufReader::with_capacity(capacity, src.as_bytes());
            let go = GoFile::scan(&mut reader).expect("reading from memory");
            let vendored = constraint::vendors_go_file(src.as_bytes());
            let embeds = embed::patterns(src.as_bytes());
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
