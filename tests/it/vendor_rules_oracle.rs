//! ferry's file rules against the real `go mod vendor`, offline: a module of
//! one .go file per header or embed case (replaced by a local folder at a
//! version, so Go vendors it as a dependency), vendored by `go`, and the files
//! it copied compared with `vendor_rules::expected` over the same files.
//! Cases on which `go mod vendor` stops (go/build refuses the file) are
//! vendored one at a time: the failure is asserted, and where Go copied the
//! package folder before it stopped, the copy decision is still compared.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use ferry::gomod::{modzip, vendor_rules};

use crate::common::Sandbox;

const MODULE: &str = "example.com/hdr";

/// (file name, source): `e/<stem>.txt` exists for every case, so a case's
/// embed target is copied exactly when Go counts its `//go:embed` line.
const CASES: &[(&str, &str)] = &[
    ("a.go", "package hdr\n"),
    // The security review's cases.
    (
        "c01.go",
        "// Copyright 2020 The Authors.\n\n// +build ignore\npackage hdr\n",
    ),
    ("c02.go", "//go:build-x ignore\n\npackage hdr\n"),
    ("c03.go", "// +buildignore\n\npackage hdr\n"),
    ("c04.go", "//+build ignore\n\npackage hdr\n"),
    ("c05.go", "// +build foo-bar\n\npackage hdr\n"),
    ("c06.go", "// +build !foo-bar\n\npackage hdr\n"),
    ("c07.go", "/* note */\n//go:build ignore\npackage hdr\n"),
    ("c08.go", "\u{feff}//go:build ignore\n\npackage hdr\n"),
    ("c09.go", "//go:build\u{a0}ignore\u{3000}\n\npackage hdr\n"),
    ("c10.go", "// +build !!linux\n\npackage hdr\n"),
    ("c11.go", "// +build\n\npackage hdr\n"),
    ("c12.go", "/* c */\n\n// +build ignore\n\npackage hdr\n"),
    ("c13.go", "//go:build ignore\r\n\r\npackage hdr\r\n"),
    ("c14.go", "//go:build ignore\npackage hdr\n"),
    ("c15.go", "//go:build é && !ignore\n\npackage hdr\n"),
    ("c16.go", "// +build linux,ignore darwin\n\npackage hdr\n"),
    (
        "c17.go",
        "//go:build linux\n// +build ignore\n\npackage hdr\n",
    ),
    ("c18.go", "/*\n//go:build ignore\n*/\npackage hdr\n"),
    ("c19.go", "// +build ignore\n\n/* */\n\npackage hdr\n"),
    (
        "c20.go",
        "// +build linux\n// +build ignore\n\npackage hdr\n",
    ),
    (
        "c21.go",
        "//go:build ((linux) || (ignore && darwin))\n\npackage hdr\n",
    ),
    ("c22.go", "// +build !ignore\n\npackage hdr\n"),
    (
        "c23.go",
        "// a\n// +build ignore\n// b\n\n// doc\npackage hdr\n",
    ),
    (
        "c24.go",
        "// +build ignore\n\n// +build linux\npackage hdr\n",
    ),
    (
        "c25.go",
        "/* a */ /* b\n*/ //go:build ignore\npackage hdr\n",
    ),
    // Embeds: go/build reads them only in files that import "embed", named
    // neither _… nor .…, of a package other than documentation.
    (
        "m01.go",
        "package hdr\n\n//go:embed e/m01.txt\nvar m01 string\n",
    ),
    (
        "m02.go",
        "package hdr\n\nimport \"embed\"\n\n//go:embed e/m02.txt\nvar m02 embed.FS\n",
    ),
    (
        "m03.go",
        "package hdr\n\nimport (\n\t\"fmt\" // f\n\t/* x */ _ \"embed\"\n)\n\n//go:embed e/m03.txt\nvar m03 string\n",
    ),
    (
        "m04.go",
        "//go:build ignore\n\npackage hdr\n\nimport _ \"embed\"\n\n//go:embed e/m04.txt\nvar m04 string\n",
    ),
    (
        "m05.go",
        "package hdr\n\nimport _ \"embed\"\n\nvar s = `\n//go:embed e/m05a.txt\n`\nvar t = 1 //go:embed e/m05b.txt\n",
    ),
    (
        "_m06.go",
        "package hdr\n\nimport _ \"embed\"\n\n//go:embed e/m06.txt\nvar m06 string\n",
    ),
    (
        ".m07.go",
        "package hdr\n\nimport _ \"embed\"\n\n//go:embed e/m07.txt\nvar m07 string\n",
    ),
    (
        "m08.go",
        "package documentation\n\nimport _ \"embed\"\n\n//go:embed e/m08.txt\nvar m08 string\n",
    ),
    (
        "m09_test.go",
        "package hdr\n\nimport _ \"embed\"\n\n//go:embed e/m09.txt\nvar m09 string\n",
    ),
    (
        "m10.go",
        "package hdr\n\nimport e \"\\x65mbed\"\n\n//go:embed e/m10.txt\nvar m10 e.FS\n",
    ),
    (
        "m11.go",
        "package hdr\n\nimport _ \"embed\"\n\n//go:embed \"e/m11a.txt\" `e/m11b.txt`\nvar m11 string\n",
    ),
    (
        "m12.go",
        "package hdr\n\nimport _ \"embed\"\n\n//go:embed \"e/m12a.txt\"x\n//go:embed e/m12b.txt\nvar m12 string\n",
    ),
    (
        "m13.go",
        "package hdr\n\nvar m13 = 1\n\nimport _ \"embed\"\n\n//go:embed e/m13.txt\nvar m13b string\n",
    ),
    (
        "m14.go",
        "package hdr\n\nimport _ \"embed\"\n\n/* //go:embed e/m14a.txt */\n//go:embedded e/m14b.txt\nvar m14 string\n",
    ),
    (
        "m15.go",
        "package hdr\n\nimport _ \"embed\"\n\n//go:embed\u{a0}e/m15.txt\nvar m15 string\n",
    ),
    (
        "m16.go",
        "// +build ignore\n\npackage hdr\n\nimport (\n\t\"embed\"\n)\n\n//go:embed e/m16.txt\nvar m16 embed.FS\n",
    ),
    (
        "m17.go",
        "package hdr; import _ \"embed\"; var x = '\"' //go:embed e/m17.txt\n",
    ),
];

/// Files on which go/build fails, so that `go mod vendor` stops (after
/// copying the package folder): each is vendored alone with `a.go`.
const FATAL: &[(&str, &str)] = &[
    (
        "f01.go",
        "//go:build linux\n//go:build darwin\n\npackage hdr\n",
    ),
    ("f02.go", "//go:build linux &&\n\npackage hdr\n"),
    ("f03.go", "//go:build !!linux\n\npackage hdr\n"),
    ("f04.go", "package hdr\n\nimport \"embed\n"),
    ("f05.go", "// \0\n// +build ignore\n\npackage hdr\n"),
    ("f06.go", "// +build ignore\n\n"),
    ("f07.go", "\u{a0}//go:build ignore\n\npackage hdr\n"),
];

fn write(root: &Path, rel: &str, body: &[u8]) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, body).unwrap();
}

/// The dependency's folder and a main module that imports its package.
fn layout(sb: &Sandbox, cases: &[(&str, &str)]) {
    let dep = sb.path("hdr");
    write(
        &dep,
        "go.mod",
        format!("module {MODULE}\n\ngo 1.22\n").as_bytes(),
    );
    for (name, body) in cases {
        write(&dep, name, body.as_bytes());
        let stem = name
            .trim_start_matches(['_', '.'])
            .split(['.', '_'])
            .next()
            .unwrap();
        for suffix in ["", "a", "b"] {
            write(&dep, &format!("e/{stem}{suffix}.txt"), stem.as_bytes());
        }
    }
    let main = sb.path("main");
    let go_mod = format!(
        "module example.com/main\n\ngo 1.22\n\nrequire {MODULE} v1.0.0\n\nreplace {MODULE} v1.0.0 => ../hdr\n"
    );
    write(&main, "go.mod", go_mod.as_bytes());
    write(
        &main,
        "main.go",
        format!("package main\n\nimport _ \"{MODULE}\"\n\nfunc main() {{}}\n").as_bytes(),
    );
}

fn go_mod_vendor(sb: &Sandbox) -> Output {
    Command::new("go")
        .args(["mod", "vendor"])
        .current_dir(sb.path("main"))
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "-mod=mod")
        .env("GOPROXY", "off")
        .env("GOSUMDB", "off")
        .env("GOMODCACHE", sb.path("gomodcache"))
        .env("GOWORK", "off")
        .output()
        .expect("run go")
}

/// Every file below `root`, relative and /-separated.
fn listing(root: &Path) -> BTreeSet<String> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(root)
                .unwrap()
                .to_str()
                .unwrap()
                .replace('\\', "/")
        })
        .collect()
}

/// What ferry expects `go mod vendor` to copy of the dependency's folder.
fn ferry_expects(sb: &Sandbox) -> BTreeSet<String> {
    let dep = sb.path("hdr");
    let files: BTreeMap<_, _> = listing(&dep)
        .into_iter()
        .map(|rel| {
            let mut f = fs::File::open(dep.join(&rel)).unwrap();
            let file = modzip::module_file(&rel, &mut f).unwrap();
            (rel, file)
        })
        .collect();
    vendor_rules::expected(MODULE, &[MODULE.to_string()], &files, "1.22")
}

#[test]
fn ferry_expects_what_go_mod_vendor_copies() {
    let sb = Sandbox::new();
    layout(&sb, CASES);
    let out = go_mod_vendor(&sb);
    assert!(
        out.status.success(),
        "go mod vendor: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let copied = listing(&sb.path("main/vendor").join(MODULE));
    let expected = ferry_expects(&sb);
    let only_go: Vec<_> = copied.difference(&expected).collect();
    let only_ferry: Vec<_> = expected.difference(&copied).collect();
    assert!(
        only_go.is_empty() && only_ferry.is_empty(),
        "copied by go only: {only_go:?}\nexpected by ferry only: {only_ferry:?}"
    );
    // The fixture exercises both answers of each rule.
    for must in [
        "c01.go",
        "c02.go",
        "e/m02.txt",
        "e/m04.txt",
        "e/m05b.txt",
        "_m06.go",
    ] {
        assert!(copied.contains(must), "{must}");
    }
    for never in [
        "c04.go",
        "c08.go",
        "e/m01.txt",
        "e/m05a.txt",
        "e/m06.txt",
        "e/m08.txt",
    ] {
        assert!(!copied.contains(never), "{never}");
    }
}

#[test]
fn files_go_build_refuses_stop_go_mod_vendor_and_ferry_still_agrees_on_the_copy() {
    for case in FATAL {
        let sb = Sandbox::new();
        layout(&sb, &[CASES[0], *case]);
        let out = go_mod_vendor(&sb);
        assert!(!out.status.success(), "{}: go mod vendor succeeded", case.0);
        let copied = listing(&sb.path("main/vendor").join(MODULE));
        if !copied.contains("a.go") {
            continue; // Go stopped while loading packages, before copying any
        }
        let expected = ferry_expects(&sb);
        assert_eq!(
            copied.contains(case.0),
            expected.contains(case.0),
            "{}: {}",
            case.0,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
