//! The build proof: the planned build run once before signing, offline, with
//! an empty module cache, so that a bundle that would not build at the site
//! is never written.

use super::plan::BuildPlan;
use super::snapshot::Snapshot;
use crate::build;
use crate::error::Error;
use crate::ops::Context;

/// Builds every binary of the plan from the scratch tree; returns how it
/// was proven (each result a program, or no proof at all).
pub fn prove(snap: &Snapshot, plan: &BuildPlan, ctx: &Context) -> Result<String, Error> {
    let spin = ctx.progress.spinner("offline build");
    let out = snap.scratch.path().join("out");
    let outs: Vec<_> = plan
        .spec
        .mains
        .iter()
        .map(|m| out.join(&m.binary))
        .collect();
    std::fs::create_dir_all(&out).map_err(Error::io(&out))?;
    let built = build::offline(&snap.go, &snap.tree, &plan.spec, &outs, &ctx.temp_dir)?;
    spin.finish_and_clear();
    let names: Vec<&str> = plan.spec.mains.iter().map(|m| m.binary.as_str()).collect();
    let Some(first) = built.first() else {
        return Err(Error::Usage("no main package to build".into()));
    };
    Ok(format!(
        "{} mode, {}, empty module cache, {}, built {}",
        build::mode_name(plan.spec.mode),
        first.go_version,
        first.isolation,
        names.join(", ")
    ))
}
