//! Cortex-M4F firmware: samples the default set with the smoothscore core (the exact, the
//! kernel-smoothed and the learned score of the network held in flash) and prints every sample's
//! f32 bit patterns over semihosting, then the stack high-water mark of the sampling.
//!
//! Output lines: `<config> <index> <hex bits per coordinate>`, then `stack <bytes>`, then `done`.
//! Built with `--features panic-probe`, a reachable panic is linked in on purpose so that the
//! no-panic link check (see `panic_handler` below) can be seen failing.
#![no_std]
#![no_main]

mod output;
mod run;
mod stack;

mod dataset {
    include!(concat!(env!("OUT_DIR"), "/dataset.rs"));
}

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hio};
use output::Line;

#[entry]
fn main() -> ! {
    let Ok(mut stream) = hio::hstdout() else {
        debug::exit(debug::EXIT_FAILURE);
        halt()
    };
    let mut line = Line::new();
    #[cfg(feature = "panic-probe")]
    {
        let index = unsafe { core::ptr::read_volatile(&(dataset::DATA.len() + 1)) };
        line.hex(dataset::DATA[index].to_bits()).send(&mut stream);
    }
    let painted = stack::paint();
    let result = run::run(&dataset::DATA, dataset::DIM, |config, index, sample| {
        line.text(config.name()).text(" ").decimal(index);
        for value in sample {
            line.text(" ").hex(value.to_bits());
        }
        line.send(&mut stream);
    });
    let used = stack::high_water(painted);
    match result {
        Ok(()) => {
            line.text("stack ").decimal(used).send(&mut stream);
            line.text("done").send(&mut stream);
            debug::exit(debug::EXIT_SUCCESS);
        }
        Err(error) => {
            line.text("error ").text(error.name()).send(&mut stream);
            debug::exit(debug::EXIT_FAILURE);
        }
    }
    halt()
}

/// No panic may be reachable from the firmware: this handler calls a function that does not
/// exist, so any panic path that survives optimisation fails the link (release builds only;
/// `--features panic-probe` demonstrates the failure).
#[cfg(not(debug_assertions))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    extern "Rust" {
        fn smoothscore_firmware_has_a_reachable_panic() -> !;
    }
    unsafe { smoothscore_firmware_has_a_reachable_panic() }
}

/// Debug builds keep a working handler: fail the QEMU run.
#[cfg(debug_assertions)]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    debug::exit(debug::EXIT_FAILURE);
    halt()
}

/// Parks the core after `debug::exit` (which QEMU never returns from).
fn halt() -> ! {
    loop {
        cortex_m::asm::wfi();
    }
}
