//! Reviewer approvals: detached minisign signatures over a bundle's signed
//! `ferry.json`, kept beside the bundle, each with a trusted comment
//! `ferry-approval module=… version=… manifest=sha256:… comment=…`. A release
//! needs N of them: N distinct approver keys, none of them the key that
//! signed the bundle, each over these very manifest bytes. Counting is pure:
//! bytes in, a report out, every file that does not count named with why.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use minisign::SignatureBox;

use super::trusted::{key_bytes, key_id};
use super::{MAX_SIGNATURE_BYTES, SignError, TrustedKeys, verify_manifest};
use crate::exit::{Classify, Exit};

/// The first word of an approval's trusted comment.
pub const APPROVAL: &str = "ferry-approval";

/// The folder beside a bundle file that holds its approvals: `BUNDLE.approvals`.
pub const BESIDE_SUFFIX: &str = ".approvals";

/// The folder inside an unpacked bundle that holds its approvals.
pub const FOLDER: &str = "approvals";

/// Where approver keys are looked for when none is given and
/// `FERRY_APPROVERS` is not set.
pub const APPROVERS_DIR: &str = "/etc/ferry/approvers.d";

/// The environment variable that names a folder of approver keys.
pub const APPROVERS_ENV: &str = "FERRY_APPROVERS";

#[derive(Debug, thiserror::Error)]
pub enum ApprovalError {
    #[error("{0}")]
    Missing(Box<ApprovalReport>),
    #[error(
        "--require-approvals {required}: no approver key: pass --approver PUB (a .pub file or a folder of them, repeatable), or set {APPROVERS_ENV} to a folder of .pub files, or put them in {APPROVERS_DIR}/"
    )]
    NoApprovers { required: usize },
    #[error("--comment must be one line")]
    CommentLines,
    #[error(
        "{key_id} signed the bundle: its approval would never count; approve with a reviewer's own key"
    )]
    SignerApproves { key_id: String },
}

impl Classify for ApprovalError {
    fn exit(&self) -> Exit {
        match self {
            ApprovalError::Missing(_) => Exit::CheckFailed,
            ApprovalError::NoApprovers { .. }
            | ApprovalError::CommentLines
            | ApprovalError::SignerApproves { .. } => Exit::Usage,
        }
    }
}

/// The trusted comment of an approval; the reviewer's comment is last, so it
/// may hold spaces, and must be one line.
pub fn approval_comment(
    module: &str,
    version: &str,
    manifest_sha256: &str,
    comment: &str,
) -> Result<String, ApprovalError> {
    if comment.contains(['\n', '\r']) {
        return Err(ApprovalError::CommentLines);
    }
    Ok(format!(
        "{APPROVAL} module={module} version={version} manifest=sha256:{manifest_sha256} comment={comment}"
    ))
}

/// Whether `name` is an approval's file name: `<KEYID>.minisig`, the key id
/// as minisign prints it (16 upper-case hex digits).
pub fn is_file_name(name: &str) -> bool {
    name.strip_suffix(".minisig").is_some_and(|id| {
        id.len() == 16
            && id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
    })
}

/// Whether an approval counts, and if not, why; the kebab-case code is stable.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", content = "reason", rename_all = "kebab-case")]
pub enum Status {
    /// A trusted approver key over these manifest bytes: it counts.
    Counted,
    /// Made by the key that signed the bundle.
    SignedBundle,
    /// Made by a key not trusted as an approver.
    NotApprover,
    /// Not checked: no approver key was given.
    Unchecked,
    /// Another approval by the same key (this file) already counted.
    Duplicate(String),
    /// Over other manifest bytes: its signature fails, or its manifest= differs.
    OtherManifest(String),
    /// A valid signature whose trusted comment is not a ferry approval.
    NotApproval(String),
    /// Not a minisign signature at all.
    Malformed(String),
}

impl Status {
    /// Every code, in the order docs/diagnostics.md lists them.
    pub const ALL: [&'static str; 8] = [
        "counted",
        "signed-bundle",
        "not-approver",
        "unchecked",
        "duplicate",
        "other-manifest",
        "not-approval",
        "malformed",
    ];

    pub fn code(&self) -> &'static str {
        match self {
            Status::Counted => "counted",
            Status::SignedBundle => "signed-bundle",
            Status::NotApprover => "not-approver",
            Status::Unchecked => "unchecked",
            Status::Duplicate(_) => "duplicate",
            Status::OtherManifest(_) => "other-manifest",
            Status::NotApproval(_) => "not-approval",
            Status::Malformed(_) => "malformed",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Counted => f.write_str("valid"),
            Status::SignedBundle => f.write_str("signed the bundle"),
            Status::NotApprover => f.write_str("not an approver key"),
            Status::Unchecked => f.write_str("not checked: no approver key"),
            Status::Duplicate(first) => write!(f, "the same key as {first}"),
            Status::OtherManifest(why) => write!(f, "another manifest: {why}"),
            Status::NotApproval(why) => write!(f, "not an approval: {why}"),
            Status::Malformed(why) => write!(f, "malformed: {why}"),
        }
    }
}

/// One approval file and what came of it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Approval {
    /// The file's name in the approvals folder.
    pub file: String,
    /// The key id the signature names (none when it cannot be read).
    pub key_id: Option<String>,
    /// The approver key's file name without `.pub`, when it is one.
    pub approver: Option<String>,
    /// The trusted comment, when the signature was checked.
    pub trusted_comment: Option<String>,
    /// The reviewer's words: the `comment=` field of the trusted comment.
    pub comment: Option<String>,
    #[serde(flatten)]
    pub status: Status,
}

impl Approval {
    /// `KEYID (alice: "reviewed diff")`, or the file name when no key is known.
    fn who(&self) -> String {
        let Some(id) = &self.key_id else {
            return self.file.clone();
        };
        match (&self.approver, &self.comment) {
            (Some(name), Some(c)) => format!("{id} ({name}: {c:?})"),
            (Some(name), None) => format!("{id} ({name})"),
            (None, _) => id.clone(),
        }
    }

    /// [`Approval::who`], and the file when the key alone would not find it.
    fn who_or_file(&self) -> String {
        match &self.key_id {
            Some(id) if self.file == format!("{id}.minisig") => self.who(),
            Some(_) => format!("{} in {:?}", self.who(), self.file),
            None => format!("{:?}", self.file),
        }
    }
}

/// Approval files as read: each file's name and its bytes, or why it
/// cannot be an approval.
pub type Files = Vec<(String, Result<Vec<u8>, String>)>;

/// Every approval beside a bundle, and how many were required.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ApprovalReport {
    pub required: usize,
    /// Distinct trusted approver keys over these manifest bytes.
    pub valid: usize,
    pub approvals: Vec<Approval>,
}

impl ApprovalReport {
    pub fn ok(&self) -> bool {
        self.valid >= self.required
    }

    /// Whether there is anything to say: approvals found, or some required.
    pub fn is_empty(&self) -> bool {
        self.approvals.is_empty() && self.required == 0
    }
}

impl fmt::Display for ApprovalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (counted, not): (Vec<&Approval>, Vec<&Approval>) = self
            .approvals
            .iter()
            .partition(|a| a.status == Status::Counted);
        if self.required == 0 {
            write!(f, "{} found, {} valid", self.approvals.len(), self.valid)?;
        } else {
            let plural = if self.required == 1 { "" } else { "s" };
            write!(
                f,
                "{} approval{plural} required, {} valid",
                self.required, self.valid
            )?;
        }
        if !counted.is_empty() {
            let who: Vec<String> = counted.iter().map(|a| a.who()).collect();
            write!(f, ": {}", who.join(", "))?;
        }
        if !not.is_empty() {
            let why: Vec<String> = not
                .iter()
                .map(|a| format!("{} ({})", a.who_or_file(), a.status))
                .collect();
            write!(f, "; not counted: {}", why.join(", "))?;
        }
        if !self.ok() {
            write!(f, "; {} more needed", self.required - self.valid)?;
        }
        Ok(())
    }
}

/// Counts the approvals `files` (name, bytes) give `manifest`: a file counts
/// when a trusted approver key, not `bundle_key_id`, signed these manifest
/// bytes with a `ferry-approval` trusted comment naming their sha256; each
/// key counts once. `approvers: None` checks no signature (nothing counts).
pub fn count(
    manifest: &[u8],
    manifest_sha256: &str,
    signer: &BundleSigner,
    approvers: Option<&TrustedKeys>,
    files: &[(String, Result<Vec<u8>, String>)],
    required: usize,
) -> ApprovalReport {
    let mut sorted: Vec<&(String, Result<Vec<u8>, String>)> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut counted: BTreeMap<[u8; 32], String> = BTreeMap::new();
    let mut approvals = Vec::new();
    for (file, bytes) in sorted {
        let mut a = Approval {
            file: file.clone(),
            key_id: None,
            approver: None,
            trusted_comment: None,
            comment: None,
            status: Status::Counted,
        };
        let key = match bytes {
            Ok(bytes) => judge(&mut a, bytes, manifest, manifest_sha256, signer, approvers),
            Err(why) => {
                a.status = Status::Malformed(why.clone());
                None
            }
        };
        // Distinct keys count, not distinct ids: an id is the key maker's choice.
        if let (Status::Counted, Some(key)) = (&a.status, key) {
            if let Some(first) = counted.get(&key) {
                a.status = Status::Duplicate(first.clone());
            } else {
                counted.insert(key, file.clone());
            }
        }
        approvals.push(a);
    }
    ApprovalReport {
        required,
        valid: counted.len(),
        approvals,
    }
}

/// The key that signed the bundle: its id, and the key itself.
pub struct BundleSigner<'a> {
    pub id: &'a str,
    pub key: [u8; 32],
}

/// One file's status, and the approver key that made it when it counts.
fn judge(
    a: &mut Approval,
    bytes: &[u8],
    manifest: &[u8],
    manifest_sha256: &str,
    signer: &BundleSigner,
    approvers: Option<&TrustedKeys>,
) -> Option<[u8; 32]> {
    let mut key = None;
    a.status = judge_status(
        a,
        bytes,
        (manifest, manifest_sha256),
        signer,
        approvers,
        &mut key,
    );
    key
}

/// [`judge`]'s verdict on one file.
fn judge_status(
    a: &mut Approval,
    bytes: &[u8],
    (manifest, manifest_sha256): (&[u8], &str),
    signer: &BundleSigner,
    approvers: Option<&TrustedKeys>,
    found: &mut Option<[u8; 32]>,
) -> Status {
    if bytes.len() as u64 > MAX_SIGNATURE_BYTES {
        return Status::Malformed(format!("larger than {MAX_SIGNATURE_BYTES} bytes"));
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Status::Malformed("not UTF-8 text".into());
    };
    let sig = match SignatureBox::from_string(text) {
        Ok(sig) => sig,
        Err(e) => return Status::Malformed(e.to_string()),
    };
    let id = key_id(sig.keynum());
    a.key_id = Some(id.clone());
    if id == signer.id {
        return Status::SignedBundle;
    }
    let Some(approvers) = approvers else {
        return Status::Unchecked;
    };
    let Some(key) = approvers.iter().find(|k| k.id == id) else {
        return Status::NotApprover;
    };
    // The release key listed as an approver under another id is still the
    // key that signed the bundle.
    if key_bytes(&key.key) == signer.key {
        return Status::SignedBundle;
    }
    *found = Some(key_bytes(&key.key));
    a.approver = key
        .path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned());
    let comment = match verify_manifest(&key.key, bytes, manifest, manifest_sha256) {
        Ok(comment) => comment,
        Err(SignError::CommentMismatch { named, .. }) => {
            return Status::OtherManifest(format!("it approves {named}"));
        }
        Err(e) => return Status::OtherManifest(bad_signature(e)),
    };
    a.comment = comment.split_once(" comment=").map(|(_, c)| c.to_string());
    a.trusted_comment = Some(comment.clone());
    if comment.split_whitespace().next() != Some(APPROVAL) {
        return Status::NotApproval(format!(
            "its trusted comment does not start with {APPROVAL}"
        ));
    }
    if !comment.contains(" manifest=sha256:") {
        return Status::NotApproval("its trusted comment names no manifest=sha256:".into());
    }
    Status::Counted
}

/// What failed in a signature that parsed, said without the name of the
/// bundle's own signature file.
fn bad_signature(e: SignError) -> String {
    match e {
        SignError::BadSignature(why) => {
            format!("the signature does not match this ferry.json ({why})")
        }
        other => other.to_string(),
    }
}

/// The approvals folder of a bundle file or an unpacked folder.
pub fn folder_of(target: &std::path::Path, is_file: bool) -> PathBuf {
    if is_file {
        let mut name = target.as_os_str().to_owned();
        name.push(BESIDE_SUFFIX);
        PathBuf::from(name)
    } else {
        target.join(FOLDER)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::{Signer, keygen, load_secret_key};
    use sha2::{Digest, Sha256};

    struct Keys {
        _dir: tempfile::TempDir,
        release: Signer,
        alice: Signer,
        bob: Signer,
        mallory: Signer,
        approvers: TrustedKeys,
    }

    fn keys() -> Keys {
        let dir = tempfile::tempdir().unwrap();
        let approvers_dir = dir.path().join("approvers.d");
        std::fs::create_dir(&approvers_dir).unwrap();
        let signer = |name: &str, trusted: bool| {
            let prefix = if trusted {
                approvers_dir.join(name)
            } else {
                dir.path().join(name)
            };
            let (sk, _) = keygen(&prefix, None).unwrap();
            load_secret_key(&sk, &|_| None).unwrap()
        };
        // The release key is an approver too: it still never counts.
        let release = signer("release", true);
        let alice = signer("alice", true);
        let bob = signer("bob", true);
        let mallory = signer("mallory", false);
        let approvers = TrustedKeys::load(&[approvers_dir]).unwrap();
        Keys {
            _dir: dir,
            release,
            alice,
            bob,
            mallory,
            approvers,
        }
    }

    const MANIFEST: &[u8] = br#"{"format":"ferry/v2","module":"m"}"#;
    const OTHER: &[u8] = br#"{"format":"ferry/v2","module":"other"}"#;

    fn sha(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    fn approve(by: &Signer, manifest: &[u8]) -> Vec<u8> {
        let comment = approval_comment("m", "v1", &sha(manifest), "looked at it").unwrap();
        by.sign(manifest, &comment).unwrap().into_bytes()
    }

    fn release_key(k: &Keys) -> [u8; 32] {
        let id = k.release.key_id();
        let release = k.approvers.iter().find(|t| t.id == id).unwrap();
        key_bytes(&release.key)
    }

    fn run_as(
        k: &Keys,
        signer_id: &str,
        files: Vec<(&str, Vec<u8>)>,
        required: usize,
    ) -> ApprovalReport {
        let files: Vec<(String, Result<Vec<u8>, String>)> = files
            .into_iter()
            .map(|(n, b)| (n.to_string(), Ok(b)))
            .collect();
        let signer = BundleSigner {
            id: signer_id,
            key: release_key(k),
        };
        count(
            MANIFEST,
            &sha(MANIFEST),
            &signer,
            Some(&k.approvers),
            &files,
            required,
        )
    }

    fn run(k: &Keys, files: Vec<(&str, Vec<u8>)>, required: usize) -> ApprovalReport {
        run_as(k, &k.release.key_id(), files, required)
    }

    #[test]
    fn the_release_key_never_counts_whatever_id_it_shows() {
        let k = keys();
        // The bundle's signature named another id for the same key.
        let r = run_as(
            &k,
            "0123456789ABCDEF",
            vec![("a.minisig", approve(&k.release, MANIFEST))],
            1,
        );
        assert_eq!(codes(&r), ["signed-bundle"]);
        assert!(!r.ok());
    }

    fn codes(r: &ApprovalReport) -> Vec<&'static str> {
        r.approvals.iter().map(|a| a.status.code()).collect()
    }

    #[test]
    fn distinct_approver_keys_over_these_bytes_count() {
        let k = keys();
        let r = run(
            &k,
            vec![
                ("a.minisig", approve(&k.alice, MANIFEST)),
                ("b.minisig", approve(&k.bob, MANIFEST)),
            ],
            2,
        );
        assert_eq!((r.valid, r.ok()), (2, true));
        assert_eq!(r.approvals[0].approver.as_deref(), Some("alice"));
        assert_eq!(r.approvals[0].comment.as_deref(), Some("looked at it"));
    }

    #[test]
    fn what_never_counts_is_named() {
        let k = keys();
        let alice = approve(&k.alice, MANIFEST);
        let mut truncated = approve(&k.bob, MANIFEST);
        truncated.truncate(truncated.len() / 2);
        let plain = k.alice.sign(MANIFEST, "ferry/v2 module=m").unwrap();
        let r = run(
            &k,
            vec![
                ("1.minisig", alice.clone()),
                ("2.minisig", alice),
                ("3.minisig", approve(&k.release, MANIFEST)),
                ("4.minisig", approve(&k.mallory, MANIFEST)),
                ("5.minisig", approve(&k.bob, OTHER)),
                ("6.minisig", truncated),
                ("7.minisig", plain.into_bytes()),
            ],
            2,
        );
        assert_eq!(
            codes(&r),
            [
                "counted",
                "duplicate",
                "signed-bundle",
                "not-approver",
                "other-manifest",
                "malformed",
                "not-approval"
            ]
        );
        assert_eq!(r.valid, 1);
        let said = r.to_string();
        assert!(
            said.starts_with("2 approvals required, 1 valid: "),
            "{said}"
        );
        assert!(said.contains("(alice: \"looked at it\")"), "{said}");
        assert!(said.contains("\"6.minisig\" (malformed: "), "{said}");
        assert!(said.ends_with("; 1 more needed"), "{said}");
    }

    #[test]
    fn a_grafted_approval_with_this_manifests_hash_fails_its_signature() {
        let k = keys();
        // Signed over other bytes, but claiming this manifest's hash.
        let comment = approval_comment("m", "v1", &sha(MANIFEST), "x").unwrap();
        let grafted = k.alice.sign(OTHER, &comment).unwrap().into_bytes();
        let r = run(&k, vec![("a.minisig", grafted)], 1);
        assert_eq!(codes(&r), ["other-manifest"]);
        assert!(!r.ok());
    }

    #[test]
    fn without_approver_keys_nothing_is_checked_or_counted() {
        let k = keys();
        let files = vec![("a.minisig".to_string(), Ok(approve(&k.alice, MANIFEST)))];
        let signer = BundleSigner {
            id: "X",
            key: [0; 32],
        };
        let r = count(MANIFEST, &sha(MANIFEST), &signer, None, &files, 0);
        assert_eq!((codes(&r), r.valid, r.ok()), (vec!["unchecked"], 0, true));
    }

    #[test]
    fn comments_are_one_line_and_file_names_key_ids() {
        assert!(approval_comment("m", "v", "h", "a\nb").is_err());
        assert!(
            approval_comment("m", "v", "h", "two words")
                .unwrap()
                .ends_with(" comment=two words")
        );
        assert!(is_file_name("0123456789ABCDEF.minisig"));
        for bad in [
            "0123456789abcdef.minisig",
            "0123456789ABCDE.minisig",
            "x.minisig",
            "0123456789ABCDEF.sig",
        ] {
            assert!(!is_file_name(bad), "{bad}");
        }
    }
}
