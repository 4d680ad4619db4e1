//! pack's stages as a user sees them: every second of the run in a named
//! stage of `pack --json` (adding up to the total), the build proof beside
//! them, a failure beside the proof that takes it down and leaves nothing,
//! the scratch copy that go writes into without reaching the user's tree,
//! and a build that rewrites it refused, the file named.

use std::fs;

use crate::common::{Sandbox, app, assert_ok, copy_tree, text};

/// The stages that tile the run, in the order they run.
const STAGES: [&str; 12] = [
    "checks",
    "copy",
    "base",
    "go",
    "verify",
    "images",
    "bundle",
    "proof_wait",
    "sign",
    "delta",
    "split",
    "cleanup",
];

/// `seconds` of a `pack --json`, checked: exactly the stages, `total` and
/// the proof's own `build_check`, none negative, the stages adding up to
/// the total.
fn seconds(out: &std::process::Output) -> serde_json::Map<String, serde_json::Value> {
    assert_ok(out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let secs = json["seconds"].as_object().unwrap().clone();
    let mut keys: Vec<&str> = secs.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut want: Vec<&str> = STAGES.to_vec();
    want.extend(["total", "build_check"]);
    want.sort_unstable();
    assert_eq!(keys, want, "pack --json's stages");
    let at = |k: &str| secs[k].as_f64().unwrap();
    assert!(
        secs.values().all(|v| v.as_f64().unwrap() >= 0.0),
        "{secs:?}"
    );
    let sum: f64 = STAGES.iter().map(|k| at(k)).sum();
    // One clock, lapped at each stage's end: only the nanoseconds between
    // the last lap and reading the total may differ.
    assert!((at("total") - sum).abs() < 0.001, "{sum} against {secs:?}");
    secs
}

#[test]
fn pack_json_puts_every_second_in_a_stage() {
    let sb = Sandbox::new();
    let out = sb.pack_with("clockwork", "v1.ferry", &["--json"]);
    let secs = seconds(&out);
    // The proof ran (on its own thread): its time is reported beside.
    assert!(secs["build_check"].as_f64().unwrap() > 0.0, "{secs:?}");
    for stage in [
        "checks", "copy", "go", "verify", "bundle", "sign", "cleanup",
    ] {
        assert!(secs[stage].as_f64().unwrap() > 0.0, "{stage}: {secs:?}");
    }

    // A delta in parts: the base, the rewrite and the cut are stages too.
    let out = sb.pack_with(
        "clockwork",
        "v2.ferry",
        &["--json", "--base", "v1.ferry", "--split", "2K"],
    );
    let secs = seconds(&out);
    for stage in ["base", "delta", "split"] {
        assert!(secs[stage].as_f64().unwrap() > 0.0, "{stage}: {secs:?}");
    }

    // Without --json, one short line says it.
    let out = sb.pack_with("clockwork", "v3.ferry", &["--no-build-check"]);
    assert_ok(&out);
    let said = text(&out);
    let took: Vec<&str> = said.lines().filter(|l| l.contains("took ")).collect();
    assert_eq!(took.len(), 1, "{said}");
    assert!(
        took[0].trim().starts_with("took ") && !took[0].contains("build proof"),
        "{said}"
    );
}

#[test]
fn a_failure_beside_the_proof_stops_it_and_leaves_nothing() {
    let sb = Sandbox::new();
    sb.keygen("rel");
    let (tmp, out_dir) = (sb.path("tmp"), sb.path("out"));
    fs::create_dir(&tmp).unwrap();
    fs::create_dir(&out_dir).unwrap();
    // Nothing listens on port 9: the pull fails while the proof builds.
    let out = sb
        .ferry()
        .env("TMPDIR", &tmp)
        .args(["pack", app("clockwork").to_str().unwrap()])
        .args(["-o", "out/app.ferry", "--key", "rel.key"])
        .args(["--image", "127.0.0.1:9/none/image:1"])
        .args(["--insecure-registry", "127.0.0.1:9"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("127.0.0.1:9"), "{}", text(&out));
    assert_eq!(
        left(&out_dir),
        Vec::<String>::new(),
        "a bundle or its payload"
    );
    assert_eq!(
        left(&tmp),
        Vec::<String>::new(),
        "the scratch copy or the proof's build"
    );
}

#[test]
fn go_writing_into_the_scratch_copy_never_reaches_the_users_tree() {
    let sb = Sandbox::new();
    let tree = sb.path("tree");
    copy_tree(&app("clockwork"), &tree);
    // go.sum without one module's go.mod hash: go adds it back, writing
    // go.sum in place, in the copy.
    let sum = fs::read_to_string(tree.join("go.sum")).unwrap();
    let gone = "example.com/greet/v2 v2.1.0/go.mod";
    let lacking: String = sum
        .lines()
        .filter(|l| !l.starts_with(gone))
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(tree.join("go.sum"), &lacking).unwrap();
    let before = fs::metadata(tree.join("go.sum")).unwrap();
    sb.keygen("rel");
    assert_ok(&sb.run(&["pack", "tree", "-o", "a.ferry", "--key", "rel.key", "-q"]));
    let bundled = crate::day::unzip_entry(&fs::read(sb.path("a.ferry")).unwrap(), "src/go.sum");
    assert!(
        String::from_utf8_lossy(&bundled).contains(gone),
        "go did not write go.sum in the copy, so this proves nothing"
    );
    assert_eq!(fs::read_to_string(tree.join("go.sum")).unwrap(), lacking);
    let after = fs::metadata(tree.join("go.sum")).unwrap();
    assert_eq!(before.modified().unwrap(), after.modified().unwrap());
    assert!(
        !tree.join("vendor").exists(),
        "vendor/ reached the user's tree"
    );
}

/// The names left in folder `d`.
fn left(d: &std::path::Path) -> Vec<String> {
    fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn a_build_that_rewrites_a_file_keeping_size_and_mtime_is_refused() {
    let sb = Sandbox::new();
    sb.keygen("rel");
    let (tmp, out_dir) = (sb.path("tmp"), sb.path("out"));
    fs::create_dir(&tmp).unwrap();
    fs::create_dir(&out_dir).unwrap();
    // A go that, as pack's proof build, rewrites one byte of main.go in
    // place (same inode, same size, still a comment) and sets its mtime
    // back: only the change time tells.
    let go = sb.path("rewriting-go");
    let script = r#"#!/bin/sh
if [ "$1" = build ] && [ "$2" = -trimpath ]; then
  f="$PWD/main.go"
  t=$(stat -c %y "$f")
  at=$(grep -bo '// ' "$f" | head -1 | cut -d: -f1)
  printf X | dd of="$f" bs=1 seek=$((at + 2)) conv=notrunc 2>/dev/null
  touch -d "$t" "$f"
  echo "$f" >"$0.ran"
fi
exec go "$@"
"#;
    fs::write(&go, script).unwrap();
    fs::set_permissions(&go, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = sb
        .ferry()
        .env("TMPDIR", &tmp)
        .env("FERRY_GO", &go)
        .args(["pack", app("clockwork").to_str().unwrap()])
        .args(["-o", "out/app.ferry", "--key", "rel.key"])
        .output()
        .unwrap();
    assert!(sb.path("rewriting-go.ran").exists(), "{}", text(&out));
    crate::common::assert_exit(&out, 1);
    crate::common::assert_says(
        &out,
        &["the offline build changed main.go (rewritten by the build)"],
    );
    assert_eq!(left(&out_dir), Vec::<String>::new(), "a bundle or payload");
    assert_eq!(left(&tmp), Vec::<String>::new(), "the scratch copy");
}
