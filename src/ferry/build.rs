//! `ferry build`: the offline build of an unpacked bundle, for sites with Go
//! and no container engine.

use anyhow::Context;
use ferry::Exit;

use crate::flags::BuildArgs;

pub fn run(args: BuildArgs, quiet: bool) -> anyhow::Result<Exit> {
    let (built, warnings) =
        ferry::build::unpacked(&args.dir, args.pub_key.as_deref(), args.output.as_deref())
            .with_context(|| format!("build {}", args.dir.display()))?;
    for w in &warnings {
        eprintln!("ferry: warning: {w}");
    }
    if !quiet {
        println!(
            "built {} with {} ({})",
            built.binary.display(),
            built.go_version,
            built.isolation
        );
    }
    Ok(Exit::Ok)
}
