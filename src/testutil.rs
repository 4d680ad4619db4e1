//! Helpers for unit tests only: tables of strings a rule must accept or
//! refuse, shared by the field rules of every domain.

/// Every value in `good` passes `rule`.
pub(crate) fn ok(rule: fn(&str) -> Result<(), String>, good: &[&str]) {
    for g in good {
        assert_eq!(rule(g), Ok(()), "{g:?} was refused");
    }
}

/// Every value in `refused` fails `rule`.
pub(crate) fn bad(rule: fn(&str) -> Result<(), String>, refused: &[&str]) {
    for b in refused {
        assert!(rule(b).is_err(), "{b:?} was accepted");
    }
}
