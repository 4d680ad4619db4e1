//! Delta bundles: a release and its successor (the main module's main.go
//! renamed, one file added) packed whole and as a delta over the first; the
//! delta carries only what the base lacks, and with its base unpacks to the
//! tree of the full bundle. Without its base, or over the wrong one, every
//! reader says which base it needs (exit 1) and writes nothing.

use std::fs;
use std::path::Path;
use std::process::Output;

use crate::common::{Sandbox, app, assert_exit, assert_ok, assert_says, copy_tree, text};

/// `v1.ferry` (hello), `v2.ferry` (its successor, whole) and `v2d.ferry`
/// (the successor as a delta over v1.ferry).
fn releases() -> Sandbox {
    let sb = Sandbox::new();
    copy_tree(&app("hello"), &sb.path("v1"));
    copy_tree(&app("hello"), &sb.path("v2"));
    fs::rename(sb.path("v2/main.go"), sb.path("v2/hello.go")).unwrap();
    fs::write(
        sb.path("v2/patch.go"),
        "package main\n\n// v2's patch.\nconst patch = 2\n",
    )
    .unwrap();
    sb.keygen("rel");
    pack_releases(&sb);
    sb
}

/// Every file under `root` but the signed manifest and its signature:
/// relative path, bytes and mode.
fn tree(root: &Path) -> Vec<(String, Vec<u8>, u32)> {
    crate::common::files_of(root, &["ferry.json", "ferry.json.minisig"])
}

/// v1 and v2 as full bundles, and v2 as a delta over v1 (`v2d.ferry`).
fn pack_releases(sb: &Sandbox) {
    let pack = |dir: &str, out: &str, extra: &[&str]| {
        assert_ok(&pack_dir(
            sb,
            dir,
            "rel.key",
            out,
            &[&["-q"], extra].concat(),
        ));
    };
    pack("v1", "v1.ferry", &[]);
    pack("v2", "v2.ferry", &[]);
    pack("v2", "v2d.ferry", &["--base", "v1.ferry"]);
}

/// `ferry unpack DELTA --base BASE -C DEST`, quietly.
fn unpack_over(sb: &Sandbox, delta: &str, base: &str, dest: &str) -> std::process::Output {
    sb.run(&[
        "unpack", delta, "--pub", "rel.pub", "--base", base, "-C", dest, "-q",
    ])
}

/// The names the delta's zip carries.
fn carried(bundle: &Path) -> Vec<String> {
    let mut zip = zip::ZipArchive::new(fs::File::open(bundle).unwrap());
    let zip = zip.as_mut().unwrap();
    (0..zip.len())
        .map(|i| zip.by_index_raw(i).unwrap().name().unwrap().to_string())
        .collect()
}

#[test]
fn a_delta_with_its_base_unpacks_to_the_full_bundles_tree() {
    let sb = releases();
    assert_eq!(
        carried(&sb.path("v2d.ferry")),
        ["ferry.json", "ferry.json.minisig", "src/patch.go"],
        "the renamed main.go costs nothing; only the new file is carried"
    );
    assert!(
        fs::metadata(sb.path("v2d.ferry")).unwrap().len()
            < fs::metadata(sb.path("v2.ferry")).unwrap().len() / 2
    );
    let verify = sb.run(&[
        "verify",
        "v2d.ferry",
        "--pub",
        "rel.pub",
        "--base",
        "v1.ferry",
    ]);
    assert_ok(&verify);
    assert_ok(&unpack_over(&sb, "v2d.ferry", "v1.ferry", "delta"));
    sb.unpack("v2.ferry", "full");
    assert_eq!(tree(&sb.path("delta")), tree(&sb.path("full")));
    let m: serde_json::Value =
        serde_json::from_slice(&fs::read(sb.path("delta/ferry.json")).unwrap()).unwrap();
    let full: serde_json::Value =
        serde_json::from_slice(&fs::read(sb.path("full/ferry.json")).unwrap()).unwrap();
    assert_eq!(
        m["entries"], full["entries"],
        "the delta's manifest lists every entry"
    );
    assert_eq!(m["base"]["module"], "example.com/hello");
}

#[test]
fn a_missing_or_wrong_base_names_the_base_expected_and_nothing_is_written() {
    let sb = releases();
    let before = sb.listing();
    for args in [
        vec!["verify", "v2d.ferry", "--pub", "rel.pub"],
        vec!["unpack", "v2d.ferry", "--pub", "rel.pub", "-C", "dest"],
    ] {
        let out = sb.run(&args);
        assert_exit(&out, 1);
        assert_says(
            &out,
            &[
                "entries come from the base example.com/hello unversioned (ferry.json sha256:",
                "give it with --base OLD",
            ],
        );
    }
    for args in [
        vec![
            "verify",
            "v2d.ferry",
            "--pub",
            "rel.pub",
            "--base",
            "v2.ferry",
        ],
        vec![
            "unpack",
            "v2d.ferry",
            "--pub",
            "rel.pub",
            "--base",
            "v2.ferry",
            "-C",
            "dest",
        ],
    ] {
        let out = sb.run(&args);
        assert_exit(&out, 1);
        assert_says(
            &out,
            &[
                "v2.ferry is not the base of v2d.ferry",
                "the delta needs example.com/hello unversioned (ferry.json sha256:",
            ],
        );
    }
    // A base that is not a bundle signed by a trusted key is never read.
    sb.keygen("other");
    let out = sb.run(&[
        "verify",
        "v2d.ferry",
        "--pub",
        "rel.pub",
        "--base",
        "v1.ferry",
        "--pub",
        "other.pub",
    ]);
    assert_ok(&out);
    let mut tampered = fs::read(sb.path("v1.ferry")).unwrap();
    let at = tampered.len() / 3;
    tampered[at] ^= 1;
    fs::write(sb.path("bad-base.ferry"), tampered).unwrap();
    let out = sb.run(&[
        "unpack",
        "v2d.ferry",
        "--pub",
        "rel.pub",
        "--base",
        "bad-base.ferry",
        "-C",
        "dest",
    ]);
    assert_exit(&out, 1);
    // A folder that is no unpacked bundle, and --base for a bundle that is no delta.
    let out = sb.run(&["verify", "v2d.ferry", "--pub", "rel.pub", "--base", "v1"]);
    assert_exit(&out, 2);
    let out = sb.run(&[
        "verify", "v2.ferry", "--pub", "rel.pub", "--base", "v1.ferry",
    ]);
    assert_exit(&out, 2);
    assert_says(&out, &["is not a delta bundle"]);
    let mut after = sb.listing();
    after.retain(|n| !["other.key", "other.pub", "bad-base.ferry"].contains(&n.as_str()));
    assert_eq!(after, before, "{}", text(&out));
}

/// The tree's signed ferry.json names one of its files: `v1u/src/main.go`
/// is what v2d.ferry takes for its `src/hello.go`.
const BASE_FILE: &str = "v1u/src/main.go";

#[test]
fn an_unpacked_folder_is_a_base_checked_file_by_file_as_it_is_read() {
    let sb = releases();
    sb.unpack("v1.ferry", "v1u");
    sb.unpack("v2.ferry", "full");
    let with = |args: &[&str], base: &str| {
        let mut all = args.to_vec();
        if args[0] != "pack" {
            all.extend(["--pub", "rel.pub"]);
        }
        all.extend(["--base", base]);
        sb.run(&all)
    };
    assert_ok(&with(&["verify", "v2d.ferry"], "v1u"));
    assert_ok(&with(&["unpack", "v2d.ferry", "-C", "site", "-q"], "v1u"));
    assert_eq!(tree(&sb.path("site")), tree(&sb.path("full")));
    assert_ok(&with(&["audit", "v2d.ferry", "--format", "json"], "v1u"));
    assert_ok(&with(&["images", "list", "v2d.ferry"], "v1u"));
    // Over the folder, pack writes the very delta it writes over the bundle.
    let pack = [
        "pack",
        "v2",
        "--key",
        "rel.key",
        "--no-build-check",
        "-q",
        "-o",
    ];
    assert_ok(&with(&[&pack[..], &["v2f.ferry"]].concat(), "v1u"));
    assert_eq!(
        fs::read(sb.path("v2f.ferry")).unwrap(),
        fs::read(sb.path("v2d.ferry")).unwrap()
    );
    // The unpacked successor is a folder, but not the base the delta names.
    let out = with(&["verify", "v2d.ferry"], "full");
    assert_exit(&out, 1);
    assert_says(&out, &["is not the base of v2d.ferry"]);

    // One byte of the file the delta takes, changed in place (same size).
    let good = fs::read(sb.path(BASE_FILE)).unwrap();
    let mut bad = good.clone();
    bad[0] ^= 0x20;
    fs::write(sb.path(BASE_FILE), &bad).unwrap();
    let before = sb.listing();
    let (want, got) = (sha256(&good), sha256(&bad));
    for args in [
        vec!["verify", "v2d.ferry"],
        vec!["unpack", "v2d.ferry", "-C", "dest"],
        vec!["images", "list", "v2d.ferry"],
        vec!["audit", "v2d.ferry"],
        [&pack[..], &["v2g.ferry"]].concat(),
    ] {
        let out = with(&args, "v1u");
        assert_exit(&out, 1);
        assert_says(&out, &[BASE_FILE, "sha256 differs", &want, &got]);
    }
    assert_eq!(sb.listing(), before, "nothing written over a tampered base");

    // A link to the right bytes is not the file the folder signs.
    fs::write(sb.path("elsewhere.go"), &good).unwrap();
    fs::remove_file(sb.path(BASE_FILE)).unwrap();
    std::os::unix::fs::symlink(sb.path("elsewhere.go"), sb.path(BASE_FILE)).unwrap();
    let out = with(&["unpack", "v2d.ferry", "-C", "dest"], "v1u");
    assert_exit(&out, 1);
    assert_says(&out, &[BASE_FILE, "is not a regular file"]);
    fs::remove_file(sb.path(BASE_FILE)).unwrap();
    let out = with(&["verify", "v2d.ferry"], "v1u");
    assert_exit(&out, 1);
    assert_says(&out, &[BASE_FILE, "is missing"]);
    assert!(!sb.path("dest").exists());
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[test]
fn a_delta_travels_in_parts() {
    let sb = releases();
    let out = pack_over(
        &sb,
        "v2",
        "rel.key",
        "v2p.ferry",
        "v1.ferry",
        &["--split", "1K"],
    );
    assert_ok(&out);
    assert_says(
        &out,
        &[
            "packed example.com/hello unversioned into v2p.ferry.parts (2 parts): a delta, ",
            "  base: v1.ferry example.com/hello unversioned (ferry.json sha256:",
            "11 entries taken from it, not carried; ",
            " for the full bundle",
        ],
    );
    assert!(sb.path("v2p.ferry.parts").exists() && !sb.path("v2p.ferry").exists());
    sb.run(&["split", "v1.ferry", "--size", "2K", "--key", "rel.key"]);
    assert_ok(&unpack_over(
        &sb,
        "v2p.ferry.parts",
        "v1.ferry.parts",
        "site",
    ));
    sb.unpack("v2.ferry", "full");
    assert_eq!(tree(&sb.path("site")), tree(&sb.path("full")));
}

#[test]
fn audit_and_images_read_a_delta_with_its_base() {
    let sb = releases();
    let audit = sb.run(&[
        "audit",
        "v2d.ferry",
        "--pub",
        "rel.pub",
        "--base",
        "v1.ferry",
        "--format",
        "json",
    ]);
    assert_ok(&audit);
    assert_says(&audit, &["example.com/strutil"]);
    let without = sb.run(&["audit", "v2d.ferry", "--pub", "rel.pub"]);
    assert_exit(&without, 1);
    assert_says(&without, &["give it with --base OLD"]);
    assert_ok(&sb.run(&[
        "images",
        "list",
        "v2d.ferry",
        "--pub",
        "rel.pub",
        "--base",
        "v1.ferry",
    ]));
}

#[test]
fn diff_reads_a_delta_with_its_base_and_a_folder_refuses_one() {
    let sb = releases();
    sb.unpack("v1.ferry", "v1u");
    let diff = |new: &str, extra: &[&str]| {
        let args = [
            "diff", "v1.ferry", new, "--pub", "rel.pub", "--format", "json",
        ];
        sb.run(&[&args[..], extra].concat())
    };
    let whole = diff("v2.ferry", &[]);
    assert_ok(&whole);
    for base in ["v1.ferry", "v1u"] {
        let delta = diff("v2d.ferry", &["--base", base]);
        assert_ok(&delta);
        assert_eq!(delta.stdout, whole.stdout, "{base}");
    }
    let out = diff("v2d.ferry", &[]);
    assert_exit(&out, 1);
    assert_says(&out, &["give it with --base OLD"]);
    let out = diff("v2.ferry", &["--base", "v1.ferry"]);
    assert_exit(&out, 2);
    assert_says(
        &out,
        &["neither v1.ferry nor v2.ferry is a delta bundle file"],
    );
    // A folder is read whole: a --base given with one is refused, not ignored.
    let out = sb.run(&["audit", "v1", "--base", "v1.ferry"]);
    assert_exit(&out, 2);
    assert_says(
        &out,
        &["--base v1.ferry: v1 is a module folder, read whole"],
    );
    let out = sb.run(&[
        "images", "list", "v1u", "--pub", "rel.pub", "--base", "v1.ferry",
    ]);
    assert_exit(&out, 2);
    assert_says(&out, &["v1u is an unpacked folder, whole"]);
}

/// Runs the real `go` in `dir` of the sandbox, hermetically.
fn go(sb: &Sandbox, dir: &str, args: &[&str]) {
    let mut cmd = std::process::Command::new("go");
    sb.go_env(&mut cmd);
    let out = cmd
        .args(args)
        .current_dir(sb.path(dir))
        .env("GOFLAGS", "-mod=mod")
        .output()
        .unwrap();
    assert_ok(&out);
}

/// A release and its successor from the fixture proxy: example.com/strutil
/// patched (v1.0.0 to v1.1.0), example.com/greet/v2 added,
/// example.com/Upper/tzinfo removed, and words.go renamed to vocab.go.
#[test]
fn a_module_patched_added_and_removed_and_a_file_renamed() {
    let sb = Sandbox::new();
    sb.keygen("rel");
    let words =
        "package main\n\n// Words the service says.\nvar words = []string{\"ferry\", \"gap\"}\n";
    for dir in ["v1", "v2"] {
        fs::create_dir(sb.path(dir)).unwrap();
        fs::write(
            sb.path(&format!("{dir}/go.mod")),
            "module example.com/hello\n\ngo 1.21\n",
        )
        .unwrap();
    }
    fs::write(sb.path("v1/words.go"), words).unwrap();
    fs::write(sb.path("v2/vocab.go"), words).unwrap();
    fs::write(
        sb.path("v1/main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/Upper/tzinfo\"\n\t\"example.com/strutil\"\n)\n\nfunc main() {\n\t_, err := tzinfo.Zone(\"UTC\")\n\tfmt.Println(strutil.Reverse(words[0]), err)\n}\n",
    )
    .unwrap();
    fs::write(
        sb.path("v2/main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/greet/v2\"\n\t\"example.com/strutil\"\n)\n\nfunc main() {\n\tfmt.Println(strutil.Reverse(words[0]), greet.Hello(\"gap\"))\n}\n",
    )
    .unwrap();
    go(
        &sb,
        "v1",
        &[
            "get",
            "example.com/strutil@v1.0.0",
            "example.com/Upper/tzinfo@v1.0.0",
        ],
    );
    go(&sb, "v1", &["mod", "tidy"]);
    go(
        &sb,
        "v2",
        &[
            "get",
            "example.com/strutil@v1.1.0",
            "example.com/greet/v2@v2.1.0",
        ],
    );
    go(&sb, "v2", &["mod", "tidy"]);
    pack_releases(&sb);
    let carried = carried(&sb.path("v2d.ferry"));
    assert!(
        !carried.contains(&"src/vocab.go".to_string()),
        "the renamed file costs nothing: {carried:?}"
    );
    assert!(
        carried
            .iter()
            .any(|n| n.starts_with("src/vendor/example.com/greet/v2/")),
        "{carried:?}"
    );
    assert!(
        carried
            .iter()
            .any(|n| n.starts_with("proofs/example.com/strutil/@v/v1.1.0/")),
        "{carried:?}"
    );
    assert!(!carried.iter().any(|n| n.contains("tzinfo")), "{carried:?}");
    assert_ok(&sb.run(&[
        "verify",
        "v2d.ferry",
        "--pub",
        "rel.pub",
        "--base",
        "v1.ferry",
    ]));
    assert_ok(&unpack_over(&sb, "v2d.ferry", "v1.ferry", "delta"));
    sb.unpack("v2.ferry", "full");
    assert_eq!(tree(&sb.path("delta")), tree(&sb.path("full")));
    let diff = |new: &str, extra: &[&str]| {
        let args = ["diff", "v1.ferry", new, "--pub", "rel.pub", "--files"];
        let out = sb.run(&[&args[..], extra].concat());
        assert_ok(&out);
        out.stdout
    };
    let delta = diff("v2d.ferry", &["--base", "v1.ferry"]);
    assert_eq!(delta, diff("v2.ferry", &[]));
    let shown = String::from_utf8_lossy(&delta);
    for line in [
        "^ example.com/strutil v1.0.0 -> v1.1.0",
        "+ example.com/greet/v2 v2.1.0",
        "- example.com/Upper/tzinfo v1.0.0",
    ] {
        assert!(shown.contains(line), "{line}: {shown}");
    }
}

/// `ferry pack DIR -o OUT --key KEY --no-build-check EXTRA…`.
fn pack_dir(sb: &Sandbox, dir: &str, key: &str, out: &str, extra: &[&str]) -> Output {
    let mut args = vec!["pack", dir, "-o", out, "--key", key, "--no-build-check"];
    args.extend_from_slice(extra);
    sb.run(&args)
}

/// The same with `--base BASE`.
fn pack_over(sb: &Sandbox, dir: &str, key: &str, out: &str, base: &str, extra: &[&str]) -> Output {
    pack_dir(sb, dir, key, out, &[&["--base", base], extra].concat())
}

/// Three releases: a delta is refused as the next delta's base (its readers
/// would need its own base too); the full bundle of the same release is
/// taken, and the third release reads with it.
#[test]
fn a_delta_is_refused_as_a_base_and_the_full_bundle_chains() {
    let sb = releases();
    copy_tree(&sb.path("v2"), &sb.path("v3"));
    fs::write(sb.path("v3/patch.go"), "package main\n\nconst patch = 3\n").unwrap();
    let pack = |out: &str, base: &str| pack_over(&sb, "v3", "rel.key", out, base, &["-q"]);
    let out = pack("v3d.ferry", "v2d.ferry");
    assert_exit(&out, 2);
    assert_says(
        &out,
        &[
            "--base v2d.ferry: a delta bundle (over example.com/hello unversioned), which cannot be a base",
            "give the full bundle of example.com/hello unversioned",
        ],
    );
    assert!(!sb.path("v3d.ferry").exists(), "nothing written");
    assert_ok(&pack("v3d.ferry", "v2.ferry"));
    assert_ok(&sb.run(&[
        "verify",
        "v3d.ferry",
        "--pub",
        "rel.pub",
        "--base",
        "v2.ferry",
    ]));
    let wrong = sb.run(&[
        "verify",
        "v3d.ferry",
        "--pub",
        "rel.pub",
        "--base",
        "v2d.ferry",
    ]);
    assert_exit(&wrong, 1);
}

/// `pack --base` checks its base before anything slow and never leaves a
/// bundle behind: the output as its own base, a missing base, a base signed
/// by another key.
#[test]
fn pack_checks_its_base_first_and_leaves_nothing() {
    let sb = releases();
    let before = fs::read(sb.path("v1.ferry")).unwrap();
    let pack =
        |out: &str, base: &str, extra: &[&str]| pack_over(&sb, "v2", "rel.key", out, base, extra);
    let out = pack("v1.ferry", "v1.ferry", &[]);
    assert_exit(&out, 2);
    assert_says(
        &out,
        &["--base v1.ferry: is the bundle this pack writes (-o)"],
    );
    assert_eq!(
        fs::read(sb.path("v1.ferry")).unwrap(),
        before,
        "base untouched"
    );
    fs::copy(sb.path("v1.ferry"), sb.path("x.ferry.parts")).unwrap();
    let out = pack("x.ferry", "./x.ferry.parts", &["--split", "1M"]);
    assert_exit(&out, 2);
    let out = pack("y.ferry", "nope.ferry", &[]);
    assert_exit(&out, 2);
    assert_says(&out, &["--base nope.ferry: no such file"]);
    assert!(!sb.path("y.ferry").exists());
    sb.keygen("other");
    let out = sb.run(&[
        "pack",
        "v1",
        "-o",
        "o1.ferry",
        "--key",
        "other.key",
        "--no-build-check",
        "-q",
    ]);
    assert_ok(&out);
    let out = pack("z.ferry", "o1.ferry", &[]);
    assert_exit(&out, 1);
    assert!(!sb.path("z.ferry").exists(), "{}", text(&out));
    // -o naming one of the base's own files: a part of its index, or a file
    // below its unpacked folder.
    assert_ok(&sb.run(&["split", "v1.ferry", "--size", "2K", "--key", "rel.key"]));
    let part = fs::read(sb.path("v1.ferry.001")).unwrap();
    let out = pack("v1.ferry.001", "v1.ferry.parts", &[]);
    assert_exit(&out, 2);
    assert_says(&out, &["would write over the base's own files"]);
    assert_eq!(fs::read(sb.path("v1.ferry.001")).unwrap(), part);
    sb.unpack("v1.ferry", "v1u");
    let out = pack("v1u/new.ferry", "v1u", &[]);
    assert_exit(&out, 2);
    assert!(!sb.path("v1u/new.ferry").exists());
}

/// After a key rotation the base was signed by the old key: `--pub` names
/// it (for the base only). A base of another module is refused.
#[test]
fn pack_takes_the_bases_key_with_pub_and_refuses_another_module() {
    let sb = releases();
    sb.keygen("new");
    let pack =
        |out: &str, base: &str, extra: &[&str]| pack_over(&sb, "v2", "new.key", out, base, extra);
    let out = pack("r.ferry", "v1.ferry", &["-q"]);
    assert_exit(&out, 1);
    assert!(!sb.path("r.ferry").exists());
    assert_ok(&pack("r.ferry", "v1.ferry", &["-q", "--pub", "rel.pub"]));
    assert_ok(&sb.run(&[
        "verify", "r.ferry", "--pub", "new.pub", "--pub", "rel.pub", "--base", "v1.ferry",
    ]));
    let out = sb.run(&[
        "pack", "v2", "-o", "p.ferry", "--key", "rel.key", "--pub", "rel.pub",
    ]);
    assert_exit(&out, 2);
    assert_ok(&sb.pack_with("clockwork", "clock.ferry", &["--no-build-check", "-q"]));
    let out = sb.run(&[
        "pack",
        "v2",
        "-o",
        "c.ferry",
        "--key",
        "rel.key",
        "--no-build-check",
        "--base",
        "clock.ferry",
    ]);
    assert_exit(&out, 2);
    assert_says(
        &out,
        &["--base clock.ferry: a release of example.com/clockwork, not of example.com/hello"],
    );
    assert!(!sb.path("c.ferry").exists());
}

/// What is read from the base says so: a base whose src/main.go was altered
/// under its signed manifest is named with the entry the bytes came from,
/// and the report says which base was read.
#[test]
fn what_comes_from_the_base_names_the_base() {
    use crate::common::rawzip::{entries_of, rebuild};
    let sb = releases();
    let verify = |base: &str, json: bool| {
        let mut args = vec!["verify", "v2d.ferry", "--pub", "rel.pub", "--base", base];
        if json {
            args.push("--json");
        }
        sb.run(&args)
    };
    let out = verify("v1.ferry", false);
    assert_ok(&out);
    assert_says(
        &out,
        &[
            "base: v1.ferry example.com/hello unversioned (ferry.json sha256:",
            "entries taken from it",
        ],
    );
    let out = verify("v1.ferry", true);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let base = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "base")
        .expect("a base check");
    assert_eq!(base["ok"], true);
    let mut entries = entries_of(&fs::read(sb.path("v1.ferry")).unwrap());
    for (name, data, _) in &mut entries {
        if name == "src/main.go" {
            data.extend_from_slice(b"// altered\n");
        }
    }
    fs::write(sb.path("bad.ferry"), rebuild(&entries).build()).unwrap();
    let out = verify("bad.ferry", false);
    assert_exit(&out, 1);
    assert_says(
        &out,
        &["src/hello.go: from the base bad.ferry, its src/main.go: "],
    );
}

/// modules export has no --base: its hint for a delta says what works.
#[test]
fn modules_export_and_build_of_a_delta_point_to_its_unpacked_folder() {
    let sb = releases();
    let args: Vec<&str> = "modules export v2d.ferry --pub rel.pub --to exp"
        .split(' ')
        .collect();
    let out = sb.run(&args);
    assert_exit(&out, 1);
    assert_says(
        &out,
        &["modules export takes no --base: unpack it with --base OLD, then export the folder"],
    );
    assert!(
        !text(&out).contains("give it with --base OLD"),
        "{}",
        text(&out)
    );
    assert!(!sb.path("exp").exists());
    let out = sb.run(&["build", "v2d.ferry", "--pub", "rel.pub", "-o", "bin"]);
    assert_exit(&out, 1);
    assert_says(
        &out,
        &["build takes no --base: unpack it with --base OLD, then build the folder"],
    );
    assert!(!sb.path("bin").exists());
}

/// Member names of the tar at `path`.
fn tar_names(path: &Path) -> Vec<String> {
    let mut tar = tar::Archive::new(fs::File::open(path).unwrap());
    let entries = tar.entries().unwrap();
    entries
        .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
        .collect()
}

/// The signed manifest in `dir`.
fn manifest_in(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(dir.join("ferry.json")).unwrap()).unwrap()
}

/// The runtime image goes from busybox to busybox-plus (busybox's layer and
/// one more): the delta's tar carries the new layer, config and manifest,
/// never the shared layer, and every reader rebuilds it byte for byte from
/// the base's tar, over the bundle and over its unpacked folder.
#[test]
fn the_delta_of_an_image_only_change_carries_only_the_new_layer() {
    use crate::common::registry::{Registry, skopeo_inspect};
    let reg = Registry::start();
    let one = reg.seed("busybox", "test/busybox:1");
    let two = reg.seed("busybox-plus", "test/busybox:2");
    let sb = Sandbox::new();
    copy_tree(&app("hello"), &sb.path("app"));
    sb.keygen("rel");
    let pack = |out: &str, image: &str, extra: &[&str]| {
        let flags = ["--runtime-image", image, "--insecure-registry", &reg.host];
        let out = pack_dir(&sb, "app", "rel.key", out, &[&flags[..], extra].concat());
        assert_ok(&out);
        out
    };
    pack("v1.ferry", &one, &["-q"]);
    pack("v2.ferry", &two, &["-q"]);
    let out = pack("v2d.ferry", &two, &["--base", "v1.ferry"]);
    assert_says(&out, &["1 image tars carry only the blobs the base lacks"]);
    sb.unpack("v1.ferry", "v1u");
    sb.unpack("v2.ferry", "full");

    // The shared layer is taken from the base; the new one is carried.
    let layers: Vec<String> = skopeo_inspect(&format!("docker://{two}"))["Layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect();
    assert_eq!(layers.len(), 2);
    let blob = |d: &str| format!("blobs/sha256/{}", d.trim_start_matches("sha256:"));
    let full = manifest_in(&sb.path("full"));
    let entry = full["images"][0]["entry"].as_str().unwrap().to_string();
    let v1_tar = manifest_in(&sb.path("v1u"))["images"][0]["entry"]
        .as_str()
        .unwrap()
        .to_string();
    let v1_names = tar_names(&sb.path("v1u").join(&v1_tar));
    let v2_names = tar_names(&sb.path("full").join(&entry));
    assert!(v1_names.contains(&blob(&layers[0])) && !v1_names.contains(&blob(&layers[1])));

    sb.run(&[
        "unpack",
        "v2d.ferry",
        "--pub",
        "rel.pub",
        "-C",
        "nobase",
        "-q",
    ]);
    let mut zip = zip::ZipArchive::new(fs::File::open(sb.path("v2d.ferry")).unwrap()).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_reader(zip.by_name("ferry.json").unwrap()).unwrap();
    let rebuilt = manifest["base"]["images"].as_array().unwrap();
    assert_eq!(rebuilt.len(), 1, "{manifest}");
    assert_eq!(rebuilt[0]["path"], entry.as_str());
    let members = rebuilt[0]["members"].as_array().unwrap();
    assert_eq!(members.len(), v2_names.len());
    let carried: Vec<(&String, u64)> = members
        .iter()
        .zip(&v2_names)
        .filter(|(m, _)| m.get("base").is_none())
        .map(|(m, name)| (name, m["size"].as_u64().unwrap()))
        .collect();
    let carried_layers: Vec<&String> = carried
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| layers.iter().any(|l| blob(l) == **n))
        .collect();
    assert_eq!(
        carried_layers,
        vec![&blob(&layers[1])],
        "only the new layer travels"
    );
    let size = zip.by_name(&entry).unwrap().size();
    assert_eq!(size, carried.iter().map(|(_, s)| s).sum::<u64>());
    let shared = fs::metadata(sb.path("v1u").join(&v1_tar)).unwrap().len();
    let whole = fs::metadata(sb.path("full").join(&entry)).unwrap().len();
    assert!(
        size < whole && whole - size > shared / 2,
        "{size} of {whole}"
    );

    // Every reader rebuilds the tar, over the bundle and over its folder.
    for base in ["v1.ferry", "v1u"] {
        let dest = format!("site-{}", base.replace('.', "-"));
        assert_ok(&unpack_over(&sb, "v2d.ferry", base, &dest));
        assert_eq!(tree(&sb.path(&dest)), tree(&sb.path("full")));
        let with = |args: &[&str]| {
            let mut all = args.to_vec();
            all.extend(["--pub", "rel.pub", "--base", base]);
            sb.run(&all)
        };
        assert_ok(&with(&["verify", "v2d.ferry"]));
        assert_ok(&with(&["audit", "v2d.ferry", "--format", "json"]));
        assert_ok(&with(&["images", "list", "v2d.ferry"]));
    }
    let out = sb.run(&["verify", "v2d.ferry", "--pub", "rel.pub"]);
    assert_exit(&out, 1);
    assert_says(&out, &["give it with --base OLD"]);
    assert!(!sb.path("nobase").exists());

    // A member whose bytes are not its signed digest, taken from the base or
    // carried, is refused by name and nothing is unpacked.
    let delta = crate::common::rawzip::entries_of(&fs::read(sb.path("v2d.ferry")).unwrap());
    for (k, from) in [
        (
            members
                .iter()
                .position(|m| m.get("base").is_some())
                .unwrap(),
            "from the base",
        ),
        (
            members
                .iter()
                .position(|m| m.get("base").is_none())
                .unwrap(),
            "carried",
        ),
    ] {
        let edited = crate::common::resign::resigned(&sb, &delta, |m| {
            m["base"]["images"][0]["members"][k]["sha256"] = serde_json::json!("ab".repeat(32));
        });
        let bad = format!("bad{k}.ferry");
        fs::write(
            sb.path(&bad),
            crate::common::rawzip::rebuild(&edited).build(),
        )
        .unwrap();
        let out = unpack_over(&sb, &bad, "v1.ferry", "bad");
        assert_exit(&out, 1);
        let member = format!(
            "member {k} ({}) ({from}): sha256 differs from the manifest",
            v2_names[k]
        );
        assert_says(&out, &[&entry, &member]);
        assert!(!sb.path("bad").exists());
    }
}

/// A delta's base given as parts has each part's sha256 checked, as the
/// delta's own parts do: one byte flipped in a part, inside an entry the
/// delta takes from the base or where no entry check looks (a local
/// header's "version needed"), is the verdict of verify and unpack (exit 1,
/// the base's part named) and unpack writes nothing.
#[test]
fn a_corrupt_part_of_a_base_in_parts_is_named() {
    use crate::common::rawzip::{data_of, local_header};
    let taken = "src/vendor/example.com/strutil/LICENSE";
    let v1 = fs::read(releases().path("v1.ferry")).unwrap();
    let cases = [
        ("taken", data_of(&v1, taken)),
        ("unread", local_header(&v1, "sbom.cdx.json") + 4),
    ];
    for (case, at) in cases {
        let sb = releases();
        assert_ok(&sb.run(&[
            "split", "v1.ferry", "--size", "1K", "--key", "rel.key", "-q",
        ]));
        fs::remove_file(sb.path("v1.ferry")).unwrap();
        let name = format!("v1.ferry.{:03}", at / 1000 + 1);
        let mut bytes = fs::read(sb.path(&name)).unwrap();
        bytes[at % 1000] ^= 1;
        fs::write(sb.path(&name), bytes).unwrap();
        let before = sb.listing();
        let base = ["--base", "v1.ferry.parts", "--pub", "rel.pub"];
        for args in [
            [&["verify", "v2d.ferry"][..], &base].concat(),
            [&["unpack", "v2d.ferry", "-C", "site", "-q"][..], &base].concat(),
        ] {
            let out = sb.run(&args);
            assert_exit(&out, 1);
            assert_says(
                &out,
                &[
                    "v1.ferry.parts: 1 of ",
                    &format!("{name}: sha256 "),
                    "[part-sha256]",
                ],
            );
            assert!(
                !text(&out).contains("cannot be inflated"),
                "{case}: {}",
                text(&out)
            );
        }
        assert_eq!(sb.listing(), before, "{case}: unpack left something");
    }
}
