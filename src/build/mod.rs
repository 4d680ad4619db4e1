//! The offline build, as `ferry pack` proves it before signing and `ferry
//! build` runs it on the isolated side: the tree laid out as the Dockerfile
//! lays it out, the local Go, an empty module cache, no proxy, and an empty
//! network namespace (`unshare -n`) where the system allows one.

pub mod executable;
pub mod inputs;
pub mod provenance;
pub mod warnings;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::dockerfile::BuildMode;
use crate::dockerfile::{self, MainPackage, Spec};
use crate::exit::{Classify, Exit};
use crate::gomod::toolchain::Go;
use crate::source;

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("the offline build ({mode} mode, {isolation}) failed: {command}\n{output}")]
    Failed {
        mode: &'static str,
        isolation: String,
        command: String,
        output: String,
    },
    #[error(
        "the offline build of {package} wrote {path}, which is not a program: {reason}; nothing was built"
    )]
    NotExecutable {
        package: String,
        path: PathBuf,
        reason: String,
    },
    #[error("{path}: {reason}")]
    Setup { path: PathBuf, reason: String },
    /// pack's proof builds its scratch copy where it lies: a build that
    /// wrote into it proved a tree other than the one the bundle carries.
    /// `path` is relative to the module's tree (the bundle's `src/`).
    #[error(
        "the offline build changed {path} ({how}) in the tree it built and the bundle carries; nothing was written"
    )]
    ChangedSource { path: PathBuf, how: &'static str },
    /// Asked to stop (pack failed beside it): nothing was proven.
    #[error("the offline build was stopped before it finished; nothing was built")]
    Stopped,
    /// A bug in ferry: the proof's thread panicked. Told, not re-raised.
    #[error(
        "the offline build's thread failed ({reason}); this is a bug in ferry, nothing was written"
    )]
    Panicked { reason: String },
}

impl Classify for BuildError {
    fn exit(&self) -> Exit {
        match self {
            BuildError::Failed { .. }
            | BuildError::NotExecutable { .. }
            | BuildError::ChangedSource { .. } => Exit::CheckFailed,
            BuildError::Setup { .. } | BuildError::Stopped | BuildError::Panicked { .. } => {
                Exit::CouldNotRun
            }
        }
    }
}

/// How the build was kept off the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// `unshare -n` (as root) or `unshare -rn` (in a user namespace).
    Namespace(&'static str),
    /// No namespace could be made: GOPROXY=off and an empty module cache only.
    ProxyOff,
}

impl std::fmt::Display for Isolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Isolation::Namespace(how) => write!(f, "no network: {how}"),
            Isolation::ProxyOff => write!(f, "GOPROXY=off, no network namespace available"),
        }
    }
}

/// The strongest isolation this system permits, found once.
pub fn isolation() -> Isolation {
    static FOUND: OnceLock<Isolation> = OnceLock::new();
    *FOUND.get_or_init(|| {
        let works = |flag: &str| {
            Command::new("unshare")
                .args([flag, "true"])
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if works("-n") {
            Isolation::Namespace("unshare -n")
        } else if works("-rn") {
            Isolation::Namespace("unshare -rn")
        } else {
            Isolation::ProxyOff
        }
    })
}

/// What an offline build produced.
#[derive(Debug, Clone)]
pub struct Built {
    pub binary: PathBuf,
    pub isolation: Isolation,
    pub go_version: String,
}

/// Builds the module tree at `src` (with its vendor/) as `spec` says, each
/// main package of `spec.mains` into the path at the same place in `outs`,
/// in a scratch folder under `temp` laid out for the mode. Each result must
/// be a program.
pub fn offline(
    go: &Go,
    src: &Path,
    spec: &Spec,
    outs: &[PathBuf],
    temp: &Path,
) -> Result<Vec<Built>, BuildError> {
    build_all(go, src, spec, outs, temp, None)
}

/// [`offline`] of pack's own scratch copy, which nothing else writes: built
/// where it lies instead of copied again (vendor mode in `src` itself,
/// GOPATH mode through a symbolic link at `$GOPATH/src/<module path>`; a
/// GOPATH workspace is still laid out apart), and stopped (its `go`
/// killed, its scratch folder removed) as soon as `stop` is set: pack
/// proves the build beside its other stages, and one that fails takes the
/// proof down with it. Reading `src` is all go build does with it; the
/// caller checks that it stayed so.
pub fn offline_until(
    go: &Go,
    src: &Path,
    spec: &Spec,
    outs: &[PathBuf],
    temp: &Path,
    stop: &AtomicBool,
) -> Result<Vec<Built>, BuildError> {
    build_all(go, src, spec, outs, temp, Some(stop))
}

fn build_all(
    go: &Go,
    src: &Path,
    spec: &Spec,
    outs: &[PathBuf],
    temp: &Path,
    stop: Option<&AtomicBool>,
) -> Result<Vec<Built>, BuildError> {
    let setup = |path: &Path| {
        let path = path.to_path_buf();
        move |e: std::io::Error| BuildError::Setup {
            path,
            reason: e.to_string(),
        }
    };
    if !stays_below(&spec.module) {
        return Err(BuildError::Setup {
            path: PathBuf::from(&spec.module),
            reason: "a module path that is not plain relative folders would lay the source outside the scratch GOPATH".into(),
        });
    }
    let work = crate::temp::dir_in("build", temp).map_err(setup(temp))?;
    let gopath = work.path().join("gopath");
    let placed = match stop {
        Some(_) => in_place(src, spec, work.path())?,
        None => None,
    };
    let (tree, root) = match placed {
        Some(tree) => (tree, src.to_path_buf()),
        None => (lay_out(src, spec, work.path())?, work.path().join("src")),
    };
    let modcache = work.path().join("modcache");
    std::fs::create_dir_all(&modcache).map_err(setup(&modcache))?;
    // Vendor mode in a workspace builds with the carried go.work.
    let gowork = match (spec.mode, &spec.layout.workspace) {
        (BuildMode::Vendor, Some(ws)) => Some(root.join(&ws.dir).join("go.work")),
        _ => None,
    };
    let place = Place {
        tree: &tree,
        gopath: &gopath,
        modcache: &modcache,
        gowork: gowork.as_deref(),
        work: work.path(),
        stop,
    };
    spec.mains
        .iter()
        .zip(outs)
        .map(|(main, out)| build_one(go, spec, main, out, &place))
        .collect()
}

/// Where the scratch build runs: the source, GOPATH and an empty module cache.
struct Place<'a> {
    tree: &'a Path,
    gopath: &'a Path,
    modcache: &'a Path,
    gowork: Option<&'a Path>,
    /// The build's own scratch folder (go's output is kept there).
    work: &'a Path,
    stop: Option<&'a AtomicBool>,
}

/// `go build` of one main package into `out`, which must then be a program.
fn build_one(
    go: &Go,
    spec: &Spec,
    main: &MainPackage,
    out: &Path,
    place: &Place,
) -> Result<Built, BuildError> {
    let isolation = isolation();
    let mut cmd = match isolation {
        Isolation::Namespace(how) => {
            let mut c = Command::new("unshare");
            c.args(how.split_whitespace().skip(1)).arg(&go.program);
            c
        }
        Isolation::ProxyOff => Command::new(&go.program),
    };
    let args = go_args(spec, main, &out.display().to_string());
    // go takes $PWD for the folder it runs in when it names the same
    // folder: through a link, the path below $GOPATH/src.
    cmd.args(&args)
        .current_dir(place.tree)
        .env("PWD", place.tree);
    offline_env(&mut cmd, spec, place.gopath, place.modcache);
    if let Some(gowork) = place.gowork {
        cmd.env("GOWORK", gowork);
    }
    let output = run_until(&mut cmd, place.work, place.stop).map_err(|e| BuildError::Setup {
        path: go.program.clone(),
        reason: e.to_string(),
    })?;
    let Some(output) = output else {
        return Err(BuildError::Stopped);
    };
    if !output.status.success() {
        // What ran, with the environment it ran in (all but the scratch
        // GOPATH and module cache): pasted in a tree laid out the same, it
        // builds the same.
        return Err(BuildError::Failed {
            mode: mode_name(spec.mode),
            isolation: isolation.to_string(),
            command: echoed(spec, &args),
            output: output.text.trim_end().to_string(),
        });
    }
    executable::check(out, &spec.target.os).map_err(|reason| BuildError::NotExecutable {
        package: main.package.clone(),
        path: out.to_path_buf(),
        reason,
    })?;
    Ok(Built {
        binary: out.to_path_buf(),
        isolation,
        go_version: go.version.clone(),
    })
}

/// Where the build of `src` runs without a copy: the module's folder in
/// vendor mode, a link to it at `$GOPATH/src/<module path>` in GOPATH mode;
/// `None` for a GOPATH workspace (each module at its own path, vendor/
/// apart), which [`lay_out`] copies.
fn in_place(src: &Path, spec: &Spec, work: &Path) -> Result<Option<PathBuf>, BuildError> {
    let module = src.join(&spec.layout.module_dir);
    match (spec.mode, &spec.layout.workspace) {
        (BuildMode::Vendor, _) => Ok(Some(module)),
        (BuildMode::Gopath, Some(_)) => Ok(None),
        (BuildMode::Gopath, None) => {
            let link = work.join("gopath").join("src").join(&spec.module);
            let setup = |e: std::io::Error| BuildError::Setup {
                path: link.clone(),
                reason: e.to_string(),
            };
            if let Some(parent) = link.parent() {
                std::fs::create_dir_all(parent).map_err(setup)?;
            }
            std::os::unix::fs::symlink(&module, &link).map_err(setup)?;
            Ok(Some(link))
        }
    }
}

/// What a finished command printed (stdout, then stderr), and how it ended.
struct Finished {
    status: std::process::ExitStatus,
    text: String,
}

/// Runs `cmd` with its output in files under `work`, checking `stop` every
/// few milliseconds: `None` when it was stopped first. go's temporary
/// folder (`GOTMPDIR`) is under `work`; one that may be stopped runs in its
/// own process group, so a stop kills the compilers it started too, and
/// removing `work` leaves nothing of the build behind, and it dies with
/// ferry. (One that may not stays in ferry's group: Ctrl-C reaches it.)
fn run_until(
    cmd: &mut Command,
    work: &Path,
    stop: Option<&AtomicBool>,
) -> std::io::Result<Option<Finished>> {
    use std::os::unix::process::CommandExt;
    let (out, err, tmp) = (
        work.join("go.stdout"),
        work.join("go.stderr"),
        work.join("gotmp"),
    );
    std::fs::create_dir_all(&tmp)?;
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::fs::File::create(&out)?)
        .stderr(std::fs::File::create(&err)?)
        .env("GOTMPDIR", &tmp);
    if stop.is_some() {
        cmd.process_group(0);
        // Out of the terminal's group, Ctrl-C no longer reaches go: it is
        // killed when ferry dies instead.
        let parent = libc::pid_t::try_from(std::process::id()).map_err(std::io::Error::other)?;
        // SAFETY: prctl, getppid and _exit are plain system calls, safe
        // between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                // ferry died between fork and prctl: no signal will come.
                if libc::getppid() != parent {
                    libc::_exit(1);
                }
                Ok(())
            });
        }
    }
    let never = AtomicBool::new(false);
    let stop = stop.unwrap_or(&never);
    let mut child = cmd.spawn()?;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if stop.load(Ordering::Relaxed) {
            let group = libc::pid_t::try_from(child.id()).map_err(std::io::Error::other)?;
            // SAFETY: kill(2) with a negative pid signals that process
            // group, which is go's own (process_group(0) above).
            unsafe { libc::kill(-group, libc::SIGKILL) };
            child.wait()?;
            return Ok(None);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let read = |p: &Path| std::fs::read(p).map(|b| String::from_utf8_lossy(&b).into_owned());
    Ok(Some(Finished {
        status,
        text: read(&out)? + &read(&err)?,
    }))
}

/// Copies what the mode builds from `src` into `work`, as the Dockerfile
/// lays it out; returns the folder `go build` runs in. Vendor mode takes the
/// whole of `src/` (local replacement folders and workspace modules keep
/// their relative places) and runs in the module's folder; GOPATH mode puts
/// the module at `$GOPATH/src/<module path>`, and in a workspace each module
/// at its own path with the shared vendor/ at `$GOPATH/src/vendor`.
fn lay_out(src: &Path, spec: &Spec, work: &Path) -> Result<PathBuf, BuildError> {
    let gopath_src = work.join("gopath").join("src");
    let l = &spec.layout;
    let copies: Vec<(PathBuf, PathBuf)> = match (spec.mode, &l.workspace) {
        (BuildMode::Vendor, _) => vec![(src.to_path_buf(), work.join("src"))],
        (BuildMode::Gopath, None) => vec![(src.join(&l.module_dir), gopath_src.join(&spec.module))],
        (BuildMode::Gopath, Some(ws)) => {
            let mut c: Vec<(PathBuf, PathBuf)> = Vec::new();
            for m in &ws.modules {
                if !stays_below(&m.path) {
                    return Err(BuildError::Setup {
                        path: PathBuf::from(&m.path),
                        reason: "a workspace module path that is not plain relative folders would lay the source outside the scratch GOPATH".into(),
                    });
                }
                c.push((src.join(&m.dir), gopath_src.join(&m.path)));
            }
            c.push((src.join(&ws.dir).join("vendor"), gopath_src.join("vendor")));
            c
        }
    };
    for (from, to) in copies {
        let files = source::walk(&from, false, &[]).map_err(|e| BuildError::Setup {
            path: from.clone(),
            reason: e.to_string(),
        })?;
        source::copy_to(&files, &to).map_err(|e| BuildError::Setup {
            path: to.clone(),
            reason: e.to_string(),
        })?;
    }
    Ok(match spec.mode {
        BuildMode::Gopath => gopath_src.join(&spec.module),
        BuildMode::Vendor => work.join("src").join(&l.module_dir),
    })
}

/// The arguments of `go` for the build, as the Dockerfile's `go build` but
/// writing to `out`.
pub fn go_args(spec: &Spec, main: &MainPackage, out: &str) -> Vec<String> {
    let mut args = dockerfile::build_args(spec, main);
    args.remove(0);
    if let Some(o) = args.iter().position(|a| a == "-o") {
        args[o + 1] = out.to_string();
    }
    args
}

/// The variables the build sets besides its scratch folders (`GOPATH`,
/// `GOMODCACHE`): the Dockerfile's builder stage, for the mode, and the
/// platform it builds for.
pub fn offline_vars(spec: &Spec) -> Vec<(&'static str, String)> {
    let mut vars: Vec<(&'static str, String)> = vec![
        ("GOPROXY", "off".into()),
        ("GOSUMDB", "off".into()),
        ("GOTOOLCHAIN", "local".into()),
        ("GOENV", "off".into()),
        ("CGO_ENABLED", dockerfile::cgo_enabled(spec.cgo).into()),
        ("GOOS", spec.target.os.clone()),
        ("GOARCH", spec.target.arch.clone()),
    ];
    match spec.mode {
        BuildMode::Gopath => vars.extend([("GO111MODULE", "off".into()), ("GOFLAGS", "".into())]),
        BuildMode::Vendor => {
            vars.extend([("GOFLAGS", "-mod=vendor".into()), ("GOWORK", "off".into())])
        }
    }
    vars
}

/// What ran, with the environment it ran in (all but the scratch GOPATH and
/// module cache), run from the main module's folder: pasted in a tree laid
/// out the same, it builds the same. In a workspace GOWORK names the carried
/// go.work from that folder (`"$PWD/../go.work"`: go wants it absolute).
fn echoed(spec: &Spec, args: &[String]) -> String {
    let gowork = match (spec.mode, &spec.layout.workspace) {
        (BuildMode::Vendor, Some(ws)) => {
            let up = "../".repeat(
                spec.layout
                    .module_dir
                    .split('/')
                    .filter(|p| !p.is_empty())
                    .count(),
            );
            Some(format!(
                "{up}{}",
                crate::source::Layout::join(&ws.dir, "go.work")
            ))
        }
        _ => None,
    };
    let mut line = String::from("env");
    for (k, v) in offline_vars(spec) {
        let word = match (k, &gowork) {
            ("GOWORK", Some(rel))
                if rel
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c)) =>
            {
                format!("GOWORK=\"$PWD/{rel}\"")
            }
            _ => crate::text::shell_quote(&format!("{k}={v}")),
        };
        line.push(' ');
        line.push_str(&word);
    }
    line.push_str(" go ");
    line.push_str(&crate::text::shell_line(args));
    line
}

/// Go settings that change what is built (the platform's instruction sets,
/// the compiler's experiments, module mode): every go command ferry runs
/// for the build sets its own or none, whatever the environment of whoever
/// runs ferry.
const SETTINGS: [&str; 13] = [
    "GO111MODULE",
    "GOEXPERIMENT",
    "GOAMD64",
    "GOARM",
    "GOARM64",
    "GO386",
    "GOMIPS",
    "GOMIPS64",
    "GOPPC64",
    "GORISCV64",
    "GOWASM",
    "GOFIPS140",
    "GODEBUG",
];

/// The C toolchain's settings, which only a cgo build reads: cleared
/// unless the build has cgo on, when the site's C compiler is used.
const CGO_VARS: [&str; 9] = [
    "CC",
    "CXX",
    "CGO_CFLAGS",
    "CGO_CPPFLAGS",
    "CGO_CXXFLAGS",
    "CGO_FFLAGS",
    "CGO_LDFLAGS",
    "PKG_CONFIG",
    "AR",
];

/// What every go command of the build (the proof, `ferry build`, and pack's
/// `go list` of main packages and cgo) runs with: the target's `GOOS` and
/// `GOARCH`, cgo as asked, no `go env -w` file, and none of [`SETTINGS`]
/// (nor, with cgo off, the C toolchain's) from the caller's environment.
pub fn target_env(cmd: &mut Command, target: &dockerfile::Target, cgo: bool) {
    for var in SETTINGS {
        cmd.env_remove(var);
    }
    if !cgo {
        for var in CGO_VARS {
            cmd.env_remove(var);
        }
    }
    cmd.env("GOENV", "off")
        .env("GOOS", &target.os)
        .env("GOARCH", &target.arch)
        .env("CGO_ENABLED", dockerfile::cgo_enabled(cgo));
}

/// The C compiler a cgo build of `spec` runs (`go env CC` in the build's
/// environment: the site's `CC`, else Go's default), for the user to see.
pub fn c_compiler(go: &Go, dir: &Path, spec: &Spec) -> Result<String, BuildError> {
    let mut cmd = go.command(dir);
    target_env(&mut cmd, &spec.target, spec.cgo);
    cmd.args(["env", "CC"]);
    let out = go
        .run(&mut cmd, dir, false)
        .map_err(|e| BuildError::Setup {
            path: go.program.clone(),
            reason: e.to_string(),
        })?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The environment of the Dockerfile's builder stage, nothing inherited that
/// could reach out or change how Go resolves packages or what it builds.
fn offline_env(cmd: &mut Command, spec: &Spec, gopath: &Path, modcache: &Path) {
    for var in ["GOFLAGS", "GOWORK", "GONOPROXY", "GOPRIVATE"] {
        cmd.env_remove(var);
    }
    target_env(cmd, &spec.target, spec.cgo);
    cmd.env("GOPATH", gopath).env("GOMODCACHE", modcache);
    cmd.envs(offline_vars(spec));
}

/// Whether `rel`, joined to a folder, stays below it whatever it says: the
/// manifest's fields are checked before a build, and this holds even so.
fn stays_below(rel: &str) -> bool {
    let path = Path::new(rel);
    path.components().next().is_some()
        && path
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

pub fn mode_name(mode: BuildMode) -> &'static str {
    match mode {
        BuildMode::Gopath => "gopath",
        BuildMode::Vendor => "vendor",
    }
}

/// cgo files in `tree/vendor` whose quoted includes are not there.
pub fn missing_includes(tree: &Path) -> Vec<warnings::MissingInclude> {
    let vendor = tree.join("vendor");
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(&vendor)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
    {
        let path = entry.path();
        if !entry.file_type().is_file() || path.extension().is_none_or(|e| e != "go") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let dir = path.parent().unwrap_or(&vendor);
        for header in warnings::cgo_includes(&text) {
            if !dir.join(&header).is_file() {
                let rel = path.strip_prefix(tree).unwrap_or(path);
                out.push(warnings::MissingInclude {
                    file: rel.display().to_string(),
                    header,
                });
            }
        }
    }
    out
}

/// The binary's name: the main package's last path element, or the module's
/// without a `/vN` major-version suffix.
pub fn binary_name(module: &str, main: &str) -> String {
    let main = main.trim_start_matches("./").trim_end_matches('/');
    if !main.is_empty() && main != "." {
        return main.rsplit('/').next().unwrap_or(main).to_string();
    }
    let mut parts = module.rsplit('/');
    let last = parts.next().unwrap_or(module);
    let is_major =
        last.len() > 1 && last.starts_with('v') && last[1..].bytes().all(|b| b.is_ascii_digit());
    match (is_major, parts.next()) {
        (true, Some(prev)) => prev.to_string(),
        _ => last.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether process `pid` still runs (a zombie has ended).
    fn running(pid: &str) -> bool {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            return false;
        };
        // The state follows the ")" that closes the command's name.
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, r)| r.trim_start().chars().next());
        !matches!(state, Some('Z' | 'X'))
    }

    #[test]
    fn a_stop_kills_the_command_and_everything_it_started() {
        let work = tempfile::tempdir().unwrap();
        let pids = work.path().join("pids");
        // A shell (the group's leader) with a child that outlives it: a stop
        // that killed only the shell, or waited for it, would leave it.
        let script = format!(
            "sleep 120 & echo $$ $! >{p}.tmp && mv {p}.tmp {p}; sleep 30",
            p = pids.display()
        );
        let mut cmd = Command::new("sh");
        cmd.args(["-c", &script]);
        let stop = AtomicBool::new(false);
        let (ran, group) = std::thread::scope(|s| {
            let setter = s.spawn(|| {
                // Stop once both run (or give up waiting: the test fails).
                for _ in 0..1500 {
                    if let Ok(t) = std::fs::read_to_string(&pids) {
                        stop.store(true, Ordering::Relaxed);
                        return t;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                stop.store(true, Ordering::Relaxed);
                String::new()
            });
            let ran = run_until(&mut cmd, work.path(), Some(&stop));
            (ran, setter.join().unwrap())
        });
        assert!(ran.unwrap().is_none(), "ran to its end, not stopped");
        let pids: Vec<&str> = group.split_whitespace().collect();
        assert_eq!(pids.len(), 2, "{group:?}");
        // SIGKILL lands asynchronously: give the child a moment to end.
        for _ in 0..500 {
            if !pids.iter().any(|p| running(p)) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let alive: Vec<&&str> = pids.iter().filter(|p| running(p)).collect();
        assert!(alive.is_empty(), "still running after the stop: {alive:?}");
    }

    #[test]
    fn a_workspace_build_echoes_the_go_work_it_ran_with() {
        let mut spec = Spec {
            module: "example.com/svc".into(),
            mode: BuildMode::Vendor,
            mains: vec![MainPackage {
                package: ".".into(),
                binary: "svc".into(),
            }],
            tags: Vec::new(),
            ldflags: String::new(),
            cgo: false,
            builder: "golang:1.26".into(),
            builder_bundled: false,
            runtime: None,
            expose: Vec::new(),
            layout: Default::default(),
            target: Default::default(),
        };
        let args = vec!["build".to_string(), ".".into()];
        assert!(echoed(&spec, &args).contains(" GOWORK=off "));
        spec.layout.module_dir = "service".into();
        spec.layout.workspace = Some(crate::source::Workspace {
            dir: String::new(),
            modules: Vec::new(),
        });
        let line = echoed(&spec, &args);
        assert!(line.contains(r#" GOWORK="$PWD/../go.work" "#), "{line}");
        assert!(line.ends_with(" go build ."), "{line}");
    }

    #[test]
    fn a_module_path_never_lays_the_source_outside_gopath() {
        assert!(stays_below("example.com/app/v2"));
        for bad in ["", "../x", "/etc", "example.com/../../x", "./x"] {
            assert!(!stays_below(bad), "{bad}");
        }
    }

    #[test]
    fn binary_names() {
        assert_eq!(binary_name("example.com/clockwork", "."), "clockwork");
        assert_eq!(binary_name("example.com/svc/v2", "."), "svc");
        assert_eq!(binary_name("example.com/svc", "./cmd/agent"), "agent");
        assert_eq!(binary_name("v2", "."), "v2");
    }

    #[test]
    fn a_vendored_cgo_header_that_go_mod_vendor_dropped_is_found() {
        let tree = tempfile::tempdir().unwrap();
        let pkg = tree.path().join("vendor/example.com/clib");
        std::fs::create_dir_all(pkg.join("include")).unwrap();
        std::fs::write(pkg.join("include/here.h"), "").unwrap();
        let src = "package clib\n// #include \"include/here.h\"\n// #include \"lib/gone.h\"\nimport \"C\"\n";
        std::fs::write(pkg.join("clib.go"), src).unwrap();
        let missing = missing_includes(tree.path());
        assert_eq!(
            missing,
            vec![warnings::MissingInclude {
                file: "vendor/example.com/clib/clib.go".into(),
                header: "lib/gone.h".into(),
            }]
        );
    }
}
