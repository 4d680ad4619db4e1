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
use crate::sign::TrustedKeys;

/// A bundle whose needed parts are on disk, checked.
pub struct Opened {
    /// The folder that holds the checked parts (`images/`, `src/`, …).
    pub root: PathBuf,
    pub manifest: Manifest,
    /// The id of the trusted key that signed ferry.json.
    pub key_id: String,
    _temp: Option<tempfile::TempDir>,
}

/// Opens `target`, a bundle file or an unpacked folder, with the entries
/// under `prefixes` checked (and, for a file, extracted).
pub fn open(
    target: &Path,
    keys: &TrustedKeys,
    prefixes: &[&'static str],
    ctx: &Context,
) -> Result<Opened, Error> {
    if target.is_file() {
        return open_file(target, keys, prefixes, ctx);
    }
    open_folder(target, keys, prefixes)
}

/// An unpacked folder: ferry.json (its signature first),
/// then every file under `prefixes` against it, none missing, none added.
pub fn open_folder(
    dir: &Path,
    keys: &TrustedKeys,
    prefixes: &[&'static str],
) -> Result<Opened, Error> {
    let folder = unpacked::open(dir, keys)?;
    folder.check(prefixes)?;
    Ok(Opened {
        root: folder.root,
        manifest: folder.manifest,
        key_id: folder.key_id,
        _temp: None,
    })
}

fn open_file(
    bundle: &Path,
    keys: &TrustedKeys,
    prefixes: &[&'static str],
    ctx: &Context,
) -> Result<Opened, Error> {
    let temp = ctx.temp("read")?;
    let sink = Extract::only(temp.path(), prefixes);
    let (manifest, key_id) = super::verify::check_entries(bundle, keys, &sink, ctx)?;
    Ok(Opened {
        root: temp.path().to_path_buf(),
        manifest,
        key_id,
        _temp: Some(temp),
    })
}
