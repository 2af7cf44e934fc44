//! Stack high-water measurement: paint the free stack with a pattern before the run, then find the
//! lowest word that changed.

const PATTERN: u32 = 0x5a5a_c0de;
/// Bytes left unpainted below the current stack pointer (the painting function's own frame).
const MARGIN: usize = 256;

extern "C" {
    static mut __sheap: u32;
    static _stack_start: u32;
}

/// The painted region: (lowest address, the stack top).
pub struct Painted {
    bottom: usize,
    top: usize,
}

/// Fills the stack between the end of static data and the current stack pointer with the pattern.
#[inline(never)]
pub fn paint() -> Painted {
    let bottom = core::ptr::addr_of_mut!(__sheap) as usize;
    let top = core::ptr::addr_of!(_stack_start) as usize;
    let sp = cortex_m::register::msp::read() as usize;
    let mut address = bottom;
    while address + 4 <= sp - MARGIN {
        unsafe { core::ptr::write_volatile(address as *mut u32, PATTERN) };
        address += 4;
    }
    Painted { bottom, top }
}

/// Bytes of stack used since [`paint`]: the stack top minus the lowest overwritten word.
#[inline(never)]
pub fn high_water(painted: Painted) -> usize {
    let mut address = painted.bottom;
    while address < painted.top {
        if unsafe { core::ptr::read_volatile(address as *const u32) } != PATTERN {
            break;
        }
        address += 4;
    }
    painted.top - address
}
