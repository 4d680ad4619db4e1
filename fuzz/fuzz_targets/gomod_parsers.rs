//! go.mod, go.work, go.sum and vendor/modules.txt parsers on arbitrary text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = ferry::gomod::modfile::parse(text);
        let _ = ferry::gomod::workfile::parse(text);
        let _ = ferry::gomod::gosum::parse(text);
        let _ = ferry::gomod::modules_txt::parse(text);
    }
});
