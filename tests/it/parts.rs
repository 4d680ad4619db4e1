//! Split parts: `ferry split` and `pack --split`, the signed index the stock
//! minisign accepts, every reader taking `BUNDLE.parts`, and each way parts
//! go wrong in transit refused (exit 1, the part named) before any entry is
//! read, with nothing left behind.

use std::fs;
use std::path::Path;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

use crate::common::{Sandbox, assert_exit, assert_ok, assert_says, text};

/// hello packed once into `h.ferry` with `rel.key`, shared by every test.
fn release() -> &'static Sandbox {
    static RELEASE: OnceLock<Sandbox> = OnceLock::new();
    RELEASE.get_or_init(|| {
        let sb = Sandbox::shared("parts");
        sb.pack("hello", "h.ferry");
        sb
    })
}

/// A sandbox with the shared bundle and its keys, cut into parts of 2 kB.
fn cut() -> Sandbox {
    let sb = Sandbox::new();
    for f in ["h.ferry", "rel.key", "rel.pub"] {
        fs::copy(release().path(f), sb.path(f)).unwrap();
    }
    let out = sb.run(&["split", "h.ferry", "--size", "2K", "--key", "rel.key"]);
    assert_ok(&out);
    assert_says(
        &out,
        &["2000 bytes (2 kB, decimal", "h.ferry.001", "h.ferry.parts"],
    );
    assert!(sb.path("h.ferry.003").exists(), "{}", text(&out));
    sb
}

/// Every file under `root`: relative path, bytes and mode.
fn tree(root: &Path) -> Vec<(String, Vec<u8>, u32)> {
    crate::common::files_of(root, &[])
}

#[test]
fn parts_read_as_the_bundle_they_cut() {
    let sb = cut();
    let index = sb.minisign(&["-Vm", "h.ferry.parts", "-p", "rel.pub"]);
    assert_ok(&index);
    assert_says(&index, &["ferry-parts/v1 bundle=h.ferry", "parts="]);
    let verify = sb.run(&["verify", "h.ferry.parts", "--pub", "rel.pub"]);
    assert_ok(&verify);
    assert_says(
        &verify,
        &["OK h.ferry.parts", "parts: ", "each part's size and sha256"],
    );
    sb.unpack("h.ferry.parts", "from-parts");
    sb.unpack("h.ferry", "from-file");
    assert_eq!(tree(&sb.path("from-parts")), tree(&sb.path("from-file")));
    let idx: serde_json::Value =
        serde_json::from_slice(&fs::read(sb.path("h.ferry.parts")).unwrap()).unwrap();
    let parts = idx["parts"].as_array().unwrap();
    let whole: Vec<u8> = parts
        .iter()
        .flat_map(|p| fs::read(sb.path(p["name"].as_str().unwrap())).unwrap())
        .collect();
    assert!(
        whole == fs::read(sb.path("h.ferry")).unwrap(),
        "cat of the parts is the bundle"
    );
    assert_eq!(idx["sha256"], hex::encode(Sha256::digest(&whole)));
}

/// Parts as they could arrive: each is refused by verify and unpack with
/// exit 1, naming the part and what the index expected; unpack leaves
/// nothing behind.
#[test]
fn every_fault_in_transit_names_the_part() {
    type Fault = fn(&Sandbox);
    let faults: [(&str, Fault, &[&str]); 9] = [
        (
            "symlinked",
            |sb| {
                fs::rename(sb.path("h.ferry.002"), sb.path("elsewhere")).unwrap();
                std::os::unix::fs::symlink(sb.path("elsewhere"), sb.path("h.ferry.002")).unwrap();
            },
            &["h.ferry.002: not a regular file", "[part-missing]"],
        ),
        (
            "signature-missing",
            |sb| fs::remove_file(sb.path("h.ferry.parts.minisig")).unwrap(),
            &["h.ferry.parts: its signature h.ferry.parts.minisig is missing"],
        ),
        (
            "missing",
            |sb| fs::remove_file(sb.path("h.ferry.002")).unwrap(),
            &[
                "h.ferry.002: missing; the index lists part 2 of ",
                "[part-missing]",
            ],
        ),
        (
            "extra",
            |sb| {
                fs::copy(sb.path("h.ferry.003"), sb.path("h.ferry.099")).unwrap();
            },
            &[
                "h.ferry.099: not in the signed index, which lists ",
                "[part-extra]",
            ],
        ),
        (
            "renamed",
            |sb| fs::rename(sb.path("h.ferry.002"), sb.path("h.ferry.2")).unwrap(),
            &["h.ferry.002: missing", "h.ferry.2: not in the signed index"],
        ),
        (
            "swapped",
            |sb| {
                fs::rename(sb.path("h.ferry.001"), sb.path("x")).unwrap();
                fs::rename(sb.path("h.ferry.002"), sb.path("h.ferry.001")).unwrap();
                fs::rename(sb.path("x"), sb.path("h.ferry.002")).unwrap();
            },
            &[
                "h.ferry.001: sha256",
                "(the bytes of h.ferry.002: parts swapped or renamed)",
                "[part-sha256]",
            ],
        ),
        (
            "truncated",
            |sb| {
                let bytes = fs::read(sb.path("h.ferry.003")).unwrap();
                fs::write(sb.path("h.ferry.003"), &bytes[..100]).unwrap();
            },
            &["h.ferry.003: 100 bytes; the index expects", "[part-size]"],
        ),
        (
            "flipped",
            |sb| {
                let mut bytes = fs::read(sb.path("h.ferry.002")).unwrap();
                bytes[100] ^= 1;
                fs::write(sb.path("h.ferry.002"), bytes).unwrap();
            },
            &["h.ferry.002: sha256", "the index expects", "[part-sha256]"],
        ),
        (
            "index-tampered",
            |sb| {
                let text = fs::read_to_string(sb.path("h.ferry.parts")).unwrap();
                fs::write(
                    sb.path("h.ferry.parts"),
                    text.replacen("\"size\": 2000", "\"size\": 2001", 1),
                )
                .unwrap();
            },
            &["h.ferry.parts: its signature", "does not match it"],
        ),
    ];
    for (name, fault, expect) in faults {
        let sb = cut();
        fault(&sb);
        refused(&sb, name, expect);
    }
}

/// verify and unpack of `h.ferry.parts` both exit 1 saying `expect`;
/// unpack writes nothing.
fn refused(sb: &Sandbox, case: &str, expect: &[&str]) {
    fs::remove_file(sb.path("h.ferry")).unwrap();
    let before = sb.listing();
    for args in [
        vec!["verify", "h.ferry.parts", "--pub", "rel.pub"],
        vec!["unpack", "h.ferry.parts", "--pub", "rel.pub", "-C", "dest"],
    ] {
        let out = sb.run(&args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{case}: {args:?}\n{}",
            text(&out)
        );
        for e in expect {
            assert!(
                text(&out).contains(e),
                "{case}: expected {e:?} in\n{}",
                text(&out)
            );
        }
    }
    assert_eq!(sb.listing(), before, "{case}: unpack left something behind");
}

#[test]
fn an_index_signed_by_an_untrusted_key_or_for_another_bundle_is_refused() {
    let sb = cut();
    sb.keygen("other");
    let bytes = fs::read(sb.path("h.ferry.parts")).unwrap();
    sign_index(&sb, "other.key", &bytes);
    refused(
        &sb,
        "untrusted",
        &["h.ferry.parts: signed by key", "which is not trusted here"],
    );

    // Signed by the release key, but naming another bundle's manifest. (The
    // whole's sha256 is checked by the cut, against the parts it wrote,
    // before it signs: `cut::tests`; readers check each part's and show the
    // whole's as signed: `a_whole_sha256_that_nothing_rehashed_…`.)
    let zeroed: [(&str, &[&str]); 1] = [(
        "manifest_sha256",
        &[
            "the parts hold a bundle whose ferry.json has sha256:",
            "the signed index names sha256:0000",
        ],
    )];
    for (field, expect) in zeroed {
        let sb = cut();
        let mut idx: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        idx[field] = "0".repeat(64).into();
        let mut edited = serde_json::to_vec_pretty(&idx).unwrap();
        edited.push(b'\n');
        sign_index(&sb, "rel.key", &edited);
        refused(&sb, field, expect);
    }

    // A signature that is no minisign signature names the index's.
    let sb = cut();
    fs::write(sb.path("h.ferry.parts.minisig"), "garbage\n").unwrap();
    refused(
        &sb,
        "garbled-signature",
        &[
            "h.ferry.parts: its signature h.ferry.parts.minisig does not match it: not a minisign signature",
        ],
    );

    // Signed by the release key, with fields that would reach other paths.
    type Edit = fn(&mut serde_json::Value);
    let hostile: [(Edit, &str); 3] = [
        (
            |i| i["bundle"] = "../h.ferry".into(),
            "bundle \"../h.ferry\": a plain file name",
        ),
        (
            |i| i["parts"][0]["name"] = "../h.ferry.001".into(),
            "part 1 is named \"../h.ferry.001\"",
        ),
        (
            |i| i["parts"][1]["size"] = 1.into(),
            "bytes, but parts are 2000 bytes",
        ),
    ];
    for (edit, expect) in hostile {
        let sb = cut();
        let mut idx: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        edit(&mut idx);
        let mut edited = serde_json::to_vec_pretty(&idx).unwrap();
        edited.push(b'\n');
        sign_index(&sb, "rel.key", &edited);
        refused(
            &sb,
            expect,
            &["h.ferry.parts: not a readable parts index", expect],
        );
    }
}

/// Writes `bytes` as the index, signed by `key` with the stock minisign and
/// ferry's trusted comment for it.
fn sign_index(sb: &Sandbox, key: &str, bytes: &[u8]) {
    fs::write(sb.path("h.ferry.parts"), bytes).unwrap();
    fs::remove_file(sb.path("h.ferry.parts.minisig")).unwrap();
    let comment = format!(
        "ferry-parts/v1 bundle=h.ferry index=sha256:{}",
        hex::encode(Sha256::digest(bytes))
    );
    let out = sb.minisign(&["-S", "-s", key, "-m", "h.ferry.parts", "-t", &comment]);
    assert_ok(&out);
}

#[test]
fn pack_split_writes_parts_in_place_of_the_bundle() {
    let sb = Sandbox::new();
    let out = sb.pack_with("hello", "h.ferry", &["--split", "3KiB"]);
    assert_ok(&out);
    assert_says(
        &out,
        &[
            "3072 bytes (3 KiB, binary",
            "h.ferry.001",
            "h.ferry.002",
            "index h.ferry.parts signed",
        ],
    );
    assert!(!sb.path("h.ferry").exists(), "the parts replace the bundle");
    assert!(!sb.path("h.ferry.003").exists());
    assert_ok(&sb.run(&["verify", "h.ferry.parts", "--pub", "rel.pub"]));
    sb.unpack("h.ferry.parts", "out");
    assert!(sb.path("out/ferry.json").exists());

    // Parts already there: refused before packing, nothing overwritten.
    let again = sb.pack_with("hello", "h.ferry", &["--split", "3KiB"]);
    assert_exit(&again, 2);
    assert_says(&again, &["already exists: refusing to overwrite"]);
}

#[test]
fn readers_take_the_index() {
    let sb = cut();
    sb.keygen("alice");
    let approve = sb.run(&[
        "approve",
        "h.ferry.parts",
        "--key",
        "alice.key",
        "--pub",
        "rel.pub",
    ]);
    assert_ok(&approve);
    assert_says(&approve, &["h.ferry.approvals/"]);
    let required = [
        "--pub",
        "rel.pub",
        "--require-approvals",
        "1",
        "--approver",
        "alice.pub",
    ];
    for bundle in ["h.ferry.parts", "h.ferry"] {
        let mut args = vec!["verify", bundle];
        args.extend(required);
        assert_ok(&sb.run(&args));
    }
    let audit = sb.run(&[
        "audit",
        "h.ferry.parts",
        "--pub",
        "rel.pub",
        "--format",
        "json",
    ]);
    assert_ok(&audit);
    let diff = sb.run(&["diff", "h.ferry", "h.ferry.parts", "--pub", "rel.pub"]);
    assert_ok(&diff);
    assert_ok(&sb.run(&["images", "list", "h.ferry.parts", "--pub", "rel.pub"]));
}

#[test]
fn split_refuses_what_it_cannot_vouch_for() {
    let sb = cut();
    let again = sb.run(&["split", "h.ferry", "--size", "2K", "--key", "rel.key"]);
    assert_exit(&again, 2);
    assert_says(&again, &["h.ferry.parts already exists"]);

    let sb = Sandbox::new();
    fs::copy(release().path("h.ferry"), sb.path("h.ferry")).unwrap();
    sb.keygen("other");
    let other = sb.run(&["split", "h.ferry", "--size", "2K", "--key", "other.key"]);
    assert_exit(&other, 1);
    assert_says(&other, &["which is not trusted here"]);
    assert_eq!(
        sb.listing(),
        ["h.ferry", "other.key", "other.pub"],
        "nothing written"
    );

    for bad in ["1.5G", "4Gi", "10X", "12"] {
        let out = sb.run(&["split", "h.ferry", "--size", bad, "--key", "other.key"]);
        assert_exit(&out, 2);
    }
}

/// `diff` of two bundles that are no delta refuses `--base` (it would
/// change nothing) with exit 2, and writes nothing.
#[test]
fn base_is_refused_where_no_side_is_a_delta() {
    let sb = cut();
    let before = sb.listing();
    let out = sb.run(&[
        "diff", "h.ferry", "h.ferry", "--pub", "rel.pub", "--base", "h.ferry",
    ]);
    assert_exit(&out, 2);
    assert_says(
        &out,
        &["neither h.ferry nor h.ferry is a delta bundle file"],
    );
    assert_eq!(sb.listing(), before);
}

/// A disk that fills while parts are written: exit 3, the disk's words,
/// and no part and no index left beside the bundle.
#[test]
fn a_full_disk_while_cutting_leaves_no_part() {
    let sb = Sandbox::new();
    let tree = sb.path("big");
    crate::common::copy_tree(&crate::common::app("hello"), &tree);
    fs::create_dir_all(tree.join("assets")).unwrap();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let blob: Vec<u8> = (0..(1_200_000 / 8))
        .flat_map(|_| {
            // xorshift: incompressible, so the bundle is as large as the blob.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()
        })
        .collect();
    fs::write(tree.join("assets/blob.bin"), blob).unwrap();
    sb.keygen("rel");
    assert_ok(&sb.run(&["pack", "big", "-o", "app.ferry", "--key", "rel.key", "-q"]));
    let out = crate::faults::on_a_small_disk(
        &sb,
        "cp app.ferry \"$FULL/\" && \"$FERRY\" split \"$FULL/app.ferry\" --size 100K --key rel.key -q; echo \"split=$?\"\n\
         echo \"left=[$(ls -A \"$FULL\")]\"",
    );
    assert_says(
        &out,
        &["split=3", "No space left on device", "left=[app.ferry]"],
    );
}

/// `kill -9` while unpack writes from parts: no DEST, only a temporary
/// that the next run removes; then the unpack succeeds.
#[test]
fn kill_9_in_the_middle_of_unpack_through_parts_leaves_no_dest() {
    use crate::faults::{big_module, kill_unpack_in_the_assets, named};
    let sb = Sandbox::new();
    let module = big_module(&sb);
    sb.keygen("rel");
    assert_ok(&sb.run(&[
        "pack",
        &module,
        "-o",
        "app.ferry",
        "--key",
        "rel.key",
        "--split",
        "4MiB",
        "-q",
    ]));
    fs::create_dir(sb.path("site")).unwrap();
    let site = sb.path("site");
    let args = [
        "unpack",
        "app.ferry.parts",
        "--pub",
        "rel.pub",
        "-C",
        "site/app",
    ];
    kill_unpack_in_the_assets(&sb, &args);
    assert_ok(&sb.run(&args));
    assert_eq!(named(&site, ""), vec!["app".to_string()]);
}

/// hello with `noise.bin`, `len` bytes that do not compress, packed with
/// `--split 1000` into `bundle` (parts of the smallest size).
fn pack_noisy(sb: &Sandbox, bundle: &str, len: usize) -> std::process::Output {
    let dir = "big";
    crate::common::copy_tree(&crate::common::app("hello"), &sb.path(dir));
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let noise: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    fs::write(sb.path(&format!("{dir}/noise.bin")), noise).unwrap();
    sb.keygen("rel");
    sb.run(&[
        "pack",
        dir,
        "-o",
        bundle,
        "--key",
        "rel.key",
        "--no-build-check",
        "-q",
        "--split",
        "1000",
    ])
}

/// A cut into more parts than an index may list is found only once the
/// bundle is written: pack then removes it, leaving nothing.
#[test]
fn pack_split_into_too_many_parts_leaves_nothing() {
    let sb = Sandbox::new();
    let out = pack_noisy(&sb, "t.ferry", 1_100_000);
    assert_exit(&out, 2);
    assert_says(
        &out,
        &["t.ferry: ", "parts; at most 999 (choose a larger --size)"],
    );
    let left: Vec<String> = sb
        .listing()
        .into_iter()
        .filter(|n| n.starts_with("t.ferry"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// A bundle of 90-odd parts read under a limit of 40 open files: each
/// reader holds one part open at a time, so nothing fails for want of one.
#[test]
fn many_parts_read_with_few_open_files() {
    let sb = Sandbox::new();
    let out = pack_noisy(&sb, "b.ferry", 90_000);
    assert_ok(&out);
    assert!(sb.path("b.ferry.090").exists(), "{}", text(&out));
    let ferry = env!("CARGO_BIN_EXE_ferry");
    for args in [
        "verify b.ferry.parts --pub rel.pub",
        "unpack b.ferry.parts --pub rel.pub -C dest -q",
    ] {
        let mut sh = std::process::Command::new("sh");
        sb.go_env(&mut sh);
        let out = sh
            .arg("-c")
            .arg(format!("ulimit -n 40 && exec {ferry} {args}"))
            .current_dir(sb.path(""))
            .output()
            .unwrap();
        assert_ok(&out);
    }
    assert!(sb.path("dest/src/noise.bin").exists());
}

/// An index re-signed by the release key with its whole sha256 zeroed: each
/// part's size and sha256 fix every byte, so it is read (exit 0), but
/// verify shows that sha256 as the signer's claim, never as checked, with
/// the stock command that checks it.
#[test]
fn a_whole_sha256_that_nothing_rehashed_is_shown_as_signed_not_as_checked() {
    let sb = cut();
    let bytes = fs::read(sb.path("h.ferry.parts")).unwrap();
    let mut idx: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let parts = idx["parts"].as_array().unwrap().len();
    let size = idx["size"].as_u64().unwrap();
    idx["sha256"] = "0".repeat(64).into();
    let mut edited = serde_json::to_vec_pretty(&idx).unwrap();
    edited.push(b'\n');
    sign_index(&sb, "rel.key", &edited);
    let verify = sb.run(&["verify", "h.ferry.parts", "--pub", "rel.pub"]);
    assert_ok(&verify);
    let line = text(&verify)
        .lines()
        .find(|l| l.starts_with("parts: "))
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no parts line in\n{}", text(&verify)));
    let head = format!(
        "parts: {parts} parts, {size} bytes, each part's size and sha256 against h.ferry.parts signed by key "
    );
    let tail = format!(
        "; whole sha256:{} as signed (not re-hashed here: each part's size and sha256 was checked, which fixes every byte; compare with cat h.ferry.0?? | sha256sum)",
        "0".repeat(64)
    );
    assert!(
        line.starts_with(&head) && line.ends_with(&tail),
        "parts line:\n{line}"
    );
    assert!(!text(&verify).contains("checked by the cut"));
    let unpack = sb.run(&[
        "unpack",
        "h.ferry.parts",
        "--pub",
        "rel.pub",
        "-C",
        "d",
        "-q",
    ]);
    assert_ok(&unpack);
}

/// A byte no entry check reads (the "version needed" of the last entry's
/// local header): alone, a bundle with it flipped verifies; in parts, only
/// the part's sha256 catches it. verify exits 1 naming the part, and unpack
/// creates nothing, not even in its temporary folder: the part verdict
/// comes before the first write (the trace of a clean unpack shows the
/// writes the trace would catch).
#[test]
fn a_flip_only_the_part_hash_sees_stops_unpack_before_its_first_write() {
    let sb = cut();
    let whole = fs::read(sb.path("h.ferry")).unwrap();
    let at = crate::common::rawzip::local_header(&whole, "sbom.cdx.json") + 4;
    let mut flipped = whole.clone();
    flipped[at] ^= 1;
    fs::write(sb.path("flipped.ferry"), &flipped).unwrap();
    assert_ok(&sb.run(&["verify", "flipped.ferry", "--pub", "rel.pub"]));

    let clean = traced_unpack(&sb, "clean");
    assert_ok(&clean.0);
    assert!(
        clean.1.iter().any(|l| l.contains("O_CREAT")),
        "the trace shows no write of a clean unpack:\n{}",
        clean.1.join("\n")
    );

    let (part, offset) = ((at / 2000) + 1, at % 2000);
    let name = format!("h.ferry.{part:03}");
    let mut bytes = fs::read(sb.path(&name)).unwrap();
    bytes[offset] ^= 1;
    fs::write(sb.path(&name), bytes).unwrap();
    let verify = sb.run(&["verify", "h.ferry.parts", "--pub", "rel.pub"]);
    assert_exit(&verify, 1);
    assert_says(&verify, &[&format!("{name}: sha256 "), "[part-sha256]"]);
    let (unpack, trace) = traced_unpack(&sb, "flipped");
    assert_exit(&unpack, 1);
    assert_says(&unpack, &[&format!("{name}: sha256 "), "[part-sha256]"]);
    let writes: Vec<_> = trace
        .iter()
        .filter(|l| l.contains("O_CREAT") || l.contains("mkdir") || l.contains("rename"))
        .filter(|l| !(l.contains("mkdir(") && l.contains("/.ferry-unpack-")))
        .collect();
    assert!(writes.is_empty(), "written before the verdict: {writes:#?}");
    assert!(!sb.path("flipped").exists());
}

/// `unpack h.ferry.parts -C <dest>` under strace: its output, and every
/// open, creation, folder and rename it made.
fn traced_unpack(sb: &Sandbox, dest: &str) -> (std::process::Output, Vec<String>) {
    let trace = sb.path(&format!("{dest}.strace"));
    let out = std::process::Command::new("strace")
        .args(["-f", "-qq", "-o"])
        .arg(&trace)
        .args([
            "-e",
            "trace=open,openat,openat2,creat,mkdir,mkdirat,rename,renameat,renameat2",
        ])
        .arg(env!("CARGO_BIN_EXE_ferry"))
        .args([
            "unpack",
            "h.ferry.parts",
            "--pub",
            "rel.pub",
            "-q",
            "-C",
            dest,
        ])
        .current_dir(sb.path(""))
        .output()
        .expect("strace runs (it is on the testbed)");
    let lines = fs::read_to_string(&trace)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    fs::remove_file(&trace).unwrap();
    (out, lines)
}
