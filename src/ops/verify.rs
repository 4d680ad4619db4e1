//! `verify`: the signature, then every entry and the archive's layout, then the
//! Go binding inside the bundle (each vendored file against its module zip in
//! modcache/, each zip against go.sum). The Go check reads what streamed past
//! (`bundle::go_inputs`): verify writes nothing anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::Context;
use crate::bundle::MANIFEST;
use crate::bundle::diags::{BundleError, Check, CheckName, Code, Problem, Report};
use crate::bundle::go_inputs::GoInputs;
use crate::bundle::manifest::{self, Manifest, Module};
use crate::bundle::reader::{self, Discard, Sink};
use crate::error::Error;
use crate::gomod::check::{self, GoCheck, Inputs};
use crate::gomod::diags::Finding;
use crate::gomod::modules_txt;
use crate::sign::TrustedKeys;
use crate::sign::approvals::BundleSigner;

/// Checks a bundle; `Ok` carries the report whether or not problems were found.
pub fn run(
    bundle: &Path,
    keys: &TrustedKeys,
    ctx: &Context,
) -> Result<(Report, Option<GoCheck>), Error> {
    let checked = check_streaming(bundle, keys, &Discard, ctx)?;
    Ok((checked.report, checked.go))
}

/// A bundle read whole: what was found, and the Go check when every entry
/// matched the signed manifest.
pub struct Checked {
    pub bundle: reader::Bundle,
    pub report: Report,
    pub go: Option<GoCheck>,
}

/// Verifies `bundle` while its entries stream on to `inner` (which writes
/// them, or not), then runs the Go check on what went by. Unpack, audit and
/// verify share it.
pub fn check_streaming(
    bundle: &Path,
    keys: &TrustedKeys,
    inner: &dyn Sink,
    ctx: &Context,
) -> Result<Checked, Error> {
    let mut b = reader::open(bundle, keys)?;
    super::delta::attach(&mut b, keys, ctx)?;
    let signer = BundleSigner {
        id: &b.key_id,
        key: b.signer_key,
    };
    let approvals = super::approvals::check(bundle, &b.manifest_bytes, &signer, ctx)?;
    let modules = &b.manifest.modules;
    let root = b.manifest.module.layout.vendor_root();
    let vulns = crate::audit::record::Capture::new(inner);
    let gather = GoInputs::new(&vulns, modules).below(root, modules);
    let mut report = check_all(&mut b, &gather, ctx)?;
    super::approvals::add_to(&mut report, approvals);
    if !report.ok() {
        return Ok(Checked {
            bundle: b,
            report,
            go: None,
        });
    }
    let inputs = gather.finish(&b.manifest.entries);
    let go = check::run(&inputs, Some(&expected(&b.manifest)))?;
    let disagree = modules_agree(&b.manifest, &inputs)?;
    add_go(&mut report, &go, disagree);
    vulns.add_to(&mut report, &b.manifest);
    Ok(Checked {
        bundle: b,
        report,
        go: Some(go),
    })
}

/// The Go check as one more check of the report; "not checked" fails it,
/// and so does a manifest whose module list is not the tree's.
fn add_go(report: &mut Report, go: &GoCheck, disagree: Vec<Problem>) {
    let mut problems: Vec<Problem> = go.strict_findings().iter().map(problem).collect();
    problems.extend(disagree);
    report.checks.push(Check {
        check: CheckName::Go,
        ok: problems.is_empty(),
        detail: format!(
            "{} modules bound: {} vendored files against their module zips (or their proofs), {} hashes against go.sum",
            go.modules, go.vendored_files, go.hashes_checked
        ),
    });
    report.problems.extend(problems);
}

/// Verifies every entry of `bundle` and passes each to `sink`, without the
/// Go check: for commands that need part of a bundle. A bundle with any
/// problem is an error. Returns the manifest and the signing key's id.
pub fn check_entries(
    bundle: &Path,
    keys: &TrustedKeys,
    sink: &dyn Sink,
    ctx: &Context,
) -> Result<(Manifest, String), Error> {
    let mut b = reader::open(bundle, keys)?;
    super::delta::attach(&mut b, keys, ctx)?;
    let signer = BundleSigner {
        id: &b.key_id,
        key: b.signer_key,
    };
    let approvals = super::approvals::check(bundle, &b.manifest_bytes, &signer, ctx)?;
    let mut report = check_all(&mut b, sink, ctx)?;
    super::approvals::add_to(&mut report, approvals);
    if !report.ok() {
        return Err(BundleError::Rejected(Box::new(report)).into());
    }
    Ok((b.manifest, b.key_id))
}

/// Every entry through `sink`, with a progress bar.
fn check_all(b: &mut reader::Bundle, sink: &dyn Sink, ctx: &Context) -> Result<Report, Error> {
    let bar = ctx.progress.bytes(b.payload_bytes(), "verifying");
    let report = b.check(sink, &bar)?;
    bar.finish_and_clear();
    Ok(report)
}

/// What the signed manifest says the tree is: the Go check holds go.work and
/// each main module's go.mod to it, so the build reads only what it checked.
pub fn expected(manifest: &Manifest) -> check::Expected<'_> {
    check::Expected {
        module: &manifest.module.path,
        layout: &manifest.module.layout,
    }
}

/// The manifest's module list, which `diff`, the SBOM and `audit --vulns`
/// read, is exactly what modules.txt and go.sum (both signed, both checked
/// by the Go check) say; each module that differs is a problem.
pub fn modules_agree(manifest: &Manifest, inputs: &dyn Inputs) -> Result<Vec<Problem>, Error> {
    // Every main module's go.sum (and go.work.sum), as pack read them.
    let sum = check::MainModules::read(inputs, Some(&expected(manifest)))?.sum;
    let txt = modules_txt::parse(&inputs.text("vendor/modules.txt")?.unwrap_or_default())?;
    let want = manifest::modules(&txt, &sum);
    let key = |m: &Module| (m.path.clone(), m.version.clone());
    let listed: BTreeMap<_, _> = manifest.modules.iter().map(|m| (key(m), m)).collect();
    let said: BTreeMap<_, _> = want.iter().map(|m| (key(m), m)).collect();
    let mut out = Vec::new();
    for k in listed.keys().chain(said.keys()).collect::<BTreeSet<_>>() {
        let (l, s) = (listed.get(k), said.get(k));
        if l != s {
            let what = |m: Option<&&Module>| m.map_or("absent".into(), |m| describe(m));
            let problem = format!(
                "manifest field modules: {}@{} is {} in the manifest, and {} by vendor/modules.txt and go.sum",
                k.0,
                k.1,
                what(l),
                what(s)
            );
            out.push(Problem::new(Code::ManifestModules, MANIFEST, problem));
        }
    }
    Ok(out)
}

/// A module as the manifest records it, in one line.
fn describe(m: &Module) -> String {
    let replace = m.replace.as_ref().map_or(String::new(), |r| {
        format!(" => {} {}", r.path, r.version.as_deref().unwrap_or(""))
    });
    format!(
        "{}{replace}, h1 {}, go.mod h1 {}, explicit {}, go {}, packages [{}]",
        m.version,
        m.h1.as_deref().unwrap_or("none"),
        m.go_mod_h1.as_deref().unwrap_or("none"),
        m.explicit,
        m.go.as_deref().unwrap_or("none"),
        m.packages.join(" ")
    )
}

/// A Go finding as a bundle problem, named by its entry in the bundle.
fn problem(f: &Finding) -> Problem {
    let entry = if f.file.starts_with("modcache/") {
        f.file.clone()
    } else {
        format!("src/{}", f.file)
    };
    let what = if f.module.is_empty() {
        f.problem.clone()
    } else {
        format!("{}@{}: {}", f.module, f.version, f.problem)
    };
    Problem {
        code: Code::Go(f.code),
        severity: f.severity,
        entry,
        problem: what,
        expected: f.expected.clone(),
        actual: f.actual.clone(),
    }
}
