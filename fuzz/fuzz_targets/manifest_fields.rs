//! The manifest field validators: on every manifest that parses, and each
//! string rule on the raw input, since a signed manifest can hold any string.
#![no_main]

use ferry::bundle::fields;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = ferry::bundle::manifest::Manifest::from_bytes(data) {
        for p in fields::check(&m) {
            let _ = p.to_string();
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        for (_, rule) in fields::STRING_RULES {
            let _ = rule(text);
        }
        let _ = fields::path_major(text, text);
        let _ = fields::file_vs_folder(&text.split('\n').collect::<Vec<_>>());
    }
});
