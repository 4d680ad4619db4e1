//! The manifest parser: any bytes that pass a signature reach it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ferry::bundle::manifest::Manifest::from_bytes(data);
});
