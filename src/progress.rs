//! Progress as the library reports it: a [`Progress`] hands out bars, and
//! the binary decides whether and where they are drawn (stderr, only on a
//! terminal, never with `--quiet`). The library itself never draws.

use indicatif::ProgressBar;

/// Makes the bars of long steps; hidden bars cost nothing.
pub trait Progress: Sync {
    /// A byte-counting bar of `len` bytes (0 when not known yet).
    fn bytes(&self, len: u64, message: &str) -> ProgressBar;
    /// A spinner for a step of unknown length (a `go` command).
    fn spinner(&self, message: &str) -> ProgressBar;
}

/// No bars at all: tests, `--quiet`, output that is not a terminal.
pub struct Hidden;

impl Progress for Hidden {
    fn bytes(&self, _: u64, _: &str) -> ProgressBar {
        ProgressBar::hidden()
    }

    fn spinner(&self, _: &str) -> ProgressBar {
        ProgressBar::hidden()
    }
}
