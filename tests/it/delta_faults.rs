//! Faults and hostile manifests where a delta or parts are read (kill -9,
//! a full disk, deltas re-signed to take from the base what it lacks): none
//! may leave DEST behind, and a rerun works.

use std::fs;

use crate::common::registry::Registry;
use crate::common::resign::{Entries, resigned};
use crate::common::{Sandbox, app, assert_exit, assert_ok, assert_says, copy_tree, rawzip, text};
use crate::faults::{big_module, kill_unpack_in_the_assets, named, on_a_disk_of};

/// `v1.ferry` (the big module: hello and 24 MB of assets) and `v2d.ferry`,
/// its successor with main.go patched, as a delta over it.
fn big_releases() -> Sandbox {
    let sb = Sandbox::new();
    let module = big_module(&sb);
    sb.keygen("rel");
    let pack = |out: &str, extra: &[&str]| {
        let mut args = vec!["pack", &module, "-o", out, "--key", "rel.key"];
        args.extend_from_slice(&["--no-build-check", "-q"]);
        args.extend_from_slice(extra);
        assert_ok(&sb.run(&args));
    };
    pack("v1.ferry", &[]);
    let main = sb.path("big/main.go");
    let patched = fs::read_to_string(&main).unwrap() + "\n// v2's patch.\n";
    fs::write(&main, patched).unwrap();
    pack("v2d.ferry", &["--base", "v1.ferry"]);
    sb
}

#[test]
fn kill_9_in_the_middle_of_unpack_of_a_delta_leaves_no_dest() {
    let sb = big_releases();
    fs::create_dir(sb.path("site")).unwrap();
    let site = sb.path("site");
    let args = [
        "unpack",
        "v2d.ferry",
        "--base",
        "v1.ferry",
        "--pub",
        "rel.pub",
        "-C",
        "site/app",
    ];
    // The assets come from the base: killed while they are written.
    kill_unpack_in_the_assets(&sb, &args);

    // The next run removes what the killed one left, and gives the tree.
    assert_ok(&sb.run(&[&args[..], &["-q"]].concat()));
    assert_eq!(named(&site, ""), vec!["app".to_string()]);
    let patched = fs::read_to_string(site.join("app/src/main.go")).unwrap();
    assert!(patched.ends_with("// v2's patch.\n"));
    assert_eq!(
        fs::read(site.join("app/src/assets/blob5.bin")).unwrap(),
        fs::read(sb.path("big/assets/blob5.bin")).unwrap()
    );
}

#[test]
fn a_full_disk_while_a_delta_or_parts_unpack_leaves_nothing() {
    let sb = big_releases();
    let split = [
        "split", "v1.ferry", "--size", "10M", "--key", "rel.key", "-q",
    ];
    assert_ok(&sb.run(&split));
    let out = on_a_disk_of(
        &sb,
        "2m",
        "{ \"$FERRY\" unpack v2d.ferry --base v1.ferry --pub rel.pub -C \"$FULL/site\" -q 2>&1; echo \"exit $?\"; } | sed 's/^/delta: /'\n\
         { \"$FERRY\" unpack v1.ferry.parts --pub rel.pub -C \"$FULL/site\" -q 2>&1; echo \"exit $?\"; } | sed 's/^/parts: /'\n\
         echo \"left=[$(ls -A \"$FULL\")]\"",
    );
    let said = text(&out);
    for run in ["delta", "parts"] {
        let lines: Vec<_> = said.lines().filter(|l| l.starts_with(run)).collect();
        assert!(
            lines.contains(&format!("{run}: exit 3").as_str()),
            "{run}: {said}"
        );
        assert!(
            lines.iter().any(|l| l.contains("No space left on device")),
            "{run}: {said}"
        );
    }
    assert!(said.contains("left=[]"), "{said}");
}

/// `v1.ferry` with busybox as its runtime image, and `v2d.ferry`: the same
/// source with busybox-plus (one layer more), a delta whose image tar is
/// rebuilt from the base's.
fn image_releases(reg: &Registry) -> Sandbox {
    let one = reg.seed("busybox", "test/busybox:1");
    let two = reg.seed("busybox-plus", "test/busybox:2");
    let sb = Sandbox::new();
    copy_tree(&app("hello"), &sb.path("app"));
    sb.keygen("rel");
    for (image, out, extra) in [
        (&one, "v1.ferry", &[][..]),
        (&two, "v2d.ferry", &["--base", "v1.ferry"][..]),
    ] {
        let mut args = vec![
            "pack",
            "app",
            "-o",
            out,
            "--key",
            "rel.key",
            "--no-build-check",
            "-q",
        ];
        args.extend_from_slice(&["--runtime-image", image, "--insecure-registry", &reg.host]);
        args.extend_from_slice(extra);
        assert_ok(&sb.run(&args));
    }
    sb
}

#[test]
fn a_full_disk_while_a_rebuilt_image_tar_is_written_leaves_nothing() {
    let reg = Registry::start();
    let sb = image_releases(&reg);
    // Room for the source, not for the 1 MB image tar rebuilt from the base.
    let out = on_a_disk_of(
        &sb,
        "512k",
        "\"$FERRY\" unpack v2d.ferry --base v1.ferry --pub rel.pub -C \"$FULL/site\" -q; echo \"delta=$?\"\n\
         echo \"left=[$(ls -A \"$FULL\")]\"",
    );
    let said = text(&out);
    assert!(said.contains("delta=3"), "{said}");
    // The rebuilt tar is what fills the disk, not a file before it.
    assert!(
        said.contains("images/test_busybox_2.tar: No space left on device"),
        "{said}"
    );
    assert!(said.contains("left=[]"), "{said}");
    // And with room, the same command unpacks it.
    assert_ok(&sb.run(&[
        "unpack",
        "v2d.ferry",
        "--base",
        "v1.ferry",
        "--pub",
        "rel.pub",
        "-C",
        "site",
        "-q",
    ]));
}

/// `delta` with its manifest edited by `edit` and signed again by the
/// release key, written as `name`.
fn forge(sb: &Sandbox, delta: &Entries, name: &str, edit: impl Fn(&mut serde_json::Value)) {
    let edited = resigned(sb, delta, edit);
    fs::write(sb.path(name), rawzip::rebuild(&edited).build()).unwrap();
}

/// Every reader with the base refuses `name` (exit 1) saying `expect`;
/// unpack writes nothing.
fn refused_over_the_base(sb: &Sandbox, name: &str, expect: &[&str]) {
    let before = sb.listing();
    for cmd in ["verify", "unpack"] {
        let mut args = vec![cmd, name, "--base", "v1.ferry", "--pub", "rel.pub"];
        if cmd == "unpack" {
            args.extend(["-C", "dest"]);
        }
        let out = sb.run(&args);
        assert_exit(&out, 1);
        assert_says(&out, expect);
    }
    assert_eq!(sb.listing(), before, "{name}: something was left behind");
}

/// Deltas signed by the release key (an insider, a stolen key) that take
/// from the base what it does not hold: an entry whose content the base
/// lacks, a member of a rebuilt tar past the end of the base's tar, or in a
/// base entry that is no image tar. Each is refused by name, nothing written.
#[test]
fn a_delta_that_takes_from_the_base_what_it_does_not_hold_is_refused() {
    let reg = Registry::start();
    let sb = image_releases(&reg);
    let delta = rawzip::entries_of(&fs::read(sb.path("v2d.ferry")).unwrap());
    let manifest: serde_json::Value = serde_json::from_slice(&delta[0].1).unwrap();
    let entries = manifest["entries"].as_array().unwrap();
    let at = |path: &str| entries.iter().position(|e| e["path"] == path).unwrap();
    let main = at("src/main.go");
    let from_base = manifest["base"]["from_base"].as_array().unwrap();
    assert!(from_base.iter().any(|p| p == "src/main.go"), "{manifest}");

    // A control: the delta re-signed as it is reads.
    forge(&sb, &delta, "same.ferry", |_| {});
    assert_ok(&sb.run(&[
        "verify",
        "same.ferry",
        "--base",
        "v1.ferry",
        "--pub",
        "rel.pub",
    ]));

    // src/main.go said to come from the base, with content the base lacks.
    forge(&sb, &delta, "content.ferry", |m| {
        m["entries"][main]["sha256"] = serde_json::json!("ab".repeat(32));
    });
    let lacks = format!("which has no entry with sha256 {}", "ab".repeat(32));
    refused_over_the_base(&sb, "content.ferry", &["src/main.go", &lacks]);

    let tar = manifest["base"]["images"][0]["path"]
        .as_str()
        .unwrap()
        .to_string();
    let members = manifest["base"]["images"][0]["members"].as_array().unwrap();
    let k = members
        .iter()
        .position(|m| m.get("base").is_some())
        .unwrap();
    let base_tar_size = {
        let v1 = rawzip::entries_of(&fs::read(sb.path("v1.ferry")).unwrap());
        let m: serde_json::Value = serde_json::from_slice(&v1[0].1).unwrap();
        let t = m["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["path"].as_str().unwrap().starts_with("images/"));
        t.unwrap()["size"].as_u64().unwrap()
    };

    // A member read from past the end of the base's tar.
    forge(&sb, &delta, "past.ferry", |m| {
        m["base"]["images"][0]["members"][k]["base"]["offset"] = serde_json::json!(base_tar_size);
    });
    let past = format!("member {k} (");
    refused_over_the_base(
        &sb,
        "past.ferry",
        &[&tar, &past, "is past the end of the base's"],
    );

    // A member read from a base entry that is no image tar (its main.go).
    let main_sha = entries[main]["sha256"].as_str().unwrap().to_string();
    forge(&sb, &delta, "notar.ferry", |m| {
        m["base"]["images"][0]["members"][k]["base"]["tar_sha256"] = serde_json::json!(main_sha);
        m["base"]["images"][0]["members"][k]["base"]["offset"] = serde_json::json!(0);
    });
    let notar = format!("the base has no image tar with sha256 {main_sha}");
    refused_over_the_base(&sb, "notar.ferry", &[&tar, &notar]);
}
