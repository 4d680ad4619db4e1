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

/// How many files are created or removed at once: those calls wait on the
/// disk far more than on a core, and many in flight let the file system
/// batch them (on a virtual disk, 16 removed a 5,300-file tree in 3 s
/// where one took 17 s).
pub const IO_THREADS: usize = 16;

/// Runs `f` on every item, [`IO_THREADS`] at a time; the first error stops
/// the rest and is returned.
pub fn par_io<T: Sync, E: Send>(
    items: &[T],
    f: impl Fn(&T) -> Result<(), E> + Sync,
) -> Result<(), E> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let failed: Mutex<Option<E>> = Mutex::new(None);
    let worker = || {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else { return };
            if let Err(e) = f(item) {
                next.store(items.len(), Ordering::Relaxed);
                if let Ok(mut first) = failed.lock() {
                    first.get_or_insert(e);
                }
                return;
            }
        }
    };
    std::thread::scope(|s| {
        for _ in 1..IO_THREADS.min(items.len()) {
            s.spawn(worker);
        }
        worker();
    });
    match failed.into_inner() {
        Ok(Some(e)) => Err(e),
        // A worker that panicked holding the lock has already panicked the scope.
        _ => Ok(()),
    }
}

/// Removes the folder `root` and everything below it: the files
/// [`IO_THREADS`] at a time, then the folders, deepest first.
pub fn remove_tree(root: &Path) -> io::Result<()> {
    let mut files = Vec::new();
    let mut folders: Vec<(usize, std::path::PathBuf)> = Vec::new();
    for entry in walkdir::WalkDir::new(root) {
        let entry = entry.map_err(io::Error::other)?;
        match entry.file_type().is_dir() {
            true => folders.push((entry.depth(), entry.into_path())),
            false => files.push(entry.into_path()),
        }
    }
    par_io(&files, |f| std::fs::remove_file(f))?;
    folders.sort_by_key(|f| std::cmp::Reverse(f.0));
    for level in folders.chunk_by(|a, b| a.0 == b.0) {
        par_io(level, |(_, d)| std::fs::remove_dir(d))?;
    }
    Ok(())
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
    use super::{clone_or_copy, par_io, parent_dir, read_at_most, remove_tree};
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

    #[test]
    fn a_tree_is_removed_whole_and_the_first_failure_is_told() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("t");
        for i in 0..40 {
            let f = root.join(format!("d{}/e{}/f{i}", i % 3, i % 5));
            std::fs::create_dir_all(f.parent().expect("parent")).expect("mkdir");
            std::fs::write(&f, b"x").expect("write");
        }
        remove_tree(&root).expect("removed");
        assert!(!root.exists());
        let items: Vec<u32> = (0..100).collect();
        let err = par_io(&items, |&i| if i == 7 { Err(i) } else { Ok(()) });
        assert_eq!(err, Err(7));
        assert_eq!(par_io(&items, |_| Ok::<(), ()>(())), Ok(()));
    }
}
