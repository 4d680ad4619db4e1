//! Manifests edited and signed again with the release key by the stock
//! minisign: what an insider or a stolen key could make. The signature is
//! good; everything else is up to the reader's checks.

use std::fs;

use sha2::{Digest, Sha256};

use super::{Sandbox, assert_exit, assert_ok, text};

/// A bundle's entries: name, content and mode, in order.
pub type Entries = Vec<(String, Vec<u8>, u32)>;

/// Signs `manifest` with the sandbox's key using the stock minisign, with
/// ferry's trusted comment, and returns the signature file's bytes.
pub fn minisign_sign(sb: &Sandbox, manifest: &[u8]) -> Vec<u8> {
    fs::write(sb.path("forged.json"), manifest).unwrap();
    let digest = hex::encode(Sha256::digest(manifest));
    let comment =
        format!("ferry/v1 module=example.com/hello version=unversioned manifest=sha256:{digest}");
    let out = sb.minisign(&[
        "-S",
        "-s",
        "rel.key",
        "-m",
        "forged.json",
        "-x",
        "forged.sig",
        "-t",
        &comment,
    ]);
    assert_ok(&out);
    fs::read(sb.path("forged.sig")).unwrap()
}

/// The bundle with its manifest edited by `edit` and signed again by the
/// right key: what an insider, or a stolen key, could make.
pub fn resigned(sb: &Sandbox, entries: &Entries, edit: impl Fn(&mut serde_json::Value)) -> Entries {
    let mut m: serde_json::Value = serde_json::from_slice(&entries[0].1).unwrap();
    edit(&mut m);
    let mut bytes = serde_json::to_vec_pretty(&m).unwrap();
    bytes.push(b'\n');
    let mut out = entries.to_vec();
    out[1].1 = minisign_sign(sb, &bytes);
    out[0].1 = bytes;
    out
}

/// Verify and unpack `bytes`: both exit 1 and name `expect`; nothing is left.
pub fn rejected(sb: &Sandbox, case: &str, bytes: &[u8], expect: &[&str]) {
    let name = format!("{case}.ferry");
    fs::write(sb.path(&name), bytes).unwrap();
    let before = sb.listing();
    for args in [
        vec!["verify", name.as_str(), "--pub", "rel.pub"],
        vec!["unpack", name.as_str(), "--pub", "rel.pub", "-C", "dest"],
    ] {
        let out = sb.run(&args);
        assert_exit(&out, 1);
        for e in expect {
            assert!(
                text(&out).contains(e),
                "{case}: {} did not say {e:?}:\n{}",
                args[0],
                text(&out)
            );
        }
    }
    assert_eq!(sb.listing(), before, "{case}: something was left behind");
}

/// The bundle with its files edited by `files` (name → content and mode; a
/// removed name is gone from the bundle) and its manifest by `edit`, the
/// manifest's entry list made to match every file, signed again by the
/// right key: a hostile bundle that verifies entry by entry.
pub fn forged(
    sb: &Sandbox,
    entries: &Entries,
    files: impl Fn(&mut std::collections::BTreeMap<String, (Vec<u8>, u32)>),
    edit: impl Fn(&mut serde_json::Value),
) -> Entries {
    let mut map: std::collections::BTreeMap<String, (Vec<u8>, u32)> = entries[2..]
        .iter()
        .map(|(n, d, m)| (n.clone(), (d.clone(), *m)))
        .collect();
    files(&mut map);
    let listed: Vec<serde_json::Value> = map
        .iter()
        .map(|(path, (data, mode))| {
            serde_json::json!({
                "path": path,
                "sha256": hex::encode(Sha256::digest(data)),
                "size": data.len(),
                "mode": format!("{:04o}", mode & 0o7777),
            })
        })
        .collect();
    let mut out = resigned(sb, &entries[..2].to_vec(), |m| {
        m["entries"] = serde_json::Value::Array(listed.clone());
        edit(m);
    });
    out.extend(map.into_iter().map(|(n, (d, m))| (n, d, m)));
    out
}
