//! pack's reachability stage (with `--vulndb`): govulncheck over the scratch
//! tree's go.mod and vendor/ against the snapshot, its findings by level for
//! `vulns.json`, and the SBOM again with its `vulnerabilities`.

use super::PackOptions;
use super::snapshot::Snapshot;
use crate::audit::reach::Reach;
use crate::audit::{self, sbom, vulns};
use crate::error::Error;
use crate::gomod::check::{GoCheck, ModuleStatus};
use crate::ops::Context;

/// What the stage adds to the bundle: the `vulns.json` bytes, and the SBOM
/// that replaces the one without vulnerabilities.
pub struct Reached {
    pub entry: Vec<u8>,
    pub sbom: Vec<u8>,
}

/// Nothing without `--vulndb`; else the scan (for the build's platform, cgo
/// and tags), its record and the SBOM.
pub fn run(
    opts: &PackOptions,
    snap: &Snapshot,
    go: &GoCheck,
    sbom_bytes: &[u8],
    ctx: &Context,
) -> Result<Option<Reached>, Error> {
    let Some(db) = &snap.vulndb else {
        return Ok(None);
    };
    let build = crate::ops::audit::scan_build(&opts.platform, opts.cgo, &opts.tags)?;
    // The main module's folder below src/, with the scratch go.work in a
    // workspace (whose vendor/ sits beside it).
    let gowork = snap.work.as_ref().map(|_| snap.vendor_root.join("go.work"));
    let root = snap.module_root();
    let reach: Reach = crate::ops::audit::scan(&root, gowork.as_deref(), db, &build, ctx)?;
    let modules: Vec<(String, String)> = go
        .modules_status
        .iter()
        .filter_map(ModuleStatus::built)
        .collect();
    let mut hits = vulns::matches(db, &modules);
    audit::with_levels(
        &mut hits,
        db,
        &audit::Reachability {
            reach: &reach,
            when: "pack",
            known: None,
        },
    );
    Ok(Some(Reached {
        entry: reach
            .to_bytes()
            .map_err(|e| Error::Usage(format!("{}: {e}", crate::bundle::VULNS)))?,
        sbom: sbom::with_vulnerabilities(sbom_bytes, &hits)
            .map_err(|e| Error::Usage(format!("{}: {e}", crate::bundle::SBOM)))?,
    }))
}
