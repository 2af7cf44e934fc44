//! SIGINT, SIGTERM and SIGHUP during a run (and a panic, should one happen): the temporary files of unfinished writes are
//! deleted (see [`crate::io::output`]), then the signal's default action ends the process, so
//! the caller still sees "killed by SIGINT". Handled on a thread of `signal-hook`'s iterator,
//! not inside the signal handler, so the cleanup may take locks and call the file system.

use anyhow::{Context, Result};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// Starts the thread that cleans up on SIGINT/SIGTERM/SIGHUP.
pub fn install() -> Result<()> {
    let mut signals =
        Signals::new([SIGINT, SIGTERM, SIGHUP]).context("cannot install signal handlers")?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                crate::io::output::remove_temporaries();
                let _ = signal_hook::low_level::emulate_default_handler(signal);
                std::process::exit(128 + signal);
            }
        })
        .context("cannot start the signal thread")?;
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        crate::io::output::remove_temporaries();
        report(info);
    }));
    Ok(())
}
