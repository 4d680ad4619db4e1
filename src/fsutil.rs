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
    use super::parent_dir;
    use std::path::Path;

    #[test]
    fn bare_names_live_in_the_current_folder() {
        assert_eq!(parent_dir(Path::new("a.ferry")), Path::new("."));
        assert_eq!(parent_dir(Path::new("out/a.ferry")), Path::new("out"));
        assert_eq!(parent_dir(Path::new("/a.ferry")), Path::new("/"));
    }
}
