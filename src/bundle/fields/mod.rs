//! Field rules for a signed manifest: a signature says who made a bundle, not
//! that its fields are sane. Each field is held to its owner's rule (Go's in
//! `gomod`, the build's in `build`, a registry's in `image`, the bundle's here).

use std::fmt;

use serde::Serialize;

#[cfg(test)]
use super::manifest::MainPackage;
use super::manifest::{Base, Build, Entry, Image, MainModule, Manifest, Module, ModuleReplace};
use crate::gomod::module_rules::package_of;
use crate::text::invisible_format;

mod entries;
mod tars;

pub use crate::build::inputs::{
    binary_clash, binary_name, build_tag, ldflags, main_package, plain_file_name,
};
pub use crate::gomod::module_rules::{
    go_version, h1, import_path, local_replacement, local_replacement_below, main_module_path,
    module_path, path_major, toolchain, version,
};
pub use crate::image::grammar::{image_digest, image_reference, image_tag, sha256_hex};
pub use entries::{entry_mode, entry_path, file_vs_folder, image_entry};

/// One manifest field that breaks its owner's rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    /// Where, as `build.binary`, `modules[3].path` or `entries[12].path`.
    pub field: String,
    /// The offending value, clipped to [`MAX_SHOWN`] bytes.
    pub value: String,
    /// The rule it breaks, as a sentence.
    pub rule: String,
}

/// A hostile value may be megabytes long; a report needs only its start.
pub const MAX_SHOWN: usize = 200;

impl FieldProblem {
    fn new(field: String, value: &str, rule: String) -> FieldProblem {
        FieldProblem {
            field,
            value: clip(value),
            rule,
        }
    }
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "manifest field {} = {:?}: {}",
            self.field, self.value, self.rule
        )
    }
}

fn clip(value: &str) -> String {
    if value.len() <= MAX_SHOWN {
        return value.to_string();
    }
    let mut end = MAX_SHOWN;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &value[..end])
}

/// A string rule: Ok, or the rule the value breaks.
pub type Rule = fn(&str) -> Result<(), String>;

/// Every single-string rule by name, for callers that check flags and for fuzzing.
pub const STRING_RULES: [(&str, Rule); 21] = [
    ("module_path", module_path),
    ("import_path", import_path),
    ("main_module_path", main_module_path),
    ("version", version),
    ("go_version", go_version),
    ("toolchain", toolchain),
    ("main_version", main_version),
    ("h1", h1),
    ("local_replacement", local_replacement),
    ("src_folder", src_folder),
    ("binary_name", binary_name),
    ("plain_file_name", plain_file_name),
    ("main_package", main_package),
    ("build_tag", build_tag),
    ("ldflags", ldflags),
    ("image_reference", image_reference),
    ("image_tag", image_tag),
    ("image_digest", image_digest),
    ("image_entry", image_entry),
    ("entry_path", entry_path),
    ("sha256_hex", sha256_hex),
];

/// Every problem in `m`, in field order (entries by index).
pub fn check(m: &Manifest) -> Vec<FieldProblem> {
    let mut out = Vec::new();
    main_module(&m.module, &mut out);
    build(&m.build, &mut out);
    let root = m.module.layout.vendor_root();
    for (i, module) in m.modules.iter().enumerate() {
        module_fields(i, module, root, &mut out);
    }
    for (i, image) in m.images.iter().enumerate() {
        image_fields(i, image, &mut out);
    }
    out.extend(entry_fields(&m.entries));
    if let Some(base) = &m.base {
        base_fields(m, base, &mut out);
    }
    out
}

/// A delta's base: named as a main module and a manifest hash are, and
/// taking from it only entries the manifest lists, each once.
fn base_fields(m: &Manifest, base: &Base, out: &mut Vec<FieldProblem>) {
    let sha = &base.manifest_sha256;
    add(out, "base.manifest_sha256", sha, sha256_hex(sha));
    add(
        out,
        "base.module",
        &base.module,
        main_module_path(&base.module),
    );
    add(
        out,
        "base.version",
        &base.version,
        main_version(&base.version),
    );
    for (i, path) in base.from_base.iter().enumerate() {
        let sorted = i == 0 || base.from_base[i - 1] < *path;
        let listed = m.entry(path).is_some();
        let rule = match (listed, sorted) {
            (false, _) => Err("names no entry of this manifest: a delta takes from its base only entries it lists".to_string()),
            (true, false) => Err("from_base is sorted and names each entry once".to_string()),
            (true, true) => Ok(()),
        };
        add(out, format!("base.from_base[{i}]"), path, rule);
    }
    tars::check(m, base, out);
}

fn add(out: &mut Vec<FieldProblem>, field: impl Into<String>, value: &str, r: Result<(), String>) {
    if let Err(rule) = r {
        out.push(FieldProblem::new(field.into(), value, rule));
    }
}

fn main_module(m: &MainModule, out: &mut Vec<FieldProblem>) {
    add(out, "module.path", &m.path, main_module_path(&m.path));
    add(out, "module.version", &m.version, main_version(&m.version));
    if let Some(go) = &m.go {
        add(out, "module.go", go, go_version(go));
    }
    if let Some(t) = &m.toolchain {
        add(out, "module.toolchain", t, toolchain(t));
    }
    layout(&m.layout, out);
}

/// Where the module and its workspace sit below `src/`: plain folders, and
/// module paths Go accepts, since they reach paths and Dockerfile lines.
fn layout(l: &crate::source::Layout, out: &mut Vec<FieldProblem>) {
    if !l.module_dir.is_empty() {
        add(
            out,
            "module.module_dir",
            &l.module_dir,
            src_folder(&l.module_dir),
        );
    }
    let Some(ws) = &l.workspace else {
        return;
    };
    if !ws.dir.is_empty() {
        add(out, "module.workspace.dir", &ws.dir, src_folder(&ws.dir));
    }
    for (i, m) in ws.modules.iter().enumerate() {
        let at = |f: &str| format!("module.workspace.modules[{i}].{f}");
        add(out, at("path"), &m.path, module_path(&m.path));
        if !m.dir.is_empty() {
            add(out, at("dir"), &m.dir, src_folder(&m.dir));
        }
    }
}

/// A folder below `src/`: `/`-separated plain names (no `.`, `..`, empty
/// part, backslash or control character), none a version-control folder.
pub fn src_folder(dir: &str) -> Result<(), String> {
    let plain = |p: &str| {
        !p.is_empty()
            && p != "."
            && p != ".."
            && !p.contains('\\')
            && !p.chars().any(char::is_control)
    };
    if !dir.split('/').all(plain) {
        return Err("a folder below src/ is plain relative names joined by /".into());
    }
    entry_path(&format!("src/{dir}/x"))
}

fn build(b: &Build, out: &mut Vec<FieldProblem>) {
    for (i, m) in b.mains.iter().enumerate() {
        // Named as ferry.json spells them: one binary is build.main and build.binary.
        let (package, binary) = match b.mains.len() {
            1 => ("build.main".to_string(), "build.binary".to_string()),
            _ => (
                format!("build.mains[{i}].package"),
                format!("build.mains[{i}].binary"),
            ),
        };
        add(out, package, &m.package, main_package(&m.package));
        add(out, &binary, &m.binary, binary_name(&m.binary));
        if let Some(why) = b.mains[..i]
            .iter()
            .find_map(|e| binary_clash(&e.binary, &m.binary))
        {
            let rule = format!("two main packages would write the same file: {why}");
            add(out, binary, &m.binary, Err(rule));
        }
    }
    for (i, tag) in b.tags.iter().enumerate() {
        add(out, format!("build.tags[{i}]"), tag, build_tag(tag));
    }
    add(out, "build.ldflags", &b.ldflags, ldflags(&b.ldflags));
}

fn module_fields(i: usize, m: &Module, root: &str, out: &mut Vec<FieldProblem>) {
    let at = |f: &str| format!("modules[{i}].{f}");
    add(out, at("path"), &m.path, module_path(&m.path));
    add(
        out,
        at("version"),
        &m.version,
        versioned(&m.path, &m.version),
    );
    if let Some(r) = &m.replace {
        replacement(i, r, root, out);
    }
    for (name, h) in [("h1", &m.h1), ("go_mod_h1", &m.go_mod_h1)] {
        if let Some(h) = h {
            add(out, at(name), h, h1(h));
        }
    }
    if let Some(go) = &m.go {
        add(out, at("go"), go, go_version(go));
    }
    for (j, pkg) in m.packages.iter().enumerate() {
        let field = format!("modules[{i}].packages[{j}]");
        add(out, field, pkg, package_of(&m.path, pkg));
    }
}

fn replacement(i: usize, r: &ModuleReplace, root: &str, out: &mut Vec<FieldProblem>) {
    let path = format!("modules[{i}].replace.path");
    match &r.version {
        Some(v) => {
            add(out, path, &r.path, module_path(&r.path));
            let field = format!("modules[{i}].replace.version");
            add(out, field, v, versioned(&r.path, v));
        }
        None => add(out, path, &r.path, local_replacement_below(root, &r.path)),
    }
}

/// A version, and when both are well-formed, that it fits the path's major suffix.
fn versioned(path: &str, v: &str) -> Result<(), String> {
    match module_path(path) {
        Ok(()) => path_major(path, v),
        Err(_) => version(v),
    }
}

fn image_fields(i: usize, img: &Image, out: &mut Vec<FieldProblem>) {
    let at = |f: &str| format!("images[{i}].{f}");
    add(
        out,
        at("reference"),
        &img.reference,
        image_reference(&img.reference),
    );
    add(out, at("tag"), &img.tag, image_tag(&img.tag));
    add(out, at("digest"), &img.digest, image_digest(&img.digest));
    add(out, at("entry"), &img.entry, image_entry(&img.entry));
    // The builder's platform becomes ferry build's GOOS and GOARCH.
    let platform = crate::image::manifest::Platform::parse(&img.platform);
    add(
        out,
        at("platform"),
        &img.platform,
        platform.map(|_| ()).map_err(|e| e.to_string()),
    );
}

/// Per-entry rules, then duplicates and file/folder clashes, merged by index.
fn entry_fields(list: &[Entry]) -> Vec<FieldProblem> {
    let mut found: Vec<(usize, FieldProblem)> = Vec::new();
    for (i, e) in list.iter().enumerate() {
        // Field names and values are spelled out only for a broken rule:
        // a manifest lists thousands of entries.
        let mut refuse = |field: &str, value: &str, rule: String| {
            let field = format!("entries[{i}].{field}");
            found.push((i, FieldProblem::new(field, value, rule)));
        };
        if let Err(rule) = entry_path(&e.path) {
            refuse("path", &e.path, rule);
        }
        if let Err(rule) = sha256_hex(&e.sha256) {
            refuse("sha256", &e.sha256, rule);
        }
        if let Err(rule) = entry_mode(e.mode) {
            refuse("mode", &format!("{:04o}", e.mode), rule);
        }
    }
    let paths: Vec<&str> = list.iter().map(|e| e.path.as_str()).collect();
    for (i, rule) in file_vs_folder(&paths) {
        let field = format!("entries[{i}].path");
        found.push((i, FieldProblem::new(field, &list[i].path, rule)));
    }
    // Stable: within one entry, its own fields stay before the clashes.
    found.sort_by_key(|(i, _)| *i);
    found.into_iter().map(|(_, p)| p).collect()
}

/// The main module's version from `git describe`: one printable word. It is
/// ferry's own field (Go never reads it), so its rule lives here.
pub fn main_version(v: &str) -> Result<(), String> {
    const MAX: usize = 128;
    if v.is_empty() || v.len() > MAX || v.starts_with('-') || !v.chars().all(visible) {
        return Err(format!(
            "a version is 1 to {MAX} bytes of visible characters, no whitespace, not starting with '-'"
        ));
    }
    Ok(())
}

/// Neither control, whitespace, nor the format characters (bidi overrides,
/// zero-width) that make text read differently than it compares.
fn visible(c: char) -> bool {
    !c.is_control() && !c.is_whitespace() && !invisible_format(c)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::bundle::manifest::{BuildMode, Tool};
    use crate::testutil::{bad, ok};

    #[test]
    fn layout_folders_are_plain_folders_below_src() {
        ok(src_folder, &["service", "services/api", "a.b/c-d"]);
        bad(
            src_folder,
            &[
                "", "..", "../x", "a/../b", "a//b", "./a", "/abs", "a\\b", ".git", "a/.hg", "a\nb",
            ],
        );
        let below = |root: &'static str| move |p: &str| local_replacement_below(root, p);
        assert!(below("service")("../shared").is_ok());
        assert!(below("a/b")("../../x").is_ok());
        assert!(below("")("../shared").is_err());
        assert!(below("service")("../../x").is_err());
        assert!(below("service")("shared").is_err());
    }

    #[test]
    fn main_module_versions() {
        ok(
            main_version,
            &[
                "d9046ca-dirty",
                "unversioned",
                "v1.2.3-4-gabcdef0",
                "v1.0-β",
            ],
        );
        let long = "x".repeat(129);
        bad(
            main_version,
            &[
                "",
                "-x",
                "a b",
                "a\nb",
                "a\tb",
                "a\u{202e}b",
                "a\u{200b}b",
                &long,
            ],
        );
    }

    pub(crate) fn sample() -> Manifest {
        let hash = "ab".repeat(32);
        let entry = |path: &str, mode: u32| Entry {
            path: path.into(),
            sha256: hash.clone(),
            size: 1,
            mode,
        };
        Manifest {
            format: crate::bundle::manifest::FORMAT.into(),
            tool: Tool {
                name: "ferry".into(),
                version: "0.1.0".into(),
            },
            created: "1980-01-01T00:00:00Z".into(),
            module: MainModule {
                path: "example.com/hello".into(),
                version: "d9046ca-dirty".into(),
                go: Some("1.21".into()),
                toolchain: Some("go1.21.3".into()),
                layout: Default::default(),
            },
            go_version: "go1.26.8".into(),
            build: Build {
                mode: BuildMode::Vendor,
                mains: vec![MainPackage {
                    package: "./cmd/hello".into(),
                    binary: "hello".into(),
                }],
                tags: vec!["netgo".into()],
                ldflags: "-X main.version=1.0".into(),
                cgo: false,
                checked: false,
                checked_with: None,
            },
            modules: vec![Module {
                path: "example.com/strutil".into(),
                version: "v1.0.0".into(),
                replace: Some(ModuleReplace {
                    path: "./third_party/strutil".into(),
                    version: None,
                }),
                h1: None,
                go_mod_h1: Some("h1:D6ThgbjyonH0CWIa8Up4jUk38/W3vspG7lJVzCse+tA=".into()),
                explicit: true,
                go: Some("1.21".into()),
                packages: vec!["example.com/strutil".into()],
            }],
            images: vec![Image {
                reference: "docker.io/library/golang:1.26".into(),
                tag: "golang:1.26".into(),
                digest: format!("sha256:{hash}"),
                platform: "linux/amd64".into(),
                role: crate::image::Role::Builder,
                entry: "images/golang_1.26.tar".into(),
            }],
            base: None,
            entries: vec![
                entry("Dockerfile", 0o644),
                entry("images/golang_1.26.tar", 0o644),
                entry("src/main.go", 0o644),
                entry("src/run.sh", 0o755),
            ],
        }
    }

    #[test]
    fn a_sane_manifest_has_no_problems() {
        assert_eq!(check(&sample()), []);
        let seed = include_bytes!("../../../fuzz/seeds/manifest/hello.json");
        assert_eq!(check(&Manifest::from_bytes(seed).unwrap()), []);
    }

    #[test]
    fn an_image_platform_that_is_not_os_arch_is_refused() {
        let mut m = sample();
        m.images[0].platform = "linux/amd64\nGOFLAGS=-x".into();
        let fields: Vec<String> = check(&m).into_iter().map(|p| p.field).collect();
        assert_eq!(fields, ["images[0].platform"]);
        m.images[0].platform = "linux/arm64/v8".into();
        assert_eq!(check(&m), []);
    }

    #[test]
    fn the_hostile_seed_breaks_each_rule_it_aims_at() {
        let seed = include_bytes!("../../../fuzz/seeds/manifest_fields/hostile.json");
        let fields: Vec<String> = check(&Manifest::from_bytes(seed).unwrap())
            .into_iter()
            .map(|p| p.field)
            .collect();
        let last = "entries[13].path".to_string();
        for want in [
            "module.path",
            "module.version",
            "module.go",
            "module.toolchain",
            "build.main",
            "build.binary",
            "build.tags[0]",
            "build.ldflags",
            "modules[0].version",
            "modules[0].replace.path",
            "modules[0].go",
            "modules[0].packages[0]",
            "images[0].reference",
            "images[0].tag",
            "images[0].digest",
            "images[0].entry",
            "entries[0].path",
            "entries[13].mode",
            &last,
        ] {
            assert!(fields.iter().any(|f| f == want), "{want} not in {fields:?}");
        }
    }

    #[test]
    fn problems_come_in_field_order() {
        let mut m = sample();
        m.entries[3].path = "src/main.go/x".into();
        m.entries[1].mode = 0o4755;
        m.modules[0].replace = Some(ModuleReplace {
            path: "../../etc".into(),
            version: None,
        });
        m.build.mains[0].binary = "../x".into();
        m.build.ldflags = "-extld=/bin/sh".into();
        m.module.path = "-m".into();
        let fields: Vec<String> = check(&m).into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [
                "module.path",
                "build.binary",
                "build.ldflags",
                "modules[0].replace.path",
                "entries[1].mode",
                "entries[3].path",
            ]
        );
    }

    #[test]
    fn every_binary_of_several_is_held_to_the_rules_and_named_once() {
        let mut m = sample();
        m.build.mains = [
            ("./cmd/a", "a"),
            ("../b", "b"),
            ("./cmd/x/a", "a"),
            ("./c", "c d"),
        ]
        .map(|(package, binary)| MainPackage {
            package: package.into(),
            binary: binary.into(),
        })
        .to_vec();
        let found: Vec<String> = check(&m).into_iter().map(|p| p.field).collect();
        assert_eq!(
            found,
            [
                "build.mains[1].package",
                "build.mains[2].binary",
                "build.mains[3].binary",
            ]
        );
    }

    #[test]
    fn problems_read_as_one_line_with_the_value_clipped() {
        let mut m = sample();
        m.build.mains[0].binary = "../x".into();
        let p = &check(&m)[0];
        assert!(
            p.to_string()
                .starts_with(r#"manifest field build.binary = "../x": "#),
            "{p}"
        );
        m.build.mains[0].binary = "é".repeat(500);
        let p = &check(&m)[0];
        assert!(p.value.len() <= MAX_SHOWN + '…'.len_utf8() && p.value.ends_with('…'));
    }

    proptest::proptest! {
        #[test]
        fn check_never_panics(
            s in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::prelude::any::<String>(),
                    "[a-zA-Z0-9./@:_~+\\-\\[\\] '\"=]{0,24}",
                    "(v[0-9]{1,2}\\.[0-9]\\.[0-9](-[a-z0-9.]{0,6})?(\\+incompatible)?|1\\.[0-9]{1,2}(rc1)?|go1\\.2[0-9](\\.[0-9])?|\\.|\\.\\.|/|-)",
                ],
                22,
            ),
            mode in proptest::prelude::any::<u32>(),
            versioned in proptest::prelude::any::<bool>(),
        ) {
            let mut m = sample();
            m.module = MainModule { path: s[0].clone(), version: s[1].clone(), go: Some(s[2].clone()), toolchain: Some(s[3].clone()), layout: Default::default() };
            m.build.mains[0].package = s[4].clone();
            m.build.mains[0].binary = s[5].clone();
            m.build.tags = vec![s[6].clone()];
            m.build.ldflags = s[7].clone();
            let module = &mut m.modules[0];
            module.path = s[8].clone();
            module.version = s[9].clone();
            module.replace = Some(ModuleReplace { path: s[10].clone(), version: versioned.then(|| s[11].clone()) });
            module.h1 = Some(s[12].clone());
            module.go = Some(s[13].clone());
            module.packages = vec![s[14].clone()];
            let image = &mut m.images[0];
            image.reference = s[15].clone();
            image.tag = s[16].clone();
            image.digest = s[17].clone();
            image.entry = s[19].clone();
            m.entries[0].path = s[20].clone();
            m.entries[1].path = s[21].clone();
            m.entries[0].sha256 = s[20].clone();
            m.entries[2].mode = mode;
            let problems = check(&m);
            for p in &problems {
                proptest::prop_assert!(!p.rule.is_empty() && p.value.len() <= MAX_SHOWN + 3);
            }
            let _ = path_major(&s[8], &s[9]);
        }
    }
}
