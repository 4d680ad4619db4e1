//! vendor/modules.txt against go.mod, with the rules of Go's own "inconsistent
//! vendoring" check: the same explicit requirements at the same versions, and
//! the same replacements, in both directions. In a workspace, against every
//! used module's go.mod and go.work, as `go work vendor` writes it: `##
//! workspace` first, each module's requirements explicit, replacements as Go
//! resolves them (go.work first) with local folders relative to go.work's.

use super::diags::{Code, Finding};
use super::modfile::{ModFile, Replace, lookup};
use super::modules_txt::{ModulesTxt, Replacement};
use super::workfile::WorkFile;

/// The go.mod files (and go.work) whose requirements and replacements
/// vendor/modules.txt records: one module at the vendor root, or each module
/// a workspace uses, by its folder relative to go.work's (`/`-separated).
pub struct Mains<'a> {
    pub modules: Vec<(&'a str, &'a ModFile)>,
    pub work: Option<&'a WorkFile>,
}

impl<'a> Mains<'a> {
    pub fn single(modfile: &'a ModFile) -> Mains<'a> {
        Mains {
            modules: vec![("", modfile)],
            work: None,
        }
    }

    fn requires(&self) -> impl Iterator<Item = &super::modfile::Require> {
        self.modules.iter().flat_map(|(_, m)| m.requires.iter())
    }

    /// The replacement Go applies to `path@version` (any version: `None`),
    /// go.work's first, with a module's local folder made relative to
    /// go.work's folder as Go records it (`canonicalizeReplacePath`).
    fn effective(&self, path: &str, version: Option<&str>) -> Option<Replacement> {
        if let Some(r) = self.work.and_then(|w| lookup(&w.replaces, path, version)) {
            return Some(r.clone());
        }
        self.modules.iter().find_map(|(dir, m)| {
            let r = lookup(&m.replaces, path, version)?;
            Some(match (self.work, r.is_local()) {
                (Some(_), true) => Replacement {
                    path: relative_to_work(dir, &r.path),
                    version: None,
                },
                _ => r.clone(),
            })
        })
    }
}

/// A module's local replacement folder `path` (relative to the module's
/// folder `dir`) relative to go.work's folder, spelled as Go's
/// `ToDirectoryPath` spells it (`./x`, `../x`, `/abs`).
pub fn relative_to_work(dir: &str, path: &str) -> String {
    if path.starts_with('/') {
        return path.to_string();
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in dir.split('/').chain(path.split('/')) {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match joined.as_str() {
        "" => ".".into(),
        j if j == ".." || j.starts_with("../") => joined,
        _ => format!("./{joined}"),
    }
}

const FILE: &str = "vendor/modules.txt";

fn finding(
    code: Code,
    path: &str,
    version: Option<&str>,
    problem: String,
    expected: Option<String>,
    actual: Option<String>,
) -> Finding {
    Finding::new(code, path, version.unwrap_or("*"), FILE, problem).hashes(expected, actual)
}

fn show(r: &Replacement) -> String {
    match &r.version {
        Some(v) => format!("{}@{v}", r.path),
        None => r.path.clone(),
    }
}

/// What modules.txt records as the replacement of `path` at `version`
/// (`None` version: a wildcard `# path => …` line).
fn recorded<'a>(txt: &'a ModulesTxt, path: &str, version: Option<&str>) -> Option<&'a Replacement> {
    match version {
        Some(v) => txt
            .modules
            .iter()
            .find(|m| m.path == path && m.version == v)?
            .replace
            .as_ref(),
        None => txt
            .wildcard_replaces
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, r)| r),
    }
}

/// Every difference between go.mod and modules.txt, as Go would report it.
pub fn check(modfile: &ModFile, txt: &ModulesTxt) -> Vec<Finding> {
    check_mains(&Mains::single(modfile), txt)
}

/// Every difference between the main modules (and go.work) and modules.txt.
pub fn check_mains(mains: &Mains, txt: &ModulesTxt) -> Vec<Finding> {
    let mut out = Vec::new();
    workspace_marked(mains, txt, &mut out);
    for (_, modfile) in &mains.modules {
        requirements_listed(modfile, txt, &mut out);
    }
    replacements_recorded(mains, txt, &mut out);
    explicit_required(mains, txt, &mut out);
    recorded_replaced(mains, txt, &mut out);
    out
}

/// `## workspace` heads modules.txt exactly when a go.work vendored it.
fn workspace_marked(mains: &Mains, txt: &ModulesTxt, out: &mut Vec<Finding>) {
    let problem = match (mains.work.is_some(), txt.workspace) {
        (true, false) => {
            "go.work makes this a workspace, but vendor/modules.txt was not written by `go work vendor` (no ## workspace)"
        }
        (false, true) => {
            "vendor/modules.txt was written for a workspace (## workspace), but there is no go.work"
        }
        _ => return,
    };
    let module = mains.modules.first().map_or("", |(_, m)| m.module.as_str());
    out.push(finding(
        Code::RequirementDrift,
        module,
        None,
        problem.into(),
        None,
        None,
    ));
}

/// Each requirement of go.mod is listed at its version, marked `## explicit`.
fn requirements_listed(modfile: &ModFile, txt: &ModulesTxt, out: &mut Vec<Finding>) {
    for r in &modfile.requires {
        let listed = txt
            .modules
            .iter()
            .find(|m| m.path == r.path && m.version == r.version);
        if !listed.is_some_and(|m| m.explicit) {
            let other = txt
                .modules
                .iter()
                .find(|m| m.path == r.path)
                .map(|m| m.version.clone());
            let problem = match &other {
                Some(v) if *v != r.version => format!(
                    "go.mod requires {}, but vendor/modules.txt lists {v}",
                    r.version
                ),
                _ => "is required in go.mod, but not marked ## explicit in vendor/modules.txt"
                    .to_string(),
            };
            out.push(finding(
                Code::RequirementDrift,
                &r.path,
                Some(&r.version),
                problem,
                Some(r.version.clone()),
                other,
            ));
        }
    }
}

/// Each replacement of go.mod (and go.work) is recorded in modules.txt, the
/// one Go resolves; each replaced module once.
fn replacements_recorded(mains: &Mains, txt: &ModulesTxt, out: &mut Vec<Finding>) {
    let mut seen = std::collections::HashSet::new();
    let in_work = mains.work.into_iter().flat_map(|w| w.replaces.iter());
    let all = mains
        .modules
        .iter()
        .flat_map(|(_, m)| m.replaces.iter())
        .chain(in_work);
    for rep in all {
        if !seen.insert((rep.path.as_str(), rep.version.as_deref())) {
            continue;
        }
        let Some(with) = mains.effective(&rep.path, rep.version.as_deref()) else {
            continue;
        };
        match recorded(txt, &rep.path, rep.version.as_deref()) {
            None => out.push(finding(
                Code::ReplacementDrift,
                &rep.path,
                rep.version.as_deref(),
                format!(
                    "is replaced by {} in go.mod, but not marked as replaced in vendor/modules.txt",
                    show(&with)
                ),
                Some(show(&with)),
                None,
            )),
            Some(r) if *r != with => out.push(finding(
                Code::ReplacementDrift,
                &rep.path,
                rep.version.as_deref(),
                "is replaced differently in go.mod and vendor/modules.txt".into(),
                Some(show(&with)),
                Some(show(r)),
            )),
            Some(_) => {}
        }
    }
}

/// Each module marked `## explicit` is required at that version by go.mod
/// (in a workspace, by one of its modules' go.mod).
fn explicit_required(mains: &Mains, txt: &ModulesTxt, out: &mut Vec<Finding>) {
    for m in txt.modules.iter().filter(|m| m.explicit) {
        if !mains
            .requires()
            .any(|r| r.path == m.path && r.version == m.version)
        {
            out.push(finding(
                Code::RequirementDrift,
                &m.path,
                Some(&m.version),
                "is marked ## explicit in vendor/modules.txt, but not required in go.mod".into(),
                None,
                Some(m.version.clone()),
            ));
        }
    }
}

/// Each replacement modules.txt records is one go.mod (or go.work) makes.
fn recorded_replaced(mains: &Mains, txt: &ModulesTxt, out: &mut Vec<Finding>) {
    let replaced = txt
        .modules
        .iter()
        .filter_map(|m| {
            m.replace
                .as_ref()
                .map(|r| (m.path.as_str(), Some(m.version.as_str()), r))
        })
        .chain(
            txt.wildcard_replaces
                .iter()
                .map(|(p, r)| (p.as_str(), None, r)),
        );
    for (path, version, r) in replaced {
        let in_gomod = match version {
            Some(_) => mains.effective(path, version).is_some(),
            None => {
                let wild =
                    |rs: &[Replace]| rs.iter().any(|x| x.path == path && x.version.is_none());
                mains.modules.iter().any(|(_, m)| wild(&m.replaces))
                    || mains.work.is_some_and(|w| wild(&w.replaces))
            }
        };
        if !in_gomod {
            out.push(finding(
                Code::ReplacementDrift,
                path,
                version,
                format!(
                    "is marked as replaced by {} in vendor/modules.txt, but not replaced in go.mod",
                    show(r)
                ),
                None,
                Some(show(r)),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gomod::{modfile, modules_txt};

    const GOMOD: &str = "module example.com/clockwork\n\ngo 1.22\n\nrequire (\n\texample.com/Upper/tzinfo v1.0.0\n\texample.com/localdep v0.0.0\n\texample.com/strutil v1.0.0\n)\n\nreplace example.com/strutil v1.0.0 => example.com/strutil v1.1.0\n\nreplace example.com/localdep => ./third_party/localdep\n";
    const TXT: &str = "# example.com/Upper/tzinfo v1.0.0\n## explicit; go 1.21\nexample.com/Upper/tzinfo\n# example.com/localdep v0.0.0 => ./third_party/localdep\n## explicit; go 1.21\nexample.com/localdep\n# example.com/strutil v1.0.0 => example.com/strutil v1.1.0\n## explicit; go 1.21\nexample.com/strutil\n# example.com/localdep => ./third_party/localdep\n";

    fn run(gomod: &str, txt: &str) -> Vec<String> {
        let f = check(
            &modfile::parse(gomod).unwrap(),
            &modules_txt::parse(txt).unwrap(),
        );
        f.iter().map(|f| f.to_string()).collect()
    }

    #[test]
    fn what_go_mod_vendor_writes_is_consistent() {
        assert!(run(GOMOD, TXT).is_empty(), "{:?}", run(GOMOD, TXT));
    }

    #[test]
    fn each_difference_is_named() {
        let bumped = TXT.replace("tzinfo v1.0.0", "tzinfo v1.0.1");
        let f = run(GOMOD, &bumped);
        assert!(
            f.iter().any(
                |s| s.contains("example.com/Upper/tzinfo@v1.0.0") && s.contains("lists v1.0.1")
            ),
            "{f:?}"
        );
        assert!(
            f.iter()
                .any(|s| s.contains("tzinfo@v1.0.1") && s.contains("not required in go.mod")),
            "{f:?}"
        );

        let extra_replace = format!("{GOMOD}\nreplace example.com/Upper/tzinfo => ../fork\n");
        let f = run(&extra_replace, TXT);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].contains("replaced by ../fork in go.mod, but not marked"),
            "{f:?}"
        );

        let other_target = TXT.replace(
            "=> example.com/strutil v1.1.0",
            "=> example.com/strutil v1.2.0",
        );
        let f = run(GOMOD, &other_target);
        assert!(
            f.iter().any(|s| s.contains("replaced differently")
                && s.contains(
                    "expected example.com/strutil@v1.1.0, actual example.com/strutil@v1.2.0"
                )),
            "{f:?}"
        );

        let not_explicit = TXT.replacen(
            "## explicit; go 1.21\nexample.com/Upper",
            "## go 1.21\nexample.com/Upper",
            1,
        );
        assert!(run(GOMOD, &not_explicit)[0].contains("not marked ## explicit"));

        let dropped = GOMOD.replace(
            "replace example.com/localdep => ./third_party/localdep\n",
            "",
        );
        let f = run(&dropped, TXT);
        assert!(
            f.iter()
                .any(|s| s.contains("localdep") && s.contains("not replaced in go.mod")),
            "{f:?}"
        );
    }

    // What `go work vendor` wrote for a workspace of ./lib and ./service,
    // whose go.mod replaces example.com/shared => ../shared (Go 1.26).
    const WS_TXT: &str = "## workspace\n# example.com/greet/v2 v2.1.0\n## explicit; go 1.21\nexample.com/greet/v2\nexample.com/greet/v2/internal/pad\n# example.com/shared v0.0.0 => ./shared\n## explicit; go 1.22\nexample.com/shared\n# example.com/strutil v1.0.0\n## explicit; go 1.21\n# example.com/strutil v1.1.0\n## explicit; go 1.21\nexample.com/strutil\n# example.com/shared => ./shared\n";
    const WS_LIB: &str = "module example.com/wslib\n\ngo 1.22\n\nrequire example.com/greet/v2 v2.1.0\n\nrequire example.com/strutil v1.0.0 // indirect\n";
    const WS_SERVICE: &str = "module example.com/wsservice\n\ngo 1.22\n\nrequire example.com/strutil v1.1.0\n\nrequire example.com/shared v0.0.0\n\nreplace example.com/shared => ../shared\n";

    fn run_ws(lib: &str, service: &str, txt: &str, work: &str) -> Vec<String> {
        let (lib, service) = (
            modfile::parse(lib).unwrap(),
            modfile::parse(service).unwrap(),
        );
        let work = crate::gomod::workfile::parse(work).unwrap();
        let mains = Mains {
            modules: vec![("lib", &lib), ("service", &service)],
            work: Some(&work),
        };
        let f = check_mains(&mains, &modules_txt::parse(txt).unwrap());
        f.iter().map(|f| f.to_string()).collect()
    }

    const WORK: &str = "go 1.22\n\nuse (\n\t./lib\n\t./service\n)\n";

    #[test]
    fn what_go_work_vendor_writes_is_consistent() {
        let f = run_ws(WS_LIB, WS_SERVICE, WS_TXT, WORK);
        assert!(f.is_empty(), "{f:?}");
        assert_eq!(relative_to_work("service", "../shared"), "./shared");
        assert_eq!(relative_to_work("a/b", "../../../x"), "../x");
        assert_eq!(relative_to_work("", "./lib"), "./lib");
        assert_eq!(relative_to_work("svc", "/abs"), "/abs");
    }

    #[test]
    fn each_workspace_difference_is_named() {
        let drifted = WS_LIB.replace("greet/v2 v2.1.0", "greet/v2 v2.0.9");
        let f = run_ws(&drifted, WS_SERVICE, WS_TXT, WORK);
        assert!(
            f.iter()
                .any(|s| s.contains("greet/v2@v2.0.9") && s.contains("lists v2.1.0")),
            "{f:?}"
        );
        let unmarked = WS_TXT.replace("## workspace\n", "");
        let f = run_ws(WS_LIB, WS_SERVICE, &unmarked, WORK);
        assert!(f.iter().any(|s| s.contains("no ## workspace")), "{f:?}");
        // The module's own spelling is not what Go records in a workspace.
        let module_relative = WS_TXT.replace("=> ./shared", "=> ../shared");
        let f = run_ws(WS_LIB, WS_SERVICE, &module_relative, WORK);
        assert!(
            f.iter().any(|s| s.contains("replaced differently")
                && s.contains("expected ./shared, actual ../shared")),
            "{f:?}"
        );
        // go.work's own replacement wins over a module's.
        let work = format!("{WORK}\nreplace example.com/shared => ./fork\n");
        let f = run_ws(WS_LIB, WS_SERVICE, WS_TXT, &work);
        assert!(
            f.iter()
                .any(|s| s.contains("expected ./fork, actual ./shared")),
            "{f:?}"
        );
        // A single module's modules.txt is not a workspace's.
        let single = modfile::parse(GOMOD).unwrap();
        let f = check(
            &single,
            &modules_txt::parse(&format!("## workspace\n{TXT}")).unwrap(),
        );
        assert!(
            f.iter()
                .any(|s| s.to_string().contains("there is no go.work")),
            "{f:?}"
        );
    }
}
