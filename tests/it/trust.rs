//! Which keys a reader trusts (`--pub` files and folders, several at once,
//! `FERRY_TRUSTED_KEYS`), what happens with none, and how every printing
//! command ends when its reader closes the pipe early or `--json` fails.

use std::fs;
use std::io::Read;
use std::process::Stdio;

use serde_json::Value;

use crate::common::{Sandbox, assert_exit, assert_ok, assert_says};

#[test]
fn nothing_is_read_without_a_trusted_key() {
    let sb = Sandbox::new();
    sb.pack("hello", "hello.ferry");
    sb.unpack("hello.ferry", "site");
    for args in [
        vec!["verify", "hello.ferry"],
        vec!["unpack", "hello.ferry", "-C", "dest"],
        vec!["audit", "hello.ferry"],
        vec!["diff", "hello.ferry", "hello.ferry"],
        vec!["images", "list", "site"],
        vec!["build", "site"],
    ] {
        let out = sb.run(&args);
        assert_exit(&out, 2);
        assert_says(&out, &["no trusted key", "--pub", "FERRY_TRUSTED_KEYS"]);
    }
    assert!(!sb.path("dest").exists());
}

#[test]
fn key_rotation_trusts_a_folder_of_keys_and_names_a_stranger() {
    let sb = Sandbox::new();
    sb.keygen("old");
    sb.keygen("new");
    sb.keygen("stranger");
    fs::create_dir(sb.path("trusted.d")).unwrap();
    for k in ["old", "new"] {
        fs::copy(
            sb.path(&format!("{k}.pub")),
            sb.path(&format!("trusted.d/{k}.pub")),
        )
        .unwrap();
    }
    for k in ["old", "new", "stranger"] {
        let key = format!("{k}.key");
        let bundle = format!("{k}.ferry");
        let dir = crate::common::app("hello");
        let out = sb.run(&[
            "pack",
            dir.to_str().unwrap(),
            "-o",
            &bundle,
            "--key",
            &key,
            "-q",
        ]);
        assert_ok(&out);
    }
    for k in ["old", "new"] {
        let bundle = format!("{k}.ferry");
        assert_ok(&sb.run(&["verify", &bundle, "--pub", "trusted.d"]));
        let both = ["verify", &bundle, "--pub", "old.pub", "--pub", "new.pub"];
        assert_ok(&sb.run(&both));
        let by_env = sb
            .ferry()
            .args(["verify", &bundle])
            .env("FERRY_TRUSTED_KEYS", sb.path("trusted.d"))
            .output()
            .unwrap();
        assert_ok(&by_env);
    }
    let out = sb.run(&["verify", "stranger.ferry", "--pub", "trusted.d"]);
    assert_exit(&out, 1);
    assert_says(&out, &["not trusted here"]);
    let out = sb.run(&[
        "unpack",
        "stranger.ferry",
        "--pub",
        "trusted.d",
        "-C",
        "dest",
    ]);
    assert_exit(&out, 1);
    assert!(!sb.path("dest").exists());
}

/// Spawns ferry with its stdout a pipe whose reader is already gone.
fn with_closed_stdout(sb: &Sandbox, args: &[&str]) -> (Option<i32>, String) {
    let mut child = sb
        .ferry()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (child.wait().unwrap().code(), err)
}

#[test]
fn a_reader_that_closes_the_pipe_early_ends_ferry_quietly_with_its_verdict() {
    let sb = Sandbox::new();
    sb.pack("hello", "a.ferry");
    sb.pack("clockwork", "b.ferry");
    sb.unpack("a.ferry", "site");
    let cases: [(&[&str], i32); 8] = [
        (&["verify", "a.ferry", "--pub", "rel.pub"], 0),
        (&["verify", "a.ferry", "--pub", "rel.pub", "--json"], 0),
        (&["audit", "a.ferry", "--pub", "rel.pub"], 0),
        (
            &[
                "audit",
                "a.ferry",
                "--pub",
                "rel.pub",
                "--format",
                "cyclonedx",
            ],
            0,
        ),
        (
            &["diff", "a.ferry", "b.ferry", "--pub", "rel.pub", "--files"],
            0,
        ),
        (&["images", "list", "site", "--pub", "rel.pub"], 0),
        (&["generate", "bash"], 0),
        (&["generate", "man"], 0),
    ];
    for (args, want) in cases {
        let (code, err) = with_closed_stdout(&sb, args);
        assert_eq!(code, Some(want), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    fs::write(sb.path("bad.ferry"), b"not a zip").unwrap();
    let (code, err) =
        with_closed_stdout(&sb, &["verify", "bad.ferry", "--pub", "rel.pub", "--json"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_failed_json_command_prints_one_object_naming_the_check_that_failed() {
    let sb = Sandbox::new();
    sb.keygen("rel");
    let out = sb.run(&["verify", "missing.ferry", "--pub", "rel.pub", "--json"]);
    assert_exit(&out, 3);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(
        v["failed"], "read",
        "a missing file is not a signature failure: {v:#}"
    );
    assert_eq!(v["exit"], 3);

    let out = sb.run(&[
        "pack", "nowhere", "-o", "x.ferry", "--key", "rel.key", "--json",
    ]);
    assert_exit(&out, 2);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["failed"], "usage", "{v:#}");
    assert!(v["error"].as_str().unwrap().contains("no go.mod"), "{v:#}");

    let out = sb.run(&["diff", "a", "b", "--pub", "rel.pub", "--format", "json"]);
    assert_exit(&out, 2);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false, "{v:#}");
}
