//! Progress bars (`indicatif`) on stderr: drawn only when stderr is a terminal and `-q` was not
//! given, so pipes, files and CI logs never see them. A bar never changes any output bits.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

static QUIET: AtomicBool = AtomicBool::new(false);

/// Silences every bar of this process (`-q`).
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Whether bars are drawn: not quiet and stderr is a terminal.
pub fn visible() -> bool {
    !QUIET.load(Ordering::Relaxed) && std::io::stderr().is_terminal()
}

/// Prints `message` as one line on stderr unless `-q` was given: what a run used that its
/// tables do not say (which data files, how many rows).
pub fn note(message: &str) {
    if !QUIET.load(Ordering::Relaxed) {
        eprintln!("{message}");
    }
}

/// A bar of `total` steps labelled `message`; hidden when [`visible`] is false.
pub fn bar(total: u64, message: impl Into<String>) -> ProgressBar {
    if !visible() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr_with_hz(8));
    let style = ProgressStyle::with_template(
        "{msg:>24} [{elapsed_precise}] {wide_bar} {pos}/{len} (eta {eta})",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(message.into());
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_hides_every_bar() {
        set_quiet(true);
        assert!(!visible());
        assert!(bar(10, "x").is_hidden());
        set_quiet(false);
    }
}
