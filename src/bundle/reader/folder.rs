//! A delta's base given as an unpacked folder: each file the delta takes
//! from it is found by content in the folder's signed ferry.json, opened
//! without following a link, and streamed through the same checks as a
//! carried entry as it is read, so no earlier check is ever trusted.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use indicatif::ProgressBar;
use rayon::prelude::*;

use super::Sink;
use super::content::check_stream;
use crate::bundle::diags::{BundleError, Code, Problem};
use crate::bundle::manifest::Entry;
use crate::bundle::unpacked::Unpacked;

/// What the files taken from a base folder came to.
#[derive(Default)]
pub struct Streamed {
    pub checked: usize,
    pub bytes: u64,
    pub problems: Vec<Problem>,
}

/// Streams, on every core, the file of `folder` that holds each of `wanted`
/// (found by sha256 and size in its signed ferry.json) into `sink`, held
/// to the entry: a file missing, not regular, or whose bytes differ is a
/// problem naming the file, the expected and the actual.
pub fn stream(
    folder: &Unpacked,
    wanted: &[&Entry],
    sink: &dyn Sink,
    progress: &ProgressBar,
) -> Result<Streamed, BundleError> {
    let by_content = super::base::by_content(&folder.manifest);
    let found: Vec<Result<Option<Problem>, BundleError>> = wanted
        .par_iter()
        .map(|entry| {
            let Some(rel) = by_content.get(&(entry.sha256.as_str(), entry.size)) else {
                let what = format!(
                    "comes from the base, whose ferry.json lists no file with sha256 {}",
                    entry.sha256
                );
                return Ok(Some(Problem::new(Code::Missing, &entry.path, what)));
            };
            let found = stream_one(folder, rel, entry, sink);
            progress.inc(entry.size);
            found
        })
        .collect();
    let mut out = Streamed {
        checked: wanted.len(),
        bytes: wanted.iter().map(|e| e.size).sum(),
        ..Streamed::default()
    };
    for problem in found {
        out.problems.extend(problem?);
    }
    Ok(out)
}

/// One file of the base folder, `rel` in its ferry.json, into the sink as
/// `entry`; a problem names the file in the folder.
fn stream_one(
    folder: &Unpacked,
    rel: &str,
    entry: &Entry,
    sink: &dyn Sink,
) -> Result<Option<Problem>, BundleError> {
    let path = folder.root.join(rel);
    let shown = path.display().to_string();
    let file = match open_regular(&path) {
        Ok(file) => file,
        Err(problem) => return Ok(Some(problem.named(&shown, rel))),
    };
    let problem = check_stream(file, entry, sink)?;
    Ok(problem.map(|mut p| {
        p.entry = shown;
        p.problem = format!(
            "{} (the base folder's file, signed as {rel}, taken for {})",
            p.problem
                .replace("the manifest", "the base's signed ferry.json"),
            entry.path
        );
        p
    }))
}

/// Opens the file `rel` (listed in the folder's signed ferry.json) as
/// [`stream`] does, a problem naming it when it is no regular file.
pub(super) fn open_listed(folder: &Unpacked, rel: &str) -> Result<File, Problem> {
    let path = folder.root.join(rel);
    open_regular(&path).map_err(|r| r.named(&path.display().to_string(), rel))
}

/// Why a base file could not be opened, before its name is known to the problem.
enum Refused {
    Missing,
    NotRegular,
    Unreadable(io::Error),
}

impl Refused {
    fn named(self, shown: &str, rel: &str) -> Problem {
        let (code, what) = match self {
            Refused::Missing => (Code::Missing, "is missing".to_string()),
            Refused::NotRegular => (
                Code::NotRegularFile,
                "is not a regular file (a link, a folder, a device)".to_string(),
            ),
            Refused::Unreadable(e) => (Code::Unreadable, format!("cannot be read: {e}")),
        };
        let problem = format!("{what}; the base's signed ferry.json lists it as {rel}");
        Problem::new(code, shown, problem)
    }
}

/// Opens `path` for reading: never through a link at its end, never
/// blocking on a pipe, and only a regular file (as the open file says).
fn open_regular(path: &PathBuf) -> Result<File, Refused> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path);
    let file = match file {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Refused::Missing),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Err(Refused::NotRegular),
        Err(e) => return Err(Refused::Unreadable(e)),
    };
    match file.metadata() {
        Ok(m) if m.is_file() => Ok(file),
        Ok(_) => Err(Refused::NotRegular),
        Err(e) => Err(Refused::Unreadable(e)),
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::sync::Mutex;

    use sha2::{Digest, Sha256};

    use super::*;
    use crate::bundle::fields::tests::sample;

    /// A sink that rewrites the base file on disk once the file is open,
    /// before reading a byte, and keeps what it read if it ended cleanly.
    struct Rewriter {
        path: PathBuf,
        clean: Mutex<Option<Vec<u8>>>,
    }

    impl Sink for Rewriter {
        fn entry(&self, _: &Entry, data: &mut dyn Read) -> io::Result<()> {
            let mut f = OpenOptions::new().write(true).open(&self.path)?;
            f.write_all(b"package evil\n")?;
            let mut bytes = Vec::new();
            data.read_to_end(&mut bytes)?;
            *self.clean.lock().expect("lock") = Some(bytes);
            Ok(())
        }
    }

    #[test]
    fn a_file_changed_after_it_was_opened_never_reaches_a_clean_end() {
        let dir = tempfile::tempdir().expect("temp");
        std::fs::create_dir(dir.path().join("src")).expect("src");
        let good = b"package good\n";
        std::fs::write(dir.path().join("src/a.go"), good).expect("write");
        let mut manifest = sample();
        let entry = Entry {
            path: "src/a.go".into(),
            sha256: hex::encode(Sha256::digest(good)),
            size: good.len() as u64,
            mode: 0o644,
        };
        manifest.entries = vec![entry.clone()];
        let folder = Unpacked {
            root: dir.path().to_path_buf(),
            manifest,
            manifest_bytes: Vec::new(),
            key_id: String::new(),
            signer_key: [0; 32],
            manifest_sha256: String::new(),
        };
        let sink = Rewriter {
            path: dir.path().join("src/a.go"),
            clean: Mutex::new(None),
        };
        let streamed = stream(&folder, &[&entry], &sink, &ProgressBar::hidden()).expect("stream");
        assert!(sink.clean.lock().expect("lock").is_none(), "no clean end");
        let [problem] = &streamed.problems[..] else {
            panic!("one problem: {:?}", streamed.problems.len());
        };
        assert_eq!(problem.code, Code::Sha256);
        assert!(problem.entry.ends_with("src/a.go"), "{}", problem.entry);
    }
}
