//! The offline build, for real: a Go builder image made from the local
//! toolchain and a busybox runtime in a loopback registry; pack (which proves
//! the build first), unpack, `podman load` the image tars, `buildah build
//! --network none --pull=never`, `podman run`; the output must equal the same
//! app built online in module mode. And `ferry build` under `unshare -n`.

use std::path::Path;
use std::process::Command;

use crate::common::containers::{Store, assert_success};
use crate::common::registry::{Registry, layout_with_go};
use crate::common::{Sandbox, app, assert_exit, assert_ok, copy_tree, text};

/// clockwork built and run online in module mode: the reference output.
fn online_output(sb: &Sandbox) -> String {
    let mut cmd = Command::new("go");
    sb.go_env(&mut cmd);
    let out = cmd
        .args(["run", "-mod=mod", "."])
        .current_dir(app("clockwork"))
        .env("GOFLAGS", "-modcacherw")
        .output()
        .expect("go run");
    assert_success("go run (online, module mode)", &out);
    String::from_utf8(out.stdout).unwrap()
}

/// Loads every image tar of an unpacked bundle, builds it, runs it.
fn container_output(store: &Store, site: &Path, tag: &str) -> String {
    for tar in std::fs::read_dir(site.join("images")).unwrap() {
        store.load(&tar.unwrap().path());
    }
    assert_success("buildah build", &store.build(site, tag));
    let out = store.run(tag);
    assert_success("podman run", &out);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn both_modes_build_and_run_in_a_container_with_no_network() {
    let reg = Registry::start();
    let builder = reg.seed_from(layout_with_go(), "go", "test/go:1.26", None);
    let runtime = reg.seed_from(layout_with_go(), "busybox", "test/busybox:1", None);
    let sb = Sandbox::new();
    let expected = online_output(&sb);
    assert!(
        expected.contains("berlin: 2024-07-01T14:00:00+02:00"),
        "{expected}"
    );
    let store_dir = tempfile::tempdir().unwrap();
    let store = Store::new(store_dir.path());
    let insecure = ["--insecure-registry", reg.host.as_str()];

    // gopath mode (the default) with the default scratch runtime.
    let mut flags = vec!["--builder-image", builder.as_str()];
    flags.extend_from_slice(&insecure);
    let out = sb.pack_with("clockwork", "gopath.ferry", &flags);
    assert_ok(&out);
    assert!(
        text(&out).contains("offline build proven: gopath mode"),
        "{}",
        text(&out)
    );
    sb.unpack("gopath.ferry", "gopath");
    let dockerfile = std::fs::read_to_string(sb.path("gopath/Dockerfile")).unwrap();
    assert!(dockerfile.contains("FROM scratch") && dockerfile.contains("GO111MODULE=off"));
    let got = container_output(&store, &sb.path("gopath"), "localhost/clockwork:gopath");
    assert_eq!(got, expected, "gopath mode in a container");

    // vendor mode on the busybox runtime.
    let mut flags = vec![
        "--builder-image",
        builder.as_str(),
        "--runtime-image",
        runtime.as_str(),
        "--mode",
        "vendor",
    ];
    flags.extend_from_slice(&insecure);
    assert_ok(&sb.pack_with("clockwork", "vendor.ferry", &flags));
    sb.unpack("vendor.ferry", "vendor");
    let got = container_output(&store, &sb.path("vendor"), "localhost/clockwork:vendor");
    assert_eq!(got, expected, "vendor mode in a container");
}

#[test]
fn ferry_build_with_no_network_gives_the_same_program() {
    let sb = Sandbox::new();
    let expected = online_output(&sb);
    for mode in ["gopath", "vendor"] {
        let bundle = format!("{mode}.ferry");
        let out = sb.pack_with("clockwork", &bundle, &["--mode", mode, "-q"]);
        assert_ok(&out);
        sb.unpack(&bundle, mode);
        let bin = sb.path(&format!("{mode}-bin"));
        let out = sb.build_offline(mode, &bin);
        assert_ok(&out);
        assert!(text(&out).contains("no network"), "{}", text(&out));
        let run = Command::new(&bin).output().unwrap();
        assert_eq!(String::from_utf8(run.stdout).unwrap(), expected, "{mode}");
    }
}

#[test]
fn ferry_build_refuses_a_changed_tree() {
    let sb = Sandbox::new();
    assert_ok(&sb.pack_with("clockwork", "a.ferry", &["-q"]));
    sb.unpack("a.ferry", "site");
    let file = sb.path("site/src/vendor/example.com/strutil/strutil.go");
    let mut text_now = std::fs::read_to_string(&file).unwrap();
    text_now.push_str("\n// changed after unpack\n");
    std::fs::write(&file, text_now).unwrap();
    std::fs::write(
        sb.path("site/src/vendor/example.com/strutil/extra.go"),
        "package strutil\n",
    )
    .unwrap();
    let out = sb.run(&["build", "site", "-o", "bin", "--pub", "rel.pub"]);
    assert_exit(&out, 1);
    let msg = text(&out);
    assert!(
        msg.contains("src/vendor/example.com/strutil/strutil.go: sha256 differs"),
        "{msg}"
    );
    assert!(
        msg.contains("src/vendor/example.com/strutil/extra.go: is not listed"),
        "{msg}"
    );
    assert!(!sb.path("bin").exists());
}

#[test]
fn a_tree_that_does_not_build_offline_is_never_bundled() {
    let sb = Sandbox::new();
    let tree = sb.path("broken");
    copy_tree(&app("clockwork"), &tree);
    // Type-checks nowhere, though go mod vendor and go list accept it.
    std::fs::write(
        tree.join("broken.go"),
        "package main\n\nvar answer int = \"forty-two\"\n",
    )
    .unwrap();
    sb.keygen("rel");
    let out = sb.run(&[
        "pack",
        "broken",
        "-o",
        "broken.ferry",
        "--key",
        "rel.key",
        "-q",
    ]);
    assert_exit(&out, 1);
    let msg = text(&out);
    assert!(
        msg.contains("the offline build (gopath mode") && msg.contains("broken.go"),
        "{msg}"
    );
    assert!(!sb.path("broken.ferry").exists());

    let out = sb.run(&[
        "pack",
        "broken",
        "-o",
        "skipped.ferry",
        "--key",
        "rel.key",
        "--no-build-check",
    ]);
    assert_ok(&out);
    assert!(
        text(&out).contains("offline build NOT proven"),
        "{}",
        text(&out)
    );
    sb.unpack("skipped.ferry", "skipped");
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(sb.path("skipped/ferry.json")).unwrap()).unwrap();
    assert_eq!(m["build"]["checked"], false);
}
