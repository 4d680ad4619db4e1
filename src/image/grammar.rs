//! Image references checked by the distribution/reference grammar, strictly,
//! beside the laxer `oci_client` parsing in `reference`: references, local
//! tags, manifest digests and the name of an image's tar in a bundle.

use crate::build::inputs::plain_file_name;

// github.com/distribution/reference's grammar, by hand.

/// Longest repository path, as distribution's `RepositoryNameTotalLengthMax`.
const MAX_REPOSITORY: usize = 255;

/// An image reference, `[domain[:port]/]path[:tag][@digest]`, strictly as
/// distribution/reference parses it: lower-case path components joined by
/// `.`, `_`, `__` or dashes, a tag `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`, and a
/// digest of a registered algorithm (sha256/384/512) in lower-case hex of its length.
///
/// `oci_client::Reference` (oci-spec) is laxer: its regex's `\w` is Unicode,
/// so it takes tags such as `1.0-é`, and it takes upper-case digest hex.
pub fn image_reference(r: &str) -> Result<(), String> {
    parse_reference(r)
        .map(|_| ())
        .map_err(|why| format!("not an image reference: {why}"))
}

/// What [`parse_reference`] found besides the name.
struct Parsed<'a> {
    tag: Option<&'a str>,
    digest: Option<&'a str>,
}

fn parse_reference(r: &str) -> Result<Parsed<'_>, String> {
    if r.is_empty() {
        return Err("empty".into());
    }
    let (rest, digest) = match r.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (r, None),
    };
    // A tag has no '/'; a port is always followed by one.
    let (name, tag) = match rest.rsplit_once(':') {
        Some((n, t)) if !t.contains('/') => (n, Some(t)),
        _ => (rest, None),
    };
    if let Some(t) = tag {
        image_tag_word(t)?;
    }
    if let Some(d) = digest {
        reference_digest(d)?;
    }
    repository_name(name)?;
    Ok(Parsed { tag, digest })
}

fn repository_name(name: &str) -> Result<(), String> {
    let parts: Vec<&str> = name.split('/').collect();
    // The grammar's optional domain is greedy: a first part that can be a
    // domain is one, when a path follows it.
    let path = match parts.split_first() {
        Some((first, rest)) if !rest.is_empty() && domain(first) => rest,
        _ => &parts[..],
    };
    if let Some(bad) = path.iter().find(|p| !path_component(p)) {
        return Err(format!(
            "path component {bad:?} is not lower-case [a-z0-9] joined by ., _, __ or dashes"
        ));
    }
    let len = path
        .iter()
        .map(|p| p.len() + 1)
        .sum::<usize>()
        .saturating_sub(1);
    if len > MAX_REPOSITORY {
        return Err(format!("repository path longer than {MAX_REPOSITORY}"));
    }
    Ok(())
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
fn path_component(p: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let b = p.as_bytes();
    let mut i = 0;
    loop {
        let start = i;
        while i < b.len() && alnum(b[i]) {
            i += 1;
        }
        if i == start {
            return false;
        }
        if i == b.len() {
            return true;
        }
        let sep = &p[i..];
        let skip = if sep.starts_with("__") {
            2
        } else if sep.starts_with(['.', '_']) {
            1
        } else {
            sep.bytes().take_while(|&c| c == b'-').count()
        };
        if skip == 0 {
            return false;
        }
        i += skip;
    }
}

/// `(?:domain-name|\[[a-fA-F0-9:]+\])(?::[0-9]+)?`
fn domain(d: &str) -> bool {
    let port_at = if d.starts_with('[') {
        match d.find(']') {
            Some(end) => end + 1,
            None => return false,
        }
    } else {
        d.find(':').unwrap_or(d.len())
    };
    let (host, port) = d.split_at(port_at);
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    port_ok && host_ok(host)
}

fn host_ok(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_hexdigit() || b == b':');
    }
    host.split('.').all(|c| {
        let b = c.as_bytes();
        !b.is_empty()
            && b.iter().all(|x| x.is_ascii_alphanumeric() || *x == b'-')
            && b[0] != b'-'
            && b[b.len() - 1] != b'-'
    })
}

/// `[\w][\w.-]{0,127}` with `\w` ASCII, as in Go's regexp.
fn image_tag_word(t: &str) -> Result<(), String> {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let ok = t.len() <= 128
        && t.bytes().next().is_some_and(word)
        && t.bytes().all(|b| word(b) || b == b'.' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "tag {t:?} is not [A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}}"
        ))
    }
}

fn reference_digest(d: &str) -> Result<(), String> {
    let (alg, hex) = d.split_once(':').ok_or("digest without algorithm")?;
    let want = match alg {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => {
            return Err(format!(
                "digest algorithm {alg:?} is not sha256, sha384 or sha512"
            ));
        }
    };
    if hex.len() == want && lower_hex(hex) {
        Ok(())
    } else {
        Err(format!("a {alg} digest is {want} lower-case hex digits"))
    }
}

fn lower_hex(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The tag an image restores as on `docker load`: a reference with a tag
/// and no digest (Docker cannot tag with a digest).
pub fn image_tag(tag: &str) -> Result<(), String> {
    let parsed = parse_reference(tag).map_err(|why| format!("not an image tag: {why}"))?;
    if parsed.tag.is_none() || parsed.digest.is_some() {
        return Err("an image's local tag is name:tag, without a digest".into());
    }
    Ok(())
}

/// An image manifest digest: `sha256:` and 64 lower-case hex digits.
pub fn image_digest(d: &str) -> Result<(), String> {
    match d.strip_prefix("sha256:") {
        Some(hex) => sha256_hex(hex),
        None => Err("an image digest is sha256: and 64 lower-case hex digits".into()),
    }
}

/// 64 lower-case hex digits: a sha256 as digests and manifests write it.
pub fn sha256_hex(h: &str) -> Result<(), String> {
    if h.len() == 64 && lower_hex(h) {
        Ok(())
    } else {
        Err("a sha256 is 64 lower-case hex digits".into())
    }
}

/// The name of an image's tar: `images/<plain file name>.tar`. The bundle
/// adds its entry path rules on top.
pub fn image_entry_name(entry: &str) -> Result<(), String> {
    let name = entry
        .strip_prefix("images/")
        .and_then(|n| n.strip_suffix(".tar"))
        .ok_or("an image entry is images/<name>.tar")?;
    plain_file_name(name).map_err(|why| format!("an image entry is images/<name>.tar: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{bad, ok};

    fn digest(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    #[test]
    fn image_references_follow_the_distribution_grammar() {
        let d = digest('a');
        let with_digest = [
            format!("ghcr.io/org/app@{d}"),
            format!("a/b:t@{d}"),
            format!("x@sha512:{}", "0".repeat(128)),
        ];
        let good = [
            "alpine",
            "alpine:3.19",
            "docker.io/library/alpine:3.19",
            "golang:1.26.8-alpine3.22",
            "127.0.0.1:5055/test/busybox:1",
            "localhost:5000/a/b",
            "localhost:5000",
            "[::1]:5000/a",
            "Registry.Example/x",
            "a__b",
            "a-----b",
            "a.b_c/d",
            "x:_Tag.1-2",
        ];
        ok(image_reference, &good);
        ok(
            image_reference,
            &with_digest.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        let long_path = format!("x.io/{}", "a".repeat(256));
        let long_tag = format!("a:{}", "t".repeat(129));
        let upper_digest = format!("a@sha256:{}", "A".repeat(64));
        let short_digest = format!("a@sha256:{}", "a".repeat(63));
        let md5 = format!("a@md5:{}", "a".repeat(32));
        bad(
            image_reference,
            &[
                "",
                "Alpine",
                "a/B",
                "a..b",
                "a/../b",
                "a:",
                ":t",
                "a:-t",
                "a:.t",
                "a:t/x",
                "a:tagé",
                "a b",
                "-a",
                "a/",
                "/a",
                "a//b",
                "[::1/a",
                "a.-b",
                "a_.b",
                "a___b",
                "a:t:u",
                "a@",
                "a@sha256",
                "-x.io/a",
                "x-.io/a",
                "x.io:/a",
                "x.io:5a/b",
                &long_path,
                &long_tag,
                &upper_digest,
                &short_digest,
                &md5,
            ],
        );
    }

    #[test]
    fn oci_client_is_laxer_than_the_grammar() {
        // Rust's regex \w is Unicode and [[:xdigit:]] takes upper case:
        // the reason image_reference does not lean on oci_client.
        for lax in [
            "alpine:tagé".to_string(),
            format!("a@sha256:{}", "A".repeat(64)),
        ] {
            assert!(lax.parse::<oci_client::Reference>().is_ok(), "{lax}");
            assert!(image_reference(&lax).is_err(), "{lax}");
        }
    }

    #[test]
    fn image_fields() {
        let t = format!("test/busybox:sha256-{}", "a".repeat(64));
        ok(image_tag, &["golang:1.26", "team/base:2", &t]);
        let digested = format!("golang:1@{}", digest('b'));
        bad(image_tag, &["golang", &digested, "Golang:1"]);
        ok(image_digest, &[&digest('0')]);
        let upper = digest('A');
        bad(
            image_digest,
            &[
                "",
                "sha256:",
                &upper,
                &digest('a')[..70],
                &format!("sha512:{}", "a".repeat(64)),
            ],
        );
    }

    #[test]
    fn sha256_hex_is_lower_case() {
        ok(sha256_hex, &[&"0123456789abcdef".repeat(4)]);
        bad(
            sha256_hex,
            &["", "00", &"A".repeat(64), &"a".repeat(65), &"g".repeat(64)],
        );
    }
}
