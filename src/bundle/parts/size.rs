//! Part sizes as people write them for media: `650M`, `4G`, `1GiB`, `4700MB`.
//! A pure parser: a one-letter or `B`-suffixed unit is decimal (the disc
//! and the stick are sold in powers of ten), `KiB`/`MiB`/`GiB` are binary.

use std::fmt;

/// A part size and the unit it was read in, so that ferry can say which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartSize {
    pub bytes: u64,
    pub unit: Unit,
}

/// How a size's suffix was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Bytes,
    /// Powers of 1000: `k`/`K`/`KB`, `M`/`MB`, `G`/`GB`, `T`/`TB`.
    Decimal(&'static str, u64),
    /// Powers of 1024: `KiB`, `MiB`, `GiB`, `TiB`.
    Binary(&'static str, u64),
}

/// The smallest part ferry cuts: below a kilobyte a size is a typo for a
/// larger unit (the 999-part limit refuses the rest).
pub const MIN_PART: u64 = 1000;

const UNITS: [(&str, Unit); 12] = [
    ("KiB", Unit::Binary("KiB", 1 << 10)),
    ("MiB", Unit::Binary("MiB", 1 << 20)),
    ("GiB", Unit::Binary("GiB", 1 << 30)),
    ("TiB", Unit::Binary("TiB", 1 << 40)),
    ("KB", Unit::Decimal("kB", 1_000)),
    ("MB", Unit::Decimal("MB", 1_000_000)),
    ("GB", Unit::Decimal("GB", 1_000_000_000)),
    ("TB", Unit::Decimal("TB", 1_000_000_000_000)),
    ("K", Unit::Decimal("kB", 1_000)),
    ("M", Unit::Decimal("MB", 1_000_000)),
    ("G", Unit::Decimal("GB", 1_000_000_000)),
    ("T", Unit::Decimal("TB", 1_000_000_000_000)),
];

/// Parses `650M`, `4G`, `1GiB`, `4700MB`, `123456` (bytes). Units are
/// case-insensitive except that `i` marks binary; a fraction is refused
/// (a part size is exact).
pub fn parse(text: &str) -> Result<PartSize, String> {
    let t = text.trim();
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    let (number, suffix) = t.split_at(digits);
    if number.is_empty() {
        return Err(format!(
            "{text:?}: a part size is a whole number with an optional unit (650M, 4G, 1GiB)"
        ));
    }
    let n: u64 = number.parse().map_err(|_| format!("{text:?}: too large"))?;
    if suffix.starts_with(['.', ',']) {
        return Err(format!(
            "{text:?}: a part size is a whole number of its unit (write 1500M, not 1.5G)"
        ));
    }
    let unit = unit(suffix).ok_or_else(|| {
        format!(
            "{text:?}: unknown unit {suffix:?} (K, M, G, T and KB… are powers of 1000; KiB, MiB, GiB, TiB powers of 1024)"
        )
    })?;
    let factor = match unit {
        Unit::Bytes => 1,
        Unit::Decimal(_, f) | Unit::Binary(_, f) => f,
    };
    let bytes = n
        .checked_mul(factor)
        .ok_or_else(|| format!("{text:?}: too large"))?;
    if bytes < MIN_PART {
        return Err(format!(
            "{text:?}: {bytes} bytes; a part is at least {MIN_PART} bytes"
        ));
    }
    Ok(PartSize { bytes, unit })
}

fn unit(suffix: &str) -> Option<Unit> {
    if suffix.is_empty() || suffix.eq_ignore_ascii_case("B") {
        return Some(Unit::Bytes);
    }
    // Any case: `MiB`, `mib` and `MIB` alike; the `i` is what makes it binary.
    UNITS
        .iter()
        .find_map(|(name, unit)| suffix.eq_ignore_ascii_case(name).then_some(*unit))
}

impl fmt::Display for PartSize {
    /// `650000000 bytes (650 MB, decimal: 1 MB = 1000000 bytes)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.unit {
            Unit::Bytes => write!(f, "{} bytes", self.bytes),
            Unit::Decimal(name, factor) => write!(
                f,
                "{} bytes ({} {name}, decimal: 1 {name} = {factor} bytes)",
                self.bytes,
                self.bytes / factor
            ),
            Unit::Binary(name, factor) => write!(
                f,
                "{} bytes ({} {name}, binary: 1 {name} = {factor} bytes)",
                self.bytes,
                self.bytes / factor
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(t: &str) -> u64 {
        parse(t).expect(t).bytes
    }

    #[test]
    fn decimal_and_binary_units() {
        assert_eq!(bytes("650M"), 650_000_000);
        assert_eq!(bytes("650MB"), 650_000_000);
        assert_eq!(bytes("650m"), 650_000_000);
        assert_eq!(bytes("4G"), 4_000_000_000);
        assert_eq!(bytes("1GiB"), 1 << 30);
        assert_eq!(bytes("1gib"), 1 << 30);
        assert_eq!(bytes("1KIB"), 1 << 10);
        assert_eq!(bytes("1GIB"), 1 << 30);
        assert_eq!(bytes("700MiB"), 700 << 20);
        assert_eq!(bytes("64KiB"), 65_536);
        assert_eq!(bytes("100k"), 100_000);
        assert_eq!(bytes("65536"), 65_536);
        assert_eq!(bytes("70000B"), 70_000);
        assert_eq!(bytes(" 2T "), 2_000_000_000_000);
    }

    #[test]
    fn says_which_unit_it_took() {
        let m = parse("650M").expect("650M").to_string();
        assert!(m.contains("decimal") && m.contains("650 MB"), "{m}");
        let g = parse("1GiB").expect("1GiB").to_string();
        assert!(g.contains("binary") && g.contains("1073741824"), "{g}");
    }

    #[test]
    fn a_fraction_is_named() {
        let e = parse("1.5G").expect_err("fraction");
        assert!(e.contains("whole number") && e.contains("1500M"), "{e}");
    }

    #[test]
    fn refuses_what_is_not_a_size() {
        for bad in [
            "",
            "M",
            "1.5G",
            "-1G",
            "10X",
            "4Gi",
            "12 M",
            "1e9",
            "99999999999999999999",
            "20000000T",
            "999",
            "0K",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
