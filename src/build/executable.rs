//! Whether a build produced a program for its target: an ELF (linux and the
//! other Unix systems), Mach-O (darwin, ios) or PE (windows) executable with
//! an execute bit, read from its first bytes. `go build -o` of a package that
//! is not `main` writes an `ar` archive instead, which nothing may call built.

use std::io::Read;
use std::path::Path;

/// An executable file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Elf,
    MachO,
    Pe,
}

impl Format {
    /// The format Go writes a program in for `goos`.
    pub fn of(goos: &str) -> Format {
        match goos {
            "darwin" | "ios" => Format::MachO,
            "windows" => Format::Pe,
            _ => Format::Elf,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Format::Elf => "ELF",
            Format::MachO => "Mach-O",
            Format::Pe => "PE",
        }
    }
}

/// Ok when `path` is an executable program for `goos`; else what it is instead.
pub fn check(path: &Path, goos: &str) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mut head = [0u8; 64];
    let mut file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mode = file
        .metadata()
        .map_err(|e| e.to_string())?
        .permissions()
        .mode();
    let n = read_up_to(&mut file, &mut head).map_err(|e| e.to_string())?;
    let found = kind(&head[..n])?;
    let want = Format::of(goos);
    if found != want {
        return Err(format!(
            "it is a program in {} format, not the {} format a {goos} build makes",
            found.name(),
            want.name()
        ));
    }
    if mode & 0o111 == 0 {
        return Err(format!(
            "it has no execute bit (mode {:04o})",
            mode & 0o7777
        ));
    }
    Ok(())
}

fn read_up_to(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// What the first bytes of a file say it is: the format of an executable
/// program, else what it is instead.
pub fn kind(head: &[u8]) -> Result<Format, String> {
    if head.starts_with(b"!<arch>\n") {
        return Err("it is an ar archive (a package that is not main), not a program".into());
    }
    if let Some(rest) = head.strip_prefix(b"\x7fELF") {
        // e_type at offset 16, in the byte order EI_DATA (offset 5) names.
        let little = rest.get(1) == Some(&1);
        let e_type = match (head.get(16), head.get(17)) {
            (Some(&a), Some(&b)) if little => u16::from_le_bytes([a, b]),
            (Some(&a), Some(&b)) => u16::from_be_bytes([a, b]),
            _ => 0,
        };
        return match e_type {
            2 | 3 => Ok(Format::Elf),
            t => Err(format!("it is an ELF file of type {t}, not an executable")),
        };
    }
    let magic = head
        .get(..4)
        .map(|m| u32::from_le_bytes([m[0], m[1], m[2], m[3]]));
    if matches!(magic, Some(0xfeed_facf | 0xfeed_face)) {
        // Mach-O, little-endian: filetype at offset 12, MH_EXECUTE is 2.
        return match head.get(12..16) {
            Some([2, 0, 0, 0]) => Ok(Format::MachO),
            _ => Err("it is a Mach-O file that is not an executable".into()),
        };
    }
    if head.starts_with(b"MZ") {
        return Ok(Format::Pe);
    }
    Err("it is not an ELF, Mach-O or PE executable".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elf(e_type: u8) -> Vec<u8> {
        let mut h = b"\x7fELF\x02\x01\x01".to_vec();
        h.resize(16, 0);
        h.extend([e_type, 0]);
        h
    }

    #[test]
    fn programs_pass_archives_and_objects_do_not() {
        assert_eq!(kind(&elf(2)), Ok(Format::Elf));
        assert_eq!(kind(&elf(3)), Ok(Format::Elf), "PIE");
        assert!(kind(&elf(1)).unwrap_err().contains("type 1"));
        let ar = kind(b"!<arch>\n__.PKGDEF").unwrap_err();
        assert!(ar.contains("ar archive"), "{ar}");
        assert_eq!(kind(b"MZ\x90\0"), Ok(Format::Pe));
        let macho = [0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1, 3, 0, 0, 0, 2, 0, 0, 0];
        assert_eq!(kind(&macho), Ok(Format::MachO));
        assert!(kind(&[0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1, 3, 0, 0, 0, 6, 0, 0, 0]).is_err());
        assert!(kind(b"").is_err() && kind(b"#!/bin/sh\n").is_err());
    }

    #[test]
    fn the_running_test_binary_is_a_program_and_a_plain_file_is_not() {
        let me = std::env::current_exe().unwrap();
        assert_eq!(check(&me, "linux"), Ok(()));
        let other = check(&me, "windows").unwrap_err();
        assert!(
            other
                .contains("it is a program in ELF format, not the PE format a windows build makes"),
            "{other}"
        );
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("x");
        std::fs::copy(&me, &f).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(check(&f, "linux").unwrap_err().contains("no execute bit"));
    }
}
