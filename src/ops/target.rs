//! What `images`, `diff` and `build` read: a bundle file (signature and every
//! entry checked, the parts they need extracted to a private temporary
//! folder) or an unpacked bundle folder (the files they need checked against
//! its `ferry.json`), opened the same way for all of them.

use std::path::{Path, PathBuf};

use super::Context;
use crate::bundle::extract::Extract;
use crate::bundle::manifest::Manifest;
use crate::bundle::unpacked;
use crate::error::Error;

/// A bundle whose needed parts are on disk, checked.
pub struct Opened {
    /// The folder that holds the checked parts (`images/`, `src/`, …).
    pub root: PathBuf,
    pub manifest: Manifest,
    /// Whether ferry.json's signature was checked in this run.
    pub signed: bool,
    _temp: Option<tempfile::TempDir>,
}

/// Opens `target`, a bundle file or an unpacked folder, with the entries
/// under `prefixes` checked (and, for a file, extracted).
pub fn open(
    target: &Path,
    pub_key: Option<&Path>,
    prefixes: &[&'static str],
    ctx: &Context,
) -> Result<Opened, Error> {
    if target.is_file() {
        return open_file(target, pub_key, prefixes, ctx);
    }
    open_folder(target, pub_key, prefixes)
}

/// An unpacked folder: ferry.json (its signature first when a key is given),
/// then every file under `prefixes` against it, none missing, none added.
pub fn open_folder(
    dir: &Path,
    pub_key: Option<&Path>,
    prefixes: &[&'static str],
) -> Result<Opened, Error> {
    let folder = unpacked::open(dir, pub_key)?;
    folder.check(prefixes)?;
    Ok(Opened {
        root: folder.root,
        manifest: folder.manifest,
        signed: folder.signed,
        _temp: None,
    })
}

fn open_file(
    bundle: &Path,
    pub_key: Option<&Path>,
    prefixes: &[&'static str],
    ctx: &Context,
) -> Result<Opened, Error> {
    let pub_key = pub_key.ok_or_else(|| {
        Error::Usage(format!(
            "{}: reading a bundle starts with its signature: pass --pub PUB",
            bundle.display()
        ))
    })?;
    let temp = ctx.temp("read")?;
    let sink = Extract::only(temp.path(), prefixes);
    let manifest = super::verify::check_entries(bundle, pub_key, &sink, ctx)?;
    Ok(Opened {
        root: temp.path().to_path_buf(),
        manifest,
        signed: true,
        _temp: Some(temp),
    })
}
