//! `ferry split`, and `pack --split`'s last step: a bundle cut into parts
//! beside it with a signed index (`bundle::parts`). `split` checks the
//! bundle's signature with the public half of the key that signs the index
//! first: it never vouches for parts of a bundle that key did not sign.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::Context;
use crate::bundle::diags::BundleError;
use crate::bundle::parts::cut::{self, Cut, Whole};
use crate::bundle::reader;
use crate::error::Error;
use crate::sign::{self, Signer, TrustedKeys};

/// Cuts the existing bundle `bundle` into parts of `part_size` bytes,
/// signing the index with `key`; the bundle itself stays.
pub fn run(bundle: &Path, part_size: u64, key: &Path, ctx: &Context) -> Result<Cut, Error> {
    if crate::bundle::parts::is_index(bundle) {
        return Err(Error::Usage(format!(
            "{}: already a parts index; split the bundle it was cut from",
            bundle.display()
        )));
    }
    refuse_existing(bundle)?;
    let signer = sign::load_secret_key(key, &*ctx.password)?;
    let keys = TrustedKeys::of_signer(&signer, key)?;
    let b = reader::open(bundle, &keys)?;
    let sha = hex::encode(Sha256::digest(&b.manifest_bytes));
    let whole = Whole {
        path: bundle,
        module: &b.manifest.module.path,
        version: &b.manifest.module.version,
        manifest_sha256: &sha,
    };
    Ok(cut::cut(&whole, part_size, &signer).map_err(BundleError::from)?)
}

/// Refuses a cut of `bundle` that would overwrite an index or a part.
pub fn refuse_existing(bundle: &Path) -> Result<(), Error> {
    Ok(cut::refuse_existing(bundle).map_err(BundleError::from)?)
}

/// `pack --split`: the bundle pack just wrote and signed, cut into parts;
/// the parts replace it (the medium is why they were asked for).
pub fn replace_with_parts(whole: &Whole, part_size: u64, signer: &Signer) -> Result<Cut, Error> {
    let cut = cut::cut(whole, part_size, signer).map_err(BundleError::from)?;
    std::fs::remove_file(whole.path).map_err(Error::io(whole.path))?;
    Ok(cut)
}
