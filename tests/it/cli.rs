//! The command line as a user meets it: exit codes of the README, refusals that
//! name the thing, commands not built yet that say so, and failed packs that
//! leave no bundle.

use std::fs;

use crate::common::{Sandbox, app, assert_exit, assert_ok, text};

#[test]
fn images_of_a_bundle_want_its_public_key_and_a_folder_its_manifest() {
    let sb = Sandbox::new();
    sb.pack("hello", "h.ferry");
    let out = sb.run(&["images", "list", "h.ferry"]);
    assert_exit(&out, 2);
    assert!(text(&out).contains("no trusted key"), "{}", text(&out));
    let out = sb.run(&["images", "list", ".", "--pub", "rel.pub"]);
    assert_exit(&out, 2);
    assert!(text(&out).contains("no ferry.json"), "{}", text(&out));
    let out = sb.run(&["images", "list", "h.ferry", "--pub", "rel.pub"]);
    assert_ok(&out);
    let out = sb.run(&[
        "images",
        "push",
        "h.ferry",
        "--pub",
        "rel.pub",
        "--registry",
        "127.0.0.1:9",
    ]);
    assert_ok(&out);
    assert!(text(&out).contains("carries no images"), "{}", text(&out));
}

#[test]
fn audit_of_a_bundle_wants_its_public_key() {
    let sb = Sandbox::new();
    sb.pack("hello", "h.ferry");
    let out = sb.run(&["audit", "h.ferry"]);
    assert_exit(&out, 2);
    assert!(text(&out).contains("pass --pub"), "{}", text(&out));
    assert_ok(&sb.run(&["audit", "h.ferry", "--pub", "rel.pub"]));
}

#[test]
fn usage_errors_exit_2() {
    let sb = Sandbox::new();
    assert_exit(&sb.run(&["pack"]), 2);
    assert_exit(&sb.run(&["verify", "x.ferry"]), 2);
    assert_exit(&sb.run(&["frobnicate"]), 2);
    let out = sb.run(&[
        "pack",
        sb.dir.path().to_str().unwrap(),
        "-o",
        "x.ferry",
        "--key",
        "k.key",
    ]);
    assert_exit(&out, 2);
    assert!(text(&out).contains("no go.mod"));
}

#[test]
fn keygen_never_overwrites_and_wants_a_password_decision() {
    let sb = Sandbox::new();
    sb.keygen("k");
    let before = fs::read(sb.path("k.key")).unwrap();
    let out = sb.run(&["keygen", "--no-password", "-o", "k"]);
    assert_exit(&out, 2);
    assert!(text(&out).contains("k.key already exists"));
    assert_eq!(fs::read(sb.path("k.key")).unwrap(), before);
    // No terminal, no FERRY_KEY_PASSWORD, no --no-password: refuse, write nothing.
    let out = sb.run(&["keygen", "-o", "k2"]);
    assert_exit(&out, 2);
    assert!(!sb.path("k2.key").exists() && !sb.path("k2.pub").exists());
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &fs::metadata(sb.path("k.key")).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600, "the secret key must be private");
}

#[test]
fn no_go_toolchain_exits_3_and_writes_nothing() {
    let sb = Sandbox::new();
    sb.keygen("rel");
    let out = sb
        .ferry()
        .env("FERRY_GO", sb.path("no-such-go"))
        .args([
            "pack",
            app("hello").to_str().unwrap(),
            "-o",
            "h.ferry",
            "--key",
            "rel.key",
        ])
        .output()
        .unwrap();
    assert_exit(&out, 3);
    assert!(text(&out).contains("install Go"), "{}", text(&out));
    assert_eq!(sb.listing(), ["rel.key", "rel.pub"]);
}

#[test]
fn a_go_sum_that_lies_fails_the_pack_with_exit_1_and_no_bundle() {
    let sb = Sandbox::new();
    sb.keygen("rel");
    let tree = sb.path("tree");
    fs::create_dir_all(&tree).unwrap();
    for f in ["go.mod", "main.go"] {
        fs::copy(app("hello").join(f), tree.join(f)).unwrap();
    }
    let sum = fs::read_to_string(app("hello").join("go.sum")).unwrap();
    let lie = sum.replace(
        "h1:7QSqs94JKI9ZTkKhkpE1TbacydZo1oFB/5LSaudvVGY=",
        "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    );
    assert_ne!(sum, lie, "fixture go.sum changed: update this test");
    fs::write(tree.join("go.sum"), lie).unwrap();
    let out = sb.run(&["pack", "tree", "-o", "h.ferry", "--key", "rel.key"]);
    assert_exit(&out, 1);
    assert!(text(&out).contains("example.com/strutil"), "{}", text(&out));
    assert!(!sb.path("h.ferry").exists());
    assert!(
        !sb.listing().iter().any(|n| n.starts_with(".ferry-")),
        "temporaries left: {:?}",
        sb.listing()
    );
}

#[test]
fn man_page_and_completions_come_from_the_flags() {
    let sb = Sandbox::new();
    let man = sb.run(&["generate", "man"]);
    assert_ok(&man);
    let page = String::from_utf8_lossy(&man.stdout);
    assert!(
        page.contains(".TH ferry") && page.contains("unpack"),
        "{page}"
    );
    let bash = sb.run(&["generate", "bash"]);
    assert_ok(&bash);
    assert!(String::from_utf8_lossy(&bash.stdout).contains("--builder-image"));
}

#[test]
fn progress_bars_stay_off_when_stderr_is_not_a_terminal() {
    let sb = Sandbox::new();
    sb.keygen("rel");
    let out = sb.run(&[
        "pack",
        app("hello").to_str().unwrap(),
        "-o",
        "h.ferry",
        "--key",
        "rel.key",
    ]);
    assert_ok(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains('\r') && !err.contains("\x1b["),
        "control sequences on a non-terminal: {err:?}"
    );
}
