//! `ferry diff OLD NEW`: what a reviewer must look at since the last approved
//! bundle. Exit 0 whatever the difference: the report is the point.

use ferry::Exit;
use ferry::audit::diff::{self, Change, Diff};

use crate::flags::{DiffArgs, DiffFormat};

pub fn run(args: DiffArgs, quiet: bool) -> anyhow::Result<Exit> {
    let old = diff::side(&args.old, args.pub_key.as_deref(), quiet)?;
    let new = diff::side(&args.new, args.pub_key.as_deref(), quiet)?;
    let d = diff::diff(&old, &new);
    match args.format {
        DiffFormat::Json => println!("{:#}", serde_json::to_value(&d).unwrap_or_default()),
        DiffFormat::Table => print(&d, args.files),
    }
    Ok(Exit::Ok)
}

fn print(d: &Diff, files: bool) {
    println!("{} -> {}", d.old, d.new);
    println!("MODULES");
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
        println!("{line}");
    }
    println!("VENDORED FILES");
    for f in &d.vendored_files {
        println!(
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
                    println!("    {mark} {path}");
                }
            }
        }
    }
    println!("IMAGES");
    for i in &d.images {
        let show = |d: &Option<String>| d.clone().unwrap_or_else(|| "none".into());
        println!("  ~ {} {} -> {}", i.tag, show(&i.old), show(&i.new));
    }
    println!(
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
    println!(
        "{} module changes, {files_changed} vendored files changed in {} modules, {} images changed",
        d.modules.len(),
        d.vendored_files.len(),
        d.images.len()
    );
}
