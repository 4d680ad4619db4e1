//! Shared helpers of the integration tests: the ferry binary with a hermetic Go
//! environment (the file:// proxy of fixtures/, a fresh module cache, no
//! toolchain switching), key pairs, and packed fixture bundles.

pub mod containers;
pub mod rawzip;
pub mod registry;
pub mod resign;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

pub fn app(name: &str) -> PathBuf {
    fixtures().join("apps").join(name)
}

/// A test's own folder, with its own Go module cache.
pub struct Sandbox {
    pub dir: TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// A sandbox for a fixture that several tests share (kept in a
    /// `OnceLock`): `ferry-it-NAME-<pid>` in the temp folder, outside any git
    /// checkout as `new`'s are, and removed by a later run.
    pub fn shared(name: &str) -> Sandbox {
        let dir = run_dir(&std::env::temp_dir(), &format!("ferry-it-{name}"));
        Sandbox {
            dir: tempfile::Builder::new()
                .prefix(dir.file_name().unwrap())
                .rand_bytes(0)
                .tempdir_in(dir.parent().unwrap())
                .expect("shared sandbox"),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// The Go environment every command of a test gets: nothing reaches out.
    pub fn go_env(&self, cmd: &mut Command) {
        cmd.env("GOTOOLCHAIN", "local")
            .env(
                "GOPROXY",
                format!("file://{}", fixtures().join("goproxy").display()),
            )
            .env("GOSUMDB", "off")
            .env("GOFLAGS", "")
            .env("GOMODCACHE", self.path("gomodcache"))
            .env("DOCKER_CONFIG", self.path("docker"))
            .env_remove("SOURCE_DATE_EPOCH")
            .env_remove("FERRY_KEY_PASSWORD")
            .env_remove("FERRY_TRUSTED_KEYS")
            .env_remove("FERRY_APPROVERS");
    }

    pub fn ferry(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ferry"));
        self.go_env(&mut cmd);
        cmd.current_dir(self.dir.path());
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.ferry().args(args).output().expect("run ferry")
    }

    /// `ferry build DIR --pub rel.pub -o OUT` under `unshare -n`, with no
    /// module proxy: the isolated side.
    pub fn build_offline(&self, dir: &str, out: &Path) -> Output {
        no_network()
            .arg(env!("CARGO_BIN_EXE_ferry"))
            .args(["build", dir, "--pub", "rel.pub", "-o"])
            .arg(out)
            .current_dir(self.dir.path())
            .env("GOTOOLCHAIN", "local")
            .env("GOPROXY", "off")
            .output()
            .expect("run ferry build under unshare -n")
    }

    /// `ferry keygen --no-password -o NAME`; returns (secret, public).
    pub fn keygen(&self, name: &str) -> (PathBuf, PathBuf) {
        let out = self.run(&["keygen", "--no-password", "-o", name]);
        assert_ok(&out);
        (
            self.path(&format!("{name}.key")),
            self.path(&format!("{name}.pub")),
        )
    }

    /// Packs a fixture app with key `rel` into `bundle`.
    pub fn pack(&self, app_name: &str, bundle: &str) -> PathBuf {
        assert_ok(&self.pack_with(app_name, bundle, &["-q"]));
        self.path(bundle)
    }

    /// `ferry pack APP -o BUNDLE --key rel.key FLAGS…` (keys made on first use).
    pub fn pack_with(&self, app_name: &str, bundle: &str, flags: &[&str]) -> Output {
        if !self.path("rel.key").exists() {
            self.keygen("rel");
        }
        let dir = app(app_name);
        let mut args = vec![
            "pack",
            dir.to_str().unwrap(),
            "-o",
            bundle,
            "--key",
            "rel.key",
        ];
        args.extend_from_slice(flags);
        self.run(&args)
    }

    /// `ferry unpack BUNDLE --pub rel.pub -C DEST`, which must succeed.
    pub fn unpack(&self, bundle: &str, dest: &str) {
        assert_ok(&self.run(&["unpack", bundle, "--pub", "rel.pub", "-C", dest, "-q"]));
    }

    /// Names in the sandbox folder, for "nothing was left behind" checks.
    pub fn listing(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != "gomodcache")
            .collect();
        names.sort();
        names
    }
}

pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The command's output (stdout and stderr) says each of `needles`.
pub fn assert_says(out: &Output, needles: &[&str]) {
    let said = text(out);
    for n in needles {
        assert!(said.contains(n), "expected {n:?} in:\n{said}");
    }
}

pub fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "expected success, got {:?}:\n{}",
        out.status.code(),
        text(out)
    );
}

pub fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "unexpected exit status:\n{}",
        text(out)
    );
}

/// `unshare -n` as root, else in a user namespace (`-rn`): a command with no network.
pub fn no_network() -> Command {
    let works = |args: &[&str]| {
        Command::new("unshare")
            .args(args)
            .arg("true")
            .status()
            .is_ok_and(|s| s.success())
    };
    let mut cmd = Command::new("unshare");
    if works(&["-n"]) {
        cmd.arg("-n");
    } else if works(&["-rn"]) {
        cmd.arg("-rn");
    } else {
        panic!(
            "unshare -n is not permitted here: the offline-build tests need it (run them as root, as CI does)"
        );
    }
    cmd
}

/// The stock minisign binary, which CI installs; its absence is a failure.
pub fn minisign() -> Command {
    assert!(
        Command::new("minisign").arg("-v").output().is_ok(),
        "the stock minisign binary is needed as an independent check: apt-get install minisign (scripts/test.sh does)"
    );
    Command::new("minisign")
}

impl Sandbox {
    /// Runs the stock minisign in the sandbox with `args`, stdin empty.
    pub fn minisign(&self, args: &[&str]) -> Output {
        minisign()
            .args(args)
            .current_dir(self.dir.path())
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run minisign")
    }
}

/// `NAME-<pid>` in `base`, for what one test run makes once and shares (kept
/// in a `OnceLock`, so never dropped): the folders that earlier runs left
/// there are removed first, once their process is gone.
pub fn run_dir(base: &Path, name: &str) -> PathBuf {
    let prefix = format!("{name}-");
    for entry in std::fs::read_dir(base).into_iter().flatten().flatten() {
        let file_name = entry.file_name();
        let Some(pid) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let is_pid = !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit());
        if is_pid && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    base.join(format!("{name}-{}", std::process::id()))
}

/// Copies a folder tree (regular files and folders).
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let dest = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// Every file under `root` but those named in `leave_out`: relative path,
/// bytes and mode, sorted; two unpacked trees compare whole.
pub fn files_of(root: &Path, leave_out: &[&str]) -> Vec<(String, Vec<u8>, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let mut files: Vec<_> = walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(root).unwrap().display().to_string();
            let mode = e.metadata().unwrap().permissions().mode();
            (rel, std::fs::read(e.path()).unwrap(), mode)
        })
        .filter(|(rel, _, _)| !leave_out.contains(&rel.as_str()))
        .collect();
    files.sort();
    files
}
