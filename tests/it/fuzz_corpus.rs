//! The fuzz targets' seeds (fuzz/seeds) and every crash input once fixed
//! (fuzz/regressions) replayed through the code the targets drive, on stable,
//! in every `cargo test`: a fixed crash stays fixed. The seeds are real files
//! (fuzz/make-seeds.sh), so each must also parse: a parser that started
//! refusing them would otherwise go unnoticed here.

use std::path::{Path, PathBuf};

use ferry::bundle::manifest::Manifest;
use ferry::bundle::reader::{self, Discard};
use ferry::image::manifest::{self as image_manifest, Served};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

/// fuzz/make-seeds.sh makes every seed from a real file (a packed bundle, the
/// fixture apps' go.mod / go.sum / modules.txt, the test images' manifests):
/// valid inputs, which must parse.
fn seeds(target: &str) -> Vec<PathBuf> {
    let files = files_in(&fuzz_dir().join("seeds").join(target));
    assert!(
        !files.is_empty(),
        "fuzz/seeds/{target}: no seeds (fuzz/make-seeds.sh)"
    );
    files
}

/// Crash inputs once fixed: anything at all, which must only not crash.
fn regressions(target: &str) -> Vec<PathBuf> {
    files_in(&fuzz_dir().join("regressions").join(target))
}

fn corpus(target: &str) -> Vec<PathBuf> {
    let mut files = seeds(target);
    files.extend(regressions(target));
    files
}

fn name(file: &Path) -> String {
    file.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn bundle_reader_corpus() {
    let pk_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/fuzz.pub");
    let keys = ferry::sign::TrustedKeys::load(&[pk_path]).unwrap();
    let mut opened = 0;
    for file in corpus("bundle_reader") {
        if let Ok(mut bundle) = reader::open(&file, &keys) {
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
fn manifest_fields_corpus() {
    use ferry::bundle::fields;
    let mut parsed = 0;
    for file in seeds("manifest_fields") {
        let data = std::fs::read(&file).unwrap();
        let m = ferry::bundle::manifest::Manifest::from_bytes(&data);
        let m = m.unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        parsed += 1;
        let problems = fields::check(&m);
        let hostile = file.file_name().is_some_and(|n| n == "hostile.json");
        assert_eq!(
            !problems.is_empty(),
            hostile,
            "{}: {problems:?}",
            file.display()
        );
        if let Ok(text) = std::str::from_utf8(&data) {
            for (_, rule) in fields::STRING_RULES {
                let _ = rule(text);
            }
            let _ = fields::path_major(text, text);
            let _ = fields::file_vs_folder(&text.split('\n').collect::<Vec<_>>());
        }
    }
    assert!(
        parsed > 0,
        "the seed manifests must parse (fuzz/make-seeds.sh)"
    );
}

#[test]
fn manifest_corpus() {
    for file in seeds("manifest") {
        let seed = name(&file);
        let manifest = Manifest::from_bytes(&std::fs::read(&file).unwrap())
            .unwrap_or_else(|e| panic!("seed {seed}: a real bundle's manifest must parse: {e}"));
        assert!(!manifest.entries.is_empty(), "seed {seed}: no entries");
    }
    for file in regressions("manifest") {
        let _ = Manifest::from_bytes(&std::fs::read(file).unwrap());
    }
}

#[test]
fn gomod_parsers_corpus() {
    // Seeds are named after the file they copy (`<app>_go.mod`, `<app>_go.sum`,
    // `<app>_vendor_modules.txt`): each must parse with its own parser.
    let (mut mods, mut sums, mut txts) = (0, 0, 0);
    for file in seeds("gomod_parsers") {
        let seed = name(&file);
        let text = std::fs::read_to_string(&file).unwrap();
        if seed.ends_with("_go.mod") {
            let modfile = ferry::gomod::modfile::parse(&text)
                .unwrap_or_else(|e| panic!("seed {seed}: go.mod must parse: {e}"));
            assert!(
                modfile.module.starts_with("example.com/"),
                "seed {seed}: module {:?}",
                modfile.module
            );
            mods += 1;
        } else if seed.ends_with("_go.sum") {
            let gosum = ferry::gomod::gosum::parse(&text)
                .unwrap_or_else(|e| panic!("seed {seed}: go.sum must parse: {e}"));
            assert!(!gosum.lines.is_empty(), "seed {seed}: no go.sum lines");
            sums += 1;
        } else if seed.ends_with("_modules.txt") {
            let txt = ferry::gomod::modules_txt::parse(&text)
                .unwrap_or_else(|e| panic!("seed {seed}: modules.txt must parse: {e}"));
            assert!(!txt.modules.is_empty(), "seed {seed}: no modules");
            txts += 1;
        } else {
            panic!("seed {seed}: not named as fuzz/make-seeds.sh names them");
        }
    }
    assert!(
        mods > 0 && sums > 0 && txts > 0,
        "fuzz/seeds/gomod_parsers needs a go.mod, a go.sum and a modules.txt \
         (fuzz/make-seeds.sh): {mods}, {sums}, {txts}"
    );
    for file in regressions("gomod_parsers") {
        let data = std::fs::read(file).unwrap();
        if let Ok(text) = std::str::from_utf8(&data) {
            let _ = ferry::gomod::modfile::parse(text);
            let _ = ferry::gomod::workfile::parse(text);
            let _ = ferry::gomod::gosum::parse(text);
            let _ = ferry::gomod::modules_txt::parse(text);
        }
    }
}

#[test]
fn image_manifest_corpus() {
    // Every seed is a manifest or an index of the test images (make-images.py).
    let (mut indexes, mut manifests) = (0, 0);
    for file in seeds("image_manifest") {
        let data = std::fs::read(&file).unwrap();
        match image_manifest::parse("corpus", &data) {
            Ok(Served::Index(_)) => indexes += 1,
            Ok(Served::Manifest(_)) => manifests += 1,
            Err(e) => panic!(
                "seed {}: a real image manifest must parse: {e}",
                name(&file)
            ),
        }
    }
    assert!(
        indexes > 0 && manifests > 0,
        "fuzz/seeds/image_manifest needs an index and a manifest (fuzz/make-seeds.sh): \
         {indexes} indexes, {manifests} manifests"
    );
    for file in corpus("image_manifest") {
        let data = std::fs::read(file).unwrap();
        let _ = image_manifest::parse("corpus", &data);
        let entries = usize::from(data.first().copied().unwrap_or(0));
        let _ = ferry::bundle::reader::layout::check_tail(&data, entries);
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
