//! `ferry modules export`: a bundle's module cache merged into an intranet
//! module proxy's folder, then served to the real `go` over `file://` (no
//! network); exporting again changes nothing; a file in the way refuses the
//! whole export with the folder as it was; Athens' layout unescaped.

use std::fs;
use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::common::{Sandbox, app, assert_exit, assert_ok, assert_says, copy_tree, text};

/// Every folder, file (with its sha256) and link below `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            let t = e.file_type();
            if t.is_file() {
                let digest = hex::encode(Sha256::digest(fs::read(e.path()).unwrap()));
                format!("f {rel} {digest}")
            } else if t.is_dir() {
                format!("d {rel}")
            } else {
                format!("l {rel} {}", fs::read_link(e.path()).unwrap().display())
            }
        })
        .collect();
    out.sort();
    out
}

/// The folder's listing is still `before`.
fn assert_unchanged(dir: &Path, before: &[String], what: &str) {
    assert_eq!(listing(dir), before, "{what} changed {}", dir.display());
}

/// Runs `go ARGS` in `dir` with the exported folder as its only proxy and a
/// module cache of its own.
fn go_from(sb: &Sandbox, proxy: &Path, dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("go")
        .args(args)
        .current_dir(dir)
        .env("GOPROXY", format!("file://{}", proxy.display()))
        .env("GOSUMDB", "off")
        .env("GOFLAGS", "-mod=mod")
        .env("GOTOOLCHAIN", "local")
        .env("GOMODCACHE", sb.path("fresh-modcache"))
        .output()
        .expect("run go")
}

#[test]
fn exported_proxy_serves_the_real_go_and_a_second_export_changes_nothing() {
    let sb = Sandbox::new();
    with_modcache(&sb);
    let out = sb.run(&[
        "modules", "export", "c.ferry", "--pub", "rel.pub", "--to", "proxy",
    ]);
    assert_ok(&out);
    assert_says(
        &out,
        &[
            "exported example.com/Upper/tzinfo v1.0.0 (goproxy)",
            "exported example.com/strutil v1.1.0 (goproxy)",
            "exported example.com/greet/v2 v2.1.0 (goproxy)",
            " files written, 0 already there",
        ],
    );
    let proxy = sb.path("proxy");
    let tz = proxy.join("example.com/!upper/tzinfo/@v");
    for name in ["list", "v1.0.0.info", "v1.0.0.mod", "v1.0.0.zip"] {
        assert!(tz.join(name).is_file(), "{name} missing");
    }
    assert!(
        !tz.join("v1.0.0.ziphash").exists(),
        "ziphash is not a proxy file"
    );
    assert_eq!(fs::read_to_string(tz.join("list")).unwrap(), "v1.0.0\n");

    // The real go, offline, takes every module from the folder and agrees
    // with go.sum.
    let work = sb.path("work");
    copy_tree(&app("clockwork"), &work);
    assert_ok(&go_from(&sb, &proxy, &work, &["mod", "download"]));
    let verified = go_from(&sb, &proxy, &work, &["mod", "verify"]);
    assert_ok(&verified);
    assert_says(&verified, &["all modules verified"]);

    let before = listing(&proxy);
    let again = sb.run(&[
        "modules", "export", "c.ferry", "--pub", "rel.pub", "--to", "proxy",
    ]);
    assert_exit(&again, 0);
    assert_says(&again, &["3 modules, 0 files written, "]);
    assert_unchanged(&proxy, &before, "a second export");
}

#[test]
fn lists_are_merged_and_a_file_in_the_way_leaves_the_folder_as_it_was() {
    let sb = Sandbox::new();
    with_modcache(&sb);
    let proxy = sb.path("proxy");
    let strutil = proxy.join("example.com/strutil/@v");
    fs::create_dir_all(&strutil).unwrap();
    fs::write(strutil.join("list"), "v1.2.0\nv1.0.0\n").unwrap();
    let out = sb.run(&[
        "modules", "export", "c.ferry", "--pub", "rel.pub", "--to", "proxy", "--json",
    ]);
    assert_ok(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["layout"], "goproxy");
    assert_eq!(json["modules"].as_array().unwrap().len(), 3);
    assert_eq!(
        fs::read_to_string(strutil.join("list")).unwrap(),
        "v1.0.0\nv1.1.0\nv1.2.0\n"
    );

    let info = strutil.join("v1.1.0.info");
    let expected = hex::encode(Sha256::digest(fs::read(&info).unwrap()));
    fs::write(
        &info,
        b"{\"Version\":\"v1.1.0\",\"Time\":\"1999-01-01T00:00:00Z\"}\n",
    )
    .unwrap();
    let actual = hex::encode(Sha256::digest(fs::read(&info).unwrap()));
    // Something new to write too, so "nothing was written" means something.
    fs::remove_file(proxy.join("example.com/greet/v2/@v/v2.1.0.zip")).unwrap();
    fs::write(strutil.join("list"), "v1.2.0\n").unwrap();
    let before = listing(&proxy);
    let out = sb.run(&[
        "modules", "export", "c.ferry", "--pub", "rel.pub", "--to", "proxy",
    ]);
    assert_exit(&out, 1);
    assert_says(
        &out,
        &[
            "example.com/strutil/@v/v1.1.0.info",
            &format!("expected sha256 {expected}"),
            &format!("actual sha256 {actual}"),
            "nothing was written",
        ],
    );
    assert_unchanged(&proxy, &before, "a refused export");
}

#[test]
fn athens_layout_keeps_capitals_and_an_unpacked_folder_exports_too() {
    let sb = Sandbox::new();
    with_modcache(&sb);
    sb.unpack("c.ferry", "unpacked");
    let out = sb.run(&[
        "modules", "export", "unpacked", "--pub", "rel.pub", "--to", "athens", "--layout", "athens",
    ]);
    assert_ok(&out);
    assert_says(&out, &["exported example.com/Upper/tzinfo v1.0.0 (athens)"]);
    let tz = sb.path("athens/example.com/Upper/tzinfo/v1.0.0");
    let cache = sb.path("unpacked/modcache/example.com/!upper/tzinfo/@v");
    for (athens, cached) in [
        ("go.mod", "v1.0.0.mod"),
        ("source.zip", "v1.0.0.zip"),
        ("v1.0.0.info", "v1.0.0.info"),
    ] {
        assert_eq!(
            fs::read(tz.join(athens)).unwrap(),
            fs::read(cache.join(cached)).unwrap(),
            "{athens}"
        );
    }
    assert!(!sb.path("athens/example.com/!upper").exists());
    let files = listing(&sb.path("athens"));
    assert!(
        files
            .iter()
            .all(|f| !f.contains("list") && !f.contains("ziphash")),
        "{files:?}"
    );
}

#[test]
fn a_bundle_without_a_module_cache_says_how_to_pack_one() {
    let sb = Sandbox::new();
    // The default bundle proves its module zips and carries none.
    sb.pack("clockwork", "bare.ferry");
    let out = sb.run(&[
        "modules",
        "export",
        "bare.ferry",
        "--pub",
        "rel.pub",
        "--to",
        "proxy",
    ]);
    assert_exit(&out, 2);
    assert_says(&out, &["no modcache/", "--with-modcache"]);
    assert!(!sb.path("proxy").exists(), "{}", text(&out));
}

/// clockwork packed with its module cache, as c.ferry.
fn with_modcache(sb: &Sandbox) {
    assert_ok(&sb.pack_with("clockwork", "c.ferry", &["-q", "--with-modcache"]));
}
