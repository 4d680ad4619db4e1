//! Faults on either side of the gap: `kill -9` in the middle of pack and of
//! unpack, a full disk, an unreadable source file, no Go or an old one. None
//! may leave a bundle or a DEST behind: only temporaries named
//! `.ferry-<kind>-<pid>-…`, which the next run removes.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{Sandbox, app, assert_exit, assert_ok, assert_says, copy_tree, text};

/// hello plus 24 MB of incompressible assets: pack and unpack take long
/// enough to be killed in the middle.
pub(crate) fn big_module(sb: &Sandbox) -> String {
    let tree = sb.path("big");
    copy_tree(&app("hello"), &tree);
    fs::create_dir_all(tree.join("assets")).unwrap();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    for n in 0..6 {
        let mut f = fs::File::create(tree.join(format!("assets/blob{n}.bin"))).unwrap();
        let mut buf = vec![0u8; 4 << 20];
        for chunk in buf.chunks_mut(8) {
            // xorshift: fixed, fast, and deflate finds nothing to squeeze.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.copy_from_slice(&state.to_le_bytes()[..chunk.len()]);
        }
        f.write_all(&buf).unwrap();
    }
    "big".into()
}

pub(crate) fn ferry_child(sb: &Sandbox, args: &[&str]) -> Child {
    sb.ferry()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Names in `dir` that start with `prefix`.
pub(crate) fn named(dir: &Path, prefix: &str) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix))
        .collect();
    v.sort();
    v
}

/// Waits until `ready` holds (the process is in the phase to interrupt),
/// then kills it with SIGKILL. Fails if the phase never comes.
pub(crate) fn kill_when(child: &mut Child, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !ready() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before the phase to interrupt"
        );
        assert!(
            Instant::now() < deadline,
            "the phase to interrupt never came"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Runs `unpack` with `args` (its `-C` is `site/app`), kills it while
/// `src/assets` is being written into its temporary folder, and checks the
/// kill left no DEST and nothing in `site` but that temporary.
pub(crate) fn kill_unpack_in_the_assets(sb: &Sandbox, args: &[&str]) {
    let site = sb.path("site");
    let mut child = ferry_child(sb, args);
    kill_when(&mut child, || {
        named(&site, ".ferry-unpack-")
            .iter()
            .any(|n| site.join(n).join("src/assets").is_dir())
    });
    assert!(!site.join("app").exists(), "a killed unpack left DEST");
    let left = named(&site, "");
    assert!(
        left.len() == 1 && left[0].starts_with(".ferry-unpack-"),
        "{left:?}"
    );
}

/// A temporary file of pack's in `dir` that has data in it.
fn writing_pack_temp(dir: &Path) -> bool {
    named(dir, ".ferry-pack-")
        .iter()
        .any(|n| fs::metadata(dir.join(n)).is_ok_and(|m| m.len() > 1 << 20))
}

#[test]
fn kill_9_in_the_middle_of_pack_leaves_no_bundle() {
    let sb = Sandbox::new();
    let module = big_module(&sb);
    sb.keygen("rel");
    fs::create_dir(sb.path("out")).unwrap();
    let out = sb.path("out");
    let args = [
        "pack",
        &module,
        "-o",
        "out/app.ferry",
        "--key",
        "rel.key",
        "-q",
    ];
    let mut child = ferry_child(&sb, &args);
    kill_when(&mut child, || writing_pack_temp(&out));
    assert!(
        !out.join("app.ferry").exists(),
        "a killed pack left a bundle"
    );
    let left = named(&out, "");
    assert!(
        !left.is_empty() && left.iter().all(|n| n.starts_with(".ferry-pack-")),
        "{left:?}"
    );

    // The next run removes what the killed one left, and succeeds.
    assert_ok(&sb.run(&args));
    assert_eq!(named(&out, ""), vec!["app.ferry".to_string()]);
}

#[test]
fn kill_9_in_the_middle_of_unpack_leaves_no_dest() {
    let sb = Sandbox::new();
    let module = big_module(&sb);
    sb.keygen("rel");
    assert_ok(&sb.run(&["pack", &module, "-o", "app.ferry", "--key", "rel.key", "-q"]));
    fs::create_dir(sb.path("site")).unwrap();
    let site = sb.path("site");
    kill_unpack_in_the_assets(
        &sb,
        &["unpack", "app.ferry", "--pub", "rel.pub", "-C", "site/app"],
    );

    assert_ok(&sb.run(&[
        "unpack",
        "app.ferry",
        "--pub",
        "rel.pub",
        "-C",
        "site/app",
        "-q",
    ]));
    assert_eq!(named(&site, ""), vec!["app".to_string()]);
}

/// Runs `script` in a private mount namespace with a 2 MiB tmpfs at $FULL.
pub(crate) fn on_a_small_disk(sb: &Sandbox, script: &str) -> std::process::Output {
    on_a_disk_of(sb, "2m", script)
}

/// Runs `script` in a private mount namespace with a tmpfs of `size` at $FULL.
pub(crate) fn on_a_disk_of(sb: &Sandbox, size: &str, script: &str) -> std::process::Output {
    let full = sb.path("full");
    fs::create_dir(&full).unwrap();
    let mut cmd = Command::new("unshare");
    cmd.args(["-m", "sh", "-c"])
        .arg(format!(
            "mount -t tmpfs -o size={size} tmpfs \"$FULL\" || exit 99\n{script}"
        ))
        .env("FULL", &full)
        .env("FERRY", env!("CARGO_BIN_EXE_ferry"))
        .current_dir(sb.dir.path());
    sb.go_env(&mut cmd);
    let out = cmd.output().unwrap();
    assert_ne!(
        out.status.code(),
        Some(99),
        "cannot mount a tmpfs here: {}",
        text(&out)
    );
    out
}

#[test]
fn a_full_disk_gives_a_clear_error_and_leaves_nothing() {
    let sb = Sandbox::new();
    let module = big_module(&sb);
    sb.keygen("rel");
    assert_ok(&sb.run(&["pack", &module, "-o", "app.ferry", "--key", "rel.key", "-q"]));
    let out = on_a_small_disk(
        &sb,
        &format!(
            "\"$FERRY\" pack {module} -o \"$FULL/x.ferry\" --key rel.key -q; echo \"pack=$?\"\n\
             \"$FERRY\" unpack app.ferry --pub rel.pub -C \"$FULL/site\" -q; echo \"unpack=$?\"\n\
             echo \"left=[$(ls -A \"$FULL\")]\""
        ),
    );
    let said = text(&out);
    assert!(
        said.contains("pack=3") && said.contains("unpack=3"),
        "{said}"
    );
    assert!(said.contains("No space left on device"), "{said}");
    assert!(said.contains("left=[]"), "{said}");
}

#[test]
fn an_unreadable_source_file_is_named() {
    let sb = Sandbox::new();
    let tree = sb.path("hello");
    copy_tree(&app("hello"), &tree);
    let secret = tree.join("secret.txt");
    fs::write(&secret, "x").unwrap();
    // Owned by a user the namespace does not map, mode 000: even its root
    // cannot read it.
    assert!(
        Command::new("chown")
            .args(["12345:12345"])
            .arg(&secret)
            .status()
            .unwrap()
            .success()
    );
    assert!(
        Command::new("chmod")
            .arg("000")
            .arg(&secret)
            .status()
            .unwrap()
            .success()
    );
    sb.keygen("rel");
    let mut cmd = Command::new("unshare");
    cmd.args([
        "-r",
        env!("CARGO_BIN_EXE_ferry"),
        "pack",
        "hello",
        "-o",
        "h.ferry",
        "--key",
        "rel.key",
    ])
    .current_dir(sb.dir.path());
    sb.go_env(&mut cmd);
    let out = cmd.output().unwrap();
    assert_exit(&out, 3);
    assert_says(&out, &["secret.txt", "Permission denied"]);
    assert!(!sb.path("h.ferry").exists());
}

#[test]
fn no_go_or_an_old_go_says_what_to_install() {
    let sb = Sandbox::new();
    sb.keygen("rel");
    let hello = app("hello");
    let pack = |go: &Path| {
        sb.ferry()
            .env("FERRY_GO", go)
            .args([
                "pack",
                hello.to_str().unwrap(),
                "-o",
                "h.ferry",
                "--key",
                "rel.key",
            ])
            .output()
            .unwrap()
    };
    let out = pack(&sb.path("no-such-go"));
    assert_exit(&out, 3);
    assert_says(&out, &["install Go 1.21 or later"]);

    let old = sb.path("old-go");
    fs::write(&old, "#!/bin/sh\necho go1.18.10\n").unwrap();
    fs::set_permissions(&old, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = pack(&old);
    assert_exit(&out, 3);
    assert_says(&out, &["go1.18.10, older than go1.21"]);
    assert!(!sb.path("h.ferry").exists());
}

#[test]
fn unpack_resolves_links_in_the_path_once_and_keeps_the_bundle_out_of_dest() {
    let sb = Sandbox::new();
    sb.pack("hello", "h.ferry");
    fs::create_dir(sb.path("real")).unwrap();
    std::os::unix::fs::symlink(sb.path("real"), sb.path("link")).unwrap();
    assert_ok(&sb.run(&[
        "unpack", "h.ferry", "--pub", "rel.pub", "-C", "link/app", "-q",
    ]));
    assert!(sb.path("real/app/src/go.mod").is_file());

    fs::create_dir(sb.path("holder")).unwrap();
    fs::copy(sb.path("h.ferry"), sb.path("holder/h.ferry")).unwrap();
    let out = sb.run(&[
        "unpack",
        "holder/h.ferry",
        "--pub",
        "rel.pub",
        "-C",
        "holder",
    ]);
    assert_exit(&out, 2);
    assert_says(&out, &["DEST holds the bundle"]);
}
