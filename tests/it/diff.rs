//! `ferry diff` between two releases of a service: one dependency upgraded,
//! one added, one removed, and one vendored file changed in a module whose
//! version did not (a local-path replacement edited in place).

use std::fs;
use std::process::Command;

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

#[test]
fn a_reviewer_sees_what_changed_between_two_releases() {
    let sb = Sandbox::new();
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
    let out = sb.run(&[
        "diff", "v1.ferry", "v2.ferry", "--pub", "rel.pub", "--files",
    ]);
    assert_ok(&out);
    let table = String::from_utf8(out.stdout).unwrap();
    for line in [
        "  + example.com/Upper/tzinfo v1.0.0",
        "  - example.com/greet/v2 v2.1.0",
        "  ^ example.com/strutil v1.0.0 -> v1.1.0",
        "  example.com/localdep: 1 changed, 0 added, 0 removed",
        "    M vendor/example.com/localdep/localdep.go",
        "DOCKERFILE unchanged",
    ] {
        assert!(
            table.lines().any(|l| l == line),
            "missing {line:?} in:\n{table}"
        );
    }

    let out = sb.run(&[
        "diff", "v1.ferry", "v2.ferry", "--pub", "rel.pub", "--format", "json",
    ]);
    assert_ok(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let changes: Vec<(String, String)> = json["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["path"].as_str().unwrap().into(),
                m["change"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        changes.contains(&("example.com/strutil".into(), "upgraded".into())),
        "{changes:?}"
    );
    assert!(
        changes.contains(&("example.com/Upper/tzinfo".into(), "added".into())),
        "{changes:?}"
    );
    assert!(
        changes.contains(&("example.com/greet/v2".into(), "removed".into())),
        "{changes:?}"
    );

    // The same two, unpacked: the same report; and a bundle against itself is empty.
    sb.unpack("v1.ferry", "v1-site");
    sb.unpack("v2.ferry", "v2-site");
    let out = sb.run(&["diff", "v1-site", "v2-site", "--files"]);
    assert_ok(&out);
    assert_eq!(String::from_utf8(out.stdout).unwrap(), table);
    let out = sb.run(&["diff", "v2.ferry", "v2.ferry", "--pub", "rel.pub"]);
    assert_ok(&out);
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("0 module changes, 0 vendored files changed in 0 modules, 0 images changed")
    );
}
