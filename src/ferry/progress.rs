//! Progress bars on stderr, only when stderr is a terminal and not `--quiet`:
//! logs and pipes stay clean. The library asks for bars; this draws them.

use std::io::IsTerminal;
use std::time::Duration;

use ferry::progress::{Hidden, Progress};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Bars drawn on stderr.
pub struct Terminal;

/// Bars when they help a person, none otherwise.
pub fn for_run(quiet: bool) -> Box<dyn Progress> {
    if !quiet && std::io::stderr().is_terminal() {
        Box::new(Terminal)
    } else {
        Box::new(Hidden)
    }
}

impl Progress for Terminal {
    fn bytes(&self, len: u64, message: &str) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        let template = "{msg:>12} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}";
        let style =
            ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style.progress_chars("=> "));
        bar.set_message(message.to_string());
        bar
    }

    fn spinner(&self, message: &str) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_message(message.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    }
}
