//! Proofs of module zips (bundle format v2). Instead of a module's zip, a
//! bundle carries its exact dirhash summary, which hashes to go.sum's `h1:`
//! and names every file with its sha256; its go.mod, which hashes to the
//! `/go.mod h1:`; and the few files whose content decides what `go mod
//! vendor` copies but that vendor/ does not hold. With the vendored files,
//! that re-proves vendor/ against go.sum with no zip and no network.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Seek};
use std::path::Path;

use super::dirhash::{self, DirhashError};
use super::escape::escape;
use super::modzip::ModuleZip;
use super::vendor_rules::{self, GoFile, ModuleFile};

/// The summary's name inside a proof's folder.
pub const SUMMARY: &str = "summary";
/// The module's go.mod, as the module proxy serves it.
pub const GO_MOD: &str = "go.mod";
/// Below it, the decisive files vendor/ lacks, by their path in the module.
pub const FILES: &str = "files/";

/// The folder of the proof of `path@version`'s zip, below a bundle's root:
/// `proofs/<escaped path>/@v/<escaped version>/`.
pub fn dir(path: &str, version: &str) -> String {
    format!("proofs/{}/@v/{}/", escape(path), escape(version))
}

/// What a bundle carries for one module zip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    pub summary: String,
    pub go_mod: Vec<u8>,
    /// Decisive files that vendor/ does not hold, by path in the module.
    pub files: Vec<(String, Vec<u8>)>,
}

/// A summary or proof file that is not what a proof must be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{module}@{version}: {file}: {reason}")]
pub struct ProofError {
    pub module: String,
    pub version: String,
    pub file: String,
    pub reason: String,
}

/// Makes the proof of a verified zip: `read` is its one-pass reading,
/// `source` the zip itself (read again for the decisive files), `module_path`
/// and `packages` the vendored module's as modules.txt names them.
pub fn make<R: Read + Seek>(
    read: &ModuleZip,
    source: R,
    prefix: &str,
    go_mod: Vec<u8>,
    vendoring: &Vendoring,
    shown: &Path,
) -> Result<Proof, DirhashError> {
    let files: Vec<(String, [u8; 32])> = read
        .files
        .iter()
        .map(|(n, f)| (n.clone(), f.sha256))
        .collect();
    let below = read.files_below(prefix);
    let lacking: Vec<String> = vendoring
        .decisive(below.keys())
        .into_iter()
        .filter(|rel| {
            !below[*rel].go.as_ref().is_some_and(|g| g.vendored) || rel.ends_with("_test.go")
        })
        .cloned()
        .collect();
    Ok(Proof {
        summary: dirhash::summary(files),
        go_mod,
        files: extract(source, prefix, &lacking, shown)?,
    })
}

/// Which packages of which module are vendored, under which `go` line.
pub struct Vendoring<'a> {
    pub module_path: &'a str,
    pub packages: &'a [String],
    pub main_go: &'a str,
}

impl Vendoring<'_> {
    /// The decisive .go files among `files` (paths in the module).
    pub fn decisive<'f>(&self, files: impl Iterator<Item = &'f String>) -> Vec<&'f String> {
        vendor_rules::decisive(self.module_path, self.packages, files, self.main_go)
    }
}

/// The bytes of `wanted` (paths below `prefix`) from a zip.
fn extract<R: Read + Seek>(
    source: R,
    prefix: &str,
    wanted: &[String],
    shown: &Path,
) -> Result<Vec<(String, Vec<u8>)>, DirhashError> {
    let zip_err = |source| DirhashError::Zip {
        path: shown.to_path_buf(),
        source,
    };
    let mut archive = zip::ZipArchive::new(source).map_err(zip_err)?;
    let mut out = Vec::with_capacity(wanted.len());
    for rel in wanted {
        let name = format!("{prefix}{rel}");
        let mut bytes = Vec::new();
        archive
            .by_name(&name)
            .map_err(zip_err)?
            .read_to_end(&mut bytes)
            .map_err(|source| DirhashError::Io {
                path: shown.join(&name),
                source,
            })?;
        out.push((rel.clone(), bytes));
    }
    Ok(out)
}

/// Parses a summary strictly: `<64 lower-case hex>  <prefix><path>\n` lines,
/// names in strictly ascending byte order, nothing else. Returns each path
/// below `prefix` with its sha256.
pub fn parse_summary(text: &str, prefix: &str) -> Result<Vec<(String, [u8; 32])>, String> {
    if !text.is_empty() && !text.ends_with('\n') {
        return Err("does not end with a newline".into());
    }
    let mut out: Vec<(String, [u8; 32])> = Vec::new();
    let mut last: Option<&str> = None;
    for (n, line) in text.lines().enumerate() {
        let at = |why: &str| format!("line {}: {why}", n + 1);
        let (hex_part, name) = line
            .split_once("  ")
            .ok_or_else(|| at("not `<sha256>  <name>`"))?;
        let mut digest = [0u8; 32];
        let lower = hex_part
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if hex_part.len() != 64 || !lower || hex::decode_to_slice(hex_part, &mut digest).is_err() {
            return Err(at("the sha256 is not 64 lower-case hex digits"));
        }
        let rel = name
            .strip_prefix(prefix)
            .filter(|r| !r.is_empty())
            .ok_or_else(|| at(&format!("{name:?} does not start with {prefix}")))?;
        if last.is_some_and(|l| l >= name) {
            return Err(at(&format!("{name:?} is out of order or repeated")));
        }
        last = Some(name);
        out.push((rel.to_string(), digest));
    }
    Ok(out)
}

/// The zip a proof stands for, as the Go check reads zips: its `h1:` (of the
/// summary's exact bytes) and each file with what Go reads in it, known for
/// a .go file whose content is in `facts` (a vendored or carried file with
/// that sha256); unknown facts never count as "not copied" (`bind` says so).
pub fn as_module_zip(
    summary: &str,
    prefix: &str,
    facts: &HashMap<[u8; 32], GoFile>,
) -> Result<ModuleZip, String> {
    let parsed = parse_summary(summary, prefix)?;
    let files = parsed
        .into_iter()
        .map(|(rel, sha256)| {
            let go = rel
                .ends_with(".go")
                .then(|| facts.get(&sha256).cloned())
                .flatten();
            (format!("{prefix}{rel}"), ModuleFile { sha256, go })
        })
        .collect();
    Ok(ModuleZip {
        h1: dirhash::hash1_of_summary(summary.as_bytes()),
        files,
    })
}

/// Each carried file's sha256 as the summary names it, or why not.
pub fn check_carried(
    summary: &BTreeMap<String, [u8; 32]>,
    carried: &[(String, [u8; 32])],
) -> Result<(), String> {
    for (rel, sha) in carried {
        match summary.get(rel) {
            None => return Err(format!("carries {rel}, which the summary does not name")),
            Some(want) if want != sha => {
                return Err(format!("{rel} differs from its summary line"));
            }
            Some(_) => {}
        }
    }
    Ok(())
}
