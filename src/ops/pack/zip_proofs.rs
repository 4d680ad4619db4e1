//! The proofs a `ferry/v2` bundle carries instead of module zips: for each
//! zip that vendored code comes from, its dirhash summary, its go.mod and
//! the decisive files vendor/ lacks (`gomod::zip_proof`), read from the
//! module cache that the Go check has just verified, on every core.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use rayon::prelude::*;

use crate::error::Error;
use crate::gomod::modcache::rel_path;
use crate::gomod::modules_txt::{ModulesTxt, VendoredModule};
use crate::gomod::{modzip, zip_proof};

/// Each proof's entries, `(entry name, bytes)`, in name order.
pub fn make(
    txt: &ModulesTxt,
    main_go: &str,
    cache: &Path,
) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let zipped = txt
        .modules
        .iter()
        .filter(|m| !m.packages.is_empty())
        .filter_map(|m| match &m.replace {
            None => Some((m, m.path.as_str(), m.version.as_str())),
            Some(r) => Some((m, r.path.as_str(), r.version.as_deref()?)),
        });
    let proofs: Vec<Vec<(String, Vec<u8>)>> = zipped
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|(m, path, version)| entries(m, path, version, main_go, cache))
        .collect::<Result<_, Error>>()?;
    let mut out: Vec<(String, Vec<u8>)> = proofs.into_iter().flatten().collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.dedup_by(|a, b| a.0 == b.0);
    Ok(out)
}

/// The entries of one zip's proof.
fn entries(
    m: &VendoredModule,
    path: &str,
    version: &str,
    main_go: &str,
    cache: &Path,
) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let zip_path = cache.join(rel_path(path, version, "zip"));
    let mod_path = cache.join(rel_path(path, version, "mod"));
    let open = || File::open(&zip_path).map_err(Error::io(&zip_path));
    let read = modzip::read(BufReader::new(open()?), &zip_path)?;
    let go_mod = std::fs::read(&mod_path).map_err(Error::io(&mod_path))?;
    let vendoring = zip_proof::Vendoring {
        module_path: &m.path,
        packages: &m.packages,
        main_go,
    };
    let prefix = format!("{path}@{version}/");
    let proof = zip_proof::make(&read, open()?, &prefix, go_mod, &vendoring, &zip_path)?;
    let dir = zip_proof::dir(path, version);
    let mut out = vec![
        (
            format!("{dir}{}", zip_proof::SUMMARY),
            proof.summary.into_bytes(),
        ),
        (format!("{dir}{}", zip_proof::GO_MOD), proof.go_mod),
    ];
    for (rel, bytes) in proof.files {
        out.push((format!("{dir}{}{rel}", zip_proof::FILES), bytes));
    }
    Ok(out)
}
