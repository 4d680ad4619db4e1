//! Where results go: stdout, through a writer that treats a reader who
//! closed the pipe early (`ferry audit B | head -1`) as the end of output,
//! not as an error, so ferry still ends with its verdict and never panics.

use std::io::{self, Write};

/// Writes one line to `out`, failing only on a real write error.
macro_rules! say {
    ($out:expr) => { writeln!($out)? };
    ($out:expr, $($arg:tt)*) => { writeln!($out, $($arg)*)? };
}
pub(crate) use say;

/// stdout, or nothing once its reader has gone.
pub struct Out {
    inner: io::StdoutLock<'static>,
    closed: bool,
}

/// The process's stdout, as an [`Out`].
pub fn stdout() -> Out {
    Out {
        inner: io::stdout().lock(),
        closed: false,
    }
}

impl Out {
    fn gone(&mut self, e: io::Error, len: usize) -> io::Result<usize> {
        if e.kind() == io::ErrorKind::BrokenPipe {
            self.closed = true;
            return Ok(len);
        }
        Err(e)
    }
}

impl Write for Out {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        match self.inner.write(buf) {
            Err(e) => self.gone(e, buf.len()),
            ok => ok,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        match self.inner.flush() {
            Err(e) => self.gone(e, 0).map(drop),
            ok => ok,
        }
    }
}

impl Drop for Out {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// A failed command's result for a `--json` reader: stdout always holds one
/// JSON object, so a script never has to parse stderr.
pub fn json_error(
    out: &mut dyn Write,
    error: &str,
    exit: ferry::Exit,
    check: &str,
) -> io::Result<()> {
    let value = serde_json::json!({
        "ok": false,
        "exit": exit.code(),
        "failed": check,
        "error": error,
    });
    writeln!(out, "{value:#}")
}
