//! The build proof: the planned build run once before signing, offline, with
//! an empty module cache, so that a bundle that would not build at the site
//! is never written.

use super::plan::BuildPlan;
use super::snapshot::Snapshot;
use crate::build;
use crate::error::Error;
use crate::ops::Context;

/// Builds the scratch tree as planned; returns how it was proven.
pub fn prove(snap: &Snapshot, plan: &BuildPlan, ctx: &Context) -> Result<String, Error> {
    let spin = ctx.progress.spinner("offline build");
    let out = snap.scratch.path().join("out").join(&plan.spec.binary);
    let built = build::offline(&snap.go, &snap.tree, &plan.spec, &out, &ctx.temp_dir)?;
    spin.finish_and_clear();
    Ok(format!(
        "{} mode, {}, empty module cache, {}",
        build::mode_name(plan.spec.mode),
        built.go_version,
        built.isolation
    ))
}
