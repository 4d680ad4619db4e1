//! Bundles altered on the way across the gap: each is rejected by `verify` and
//! `unpack` with exit 1, the entry named, and nothing written at DEST.
//! Altered zips are rebuilt with the zip crate, or patched byte by byte where
//! its writer refuses to make them (`..` names, duplicates).

use std::fs;
use std::io::{Cursor, Read, Write};

use crate::common::{Sandbox, assert_exit, assert_ok, text};
use zip::write::SimpleFileOptions;

/// What to do with one entry while rewriting a bundle.
enum Edit {
    Keep,
    Drop,
    Replace(Vec<u8>),
}

/// Rewrites `bundle`, applying `edit` to each entry and appending `extra`.
fn rewrite(bundle: &[u8], edit: impl Fn(&str, &[u8]) -> Edit, extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut src = zip::ZipArchive::new(Cursor::new(bundle)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default()
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    for i in 0..src.len() {
        let mut data = Vec::new();
        let name = {
            let mut f = src.by_index(i).unwrap();
            f.read_to_end(&mut data).unwrap();
            f.name().unwrap().into_owned()
        };
        match edit(&name, &data) {
            Edit::Keep => out.raw_copy_file(src.by_index_raw(i).unwrap()).unwrap(),
            Edit::Drop => {}
            Edit::Replace(bytes) => {
                out.start_file(name.as_str(), opts).unwrap();
                out.write_all(&bytes).unwrap();
            }
        }
    }
    for (name, bytes) in extra {
        out.start_file(*name, opts).unwrap();
        out.write_all(bytes).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// Replaces every occurrence of `from` by `to` (same length) in raw bytes.
fn patch(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut out = bytes.to_vec();
    let mut hits = 0;
    for i in 0..out.len().saturating_sub(from.len() - 1) {
        if &out[i..i + from.len()] == from {
            out[i..i + from.len()].copy_from_slice(to);
            hits += 1;
        }
    }
    assert!(
        hits >= 2,
        "the name should be in a local header and the central directory"
    );
    out
}

/// Verify and unpack `bytes` with `pub_key`: both exit 1, both say `expect`,
/// and unpack leaves nothing behind.
fn assert_rejected(sb: &Sandbox, case: &str, bytes: &[u8], pub_key: &str, expect: &[&str]) {
    let name = format!("{case}.ferry");
    fs::write(sb.path(&name), bytes).unwrap();
    let before = sb.listing();
    let out = sb.run(&["verify", &name, "--pub", pub_key]);
    assert_exit(&out, 1);
    let said = text(&out);
    for e in expect {
        assert!(
            said.contains(e),
            "{case}: verify did not say {e:?}:\n{said}"
        );
    }
    let dest = format!("dest-{case}");
    let out = sb.run(&["unpack", &name, "--pub", pub_key, "-C", &dest]);
    assert_exit(&out, 1);
    for e in expect {
        assert!(
            text(&out).contains(e),
            "{case}: unpack did not say {e:?}:\n{}",
            text(&out)
        );
    }
    assert_eq!(sb.listing(), before, "{case}: unpack left something behind");
}

fn packed() -> (Sandbox, Vec<u8>) {
    let sb = Sandbox::new();
    let bundle = fs::read(sb.pack("clockwork", "good.ferry")).unwrap();
    (sb, bundle)
}

#[test]
fn a_flipped_byte_in_a_source_file() {
    let (sb, good) = packed();
    let bad = rewrite(
        &good,
        |name, data| match name {
            "src/main.go" => {
                let mut d = data.to_vec();
                d[10] ^= 0x20;
                Edit::Replace(d)
            }
            _ => Edit::Keep,
        },
        &[],
    );
    assert_rejected(
        &sb,
        "flipped",
        &bad,
        "rel.pub",
        &["src/main.go: sha256 differs from the manifest", "expected "],
    );
}

#[test]
fn an_extra_entry() {
    let (sb, good) = packed();
    let bad = rewrite(
        &good,
        |_, _| Edit::Keep,
        &[("src/backdoor.go", b"package main\n")],
    );
    assert_rejected(
        &sb,
        "extra",
        &bad,
        "rel.pub",
        &["src/backdoor.go: not listed in the manifest"],
    );
}

#[test]
fn a_removed_entry() {
    let (sb, good) = packed();
    let bad = rewrite(
        &good,
        |name, _| {
            if name == "src/go.sum" {
                Edit::Drop
            } else {
                Edit::Keep
            }
        },
        &[],
    );
    assert_rejected(
        &sb,
        "removed",
        &bad,
        "rel.pub",
        &["src/go.sum: listed in the manifest but missing"],
    );
}

#[test]
fn an_edited_manifest() {
    let (sb, good) = packed();
    let bad = rewrite(
        &good,
        |name, data| match name {
            "ferry.json" => {
                // Claim a build proof that was not made, or deny one that was.
                let text = String::from_utf8_lossy(data);
                let edited = if text.contains("\"checked\": true") {
                    text.replace("\"checked\": true", "\"checked\": false")
                } else {
                    text.replace("\"checked\": false", "\"checked\": true")
                };
                assert_ne!(edited, text, "the edit must change the manifest");
                Edit::Replace(edited.into_bytes())
            }
            _ => Edit::Keep,
        },
        &[],
    );
    assert_rejected(&sb, "manifest", &bad, "rel.pub", &["signature"]);
}

#[test]
fn the_wrong_public_key() {
    let (sb, good) = packed();
    let (_, other) = sb.keygen("other");
    assert_rejected(
        &sb,
        "wrongkey",
        &good,
        other.to_str().unwrap(),
        &["signature", "key"],
    );
}

#[test]
fn a_truncated_file() {
    let (sb, good) = packed();
    for cut in [good.len() / 2, good.len() - 30, 100] {
        assert_rejected(
            &sb,
            &format!("cut{cut}"),
            &good[..cut],
            "rel.pub",
            &["not a readable ferry bundle"],
        );
    }
}

#[test]
fn a_dot_dot_entry_name() {
    let (sb, good) = packed();
    let crafted = rewrite(&good, |_, _| Edit::Keep, &[("src/aaaevil", b"owned\n")]);
    let bad = patch(&crafted, b"src/aaaevil", b"src/../evil");
    assert_rejected(
        &sb,
        "dotdot",
        &bad,
        "rel.pub",
        &["src/../evil", "refused entry name"],
    );
}

#[test]
fn a_duplicate_entry_name() {
    let (sb, good) = packed();
    let crafted = rewrite(
        &good,
        |_, _| Edit::Keep,
        &[("src/main.gX", b"package main\nfunc init() { panic(1) }\n")],
    );
    let bad = patch(&crafted, b"src/main.gX", b"src/main.go");
    assert_rejected(&sb, "dupe", &bad, "rel.pub", &["more than once"]);
}

#[test]
fn unpack_refuses_a_non_empty_destination_and_leaves_it_alone() {
    let (sb, _) = packed();
    fs::create_dir(sb.path("full")).unwrap();
    fs::write(sb.path("full/keep.txt"), "mine").unwrap();
    let out = sb.run(&["unpack", "good.ferry", "--pub", "rel.pub", "-C", "full"]);
    assert_exit(&out, 2);
    assert!(text(&out).contains("not empty"));
    assert_eq!(
        fs::read_to_string(sb.path("full/keep.txt")).unwrap(),
        "mine"
    );
    assert_eq!(fs::read_dir(sb.path("full")).unwrap().count(), 1);
    // An empty folder is fine.
    fs::create_dir(sb.path("empty")).unwrap();
    assert_ok(&sb.run(&["unpack", "good.ferry", "--pub", "rel.pub", "-C", "empty"]));
    assert!(sb.path("empty/src/main.go").is_file());
}
