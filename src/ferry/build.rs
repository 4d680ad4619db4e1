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
    let done = ferry::ops::build::run(
        &args.dir,
        &crate::context::trusted_keys(&args.pub_keys)?,
        args.output.as_deref(),
        &ctx,
    )
    .with_context(|| format!("build {}", args.dir.display()))?;
    for w in &done.warnings {
        eprintln!("ferry: warning: {w}");
    }
    if let Some(cc) = &done.cgo_compiler {
        say!(
            out,
            "cgo on (the manifest's build.cgo, CGO_ENABLED=1): the vendored C code was compiled with {cc}; the binaries link this machine's C library"
        );
    }
    if !quiet {
        for b in &done.binaries {
            say!(
                out,
                "built {} with {} ({}); provenance {}",
                b.built.binary.display(),
                b.built.go_version,
                b.built.isolation,
                b.provenance.display()
            );
        }
    }
    Ok(Exit::Ok)
}
