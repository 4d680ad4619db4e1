//! `ferry diff` between two releases of a service: one dependency upgraded,
//! one added, one removed, and one vendored file changed in a module whose
//! version did not (a local-path replacement edited in place). The two
//! releases are packed once, for all the tests here.

use std::fs;
use std::process::Command;
use std::sync::OnceLock;

use crate::common::{Sandbox, app, assert_ok, copy_tree};

/// Writes a service that uses `imports` (import path, expression) with
/// `requires` in go.mod, tidies it against the fixture proxy, and packs it.
fn release(sb: &Sandbox, name: &str, requires: &[&str], imports: &[(&str, &str)], answer: i32) {
    let dir = sb.path(name);
    copy_tree(
        &app("clockwork").join("third_party"),
        &dir.join("third_party"),
    );
    fs::write(
        dir.join("third_party/localdep/localdep.go"),
        format!("// Package localdep is a dependency kept in the service's own tree.\npackage localdep\n\n// Answer is the answer.\nfunc Answer() int {{ return {answer} }}\n"),
    )
    .unwrap();
    let mut gomod =
        "module example.com/svc\n\ngo 1.22\n\nrequire (\n\texample.com/localdep v0.0.0\n"
            .to_string();
    for r in requires {
        gomod.push_str(&format!("\t{r}\n"));
    }
    gomod.push_str(")\n\nreplace example.com/localdep => ./third_party/localdep\n");
    fs::write(dir.join("go.mod"), gomod).unwrap();
    let mut main =
        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/localdep\"\n".to_string();
    for (path, _) in imports {
        main.push_str(&format!("\t\"{path}\"\n"));
    }
    main.push_str(")\n\nfunc main() {\n\tfmt.Println(localdep.Answer())\n");
    for (_, use_) in imports {
        main.push_str(&format!("\tfmt.Println({use_})\n"));
    }
    main.push_str("}\n");
    fs::write(dir.join("main.go"), main).unwrap();
    let mut tidy = Command::new("go");
    sb.go_env(&mut tidy);
    let out = tidy
        .args(["mod", "tidy"])
        .env("GOFLAGS", "-mod=mod")
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_ok(&out);
    if !sb.path("rel.key").exists() {
        sb.keygen("rel");
    }
    let bundle = format!("{name}.ferry");
    assert_ok(&sb.run(&[
        "pack",
        name,
        "-o",
        &bundle,
        "--key",
        "rel.key",
        "-q",
        "--no-build-check",
    ]));
}

/// v1 and v2 of the service, packed as `v1.ferry` and `v2.ferry` with
/// `rel.key`: v2 upgrades strutil, adds Upper/tzinfo, drops greet/v2 and
/// edits the vendored localdep in place (its version unchanged).
fn releases() -> &'static Sandbox {
    static RELEASES: OnceLock<Sandbox> = OnceLock::new();
    RELEASES.get_or_init(|| {
        let sb = Sandbox::shared("diff-releases");
        release(
            &sb,
            "v1",
            &["example.com/strutil v1.0.0", "example.com/greet/v2 v2.1.0"],
            &[
                ("example.com/strutil", "strutil.Reverse(\"a\")"),
                ("example.com/greet/v2", "greet.Banner()"),
            ],
            42,
        );
        release(
            &sb,
            "v2",
            &[
                "example.com/strutil v1.1.0",
                "example.com/Upper/tzinfo v1.0.0",
            ],
            &[
                ("example.com/strutil", "strutil.Title(\"a\")"),
                ("example.com/Upper/tzinfo", "tzinfo.Zone"),
            ],
            43,
        );
        sb
    })
}

/// `ferry diff v1.ferry v2.ferry --files`: the table a reviewer reads.
fn table() -> String {
    let out = releases().run(&[
        "diff", "v1.ferry", "v2.ferry", "--pub", "rel.pub", "--files",
    ]);
    assert_ok(&out);
    String::from_utf8(out.stdout).unwrap()
}

fn assert_lines(table: &str, lines: &[&str]) {
    for line in lines {
        assert!(
            table.lines().any(|l| l == *line),
            "missing {line:?} in:\n{table}"
        );
    }
}

/// The `change` the JSON report gives module `path`.
fn json_change(path: &str) -> String {
    let out = releases().run(&[
        "diff", "v1.ferry", "v2.ferry", "--pub", "rel.pub", "--format", "json",
    ]);
    assert_ok(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let modules = json["modules"].as_array().unwrap();
    let module = modules
        .iter()
        .find(|m| m["path"] == path)
        .unwrap_or_else(|| panic!("{path} not in the JSON report: {modules:?}"));
    module["change"].as_str().unwrap().into()
}

#[test]
fn a_reviewer_sees_what_changed_between_two_releases() {
    let table = table();
    assert_lines(
        &table,
        &["3 module changes, 10 vendored files changed in 5 modules, 0 images changed"],
    );
}

#[test]
fn an_added_module_is_listed() {
    assert_lines(&table(), &["  + example.com/Upper/tzinfo v1.0.0"]);
    assert_eq!(json_change("example.com/Upper/tzinfo"), "added");
}

#[test]
fn a_removed_module_is_listed() {
    assert_lines(&table(), &["  - example.com/greet/v2 v2.1.0"]);
    assert_eq!(json_change("example.com/greet/v2"), "removed");
}

#[test]
fn an_upgraded_module_shows_both_versions() {
    assert_lines(&table(), &["  ^ example.com/strutil v1.0.0 -> v1.1.0"]);
    assert_eq!(json_change("example.com/strutil"), "upgraded");
}

#[test]
fn a_vendored_file_edited_in_place_is_listed_under_its_module() {
    assert_lines(
        &table(),
        &[
            "  example.com/localdep: 1 changed, 0 added, 0 removed",
            "    M vendor/example.com/localdep/localdep.go",
        ],
    );
}

#[test]
fn an_unchanged_dockerfile_says_so() {
    assert_lines(&table(), &["DOCKERFILE unchanged"]);
}

#[test]
fn the_unpacked_releases_give_the_same_report() {
    let sb = Sandbox::new();
    for name in ["rel.pub", "v1.ferry", "v2.ferry"] {
        fs::copy(releases().path(name), sb.path(name)).unwrap();
    }
    sb.unpack("v1.ferry", "v1-site");
    sb.unpack("v2.ferry", "v2-site");
    let out = sb.run(&["diff", "v1-site", "v2-site", "--files", "--pub", "rel.pub"]);
    assert_ok(&out);
    assert_eq!(String::from_utf8(out.stdout).unwrap(), table());
}

#[test]
fn a_bundle_against_itself_shows_no_change() {
    let out = releases().run(&["diff", "v2.ferry", "v2.ferry", "--pub", "rel.pub"]);
    assert_ok(&out);
    assert_lines(
        &String::from_utf8(out.stdout).unwrap(),
        &["0 module changes, 0 vendored files changed in 0 modules, 0 images changed"],
    );
}
