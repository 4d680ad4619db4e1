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

/// What an entry below `proofs/` is: the part of which proof folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part<'a> {
    Summary,
    GoMod,
    File(&'a str),
}

/// Splits `proofs/<path>/@v/<version>/<part>` into its folder (with the
/// trailing `/`) and its part; `None` for anything a proof does not hold.
pub fn classify(entry: &str) -> Option<(&str, Part<'_>)> {
    let rest = entry.strip_prefix("proofs/")?;
    let at = rest.find("/@v/")? + "/@v/".len();
    let end = rest[at..].find('/')? + at + 1;
    let (dir, part) = entry.split_at("proofs/".len() + end);
    let part = match part {
        SUMMARY => Part::Summary,
        GO_MOD => Part::GoMod,
        p => Part::File(p.strip_prefix(FILES).filter(|f| !f.is_empty())?),
    };
    Some((dir, part))
}

/// The zip `path@version` as its proof describes it: the summary parsed
/// strictly and hashed as it is, each .go file's facts taken from content
/// with its sha256 (`facts`), and each carried file held to its summary line.
pub fn prove(
    path: &str,
    version: &str,
    summary: &[u8],
    carried: &[(String, [u8; 32])],
    facts: &HashMap<[u8; 32], GoFile>,
) -> Result<ModuleZip, ProofError> {
    let dir = dir(path, version);
    let refused = |part: &str, reason: String| ProofError {
        module: path.to_string(),
        version: version.to_string(),
        file: format!("{dir}{part}"),
        reason,
    };
    let text =
        std::str::from_utf8(summary).map_err(|_| refused(SUMMARY, "is not UTF-8 text".into()))?;
    let prefix = format!("{path}@{version}/");
    let zip = as_module_zip(text, &prefix, facts).map_err(|r| refused(SUMMARY, r))?;
    let named = zip
        .files_below(&prefix)
        .into_iter()
        .map(|(r, f)| (r, f.sha256))
        .collect();
    check_carried(&named, carried).map_err(|r| refused(FILES, r))?;
    Ok(zip)
}

/// A zip carried in modcache/ and its proof must be the same zip: a reader
/// checks both, so neither can hide behind the other.
pub fn agree(
    path: &str,
    version: &str,
    zip: std::sync::Arc<ModuleZip>,
    proof: &ModuleZip,
) -> Result<std::sync::Arc<ModuleZip>, ProofError> {
    if zip.h1 == proof.h1 {
        return Ok(zip);
    }
    Err(ProofError {
        module: path.to_string(),
        version: version.to_string(),
        file: format!("{}{SUMMARY}", dir(path, version)),
        reason: format!("describes {}, but the carried zip is {}", proof.h1, zip.h1),
    })
}

/// The go.mod a reader hashes when both modcache/ and the proof carry one:
/// they must be the same bytes.
pub fn one_go_mod(
    path: &str,
    version: &str,
    cached: Option<[u8; 32]>,
    proved: Option<[u8; 32]>,
) -> Result<Option<[u8; 32]>, ProofError> {
    match (cached, proved) {
        (Some(c), Some(p)) if c != p => Err(ProofError {
            module: path.to_string(),
            version: version.to_string(),
            file: format!("{}{GO_MOD}", dir(path, version)),
            reason: "differs from the go.mod carried in modcache/".into(),
        }),
        (c, p) => Ok(c.or(p)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_summary_go_mod_and_files_are_parts_of_a_proof() {
        let d = "proofs/example.com/!upper/x/@v/v1.0.0/";
        assert_eq!(classify(&format!("{d}summary")), Some((d, Part::Summary)));
        assert_eq!(classify(&format!("{d}go.mod")), Some((d, Part::GoMod)));
        assert_eq!(
            classify(&format!("{d}files/a/b.go")),
            Some((d, Part::File("a/b.go")))
        );
        for stray in [
            "proofs/x",
            "proofs/m/@v/v1.zip",
            &format!("{d}other"),
            &format!("{d}files/"),
        ] {
            assert_eq!(classify(stray), None, "{stray}");
        }
    }

    #[test]
    fn a_summary_is_read_strictly() {
        let sha = "ab".repeat(32);
        let good = format!("{sha}  m@v1.0.0/a.go\n{sha}  m@v1.0.0/b.go\n");
        assert_eq!(parse_summary(&good, "m@v1.0.0/").unwrap().len(), 2);
        for bad in [
            format!("{sha}  m@v1.0.0/b.go\n{sha}  m@v1.0.0/a.go\n"),
            format!("{sha}  m@v1.0.0/a.go\n{sha}  m@v1.0.0/a.go\n"),
            format!("{sha} m@v1.0.0/a.go\n"),
            format!("{}  m@v1.0.0/a.go\n", sha.to_uppercase()),
            format!("{sha}  other@v1.0.0/a.go\n"),
            format!("{sha}  m@v1.0.0/a.go"),
            format!("{sha}  m@v1.0.0/\n"),
        ] {
            assert!(parse_summary(&bad, "m@v1.0.0/").is_err(), "{bad:?}");
        }
    }
}
