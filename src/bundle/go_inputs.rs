//! The Go check's inputs gathered while a bundle's entries stream past, so
//! that nothing has to be written to disk and read back: go.mod, go.sum,
//! modules.txt and the proofs' summaries kept; each module zip of modcache/
//! read in one pass; each .go file of vendor/, of a local replacement folder
//! and of a proof scanned for what `go mod vendor` reads in it; the rest
//! (every file's sha256) from the manifest.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, BufReader, Read, Seek, Write};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use tempfile::SpooledTempFile;

use super::manifest::{Entry, Module};
use super::reader::Sink;
use crate::fsutil::Tap;
use crate::gomod::check::{CheckError, Inputs, VendorListing};
use crate::gomod::dirhash::{self, DirhashError};
use crate::gomod::modcache::rel_path;
use crate::gomod::modzip::{self, ModuleZip};
use crate::gomod::vendor_rules::{GoFile, ModuleFile};
use crate::gomod::zip_proof::{self, agree};

/// An entry larger than this is spooled to an unnamed temporary file, so
/// memory stays bounded whatever the size of one module zip.
const IN_MEMORY: usize = 8 << 20;
const SRC: &str = "src/";
const MODCACHE: &str = "modcache/";
const PROOFS: &str = "proofs/";

/// A sink that passes every entry on to `inner` and keeps what the Go check
/// reads. It parses a copy only once the reader has reached a clean end,
/// which it gives only for the bytes the manifest signs.
pub struct GoInputs<'a> {
    inner: &'a dyn Sink,
    /// `src/<dir>/` of each local replacement the manifest names: the only
    /// main-module folders whose .go files the check reads.
    local_dirs: Vec<String>,
    /// `src/` or `src/<folder>/`: where vendor/ (and go.mod or go.work) sit.
    root: String,
    gathered: Mutex<Gathered>,
    in_memory: usize,
}

#[derive(Default)]
struct Gathered {
    texts: HashMap<String, Vec<u8>>,
    zips: HashMap<String, Result<ModuleZip, DirhashError>>,
    /// What Go reads in each .go file, by the file's sha256: the same bytes
    /// give the same facts wherever they sit.
    go_files: HashMap<[u8; 32], GoFile>,
}

enum Kind {
    Text,
    Zip,
    Go,
}

impl<'a> GoInputs<'a> {
    /// `modules` are the signed manifest's: should they name another local
    /// replacement than modules.txt does, that folder's .go files go
    /// unread and binding it fails, never passes.
    pub fn new(inner: &'a dyn Sink, modules: &[Module]) -> GoInputs<'a> {
        let local_dirs = modules
            .iter()
            .filter_map(|m| m.replace.as_ref())
            .filter(|r| r.version.is_none())
            .filter_map(|r| inside_src(&r.path))
            .collect();
        GoInputs {
            inner,
            local_dirs,
            root: SRC.to_string(),
            gathered: Mutex::new(Gathered::default()),
            in_memory: IN_MEMORY,
        }
    }

    /// The check reads the module, or the workspace, at `root` below `src/`
    /// (the manifest's vendor root); local replacements resolve from there.
    pub fn below(mut self, root: &str, modules: &[Module]) -> GoInputs<'a> {
        self.root = inside_src(root).unwrap_or_else(|| SRC.to_string());
        self.local_dirs = modules
            .iter()
            .filter_map(|m| m.replace.as_ref())
            .filter(|r| r.version.is_none())
            .filter_map(|r| inside_src(&format!("{root}/{}", r.path)))
            .collect();
        self
    }

    /// modules.txt, go.work and go.work.sum at the root, and every go.mod
    /// and go.sum below `src/` but vendor/ (a workspace may use `../lib`,
    /// above its go.work): the small texts the check reads.
    fn is_text(&self, path: &str) -> bool {
        if let Some(below) = path.strip_prefix(self.root.as_str()) {
            if ["vendor/modules.txt", "go.work", "go.work.sum"].contains(&below) {
                return true;
            }
            if below.starts_with("vendor/") {
                return false;
            }
        }
        let name = path.rsplit('/').next().unwrap_or(path);
        path.starts_with(SRC) && ["go.mod", "go.sum"].contains(&name)
    }

    fn kind(&self, path: &str) -> Option<Kind> {
        let summary = format!("/{}", zip_proof::SUMMARY);
        match path {
            p if self.is_text(p) => Some(Kind::Text),
            p if p.starts_with(PROOFS) && p.ends_with(&summary) => Some(Kind::Text),
            p if p.starts_with(MODCACHE) && p.ends_with(".zip") => Some(Kind::Zip),
            p if p.ends_with(".go") && self.scans_go(p) => Some(Kind::Go),
            _ => None,
        }
    }

    /// The .go files whose facts the check may need: vendored ones, those of
    /// local replacement folders, and those a proof carries.
    fn scans_go(&self, path: &str) -> bool {
        path.starts_with(&format!("{}vendor/", self.root))
            || (path.starts_with(PROOFS) && path.contains(&format!("/{}", zip_proof::FILES)))
            || self.local_dirs.iter().any(|d| path.starts_with(d))
    }

    /// What was gathered, with the manifest's entries (all of which matched).
    pub fn finish(self, entries: &[Entry]) -> InBundle<'_> {
        let gathered = self
            .gathered
            .into_inner()
            .unwrap_or_else(|p| p.into_inner());
        let zips = gathered
            .zips
            .into_iter()
            .map(|(path, read)| (path, read.map(Arc::new)))
            .collect();
        InBundle {
            root: self.root,
            entries: entries.iter().map(|e| (e.path.as_str(), e)).collect(),
            all: entries,
            sorted: entries.windows(2).all(|w| w[0].path < w[1].path),
            has_cache: entries
                .iter()
                .any(|e| e.path.starts_with(MODCACHE) || e.path.starts_with(PROOFS)),
            texts: gathered.texts,
            zips: Mutex::new(zips),
            go_files: gathered.go_files,
        }
    }

    fn gather(&self, kind: Kind, entry: &Entry, copy: SpooledTempFile) -> io::Result<()> {
        let path = entry.path.as_str();
        let mut copy = BufReader::new(copy);
        match kind {
            Kind::Text => {
                let mut bytes = Vec::new();
                copy.read_to_end(&mut bytes)?;
                self.lock().texts.insert(path.to_string(), bytes);
            }
            Kind::Zip => {
                let read = modzip::read(copy, Path::new(path));
                self.lock().zips.insert(path.to_string(), read);
            }
            Kind::Go => {
                let go = GoFile::scan(&mut copy)?;
                if let Some(sha) = digest(entry) {
                    self.lock().go_files.insert(sha, go);
                }
            }
        }
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, Gathered> {
        self.gathered.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Sink for GoInputs<'_> {
    fn entry(&self, entry: &Entry, data: &mut dyn Read) -> io::Result<()> {
        let Some(kind) = self.kind(&entry.path) else {
            return self.inner.entry(entry, data);
        };
        let mut copy = SpooledTempFile::new(self.in_memory);
        let mut tee = Tap {
            inner: data,
            tap: |b: &[u8]| copy.write_all(b),
        };
        self.inner.entry(entry, &mut tee)?;
        io::copy(&mut tee, &mut io::sink())?;
        copy.rewind()?;
        self.gather(kind, entry, copy)
    }

    fn writes(&self) -> bool {
        self.inner.writes()
    }
}

/// The Go check's view of a verified bundle.
pub struct InBundle<'m> {
    root: String,
    entries: HashMap<&'m str, &'m Entry>,
    all: &'m [Entry],
    /// Whether `all` is sorted by path (a verified manifest's are): then the
    /// entries below a folder are one range, found by binary search.
    sorted: bool,
    has_cache: bool,
    texts: HashMap<String, Vec<u8>>,
    zips: Mutex<HashMap<String, Result<Arc<ModuleZip>, DirhashError>>>,
    go_files: HashMap<[u8; 32], GoFile>,
}

/// The entries whose path starts with `prefix`, with that prefix cut off.
fn below<'e>(
    all: &'e [Entry],
    sorted: bool,
    prefix: &'e str,
) -> impl Iterator<Item = (&'e str, &'e Entry)> {
    let range = match sorted {
        true => {
            let start = all.partition_point(|e| e.path.as_str() < prefix);
            let len = all[start..].partition_point(|e| e.path.starts_with(prefix));
            &all[start..start + len]
        }
        false => all,
    };
    range
        .iter()
        .filter_map(move |e| Some((e.path.strip_prefix(prefix)?, e)))
}

fn digest(e: &Entry) -> Option<[u8; 32]> {
    let mut d = [0u8; 32];
    hex::decode_to_slice(&e.sha256, &mut d).ok().map(|_| d)
}

impl Inputs for InBundle<'_> {
    fn text(&self, rel: &str) -> Result<Option<String>, CheckError> {
        let Some(path) = inside_src(&format!("{}{rel}", &self.root[SRC.len()..])) else {
            return Ok(None);
        };
        let path = path.trim_end_matches('/').to_string();
        let Some(bytes) = self.texts.get(&path) else {
            return Ok(None);
        };
        String::from_utf8(bytes.clone())
            .map(Some)
            .map_err(|e| CheckError::Io {
                path: path.into(),
                source: io::Error::new(io::ErrorKind::InvalidData, e),
            })
    }

    fn vendor(&self) -> Result<VendorListing, CheckError> {
        let prefix = format!("{}vendor/", self.root);
        Ok(listing(below(self.all, self.sorted, &prefix)))
    }

    fn folder(&self, rel: &str) -> Result<Option<BTreeMap<String, ModuleFile>>, CheckError> {
        let Some(prefix) = inside_src(&format!("{}{rel}", &self.root[SRC.len()..])) else {
            return Ok(None);
        };
        let files: BTreeMap<String, ModuleFile> = below(self.all, self.sorted, &prefix)
            .filter_map(|(below, e)| {
                let sha256 = digest(e)?;
                let go = below
                    .ends_with(".go")
                    .then(|| self.go_files.get(&sha256).cloned())
                    .flatten();
                Some((below.to_string(), ModuleFile { sha256, go }))
            })
            .collect();
        Ok((!files.is_empty()).then_some(files))
    }

    fn has_cache(&self) -> bool {
        self.has_cache
    }

    fn go_mod_hash(&self, path: &str, version: &str) -> Result<Option<String>, CheckError> {
        let cached = format!("{MODCACHE}{}", rel_path(path, version, "mod"));
        let proved = format!("{}{}", zip_proof::dir(path, version), zip_proof::GO_MOD);
        let digest_of = |name: &str| self.entries.get(name).and_then(|e| digest(e));
        let go_mod = zip_proof::one_go_mod(path, version, digest_of(&cached), digest_of(&proved))?;
        Ok(go_mod.map(|d| dirhash::hash1_of_digests(vec![("go.mod".into(), d)])))
    }

    fn zip(&self, path: &str, version: &str) -> Result<Option<Arc<ModuleZip>>, CheckError> {
        let cached = self.cached_zip(path, version)?;
        let proved = self.proved_zip(path, version)?;
        Ok(match (cached, proved) {
            (Some(zip), Some(proof)) => Some(agree(path, version, zip, &proof)?),
            (Some(zip), None) => Some(zip),
            (None, proved) => proved.map(Arc::new),
        })
    }

    fn carried_cache(&self) -> Result<Vec<String>, CheckError> {
        let carried = self
            .all
            .iter()
            .filter_map(|e| e.path.strip_prefix(MODCACHE));
        Ok(carried.map(str::to_string).collect())
    }

    fn proof_entries(&self) -> Result<Vec<String>, CheckError> {
        let proofs = self.all.iter().filter(|e| e.path.starts_with(PROOFS));
        Ok(proofs.map(|e| e.path.clone()).collect())
    }
}

impl InBundle<'_> {
    /// The carried zip `path@version` of modcache/, read as it streamed.
    fn cached_zip(&self, path: &str, version: &str) -> Result<Option<Arc<ModuleZip>>, CheckError> {
        let cached = format!("{MODCACHE}{}", rel_path(path, version, "zip"));
        let mut zips = self.zips.lock().unwrap_or_else(|p| p.into_inner());
        match zips.get(&cached) {
            None => Ok(None),
            Some(Ok(zip)) => Ok(Some(Arc::clone(zip))),
            Some(Err(_)) => match zips.remove(&cached) {
                Some(Err(e)) => Err(e.into()),
                _ => Ok(None),
            },
        }
    }

    /// The zip `path@version` as its proof describes it.
    fn proved_zip(&self, path: &str, version: &str) -> Result<Option<ModuleZip>, CheckError> {
        let dir = zip_proof::dir(path, version);
        let Some(summary) = self.texts.get(&format!("{dir}{}", zip_proof::SUMMARY)) else {
            return Ok(None);
        };
        let files = format!("{dir}{}", zip_proof::FILES);
        let carried: Vec<(String, [u8; 32])> = below(self.all, self.sorted, &files)
            .filter_map(|(rel, e)| Some((rel.to_string(), digest(e)?)))
            .collect();
        Ok(Some(zip_proof::prove(
            path,
            version,
            summary,
            &carried,
            &self.go_files,
        )?))
    }
}

/// What vendor/ holds, from a manifest whose entries were all checked (a
/// bundle's as it streamed, or an unpacked folder's files against it), so
/// that nothing is hashed a second time.
pub fn vendor_listing(entries: &[Entry], root: &str) -> VendorListing {
    let prefix = format!(
        "{}vendor/",
        inside_src(root).unwrap_or_else(|| SRC.to_string())
    );
    listing(below(entries, false, &prefix))
}

/// What vendor/ holds, from a signed manifest whose entries were all
/// verified: the entries under `src/vendor/` (with that cut off), so
/// nothing needs extracting to be hashed.
fn listing<'e>(below: impl Iterator<Item = (&'e str, &'e Entry)>) -> VendorListing {
    let mut out = VendorListing::default();
    for (rel, e) in below.filter(|(rel, _)| *rel != "modules.txt") {
        if let Some(d) = digest(e) {
            out.files.insert(rel.to_string(), d);
            out.sizes.insert(rel.to_string(), e.size);
        }
    }
    out
}

/// `src/<rel>/` for a folder of the main module, `None` when `rel` leads out of it.
fn inside_src(rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.iter().fold(SRC.to_string(), |acc, p| acc + p + "/"))
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use sha2::{Digest, Sha256};

    use super::*;
    use crate::bundle::reader::Discard;

    fn module_zip() -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, body) in [
            ("example.com/m@v1.0.0/go.mod", "module example.com/m\n"),
            (
                "example.com/m@v1.0.0/m.go",
                "//go:build ignore\n\npackage m\n",
            ),
            ("example.com/m@v1.0.0/LICENSE", "MIT"),
        ] {
            w.start_file(name, zip::write::SimpleFileOptions::default())
                .expect("start");
            w.write_all(body.as_bytes()).expect("write");
        }
        w.finish().expect("finish").into_inner()
    }

    #[test]
    fn a_zip_spooled_to_disk_reads_as_one_kept_in_memory() {
        let bytes = module_zip();
        let entry = Entry {
            path: "modcache/example.com/m/@v/v1.0.0.zip".into(),
            sha256: hex::encode(Sha256::digest(&bytes)),
            size: bytes.len() as u64,
            mode: 0o644,
        };
        let direct = modzip::read(Cursor::new(&bytes), Path::new("m.zip")).expect("reads");
        for in_memory in [0, IN_MEMORY] {
            let mut sink = GoInputs::new(&Discard, &[]);
            sink.in_memory = in_memory;
            sink.entry(&entry, &mut bytes.as_slice()).expect("sink");
            let entries = [entry.clone()];
            let got = sink.finish(&entries).zip("example.com/m", "v1.0.0");
            let got = got.expect("no error").expect("gathered");
            assert_eq!(got.h1, direct.h1, "spooled past {in_memory} bytes");
            let go = got.files_below("example.com/m@v1.0.0/")["m.go"].go.clone();
            assert_eq!(go.map(|g| g.vendored), Some(false));
        }
    }

    #[test]
    fn only_the_go_files_the_check_may_need_are_read() {
        let modules = [Module {
            path: "example.com/localdep".into(),
            version: "v0.0.0".into(),
            replace: Some(crate::bundle::manifest::ModuleReplace {
                path: "./third_party/localdep".into(),
                version: None,
            }),
            h1: None,
            go_mod_h1: None,
            explicit: true,
            go: None,
            packages: Vec::new(),
        }];
        let sink = GoInputs::new(&Discard, &modules);
        assert!(matches!(
            sink.kind("src/third_party/localdep/l.go"),
            Some(Kind::Go)
        ));
        assert!(sink.kind("src/main.go").is_none());
        assert!(sink.kind("src/internal/report/report.go").is_none());
        assert!(matches!(
            sink.kind("src/vendor/example.com/x/x.go"),
            Some(Kind::Go)
        ));
        let carried = "proofs/example.com/x/@v/v1.0.0/files/ignored.go";
        assert!(matches!(sink.kind(carried), Some(Kind::Go)));
        let summary = "proofs/example.com/x/@v/v1.0.0/summary";
        assert!(matches!(sink.kind(summary), Some(Kind::Text)));
        assert!(matches!(sink.kind("src/go.sum"), Some(Kind::Text)));
    }

    #[test]
    fn local_replacements_stay_inside_src() {
        assert_eq!(inside_src("./lib/x").as_deref(), Some("src/lib/x/"));
        assert_eq!(inside_src("lib/../y").as_deref(), Some("src/y/"));
        assert_eq!(inside_src("../other"), None);
        assert_eq!(inside_src(".").as_deref(), Some("src/"));
    }
}
