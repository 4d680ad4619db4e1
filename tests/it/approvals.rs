//! Reviewer approvals (`ferry approve`, `--require-approvals`): a quorum of
//! distinct approver keys over the exact signed manifest, never the bundle's
//! signer; every approval that does not count is named with why.

use std::fs;
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use crate::common::{Sandbox, assert_exit, assert_ok, assert_says, text};

/// A packed hello bundle `h.ferry` (signed by rel.key) and reviewer keys.
fn release(reviewers: &[&str]) -> Sandbox {
    let sb = Sandbox::new();
    sb.pack("hello", "h.ferry");
    for r in reviewers {
        sb.keygen(r);
    }
    sb
}

/// `ferry approve h.ferry --key NAME.key`; returns the approval file.
fn approve(sb: &Sandbox, bundle: &str, name: &str, comment: &str) -> PathBuf {
    let key = format!("{name}.key");
    let out = sb.run(&[
        "approve",
        bundle,
        "--key",
        &key,
        "--pub",
        "rel.pub",
        "--comment",
        comment,
    ]);
    assert_ok(&out);
    let said = text(&out);
    let path = said.split(": ").last().unwrap().trim().to_string();
    PathBuf::from(path.split(" (").next().unwrap())
}

/// The key id of a `.pub` file, as minisign prints it.
fn key_id(sb: &Sandbox, public: &str) -> String {
    use base64::Engine;
    let text = fs::read_to_string(sb.path(public)).unwrap();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(text.lines().nth(1).unwrap())
        .unwrap();
    let mut id = raw[2..10].to_vec();
    id.reverse();
    hex::encode_upper(id)
}

fn verify(sb: &Sandbox, required: &str, approvers: &[&str]) -> std::process::Output {
    requiring(sb, &["verify", "h.ferry"], required, approvers)
}

/// `ferry ARGS… --pub rel.pub --require-approvals N --approver A…`.
fn requiring(
    sb: &Sandbox,
    args: &[&str],
    required: &str,
    approvers: &[&str],
) -> std::process::Output {
    let mut all = args.to_vec();
    all.extend(["--pub", "rel.pub", "--require-approvals", required]);
    for a in approvers {
        all.extend(["--approver", a]);
    }
    sb.run(&all)
}

#[test]
fn one_approval_carries_the_release_through_unpack_and_build() {
    let sb = release(&["reviewer"]);
    // None required: as before, and no approvals line.
    let out = sb.run(&["verify", "h.ferry", "--pub", "rel.pub"]);
    assert_ok(&out);
    assert!(!text(&out).contains("approvals:"), "{}", text(&out));

    let before = fs::read(sb.path("h.ferry")).unwrap();
    let file = approve(&sb, "h.ferry", "reviewer", "reviewed diff");
    let id = key_id(&sb, "reviewer.pub");
    assert_eq!(
        file,
        PathBuf::from(format!("h.ferry.approvals/{id}.minisig"))
    );
    assert_eq!(
        fs::read(sb.path("h.ferry")).unwrap(),
        before,
        "the bundle is unchanged"
    );

    let out = sb.run(&[
        "verify",
        "h.ferry",
        "--pub",
        "rel.pub",
        "--approver",
        "reviewer.pub",
    ]);
    assert_ok(&out);
    assert_says(
        &out,
        &[&format!(
            "approvals: 1 found, 1 valid: {id} (reviewer: \"reviewed diff\")"
        )],
    );

    let out = requiring(
        &sb,
        &["unpack", "h.ferry", "-C", "site"],
        "1",
        &["reviewer.pub"],
    );
    assert_ok(&out);
    assert_says(&out, &["approvals: 1 approval required, 1 valid"]);
    assert!(sb.path(&format!("site/approvals/{id}.minisig")).is_file());

    let out = requiring(
        &sb,
        &["build", "site", "-o", "hello-bin"],
        "1",
        &["reviewer.pub"],
    );
    assert_ok(&out);
    assert!(sb.path("hello-bin").is_file());

    // A second approval by the same key replaces its own file.
    approve(&sb, "h.ferry", "reviewer", "again");
    assert_eq!(
        fs::read_dir(sb.path("h.ferry.approvals")).unwrap().count(),
        1
    );
}

#[test]
fn too_few_approvals_name_who_approved_and_how_many_more() {
    let sb = release(&["alice", "bob"]);
    approve(&sb, "h.ferry", "alice", "reviewed diff");
    let alice = key_id(&sb, "alice.pub");
    let out = verify(&sb, "2", &["alice.pub", "bob.pub"]);
    assert_exit(&out, 1);
    assert_says(
        &out,
        &[
            &format!("2 approvals required, 1 valid: {alice} (alice: \"reviewed diff\")"),
            "1 more needed",
        ],
    );
    let out = requiring(
        &sb,
        &["unpack", "h.ferry", "-C", "site"],
        "2",
        &["alice.pub", "bob.pub"],
    );
    assert_exit(&out, 1);
    assert_says(&out, &["1 more needed", "nothing was written"]);
    assert!(!sb.path("site").exists());

    // The JSON report lists each approval and the failed check.
    let out = sb.run(&[
        "verify",
        "h.ferry",
        "--pub",
        "rel.pub",
        "--json",
        "--require-approvals",
        "2",
        "--approver",
        "alice.pub",
    ]);
    assert_exit(&out, 1);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["approvals"]["valid"], 1);
    assert_eq!(v["approvals"]["approvals"][0]["status"], "counted");
    assert_eq!(v["problems"][0]["code"], "approvals-missing");
}

#[test]
fn the_bundles_own_key_never_counts() {
    let sb = release(&[]);
    // ferry approve refuses it outright…
    let out = sb.run(&["approve", "h.ferry", "--key", "rel.key", "--pub", "rel.pub"]);
    assert_exit(&out, 2);
    assert_says(&out, &["signed the bundle"]);
    // …and one made by the stock minisign is not counted, even when the
    // release key is listed as an approver.
    let id = minisign_approval(&sb, "rel", "me");
    let out = verify(&sb, "1", &["rel.pub"]);
    assert_exit(&out, 1);
    assert_says(&out, &[&format!("{id} (signed the bundle)")]);
}

#[test]
fn copies_grafts_truncations_and_strangers_are_named_not_counted() {
    let sb = release(&["alice", "bob", "mallory"]);
    let alice = approve(&sb, "h.ferry", "alice", "ok");
    let bob = approve(&sb, "h.ferry", "bob", "ok");
    approve(&sb, "h.ferry", "mallory", "ok");
    let dir = sb.path("h.ferry.approvals");
    // The same key under another name counts once.
    fs::copy(sb.path(alice.to_str().unwrap()), dir.join("copy.minisig")).unwrap();
    let out = verify(&sb, "2", &["alice.pub"]);
    assert_exit(&out, 1);
    assert_says(
        &out,
        &[
            "1 valid",
            "in \"copy.minisig\" (the same key as ",
            "1 more needed",
        ],
    );

    // Truncated: malformed, named.
    let b = fs::read(sb.path(bob.to_str().unwrap())).unwrap();
    fs::write(dir.join("cut.minisig"), &b[..b.len() / 2]).unwrap();
    // Mallory is not an approver here.
    let out = verify(&sb, "3", &["alice.pub", "bob.pub"]);
    assert_exit(&out, 1);
    let mallory = key_id(&sb, "mallory.pub");
    assert_says(
        &out,
        &[
            "2 valid",
            "\"cut.minisig\" (malformed: ",
            &format!("{mallory} (not an approver key)"),
            "1 more needed",
        ],
    );

    // Bob's approval of another release, copied in: its signature fails.
    let other = sb.pack_with("hello", "h2.ferry", &["-q", "--no-build-check"]);
    assert_ok(&other);
    let grafted = approve(&sb, "h2.ferry", "bob", "other");
    fs::copy(
        sb.path(grafted.to_str().unwrap()),
        sb.path(bob.to_str().unwrap()),
    )
    .unwrap();
    let out = verify(&sb, "2", &["alice.pub", "bob.pub"]);
    assert_exit(&out, 1);
    let bob_id = key_id(&sb, "bob.pub");
    assert_says(&out, &[&format!("{bob_id} (bob) (another manifest: ")]);

    // audit --approvals lists every file with its status.
    let out = sb.run(&[
        "audit",
        "h.ferry",
        "--pub",
        "rel.pub",
        "--approvals",
        "--approver",
        "alice.pub",
        "--approver",
        "bob.pub",
    ]);
    assert_ok(&out);
    assert_says(
        &out,
        &[
            "KEY ID",
            "valid",
            "malformed",
            "another manifest",
            "ferry-approval module=example.com/hello",
        ],
    );
}

#[test]
fn an_approval_made_by_the_stock_minisign_counts() {
    let sb = release(&["reviewer"]);
    let id = minisign_approval(&sb, "reviewer", "by hand");
    let out = verify(&sb, "1", &["reviewer.pub"]);
    assert_ok(&out);
    assert_says(&out, &[&format!("1 valid: {id} (reviewer: \"by hand\")")]);
}

#[test]
fn requiring_approvals_needs_an_approver_key_and_comments_are_one_line() {
    let sb = release(&["reviewer"]);
    let out = verify(&sb, "1", &[]);
    assert_exit(&out, 2);
    assert_says(&out, &["--approver PUB", "FERRY_APPROVERS"]);
    let out = sb.run(&[
        "approve",
        "h.ferry",
        "--key",
        "reviewer.key",
        "--pub",
        "rel.pub",
        "--comment",
        "a\nb",
    ]);
    assert_exit(&out, 2);
    assert!(!sb.path("h.ferry.approvals").exists());
}

/// An approval of h.ferry made by the stock `minisign -S` with `NAME.key`
/// over the extracted ferry.json, as a reviewer without ferry would make
/// it; returns the key id.
fn minisign_approval(sb: &Sandbox, name: &str, comment: &str) -> String {
    let bytes = fs::read(sb.path("h.ferry")).unwrap();
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = fs::File::create(sb.path("ferry.json")).unwrap();
    std::io::copy(&mut z.by_name("ferry.json").unwrap(), &mut out).unwrap();
    let sha = hex::encode(Sha256::digest(fs::read(sb.path("ferry.json")).unwrap()));
    fs::create_dir_all(sb.path("h.ferry.approvals")).unwrap();
    let id = key_id(sb, &format!("{name}.pub"));
    let sig = format!("h.ferry.approvals/{id}.minisig");
    let key = format!("{name}.key");
    let comment =
        format!("ferry-approval module=example.com/hello manifest=sha256:{sha} comment={comment}");
    let args = [
        "-S",
        "-s",
        &key,
        "-m",
        "ferry.json",
        "-x",
        &sig,
        "-t",
        &comment,
    ];
    assert_ok(&sb.minisign(&args));
    id
}
