//! One pass over a module zip (its h1, each file's digest, each .go file's
//! build constraints and embed lines) on arbitrary bytes, and the .go scan alone.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ferry::gomod::modzip::read(std::io::Cursor::new(data), std::path::Path::new("fuzz.zip"));
    let _ = ferry::gomod::vendor_rules::GoFile::scan(&mut &data[..]);
});
