//! Rules for `base.images`, the image tars a delta rebuilds: each names an
//! image tar the manifest lists (not one taken whole from the base), and its
//! members (headers, data sizes, digests) add up to exactly that entry.

use super::{FieldProblem, add, image_entry, sha256_hex};
use crate::bundle::manifest::{Base, Manifest, Member, SplitTar};
use crate::bundle::tarmembers::{self, BLOCK};

/// Every rebuilt tar of `base` against the manifest `m`.
pub fn check(m: &Manifest, base: &Base, out: &mut Vec<FieldProblem>) {
    for (i, tar) in base.images.iter().enumerate() {
        let at = format!("base.images[{i}]");
        let sorted = i == 0 || base.images[i - 1].path < tar.path;
        add(
            out,
            format!("{at}.path"),
            &tar.path,
            path_rule(m, base, tar, sorted),
        );
        for (j, member) in tar.members.iter().enumerate() {
            member_fields(&format!("{at}.members[{j}]"), member, out);
        }
        let total = format!("{} members", tar.members.len());
        add(out, format!("{at}.members"), &total, adds_up(m, tar));
    }
}

/// A listed image tar, rebuilt once, never also taken whole from the base.
fn path_rule(m: &Manifest, base: &Base, tar: &SplitTar, sorted: bool) -> Result<(), String> {
    image_entry(&tar.path)?;
    if m.entry(&tar.path).is_none() {
        return Err("names no entry of this manifest".into());
    }
    if !sorted {
        return Err("base.images is sorted by path and names each tar once".into());
    }
    match base.from_base.contains(&tar.path) {
        true => Err("is also in from_base: a tar is taken whole or rebuilt, not both".into()),
        false => Ok(()),
    }
}

fn member_fields(at: &str, member: &Member, out: &mut Vec<FieldProblem>) {
    add(
        out,
        format!("{at}.header"),
        &member.header,
        header_rule(member),
    );
    add(
        out,
        format!("{at}.sha256"),
        &member.sha256,
        sha256_hex(&member.sha256),
    );
    if let Some(b) = &member.base {
        add(
            out,
            format!("{at}.base.tar_sha256"),
            &b.tar_sha256,
            sha256_hex(&b.tar_sha256),
        );
    }
}

/// One 512-byte tar header of a regular file, in lower-case hex, whose
/// size field is the member's size.
fn header_rule(member: &Member) -> Result<(), String> {
    let bytes = hex::decode(&member.header).map_err(|e| format!("is not hex: {e}"))?;
    if member.header.chars().any(|c| c.is_ascii_uppercase()) {
        return Err("is lower-case hex".into());
    }
    let size = tarmembers::header_size(&bytes)?;
    match size == member.size {
        true => Ok(()),
        false => Err(format!(
            "declares {size} bytes of data, the member says {}",
            member.size
        )),
    }
}

/// Headers and padded data, then at least one zero block, make the entry's size.
fn adds_up(m: &Manifest, tar: &SplitTar) -> Result<(), String> {
    let Some(entry) = m.entry(&tar.path) else {
        return Ok(());
    };
    if tar.members.is_empty() {
        return Err("a rebuilt tar has at least one member".into());
    }
    let total = tar.members.iter().try_fold(0u64, |sum, mb| {
        sum.checked_add(BLOCK)?
            .checked_add(tarmembers::padded(mb.size))
    });
    // The end of a tar is a few zero blocks (tar writers pad to a 10 KiB
    // record at most): anything longer would let a few signed bytes make a
    // rebuilt file of any size.
    match total {
        Some(t)
            if t < entry.size && (entry.size - t) % BLOCK == 0 && entry.size - t <= MAX_TRAILER => {
        }
        _ => {
            return Err(format!(
                "headers, data and padding do not make the entry's {} bytes with 1 to {} zero blocks after them",
                entry.size,
                MAX_TRAILER / BLOCK
            ));
        }
    }
    let mut lent = std::collections::HashSet::new();
    for at in tar.members.iter().filter_map(|m| m.base.as_ref()) {
        if !lent.insert((at.tar_sha256.as_str(), at.offset)) {
            return Err(format!(
                "two members take the same bytes of the base's tar {} (offset {}): a rebuilt tar uses each base blob once",
                at.tar_sha256, at.offset
            ));
        }
    }
    Ok(())
}

/// The most zero bytes after a rebuilt tar's last member: a 10 KiB record.
const MAX_TRAILER: u64 = 10240;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::manifest::{Entry, InBase};

    /// A manifest listing `images/app.tar` of `size` bytes, rebuilt from one
    /// member of `data` bytes taken from the base.
    fn with_tar(size: u64, data: u64) -> Manifest {
        let mut m = super::super::tests::sample();
        m.entries.push(Entry {
            path: "images/app.tar".into(),
            sha256: "ab".repeat(32),
            size,
            mode: 0o644,
        });
        m.entries.sort_by(|a, b| a.path.cmp(&b.path));
        let mut h = tar::Header::new_ustar();
        h.set_size(data);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        m.base = Some(Base {
            manifest_sha256: "cd".repeat(32),
            module: m.module.path.clone(),
            version: "v1.0.0".into(),
            from_base: Vec::new(),
            images: vec![SplitTar {
                path: "images/app.tar".into(),
                members: vec![Member {
                    header: hex::encode(h.as_bytes()),
                    sha256: "ef".repeat(32),
                    size: data,
                    base: Some(InBase {
                        tar_sha256: "01".repeat(32),
                        offset: 512,
                    }),
                }],
            }],
        });
        m
    }

    fn problems(m: &Manifest) -> Vec<String> {
        let mut out = Vec::new();
        check(m, m.base.as_ref().unwrap(), &mut out);
        out.into_iter()
            .map(|p| format!("{}: {}", p.field, p.rule))
            .collect()
    }

    #[test]
    fn a_rebuilt_tar_adds_up_to_its_entry() {
        assert_eq!(
            problems(&with_tar(512 + 1024 + 1024, 1000)),
            Vec::<String>::new()
        );
        // No zero block after the members, or a size that is no block count.
        for size in [512 + 1024, 512 + 1024 + 1000] {
            let found = problems(&with_tar(size, 1000));
            assert!(
                found[0].starts_with("base.images[0].members: headers, data"),
                "{found:?}"
            );
        }
    }

    #[test]
    fn a_rebuilt_tar_is_no_larger_than_its_members_and_a_record() {
        // Megabytes of zeros after one member: a few signed bytes must not
        // make a file of any size.
        let found = problems(&with_tar(512 + 1024 + (1 << 20), 1000));
        assert!(
            found[0].contains("with 1 to 20 zero blocks after them"),
            "{found:?}"
        );
        // The same base bytes lent twice.
        let mut m = with_tar(512 + 1024 + 512 + 1024 + 1024, 1000);
        let tar = &mut m.base.as_mut().unwrap().images[0];
        tar.members.push(tar.members[0].clone());
        let found = problems(&m);
        assert!(
            found
                .iter()
                .any(|p| p.contains("the same bytes of the base's tar")),
            "{found:?}"
        );
    }

    #[test]
    fn each_rule_names_its_field() {
        let mut m = with_tar(512 + 1024 + 1024, 1000);
        let base = m.base.as_mut().unwrap();
        let member = &mut base.images[0].members[0];
        member.size = 999;
        member.sha256 = "AB".repeat(32);
        member.base.as_mut().unwrap().tar_sha256 = "x".into();
        base.from_base = vec!["images/app.tar".into()];
        let found = problems(&m);
        for field in [
            "base.images[0].path: is also in from_base",
            "base.images[0].members[0].header: declares 1000 bytes of data, the member says 999",
            "base.images[0].members[0].sha256",
            "base.images[0].members[0].base.tar_sha256",
        ] {
            assert!(
                found.iter().any(|p| p.starts_with(field)),
                "{field}: {found:?}"
            );
        }
        let base = m.base.as_mut().unwrap();
        base.images[0].members[0].header = "00".repeat(512);
        base.images[0].path = "src/main.go".into();
        let found = problems(&m);
        assert!(found[0].starts_with("base.images[0].path"), "{found:?}");
        assert!(found[1].contains("header: checksum"), "{found:?}");
    }
}
