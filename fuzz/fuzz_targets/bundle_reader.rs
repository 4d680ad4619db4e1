//! The bundle reader on arbitrary bytes: open (signature first) and, when a
//! mutated payload keeps the seed's signed manifest, every check after it.
#![no_main]

use std::io::Write;

use ferry::bundle::reader::{self, Discard};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let keys = ferry::sign::TrustedKeys::load(&[std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/seeds/fuzz.pub"
    ))])
    .expect("fuzz/seeds/fuzz.pub");
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(data).expect("write");
    if let Ok(mut bundle) = reader::open(file.path(), &keys) {
        let _ = bundle.check(&Discard, &indicatif::ProgressBar::hidden());
    }
});
