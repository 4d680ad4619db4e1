//! Real repository shapes: a module in a go.work workspace, and a service
//! whose go.mod replaces a library by a folder beside it (`../shared`). Each
//! is packed as a user would (both modes), verified, unpacked, built by
//! `ferry build` under `unshare -n` and run, printing what `go run` prints
//! online; a file changed in a workspace module or in the ../shared copy is
//! caught; and what cannot travel stops pack with exit 2 before anything is
//! written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::containers::{Store, assert_success};
use crate::common::rawzip::{entries_of, rebuild};
use crate::common::registry::{Registry, layout_with_go};
use crate::common::resign::{Entries, forged, rejected};
use crate::common::{Sandbox, app, assert_exit, assert_ok, assert_says, copy_tree, text};

const WORKSPACE_SAYS: &str = "workspace: hello, Ferry";
const MONOREPO_SAYS: &str = "shared code from ../shared, Monorepo\n";

/// `go run .` online, in module (or workspace) mode, in a copy of the
/// fixture `repo` (go may write go.work.sum), in its folder `module`.
fn online_output(sb: &Sandbox, repo: &str, module: &str) -> String {
    let copy = sb.path(&format!("online-{repo}"));
    copy_tree(&app(repo), &copy);
    let mut cmd = Command::new("go");
    sb.go_env(&mut cmd);
    let out = cmd
        .args(["run", "."])
        .current_dir(copy.join(module))
        .env("GOFLAGS", "-modcacherw")
        .output()
        .expect("go run");
    assert_success("go run (online)", &out);
    String::from_utf8(out.stdout).unwrap()
}

/// Packs `app` in `mode`, verifies, unpacks and builds it with no network;
/// returns what the binary printed and the unpacked folder.
fn round_trip(sb: &Sandbox, app_name: &str, mode: &str, tag: &str) -> (String, PathBuf) {
    let bundle = format!("{tag}-{mode}.ferry");
    let out = sb.pack_with(app_name, &bundle, &["--mode", mode]);
    assert_ok(&out);
    assert_says(&out, &[&format!("offline build proven: {mode} mode")]);
    if mode == "gopath" && app_name.starts_with("workspace") {
        // The build follows go.work's go line, and the warning says so.
        assert_says(&out, &["GODEBUG defaults in GOPATH mode are those of go1."]);
        assert_says(&out, &["not of go.work's go 1.22"]);
    }
    assert_ok(&sb.run(&["verify", &bundle, "--pub", "rel.pub"]));
    let site = format!("{tag}-{mode}");
    sb.unpack(&bundle, &site);
    let bin = sb.path(&format!("{site}-bin"));
    let out = sb.build_offline(&site, &bin);
    assert_ok(&out);
    let run = Command::new(&bin).output().unwrap();
    (String::from_utf8(run.stdout).unwrap(), sb.path(&site))
}

fn manifest_module(site: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(site.join("ferry.json")).unwrap();
    serde_json::from_str::<serde_json::Value>(&text).unwrap()["module"].clone()
}

#[test]
fn a_workspace_module_is_packed_with_its_workspace_and_built_offline_in_both_modes() {
    let sb = Sandbox::new();
    let expected = online_output(&sb, "workspace", "service");
    assert!(expected.starts_with(WORKSPACE_SAYS), "{expected}");
    for mode in ["vendor", "gopath"] {
        let (got, site) = round_trip(&sb, "workspace/service", mode, "ws");
        assert_eq!(got, expected, "{mode} mode");
        let txt = std::fs::read_to_string(site.join("src/vendor/modules.txt")).unwrap();
        assert!(txt.starts_with("## workspace\n"), "{txt}");
        for f in ["go.work", "lib/go.mod", "lib/go.sum", "service/go.sum"] {
            assert!(site.join("src").join(f).is_file(), "{mode}: src/{f}");
        }
        let module = manifest_module(&site);
        assert_eq!(module["path"], "example.com/wsservice");
        assert_eq!(module["module_dir"], "service");
        assert_eq!(module["workspace"]["dir"], "");
        assert_eq!(
            module["workspace"]["modules"],
            serde_json::json!([
                {"path": "example.com/wslib", "dir": "lib"},
                {"path": "example.com/wsservice", "dir": "service"},
            ])
        );
    }
    // The user's tree is never written: no vendor/ appeared in it.
    assert!(!app("workspace/vendor").exists());
}

/// A workspace of example.com/app (in app/) and example.com/app/util (in
/// util/, not app/util/): GOPATH mode cannot lay util inside app's folder.
#[test]
fn gopath_mode_refuses_a_workspace_it_cannot_lay_out_and_vendor_mode_packs_it() {
    let sb = Sandbox::new();
    let ws = sb.path("ws");
    let files = [
        ("go.work", "go 1.22\n\nuse (\n\t./app\n\t./util\n)\n"),
        ("app/go.mod", "module example.com/app\n\ngo 1.22\n"),
        (
            "app/main.go",
            "package main\n\nimport \"example.com/app/util\"\n\nfunc main() { println(util.Name) }\n",
        ),
        ("app/util/README", "not the util module\n"),
        ("util/go.mod", "module example.com/app/util\n\ngo 1.22\n"),
        ("util/util.go", "package util\n\nconst Name = \"util\"\n"),
    ];
    for (rel, body) in files {
        std::fs::create_dir_all(ws.join(rel).parent().unwrap()).unwrap();
        std::fs::write(ws.join(rel), body).unwrap();
    }
    if !sb.path("rel.key").exists() {
        sb.keygen("rel");
    }
    let app_dir = ws.join("app");
    let pack = |mode: &str| {
        sb.run(&[
            "pack",
            app_dir.to_str().unwrap(),
            "-o",
            "out.ferry",
            "--key",
            "rel.key",
            "--mode",
            mode,
        ])
    };
    assert_refused(
        &sb,
        &pack("gopath"),
        &[
            "--mode gopath: the workspace module example.com/app/util would land inside the folder of example.com/app (src/app) at $GOPATH/src/example.com/app/util, which is not where it sits in the tree (src/util); pack with --mode vendor",
        ],
    );
    assert_ok(&pack("vendor"));
}

#[test]
fn a_workspace_bundle_can_carry_its_module_cache() {
    let sb = Sandbox::new();
    let out = sb.pack_with(
        "workspace/service",
        "ws.ferry",
        &["--with-modcache", "--no-build-check", "-q"],
    );
    assert_ok(&out);
    sb.unpack("ws.ferry", "site");
    for f in [
        "greet/v2/@v/v2.1.0.zip",
        "strutil/@v/v1.1.0.zip",
        "strutil/@v/v1.0.0.mod",
    ] {
        assert!(
            sb.path(&format!("site/modcache/example.com/{f}")).is_file(),
            "{f}"
        );
    }
}

#[test]
fn a_replacement_folder_beside_the_module_travels_and_builds_in_both_modes() {
    let sb = Sandbox::new();
    let expected = online_output(&sb, "monorepo", "service");
    assert_eq!(expected, MONOREPO_SAYS);
    for mode in ["vendor", "gopath"] {
        let (got, site) = round_trip(&sb, "monorepo/service", mode, "mono");
        assert_eq!(got, expected, "{mode} mode");
        assert!(site.join("src/shared/shared.go").is_file());
        assert!(site.join("src/service/vendor/modules.txt").is_file());
        assert_eq!(manifest_module(&site)["module_dir"], "service");
    }
    assert!(!app("monorepo/service/vendor").exists());
}

#[test]
fn a_file_changed_in_a_workspace_module_or_in_the_shared_copy_is_caught() {
    let sb = Sandbox::new();
    for (app_name, site, file) in [
        ("workspace/service", "ws", "src/lib/lib.go"),
        ("monorepo/service", "mono", "src/shared/shared.go"),
    ] {
        let bundle = format!("{site}.ferry");
        assert_ok(&sb.pack_with(app_name, &bundle, &["-q", "--no-build-check"]));
        sb.unpack(&bundle, site);
        let path = sb.path(&format!("{site}/{file}"));
        let mut body = std::fs::read_to_string(&path).unwrap();
        body.push_str("\n// changed after unpack\n");
        std::fs::write(&path, body).unwrap();
        let out = sb.run(&["build", site, "-o", "bin", "--pub", "rel.pub"]);
        assert_exit(&out, 1);
        assert_says(&out, &[&format!("{file}: sha256 differs")]);
        assert!(!sb.path("bin").exists());
    }
}

#[test]
fn audit_reads_a_workspace_folder_with_its_vendor() {
    let sb = Sandbox::new();
    let ws = sb.path("ws");
    copy_tree(&app("workspace"), &ws);
    let mut cmd = Command::new("go");
    sb.go_env(&mut cmd);
    let out = cmd
        .args(["work", "vendor"])
        .current_dir(&ws)
        .env("GOFLAGS", "-modcacherw")
        .output()
        .unwrap();
    assert_success("go work vendor", &out);
    let out = sb.run(&["audit", "ws"]);
    assert_ok(&out);
    assert_says(&out, &["example.com/greet/v2", "example.com/strutil"]);
    let out = sb.run(&["audit", "ws", "--format", "cyclonedx"]);
    assert_ok(&out);
    assert_says(&out, &["pkg:golang/example.com/greet/v2@v2.1.0"]);
    // Two go.sum files that disagree on one module are a finding, whichever
    // comes first.
    let sum = ws.join("service/go.sum");
    let before = std::fs::read_to_string(&sum).unwrap();
    let line = before
        .lines()
        .find(|l| l.starts_with("example.com/strutil v1.1.0 h1:"))
        .unwrap();
    let other = format!("example.com/strutil v1.1.0 h1:{}=\n", "A".repeat(43));
    std::fs::write(
        ws.join("lib/go.sum"),
        format!(
            "{}{other}",
            std::fs::read_to_string(ws.join("lib/go.sum")).unwrap()
        ),
    )
    .unwrap();
    let out = sb.run(&["audit", "ws"]);
    assert_exit(&out, 1);
    assert_says(
        &out,
        &[
            "go.sum files (and go.work.sum) give two hashes",
            line.split(' ').nth(2).unwrap(),
        ],
    );
    std::fs::write(
        ws.join("lib/go.sum"),
        std::fs::read_to_string(app("workspace/lib/go.sum")).unwrap(),
    )
    .unwrap();
    // A go.mod that drifts from the workspace's vendor/ is Go's "inconsistent
    // vendoring", found by ferry's own check as well.
    let gomod = ws.join("lib/go.mod");
    let text_now = std::fs::read_to_string(&gomod).unwrap();
    std::fs::write(
        &gomod,
        text_now.replace("greet/v2 v2.1.0", "greet/v2 v2.0.9"),
    )
    .unwrap();
    let out = sb.run(&["audit", "ws"]);
    assert_exit(&out, 1);
    assert_says(
        &out,
        &[
            "example.com/greet/v2@v2.0.9: vendor/modules.txt: go.mod requires v2.0.9, but vendor/modules.txt lists v2.1.0",
        ],
    );
}

/// A copy of the monorepo fixture in the sandbox, to break on purpose.
fn monorepo_copy(sb: &Sandbox, name: &str) -> PathBuf {
    let dir = sb.path(name);
    copy_tree(&app("monorepo"), &dir);
    dir
}

fn pack_dir(sb: &Sandbox, dir: &Path) -> std::process::Output {
    if !sb.path("rel.key").exists() {
        sb.keygen("rel");
    }
    let dir = dir.to_str().unwrap();
    sb.run(&["pack", dir, "-o", "out.ferry", "--key", "rel.key"])
}

/// `git init` in `repo`, then pack its folder `module`.
fn pack_in_git(sb: &Sandbox, repo: &Path, module: &str) -> std::process::Output {
    let git = Command::new("git")
        .args(["init", "-q"])
        .current_dir(repo)
        .output()
        .unwrap();
    assert_success("git init", &git);
    pack_dir(sb, &repo.join(module))
}

fn assert_refused(sb: &Sandbox, out: &std::process::Output, says: &[&str]) {
    assert_exit(out, 2);
    assert_says(out, says);
    assert!(!sb.path("out.ferry").exists(), "a bundle was written");
}

#[test]
fn a_replacement_outside_the_repository_or_through_a_symlink_is_refused() {
    let sb = Sandbox::new();
    let repo = sb.path("repo");
    copy_tree(&app("monorepo/service"), &repo.join("service"));
    copy_tree(&app("monorepo/shared"), &sb.path("outside/shared"));
    let gomod = repo.join("service/go.mod");
    let text_now = std::fs::read_to_string(&gomod).unwrap();
    std::fs::write(
        &gomod,
        text_now.replace("../shared", "../../outside/shared"),
    )
    .unwrap();
    let out = pack_in_git(&sb, &repo, "service");
    let outside = std::fs::canonicalize(sb.path("outside/shared")).unwrap();
    assert_refused(
        &sb,
        &out,
        &[
            "go.mod:10: replace example.com/shared => ../../outside/shared",
            &format!("{} is outside the repository root", outside.display()),
        ],
    );

    let linked = monorepo_copy(&sb, "linked");
    std::fs::rename(linked.join("shared"), linked.join("real-shared")).unwrap();
    std::os::unix::fs::symlink("real-shared", linked.join("shared")).unwrap();
    let out = pack_dir(&sb, &linked.join("service"));
    assert_refused(
        &sb,
        &out,
        &[
            "replace example.com/shared => ../shared",
            "is reached through a symbolic link",
        ],
    );
}

#[test]
fn a_toolchain_newer_than_the_local_go_stops_pack_naming_it() {
    let sb = Sandbox::new();
    let repo = monorepo_copy(&sb, "tc");
    let gomod = repo.join("service/go.mod");
    let mut text_now = std::fs::read_to_string(&gomod).unwrap();
    text_now.push_str("\ntoolchain go1.99.1\n");
    std::fs::write(&gomod, text_now).unwrap();
    let out = pack_dir(&sb, &repo.join("service"));
    assert_refused(
        &sb,
        &out,
        &[
            "`toolchain go1.99.1` needs go1.99.1, newer than the Go that packs",
            "GOTOOLCHAIN=go1.99.1",
        ],
    );
    // The user's GOTOOLCHAIN reaches go: it names a toolchain go cannot get here.
    let out = sb
        .ferry()
        .env("GOTOOLCHAIN", "go1.99.1")
        .args(["pack", repo.join("service").to_str().unwrap()])
        .args(["-o", "out.ferry", "--key", "rel.key"])
        .output()
        .unwrap();
    assert_exit(&out, 3);
    assert_says(
        &out,
        &["GOTOOLCHAIN=go1.99.1: go could not run the toolchain it names"],
    );
}

#[test]
fn a_requirement_with_no_go_sum_line_stops_pack_naming_it() {
    let sb = Sandbox::new();
    let repo = monorepo_copy(&sb, "nosum");
    let gosum = repo.join("service/go.sum");
    let lines = std::fs::read_to_string(&gosum).unwrap();
    let zip_lines: String = lines
        .lines()
        .filter(|l| !l.contains("/go.mod "))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&gosum, "").unwrap();
    let out = pack_dir(&sb, &repo.join("service"));
    assert_refused(
        &sb,
        &out,
        &[
            "go.mod:7: require example.com/strutil v1.1.0: go.sum has no line for example.com/strutil@v1.1.0",
            "run `go mod tidy` (or `go mod download example.com/strutil`)",
        ],
    );
    // Only the zip's line gone: Go finds it when it loads the packages.
    std::fs::write(&gosum, lines.replace(&zip_lines, "")).unwrap();
    let out = pack_dir(&sb, &repo.join("service"));
    assert_refused(
        &sb,
        &out,
        &[
            "go.sum lacks a hash the build needs",
            "missing go.sum entry for module providing package example.com/strutil",
        ],
    );
}

/// The workspace bundle built by buildah with no network, in both modes,
/// gives the program `go run` gives online.
#[test]
fn a_workspace_bundle_builds_in_a_container_with_no_network() {
    let reg = Registry::start();
    let builder = reg.seed_from(layout_with_go(), "go", "test/go:1.26", None);
    let sb = Sandbox::new();
    let expected = online_output(&sb, "workspace", "service");
    let store_dir = tempfile::tempdir().unwrap();
    let store = Store::new(store_dir.path());
    for mode in ["gopath", "vendor"] {
        let bundle = format!("{mode}.ferry");
        let flags = [
            "--builder-image",
            builder.as_str(),
            "--insecure-registry",
            reg.host.as_str(),
            "--mode",
            mode,
            "-q",
        ];
        assert_ok(&sb.pack_with("workspace/service", &bundle, &flags));
        sb.unpack(&bundle, mode);
        let site = sb.path(mode);
        for tar in std::fs::read_dir(site.join("images")).unwrap() {
            store.load(&tar.unwrap().path());
        }
        let tag = format!("localhost/wsservice:{mode}");
        assert_success("buildah build", &store.build(&site, &tag));
        let out = store.run(&tag);
        assert_success("podman run", &out);
        assert_eq!(String::from_utf8(out.stdout).unwrap(), expected, "{mode}");
    }
}

/// A forged workspace bundle (files and manifest edited, signed again with
/// the release key) is refused by verify, unpack, audit and, unpacked by
/// hand, build: each exits 1 saying `says`, and nothing is built.
fn refused_everywhere(sb: &Sandbox, case: &str, forged: &Entries, says: &[&str]) {
    let bytes = rebuild(forged).build();
    rejected(sb, case, &bytes, says);
    let bundle = format!("{case}.ferry");
    std::fs::write(sb.path(&bundle), &bytes).unwrap();
    let out = sb.run(&["audit", &bundle, "--pub", "rel.pub"]);
    eprintln!("{case}: ferry audit said:\n{}", text(&out));
    assert_exit(&out, 1);
    assert_says(&out, says);
    // The folder unpack would have written, made by hand.
    let site = sb.path(&format!("{case}-site"));
    for (name, data, mode) in forged {
        let path = site.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, data).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(*mode)).unwrap();
    }
    let bin = sb.path(&format!("{case}-bin"));
    let out = sb.build_offline(&format!("{case}-site"), &bin);
    eprintln!("{case}: ferry build said:\n{}", text(&out));
    assert_exit(&out, 1);
    assert_says(&out, says);
    assert!(!bin.exists(), "{case}: something was built");
}

/// The workspace fixture packed in `mode`, as entries to forge from.
fn workspace_entries(sb: &Sandbox, mode: &str) -> Entries {
    let bundle = format!("ws-{mode}.ferry");
    let out = sb.pack_with("workspace/service", &bundle, &["-q", "--mode", mode]);
    assert_ok(&out);
    entries_of(&std::fs::read(sb.path(&bundle)).unwrap())
}

/// strutil's vendored code and proof gone, its package no longer listed
/// in modules.txt, and src/evil holding a module that claims its path.
fn strutil_swapped_for_evil(files: &mut BTreeMap<String, (Vec<u8>, u32)>) {
    files.retain(|name, _| {
        !name.starts_with("src/vendor/example.com/strutil/")
            && !name.starts_with("proofs/example.com/strutil/@v/v1.1.0/")
    });
    let txt = files.get_mut("src/vendor/modules.txt").unwrap();
    let text = String::from_utf8(txt.0.clone()).unwrap();
    txt.0 = text
        .replace(
            "## explicit; go 1.21\nexample.com/strutil\n",
            "## explicit; go 1.21\n",
        )
        .into_bytes();
    let evil = "package strutil\n\nfunc Title(s string) string { return \"EVIL\" }\n\nfunc Reverse(s string) string { return s }\n";
    files.insert("src/evil/strutil.go".into(), (evil.into(), 0o644));
    let gomod = "module example.com/strutil\n\ngo 1.21\n";
    files.insert("src/evil/go.mod".into(), (gomod.into(), 0o644));
}

/// The manifest's strutil v1.1.0 with no packages, as modules.txt now says.
fn strutil_unlisted(m: &mut serde_json::Value) {
    for module in m["modules"].as_array_mut().unwrap() {
        if module["path"] == "example.com/strutil" {
            module["packages"] = serde_json::json!([]);
        }
    }
}

/// The manifest as the forger makes it agree: strutil unlisted, and
/// src/evil a workspace module named example.com/strutil.
fn strutil_moved_to_evil(m: &mut serde_json::Value) {
    strutil_unlisted(m);
    let ws = m["module"]["workspace"]["modules"].as_array_mut().unwrap();
    let evil = serde_json::json!({"path": "example.com/strutil", "dir": "evil"});
    ws.insert(0, evil);
}

/// t1: go.work uses a folder outside the bundle (absolute, on the build
/// host) and main.go imports it: the build would compile code nobody checked.
#[test]
fn a_workspace_use_of_an_absolute_folder_is_refused_on_every_reading_side() {
    let sb = Sandbox::new();
    let entries = workspace_entries(&sb, "vendor");
    let outside = sb.path("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(
        outside.join("go.mod"),
        "module example.com/outside\n\ngo 1.21\n",
    )
    .unwrap();
    std::fs::write(
        outside.join("o.go"),
        "package outside\n\nconst Says = \"EVIL\"\n",
    )
    .unwrap();
    let abs = outside.display().to_string();
    let forged = forged(
        &sb,
        &entries,
        |files| {
            let work = format!("go 1.22\n\nuse (\n\t./lib\n\t./service\n\t{abs}\n)\n");
            files.insert("src/go.work".into(), (work.into_bytes(), 0o644));
            let main = files.get_mut("src/service/main.go").unwrap();
            let text = String::from_utf8(main.0.clone()).unwrap();
            main.0 = text
                .replace(
                    "\"example.com/wslib\"\n",
                    "\"example.com/wslib\"\n\t_ \"example.com/outside\"\n",
                )
                .into_bytes();
        },
        |_| {},
    );
    let says = format!("go.work: uses {abs}, an absolute folder");
    refused_everywhere(&sb, "t1", &forged, &[&says]);
}

/// t2: go.work uses ./evil, whose go.mod claims a dependency's path, with
/// the dependency's vendored code and proof gone and the manifest saying
/// so: Go would build ./evil in place of the verified strutil.
#[test]
fn a_workspace_module_that_claims_a_dependency_path_is_refused() {
    let sb = Sandbox::new();
    let entries = workspace_entries(&sb, "vendor");
    let forged = forged(
        &sb,
        &entries,
        |files| {
            strutil_swapped_for_evil(files);
            let work = "go 1.22\n\nuse (\n\t./evil\n\t./lib\n\t./service\n)\n";
            files.insert("src/go.work".into(), (work.into(), 0o644));
        },
        strutil_moved_to_evil,
    );
    refused_everywhere(
        &sb,
        "t2",
        &forged,
        &[
            "main module example.com/strutil (./evil) takes the place of the vendored example.com/strutil@v1.1.0",
        ],
    );
}

/// t5: GOPATH mode lays out what the manifest's workspace lists: a module
/// added there alone (go.work untouched) would land at
/// $GOPATH/src/example.com/strutil in place of the verified code.
#[test]
fn a_workspace_module_the_manifest_adds_behind_go_work_is_refused() {
    let sb = Sandbox::new();
    let entries = workspace_entries(&sb, "gopath");
    let forged = forged(
        &sb,
        &entries,
        strutil_swapped_for_evil,
        strutil_moved_to_evil,
    );
    refused_everywhere(
        &sb,
        "t5",
        &forged,
        &[
            "does not use src/evil, which the manifest's module.workspace.modules lists as example.com/strutil",
        ],
    );
}

/// ws/go.work uses ../lib (above it) and ./service: packed, verified,
/// unpacked and built with no network in both modes, printing what the
/// fixture prints online. A `use` is a path, not a string prefix.
#[test]
fn a_workspace_whose_go_work_uses_a_folder_above_it_travels_in_both_modes() {
    let sb = Sandbox::new();
    let expected = online_output(&sb, "workspace", "service");
    let repo = sb.path("r3");
    copy_tree(&app("workspace/lib"), &repo.join("lib"));
    copy_tree(&app("workspace/service"), &repo.join("ws/service"));
    let work = "go 1.22\n\nuse (\n\t../lib\n\t./service\n)\n";
    std::fs::write(repo.join("ws/go.work"), work).unwrap();
    let dir = repo.join("ws/service");
    sb.keygen("rel");
    for mode in ["vendor", "gopath"] {
        let bundle = format!("r3-{mode}.ferry");
        let args = [
            "pack",
            dir.to_str().unwrap(),
            "-o",
            &bundle,
            "--key",
            "rel.key",
        ];
        let out = sb.run(&[&args[..], &["--mode", mode]].concat());
        assert_ok(&out);
        assert_says(&out, &[&format!("offline build proven: {mode} mode")]);
        let site = format!("r3-{mode}");
        sb.unpack(&bundle, &site);
        let module = manifest_module(&sb.path(&site));
        assert_eq!(module["workspace"]["dir"], "ws");
        assert_eq!(module["workspace"]["modules"][0]["dir"], "lib");
        for f in [
            "ws/go.work",
            "lib/go.mod",
            "lib/go.sum",
            "ws/service/go.sum",
        ] {
            assert!(
                sb.path(&site).join("src").join(f).is_file(),
                "{mode}: src/{f}"
            );
        }
        let bin = sb.path(&format!("{site}-bin"));
        assert_ok(&sb.build_offline(&site, &bin));
        let run = Command::new(&bin).output().unwrap();
        assert_eq!(String::from_utf8(run.stdout).unwrap(), expected, "{mode}");
    }
}

/// `GOWORK=off` packs a module alone even with a go.work in its own folder:
/// the go.work is left out of the bundle and the Dockerfile builds with
/// `GOWORK=off`; a bundle that carries one beside vendor/ with no workspace
/// declared (re-signed) is refused, since Go would read it.
#[test]
fn gowork_off_packs_the_module_alone_and_a_stray_go_work_is_refused() {
    let sb = Sandbox::new();
    let dir = sb.path("own");
    copy_tree(&app("clockwork"), &dir);
    std::fs::write(dir.join("go.work"), "go 1.22\n\nuse .\n").unwrap();
    sb.keygen("rel");
    let out = sb
        .ferry()
        .args([
            "pack",
            "own",
            "-o",
            "own.ferry",
            "--key",
            "rel.key",
            "--mode",
            "vendor",
        ])
        .env("GOWORK", "off")
        .output()
        .unwrap();
    assert_ok(&out);
    let entries = entries_of(&std::fs::read(sb.path("own.ferry")).unwrap());
    assert!(!entries.iter().any(|(n, _, _)| n.ends_with("go.work")));
    let dockerfile = &entries
        .iter()
        .find(|(n, _, _)| n == "Dockerfile")
        .unwrap()
        .1;
    let dockerfile = String::from_utf8(dockerfile.clone()).unwrap();
    assert!(
        dockerfile.contains("COPY src/ ./\nENV GOWORK=off\n"),
        "{dockerfile}"
    );
    let stray = forged(
        &sb,
        &entries,
        |files| {
            files.insert(
                "src/go.work".into(),
                (b"go 1.22\n\nuse .\n".to_vec(), 0o644),
            );
        },
        |_| {},
    );
    rejected(
        &sb,
        "stray",
        &rebuild(&stray).build(),
        &[
            "there is a go.work beside vendor/, but the manifest declares no workspace (module.workspace)",
        ],
    );
}

/// The go.work that makes DIR a workspace sits above the git work tree:
/// its folder (and the vendor/ beside it) would be carried from outside
/// the repository, so pack refuses it as it refuses such a replacement.
#[test]
fn a_go_work_above_the_repository_root_is_refused() {
    let sb = Sandbox::new();
    let repo = sb.path("outer/repo");
    copy_tree(&app("clockwork"), &repo.join("service"));
    std::fs::write(sb.path("outer/go.work"), "go 1.22\n\nuse ./repo/service\n").unwrap();
    let out = pack_in_git(&sb, &repo, "service");
    let outer = std::fs::canonicalize(sb.path("outer")).unwrap();
    assert_refused(
        &sb,
        &out,
        &[&format!(
            "go.work: {} is outside the repository root",
            outer.display()
        )],
    );
}

/// govulncheck scans the main module's folder below src/, with the carried
/// go.work in a workspace: pack --vulndb works for both shapes, and the
/// record it signs is read back at the site; a workspace folder's own audit
/// asks for the module folder, as govulncheck reads one go.mod.
#[test]
fn pack_vulndb_scans_a_workspace_and_a_module_below_src() {
    let sb = Sandbox::new();
    let db = crate::common::fixtures().join("vulndb");
    let db = db.to_str().unwrap();
    for (name, bundle) in [
        ("workspace/service", "ws.ferry"),
        ("monorepo/service", "mono.ferry"),
    ] {
        let out = sb.pack_with(name, bundle, &["-q", "--mode", "vendor", "--vulndb", db]);
        assert_ok(&out);
        let audit = sb.run(&["audit", bundle, "--pub", "rel.pub", "--vulns"]);
        assert_ok(&audit);
        assert_says(&audit, &["reachability by govulncheck@v1.9.0 at pack time"]);
    }
    copy_tree(&app("workspace"), &sb.path("wsa"));
    let mut vendor = Command::new("go");
    sb.go_env(&mut vendor);
    let out = vendor
        .args(["work", "vendor"])
        .current_dir(sb.path("wsa"))
        .output()
        .unwrap();
    assert_success("go work vendor", &out);
    let audit = sb.run(&["audit", "wsa", "--vulns", "--vulndb", db]);
    assert_exit(&audit, 2);
    assert_says(&audit, &["--vulns scans a module", "wsa/MODULE"]);
}
