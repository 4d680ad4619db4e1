//! The stock `minisign` tool and ferry agree both ways: minisign verifies what
//! ferry signs; keys made by minisign sign bundles that ferry verifies; a
//! manifest signed by `minisign -S` is accepted; ferry's encrypted keys open in minisign.

use std::fs;
use std::io::Write;
use std::process::Stdio;

use crate::common::{Sandbox, app, assert_exit, assert_ok, minisign, text};

fn extract(sb: &Sandbox, bundle: &str) {
    let bytes = fs::read(sb.path(bundle)).unwrap();
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    for name in ["ferry.json", "ferry.json.minisig"] {
        let mut out = fs::File::create(sb.path(name)).unwrap();
        std::io::copy(&mut z.by_name(name).unwrap(), &mut out).unwrap();
    }
}

/// `minisign -V` of the extracted manifest with the release key.
const CHECK_MANIFEST: [&str; 7] = [
    "-V",
    "-m",
    "ferry.json",
    "-x",
    "ferry.json.minisig",
    "-p",
    "rel.pub",
];

#[test]
fn stock_minisign_verifies_what_ferry_signs() {
    let sb = Sandbox::new();
    sb.pack("clockwork", "cw.ferry");
    extract(&sb, "cw.ferry");
    let out = sb.minisign(&CHECK_MANIFEST);
    assert_ok(&out);
    let said = text(&out);
    assert!(
        said.contains("Trusted comment: ferry/v2 module=example.com/clockwork"),
        "{said}"
    );
    assert!(said.contains("manifest=sha256:"), "{said}");

    // And it refuses a manifest changed by one byte.
    let mut m = fs::read(sb.path("ferry.json")).unwrap();
    m[5] ^= 1;
    fs::write(sb.path("ferry.json"), m).unwrap();
    let out = sb.minisign(&CHECK_MANIFEST);
    assert_exit(&out, 1);
}

#[test]
fn a_key_made_by_minisign_signs_a_bundle_ferry_verifies() {
    let sb = Sandbox::new();
    let out = sb.minisign(&["-G", "-W", "-p", "mk.pub", "-s", "mk.key"]);
    assert_ok(&out);
    assert_ok(&sb.run(&[
        "pack",
        app("hello").to_str().unwrap(),
        "-o",
        "h.ferry",
        "--key",
        "mk.key",
        "-q",
    ]));
    assert_ok(&sb.run(&["verify", "h.ferry", "--pub", "mk.pub"]));
    assert_ok(&sb.run(&["unpack", "h.ferry", "--pub", "mk.pub", "-C", "site"]));

    // A manifest re-signed by minisign itself is accepted too.
    extract(&sb, "h.ferry");
    let out = sb.minisign(&[
        "-S",
        "-s",
        "mk.key",
        "-m",
        "ferry.json",
        "-x",
        "by-minisign.sig",
        "-t",
        "signed with stock minisign",
    ]);
    assert_ok(&out);
    let bundle = fs::read(sb.path("h.ferry")).unwrap();
    let sig = fs::read(sb.path("by-minisign.sig")).unwrap();
    fs::write(
        sb.path("h2.ferry"),
        replace_entry(&bundle, "ferry.json.minisig", &sig),
    )
    .unwrap();
    let out = sb.run(&["verify", "h2.ferry", "--pub", "mk.pub"]);
    assert_ok(&out);
    assert!(text(&out).contains("signed with stock minisign"));
}

#[test]
fn ferrys_encrypted_keys_open_in_minisign() {
    let sb = Sandbox::new();
    let out = sb
        .ferry()
        .env("FERRY_KEY_PASSWORD", "correct horse")
        .args(["keygen", "-o", "enc"])
        .output()
        .unwrap();
    assert_ok(&out);
    fs::write(sb.path("note.txt"), "hello").unwrap();
    let mut child = minisign()
        .args(["-S", "-s", "enc.key", "-m", "note.txt"])
        .current_dir(sb.dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"correct horse\n")
        .unwrap();
    assert_ok(&child.wait_with_output().unwrap());
    let out = sb.minisign(&["-V", "-m", "note.txt", "-p", "enc.pub"]);
    assert_ok(&out);

    // An unencrypted ferry key signs in minisign too.
    sb.keygen("plain");
    let out = sb.minisign(&["-S", "-s", "plain.key", "-m", "note.txt", "-x", "plain.sig"]);
    assert_ok(&out);
    let out = sb.minisign(&["-V", "-m", "note.txt", "-x", "plain.sig", "-p", "plain.pub"]);
    assert_ok(&out);

    // ferry packs with it when given the password, and refuses without one.
    let out = sb
        .ferry()
        .env("FERRY_KEY_PASSWORD", "correct horse")
        .args([
            "pack",
            app("hello").to_str().unwrap(),
            "-o",
            "h.ferry",
            "--key",
            "enc.key",
            "-q",
        ])
        .output()
        .unwrap();
    assert_ok(&out);
    let out = sb.run(&[
        "pack",
        app("hello").to_str().unwrap(),
        "-o",
        "h2.ferry",
        "--key",
        "enc.key",
        "-q",
    ]);
    assert_exit(&out, 2);
    assert!(text(&out).contains("FERRY_KEY_PASSWORD"));
    assert!(!sb.path("h2.ferry").exists());
    let out = sb
        .ferry()
        .env("FERRY_KEY_PASSWORD", "wrong")
        .args([
            "pack",
            app("hello").to_str().unwrap(),
            "-o",
            "h3.ferry",
            "--key",
            "enc.key",
            "-q",
        ])
        .output()
        .unwrap();
    assert_exit(&out, 2);
    assert!(!sb.path("h3.ferry").exists());
}

fn replace_entry(bundle: &[u8], name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut src = zip::ZipArchive::new(std::io::Cursor::new(bundle)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    for i in 0..src.len() {
        let entry = src.by_index_raw(i).unwrap();
        if entry.name().unwrap() == name {
            drop(entry);
            out.start_file(name, opts).unwrap();
            out.write_all(bytes).unwrap();
        } else {
            out.raw_copy_file(entry).unwrap();
        }
    }
    out.finish().unwrap().into_inner()
}
