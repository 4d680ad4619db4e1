//! Signing and checking `ferry.json` with minisign keys (Ed25519 over BLAKE2b-512).
//! Keys and signatures are the stock minisign formats, so `minisign -Vm` checks
//! what ferry signs and ferry checks what `minisign -S` signs. Signing is plain
//! RFC 8032 Ed25519, deterministic as libsodium's, so that the same inputs give
//! a byte-identical bundle (the minisign crate adds random noise when it signs).

use std::fs::{self, OpenOptions};
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use blake2::{Blake2b512, Digest};
use ed25519_dalek::{Signer as _, SigningKey};
use minisign::{KeyPair, PublicKey, PublicKeyBox, SecretKeyBox, SignatureBox};

use crate::exit::{Classify, Exit};

pub mod approvals;
mod trusted;

pub use trusted::{Trusted, TrustedKeys, key_bytes};

/// Where trusted keys are looked for when none is given and
/// `FERRY_TRUSTED_KEYS` is not set.
pub const TRUSTED_KEYS_DIR: &str = "/etc/ferry/trusted.d";

/// The environment variable that names a folder of trusted keys.
pub const TRUSTED_KEYS_ENV: &str = "FERRY_TRUSTED_KEYS";

/// The environment variable that carries the password of an encrypted secret key.
pub const PASSWORD_ENV: &str = "FERRY_KEY_PASSWORD";

/// The decoded size of a minisign secret key.
const SECRET_KEY_BYTES: usize = 158;

/// A signature file is a few hundred bytes; anything far larger is not one.
pub const MAX_SIGNATURE_BYTES: u64 = 16 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} already exists: refusing to overwrite a key")]
    Exists { path: PathBuf },
    #[error("{path}: not a usable minisign {what}: {reason}")]
    Key {
        path: PathBuf,
        what: &'static str,
        reason: String,
    },
    #[error("{path} is encrypted: set {PASSWORD_ENV} or run on a terminal to be asked")]
    NeedsPassword { path: PathBuf },
    #[error("signing failed: {0}")]
    Sign(String),
    #[error(
        "no trusted key{}: pass --pub PUB (a .pub file or a folder of them, repeatable), or set {TRUSTED_KEYS_ENV} to a folder of .pub files, or put them in {TRUSTED_KEYS_DIR}/",
        looked(.looked_in)
    )]
    NoTrustedKey { looked_in: Vec<PathBuf> },
    #[error(
        "signature of ferry.json: made by key {id}, which is not trusted here (trusted: {})",
        .trusted.join(", ")
    )]
    UntrustedKey { id: String, trusted: Vec<String> },
    #[error("signature of ferry.json: {0}")]
    BadSignature(String),
    #[error(
        "signature of ferry.json: trusted comment names manifest {named}, but ferry.json has sha256:{actual}"
    )]
    CommentMismatch { named: String, actual: String },
}

impl Classify for SignError {
    fn exit(&self) -> Exit {
        match self {
            SignError::BadSignature(_)
            | SignError::CommentMismatch { .. }
            | SignError::UntrustedKey { .. } => Exit::CheckFailed,
            SignError::Exists { .. }
            | SignError::Key { .. }
            | SignError::NeedsPassword { .. }
            | SignError::NoTrustedKey { .. } => Exit::Usage,
            SignError::Io { .. } | SignError::Sign(_) => Exit::CouldNotRun,
        }
    }
}

fn looked(sources: &[PathBuf]) -> String {
    match sources {
        [] => String::new(),
        _ => {
            let shown: Vec<String> = sources.iter().map(|p| p.display().to_string()).collect();
            format!(" in {}", shown.join(", "))
        }
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> SignError + '_ {
    move |source| SignError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Where `keygen` writes: `PREFIX.key` and `PREFIX.pub`.
pub fn key_paths(prefix: &Path) -> (PathBuf, PathBuf) {
    let with = |ext: &str| {
        let mut s = prefix.as_os_str().to_owned();
        s.push(ext);
        PathBuf::from(s)
    };
    (with(".key"), with(".pub"))
}

/// Writes a new key pair. `password: None` writes an unencrypted secret key
/// (as `minisign -G -W`); both files are created exclusively, never overwritten.
pub fn keygen(prefix: &Path, password: Option<String>) -> Result<(PathBuf, PathBuf), SignError> {
    let (sk_path, pk_path) = key_paths(prefix);
    for p in [&sk_path, &pk_path] {
        if p.exists() {
            return Err(SignError::Exists { path: p.clone() });
        }
    }
    let KeyPair { pk, sk } = match password {
        Some(pw) => KeyPair::generate_encrypted_keypair(Some(pw)),
        None => KeyPair::generate_unencrypted_keypair(),
    }
    .map_err(|e| SignError::Sign(e.to_string()))?;
    let sk_text = sk
        .to_box(Some("ferry secret key"))
        .map_err(|e| SignError::Sign(e.to_string()))?
        .to_string();
    let pk_text = pk
        .to_box()
        .map_err(|e| SignError::Sign(e.to_string()))?
        .to_string();
    create_new(&sk_path, sk_text.as_bytes(), 0o600)?;
    if let Err(e) = create_new(&pk_path, pk_text.as_bytes(), 0o644) {
        let _ = fs::remove_file(&sk_path);
        return Err(e);
    }
    Ok((sk_path, pk_path))
}

fn create_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), SignError> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => SignError::Exists {
                path: path.to_path_buf(),
            },
            _ => SignError::Io {
                path: path.to_path_buf(),
                source: e,
            },
        })?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(io_err(path))
}

/// Loads a secret key; an encrypted one asks `password` (which the binary
/// answers from `FERRY_KEY_PASSWORD` or a prompt), and `None` refuses.
pub fn load_secret_key(
    path: &Path,
    password: &dyn Fn(&Path) -> Option<String>,
) -> Result<Signer, SignError> {
    let text = fs::read_to_string(path).map_err(io_err(path))?;
    let key_err = |reason: String| SignError::Key {
        path: path.to_path_buf(),
        what: "secret key",
        reason,
    };
    let raw = text
        .lines()
        .nth(1)
        .and_then(|line| B64.decode(line.trim()).ok())
        .filter(|raw| raw.len() == SECRET_KEY_BYTES)
        .ok_or_else(|| key_err("no base64 minisign key on its second line".into()))?;
    if raw[2..4] == [0, 0] {
        // Unencrypted. Stock minisign leaves the checksum of such keys zeroed,
        // so the key is checked by deriving its public half instead.
        return Signer::from_raw(&raw).map_err(key_err);
    }
    let password = password(path).ok_or_else(|| SignError::NeedsPassword {
        path: path.to_path_buf(),
    })?;
    let sk = SecretKeyBox::from_string(&text)
        .and_then(|b| b.into_secret_key(Some(password)))
        .map_err(|e| key_err(e.to_string()))?;
    Signer::from_raw(&sk.to_bytes()).map_err(key_err)
}

/// Loads a public key file as `minisign -G` writes it (or its bare base64 line).
pub fn load_public_key(path: &Path) -> Result<PublicKey, SignError> {
    let text = fs::read_to_string(path).map_err(io_err(path))?;
    let key_err = |reason: String| SignError::Key {
        path: path.to_path_buf(),
        what: "public key",
        reason,
    };
    let trimmed = text.trim();
    if trimmed.lines().count() == 1 {
        return PublicKey::from_base64(trimmed).map_err(|e| key_err(e.to_string()));
    }
    PublicKeyBox::from_string(&text)
        .and_then(PublicKeyBox::into_public_key)
        .map_err(|e| key_err(e.to_string()))
}

/// The trusted comment: it binds the module, its version and the manifest hash
/// into the signed text, where nobody can change them without the key.
pub fn trusted_comment(format: &str, module: &str, version: &str, manifest_sha256: &str) -> String {
    format!("{format} module={module} version={version} manifest=sha256:{manifest_sha256}")
}

/// A decrypted minisign secret key, ready to sign.
pub struct Signer {
    keynum: [u8; 8],
    key: SigningKey,
}

impl Signer {
    /// Takes the key id and Ed25519 seed out of a decrypted minisign key
    /// (`keynum` at bytes 54..62, `seed || public` at 62..126 of its layout).
    fn from_raw(bytes: &[u8]) -> Result<Signer, String> {
        let (Some(keynum), Some(seed), Some(public)) =
            (bytes.get(54..62), bytes.get(62..94), bytes.get(94..126))
        else {
            return Err("secret key is too short".into());
        };
        let key = SigningKey::from_bytes(seed.try_into().map_err(|_| "bad seed length")?);
        if key.verifying_key().as_bytes() != public {
            return Err("secret key does not hold its own public key (wrong password?)".into());
        }
        Ok(Signer {
            keynum: keynum.try_into().map_err(|_| "bad key id length")?,
            key,
        })
    }

    /// The key id, as minisign prints it.
    pub fn key_id(&self) -> String {
        let mut id = self.keynum;
        id.reverse();
        hex::encode_upper(id)
    }

    /// The public half, as a minisign key: what checks this signer's work.
    pub fn public_key(&self) -> Result<PublicKey, SignError> {
        let mut raw = b"Ed".to_vec();
        raw.extend_from_slice(&self.keynum);
        raw.extend_from_slice(self.key.verifying_key().as_bytes());
        PublicKey::from_bytes(&raw).map_err(|e| SignError::Sign(e.to_string()))
    }

    /// Signs `message` in minisign's prehashed form; returns the `.minisig` text.
    pub fn sign(&self, message: &[u8], trusted_comment: &str) -> Result<String, SignError> {
        self.sign_as(
            message,
            "signature of ferry.json, by ferry",
            trusted_comment,
        )
    }

    /// [`Signer::sign`] with another (unsigned, informative) untrusted comment.
    pub fn sign_as(
        &self,
        message: &[u8],
        untrusted_comment: &str,
        trusted_comment: &str,
    ) -> Result<String, SignError> {
        if trusted_comment.contains(['\n', '\r']) || untrusted_comment.contains(['\n', '\r']) {
            return Err(SignError::Sign("trusted comment must be one line".into()));
        }
        let digest = Blake2b512::digest(message);
        let sig = self.key.sign(&digest).to_bytes();
        let mut sig_line = Vec::with_capacity(74);
        sig_line.extend_from_slice(b"ED");
        sig_line.extend_from_slice(&self.keynum);
        sig_line.extend_from_slice(&sig);
        let mut global = sig.to_vec();
        global.extend_from_slice(trusted_comment.as_bytes());
        let global_sig = self.key.sign(&global).to_bytes();
        Ok(format!(
            "untrusted comment: {untrusted_comment}\n{}\ntrusted comment: {}\n{}\n",
            B64.encode(sig_line),
            trusted_comment,
            B64.encode(global_sig)
        ))
    }
}

/// The signature line (`Ed` + key id + 64 bytes) and the global signature
/// (64 bytes) decode to their exact sizes: the minisign crate slices them
/// without checking, and a short one must be a refusal, not a panic.
fn check_lengths(text: &str) -> Result<(), SignError> {
    let lines: Vec<&str> = text.lines().collect();
    let decoded = |i: usize| {
        lines
            .get(i)
            .and_then(|l| B64.decode(l.trim()).ok())
            .map(|b| b.len())
    };
    match (decoded(1), decoded(3)) {
        (Some(74), Some(64)) => Ok(()),
        _ => Err(SignError::BadSignature(
            "not a minisign signature (its signature lines are not 74 and 64 bytes)".into(),
        )),
    }
}

/// Checks a `.minisig` over the manifest bytes, and that a `manifest=sha256:`
/// field in the trusted comment (when present) names these very bytes.
/// Returns the trusted comment.
pub fn verify_manifest(
    pk: &PublicKey,
    signature: &[u8],
    manifest: &[u8],
    manifest_sha256: &str,
) -> Result<String, SignError> {
    let text = std::str::from_utf8(signature)
        .map_err(|_| SignError::BadSignature("the signature is not UTF-8 text".into()))?;
    check_lengths(text)?;
    let sig = SignatureBox::from_string(text)
        .map_err(|e| SignError::BadSignature(format!("not a minisign signature ({e})")))?;
    minisign::verify(pk, &sig, Cursor::new(manifest), true, false, false)
        .map_err(|e| SignError::BadSignature(e.to_string()))?;
    let comment = sig
        .trusted_comment()
        .map_err(|e| SignError::BadSignature(e.to_string()))?;
    if let Some(named) = comment
        .split_whitespace()
        .find_map(|w| w.strip_prefix("manifest=sha256:"))
    {
        if named != manifest_sha256 {
            return Err(SignError::CommentMismatch {
                named: format!("sha256:{named}"),
                actual: manifest_sha256.to_string(),
            });
        }
    }
    Ok(comment)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (tempfile::TempDir, Signer, PublicKey) {
        let dir = tempfile::tempdir().unwrap();
        let (sk, pk) = keygen(&dir.path().join("k"), None).unwrap();
        (
            dir,
            load_secret_key(&sk, &|_| None).unwrap(),
            load_public_key(&pk).unwrap(),
        )
    }

    #[test]
    fn signs_and_verifies_and_names_the_manifest() {
        let (_d, sk, pk) = pair();
        let msg = br#"{"format":"ferry/v1"}"#;
        let sum = "ab".repeat(32);
        let sig = sk
            .sign(msg, &trusted_comment("ferry/v2", "m", "v1", &sum))
            .unwrap();
        assert_eq!(
            sig,
            sk.sign(msg, &trusted_comment("ferry/v2", "m", "v1", &sum))
                .unwrap()
        );
        let comment = verify_manifest(&pk, sig.as_bytes(), msg, &sum).unwrap();
        assert!(comment.contains("module=m version=v1"));
        let other = "cd".repeat(32);
        assert!(matches!(
            verify_manifest(&pk, sig.as_bytes(), msg, &other),
            Err(SignError::CommentMismatch { .. })
        ));
        assert!(matches!(
            verify_manifest(&pk, sig.as_bytes(), b"{}", &sum),
            Err(SignError::BadSignature(_))
        ));
    }

    #[test]
    fn a_short_signature_line_is_refused_not_a_panic() {
        let (_dir, sk, pk) = pair();
        let msg = b"{}";
        let good = sk.sign(msg, "c").unwrap();
        let lines: Vec<&str> = good.lines().collect();
        for (i, short) in [(3, "AAAA"), (1, "RWQ=")] {
            let mut bad = lines.clone();
            bad[i] = short;
            let bad = bad.join("\n") + "\n";
            assert!(matches!(
                verify_manifest(&pk, bad.as_bytes(), msg, ""),
                Err(SignError::BadSignature(_))
            ));
        }
    }

    #[test]
    fn keygen_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        keygen(&dir.path().join("k"), None).unwrap();
        assert!(matches!(
            keygen(&dir.path().join("k"), None),
            Err(SignError::Exists { .. })
        ));
    }

    #[test]
    fn encrypted_key_round_trips_with_password() {
        let dir = tempfile::tempdir().unwrap();
        let (sk_path, _) = keygen(&dir.path().join("k"), Some("pw".into())).unwrap();
        let signer = load_secret_key(&sk_path, &|_| Some("pw".into())).unwrap();
        assert!(load_secret_key(&sk_path, &|_| Some("wrong".into())).is_err());
        assert!(matches!(
            load_secret_key(&sk_path, &|_| None),
            Err(SignError::NeedsPassword { .. })
        ));
        let pk = load_public_key(&dir.path().join("k.pub")).unwrap();
        let sig = signer.sign(b"x", "c").unwrap();
        verify_manifest(&pk, sig.as_bytes(), b"x", "").unwrap();
    }
}
