//! Small file-system helpers shared by the pipeline stages.

use std::io::{self, Read};
use std::path::Path;

/// The folder that holds `path`: its parent, or `.` for a bare file name.
/// Temporaries go there so that the final rename stays on one file system.
pub fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Reads a whole file that may not be larger than `max` bytes (a manifest,
/// a signature), so an oversized one is refused before it fills memory.
pub fn read_at_most(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(max + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {max} bytes"),
        ));
    }
    Ok(bytes)
}

/// A text file that may be absent: `None` only when it does not exist; any
/// other failure (permissions, not UTF-8) is an error, never "absent".
pub fn read_text_if_exists(path: &Path) -> io::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// A reader that shows each chunk it passes on to `tap`, to hash or copy it
/// on the way.
pub struct Tap<R, F> {
    pub inner: R,
    pub tap: F,
}

impl<R: Read, F: FnMut(&[u8]) -> io::Result<()>> Read for Tap<R, F> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.tap)(&buf[..n])?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::{parent_dir, read_at_most};
    use std::path::Path;

    #[test]
    fn bare_names_live_in_the_current_folder() {
        assert_eq!(parent_dir(Path::new("a.ferry")), Path::new("."));
        assert_eq!(parent_dir(Path::new("out/a.ferry")), Path::new("out"));
        assert_eq!(parent_dir(Path::new("/a.ferry")), Path::new("/"));
    }

    #[test]
    fn oversized_files_are_refused_not_read() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("f");
        std::fs::write(&path, b"12345").expect("write");
        assert_eq!(read_at_most(&path, 5).expect("fits"), b"12345");
        let err = read_at_most(&path, 4).expect_err("too large");
        assert!(err.to_string().contains("larger than 4 bytes"), "{err}");
    }
}
