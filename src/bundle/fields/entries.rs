//! Entry paths a bundle may list: names every file system reads the same,
//! no version control folder, no file that another entry needs as a folder,
//! and the modes ferry writes.

use crate::bundle::{MANIFEST, SIGNATURE, names};
use crate::image::grammar::image_entry_name;

/// Version control folders: a bundle that carries one hands its hooks and
/// config to whoever runs git (or hg, svn…) in the unpacked tree.
const VCS_FOLDERS: [&str; 7] = [
    ".git",
    ".hg",
    ".svn",
    ".bzr",
    "cvs",
    "_darcs",
    ".fossil-settings",
];

/// An entry path: what `names::check` accepts (relative, `/`-separated, no
/// empty, `.` or `..` element, no backslash, NUL, control character or drive
/// letter), not the manifest or its signature, and no element that a
/// case-insensitive file system (or git's NTFS/HFS rules) reads as a VCS
/// folder: `.git`, `.hg`, `.svn`, `.bzr`, `CVS`, `_darcs`, `.fossil-settings`.
pub fn entry_path(path: &str) -> Result<(), String> {
    names::check(path.as_bytes()).map_err(|why| format!("not a bundle entry name: {why}"))?;
    if path == MANIFEST || path == SIGNATURE {
        return Err("the manifest and its signature are not entries".into());
    }
    if let Some(elem) = path.split('/').find(|e| vcs_folder(e)) {
        return Err(format!(
            "entry names a version control folder ({elem:?}); bundles carry none"
        ));
    }
    Ok(())
}

/// Whether a file system could open `elem` as a VCS folder: case folded,
/// NTFS's trailing dots and spaces and `::stream` dropped, HFS+'s ignored
/// code points removed, and git's `GIT~1` short name.
fn vcs_folder(elem: &str) -> bool {
    let base = elem.split(':').next().unwrap_or(elem);
    if base.is_ascii() {
        // No HFS+ ignored code point can be in it: folded without a copy.
        let trimmed = base.trim_end_matches(['.', ' ']);
        return VCS_FOLDERS
            .iter()
            .chain(&["git~1"])
            .any(|v| trimmed.eq_ignore_ascii_case(v));
    }
    let folded: String = base
        .chars()
        .filter(|&c| !hfs_ignored(c))
        .collect::<String>()
        .trim_end_matches(['.', ' '])
        .to_ascii_lowercase();
    VCS_FOLDERS.contains(&folded.as_str()) || folded == "git~1"
}

/// Code points HFS+ ignores in names (git's `is_hfs_dotgit` list).
fn hfs_ignored(c: char) -> bool {
    matches!(c, '\u{200C}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{206A}'..='\u{206F}' | '\u{FEFF}')
}

/// An image's tar is an entry too: the image domain's name rule, then the
/// entry path rules (to NTFS, `images/cvs:x.tar` is a stream of `cvs`).
pub fn image_entry(entry: &str) -> Result<(), String> {
    image_entry_name(entry)?;
    entry_path(entry)
}

/// 0644 or 0755: what ferry writes, no set-id, sticky or world-writable bits.
pub fn entry_mode(mode: u32) -> Result<(), String> {
    if mode == 0o644 || mode == 0o755 {
        Ok(())
    } else {
        Err("an entry mode is 0644 or 0755".into())
    }
}

/// Paths that cannot all be extracted: a duplicate, or a file that another
/// path needs as a folder (`src/a` and `src/a/b`). Each clash is reported
/// once, as `(index of the later path, rule naming the other)`.
pub fn file_vs_folder<S: AsRef<str>>(paths: &[S]) -> Vec<(usize, String)> {
    let order = folder_order(paths);
    let mut out = Vec::new();
    let mut ancestors: Vec<usize> = Vec::new();
    let mut previous: Option<usize> = None;
    for &i in &order {
        let path = paths[i].as_ref();
        if let Some(p) = previous.filter(|&p| paths[p].as_ref() == path) {
            out.push((i.max(p), format!("duplicate of entries[{}]", i.min(p))));
            continue;
        }
        previous = Some(i);
        while let Some(&a) = ancestors.last() {
            if is_below(path, paths[a].as_ref()) {
                break;
            }
            ancestors.pop();
        }
        if let Some(&a) = ancestors.last() {
            out.push(clash(i, a, paths[a].as_ref()));
        }
        ancestors.push(i);
    }
    out.sort();
    out
}

/// Indices of `paths` with '/' sorted first, so that a path's descendants
/// follow it directly; ties keep their index order.
fn folder_order<S: AsRef<str>>(paths: &[S]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..paths.len()).collect();
    let key = |i: &usize| {
        paths[*i]
            .as_ref()
            .bytes()
            .map(|b| if b == b'/' { 0 } else { u16::from(b) + 1 })
    };
    order.sort_by(|a, b| key(a).cmp(key(b)).then(a.cmp(b)));
    order
}

/// The clash of entry `i` with the file `a` it needs as a folder, told at
/// the later of the two.
fn clash(i: usize, a: usize, file: &str) -> (usize, String) {
    if i > a {
        let rule = format!("needs entries[{a}] {file:?} as its folder, but that is a file");
        (i, rule)
    } else {
        let rule = format!("is a file, but entries[{i}] needs it as a folder");
        (a, rule)
    }
}

fn is_below(path: &str, folder: &str) -> bool {
    path.strip_prefix(folder)
        .is_some_and(|r| r.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{bad, ok};

    #[test]
    fn entry_paths() {
        ok(
            entry_path,
            &[
                "src/main.go",
                "src/a..b/c",
                ".dockerignore",
                "src/.github/x",
                "src/.gitignore",
                "src/gitx/y",
                "src/.gitmodules",
            ],
        );
        bad(
            entry_path,
            &[
                ".git/config",
                "src/.git/hooks/pre-commit",
                "src/.GIT/x",
                "src/.Git./x",
                "src/.git /x",
                "src/.git::$INDEX_ALLOCATION/x",
                "src/git~1/x",
                "src/.g\u{200c}it/x",
                "src/CVS/Entries",
                "src/cvs",
                "src/_darcs/x",
                "src/.hg/x",
                "src/.SVN/x",
                "src/.bzr",
                "src/.Fossil-Settings/x",
                "ferry.json",
                "ferry.json.minisig",
                "../x",
                "/x",
                "src//x",
                "C:/x",
                "a\\b",
                "",
            ],
        );
    }

    #[test]
    fn entry_modes() {
        assert!(entry_mode(0o644).is_ok() && entry_mode(0o755).is_ok());
        for m in [0, 0o600, 0o777, 0o4755, 0o100644] {
            assert!(entry_mode(m).is_err(), "{m:o}");
        }
    }

    #[test]
    fn image_entries() {
        ok(
            image_entry,
            &["images/golang_1.26.tar", "images/test_busybox_1.tar"],
        );
        bad(
            image_entry,
            &[
                "images/.tar",
                "images/a/b.tar",
                "images/../x.tar",
                "src/x.tar",
                "images/x.zip",
                "images/-x.tar",
                "images/.git.tar",
            ],
        );
        assert!(image_entry_name("images/cvs:x.tar").is_ok());
        assert!(image_entry("images/cvs:x.tar").is_err());
    }

    #[test]
    fn files_that_are_also_folders_and_duplicates() {
        let clashes = file_vs_folder(&[
            "src/a",
            "src/a.txt",
            "src/a-b",
            "src/a/b",
            "src/a/c/d",
            "src/b",
            "src/a.txt",
        ]);
        assert_eq!(
            clashes,
            [
                (
                    3,
                    "needs entries[0] \"src/a\" as its folder, but that is a file".to_string()
                ),
                (
                    4,
                    "needs entries[0] \"src/a\" as its folder, but that is a file".to_string()
                ),
                (6, "duplicate of entries[1]".to_string()),
            ]
        );
        // The earlier entry needing the later as a folder: told at the later.
        let later = file_vs_folder(&["src/x/y", "src/x"]);
        assert_eq!(
            later,
            [(
                1,
                "is a file, but entries[0] needs it as a folder".to_string()
            )]
        );
        assert!(file_vs_folder(&["src/a", "src/ab", "src/a.b/c", "src/b/c"]).is_empty());
        assert!(file_vs_folder::<&str>(&[]).is_empty());
        let three = file_vs_folder(&["x", "x", "x"]);
        assert_eq!(three.iter().map(|c| c.0).collect::<Vec<_>>(), [1, 2]);
    }
}
