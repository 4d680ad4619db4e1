//! `audit`: what third-party code a module folder or a bundle carries, and
//! whether each module's vendored files are bound to code whose hash go.sum
//! pins. A bundle is verified (signature first) before it is audited.

use std::path::Path;

use super::{Context, read_go_text};
use crate::audit::reach::{self, Reach, ScanBuild};
use crate::audit::{Audit, Policy, Reachability, sbom, vulns};
use crate::bundle::diags::Report;
use crate::bundle::extract::Extract;
use crate::bundle::manifest::{self, MainModule};
use crate::bundle::{SBOM, VULNDB, VULNS, writer};
use crate::error::Error;
use crate::gomod::{check, modules_txt};
use crate::sign::TrustedKeys;
use crate::vcs;

/// Audits a Go module folder (or a go.work workspace's folder) with a
/// vendor/; `cache` is a GOPROXY-layout folder. With a vulnerability
/// database, govulncheck says how close the code comes to each match.
pub fn dir(
    dir: &Path,
    cache: Option<&Path>,
    policy: &Policy,
    ctx: &Context,
) -> Result<Audit, Error> {
    if let Some(base) = &ctx.base {
        return Err(Error::Usage(format!(
            "--base {}: {} is a module folder, read whole; --base reads a delta bundle file against its base",
            base.display(),
            dir.display()
        )));
    }
    if !dir.join("go.mod").is_file() && !dir.join("go.work").is_file() {
        return Err(Error::Usage(format!(
            "{}: no go.mod or go.work: audit takes a Go module folder, a workspace folder or a bundle",
            dir.display()
        )));
    }
    let mut audit = Audit::new(dir, check::run_on_disk(dir, cache, None)?, policy);
    audit.version = Some(vcs::describe(dir));
    if policy.vulns {
        let db = policy.vulndb.as_deref().ok_or_else(|| {
            Error::Usage(format!(
                "{}: --vulns on a folder needs --vulndb DIR|ZIP (a Go vulnerability database snapshot)",
                dir.display()
            ))
        })?;
        if !dir.join("go.mod").is_file() {
            return Err(Error::Usage(format!(
                "{}: --vulns scans a module: govulncheck reads one go.mod; audit the workspace's module folder that holds the program (ferry audit {}/MODULE --vulns --vulndb …)",
                dir.display(),
                dir.display()
            )));
        }
        let snapshot = vulns::load(db)?;
        let build = scan_build(&policy.platform, policy.cgo, &policy.tags)?;
        let reach = scan(dir, None, &snapshot, &build, ctx)?;
        let scan = Reachability {
            reach: &reach,
            when: "audit",
            known: None,
        };
        audit.check_vulns(&snapshot, Some(scan));
    }
    Ok(audit)
}

/// The build govulncheck scans: the platform (`os/arch`), cgo and tags
/// the offline build uses.
pub fn scan_build(platform: &str, cgo: bool, tags: &[String]) -> Result<ScanBuild, Error> {
    ScanBuild::new(platform, cgo, tags).ok_or_else(|| {
        Error::Usage(format!(
            "--platform {platform:?}: govulncheck scans for a platform os/arch (linux/amd64)"
        ))
    })
}

/// govulncheck over `tree` (go.mod and vendor/) against `snapshot`, written
/// first in the layout govulncheck reads, for exactly `build`.
pub fn scan(
    tree: &Path,
    gowork: Option<&Path>,
    snapshot: &vulns::Snapshot,
    build: &ScanBuild,
    ctx: &Context,
) -> Result<Reach, Error> {
    let temp = ctx.temp("vulndb")?;
    vulns::write_layout(snapshot, temp.path())?;
    Ok(reach::run(
        &ctx.govulncheck,
        tree,
        gowork,
        temp.path(),
        build,
    )?)
}

/// Audits a bundle: everything `verify` checks first, then the Go check and
/// licenses on its extracted src/ (the Go check reads modcache/ as it streams).
/// `--vulns` matches the bundle's database (or a newer `--vulndb`) and gives
/// each match the level pack's govulncheck scan recorded in vulns.json.
pub fn bundle(
    bundle: &Path,
    keys: &TrustedKeys,
    policy: &Policy,
    ctx: &Context,
) -> Result<(Report, Option<Audit>), Error> {
    let temp = ctx.temp("audit")?;
    let sink = Extract::only(temp.path(), &["src/", SBOM, VULNDB, VULNS]);
    let checked = super::verify::check_streaming(bundle, keys, &sink, ctx)?;
    let Some(check) = checked.go else {
        return Ok((checked.report, None));
    };
    let root = checked.bundle.manifest.module.layout.vendor_root();
    let mut audit = Audit::new(&temp.path().join("src").join(root), check, policy);
    audit.version = checked.report.version.clone();
    audit.sbom = read_if_exists(&temp.path().join(SBOM))?;
    if policy.vulns {
        audit_vulns(&mut audit, bundle, temp.path(), checked.report.ok(), policy)?;
    }
    Ok((checked.report, Some(audit)))
}

/// `--vulns` on a bundle: its own database, revised by a newer `--vulndb`
/// (never an older one), each match with the level vulns.json records when
/// the bundle's checks (vulns.json's cross-checks among them) passed.
fn audit_vulns(
    audit: &mut Audit,
    bundle: &Path,
    extracted: &Path,
    checked: bool,
    policy: &Policy,
) -> Result<(), Error> {
    let bundled = extracted.join(VULNDB);
    let own = match bundled.is_dir() {
        true => Some(vulns::load(&bundled)?),
        false => None,
    };
    let newer = policy.vulndb.as_deref().map(vulns::load).transpose()?;
    let snapshot = match (&own, newer) {
        (Some(own), Some(newer)) => own.clone().merge(newer).map_err(|e| {
            let db = policy.vulndb.as_deref().unwrap_or(Path::new(""));
            Error::Usage(format!("--vulndb {}: {e}", db.display()))
        })?,
        (None, Some(newer)) => newer,
        (Some(own), None) => own.clone(),
        (None, None) => {
            return Err(Error::Usage(format!(
                "{}: carries no vulnerability database: pack with --vulndb, or pass --vulndb DIR|ZIP",
                bundle.display()
            )));
        }
    };
    let reach = match read_if_exists(&extracted.join(VULNS))? {
        Some(bytes) if checked => serde_json::from_slice::<Reach>(&bytes).ok(),
        _ => None,
    };
    let scan = reach.as_ref().map(|reach| Reachability {
        reach,
        when: "pack",
        known: own.as_ref(),
    });
    audit.check_vulns(&snapshot, scan);
    Ok(())
}

fn read_if_exists(path: &Path) -> Result<Option<Vec<u8>>, Error> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path)(e)),
    }
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
    let bom = sbom::of_module(&main, &created, &modules, &audit.licensed, &graph);
    Ok(match &audit.vulns {
        Some(v) => sbom::with_vulnerabilities(&bom, &v.hits)
            .map_err(|e| Error::Usage(format!("{}: its SBOM: {e}", dir.display())))?,
        None => bom,
    })
}
