//! `ferry build`: the offline build of an unpacked bundle, for sites with Go
//! and no container engine.

use std::io::Write;

use anyhow::Context;
use ferry::Exit;

use crate::flags::BuildArgs;
use crate::output::say;

pub fn run(args: BuildArgs, quiet: bool, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let mut ctx = crate::context::from_env(quiet)?;
    ctx.approvals = crate::context::approvals(&args.approvals)?;
    let (built, warnings) = ferry::ops::build::run(
        &args.dir,
        &crate::context::trusted_keys(&args.pub_keys)?,
        args.output.as_deref(),
        &ctx,
    )
    .with_context(|| format!("build {}", args.dir.display()))?;
    for w in &warnings {
        eprintln!("ferry: warning: {w}");
    }
    if !quiet {
        say!(
            out,
            "built {} with {} ({})",
            built.binary.display(),
            built.go_version,
            built.isolation
        );
    }
    Ok(Exit::Ok)
}
