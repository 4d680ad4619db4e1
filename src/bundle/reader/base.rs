//! A delta's base, read as part of the delta: the base is attached only when
//! its signed ferry.json is the one the delta names, and each entry the
//! delta takes from it streams out of the base's zip through the same checks
//! as a carried entry, held to the delta's manifest. The base is a bundle
//! (or its parts) or an unpacked folder of one ([`super::folder`]).

use std::collections::{HashMap, HashSet};

use indicatif::ProgressBar;
use sha2::{Digest, Sha256};

use super::{Bundle, Sink, folder};
use crate::bundle::diags::{BundleError, Check, CheckName, Code, Problem};
use crate::bundle::manifest::Manifest;
use crate::bundle::unpacked::Unpacked;

/// A delta's base, its signature checked: a bundle, or an unpacked folder
/// whose files are checked only as they are read.
pub enum Base {
    Bundle(Box<Bundle>),
    Folder(Box<Unpacked>),
}

/// A base's entry paths by content (sha256 and size): where a delta entry
/// taken from the base is found, whatever its name there.
pub(super) fn by_content(base: &Manifest) -> HashMap<(&str, u64), &str> {
    base.entries
        .iter()
        .map(|e| ((e.sha256.as_str(), e.size), e.path.as_str()))
        .collect()
}

impl Base {
    pub fn manifest(&self) -> &Manifest {
        match self {
            Base::Bundle(b) => &b.manifest,
            Base::Folder(f) => &f.manifest,
        }
    }

    pub fn manifest_sha256(&self) -> String {
        match self {
            Base::Bundle(b) => hex::encode(Sha256::digest(&b.manifest_bytes)),
            Base::Folder(f) => f.manifest_sha256.clone(),
        }
    }

    pub fn shown(&self) -> String {
        match self {
            Base::Bundle(b) => b.path.clone(),
            Base::Folder(f) => f.root.display().to_string(),
        }
    }
}

/// What the entries taken from the base came to.
#[derive(Default)]
pub(super) struct FromBase {
    pub checked: usize,
    pub bytes: u64,
    pub problems: Vec<Problem>,
    /// The base that was read, for the report.
    pub check: Option<Check>,
}

impl Bundle {
    /// Attaches `base` to this delta, if it is the base the delta names.
    pub fn attach_base(&mut self, base: Base) -> Result<(), BundleError> {
        let Some(named) = &self.manifest.base else {
            return Ok(());
        };
        let actual = base.manifest_sha256();
        if actual != named.manifest_sha256 {
            return Err(BundleError::WrongBase {
                path: self.path.clone(),
                given: base.shown(),
                expected: format!(
                    "{} {} (ferry.json sha256:{})",
                    named.module, named.version, named.manifest_sha256
                ),
                actual: format!(
                    "{} {} (ferry.json sha256:{actual})",
                    base.manifest().module.path,
                    base.manifest().module.version
                ),
            });
        }
        self.base = Some(base);
        Ok(())
    }

    /// Paths the delta says come from the base, which its zip carries anyway.
    pub(super) fn carried_from_base(&self, clean: &[(usize, usize)]) -> Vec<Problem> {
        let Some(named) = &self.manifest.base else {
            return Vec::new();
        };
        let from: HashSet<&str> = named.from_base.iter().map(String::as_str).collect();
        clean
            .iter()
            .map(|&(_, pos)| &self.manifest.entries[pos].path)
            .filter(|p| from.contains(p.as_str()))
            .map(|p| {
                Problem::new(
                    Code::FromBaseCarried,
                    p,
                    "carried, though the manifest takes it from the base",
                )
            })
            .collect()
    }

    /// Every entry taken from the base, streamed from the attached base; with
    /// no base attached, one problem saying what needs it. Marks them seen.
    pub(super) fn check_from_base(
        &self,
        seen: &mut [bool],
        sink: &dyn Sink,
        progress: &ProgressBar,
    ) -> Result<FromBase, BundleError> {
        let Some(named) = &self.manifest.base else {
            return Ok(FromBase::default());
        };
        let positions: Vec<usize> = named
            .from_base
            .iter()
            .filter_map(|p| {
                self.manifest
                    .entries
                    .binary_search_by(|e| e.path.as_str().cmp(p))
                    .ok()
            })
            .collect();
        for &pos in &positions {
            seen[pos] = true;
        }
        let Some(base) = &self.base else {
            let problem = format!(
                "{} entries come from the base {} {} (ferry.json sha256:{}) and were not checked: give it with --base OLD",
                positions.len() + named.images.len(),
                named.module,
                named.version,
                named.manifest_sha256
            );
            return Ok(FromBase {
                problems: vec![Problem::new(Code::NeedsBase, "(base)", problem)],
                ..FromBase::default()
            });
        };
        let base = match base {
            Base::Bundle(base) => base,
            Base::Folder(folder) => {
                let wanted: Vec<_> = positions
                    .iter()
                    .map(|&p| &self.manifest.entries[p])
                    .collect();
                let streamed = folder::stream(folder, &wanted, sink, progress)?;
                let check = Check {
                    check: CheckName::Base,
                    ok: streamed.problems.is_empty(),
                    detail: format!(
                        "{} {} {} (ferry.json sha256:{}) signed by key {}, {} entries taken from it",
                        folder.root.display(),
                        folder.manifest.module.path,
                        folder.manifest.module.version,
                        named.manifest_sha256,
                        folder.key_id,
                        positions.len()
                    ),
                };
                return Ok(FromBase {
                    check: Some(check),
                    checked: streamed.checked,
                    bytes: streamed.bytes,
                    problems: streamed.problems,
                });
            }
        };
        let (jobs, mut problems) = base.locate(&self.manifest.entries, &positions);
        let read = self.check_contents_in(&base.archive, &jobs, sink, progress)?;
        problems.extend(
            read.into_iter()
                .map(|p| base.name_in_base(p, &self.manifest.entries)),
        );
        let check = Check {
            check: CheckName::Base,
            ok: problems.is_empty(),
            detail: format!(
                "{} {} {} (ferry.json sha256:{}) signed by key {}, {} entries taken from it",
                base.path,
                base.manifest.module.path,
                base.manifest.module.version,
                named.manifest_sha256,
                base.key_id,
                positions.len()
            ),
        };
        Ok(FromBase {
            check: Some(check),
            checked: jobs.len(),
            bytes: jobs
                .iter()
                .map(|&(_, pos)| self.manifest.entries[pos].size)
                .sum(),
            problems,
        })
    }

    /// For each delta entry at `positions`, the zip index in this (base)
    /// bundle of an entry with the same sha256 and size.
    fn locate(
        &self,
        entries: &[crate::bundle::manifest::Entry],
        positions: &[usize],
    ) -> (Vec<(usize, usize)>, Vec<Problem>) {
        let by_content = by_content(&self.manifest);
        let mut jobs = Vec::new();
        let mut problems = Vec::new();
        for &pos in positions {
            let e = &entries[pos];
            let named = by_content.get(&(e.sha256.as_str(), e.size));
            match named.and_then(|path| self.archive.index_for_name(path)) {
                Some(i) => jobs.push((i, pos)),
                None => problems.push(Problem::new(
                    Code::Missing,
                    &e.path,
                    self.not_here(named.copied(), &e.sha256),
                )),
            }
        }
        (jobs, problems)
    }

    /// A problem with bytes read from this base, saying which file and entry
    /// they came from: `from the base v1.ferry, its src/main.go: …`.
    fn name_in_base(&self, mut p: Problem, entries: &[crate::bundle::manifest::Entry]) -> Problem {
        let ours = entries.iter().find(|e| e.path == p.entry);
        let theirs = ours.and_then(|e| {
            self.manifest
                .entries
                .iter()
                .find(|b| b.sha256 == e.sha256 && b.size == e.size)
        });
        if let Some(b) = theirs {
            p.problem = format!("from the base {}, its {}: {}", self.path, b.path, p.problem);
        }
        p
    }

    /// Why this base has no bytes for an entry: none listed, or (a delta
    /// given as a base) listed but in its own base.
    fn not_here(&self, listed: Option<&str>, sha256: &str) -> String {
        match (listed, &self.manifest.base) {
            (Some(path), Some(b)) => format!(
                "comes from the base, which is itself a delta: its {path} is in its base's base {} {}; give the full bundle of {} {} (or its unpacked folder) as --base",
                b.module, b.version, self.manifest.module.path, self.manifest.module.version
            ),
            _ => format!(
                "comes from the base {}, which has no entry with sha256 {sha256}",
                self.path
            ),
        }
    }
}
