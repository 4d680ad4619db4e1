//! `ferry modules export`: a bundle's module download cache, verified, merged
//! into an intranet module proxy's folder.

use std::io::Write;

use ferry::Exit;
use ferry::ops::modules::{self, Layout};

use crate::flags::{ModulesCommand, ModulesExportArgs, ModulesLayout};
use crate::output::say;

pub fn run(cmd: ModulesCommand, quiet: bool, out: &mut dyn Write) -> anyhow::Result<Exit> {
    match cmd {
        ModulesCommand::Export(args) => export(args, quiet, out),
    }
}

fn export(args: ModulesExportArgs, quiet: bool, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let ctx = crate::context::from_env(quiet)?;
    let keys = crate::context::trusted_keys(&args.pub_keys)?;
    let layout = match args.layout {
        ModulesLayout::Goproxy => Layout::Goproxy,
        ModulesLayout::Athens => Layout::Athens,
    };
    let opened = modules::open(&args.target, &keys, &ctx)?;
    let exported = modules::export(&opened, &args.to, layout)?;
    if args.json {
        say!(out, "{:#}", serde_json::to_value(&exported)?);
        return Ok(Exit::Ok);
    }
    for m in &exported.modules {
        say!(out, "exported {} {} ({layout})", m.path, m.version);
    }
    say!(
        out,
        "{} modules, {} files written, {} already there",
        exported.modules.len(),
        exported.files_written,
        exported.files_present
    );
    Ok(Exit::Ok)
}
