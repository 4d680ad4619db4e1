//! The proofs a bundle carries, held to what a proof may be: each folder
//! proves a zip that vendored code comes from, and holds its summary, its
//! go.mod (whose go.sum line must exist) and files the summary names, and
//! nothing else: a bundle cannot use proofs/ to carry files of its own.

use std::collections::{BTreeMap, BTreeSet};

use super::{CheckError, GoCheck, Inputs};
use crate::gomod::diags::{Code, Finding};
use crate::gomod::gosum::GoSum;
use crate::gomod::zip_proof::{self, Part};

/// Findings for stray entries, unbound proofs and incomplete ones.
pub(super) fn check(
    inputs: &dyn Inputs,
    bound: &BTreeSet<(String, String)>,
    sum: &GoSum,
    out: &mut GoCheck,
) -> Result<(), CheckError> {
    let mut parts: BTreeMap<String, BTreeSet<&'static str>> = BTreeMap::new();
    for entry in inputs.proof_entries()? {
        match zip_proof::classify(&entry) {
            None => out.findings.push(finding(
                Code::ProofStray,
                "",
                "",
                &entry,
                "is no part of a proof (summary, go.mod or files/ of proofs/<module>/@v/<version>/)",
            )),
            Some((dir, part)) => {
                let name = match part {
                    Part::Summary => zip_proof::SUMMARY,
                    Part::GoMod => zip_proof::GO_MOD,
                    Part::File(_) => zip_proof::FILES,
                };
                parts.entry(dir.to_string()).or_default().insert(name);
            }
        }
    }
    let wanted: BTreeMap<String, &(String, String)> = bound
        .iter()
        .map(|b| (zip_proof::dir(&b.0, &b.1), b))
        .collect();
    for (dir, has) in &parts {
        let Some((path, version)) = wanted.get(dir) else {
            out.findings.push(finding(
                Code::ProofUnbound,
                "",
                "",
                dir,
                "proves a module zip that no module of vendor/modules.txt vendors code from",
            ));
            continue;
        };
        complete(path, version, dir, has, sum, out);
    }
    Ok(())
}

/// A proof needs its summary, and its go.mod with a go.sum line to hash to.
fn complete(
    path: &str,
    version: &str,
    dir: &str,
    has: &BTreeSet<&str>,
    sum: &GoSum,
    out: &mut GoCheck,
) {
    for part in [zip_proof::SUMMARY, zip_proof::GO_MOD] {
        if !has.contains(part) {
            let problem = "is missing: a proof holds the zip's summary and its go.mod";
            out.findings.push(finding(
                Code::ProofIncomplete,
                path,
                version,
                &format!("{dir}{part}"),
                problem,
            ));
        }
    }
    if sum.hash(path, version, true).is_none() {
        let problem = "go.sum has no /go.mod line for this module: its go.mod would go unchecked";
        out.findings.push(finding(
            Code::GoSumMissing,
            path,
            version,
            "go.sum",
            problem,
        ));
    }
}

fn finding(code: Code, module: &str, version: &str, file: &str, problem: &str) -> Finding {
    Finding::new(code, module, version, file, problem)
}
