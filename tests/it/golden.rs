//! The golden bundle: `fixtures/golden/hello.ferry` is what ferry made of
//! fixtures/apps/hello (fixtures/golden/make.sh). Packed again the same way by
//! the binary under test, it must come out byte for byte the same: a
//! reorganisation of the code must not change what it writes. When a change
//! to the format is meant, regenerate it with make.sh and review the diff.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{Cursor, Read};
use std::path::PathBuf;
use std::process::Command;

use crate::common::{Sandbox, app, assert_ok, copy_tree, fixtures};

/// As fixtures/golden/make.sh packs: the same date, key and flags.
const SOURCE_DATE_EPOCH: &str = "1700000000";

fn golden(name: &str) -> PathBuf {
    fixtures().join("golden").join(name)
}

#[test]
fn same_inputs_give_the_committed_bundle() {
    let want = fs::read(golden("hello.ferry")).expect("fixtures/golden/hello.ferry (make.sh)");
    let want_manifest = manifest(&want);
    let sb = Sandbox::new();

    // The bundle records the Go that packed it: another Go cannot give the same bytes.
    let mut go = Command::new("go");
    sb.go_env(&mut go);
    let out = go.args(["env", "GOVERSION"]).output().expect("run go");
    assert_ok(&out);
    let local_go = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let golden_go = want_manifest["go_version"].as_str().unwrap_or_default();
    assert_eq!(
        golden_go, local_go,
        "fixtures/golden/hello.ferry was packed with {golden_go} and this machine's Go is \
         {local_go}: regenerate the golden with fixtures/golden/make.sh (and check that only \
         go_version changed in it)"
    );

    // It is a good bundle, signed by the committed test-only key.
    let out = sb
        .ferry()
        .arg("verify")
        .arg(golden("hello.ferry"))
        .arg("--pub")
        .arg(golden("golden-test-only.pub"))
        .output()
        .unwrap();
    assert_ok(&out);

    // A copy outside any git checkout, so the version it records is "unversioned".
    copy_tree(&app("hello"), &sb.path("hello"));
    let key = golden("golden-test-only.key");
    let out = sb
        .ferry()
        .env("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
        .env("GIT_CEILING_DIRECTORIES", sb.dir.path())
        .args(["pack", "hello", "-o", "hello.ferry", "--key"])
        .arg(&key)
        .args(["-q", "--no-build-check"])
        .output()
        .unwrap();
    assert_ok(&out);
    let got = fs::read(sb.path("hello.ferry")).unwrap();
    if got != want {
        panic!(
            "packing fixtures/apps/hello as fixtures/golden/make.sh no longer gives \
             fixtures/golden/hello.ferry ({} bytes, packed {} bytes):\n{}\
             If the change is meant, regenerate it with fixtures/golden/make.sh.",
            want.len(),
            got.len(),
            differences(&want, &got)
        );
    }
}

/// What a zip entry is, as far as its bytes go.
#[derive(Debug, PartialEq)]
struct EntryFacts {
    index: usize,
    crc32: u32,
    size: u64,
    compressed: u64,
    method: String,
    modified: String,
    mode: Option<u32>,
}

fn entries(bundle: &[u8]) -> BTreeMap<String, EntryFacts> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bundle)).expect("a zip");
    (0..zip.len())
        .map(|index| {
            let f = zip.by_index_raw(index).unwrap();
            let facts = EntryFacts {
                index,
                crc32: f.crc32(),
                size: f.size(),
                compressed: f.compressed_size(),
                method: format!("{:?}", f.compression()),
                modified: format!("{:?}", f.last_modified()),
                mode: f.unix_mode(),
            };
            (f.name().unwrap().into_owned(), facts)
        })
        .collect()
}

fn manifest(bundle: &[u8]) -> serde_json::Value {
    let mut zip = zip::ZipArchive::new(Cursor::new(bundle)).expect("a zip");
    let mut bytes = Vec::new();
    zip.by_name("ferry.json")
        .expect("ferry.json")
        .read_to_end(&mut bytes)
        .unwrap();
    serde_json::from_slice(&bytes).expect("ferry.json is JSON")
}

/// The names in either map, once each, in order.
fn union<'a, V>(a: &'a BTreeMap<String, V>, b: &'a BTreeMap<String, V>) -> BTreeSet<&'a String> {
    a.keys().chain(b.keys()).collect()
}

/// The entries and manifest fields that differ, one line each.
fn differences(want: &[u8], got: &[u8]) -> String {
    let mut lines = Vec::new();
    let (w, g) = (entries(want), entries(got));
    for name in union(&w, &g) {
        match (w.get(name), g.get(name)) {
            (Some(_), None) => lines.push(format!("  entry {name}: only in the golden")),
            (None, Some(_)) => lines.push(format!("  entry {name}: only in the new bundle")),
            (Some(a), Some(b)) if a != b => lines.push(format!(
                "  entry {name}:\n    golden {a:?}\n    new    {b:?}"
            )),
            _ => {}
        }
    }
    let fields = |m: serde_json::Value| -> BTreeMap<String, serde_json::Value> {
        m.as_object()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .collect()
    };
    let (wm, gm) = (fields(manifest(want)), fields(manifest(got)));
    let none = serde_json::Value::Null;
    for field in union(&wm, &gm) {
        let (a, b) = (
            wm.get(field).unwrap_or(&none),
            gm.get(field).unwrap_or(&none),
        );
        if a == b {
            continue;
        }
        if field != "entries" {
            lines.push(format!(
                "  ferry.json {field}:\n    golden {a}\n    new    {b}"
            ));
            continue;
        }
        let by_path = |v: &serde_json::Value| -> BTreeMap<String, serde_json::Value> {
            let list = v.as_array().cloned().unwrap_or_default();
            list.into_iter()
                .map(|e| (e["path"].as_str().unwrap_or("?").to_string(), e))
                .collect()
        };
        let (ae, be) = (by_path(a), by_path(b));
        for path in union(&ae, &be) {
            let show = |e: Option<&serde_json::Value>| e.map_or("none".into(), |e| e.to_string());
            if ae.get(path) != be.get(path) {
                lines.push(format!(
                    "  ferry.json entries {path}:\n    golden {}\n    new    {}",
                    show(ae.get(path)),
                    show(be.get(path))
                ));
            }
        }
    }
    if lines.is_empty() {
        lines.push("  every entry and manifest field agrees: the zip framing differs".into());
    }
    lines.join("\n") + "\n"
}

/// Readers accept `ferry/v1`: a bundle packed by the code before the v2
/// format (every module zip in modcache/) verifies, unpacks and audits.
#[test]
fn a_v1_bundle_still_verifies_unpacks_and_audits() {
    let sb = Sandbox::new();
    let v1 = golden("hello-v1.ferry");
    let key = golden("golden-test-only.pub");
    let run = |args: &[&str]| {
        let out = sb
            .ferry()
            .args(args)
            .arg("--pub")
            .arg(&key)
            .output()
            .unwrap();
        assert_ok(&out);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let v1 = v1.to_str().unwrap();
    let said = run(&["verify", v1, "--json"]);
    let report: serde_json::Value = serde_json::from_str(&said).unwrap();
    assert!(
        report["trusted_comment"]
            .as_str()
            .unwrap()
            .starts_with("ferry/v1 "),
        "{report:#}"
    );
    let go = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "go");
    assert_eq!(go.unwrap()["ok"], true, "{report:#}");
    run(&["unpack", v1, "-C", sb.path("site").to_str().unwrap()]);
    assert!(
        sb.path("site/modcache/example.com/strutil/@v/v1.0.0.zip")
            .is_file()
    );
    let audit = run(&["audit", v1]);
    assert!(audit.contains("example.com/strutil"), "{audit}");
}
