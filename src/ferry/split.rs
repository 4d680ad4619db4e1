//! `ferry split`: an existing bundle cut into parts with a signed index.

use std::io::Write;

use anyhow::Context;
use ferry::Exit;
use ferry::bundle::parts::cut::Cut;

use crate::flags::SplitArgs;
use crate::output::say;

pub fn run(args: SplitArgs, quiet: bool, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let ctx = crate::context::from_env(quiet)?;
    if !quiet && !args.json {
        eprintln!("ferry: parts of {}", args.size);
    }
    let cut = ferry::ops::split::run(&args.bundle, args.size.bytes, &args.key, &ctx)
        .with_context(|| format!("split {}", args.bundle.display()))?;
    match (args.json, quiet) {
        (true, _) => say!(out, "{}", serde_json::to_string_pretty(&cut)?),
        (false, false) => print_cut(&cut, out)?,
        (false, true) => {}
    }
    Ok(Exit::Ok)
}

/// The parts and the index, one line each.
pub fn print_cut(cut: &Cut, out: &mut dyn Write) -> anyhow::Result<()> {
    say!(
        out,
        "cut {} bytes (sha256:{}) into {} part(s) of at most {} bytes; index {} signed ({})",
        cut.size,
        cut.sha256,
        cut.parts.len(),
        cut.part_size,
        cut.index.display(),
        cut.signature.display()
    );
    for part in &cut.parts {
        say!(
            out,
            "  {} {} bytes sha256:{}",
            part.path.display(),
            part.size,
            part.sha256
        );
    }
    Ok(())
}
