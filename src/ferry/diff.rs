//! `ferry diff OLD NEW`: what a reviewer must look at since the last approved
//! bundle. Exit 0 whatever the difference: the report is the point.

use std::io::Write;

use ferry::Exit;
use ferry::audit::diff::{Change, Diff};

use crate::flags::{DiffArgs, DiffFormat};
use crate::output::say;

pub fn run(args: DiffArgs, quiet: bool, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let mut ctx = crate::context::from_env(quiet)?;
    ctx.base = args.base.base.clone();
    let keys = crate::context::trusted_keys(&args.pub_keys)?;
    let d = ferry::ops::diff::run(&args.old, &args.new, &keys, &mut ctx)?;
    match args.format {
        DiffFormat::Json => say!(out, "{:#}", serde_json::to_value(&d)?),
        DiffFormat::Table => print(&d, args.files, out)?,
    }
    Ok(Exit::Ok)
}

fn print(d: &Diff, files: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    say!(out, "{} -> {}", d.old, d.new);
    say!(out, "MODULES");
    for m in &d.modules {
        let (old, new) = (
            m.old.as_deref().unwrap_or("none"),
            m.new.as_deref().unwrap_or("none"),
        );
        let line = match m.change {
            Change::Added => format!("  + {} {new}", m.path),
            Change::Removed => format!("  - {} {old}", m.path),
            Change::Upgraded => format!("  ^ {} {old} -> {new}", m.path),
            Change::Downgraded => format!("  v {} {old} -> {new} (downgraded)", m.path),
            Change::ReplacementChanged => format!("  ~ {} replacement: {old} -> {new}", m.path),
            Change::LicenseChanged => format!("  ~ {} license: {old} -> {new}", m.path),
        };
        say!(out, "{line}");
    }
    say!(out, "VENDORED FILES");
    for f in &d.vendored_files {
        say!(
            out,
            "  {}: {} changed, {} added, {} removed",
            f.module,
            f.changed.len(),
            f.added.len(),
            f.removed.len()
        );
        if files {
            let marked = [("M", &f.changed), ("A", &f.added), ("D", &f.removed)];
            for (mark, list) in marked {
                for path in list {
                    say!(out, "    {mark} {path}");
                }
            }
        }
    }
    say!(out, "IMAGES");
    for i in &d.images {
        let show = |d: &Option<String>| d.clone().unwrap_or_else(|| "none".into());
        say!(out, "  ~ {} {} -> {}", i.tag, show(&i.old), show(&i.new));
    }
    say!(
        out,
        "DOCKERFILE {}",
        if d.dockerfile_changed {
            "changed"
        } else {
            "unchanged"
        }
    );
    let files_changed: usize = d
        .vendored_files
        .iter()
        .map(|f| f.added.len() + f.removed.len() + f.changed.len())
        .sum();
    say!(
        out,
        "{} module changes, {files_changed} vendored files changed in {} modules, {} images changed",
        d.modules.len(),
        d.vendored_files.len(),
        d.images.len()
    );
    Ok(())
}
