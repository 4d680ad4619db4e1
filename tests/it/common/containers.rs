//! podman and buildah as TESTBED.md runs them here: storage (vfs) in a test
//! folder, runc (crun fails on these hosts), no network, --pull=never.

use std::path::Path;
use std::process::{Command, Output};

use super::registry::require;

/// Container storage in `dir`, for one test.
pub struct Store<'a> {
    dir: &'a Path,
}

impl<'a> Store<'a> {
    pub fn new(dir: &'a Path) -> Store<'a> {
        let d = dir.display();
        std::fs::write(
            dir.join("storage.conf"),
            format!("[storage]\ndriver=\"vfs\"\nrunroot=\"{d}/run\"\ngraphroot=\"{d}/storage\"\n"),
        )
        .expect("write storage.conf");
        Store { dir }
    }

    fn tool(&self, name: &str, package: &str) -> Command {
        require(name, package);
        let mut cmd = Command::new(name);
        cmd.env("CONTAINERS_STORAGE_CONF", self.dir.join("storage.conf"));
        cmd
    }

    pub fn podman(&self) -> Command {
        self.tool("podman", "podman")
    }

    /// `podman load -i TAR`, which must succeed.
    pub fn load(&self, tar: &Path) {
        let out = self
            .podman()
            .args(["load", "-q", "-i"])
            .arg(tar)
            .output()
            .expect("podman load");
        assert_success("podman load", &out);
    }

    /// `buildah build` of `context` with no network and no pulls, tagged `tag`.
    pub fn build(&self, context: &Path, tag: &str) -> Output {
        require("runc", "runc");
        self.tool("buildah", "buildah")
            .args([
                "build",
                "--isolation",
                "oci",
                "--runtime",
                "runc",
                "--network",
                "none",
            ])
            .args(["--pull=never", "-q", "-t", tag])
            .arg(context)
            .output()
            .expect("buildah build")
    }

    /// `podman run` of `tag` with no network; its output.
    pub fn run(&self, tag: &str) -> Output {
        self.podman()
            .args(["--runtime", "runc", "run", "--rm", "--network", "none"])
            .args([
                "--ulimit",
                "nofile=20000:20000",
                "--ulimit",
                "nproc=4096:4096",
                tag,
            ])
            .output()
            .expect("podman run")
    }
}

pub fn assert_success(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
