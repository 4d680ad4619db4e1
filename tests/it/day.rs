//! The release engineer's and the operator's day with the sample apps:
//! keygen, pack, verify, unpack, then an offline build and Go's own re-check
//! of every module hash on the "isolated" side.

use std::fs;
use std::process::Command;

use crate::common::{Sandbox, app, assert_exit, assert_ok, no_network, text};

#[test]
fn pack_verify_unpack_then_build_offline() {
    let sb = Sandbox::new();
    // A site that re-checks with Go itself wants the module zips: --with-modcache.
    assert_ok(&sb.pack_with("clockwork", "cw.ferry", &["-q", "--with-modcache"]));
    let bundle = sb.path("cw.ferry");
    let out = sb.run(&["verify", "cw.ferry", "--pub", "rel.pub"]);
    assert_ok(&out);
    let said = text(&out);
    assert!(
        said.starts_with("OK cw.ferry: example.com/clockwork"),
        "{said}"
    );
    assert_eq!(
        said.trim().lines().count(),
        1,
        "verify prints one line: {said}"
    );

    assert_ok(&sb.run(&[
        "unpack",
        bundle.to_str().unwrap(),
        "--pub",
        "rel.pub",
        "-C",
        "site",
    ]));
    let src = sb.path("site/src");
    for must in [
        "go.mod",
        "vendor/modules.txt",
        "vendor/example.com/greet/v2/banner.txt",
        "third_party/localdep/localdep.go",
    ] {
        assert!(
            src.join(must).is_file(),
            "{must} missing from the unpacked tree"
        );
    }
    assert!(!src.join(".git").exists());

    // The isolated side: no network, an empty module cache, vendor/ only.
    let empty_cache = sb.path("empty-cache");
    let status = no_network()
        .args(["go", "build", "-trimpath", "-o"])
        .arg(sb.path("clockwork-bin"))
        .arg(".")
        .current_dir(&src)
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "-mod=vendor")
        .env("GOPROXY", "off")
        .env("GOMODCACHE", &empty_cache)
        .status()
        .unwrap();
    assert!(
        status.success(),
        "offline build of the unpacked bundle failed"
    );
    let run = Command::new(sb.path("clockwork-bin")).output().unwrap();
    let printed = String::from_utf8_lossy(&run.stdout);
    assert!(printed.contains("hello, Ferry    |yrreF"), "{printed}");
    assert!(printed.contains("answer: 42"), "{printed}");
    assert!(
        printed.contains("berlin: 2024-07-01T14:00:00+02:00"),
        "{printed}"
    );

    // Go itself re-checks every h1 from the bundled modcache, offline.
    let verify = no_network()
        .args(["go", "mod", "verify"])
        .current_dir(&src)
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "-mod=mod")
        .env("GOSUMDB", "off")
        .env(
            "GOPROXY",
            format!("file://{}", sb.path("site/modcache").display()),
        )
        .env("GOMODCACHE", sb.path("verify-cache"))
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "go mod verify from modcache/: {}",
        text(&verify)
    );
    assert!(String::from_utf8_lossy(&verify.stdout).contains("all modules verified"));
}

#[test]
fn same_inputs_give_a_byte_identical_bundle() {
    let sb = Sandbox::new();
    let a_path = sb.pack("clockwork", "a.ferry");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&fs::metadata(&a_path).unwrap().permissions());
    assert_eq!(
        mode & 0o044,
        0o044,
        "a bundle must be readable by others, not 0600: {mode:o}"
    );
    let a = fs::read(&a_path).unwrap();
    let b = fs::read(sb.pack("clockwork", "b.ferry")).unwrap();
    assert!(a == b, "two packs of the same tree differ");
    // Module zips are compressed already: stored, not deflated again.
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(&a)).unwrap();
    for i in 0..z.len() {
        let f = z.by_index_raw(i).unwrap();
        let name = f.name().unwrap().into_owned();
        let stored = f.compression() == zip::CompressionMethod::Stored;
        let want = name.ends_with(".zip") || name.starts_with("images/");
        assert_eq!(stored, want, "{name}: stored {stored}");
    }

    let mut cmd = sb.ferry();
    cmd.env("SOURCE_DATE_EPOCH", "1700000000");
    let out = cmd
        .args([
            "pack",
            app("clockwork").to_str().unwrap(),
            "-o",
            "c.ferry",
            "--key",
            "rel.key",
            "-q",
        ])
        .output()
        .unwrap();
    assert_ok(&out);
    let c = fs::read(sb.path("c.ferry")).unwrap();
    assert!(a != c, "SOURCE_DATE_EPOCH must date the bundle");
    let manifest = unzip_entry(&c, "ferry.json");
    assert!(String::from_utf8_lossy(&manifest).contains("\"created\": \"2023-11-14T22:13:20Z\""));
}

#[test]
fn the_users_tree_is_never_written() {
    let sb = Sandbox::new();
    let tree = sb.path("tree");
    copy_dir(&app("clockwork"), &tree);
    let before = snapshot(&tree);
    assert_ok(&sb.run(&["keygen", "--no-password", "-o", "rel"]));
    let out = sb.run(&[
        "pack",
        "tree",
        "-o",
        "tree/out.ferry",
        "--key",
        "rel.key",
        "-q",
    ]);
    assert_ok(&out);
    let mut after = snapshot(&tree);
    after.retain(|(p, _)| p != "out.ferry");
    assert_eq!(before, after, "pack changed the user's tree");
    assert!(!tree.join("vendor").exists());
    // A bundle in the tree is never packed into the next one.
    assert_ok(&sb.run(&[
        "pack",
        "tree",
        "-o",
        "tree/again.ferry",
        "--key",
        "rel.key",
        "-q",
    ]));
    let listing = unzip_list(&fs::read(tree.join("again.ferry")).unwrap());
    assert!(
        !listing.iter().any(|n| n.ends_with(".ferry")),
        "{listing:?}"
    );
}

#[test]
fn ferryignore_and_vcs_folders_stay_out() {
    let sb = Sandbox::new();
    let tree = sb.path("tree");
    copy_dir(&app("clockwork"), &tree);
    for f in [".git/HEAD", "bin/clockwork", "debug.log"] {
        fs::create_dir_all(tree.join(f).parent().unwrap()).unwrap();
        fs::write(tree.join(f), "x").unwrap();
    }
    assert_ok(&sb.run(&["keygen", "--no-password", "-o", "rel"]));
    assert_ok(&sb.run(&["pack", "tree", "-o", "b.ferry", "--key", "rel.key", "-q"]));
    let names = unzip_list(&fs::read(sb.path("b.ferry")).unwrap());
    assert!(names.contains(&"src/main.go".to_string()));
    for gone in ["src/.git/HEAD", "src/bin/clockwork", "src/debug.log"] {
        assert!(!names.contains(&gone.to_string()), "{gone} was bundled");
    }
}

#[test]
fn a_committed_vendor_tree_is_packed_as_is_checked_or_regenerated() {
    let sb = Sandbox::new();
    let tree = sb.path("hello");
    copy_dir(&app("hello"), &tree);
    sb.keygen("rel");
    let out = sb.run(&[
        "pack",
        "hello",
        "-o",
        "kept.ferry",
        "--key",
        "rel.key",
        "--json",
    ]);
    assert_ok(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["vendored_by_go"], false);
    assert_eq!(json["modules_bound"], 1);

    // A note kept in vendor/: go mod vendor would not have put it there.
    fs::write(tree.join("vendor/NOTE.txt"), "reviewed 2024-05\n").unwrap();
    let out = sb.run(&["pack", "hello", "-o", "noted.ferry", "--key", "rel.key"]);
    assert_exit(&out, 1);
    assert!(
        text(&out).contains("vendor/NOTE.txt: belongs to no module"),
        "{}",
        text(&out)
    );
    assert!(!sb.path("noted.ferry").exists());

    // --revendor regenerates vendor/ in the scratch copy, never in the tree.
    let out = sb.run(&[
        "pack",
        "hello",
        "-o",
        "re.ferry",
        "--key",
        "rel.key",
        "--revendor",
        "--json",
    ]);
    assert_ok(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["vendored_by_go"], true);
    let names = unzip_list(&fs::read(sb.path("re.ferry")).unwrap());
    assert!(!names.contains(&"src/vendor/NOTE.txt".into()));
    assert!(
        tree.join("vendor/NOTE.txt").exists(),
        "--revendor must not touch the user's tree"
    );
}

#[test]
fn the_manifest_records_modules_hashes_and_replacements() {
    let sb = Sandbox::new();
    let bundle = fs::read(sb.pack("clockwork", "cw.ferry")).unwrap();
    let m: serde_json::Value = serde_json::from_slice(&unzip_entry(&bundle, "ferry.json")).unwrap();
    assert_eq!(m["format"], "ferry/v2");
    assert_eq!(m["module"]["path"], "example.com/clockwork");
    assert_eq!(m["module"]["go"], "1.22");
    let modules = m["modules"].as_array().unwrap();
    let find = |p: &str| {
        modules
            .iter()
            .find(|x| x["path"] == p)
            .unwrap_or_else(|| panic!("{p} not in manifest"))
    };
    let gosum = fs::read_to_string(app("clockwork").join("go.sum")).unwrap();
    let strutil = find("example.com/strutil");
    assert_eq!(strutil["replace"]["version"], "v1.1.0");
    assert!(gosum.contains(&format!(
        "example.com/strutil v1.1.0 {}",
        strutil["h1"].as_str().unwrap()
    )));
    let upper = find("example.com/Upper/tzinfo");
    assert!(gosum.contains(&format!(
        "example.com/Upper/tzinfo v1.0.0 {}",
        upper["h1"].as_str().unwrap()
    )));
    let local = find("example.com/localdep");
    assert!(local["h1"].is_null() && local["replace"]["path"] == "./third_party/localdep");
    assert_eq!(
        find("example.com/greet/v2")["packages"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let entries = m["entries"].as_array().unwrap();
    let paths: Vec<&str> = entries
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert!(
        paths.windows(2).all(|w| w[0] < w[1]),
        "entries must be sorted"
    );
    assert!(paths.contains(&"proofs/example.com/!upper/tzinfo/@v/v1.0.0/summary"));
    assert!(
        !paths.iter().any(|p| p.starts_with("modcache/")),
        "{paths:?}"
    );
    assert!(
        entries
            .iter()
            .all(|e| e["mode"] == "0644" || e["mode"] == "0755")
    );
}

#[test]
fn verify_json_reports_every_check() {
    let sb = Sandbox::new();
    sb.pack("hello", "h.ferry");
    let out = sb.run(&["verify", "h.ferry", "--pub", "rel.pub", "--json"]);
    assert_ok(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], true);
    let checks: Vec<&str> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert_eq!(checks, ["signature", "fields", "layout", "entries", "go"]);
    let (_, other_pub) = sb.keygen("other");
    let out = sb.run(&[
        "verify",
        "h.ferry",
        "--pub",
        other_pub.to_str().unwrap(),
        "--json",
    ]);
    assert_exit(&out, 1);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
}

pub fn unzip_entry(bundle: &[u8], name: &str) -> Vec<u8> {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bundle)).unwrap();
    let mut out = Vec::new();
    z.by_name(name).unwrap().read_to_end(&mut out).unwrap();
    out
}

pub fn unzip_list(bundle: &[u8]) -> Vec<String> {
    let z = zip::ZipArchive::new(std::io::Cursor::new(bundle)).unwrap();
    z.file_names().map(|n| n.unwrap().into_owned()).collect()
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let dest = to.join(e.path().strip_prefix(from).unwrap());
        if e.file_type().is_dir() {
            fs::create_dir_all(&dest).unwrap();
        } else {
            fs::copy(e.path(), &dest).unwrap();
        }
    }
}

fn snapshot(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path()
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}
