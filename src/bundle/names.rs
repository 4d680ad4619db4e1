//! Entry names a bundle may contain: relative, `/`-separated UTF-8 paths with no
//! empty, `.` or `..` segment, no backslash, NUL, control character or drive
//! letter. Anything else could escape DEST or mean different files to different readers.

/// Longest entry name accepted, in bytes (Linux's PATH_MAX).
pub const MAX_NAME_BYTES: usize = 4096;

/// Checks a raw zip entry name; returns it as text, or why it is refused.
pub fn check(raw: &[u8]) -> Result<&str, String> {
    let name = std::str::from_utf8(raw).map_err(|_| "name is not UTF-8".to_string())?;
    if name.is_empty() {
        return Err("name is empty".into());
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(format!(
            "name is {} bytes long (limit {MAX_NAME_BYTES})",
            name.len()
        ));
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Err(format!("name contains control character {c:?}"));
    }
    if name.contains('\\') {
        return Err("name contains a backslash".into());
    }
    if name.starts_with('/') {
        return Err("name is an absolute path".into());
    }
    let b = name.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        return Err("name starts with a drive letter".into());
    }
    for seg in name.split('/') {
        match seg {
            "" => return Err("name has an empty path segment".into()),
            "." | ".." => return Err(format!("name has a {seg:?} segment")),
            _ => {}
        }
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn accepts_plain_relative_paths() {
        for ok in [
            "ferry.json",
            "src/vendor/example.com/!upper/x.go",
            ".dockerignore",
            "src/a..b/c",
        ] {
            assert_eq!(check(ok.as_bytes()), Ok(ok));
        }
    }

    #[test]
    fn refuses_escapes_and_ambiguity() {
        let long = "a/".repeat(3000);
        for bad in [
            &b"../etc/passwd"[..],
            b"src/../../x",
            b"/etc/passwd",
            b"src\\..\\x",
            b"C:/x",
            b"c:x",
            b"src//x",
            b"src/./x",
            b"src/",
            b"",
            b"a\0b",
            b"a\nb",
            b"\xff\xfe",
            long.as_bytes(),
        ] {
            assert!(
                check(bad).is_err(),
                "{:?} was accepted",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
