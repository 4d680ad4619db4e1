//! The workspace the signed files describe (go.work's `use` lines, each used
//! folder's go.mod) held to the one the manifest names, and no main module
//! claiming a vendored dependency's packages: the build must read only
//! modules this check read.

use super::MainModules;
use crate::gomod::diags::{Code, Finding};
use crate::gomod::modules_txt::ModulesTxt;
use crate::gomod::workfile::WorkFile;
use crate::source::Layout;

/// What the tree must be: the signed manifest's main module and layout (or,
/// at pack, the shape found), with the vendor root the check reads from.
pub struct Expected<'a> {
    pub module: &'a str,
    pub layout: &'a Layout,
}

const GO_WORK: &str = "go.work";

fn finding(code: Code, module: &str, file: &str, problem: String) -> Finding {
    Finding::new(code, module, "", file, problem)
}

/// A go.work where the manifest declares no workspace: Go would read it.
pub(super) fn undeclared(expected: Option<&Expected>) -> Finding {
    let module = expected.map(|e| e.module).unwrap_or_default();
    finding(
        Code::WorkspaceMismatch,
        module,
        GO_WORK,
        "there is a go.work beside vendor/, but the manifest declares no workspace (module.workspace)".into(),
    )
}

/// A workspace declared, and no go.work to say what it uses.
pub(super) fn no_go_work() -> Finding {
    finding(
        Code::WorkspaceMismatch,
        "",
        GO_WORK,
        "the manifest declares a workspace (module.workspace), but there is no go.work beside vendor/".into(),
    )
}

/// A used folder with no go.mod: Go refuses it, so nothing may skip it.
pub(super) fn no_go_mod(dir: &str) -> Finding {
    finding(
        Code::WorkspaceUse,
        "",
        GO_WORK,
        format!("uses {}, which has no go.mod", shown(dir)),
    )
}

/// Each `use` folder, resolved lexically from go.work's folder (`../`
/// kept where it climbs); an absolute one is a problem, never read.
pub(super) fn use_dirs(work: &WorkFile, problems: &mut Vec<Finding>) -> Vec<String> {
    let mut dirs = Vec::new();
    for used in &work.uses {
        match lexical(used) {
            Some(dir) => dirs.push(dir),
            None => problems.push(finding(
                Code::WorkspaceUse,
                "",
                GO_WORK,
                format!("uses {used}, an absolute folder: a workspace travels only with relative folders below src/"),
            )),
        }
    }
    for r in work.replaces.iter().filter(|r| r.with.version.is_none()) {
        if lexical(&r.with.path).is_none() {
            problems.push(finding(
                Code::WorkspaceUse,
                &r.path,
                GO_WORK,
                format!("replaces {} by {}, an absolute folder: a workspace travels only with relative folders below src/", r.path, r.with.path),
            ));
        }
    }
    dirs
}

/// `rel` with `.` and `x/..` folded away (`""` for go.work's own folder);
/// `None` when absolute.
fn lexical(rel: &str) -> Option<String> {
    if rel.starts_with('/') || rel.contains('\\') || rel.get(1..2) == Some(":") {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

fn shown(dir: &str) -> String {
    match dir {
        "" => ".".into(),
        d if d.starts_with("..") => d.into(),
        d => format!("./{d}"),
    }
}

/// The files against the manifest: the same main module, and in a
/// workspace exactly the folders and module paths it lists.
pub(super) fn against(mains: &MainModules, e: &Expected) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(ws) = &e.layout.workspace else {
        if let Some((_, m)) = mains.modules.first().filter(|(_, m)| m.module != e.module) {
            let file = format!("src/{}", Layout::join(&e.layout.module_dir, "go.mod"));
            out.push(finding(
                Code::WorkspaceMismatch,
                e.module,
                &file,
                format!(
                    "says module {}, but the manifest's module.path is {}",
                    m.module, e.module
                ),
            ));
        }
        return out;
    };
    let replaces = mains.work.iter().flat_map(|w| &w.replaces);
    for r in replaces.filter(|r| r.with.version.is_none()) {
        let leaves =
            lexical(&r.with.path).is_some() && Layout::resolve(&ws.dir, &r.with.path).is_none();
        if leaves {
            out.push(finding(
                Code::WorkspaceUse,
                &r.path,
                GO_WORK,
                format!(
                    "replaces {} by {}, which leads out of src/",
                    r.path, r.with.path
                ),
            ));
        }
    }
    let mut used = Vec::new();
    for (dir, m) in &mains.modules {
        let Some(at) = Layout::resolve(&ws.dir, dir) else {
            out.push(finding(
                Code::WorkspaceUse,
                &m.module,
                GO_WORK,
                format!("uses {}, which leads out of src/", shown(dir)),
            ));
            continue;
        };
        let file = format!("src/{}", Layout::join(&at, "go.mod"));
        match ws.modules.iter().find(|w| w.dir == at) {
            None => out.push(finding(
                Code::WorkspaceMismatch,
                &m.module,
                GO_WORK,
                format!("uses {} (src/{at}), which the manifest's module.workspace.modules does not list", shown(dir)),
            )),
            Some(w) if w.path != m.module => out.push(finding(
                Code::WorkspaceMismatch,
                &w.path,
                &file,
                format!("says module {}, but the manifest's module.workspace.modules names src/{at} {}", m.module, w.path),
            )),
            Some(_) => {}
        }
        used.push(at);
    }
    for w in ws.modules.iter().filter(|w| !used.contains(&w.dir)) {
        out.push(finding(
            Code::WorkspaceMismatch,
            &w.path,
            GO_WORK,
            format!(
                "does not use src/{}, which the manifest's module.workspace.modules lists as {}",
                w.dir, w.path
            ),
        ));
    }
    if !ws
        .modules
        .iter()
        .any(|w| w.dir == e.layout.module_dir && w.path == e.module)
    {
        out.push(finding(
            Code::WorkspaceMismatch,
            e.module,
            GO_WORK,
            format!(
                "the manifest's module {} in src/{} is not one of its module.workspace.modules",
                e.module, e.layout.module_dir
            ),
        ));
    }
    out
}

/// A main module whose path is a vendored dependency's, or lies below one
/// and holds some of its packages: Go would build the main module's folder
/// in place of the verified code.
pub(super) fn shadows(mains: &MainModules, txt: &ModulesTxt) -> Vec<Finding> {
    let mut out = Vec::new();
    for (dir, m) in &mains.modules {
        let main = m.module.as_str();
        let below = |p: &str| p == main || p.starts_with(&format!("{main}/"));
        for v in &txt.modules {
            let claims = v.path == main
                || (main.starts_with(&format!("{}/", v.path))
                    && v.packages.iter().any(|p| below(p)));
            if claims && !main.is_empty() {
                out.push(Finding::new(
                    Code::WorkspaceShadows,
                    main,
                    "",
                    GO_WORK,
                    format!(
                        "main module {main} ({}) takes the place of the vendored {}@{}: Go would build its folder instead of the verified code",
                        shown(dir),
                        v.path,
                        v.version
                    ),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gomod::{modfile, modules_txt, workfile};
    use crate::source::{Workspace, WorkspaceModule};

    fn mains(work: &str, modules: &[(&str, &str)]) -> MainModules {
        let work = workfile::parse(work).unwrap();
        let modules = modules
            .iter()
            .map(|(dir, path)| {
                let m = modfile::parse(&format!("module {path}\n")).unwrap();
                (dir.to_string(), m)
            })
            .collect();
        MainModules {
            work: Some(work),
            modules,
            sum: Default::default(),
            problems: Vec::new(),
        }
    }

    fn layout(dir: &str, modules: &[(&str, &str)]) -> Layout {
        Layout {
            module_dir: modules[0].0.to_string(),
            workspace: Some(Workspace {
                dir: dir.into(),
                modules: modules
                    .iter()
                    .map(|(d, p)| WorkspaceModule {
                        path: p.to_string(),
                        dir: d.to_string(),
                    })
                    .collect(),
            }),
        }
    }

    fn problems(found: &[Finding]) -> Vec<String> {
        found.iter().map(|f| f.problem.clone()).collect()
    }

    #[test]
    fn the_files_must_name_the_workspace_the_manifest_names() {
        let m = mains(
            "use ../lib\nuse ./svc\n",
            &[("../lib", "example.com/lib"), ("svc", "example.com/svc")],
        );
        let l = layout(
            "ws",
            &[("ws/svc", "example.com/svc"), ("lib", "example.com/lib")],
        );
        let e = Expected {
            module: "example.com/svc",
            layout: &l,
        };
        assert!(against(&m, &e).is_empty(), "{:?}", against(&m, &e));
        // The manifest adds a module go.work does not use, and names lib otherwise.
        let l = layout(
            "ws",
            &[
                ("ws/svc", "example.com/svc"),
                ("lib", "example.com/other"),
                ("evil", "example.com/x"),
            ],
        );
        let e = Expected {
            module: "example.com/svc",
            layout: &l,
        };
        let got = problems(&against(&m, &e));
        assert!(
            got.iter()
                .any(|p| p.contains("says module example.com/lib, but the manifest")),
            "{got:?}"
        );
        assert!(
            got.iter().any(|p| p.contains("does not use src/evil")),
            "{got:?}"
        );
        // A use or a replace that climbs out of src/.
        let m = mains(
            "use ../../x\nreplace example.com/r => ../../r\n",
            &[("../../x", "example.com/x")],
        );
        let got = problems(&against(&m, &e));
        assert!(
            got.iter()
                .any(|p| p == "uses ../../x, which leads out of src/"),
            "{got:?}"
        );
        assert!(
            got.iter()
                .any(|p| p.contains("replaces example.com/r by ../../r, which leads out of src/")),
            "{got:?}"
        );
    }

    #[test]
    fn a_main_module_in_a_dependency_place_is_named() {
        let txt = modules_txt::parse("## workspace\n# example.com/dep v1.0.0\n## explicit\nexample.com/dep\nexample.com/dep/sub\n").unwrap();
        for (path, hit) in [
            ("example.com/dep", true),
            ("example.com/dep/sub", true),
            ("example.com/dep/other", false),
            ("example.com/depx", false),
        ] {
            let m = mains("use ./a\n", &[("a", path)]);
            assert_eq!(!shadows(&m, &txt).is_empty(), hit, "{path}");
        }
    }

    #[test]
    fn lexical_keeps_climbs_and_refuses_absolute() {
        assert_eq!(lexical("./lib").as_deref(), Some("lib"));
        assert_eq!(lexical("../lib").as_deref(), Some("../lib"));
        assert_eq!(lexical("a/../../b").as_deref(), Some("../b"));
        assert_eq!(lexical(".").as_deref(), Some(""));
        assert_eq!(lexical("/tmp/x"), None);
        assert_eq!(lexical("C:/x"), None);
    }
}
