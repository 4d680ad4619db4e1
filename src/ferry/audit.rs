//! `ferry audit`: a table (or JSON, or a CycloneDX SBOM) of every vendored
//! module with its license and verdict, every finding and policy violation,
//! and what could not be checked.

use ferry::audit::{Audit, Policy};
use ferry::{Error, Exit};

use crate::flags::{AuditArgs, AuditFormat};

pub fn run(args: AuditArgs, quiet: bool) -> anyhow::Result<Exit> {
    let policy = Policy {
        deny: args.deny_license.clone(),
        allow: args.allow_license.clone(),
        vulns: args.vulns || args.vulndb.is_some(),
        vulndb: args.vulndb.clone(),
    };
    if args.target.is_dir() {
        if let Some(m) = args.modcache.as_ref().filter(|m| !m.is_dir()) {
            return Err(Error::Usage(format!("--modcache {}: no such folder", m.display())).into());
        }
        let cache = args.modcache.clone().or_else(ferry::audit::default_cache);
        let audit = ferry::audit::dir(&args.target, cache.as_deref(), &policy)?;
        if matches!(args.format, AuditFormat::Cyclonedx) {
            print_sbom(&ferry::audit::sbom_of_dir(&args.target, &audit)?);
        } else {
            print(&audit, args.format);
        }
        return Ok(exit(&audit));
    }
    let (report, audit) =
        ferry::audit::bundle(&args.target, args.pub_key.as_deref(), &policy, quiet)?;
    let json = !matches!(args.format, AuditFormat::Table);
    match audit {
        Some(audit) if report.ok() => {
            match (&audit.sbom, args.format) {
                (Some(sbom), AuditFormat::Cyclonedx) => print_sbom(sbom),
                (None, AuditFormat::Cyclonedx) => {
                    return Err(Error::Usage(format!(
                        "{}: this bundle carries no sbom.cdx.json (made by an older ferry)",
                        args.target.display()
                    ))
                    .into());
                }
                _ => print(&audit, args.format),
            }
            Ok(exit(&audit))
        }
        Some(audit) => {
            print(&audit, args.format);
            Ok(crate::verify::print(&report, json, quiet))
        }
        None => Ok(crate::verify::print(&report, json, quiet)),
    }
}

fn exit(audit: &Audit) -> Exit {
    if audit.ok() {
        Exit::Ok
    } else {
        Exit::CheckFailed
    }
}

fn print_sbom(bytes: &[u8]) {
    print!("{}", String::from_utf8_lossy(bytes));
}

fn print(audit: &Audit, format: AuditFormat) {
    if !matches!(format, AuditFormat::Table) {
        let mut value = serde_json::to_value(audit).unwrap_or_default();
        value["ok"] = serde_json::Value::Bool(audit.ok());
        println!("{value:#}");
        return;
    }
    let mut modules = audit.licensed.clone();
    modules.sort_by(|a, b| {
        (&a.status.path, &a.status.version).cmp(&(&b.status.path, &b.status.version))
    });
    let rows: Vec<[String; 8]> = modules
        .iter()
        .map(|m| {
            let s = &m.status;
            let explicit = if s.explicit { "" } else { " (indirect)" };
            let replaced = match (&s.replace, s.replace_kind) {
                (Some(r), Some(kind)) => format!("{r} ({kind})"),
                (Some(r), None) => r.clone(),
                _ => String::new(),
            };
            [
                format!("{}{explicit}", s.path),
                s.version.clone(),
                replaced,
                m.license.clone(),
                s.packages.to_string(),
                s.vendored_files.to_string(),
                s.vendored_bytes.to_string(),
                s.status.clone(),
            ]
        })
        .collect();
    crate::table::print(
        [
            "MODULE",
            "VERSION",
            "REPLACED BY",
            "LICENSE",
            "PKGS",
            "FILES",
            "BYTES",
            "STATUS",
        ],
        &rows,
    );
    for f in &audit.check.findings {
        println!("FINDING {f}");
    }
    for p in &audit.policy {
        println!("POLICY {p}");
    }
    if let Some(v) = &audit.vulns {
        for h in &v.hits {
            let aliases = if h.aliases.is_empty() {
                String::new()
            } else {
                format!(" ({})", h.aliases.join(", "))
            };
            let fixed = h
                .fixed
                .as_deref()
                .map_or("no fixed version".to_string(), |f| format!("fixed in {f}"));
            println!(
                "VULN {}{aliases} {}@{}: {}; {fixed}",
                h.id, h.module, h.version, h.summary
            );
        }
        println!(
            "vulnerabilities: {} found in {} module versions against {} advisories (database snapshot of {})",
            v.hits.len(),
            v.modules_checked,
            v.advisories,
            v.snapshot.as_deref().unwrap_or("an unknown date")
        );
    }
    let c = &audit.check;
    let verified = c
        .modules_status
        .iter()
        .filter(|m| m.status == "verified")
        .count();
    println!(
        "{}: {} modules, {verified} verified, {} findings, {} policy violations, {} not checked; {} vendored files, {} hashes against go.sum",
        c.module,
        c.modules_status.len(),
        c.findings.len(),
        audit.policy.len(),
        c.not_checked.len(),
        c.vendored_files,
        c.hashes_checked
    );
}
