//! The `ferry/v2` bundle proves each module zip instead of carrying it:
//! its dirhash summary, its go.mod and the files vendor/ lacks that decide
//! what `go mod vendor` copies. Tampering aimed at the proofs themselves,
//! signed again with the real key, is refused by verify and unpack with
//! exit 1 naming module, version and file, and nothing written.

use std::fs;

use serde_json::json;
use sha2::{Digest, Sha256};

use crate::common::rawzip::{entries_of, rebuild};
use crate::common::resign::{Entries, rejected, resigned};
use crate::common::{Sandbox, assert_exit, assert_ok, assert_says, text};

const GREET: &str = "proofs/example.com/greet/v2/@v/v2.1.0/";
const STRUTIL: &str = "proofs/example.com/strutil/@v/v1.1.0/";

fn clockwork() -> (Sandbox, Entries) {
    let sb = Sandbox::new();
    let bundle = fs::read(sb.pack("clockwork", "good.ferry")).unwrap();
    (sb, entries_of(&bundle))
}

fn find(entries: &Entries, name: &str) -> usize {
    entries
        .iter()
        .position(|e| e.0 == name)
        .unwrap_or_else(|| panic!("no entry {name}"))
}

/// The entries with `name` set to `bytes` (added when absent, removed for
/// `None`), the manifest changed to match and signed again.
fn with_entry(sb: &Sandbox, entries: &Entries, name: &str, bytes: Option<&[u8]>) -> Entries {
    let mut out = entries.clone();
    out.retain(|e| e.0 != name);
    if let Some(b) = bytes {
        out.push((name.to_string(), b.to_vec(), 0o644));
        out[2..].sort_by(|a, b| a.0.cmp(&b.0));
    }
    resigned(sb, &out, |m| {
        let list = m["entries"].as_array_mut().unwrap();
        list.retain(|e| e["path"] != name);
        if let Some(b) = bytes {
            list.push(json!({
                "path": name,
                "sha256": hex::encode(Sha256::digest(b)),
                "size": b.len(),
                "mode": "0644",
            }));
            list.sort_by(|a, b| a["path"].as_str().cmp(&b["path"].as_str()));
        }
    })
}

fn text_of(entries: &Entries, name: &str) -> String {
    String::from_utf8(entries[find(entries, name)].1.clone()).unwrap()
}

/// verify and unpack both refuse `entries`, saying each of `says`.
fn refused(sb: &Sandbox, case: &str, entries: &Entries, says: &[&str]) {
    rejected(sb, case, &rebuild(entries).build(), says);
}

#[test]
fn a_v2_bundle_carries_proofs_and_no_module_zip() {
    let (sb, entries) = clockwork();
    let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
    assert!(
        !names.iter().any(|n| n.starts_with("modcache/")),
        "{names:?}"
    );
    for want in [
        "proofs/example.com/!upper/tzinfo/@v/v1.0.0/summary",
        &format!("{GREET}summary"),
        &format!("{GREET}go.mod"),
        // ignore-tagged: vendor/ lacks it, and only its content says why.
        &format!("{GREET}files/gen.go"),
        &format!("{STRUTIL}summary"),
    ] {
        assert!(names.contains(&want), "{want} not in {names:?}");
    }
    let out = sb.run(&["verify", "good.ferry", "--pub", "rel.pub"]);
    assert_ok(&out);
    assert_says(&out, &["ferry/v2"]);
    assert_ok(&sb.run(&["audit", "good.ferry", "--pub", "rel.pub"]));
}

#[test]
fn an_edited_summary_is_refused() {
    let (sb, entries) = clockwork();
    let summary = format!("{STRUTIL}summary");
    let text = text_of(&entries, &summary);
    let lines: Vec<&str> = text.lines().collect();

    let flipped = text.replacen(
        &lines[0][..1],
        if &lines[0][..1] == "0" { "1" } else { "0" },
        1,
    );
    let edited = with_entry(&sb, &entries, &summary, Some(flipped.as_bytes()));
    refused(
        &sb,
        "flipped",
        &edited,
        &["example.com/strutil@v1.1.0", "does not match go.sum"],
    );

    let dropped: String = lines[1..].iter().map(|l| format!("{l}\n")).collect();
    let edited = with_entry(&sb, &entries, &summary, Some(dropped.as_bytes()));
    refused(
        &sb,
        "dropped",
        &edited,
        &["example.com/strutil@v1.1.0", "does not match go.sum"],
    );

    let added = format!(
        "{text}{}  example.com/strutil@v1.1.0/zz.go\n",
        "0".repeat(64)
    );
    let edited = with_entry(&sb, &entries, &summary, Some(added.as_bytes()));
    refused(
        &sb,
        "added",
        &edited,
        &["example.com/strutil@v1.1.0", "does not match go.sum"],
    );

    let mut swapped: Vec<&str> = lines.clone();
    swapped.swap(0, 1);
    let swapped: String = swapped.iter().map(|l| format!("{l}\n")).collect();
    let edited = with_entry(&sb, &entries, &summary, Some(swapped.as_bytes()));
    refused(
        &sb,
        "reordered",
        &edited,
        &["example.com/strutil@v1.1.0", &summary, "out of order"],
    );

    let foreign = text.replacen("example.com/strutil@v1.1.0/", "example.com/evil@v1.1.0/", 1);
    let edited = with_entry(&sb, &entries, &summary, Some(foreign.as_bytes()));
    refused(
        &sb,
        "foreign",
        &edited,
        &[&summary, "does not start with example.com/strutil@v1.1.0/"],
    );
}

#[test]
fn a_go_mod_that_does_not_match_its_go_sum_line_is_refused() {
    let (sb, entries) = clockwork();
    let go_mod = format!("{GREET}go.mod");
    let edited = with_entry(
        &sb,
        &entries,
        &go_mod,
        Some(b"module example.com/greet/v2\n\ngo 1.26\n"),
    );
    refused(
        &sb,
        "gomod",
        &edited,
        &["example.com/greet/v2@v2.1.0", "does not match go.sum line"],
    );
}

#[test]
fn a_proof_of_a_module_modules_txt_does_not_name_is_refused() {
    let (sb, entries) = clockwork();
    let extra = "proofs/example.com/other/@v/v1.0.0/summary";
    let body = format!("{}  example.com/other@v1.0.0/x.go\n", "0".repeat(64));
    let edited = with_entry(&sb, &entries, extra, Some(body.as_bytes()));
    refused(
        &sb,
        "unbound",
        &edited,
        &[
            "proofs/example.com/other/@v/v1.0.0/",
            "no module of vendor/modules.txt",
        ],
    );
}

#[test]
fn files_the_proof_says_go_mod_vendor_copies_must_be_there() {
    let (sb, entries) = clockwork();
    // banner.txt is embedded by greet.go: go mod vendor copies it.
    let banner = "src/vendor/example.com/greet/v2/banner.txt";
    let edited = with_entry(&sb, &entries, banner, None);
    refused(
        &sb,
        "banner",
        &edited,
        &["banner.txt: example.com/greet/v2@v2.1.0: is missing from vendor/"],
    );

    // Without gen.go's content nothing shows it is ignore-tagged: dropping it
    // from the proof must not let vendor/ drop a file.
    let gen_go = format!("{GREET}files/gen.go");
    let edited = with_entry(&sb, &entries, &gen_go, None);
    refused(
        &sb,
        "nogen",
        &edited,
        &[
            "example.com/greet/v2@v2.1.0",
            "gen.go",
            "neither vendor/ nor",
        ],
    );

    let untagged = b"package main\n\nfunc main() {}\n";
    let edited = with_entry(&sb, &entries, &gen_go, Some(untagged));
    refused(
        &sb,
        "gen",
        &edited,
        &[
            "example.com/greet/v2@v2.1.0",
            "gen.go differs from its summary line",
        ],
    );
}

#[test]
fn with_modcache_the_bundle_depends_on_go_sum_not_on_the_module_cache() {
    let sb = Sandbox::new();
    let out = sb.pack_with(
        "clockwork",
        "a.ferry",
        &["-q", "--with-modcache", "--no-build-check"],
    );
    assert_ok(&out);
    // Unrelated modules in the cache (the one clockwork replaces away).
    let mut fill = std::process::Command::new("go");
    sb.go_env(&mut fill);
    let out = fill
        .args(["mod", "download", "example.com/strutil@v1.0.0"])
        .current_dir(sb.dir.path())
        .output()
        .unwrap();
    assert_ok(&out);
    let out = sb.pack_with(
        "clockwork",
        "b.ferry",
        &["-q", "--with-modcache", "--no-build-check"],
    );
    assert_ok(&out);
    let (a, b) = (
        fs::read(sb.path("a.ferry")).unwrap(),
        fs::read(sb.path("b.ferry")).unwrap(),
    );
    assert!(
        a == b,
        "the same tree packed after filling the module cache gave other bytes"
    );
    let names: Vec<String> = entries_of(&a).into_iter().map(|e| e.0).collect();
    assert!(
        names
            .iter()
            .any(|n| n == "modcache/example.com/greet/v2/@v/v2.1.0.zip")
    );
    assert!(
        names.iter().any(|n| n.starts_with(GREET)),
        "proofs are carried too"
    );
    assert!(
        !names.iter().any(|n| n.contains("strutil/@v/v1.0.0")),
        "{names:?}"
    );
}

fn clockwork_with_modcache() -> (Sandbox, Entries) {
    let sb = Sandbox::new();
    assert_ok(&sb.pack_with("clockwork", "m.ferry", &["-q", "--with-modcache"]));
    let bundle = fs::read(sb.path("m.ferry")).unwrap();
    (sb, entries_of(&bundle))
}

#[test]
fn a_carried_zip_and_its_proof_are_both_checked() {
    let (sb, entries) = clockwork_with_modcache();
    let summary = format!("{STRUTIL}summary");
    let edited = with_entry(&sb, &entries, &summary, Some(b"garbage\n"));
    refused(
        &sb,
        "garbage",
        &edited,
        &["example.com/strutil@v1.1.0", &summary],
    );

    // A zip go.sum does not pin, carried beside the real ones.
    let other = "modcache/example.com/strutil/@v/v1.2.0.zip";
    let zip = text_of(&entries, &format!("{STRUTIL}summary"));
    let edited = with_entry(&sb, &entries, other, Some(zip.as_bytes()));
    refused(
        &sb,
        "unpinned",
        &edited,
        &[other, "go.sum pins no such file"],
    );
}

#[test]
fn modules_export_refuses_a_bundle_whose_module_cache_fails_the_go_check() {
    let (sb, entries) = clockwork_with_modcache();
    let zip = "modcache/example.com/greet/v2/@v/v2.1.0.zip";
    let swapped = entries[find(&entries, "modcache/example.com/strutil/@v/v1.1.0.zip")]
        .1
        .clone();
    let edited = with_entry(&sb, &entries, zip, Some(&swapped));
    fs::write(sb.path("swapped.ferry"), rebuild(&edited).build()).unwrap();
    let out = sb.run(&[
        "modules",
        "export",
        "swapped.ferry",
        "--pub",
        "rel.pub",
        "--to",
        "proxy",
    ]);
    assert_exit(&out, 1);
    assert_says(&out, &["example.com/greet/v2@v2.1.0"]);
    assert!(!sb.path("proxy").exists(), "{}", text(&out));
}

#[test]
fn proofs_hold_nothing_but_proofs() {
    let (sb, entries) = clockwork();
    for stray in [
        "proofs/readme.txt".to_string(),
        format!("{STRUTIL}other"),
        "proofs/example.com/strutil/@v/v9.9.9.zip".to_string(),
    ] {
        let edited = with_entry(&sb, &entries, &stray, Some(b"x\n"));
        refused(&sb, "stray", &edited, &[&stray, "is no part of a proof"]);
    }
}

#[test]
fn the_manifest_module_list_is_the_tree_s_and_diff_believes_no_other() {
    let (sb, entries) = clockwork();
    let edited = resigned(&sb, &entries, |m| {
        for module in m["modules"].as_array_mut().unwrap() {
            if module["path"] == "example.com/greet/v2" {
                module["version"] = json!("v2.2.0");
            }
        }
    });
    refused(
        &sb,
        "lying",
        &edited,
        &["manifest field modules: example.com/greet/v2@v2.2.0"],
    );
    let out = sb.run(&["diff", "good.ferry", "lying.ferry", "--pub", "rel.pub"]);
    assert_exit(&out, 1);
    assert_says(&out, &["example.com/greet/v2"]);
}
