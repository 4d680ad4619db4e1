//! The fuzz targets' seeds (fuzz/seeds) and every crash input once fixed
//! (fuzz/regressions) replayed through the code the targets drive, on stable,
//! in every `cargo test`: a fixed crash stays fixed.

use std::path::{Path, PathBuf};

use ferry::bundle::reader::{self, Discard};

fn corpus(target: &str) -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut files: Vec<PathBuf> = ["seeds", "regressions"]
        .iter()
        .filter_map(|d| std::fs::read_dir(fuzz.join(d).join(target)).ok())
        .flatten()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "fuzz/seeds/{target}: no seeds (fuzz/make-seeds.sh)"
    );
    files
}

#[test]
fn bundle_reader_corpus() {
    let pk_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/fuzz.pub");
    let pk = ferry::sign::load_public_key(&pk_path).unwrap();
    let mut opened = 0;
    for file in corpus("bundle_reader") {
        if let Ok(mut bundle) = reader::open(&file, &pk) {
            opened += 1;
            let _ = bundle.check(&Discard, &indicatif::ProgressBar::hidden());
        }
    }
    assert!(
        opened > 0,
        "the seed bundle must open with fuzz.pub (re-run fuzz/make-seeds.sh)"
    );
}

#[test]
fn manifest_corpus() {
    for file in corpus("manifest") {
        let _ = ferry::bundle::manifest::Manifest::from_bytes(&std::fs::read(file).unwrap());
    }
}

#[test]
fn gomod_parsers_corpus() {
    for file in corpus("gomod_parsers") {
        let data = std::fs::read(file).unwrap();
        if let Ok(text) = std::str::from_utf8(&data) {
            let _ = ferry::gomod::modfile::parse(text);
            let _ = ferry::gomod::gosum::parse(text);
            let _ = ferry::gomod::modules_txt::parse(text);
        }
    }
}

#[test]
fn image_manifest_corpus() {
    for file in corpus("image_manifest") {
        let data = std::fs::read(file).unwrap();
        let _ = ferry::image::manifest::parse("corpus", &data);
        let entries = usize::from(data.first().copied().unwrap_or(0));
        let _ = ferry::bundle::layout::check_tail(&data, entries);
    }
}

#[test]
fn module_zip_corpus() {
    let mut read = 0;
    for file in corpus("module_zip") {
        let data = std::fs::read(&file).unwrap();
        if ferry::gomod::modzip::read(std::io::Cursor::new(&data), &file).is_ok() {
            read += 1;
        }
        let _ = ferry::gomod::vendor_rules::GoFile::scan(&mut &data[..]);
    }
    assert!(
        read > 0,
        "the seed module zips must read (fuzz/make-seeds.sh)"
    );
}
