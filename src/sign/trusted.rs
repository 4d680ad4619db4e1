//! The keys a reader trusts: `.pub` files and folders of them, several at
//! once (key rotation: the old and the new key are trusted for a while). A
//! signature is checked against the trusted key with its key id, and a key
//! nobody trusts is named, not tried.

use std::fs;
use std::path::{Path, PathBuf};

use minisign::{PublicKey, SignatureBox};

use super::{SignError, load_public_key, verify_manifest};

/// One trusted public key and where it came from.
pub struct Trusted {
    pub path: PathBuf,
    /// The key id as minisign prints it.
    pub id: String,
    pub key: PublicKey,
}

/// Every key a command trusts; never empty.
pub struct TrustedKeys {
    keys: Vec<Trusted>,
}

/// minisign's key id: its 8 bytes little-endian, printed as upper-case hex.
pub(super) fn key_id(keynum: &[u8]) -> String {
    let mut id = keynum.to_vec();
    id.reverse();
    hex::encode_upper(id)
}

impl TrustedKeys {
    /// Loads each source, a `.pub` file or a folder whose `*.pub` files are
    /// all trusted. Trusting nothing is refused: it would make every
    /// signature check pass or fail for the wrong reason.
    pub fn load(sources: &[PathBuf]) -> Result<TrustedKeys, SignError> {
        let mut keys = Vec::new();
        for source in sources {
            for path in key_files(source)? {
                let key = load_public_key(&path)?;
                let id = key_id(key.keynum());
                add(&mut keys, Trusted { path, id, key })?;
            }
        }
        if keys.is_empty() {
            return Err(SignError::NoTrustedKey {
                looked_in: sources.to_vec(),
            });
        }
        Ok(TrustedKeys { keys })
    }

    /// Trusts one signer's own public half: what `split` and `pack --base`
    /// check a bundle against when they are given only the key that signs.
    pub fn of_signer(signer: &super::Signer, shown_as: &Path) -> Result<TrustedKeys, SignError> {
        let key = signer.public_key()?;
        let id = key_id(key.keynum());
        Ok(TrustedKeys {
            keys: vec![Trusted {
                path: shown_as.to_path_buf(),
                id,
                key,
            }],
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = &Trusted> {
        self.keys.iter()
    }

    /// Checks a `.minisig` of the manifest with the trusted key that made
    /// it; returns the trusted comment and that key.
    pub fn verify_manifest(
        &self,
        signature: &[u8],
        manifest: &[u8],
        manifest_sha256: &str,
    ) -> Result<(String, &Trusted), SignError> {
        let id = signer_id(signature)?;
        let trusted =
            self.keys
                .iter()
                .find(|k| k.id == id)
                .ok_or_else(|| SignError::UntrustedKey {
                    id: id.clone(),
                    trusted: self.keys.iter().map(|k| k.id.clone()).collect(),
                })?;
        let comment = verify_manifest(&trusted.key, signature, manifest, manifest_sha256)?;
        Ok((comment, trusted))
    }
}

/// The 32 bytes of an Ed25519 public key: what a key is. Its minisign id
/// is chosen by whoever makes the key and is not covered by signatures, so
/// one key can be shown under any id.
pub fn key_bytes(key: &PublicKey) -> [u8; 32] {
    let raw = key.to_bytes();
    let mut out = [0u8; 32];
    if let Some(pk) = raw.get(10..42) {
        out.copy_from_slice(pk);
    }
    out
}

/// Adds a key; the same key twice (same id, same bytes) is one key, but two
/// keys under one id, or one key under two ids, are refused: a signature
/// names its key by id, and a quorum must count keys, not ids.
fn add(keys: &mut Vec<Trusted>, new: Trusted) -> Result<(), SignError> {
    let bytes = key_bytes(&new.key);
    let clash = keys
        .iter()
        .find(|k| k.id == new.id || key_bytes(&k.key) == bytes);
    match clash {
        None => keys.push(new),
        Some(k) if k.id == new.id && key_bytes(&k.key) == bytes => {}
        Some(k) => {
            let reason = format!(
                "it and {} share a key id or a key ({} and {}): one key under two ids, or two keys under one id, is refused",
                k.path.display(),
                k.id,
                new.id
            );
            return Err(SignError::Key {
                path: new.path,
                what: "public key",
                reason,
            });
        }
    }
    Ok(())
}

/// The key id a signature names.
fn signer_id(signature: &[u8]) -> Result<String, SignError> {
    let text = std::str::from_utf8(signature)
        .map_err(|_| SignError::BadSignature("the signature is not UTF-8 text".into()))?;
    let sig = SignatureBox::from_string(text)
        .map_err(|e| SignError::BadSignature(format!("not a minisign signature ({e})")))?;
    Ok(key_id(sig.keynum()))
}

/// A `.pub` file as given, or a folder's `*.pub` files in name order.
fn key_files(source: &Path) -> Result<Vec<PathBuf>, SignError> {
    let io = |e| SignError::Io {
        path: source.to_path_buf(),
        source: e,
    };
    if !fs::metadata(source).map_err(io)?.is_dir() {
        return Ok(vec![source.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in fs::read_dir(source).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.extension().is_some_and(|e| e == "pub") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::{keygen, load_secret_key};
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD as B64;

    #[test]
    fn any_trusted_key_may_have_signed_and_others_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("trusted.d");
        fs::create_dir(&folder).unwrap();
        let (old_sk, _) = keygen(&folder.join("old"), None).unwrap();
        let (new_sk, _) = keygen(&folder.join("new"), None).unwrap();
        let (stranger_sk, _) = keygen(&dir.path().join("stranger"), None).unwrap();
        fs::rename(&old_sk, dir.path().join("old.key")).unwrap();
        fs::rename(&new_sk, dir.path().join("new.key")).unwrap();
        let keys = TrustedKeys::load(&[folder]).unwrap();
        assert_eq!(
            keys.iter().count(),
            2,
            "secret keys in the folder are not keys to trust"
        );
        let msg = b"{}";
        for sk in ["old.key", "new.key"] {
            let signer = load_secret_key(&dir.path().join(sk), &|_| None).unwrap();
            let sig = signer.sign(msg, "c").unwrap();
            let (_, by) = keys.verify_manifest(sig.as_bytes(), msg, "").unwrap();
            assert_eq!(by.id, signer.key_id());
        }
        let stranger = load_secret_key(&stranger_sk, &|_| None).unwrap();
        let sig = stranger.sign(msg, "c").unwrap();
        match keys.verify_manifest(sig.as_bytes(), msg, "") {
            Err(SignError::UntrustedKey { id, .. }) => assert_eq!(id, stranger.key_id()),
            other => panic!("expected an untrusted key, got {:?}", other.map(|(c, _)| c)),
        }
    }

    #[test]
    fn two_keys_with_one_id_are_refused_and_one_key_twice_is_one() {
        let dir = tempfile::tempdir().unwrap();
        let (_, a) = keygen(&dir.path().join("a"), None).unwrap();
        let (_, b) = keygen(&dir.path().join("b"), None).unwrap();
        let twice = TrustedKeys::load(&[a.clone(), a.clone()]).unwrap();
        assert_eq!(twice.iter().count(), 1);
        // b's key with a's id: minisign's public key line is "Ed" + id + key.
        let line = |p: &std::path::Path| {
            fs::read_to_string(p)
                .unwrap()
                .lines()
                .nth(1)
                .unwrap()
                .to_string()
        };
        let (mut raw_b, raw_a) = (B64.decode(line(&b)).unwrap(), B64.decode(line(&a)).unwrap());
        raw_b[2..10].copy_from_slice(&raw_a[2..10]);
        let forged = dir.path().join("forged.pub");
        fs::write(
            &forged,
            format!("untrusted comment: forged\n{}\n", B64.encode(raw_b)),
        )
        .unwrap();
        assert!(matches!(
            TrustedKeys::load(&[a.clone(), forged]),
            Err(SignError::Key { .. })
        ));
        // And one key under two ids: a's key with b's id.
        let (raw_a, raw_b) = (B64.decode(line(&a)).unwrap(), B64.decode(line(&b)).unwrap());
        let mut renamed = raw_a.clone();
        renamed[2..10].copy_from_slice(&raw_b[2..10]);
        let twin = dir.path().join("twin.pub");
        fs::write(
            &twin,
            format!("untrusted comment: twin\n{}\n", B64.encode(renamed)),
        )
        .unwrap();
        assert!(matches!(
            TrustedKeys::load(&[a, twin]),
            Err(SignError::Key { .. })
        ));
    }

    #[test]
    fn trusting_nothing_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            TrustedKeys::load(&[dir.path().to_path_buf()]),
            Err(SignError::NoTrustedKey { .. })
        ));
        assert!(matches!(
            TrustedKeys::load(&[]),
            Err(SignError::NoTrustedKey { .. })
        ));
    }
}
