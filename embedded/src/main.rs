//! Cortex-M4F firmware: samples the default set with the smoothscore core (the exact, the
//! kernel-smoothed and the learned score of the network held in flash) and prints every sample's
//! f32 bit patterns over semihosting, then the stack high-water mark of the sampling.
//!
//! Output lines: `<config> <index> <hex bits per coordinate>`, then `stack <bytes>`, then `done`.
//! Built with `--features panic-probe`, a reachable panic is linked in on purpose so that the
//! no-panic link check (see `panic_handler` below) can be seen failing. Built with
//! `--features fma-sweep`, it runs [`fma_sweep`] instead of the sampling.
#![no_std]
#![no_main]
// The fma sweep build leaves the sampling run (and its modules) out.
#![cfg_attr(feature = "fma-sweep", allow(dead_code, unused_imports))]

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
    #[cfg(feature = "fma-sweep")]
    {
        let [scalar, total, lanes, lanes_total] = fma_sweep();
        line.text("fma ").decimal(scalar).text(" ").decimal(total).send(&mut stream);
        line.text("fma-lanes ").decimal(lanes).text(" ").decimal(lanes_total).send(&mut stream);
        line.text("done").send(&mut stream);
        debug::exit(debug::EXIT_SUCCESS);
        halt()
    }
    #[cfg(not(feature = "fma-sweep"))]
    sample(&mut stream, &mut line)
}

/// The core's fused multiply-add on this CPU (`VFMA.F32`) against `libm::fmaf` (correctly
/// rounded, in software here) on every input of `fused_multiply_add::sweep_input`: how many of
/// the scalar results agree (bits, NaN as NaN) out of how many, and the same for the 16-lane
/// results (`LaneVector::fma` of `[f32; 16]`, on the whole groups of 16 inputs).
#[cfg(feature = "fma-sweep")]
fn fma_sweep() -> [usize; 4] {
    use smoothscore_core::fused_multiply_add::{fma, sweep_input, SWEEP_LEN};
    use smoothscore_core::lane_vector::LaneVector;
    let same = |a: f32, b: f32| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
    let (mut scalar, mut lanes, mut lanes_total) = (0, 0, 0);
    let mut groups = [[0.0f32; 16]; 3];
    for index in 0..SWEEP_LEN {
        let [a, b, c] = sweep_input(index);
        let expected = libm::fmaf(a, b, c);
        scalar += usize::from(same(fma(a, b, c), expected));
        let lane = (index % 16) as usize;
        for (group, value) in groups.iter_mut().zip([a, b, c]) {
            if let Some(slot) = group.get_mut(lane) {
                *slot = value;
            }
        }
        if lane == 15 {
            let [ga, gb, gc] = groups;
            let fused = ga.fma(gb, gc);
            for k in 0..16 {
                let (Some(&x), Some(&y), Some(&z), Some(&f)) =
                    (ga.get(k), gb.get(k), gc.get(k), fused.get(k))
                else {
                    continue;
                };
                lanes += usize::from(same(f, libm::fmaf(x, y, z)));
                lanes_total += 1;
            }
        }
    }
    [scalar, SWEEP_LEN as usize, lanes, lanes_total]
}

/// The sampling run: every sample's bits, then the stack high-water mark and `done`.
#[cfg(not(feature = "fma-sweep"))]
fn sample(stream: &mut hio::HostStream, line: &mut Line) -> ! {
    let painted = stack::paint();
    let result = run::run(&dataset::DATA, dataset::DIM, |config, index, sample| {
        line.text(config.name()).text(" ").decimal(index);
        for value in sample {
            line.text(" ").hex(value.to_bits());
        }
        line.send(stream);
    });
    let used = stack::high_water(painted);
    match result {
        Ok(()) => {
            line.text("stack ").decimal(used).send(stream);
            line.text("done").send(stream);
            debug::exit(debug::EXIT_SUCCESS);
        }
        Err(error) => {
            line.text("error ").text(error.name()).send(stream);
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
