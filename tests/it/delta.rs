//! Delta bundles: a release and its successor (the main module's main.go
//! renamed, one file added) packed whole and as a delta over the first; the
//! delta carries only what the base lacks, and with its base unpacks to the
//! tree of the full bundle. Without its base, or over the wrong one, every
//! reader says which base it needs (exit 1) and writes nothing.

use std::fs;
use std::path::Path;

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
    let pack = |dir: &str, out: &str, extra: &[&str]| {
        let mut args = vec![
            "pack",
            dir,
            "-o",
            out,
            "--key",
            "rel.key",
            "--no-build-check",
            "-q",
        ];
        args.extend_from_slice(extra);
        assert_ok(&sb.run(&args));
    };
    pack("v1", "v1.ferry", &[]);
    pack("v2", "v2.ferry", &[]);
    pack("v2", "v2d.ferry", &["--base", "v1.ferry"]);
    sb
}

/// Every file under `root` but the signed manifest and its signature:
/// relative path, bytes and mode.
fn tree(root: &Path) -> Vec<(String, Vec<u8>, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let mut files: Vec<_> = walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(root).unwrap().display().to_string();
            let mode = e.metadata().unwrap().permissions().mode();
            (rel, fs::read(e.path()).unwrap(), mode)
        })
        .filter(|(rel, _, _)| rel != "ferry.json" && rel != "ferry.json.minisig")
        .collect();
    files.sort();
    files
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
    assert_ok(&sb.run(&[
        "unpack",
        "v2d.ferry",
        "--pub",
        "rel.pub",
        "--base",
        "v1.ferry",
        "-C",
        "delta",
        "-q",
    ]));
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
    let out = sb.run(&[
        "pack",
        "v2",
        "-o",
        "v2p.ferry",
        "--key",
        "rel.key",
        "--no-build-check",
        "-q",
        "--base",
        "v1.ferry",
        "--split",
        "1K",
    ]);
    assert_ok(&out);
    assert!(sb.path("v2p.ferry.parts").exists() && !sb.path("v2p.ferry").exists());
    sb.run(&["split", "v1.ferry", "--size", "2K", "--key", "rel.key"]);
    assert_ok(&sb.run(&[
        "unpack",
        "v2p.ferry.parts",
        "--pub",
        "rel.pub",
        "--base",
        "v1.ferry.parts",
        "-C",
        "site",
        "-q",
    ]));
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
    let pack = |dir: &str, out: &str, extra: &[&str]| {
        let mut args = vec![
            "pack",
            dir,
            "-o",
            out,
            "--key",
            "rel.key",
            "--no-build-check",
            "-q",
        ];
        args.extend_from_slice(extra);
        assert_ok(&sb.run(&args));
    };
    pack("v1", "v1.ferry", &[]);
    pack("v2", "v2.ferry", &[]);
    pack("v2", "v2d.ferry", &["--base", "v1.ferry"]);
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
    assert_ok(&sb.run(&[
        "unpack",
        "v2d.ferry",
        "--pub",
        "rel.pub",
        "--base",
        "v1.ferry",
        "-C",
        "delta",
        "-q",
    ]));
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
