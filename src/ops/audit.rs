//! `audit`: what third-party code a module folder or a bundle carries, and
//! whether each module's vendored files are bound to code whose hash go.sum
//! pins. A bundle is verified (signature first) before it is audited.

use std::path::Path;

use super::{Context, read_go_text};
use crate::audit::{Audit, Policy, sbom, vulns};
use crate::bundle::diags::Report;
use crate::bundle::extract::Extract;
use crate::bundle::manifest::{self, MainModule};
use crate::bundle::{SBOM, VULNDB, writer};
use crate::error::Error;
use crate::gomod::{check, modules_txt};
use crate::sign::TrustedKeys;
use crate::vcs;

/// Audits a Go module folder (or a go.work workspace's folder) with a
/// vendor/; `cache` is a GOPROXY-layout folder.
pub fn dir(dir: &Path, cache: Option<&Path>, policy: &Policy) -> Result<Audit, Error> {
    if !dir.join("go.mod").is_file() && !dir.join("go.work").is_file() {
        return Err(Error::Usage(format!(
            "{}: no go.mod or go.work: audit takes a Go module folder, a workspace folder or a bundle",
            dir.display()
        )));
    }
    let mut audit = Audit::new(dir, check::run_on_disk(dir, cache, None)?, policy);
    if policy.vulns {
        let db = policy.vulndb.as_deref().ok_or_else(|| {
            Error::Usage(format!(
                "{}: --vulns on a folder needs --vulndb DIR|ZIP (a Go vulnerability database snapshot)",
                dir.display()
            ))
        })?;
        audit.check_vulns(&vulns::load(db)?);
    }
    Ok(audit)
}

/// Audits a bundle: everything `verify` checks first, then the Go check and
/// licenses on its extracted src/ (the Go check reads modcache/ as it streams).
pub fn bundle(
    bundle: &Path,
    keys: &TrustedKeys,
    policy: &Policy,
    ctx: &Context,
) -> Result<(Report, Option<Audit>), Error> {
    let temp = ctx.temp("audit")?;
    let sink = Extract::only(temp.path(), &["src/", SBOM, VULNDB]);
    let checked = super::verify::check_streaming(bundle, keys, &sink, ctx)?;
    let Some(check) = checked.go else {
        return Ok((checked.report, None));
    };
    let root = checked.bundle.manifest.module.layout.vendor_root();
    let mut audit = Audit::new(&temp.path().join("src").join(root), check, policy);
    let sbom_path = temp.path().join(SBOM);
    audit.sbom = match std::fs::read(&sbom_path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(&sbom_path)(e)),
    };
    if policy.vulns {
        let bundled = temp.path().join(VULNDB);
        let db = match &policy.vulndb {
            Some(db) => db.clone(),
            None if bundled.is_dir() => bundled,
            None => {
                return Err(Error::Usage(format!(
                    "{}: carries no vulnerability database: pack with --vulndb, or pass --vulndb DIR|ZIP",
                    bundle.display()
                )));
            }
        };
        audit.check_vulns(&vulns::load(&db)?);
    }
    Ok((checked.report, Some(audit)))
}

/// The CycloneDX SBOM of a module folder, as pack would write it; the
/// dependency graph is `go mod graph` from the local module cache, and empty
/// when Go or the cache cannot give it offline.
pub fn sbom_of_dir(dir: &Path, audit: &Audit, ctx: &Context) -> Result<Vec<u8>, Error> {
    // A module's go.mod and go.sum, or a workspace's modules and their go.sum files.
    let disk = check::Disk {
        tree: dir,
        cache: None,
    };
    let mains = check::MainModules::read(&disk, None)?;
    let (modfile, sum) = (mains.first(), mains.sum);
    let txt = modules_txt::parse(&read_go_text(dir, "vendor/modules.txt")?)?;
    let graph = ctx
        .go()
        .and_then(|go| Ok(go.mod_graph(dir)?))
        .map(|text| sbom::parse_graph(&text))
        .unwrap_or_default();
    let main = MainModule::new(&modfile, vcs::describe(dir));
    let created = writer::created(ctx.source_date_epoch);
    let modules = manifest::modules(&txt, &sum);
    Ok(sbom::of_module(
        &main,
        &created,
        &modules,
        &audit.licensed,
        &graph,
    ))
}
