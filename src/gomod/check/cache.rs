//! The module cache side of the Go check: every zip that go.sum names or
//! binding needs, read once on every core; each zip and go.mod against its
//! go.sum line; and the verified files of one module for binding.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rayon::prelude::*;

use super::{CheckError, GoCheck, Inputs, NotChecked};
use crate::gomod::diags::{Code, Finding};
use crate::gomod::gosum::GoSum;
use crate::gomod::modcache::{parse_rel, rel_path};
use crate::gomod::modules_txt::{ModulesTxt, VendoredModule};
use crate::gomod::modzip::ModuleZip;
use crate::gomod::vendor_rules::ModuleFile;

/// Module zips read, by cache path.
pub(super) type Zips = BTreeMap<String, Arc<ModuleZip>>;

/// Every module zip that go.sum names or binding needs, read on every core.
pub(super) fn read_zips(
    inputs: &dyn Inputs,
    sum: &GoSum,
    bound: &BTreeSet<(String, String)>,
) -> Result<Zips, CheckError> {
    let wanted: BTreeSet<(String, String)> = sum
        .lines
        .iter()
        .filter(|l| !l.go_mod)
        .map(|l| (&l.path, &l.version))
        .chain(bound.iter().map(|(p, v)| (p, v)))
        .map(|(p, v)| (p.clone(), v.clone()))
        .collect();
    let read: Vec<_> = wanted
        .into_par_iter()
        .map(|(p, v)| Ok(inputs.zip(&p, &v)?.map(|z| (rel_path(&p, &v, "zip"), z))))
        .collect::<Result<_, CheckError>>()?;
    Ok(read.into_iter().flatten().collect())
}

/// Every module zip and go.mod of the cache that go.sum names matches it;
/// the zips in `skip` are counted where binding reads them.
pub(super) fn check(
    inputs: &dyn Inputs,
    zips: &Zips,
    sum: &GoSum,
    skip: &BTreeSet<(String, String)>,
    out: &mut GoCheck,
) -> Result<(), CheckError> {
    for line in &sum.lines {
        let ext = if line.go_mod { "mod" } else { "zip" };
        let rel = rel_path(&line.path, &line.version, ext);
        let actual = if line.go_mod {
            inputs.go_mod_hash(&line.path, &line.version)?
        } else if skip.contains(&(line.path.clone(), line.version.clone())) {
            continue;
        } else {
            zips.get(&rel).map(|z| z.h1.clone())
        };
        let Some(actual) = actual else {
            continue;
        };
        out.hashes_checked += 1;
        if actual != line.hash {
            out.findings.push(
                Finding::new(
                    Code::GoSumMismatch,
                    &line.path,
                    &line.version,
                    &format!("modcache/{rel}"),
                    format!("does not match go.sum line {}", line.line),
                )
                .hashes(Some(line.hash.clone()), Some(actual)),
            );
        }
    }
    Ok(())
}

/// Nothing unhashed crosses: every file a bundle carries in modcache/ is of
/// a module version go.sum pins (its zip, or its go.mod for `.mod`).
pub(super) fn check_pinned(
    inputs: &dyn Inputs,
    sum: &GoSum,
    out: &mut GoCheck,
) -> Result<(), CheckError> {
    for rel in inputs.carried_cache()? {
        let file = format!("modcache/{rel}");
        let name = match parse_rel(&rel) {
            Ok(name) => name,
            Err(why) => {
                out.findings
                    .push(Finding::new(Code::GoSumMissing, "", "", &file, why));
                continue;
            }
        };
        if sum
            .hash(&name.path, &name.version, name.ext == "mod")
            .is_none()
        {
            let problem = "is carried, but go.sum pins no such file of this module version";
            out.findings.push(Finding::new(
                Code::GoSumMissing,
                &name.path,
                &name.version,
                &file,
                problem,
            ));
        }
    }
    Ok(())
}

/// The zips that binding reads (and hashes) itself: the code of each
/// vendored module with packages, the replacement's when replaced by a version.
pub(super) fn bound_zips(txt: &ModulesTxt) -> BTreeSet<(String, String)> {
    txt.modules
        .iter()
        .filter(|m| !m.packages.is_empty())
        .filter_map(|m| match &m.replace {
            Some(r) => r.version.clone().map(|v| (r.path.clone(), v)),
            None => Some((m.path.clone(), m.version.clone())),
        })
        .collect()
}

/// The files of a vendored module: from its verified zip, or its local
/// replacement folder. `None` (with a not-checked note) when neither is here.
pub(super) fn module_files(
    inputs: &dyn Inputs,
    zips: &Zips,
    m: &VendoredModule,
    sum: &GoSum,
    out: &mut GoCheck,
) -> Result<Option<BTreeMap<String, ModuleFile>>, CheckError> {
    let not_checked = |out: &mut GoCheck, reason: String| {
        out.not_checked.push(NotChecked {
            module: m.path.clone(),
            version: m.version.clone(),
            reason,
        });
        Ok(None)
    };
    if let Some(r) = m.replace.as_ref().filter(|r| r.is_local()) {
        return match inputs.folder(&r.path)? {
            Some(files) => Ok(Some(files)),
            None => not_checked(
                out,
                format!("local replacement {} is not in the tree", r.path),
            ),
        };
    }
    let (path, version) = match &m.replace {
        Some(r) => (r.path.as_str(), r.version.as_deref().unwrap_or_default()),
        None => (m.path.as_str(), m.version.as_str()),
    };
    if !inputs.has_cache() {
        return not_checked(out, "not checked: module cache absent".into());
    }
    let rel = rel_path(path, version, "zip");
    let Some(zip) = zips.get(&rel) else {
        return not_checked(
            out,
            format!("not checked: {rel} is not in the module cache"),
        );
    };
    out.hashes_checked += 1;
    check_zip_sum(zip, path, version, &rel, sum, out);
    Ok(Some(zip.files_below(&format!("{path}@{version}/"))))
}

/// A bound module's zip against its go.sum line, which must exist.
fn check_zip_sum(
    zip: &ModuleZip,
    path: &str,
    version: &str,
    rel: &str,
    sum: &GoSum,
    out: &mut GoCheck,
) {
    let h1 = zip.h1.clone();
    match sum.hash(path, version, false) {
        None => out.findings.push(
            Finding::new(
                Code::GoSumMissing,
                path,
                version,
                "go.sum",
                "go.sum has no line for this module zip",
            )
            .hashes(None, Some(h1)),
        ),
        Some(want) if want != h1 => out.findings.push(
            Finding::new(
                Code::GoSumMismatch,
                path,
                version,
                &format!("modcache/{rel}"),
                "module zip does not match go.sum",
            )
            .hashes(Some(want.into()), Some(h1)),
        ),
        Some(_) => {}
    }
}
