//! `verify`: the signature, then every entry and the archive's layout, with
//! nothing written anywhere.

use std::path::Path;

use crate::bundle::diags::Report;
use crate::bundle::reader::{self, Discard};
use crate::error::Error;
use crate::{progress, sign};

/// Checks a bundle; `Ok` carries the report whether or not problems were found.
pub fn run(bundle: &Path, pub_key: &Path, quiet: bool) -> Result<Report, Error> {
    let pk = sign::load_public_key(pub_key)?;
    let mut b = reader::open(bundle, &pk)?;
    let bar = progress::bytes(b.payload_bytes(), "verifying", quiet);
    let report = b.check(&mut Discard, &bar)?;
    bar.finish_and_clear();
    Ok(report)
}
