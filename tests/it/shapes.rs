//! Real repository shapes: mains under cmd/ (one, or two with nothing at the
//! root), a library at the root, a `--main` in a nested module or that is not
//! package main, symlinks in the tree, a dependency only cgo builds. Each
//! packed as a user would; the bundles unpacked and built with no network,
//! the refusals read as the user reads them.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::common::containers::{Store, assert_success};
use crate::common::registry::{Registry, layout_with_go};
use crate::common::resign::minisign_sign;
use crate::common::{Sandbox, app, assert_exit, assert_ok, assert_says, copy_tree, text};

/// `go run ./PKG` of a fixture app, online in module mode: what it prints.
fn online(sb: &Sandbox, app_name: &str, pkg: &str) -> String {
    let mut cmd = Command::new("go");
    sb.go_env(&mut cmd);
    let out = cmd
        .args(["run", "-mod=mod", pkg])
        .current_dir(app(app_name))
        .env("GOFLAGS", "-modcacherw")
        .output()
        .expect("go run");
    assert_success("go run (online, module mode)", &out);
    String::from_utf8(out.stdout).unwrap()
}

fn manifest(sb: &Sandbox, site: &str) -> Value {
    serde_json::from_slice(&std::fs::read(sb.path(&format!("{site}/ferry.json"))).unwrap()).unwrap()
}

fn run(bin: &Path) -> String {
    let out = Command::new(bin).output().expect("run the binary");
    assert_success(&bin.display().to_string(), &out);
    String::from_utf8(out.stdout).unwrap()
}

/// A copy of the fixture app `app_name` in the sandbox, as `name`.
fn copied(sb: &Sandbox, app_name: &str, name: &str) -> std::path::PathBuf {
    let tree = sb.path(name);
    copy_tree(&app(app_name), &tree);
    tree
}

/// A refusal: exit 2, saying each of `says`.
fn refused(out: &Output, says: &[&str]) {
    assert_exit(out, 2);
    assert_says(out, says);
}

const TWO: [&str; 4] = ["--main", "./cmd/server", "--main", "./cmd/migrate"];

#[test]
fn two_mains_and_none_at_the_root_are_listed_then_both_built_offline_into_a_folder() {
    let sb = Sandbox::new();
    let out = sb.pack_with("twobin", "two.ferry", &[]);
    refused(
        &out,
        &[
            "module example.com/twobin has 2 main packages",
            "  --main ./cmd/migrate\n  --main ./cmd/server",
        ],
    );
    assert!(!sb.path("two.ferry").exists());

    let out = sb.pack_with("twobin", "two.ferry", &TWO);
    assert_ok(&out);
    assert_says(
        &out,
        &[
            "binaries: server (./cmd/server), migrate (./cmd/migrate) (the first is the image's entry point)",
            "offline build proven: gopath mode",
            "built server, migrate",
        ],
    );
    sb.unpack("two.ferry", "site");
    let m = manifest(&sb, "site");
    assert_eq!(
        m["build"]["mains"],
        serde_json::json!([
            {"package": "./cmd/server", "binary": "server"},
            {"package": "./cmd/migrate", "binary": "migrate"},
        ])
    );
    let dockerfile = std::fs::read_to_string(sb.path("site/Dockerfile")).unwrap();
    for (bin, pkg) in [("server", "./cmd/server"), ("migrate", "./cmd/migrate")] {
        assert!(
            dockerfile.contains(&format!(r#""-o","/out/{bin}","{pkg}"]"#)),
            "{dockerfile}"
        );
        assert!(dockerfile.contains(&format!("COPY --from=build /out/{bin} /{bin}\n")));
    }
    assert!(
        dockerfile.contains("ENTRYPOINT [\"/server\"]"),
        "{dockerfile}"
    );

    let out = sb.run(&["build", "site", "--pub", "rel.pub", "-o", "one-file"]);
    refused(
        &out,
        &["builds 2 binaries (server, migrate)", "existing folder"],
    );

    std::fs::create_dir(sb.path("bin")).unwrap();
    let out = sb.build_offline("site", &sb.path("bin"));
    assert_ok(&out);
    for name in ["server", "migrate"] {
        let bin = sb.path(&format!("bin/{name}"));
        assert_says(&out, &[&format!("built {}", bin.display())]);
        assert!(sb.path(&format!("bin/{name}.intoto.json")).is_file());
        let want = online(&sb, "twobin", &format!("./cmd/{name}"));
        assert_eq!(run(&bin), want, "{name}");
    }
}

#[test]
fn the_only_main_under_cmd_is_found_without_main() {
    let sb = Sandbox::new();
    let out = sb.pack_with("onecmd", "one.ferry", &[]);
    assert_ok(&out);
    assert_says(&out, &["  binary: tool (./cmd/tool)\n", "built tool"]);
    sb.unpack("one.ferry", "site");
    let build = &manifest(&sb, "site")["build"];
    assert_eq!(build["main"], "./cmd/tool");
    assert_eq!(build["binary"], "tool");
    assert!(build.get("mains").is_none(), "{build}");
    let bin = sb.path("tool-bin");
    assert_ok(&sb.build_offline("site", &bin));
    assert_eq!(run(&bin), online(&sb, "onecmd", "./cmd/tool"));
    // An existing folder gets the binary under its own name, as go build -o.
    std::fs::create_dir(sb.path("dir")).unwrap();
    assert_ok(&sb.build_offline("site", &sb.path("dir")));
    assert!(sb.path("dir/tool").is_file() && sb.path("dir/tool.intoto.json").is_file());
}

#[test]
fn pack_warns_as_ferry_build_does_where_gopath_mode_differs() {
    let sb = Sandbox::new();
    let out = sb.pack_with("onecmd", "one.ferry", &["-q"]);
    assert_ok(&out);
    // go.mod says go 1.22; the proof's Go (and ferry build's) is newer.
    assert_says(
        &out,
        &["warning: GODEBUG defaults in GOPATH mode are those of go1."],
    );
}

#[test]
fn a_library_at_the_root_is_never_packed() {
    let sb = Sandbox::new();
    let out = sb.pack_with("library", "lib.ferry", &[]);
    refused(
        &out,
        &["no main package in module example.com/library (the root is package library)"],
    );
    let out = sb.pack_with("library", "lib.ferry", &["--main", "."]);
    refused(&out, &["--main . is package library, not package main"]);
    let out = sb.pack_with("twobin", "lib.ferry", &["--main", "."]);
    refused(&out, &["--main . holds only tests of package main"]);
    assert!(!sb.path("lib.ferry").exists());
}

#[test]
fn a_main_in_a_nested_module_is_refused_naming_the_folder_to_pack() {
    let sb = Sandbox::new();
    let out = sb.pack_with("library", "gen.ferry", &["--main", "./gen"]);
    assert_exit(&out, 2);
    let folder = app("library").join("gen");
    assert_says(
        &out,
        &[
            "--main ./gen lies in a nested module",
            &format!("ferry pack {}", folder.display()),
        ],
    );
    assert!(!sb.path("gen.ferry").exists());
}

#[test]
fn a_main_that_is_not_package_main_or_repeats_a_binary_name_is_refused() {
    let sb = Sandbox::new();
    let out = sb.pack_with("twobin", "x.ferry", &["--main", "./internal/version"]);
    refused(
        &out,
        &["--main ./internal/version is package version, not package main"],
    );
    let out = sb.pack_with(
        "twobin",
        "x.ferry",
        &["--main", "./cmd/server", "--main", "cmd/server"],
    );
    refused(
        &out,
        &["--main ./cmd/server is given twice; pass each package once"],
    );
    assert!(!sb.path("x.ferry").exists());
}

#[test]
fn every_symlink_is_listed_in_one_refusal() {
    let sb = Sandbox::new();
    let tree = copied(&sb, "onecmd", "linked");
    std::os::unix::fs::symlink("/etc/hostname", tree.join("hostname")).unwrap();
    std::os::unix::fs::symlink("../go.mod", tree.join("cmd/go.mod.link")).unwrap();
    sb.keygen("rel");
    let out = sb.run(&["pack", "linked", "-o", "l.ferry", "--key", "rel.key"]);
    refused(
        &out,
        &[
            "2 paths in the tree are not regular files",
            "linked/cmd/go.mod.link (symbolic link)",
            "linked/hostname (symbolic link)",
            ".ferryignore",
        ],
    );
    assert!(!sb.path("l.ferry").exists());
}

#[test]
fn a_dependency_only_cgo_builds_stops_pack_with_the_tags_that_avoid_it() {
    let sb = Sandbox::new();
    let out = sb.pack_with("cgodep", "c.ferry", &[]);
    refused(
        &out,
        &[
            "with cgo off (CGO_ENABLED=0, ferry's default), the build needs packages that only cgo builds",
            "example.com/cgoonly (cgo files only: cgoonly.go, imported by example.com/cgodep)",
            "--tags purego",
            "--cgo",
        ],
    );
    assert!(!sb.path("c.ferry").exists());
    assert_ok(&sb.pack_with("cgodep", "pure.ferry", &["--tags", "purego", "-q"]));

    let out = sb.pack_with("cgodep", "cgo.ferry", &["--cgo", "--mode", "vendor"]);
    assert_ok(&out);
    assert_says(&out, &["warning: --cgo with the scratch runtime"]);
    sb.unpack("cgo.ferry", "site");
    assert_eq!(manifest(&sb, "site")["build"]["cgo"], true);
    let dockerfile = std::fs::read_to_string(sb.path("site/Dockerfile")).unwrap();
    assert!(dockerfile.contains(" CGO_ENABLED=1\n"), "{dockerfile}");
    let bin = sb.path("cgo-bin");
    let out = sb.build_offline("site", &bin);
    assert_ok(&out);
    assert_says(
        &out,
        &[
            "cgo on (the manifest's build.cgo, CGO_ENABLED=1): the vendored C code was compiled with ",
        ],
    );
    assert_eq!(run(&bin), "answer: 42\n");
}

/// Changes the unpacked bundle's ferry.json with `edit` and signs it again
/// with the sandbox's `rel` key: a manifest as a hostile or older packer
/// could have signed it.
fn forge(sb: &Sandbox, site: &str, edit: impl FnOnce(&mut Value)) {
    let path = sb.path(&format!("{site}/ferry.json"));
    let mut m: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    edit(&mut m);
    let mut bytes = serde_json::to_vec_pretty(&m).unwrap();
    bytes.push(b'\n');
    std::fs::write(
        sb.path(&format!("{site}/ferry.json.minisig")),
        minisign_sign(sb, &bytes),
    )
    .unwrap();
    std::fs::write(&path, bytes).unwrap();
}

/// The names in `dir`, sorted: what a failed build left there.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A dependency that builds with cgo off only as a `!cgo` stub that panics
/// (mattn/go-sqlite3's static_mock.go): pack warns and offers --cgo.
#[test]
fn a_dependency_whose_cgo_off_build_is_a_stub_is_warned_of() {
    let sb = Sandbox::new();
    let out = sb.pack_with("cgostub", "s.ferry", &["-q"]);
    assert_ok(&out);
    assert_says(
        &out,
        &[
            "warning: example.com/sqlish has cgo files (sqlish.go) that cgo off (CGO_ENABLED=0, ferry's default) leaves out, building stub.go instead: if that is a stub, the program fails where it calls it; pass --cgo",
        ],
    );
    assert_eq!(
        text(&out).matches("has cgo files").count(),
        1,
        "{}",
        text(&out)
    );
    let out = sb.pack_with("cgostub", "c.ferry", &["-q", "--cgo", "--mode", "vendor"]);
    assert_ok(&out);
    assert!(!text(&out).contains("sqlish"), "{}", text(&out));
}

/// A signed manifest naming a package that is not main (as a bundle packed
/// before main discovery could): `ferry build` writes no "built" binary,
/// and leaves nothing of it behind.
#[test]
fn ferry_build_calls_nothing_built_that_is_not_a_program() {
    let sb = Sandbox::new();
    assert_ok(&sb.pack_with("twobin", "s.ferry", &["--main", "./cmd/server", "-q"]));
    sb.unpack("s.ferry", "site");
    forge(&sb, "site", |m| {
        m["build"]["main"] = "./internal/version".into()
    });
    std::fs::create_dir(sb.path("o1")).unwrap();
    let out = sb.run(&["build", "site", "--pub", "rel.pub", "-o", "o1/server"]);
    assert_exit(&out, 1);
    assert_says(
        &out,
        &[&format!(
            "the offline build of ./internal/version wrote {}, which is not a program: it is an ar archive",
            sb.path("o1/server").display()
        )],
    );
    assert!(!text(&out).contains("built "), "{}", text(&out));
    assert_eq!(names_in(&sb.path("o1")), Vec::<String>::new());
}

/// Of two binaries, the second fails to build: the first, already built,
/// is not left behind without its provenance.
#[test]
fn a_failed_second_binary_leaves_the_first_unplaced() {
    let sb = Sandbox::new();
    assert_ok(&sb.pack_with("twobin", "two.ferry", &[&TWO[..], &["-q"]].concat()));
    sb.unpack("two.ferry", "site");
    forge(&sb, "site", |m| {
        m["build"]["mains"][1]["package"] = "./cmd/nope".into();
        m["build"]["mains"][1]["binary"] = "nope".into();
    });
    std::fs::create_dir(sb.path("o2")).unwrap();
    let out = sb.build_offline("site", &sb.path("o2"));
    assert_exit(&out, 1);
    assert_says(&out, &["the offline build (gopath mode"]);
    assert_eq!(names_in(&sb.path("o2")), Vec::<String>::new());

    // `-o DIR/` for a folder that is not there: refused, nothing made.
    let out = sb.run(&["build", "site", "--pub", "rel.pub", "-o", "o4/"]);
    refused(&out, &["-o o4/: no such folder; create it first"]);
    assert!(!sb.path("o4").exists());
}

/// A main folder named like another binary's provenance file: refused at
/// pack, and in a forged manifest by ferry build before anything is built.
#[test]
fn a_binary_named_like_another_ones_provenance_is_refused() {
    let sb = Sandbox::new();
    let tree = copied(&sb, "twobin", "clash");
    copy_tree(
        &tree.join("cmd/migrate"),
        &tree.join("cmd/server.intoto.json"),
    );
    sb.keygen("rel");
    let flags = [
        "--main",
        "./cmd/server",
        "--main",
        "./cmd/server.intoto.json",
    ];
    let mut args = vec!["pack", "clash", "-o", "c.ferry", "--key", "rel.key"];
    args.extend(flags);
    let out = sb.run(&args);
    refused(
        &out,
        &[
            "the binary server.intoto.json is named like the provenance server.intoto.json that ferry build writes beside server",
        ],
    );
    assert!(!sb.path("c.ferry").exists());

    assert_ok(&sb.pack_with("twobin", "two.ferry", &[&TWO[..], &["-q"]].concat()));
    sb.unpack("two.ferry", "site");
    forge(&sb, "site", |m| {
        m["build"]["mains"][1]["binary"] = "server.intoto.json".into()
    });
    std::fs::create_dir(sb.path("o")).unwrap();
    let out = sb.build_offline("site", &sb.path("o"));
    assert_exit(&out, 1);
    assert_says(
        &out,
        &[
            "build.mains[1].binary = \"server.intoto.json\": two main packages would write the same file",
        ],
    );
    assert_eq!(names_in(&sb.path("o")), Vec::<String>::new());
}

#[test]
fn a_failed_build_echoes_a_go_line_that_pastes() {
    let sb = Sandbox::new();
    let tree = copied(&sb, "onecmd", "broken");
    std::fs::write(
        tree.join("cmd/tool/broken.go"),
        "package main\n\nvar x int = \"no\"\n",
    )
    .unwrap();
    sb.keygen("rel");
    let out = sb.run(&[
        "pack", "broken", "-o", "b.ferry", "--key", "rel.key", "-q", "--mode", "vendor",
    ]);
    assert_exit(&out, 1);
    let shown = text(&out);
    let line = shown
        .lines()
        .find_map(|l| {
            l.split_once("failed: env ")
                .map(|(_, rest)| format!("env {rest}"))
        })
        .unwrap_or_else(|| panic!("no echoed line: {shown}"));
    assert!(
        line.contains("GOFLAGS=-mod=vendor") && line.contains("GOOS=linux"),
        "{line}"
    );
    assert!(
        line.contains(" go build -trimpath -tags timetzdata -ldflags '-s -w' -o "),
        "{line}"
    );
    // Pasted in the tree laid out as the build lays it out (vendor/ beside
    // go.mod), it runs the same build and fails the same way.
    let mut vendor = Command::new("go");
    sb.go_env(&mut vendor);
    assert_success(
        "go mod vendor",
        &vendor
            .args(["mod", "vendor"])
            .current_dir(&tree)
            .output()
            .unwrap(),
    );
    let pasted = Command::new("sh")
        .args(["-c", &line])
        .current_dir(&tree)
        .output()
        .unwrap();
    assert!(!pasted.status.success());
    let err = String::from_utf8_lossy(&pasted.stderr);
    assert!(err.contains("cannot use \"no\""), "{err}");
    assert!(shown.contains("cannot use \"no\""), "{shown}");
}

fn podman_run(store: &Store, tag: &str, entrypoint: Option<&str>) -> Output {
    let mut cmd = store.podman();
    cmd.args(["--runtime", "runc", "run", "--rm", "--network", "none"])
        .args([
            "--ulimit",
            "nofile=20000:20000",
            "--ulimit",
            "nproc=4096:4096",
        ]);
    if let Some(e) = entrypoint {
        cmd.args(["--entrypoint", e]);
    }
    cmd.arg(tag).output().expect("podman run")
}

/// Both binaries in one image, built by buildah with no network: the first
/// is the entry point, the second runs by its path.
#[test]
fn the_dockerfile_of_two_binaries_builds_both_with_no_network() {
    let reg = Registry::start();
    let builder = reg.seed_from(layout_with_go(), "go", "test/go:1.26", None);
    let sb = Sandbox::new();
    let mut flags = TWO.to_vec();
    flags.extend(["--builder-image", builder.as_str(), "--mode", "vendor"]);
    flags.extend(["--insecure-registry", reg.host.as_str(), "-q"]);
    assert_ok(&sb.pack_with("twobin", "two.ferry", &flags));
    sb.unpack("two.ferry", "site");
    let store_dir = tempfile::tempdir().unwrap();
    let store = Store::new(store_dir.path());
    for tar in std::fs::read_dir(sb.path("site/images")).unwrap() {
        store.load(&tar.unwrap().path());
    }
    let tag = "localhost/twobin:test";
    assert_success("buildah build", &store.build(&sb.path("site"), tag));
    let server = podman_run(&store, tag, None);
    assert_success("podman run", &server);
    let want = online(&sb, "twobin", "./cmd/server");
    assert_eq!(String::from_utf8(server.stdout).unwrap(), want);
    let migrate = podman_run(&store, tag, Some("/migrate"));
    assert_success("podman run --entrypoint /migrate", &migrate);
    let want = online(&sb, "twobin", "./cmd/migrate");
    assert_eq!(String::from_utf8(migrate.stdout).unwrap(), want);
}

/// The working folder reached through a symlink (`cd /tmp/anc/app`, where
/// `anc` links to the real folder): go reports paths as the shell's $PWD
/// spells them, and discovery and `--main` still name them relative.
#[test]
fn a_working_folder_through_a_symlink_packs_as_the_real_one() {
    let sb = Sandbox::new();
    copy_tree(&app("twobin"), &sb.path("play/twobin"));
    std::os::unix::fs::symlink(sb.path("play"), sb.path("anc")).unwrap();
    sb.keygen("rel");
    let linked = sb.path("anc/twobin");
    let pack = |flags: &[&str]| {
        let mut cmd = sb.ferry();
        cmd.current_dir(&linked).env("PWD", &linked);
        cmd.args([
            "pack",
            ".",
            "-o",
            "../../t.ferry",
            "--key",
            "../../rel.key",
            "-q",
        ]);
        cmd.args(flags).output().expect("run ferry")
    };
    let out = pack(&[]);
    refused(&out, &["  --main ./cmd/migrate\n  --main ./cmd/server"]);
    assert_ok(&pack(&["--main", "./cmd/server"]));
    sb.unpack("t.ferry", "site");
    assert_eq!(manifest(&sb, "site")["build"]["main"], "./cmd/server");
}

/// Go settings of whoever runs ferry (GOOS, GOARCH, GOEXPERIMENT, CC, a
/// `go env -w` file) change nothing: pack proves and ferry build builds for
/// the target, and the provenance says which.
#[test]
fn the_callers_go_settings_do_not_change_what_is_built() {
    let sb = Sandbox::new();
    let goenv = sb.path("goenv");
    std::fs::write(&goenv, "GOOS=darwin\nGOARCH=arm64\n").unwrap();
    let hostile = |cmd: &mut Command| {
        cmd.env("GOOS", "windows")
            .env("GOARCH", "386")
            .env("GOEXPERIMENT", "arenas")
            .env("CC", "/nonexistent/cc")
            .env("GOENV", &goenv);
    };
    sb.keygen("rel");
    let dir = app("onecmd").display().to_string();
    let mut cmd = sb.ferry();
    hostile(&mut cmd);
    let args = ["pack", &dir, "-o", "o.ferry", "--key", "rel.key", "-q"];
    let out = cmd.args(args).output().unwrap();
    assert_ok(&out);
    sb.unpack("o.ferry", "site");
    let mut cmd = crate::common::no_network();
    cmd.arg(env!("CARGO_BIN_EXE_ferry"))
        .args(["build", "site", "--pub", "rel.pub", "-o", "tool"])
        .current_dir(sb.path(""))
        .env("GOPROXY", "off");
    hostile(&mut cmd);
    let out = cmd.output().unwrap();
    assert_ok(&out);
    assert_eq!(run(&sb.path("tool")), online(&sb, "onecmd", "./cmd/tool"));
    let prov: Value =
        serde_json::from_slice(&std::fs::read(sb.path("tool.intoto.json")).unwrap()).unwrap();
    let env = &prov["predicate"]["buildDefinition"]["internalParameters"]["env"];
    assert_eq!(env["GOOS"], "linux", "{env}");
    assert_eq!(
        env["GOARCH"],
        std::env::consts::ARCH.replace("x86_64", "amd64")
    );
}

/// What `.ferryignore` leaves out is not a main package to build, and a
/// found folder whose name breaks the manifest's rules stops pack early.
#[test]
fn discovery_follows_ferryignore_and_the_field_rules() {
    let sb = Sandbox::new();
    sb.keygen("rel");
    let pack = |tree: &str, flags: &[&str]| {
        let mut args = vec!["pack", tree, "-o", "x.ferry", "--key", "rel.key", "-q"];
        args.extend(flags);
        sb.run(&args)
    };
    let tree = copied(&sb, "twobin", "ign");
    std::fs::write(tree.join(".ferryignore"), "cmd/migrate/\n").unwrap();
    let out = pack("ign", &[]);
    assert_ok(&out);
    sb.unpack("x.ferry", "site");
    assert_eq!(manifest(&sb, "site")["build"]["main"], "./cmd/server");
    std::fs::remove_file(sb.path("x.ferry")).unwrap();

    std::fs::write(tree.join(".ferryignore"), "cmd/\n").unwrap();
    let out = pack("ign", &["--main", "./cmd/server"]);
    refused(
        &out,
        &["--main ./cmd/server: .ferryignore leaves out the Go files of its folder"],
    );

    let tree = copied(&sb, "onecmd", "dash");
    std::fs::rename(tree.join("cmd/tool"), tree.join("cmd/-x")).unwrap();
    let out = pack("dash", &[]);
    refused(&out, &["main package ./cmd/-x (binary -x): "]);
    assert!(!sb.path("x.ferry").exists());
}

/// A `--main` that build constraints leave out says why: cgo only when its
/// files need cgo, else its build lines or file names; a final `/` (as a
/// shell completes a folder) is the same folder.
#[test]
fn a_main_left_out_by_constraints_says_which_and_a_final_slash_is_the_folder() {
    let sb = Sandbox::new();
    let tree = copied(&sb, "twobin", "tb");
    std::fs::create_dir_all(tree.join("cmd/ign")).unwrap();
    std::fs::write(
        tree.join("cmd/ign/main.go"),
        "//go:build ignore\n\npackage main\n\nfunc main() {}\n",
    )
    .unwrap();
    std::fs::create_dir_all(tree.join("cmd/cmain")).unwrap();
    std::fs::write(
        tree.join("cmd/cmain/main.go"),
        "package main\n\n// int one(void) { return 1; }\nimport \"C\"\n\nfunc main() { println(C.one()) }\n",
    )
    .unwrap();
    sb.keygen("rel");
    let pack = |main: &str| {
        sb.run(&[
            "pack", "tb", "-o", "x.ferry", "--key", "rel.key", "-q", "--main", main,
        ])
    };
    let out = pack("./cmd/ign");
    refused(
        &out,
        &[
            "--main ./cmd/ign is not a main package this module builds: ",
            "pass --tags with the tag that selects them",
        ],
    );
    assert!(!text(&out).contains("cgo"), "{}", text(&out));
    let out = pack("./cmd/cmain");
    refused(
        &out,
        &["(cgo is off, and its files import \"C\": pass --cgo)"],
    );
    assert_ok(&pack("./cmd/server/"));
    sb.unpack("x.ferry", "site");
    assert_eq!(manifest(&sb, "site")["build"]["main"], "./cmd/server");
}

/// Two binaries in vendor mode: `ferry build` with no network builds both
/// into the folder, each with its provenance, each printing what it prints
/// when built online.
#[test]
fn two_binaries_build_offline_in_vendor_mode() {
    let sb = Sandbox::new();
    let flags = [&TWO[..], &["--mode", "vendor", "-q"]].concat();
    assert_ok(&sb.pack_with("twobin", "two.ferry", &flags));
    sb.unpack("two.ferry", "site");
    std::fs::create_dir(sb.path("bin")).unwrap();
    assert_ok(&sb.build_offline("site", &sb.path("bin")));
    assert_eq!(
        names_in(&sb.path("bin")),
        [
            "migrate",
            "migrate.intoto.json",
            "server",
            "server.intoto.json"
        ]
    );
    for name in ["server", "migrate"] {
        let want = online(&sb, "twobin", &format!("./cmd/{name}"));
        assert_eq!(run(&sb.path(&format!("bin/{name}"))), want, "{name}");
    }
}
