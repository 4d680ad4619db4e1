//! `ferry audit`: a table (or JSON, or a CycloneDX SBOM) of every vendored
//! module with its license and verdict, every finding and policy violation,
//! and what could not be checked.

use std::io::Write;
use std::path::Path;

use ferry::audit::reach::Level;
use ferry::audit::vulns::Hit;
use ferry::audit::{Audit, Policy, sbom};
use ferry::gomod::check::Status;
use ferry::ops::audit as ops;
use ferry::sign::approvals::ApprovalReport;
use ferry::{Error, Exit};

use crate::flags::{AuditArgs, AuditFormat};
use crate::output::say;

pub fn run(args: AuditArgs, quiet: bool, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let mut ctx = crate::context::from_env(quiet)?;
    ctx.approvals = crate::context::approvals(&args.approval)?;
    ctx.base = args.base.base.clone();
    let policy = Policy {
        deny: args.deny_license.clone(),
        allow: args.allow_license.clone(),
        vulns: args.vulns || args.vulndb.is_some(),
        vulndb: args.vulndb.clone(),
        tags: args.tags.clone(),
        platform: args.platform.clone(),
        cgo: args.cgo,
    }
    .checked()
    .map_err(Error::Usage)?;
    if args.target.is_file() && (!args.tags.is_empty() || args.cgo) {
        return Err(Error::Usage(format!(
            "{}: --tags and --cgo are for a folder: a bundle's scan used pack's build",
            args.target.display()
        ))
        .into());
    }
    if args.approvals && !args.target.is_file() {
        return Err(Error::Usage(format!(
            "{}: --approvals lists the approvals of a bundle file",
            args.target.display()
        ))
        .into());
    }
    if args.target.is_dir() {
        if let Some(m) = args.modcache.as_ref().filter(|m| !m.is_dir()) {
            return Err(Error::Usage(format!("--modcache {}: no such folder", m.display())).into());
        }
        let cache = args.modcache.clone().or_else(|| ctx.module_cache.clone());
        let audit = ops::dir(&args.target, cache.as_deref(), &policy, &ctx)?;
        match args.format {
            AuditFormat::Cyclonedx => {
                out.write_all(&ops::sbom_of_dir(&args.target, &audit, &ctx)?)?
            }
            AuditFormat::Openvex => out.write_all(&openvex(&audit, &args, &ctx)?)?,
            _ => print(&audit, args.format, out)?,
        }
        return Ok(exit(&audit));
    }
    let keys = crate::context::trusted_keys(&args.pub_keys)?;
    let json = !matches!(args.format, AuditFormat::Table);
    if args.approvals {
        let (report, _) = ferry::ops::verify::run(&args.target, &keys, &ctx)?;
        if !report.ok() {
            return crate::verify::print(&report, json, quiet, out);
        }
        print_approvals(&args.target, report.approvals.as_ref(), json, out)?;
        return Ok(Exit::Ok);
    }
    let (report, audit) = ops::bundle(&args.target, &keys, &policy, &ctx)?;
    match audit {
        Some(audit) if report.ok() => {
            match (&audit.sbom, args.format) {
                (Some(sbom), AuditFormat::Cyclonedx) => match &audit.vulns {
                    Some(v) => {
                        let bom = sbom::with_vulnerabilities(sbom, &v.hits).map_err(|e| {
                            Error::Usage(format!("{}: sbom.cdx.json: {e}", args.target.display()))
                        })?;
                        out.write_all(&bom)?
                    }
                    None => out.write_all(sbom)?,
                },
                (_, AuditFormat::Openvex) => out.write_all(&openvex(&audit, &args, &ctx)?)?,
                (None, AuditFormat::Cyclonedx) => {
                    return Err(Error::Usage(format!(
                        "{}: this bundle carries no sbom.cdx.json (made by an older ferry)",
                        args.target.display()
                    ))
                    .into());
                }
                _ => print(&audit, args.format, out)?,
            }
            Ok(exit(&audit))
        }
        Some(audit) => {
            print(&audit, args.format, out)?;
            crate::verify::print(&report, json, quiet, out)
        }
        None => crate::verify::print(&report, json, quiet, out),
    }
}

/// The OpenVEX export, which only a vulnerability check has anything for.
fn openvex(audit: &Audit, args: &AuditArgs, ctx: &ferry::ops::Context) -> anyhow::Result<Vec<u8>> {
    if audit.vulns.is_none() {
        return Err(Error::Usage(format!(
            "{}: --format openvex exports the vulnerability check: add --vulns or --vulndb DIR|ZIP",
            args.target.display()
        ))
        .into());
    }
    Ok(audit.openvex(&ferry::bundle::writer::created(ctx.source_date_epoch)))
}

/// Each approval beside a bundle: whose, its trusted comment, and whether
/// it counts (and why not).
fn print_approvals(
    bundle: &Path,
    approvals: Option<&ApprovalReport>,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    if json {
        let value = serde_json::json!({ "ok": true, "approvals": approvals });
        say!(out, "{value:#}");
        return Ok(());
    }
    let Some(report) = approvals else {
        let folder = ferry::ops::approvals::folder(bundle);
        say!(out, "no approvals: {} holds none", folder.display());
        return Ok(());
    };
    let rows: Vec<[String; 5]> = report
        .approvals
        .iter()
        .map(|a| {
            [
                a.file.clone(),
                a.key_id.clone().unwrap_or_default(),
                a.approver.clone().unwrap_or_default(),
                a.status.to_string(),
                a.trusted_comment.clone().unwrap_or_default(),
            ]
        })
        .collect();
    crate::table::print(
        out,
        ["FILE", "KEY ID", "APPROVER", "STATUS", "TRUSTED COMMENT"],
        &rows,
    )?;
    say!(out, "approvals: {report}");
    Ok(())
}

/// `VULN id (aliases) module@version: summary; fixed in …; level`, the
/// level with its call path when a symbol is called. Every word of an
/// advisory is escaped: a folder's database is not checked for characters
/// that would rewrite the terminal (a bundle's is, and is refused).
fn vuln_line(h: &Hit) -> String {
    let aliases = match h.aliases.is_empty() {
        true => String::new(),
        false => format!(" ({})", h.aliases.join(", ")),
    };
    let fixed = h
        .fixed
        .as_deref()
        .map_or("no fixed version".to_string(), |f| format!("fixed in {f}"));
    let level = match (h.level, h.since_pack, h.changed_since_pack) {
        (_, true, _) => {
            "NEW since the pack: module version matches, reachability not analysed".to_string()
        }
        (_, _, true) => {
            "CHANGED since the pack: the advisory was revised, module version matches, reachability not analysed".to_string()
        }
        (None, _, _) => "module version matches, reachability not analysed".to_string(),
        (Some(Level::Called), _, _) => format!("symbol called: {}", h.call_path.join(" -> ")),
        (Some(Level::Imported), _, _) => {
            "package imported, no vulnerable symbol called".to_string()
        }
        (Some(Level::Required), _, _) => {
            "module required, vulnerable package not imported".to_string()
        }
    };
    escape(&format!(
        "VULN {}{aliases} {}@{}: {}; {fixed}; {level}",
        h.id, h.module, h.version, h.summary
    ))
}

/// Each control or invisible formatting character as `\u{…}`.
fn escape(line: &str) -> String {
    line.chars()
        .map(|c| match ferry::audit::vulns::hidden(c) {
            true => c.escape_unicode().to_string(),
            false => c.to_string(),
        })
        .collect()
}

fn exit(audit: &Audit) -> Exit {
    if audit.ok() {
        Exit::Ok
    } else {
        Exit::CheckFailed
    }
}

fn print(audit: &Audit, format: AuditFormat, out: &mut dyn Write) -> anyhow::Result<()> {
    if !matches!(format, AuditFormat::Table) {
        let mut value = serde_json::to_value(audit)?;
        value["ok"] = serde_json::Value::Bool(audit.ok());
        say!(out, "{value:#}");
        return Ok(());
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
                s.status.to_string(),
            ]
        })
        .collect();
    crate::table::print(
        out,
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
    )?;
    for f in &audit.check.findings {
        say!(out, "FINDING {f}");
    }
    for p in &audit.policy {
        say!(out, "POLICY {p}");
    }
    if let Some(v) = &audit.vulns {
        for h in &v.hits {
            say!(out, "{}", vuln_line(h));
        }
        let fresh = |h: &&Hit| !h.since_pack && !h.changed_since_pack;
        let by = |l: Option<Level>| v.hits.iter().filter(fresh).filter(|h| h.level == l).count();
        let levels = match &v.reachability {
            Some(scan) => format!(
                "; {} symbol called, {} package imported, {} module required, {} not analysed, {} new and {} changed since the pack (reachability by {} at {} time, {})",
                by(Some(Level::Called)),
                by(Some(Level::Imported)),
                by(Some(Level::Required)),
                by(None),
                v.hits.iter().filter(|h| h.since_pack).count(),
                v.hits.iter().filter(|h| h.changed_since_pack).count(),
                scan.scanner,
                scan.when,
                scan.go_version
            ),
            None => "; reachability not analysed".to_string(),
        };
        let line = format!(
            "vulnerabilities: {} found in {} module versions against {} advisories (database snapshot of {}){levels}",
            v.hits.len(),
            v.modules_checked,
            v.advisories,
            v.snapshot.as_deref().unwrap_or("an unknown date")
        );
        say!(out, "{}", escape(&line));
    }
    let c = &audit.check;
    let verified = c
        .modules_status
        .iter()
        .filter(|m| m.status == Status::Verified)
        .count();
    say!(
        out,
        "{}: {} modules, {verified} verified, {} findings, {} policy violations, {} not checked; {} vendored files, {} hashes against go.sum",
        c.module,
        c.modules_status.len(),
        c.findings.len(),
        audit.policy.len(),
        c.not_checked.len(),
        c.vendored_files,
        c.hashes_checked
    );
    Ok(())
}
