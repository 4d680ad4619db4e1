//! `ferry audit`: a table (or JSON) of every vendored module and its verdict,
//! every finding, and what could not be checked.

use ferry::gomod::verify::GoCheck;
use ferry::{Error, Exit};

use crate::flags::{AuditArgs, AuditFormat};

pub fn run(args: AuditArgs, quiet: bool) -> anyhow::Result<Exit> {
    if matches!(args.format, AuditFormat::Cyclonedx) {
        return Err(Error::NotBuilt("ferry audit --format cyclonedx", 6).into());
    }
    let json = matches!(args.format, AuditFormat::Json);
    if args.target.is_dir() {
        if let Some(m) = args.modcache.as_ref().filter(|m| !m.is_dir()) {
            return Err(Error::Usage(format!("--modcache {}: no such folder", m.display())).into());
        }
        let cache = args.modcache.clone().or_else(ferry::audit::default_cache);
        let check = ferry::audit::dir(&args.target, cache.as_deref())?;
        print(&check, json);
        return Ok(if check.findings.is_empty() {
            Exit::Ok
        } else {
            Exit::CheckFailed
        });
    }
    let (report, check) = ferry::audit::bundle(&args.target, args.pub_key.as_deref(), quiet)?;
    match check {
        Some(check) if report.ok() => {
            print(&check, json);
            Ok(Exit::Ok)
        }
        Some(check) => {
            print(&check, json);
            Ok(crate::verify::print(&report, json, quiet))
        }
        None => Ok(crate::verify::print(&report, json, quiet)),
    }
}

fn print(check: &GoCheck, json: bool) {
    if json {
        println!("{:#}", serde_json::to_value(check).unwrap_or_default());
        return;
    }
    let rows: Vec<[String; 5]> = check
        .modules_status
        .iter()
        .map(|m| {
            let explicit = if m.explicit { "" } else { " (indirect)" };
            [
                format!("{}{explicit}", m.path),
                m.version.clone(),
                m.replace.clone().unwrap_or_default(),
                m.vendored_files.to_string(),
                m.status.clone(),
            ]
        })
        .collect();
    crate::table::print(
        ["MODULE", "VERSION", "REPLACED BY", "FILES", "STATUS"],
        &rows,
    );
    for f in &check.findings {
        println!("FINDING {f}");
    }
    let verified = check
        .modules_status
        .iter()
        .filter(|m| m.status == "verified")
        .count();
    println!(
        "{}: {} modules, {verified} verified, {} findings, {} not checked; {} vendored files, {} hashes against go.sum",
        check.module,
        check.modules_status.len(),
        check.findings.len(),
        check.not_checked.len(),
        check.vendored_files,
        check.hashes_checked
    );
}
