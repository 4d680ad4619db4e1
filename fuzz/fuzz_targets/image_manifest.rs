//! Image manifests and indexes as a registry (or an archive) serves them,
//! and the end-of-archive check of the bundle reader.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ferry::image::manifest::parse("fuzz", data);
    let _ = ferry::bundle::reader::layout::check_tail(data, usize::from(data.first().copied().unwrap_or(0)));
});
