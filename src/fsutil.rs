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

/// How a file was copied by [`clone_or_copy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Copied {
    /// A reflink (`FICLONE`): the blocks are shared until either side
    /// writes, and a write to one never reaches the other.
    Cloned,
    /// The bytes were copied (the file system shares no blocks).
    Copied,
}

/// Copies `from` to a new file `to` (which must not exist) with exactly
/// `mode`: a reflink where the file system has them, else a copy in the
/// kernel. Never a hard link: whatever later writes into `to` (go writes
/// go.sum in place) must leave `from` as it was.
pub fn clone_or_copy(from: &Path, to: &Path, mode: u32) -> io::Result<Copied> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut src = std::fs::File::open(from)?;
    let mut dst = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(to)?;
    // The umask may have taken bits off `mode`: set it exactly.
    dst.set_permissions(std::fs::Permissions::from_mode(mode))?;
    if reflink(&src, &dst) {
        return Ok(Copied::Cloned);
    }
    io::copy(&mut src, &mut dst)?;
    Ok(Copied::Copied)
}

/// `ioctl(FICLONE)`: true when `dst` now shares `src`'s blocks. Any
/// failure (ext4, tmpfs, two file systems) leaves `dst` empty for a copy.
fn reflink(src: &std::fs::File, dst: &std::fs::File) -> bool {
    use std::os::fd::AsRawFd;
    #[cfg(target_os = "linux")]
    {
        // _IOW(0x94, 9, int), as linux/fs.h defines FICLONE.
        const FICLONE: libc::c_ulong = 0x4004_9409;
        // SAFETY: both descriptors are open for the whole call; FICLONE
        // reads only its integer argument.
        unsafe { libc::ioctl(dst.as_raw_fd(), FICLONE as _, src.as_raw_fd()) == 0 }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (src.as_raw_fd(), dst.as_raw_fd());
        false
    }
}

#[cfg(test)]
mod tests {
    use super::{clone_or_copy, parent_dir, read_at_most};
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

    /// go rewrites go.sum in place: a write into the copy, in place or
    /// truncating, never reaches the original (whether it was cloned or copied).
    #[test]
    fn a_write_into_the_copy_leaves_the_original_alone() {
        use std::io::{Seek, Write};
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let (from, to) = (dir.path().join("go.sum"), dir.path().join("copy"));
        std::fs::write(&from, b"original line\n").expect("write");
        clone_or_copy(&from, &to, 0o755).expect("copy");
        assert_eq!(std::fs::read(&to).expect("read"), b"original line\n");
        let mode = std::fs::metadata(&to).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o755);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(&to)
            .expect("open");
        f.seek(std::io::SeekFrom::Start(0)).expect("seek");
        f.write_all(b"CHANGED").expect("write in place");
        drop(f);
        std::fs::write(&to, b"rewritten\n").expect("truncate and write");
        assert_eq!(std::fs::read(&from).expect("read"), b"original line\n");
        assert!(
            clone_or_copy(&from, &to, 0o644).is_err(),
            "an existing file is never overwritten"
        );
    }
}
