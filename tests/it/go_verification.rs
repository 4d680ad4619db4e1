//! The Go verification against real `go mod vendor` output: a clean tree has
//! no finding, and each kind of tampering is found and named (module, file,
//! expected and actual hash) by `ferry audit DIR`, by `pack` before signing,
//! and by `verify` inside a bundle that its signer's key re-signed.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{Sandbox, app, assert_exit, assert_ok, text};

/// A copy of a fixture app, vendored by the real `go`, with its module cache.
struct Vendored {
    sb: Sandbox,
    tree: PathBuf,
}

impl Vendored {
    fn new(name: &str) -> Vendored {
        let sb = Sandbox::new();
        let tree = sb.path(name);
        copy_dir(&app(name), &tree);
        for args in [&["mod", "download"][..], &["mod", "vendor"]] {
            let mut go = Command::new("go");
            sb.go_env(&mut go);
            let out = go
                .args(args)
                .env("GOFLAGS", "-mod=mod")
                .current_dir(&tree)
                .output()
                .unwrap();
            assert_ok(&out);
        }
        Vendored { sb, tree }
    }

    fn cache(&self) -> PathBuf {
        self.sb.path("gomodcache/cache/download")
    }

    fn audit(&self) -> std::process::Output {
        let cache = self.cache();
        self.sb.run(&[
            "audit",
            self.tree.to_str().unwrap(),
            "--modcache",
            cache.to_str().unwrap(),
        ])
    }

    fn edit(&self, rel: &str, f: impl FnOnce(String) -> String) {
        let p = self.tree.join(rel);
        let s = fs::read_to_string(&p).unwrap();
        fs::write(&p, f(s)).unwrap();
    }

    /// The audit fails with exit 1 and says every one of `expect`.
    fn assert_found(&self, case: &str, expect: &[&str]) {
        let out = self.audit();
        assert_exit(&out, 1);
        for e in expect {
            assert!(
                text(&out).contains(e),
                "{case}: audit did not say {e:?}:\n{}",
                text(&out)
            );
        }
    }
}

#[test]
fn real_go_mod_vendor_output_has_no_finding() {
    let v = Vendored::new("clockwork");
    let out = v.audit();
    assert_ok(&out);
    let said = text(&out);
    assert!(
        said.contains("4 modules, 4 verified, 0 findings, 0 policy violations, 0 not checked"),
        "{said}"
    );
    let json = v.sb.run(&[
        "audit",
        v.tree.to_str().unwrap(),
        "--modcache",
        v.cache().to_str().unwrap(),
        "--format",
        "json",
    ]);
    let j: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(j["module"], "example.com/clockwork");
    assert!(
        j["modules_status"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["status"] == "verified")
    );
}

#[test]
fn without_a_module_cache_zips_are_not_checked_never_passed() {
    let v = Vendored::new("hello");
    let empty = v.sb.path("empty-cache");
    fs::create_dir(&empty).unwrap();
    let out = v.sb.run(&[
        "audit",
        v.tree.to_str().unwrap(),
        "--modcache",
        empty.to_str().unwrap(),
    ]);
    assert_ok(&out);
    let said = text(&out);
    assert!(
        said.contains("not checked") && said.contains("0 verified"),
        "{said}"
    );
    assert!(!said.contains(" verified\n"), "{said}");
}

#[test]
fn a_changed_byte_in_a_vendored_go_file() {
    let v = Vendored::new("clockwork");
    v.edit("vendor/example.com/strutil/strutil.go", |s| {
        s.replacen("runes", "rUnes", 1)
    });
    v.assert_found("byte", &["example.com/strutil@v1.0.0: vendor/example.com/strutil/strutil.go: differs from the module zip (expected sha256:", ", actual sha256:"]);
}

#[test]
fn an_added_file_in_a_vendored_package() {
    let v = Vendored::new("clockwork");
    fs::write(
        v.tree.join("vendor/example.com/greet/v2/zz_hook.go"),
        "package greet\n\nfunc init() {}\n",
    )
    .unwrap();
    v.assert_found(
        "added file",
        &["vendor/example.com/greet/v2/zz_hook.go: is not in the module zip"],
    );
}

#[test]
fn an_added_package_folder() {
    let v = Vendored::new("clockwork");
    fs::create_dir_all(v.tree.join("vendor/example.com/greet/v2/evil")).unwrap();
    fs::write(
        v.tree.join("vendor/example.com/greet/v2/evil/evil.go"),
        "package evil\n",
    )
    .unwrap();
    v.assert_found("package folder", &["vendor/example.com/greet/v2/evil: folder holds Go files but vendor/modules.txt lists no package"]);
}

#[test]
fn a_deleted_vendored_file() {
    let v = Vendored::new("clockwork");
    fs::remove_file(
        v.tree
            .join("vendor/example.com/greet/v2/templates/hello.tmpl"),
    )
    .unwrap();
    v.assert_found("deleted", &["example.com/greet/v2@v2.1.0: vendor/example.com/greet/v2/templates/hello.tmpl: is missing from vendor/"]);
}

#[test]
fn a_leftover_test_file_and_an_edited_license() {
    let v = Vendored::new("clockwork");
    let zip = v.cache().join("example.com/!upper/tzinfo/@v/v1.0.0.zip");
    let test_go = read_zip_entry(&zip, "example.com/Upper/tzinfo@v1.0.0/tzinfo_test.go");
    fs::write(
        v.tree
            .join("vendor/example.com/Upper/tzinfo/tzinfo_test.go"),
        test_go,
    )
    .unwrap();
    v.edit("vendor/example.com/strutil/LICENSE", |s| {
        s.replace("BSD 3-Clause", "Public Domain")
    });
    v.assert_found(
        "leftovers",
        &[
            "tzinfo_test.go: is in the module zip, but go mod vendor does not copy it",
            "vendor/example.com/strutil/LICENSE: differs from the module zip",
        ],
    );
}

#[test]
fn a_version_bumped_in_modules_txt_only() {
    let v = Vendored::new("clockwork");
    v.edit("vendor/modules.txt", |s| {
        s.replace(
            "# example.com/Upper/tzinfo v1.0.0",
            "# example.com/Upper/tzinfo v1.0.1",
        )
    });
    v.assert_found("bump", &["example.com/Upper/tzinfo@v1.0.0: vendor/modules.txt: go.mod requires v1.0.0, but vendor/modules.txt lists v1.0.1"]);
}

#[test]
fn a_go_sum_line_edited() {
    let v = Vendored::new("clockwork");
    let sum = fs::read_to_string(v.tree.join("go.sum")).unwrap();
    let line = sum
        .lines()
        .find(|l| l.starts_with("example.com/Upper/tzinfo v1.0.0 h1:"))
        .unwrap()
        .to_string();
    let forged = "example.com/Upper/tzinfo v1.0.0 h1:3q2+7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    fs::write(v.tree.join("go.sum"), sum.replace(&line, forged)).unwrap();
    v.assert_found(
        "go.sum",
        &[
            "example.com/Upper/tzinfo@v1.0.0",
            "module zip does not match go.sum",
            "expected h1:3q2+7w",
        ],
    );
}

#[test]
fn a_replace_in_go_mod_that_modules_txt_lacks() {
    let v = Vendored::new("clockwork");
    v.edit("go.mod", |s| {
        s + "\nreplace example.com/Upper/tzinfo => ./third_party/localdep\n"
    });
    v.assert_found("replace", &["example.com/Upper/tzinfo@*: vendor/modules.txt: is replaced by ./third_party/localdep in go.mod, but not marked as replaced"]);
}

#[test]
fn a_module_zip_altered_in_the_cache() {
    let v = Vendored::new("clockwork");
    let zip = v.cache().join("example.com/greet/v2/@v/v2.1.0.zip");
    rewrite_zip_entry(
        &zip,
        "example.com/greet/v2@v2.1.0/banner.txt",
        b"== pwned ==\n",
    );
    v.assert_found("cache", &["example.com/greet/v2@v2.1.0: modcache/example.com/greet/v2/@v/v2.1.0.zip: module zip does not match go.sum (expected h1:"]);
}

#[test]
fn a_local_replacement_that_differs_from_vendor() {
    let v = Vendored::new("clockwork");
    v.edit("third_party/localdep/localdep.go", |s| {
        s.replace("42", "43")
    });
    v.assert_found("local", &["example.com/localdep@v0.0.0: vendor/example.com/localdep/localdep.go: differs from the local replacement folder"]);
}

#[test]
fn pack_refuses_a_tampered_committed_vendor_tree() {
    let sb = Sandbox::new();
    let tree = sb.path("hello");
    copy_dir(&app("hello"), &tree);
    let f = tree.join("vendor/example.com/strutil/strutil.go");
    let s = fs::read_to_string(&f)
        .unwrap()
        .replace("return string(r)", "return string(r) + \"!\"");
    fs::write(&f, s).unwrap();
    sb.keygen("rel");
    let out = sb.run(&["pack", "hello", "-o", "h.ferry", "--key", "rel.key"]);
    assert_exit(&out, 1);
    assert!(
        text(&out).contains("vendor/example.com/strutil/strutil.go: differs from the module zip"),
        "{}",
        text(&out)
    );
    assert!(!sb.path("h.ferry").exists());
}

#[test]
fn verify_rebinds_vendor_to_modcache_inside_a_re_signed_bundle() {
    // A bundle signed by the right key whose vendored file does not match its
    // module zip (a bypassed or buggy packer): the entries all match the
    // manifest, and the Go check inside the bundle still rejects it.
    let sb = Sandbox::new();
    let good = fs::read(sb.pack("clockwork", "good.ferry")).unwrap();
    let bad = resign(
        &good,
        &sb.path("rel.key"),
        "src/vendor/example.com/strutil/strutil.go",
        |s| s.replace("runes", "rUnes"),
    );
    fs::write(sb.path("bad.ferry"), bad).unwrap();
    let out = sb.run(&["verify", "bad.ferry", "--pub", "rel.pub"]);
    assert_exit(&out, 1);
    assert!(text(&out).contains("src/vendor/example.com/strutil/strutil.go: example.com/strutil@v1.0.0: differs from the module zip"), "{}", text(&out));
    let out = sb.run(&["unpack", "bad.ferry", "--pub", "rel.pub", "-C", "site"]);
    assert_exit(&out, 1);
    assert!(!sb.path("site").exists());
    let out = sb.run(&["audit", "good.ferry", "--pub", "rel.pub"]);
    assert_ok(&out);
    assert!(
        text(&out).contains("4 modules, 4 verified"),
        "{}",
        text(&out)
    );
}

#[test]
fn verify_rebinds_local_replacements_and_zips_inside_a_re_signed_bundle() {
    // The Go check inside a bundle reads what streamed past: a local
    // replacement's files and each module zip, never a copy on disk.
    let sb = Sandbox::new();
    let good = fs::read(sb.pack("clockwork", "good.ferry")).unwrap();
    type Edit = fn(String) -> String;
    let cases: [(&str, Edit, &str); 2] = [
        (
            "src/third_party/localdep/localdep.go",
            |s| s + "\n// changed after vendoring\n",
            "src/vendor/example.com/localdep/localdep.go: example.com/localdep@v0.0.0: differs from the local replacement folder",
        ),
        (
            "src/go.sum",
            |s| {
                s.replace(
                    "lmH4CgoG3HMeVSa0H9BNe0Od0CwBnsTrmG",
                    "AAAACgoG3HMeVSa0H9BNe0Od0CwBnsTrmG",
                )
            },
            "modcache/example.com/!upper/tzinfo/@v/v1.0.0.zip: example.com/Upper/tzinfo@v1.0.0: module zip does not match go.sum",
        ),
    ];
    for (entry, edit, said) in cases {
        fs::write(
            sb.path("bad.ferry"),
            resign(&good, &sb.path("rel.key"), entry, edit),
        )
        .unwrap();
        let out = sb.run(&["verify", "bad.ferry", "--pub", "rel.pub"]);
        assert_exit(&out, 1);
        assert!(text(&out).contains(said), "{entry}: {}", text(&out));
    }
}

/// Changes one entry of a bundle, updates its manifest line and signs the
/// manifest again with `key`, as a packer that skipped the checks would.
fn resign(bundle: &[u8], key: &Path, entry: &str, edit: impl Fn(String) -> String) -> Vec<u8> {
    use ferry::bundle::manifest::Manifest;
    use sha2::{Digest, Sha256};
    let mut src = zip::ZipArchive::new(std::io::Cursor::new(bundle)).unwrap();
    let mut read = |name: &str| {
        let mut v = Vec::new();
        src.by_name(name).unwrap().read_to_end(&mut v).unwrap();
        v
    };
    let new_body = edit(String::from_utf8(read(entry)).unwrap()).into_bytes();
    let mut manifest = Manifest::from_bytes(&read("ferry.json")).unwrap();
    let e = manifest
        .entries
        .iter_mut()
        .find(|e| e.path == entry)
        .unwrap();
    e.sha256 = hex::encode(Sha256::digest(&new_body));
    e.size = new_body.len() as u64;
    let mbytes = manifest.to_bytes();
    let signer = ferry::sign::load_secret_key(key, &|_| None).unwrap();
    let comment = ferry::sign::trusted_comment(
        &manifest.format,
        &manifest.module.path,
        &manifest.module.version,
        &hex::encode(Sha256::digest(&mbytes)),
    );
    let sig = signer.sign(&mbytes, &comment).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    for i in 0..src.len() {
        let f = src.by_index_raw(i).unwrap();
        let name = f.name().unwrap().into_owned();
        let replacement = match name.as_str() {
            "ferry.json" => Some(mbytes.clone()),
            "ferry.json.minisig" => Some(sig.clone().into_bytes()),
            n if n == entry => Some(new_body.clone()),
            _ => None,
        };
        match replacement {
            Some(bytes) => {
                drop(f);
                out.start_file(name.as_str(), opts).unwrap();
                out.write_all(&bytes).unwrap();
            }
            None => out.raw_copy_file(f).unwrap(),
        }
    }
    out.finish().unwrap().into_inner()
}

fn read_zip_entry(zip: &Path, name: &str) -> Vec<u8> {
    let mut z = zip::ZipArchive::new(fs::File::open(zip).unwrap()).unwrap();
    let mut v = Vec::new();
    z.by_name(name).unwrap().read_to_end(&mut v).unwrap();
    v
}

fn rewrite_zip_entry(zip: &Path, name: &str, body: &[u8]) {
    let bytes = fs::read(zip).unwrap();
    let mut src = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..src.len() {
        let f = src.by_index_raw(i).unwrap();
        if f.name().unwrap() == name {
            drop(f);
            out.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            out.write_all(body).unwrap();
        } else {
            out.raw_copy_file(f).unwrap();
        }
    }
    fs::set_permissions(zip, fs::Permissions::from_mode(0o644)).unwrap();
    fs::write(zip, out.finish().unwrap().into_inner()).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
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
