//! Semihosting output without `core::fmt` (whose float formatting carries panic paths that the
//! no-panic link check would catch): fixed-width hex and decimal written into a line buffer.

use cortex_m_semihosting::hio::HostStream;

/// A line being assembled (at most 128 bytes; longer lines are cut).
pub struct Line {
    bytes: [u8; 128],
    len: usize,
}

impl Line {
    /// An empty line.
    pub fn new() -> Self {
        Line {
            bytes: [0; 128],
            len: 0,
        }
    }

    /// Appends text.
    pub fn text(&mut self, text: &str) -> &mut Self {
        for &b in text.as_bytes() {
            if let Some(slot) = self.bytes.get_mut(self.len) {
                *slot = b;
                self.len += 1;
            }
        }
        self
    }

    /// Appends a u32 as 8 lowercase hex digits.
    pub fn hex(&mut self, value: u32) -> &mut Self {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        for shift in (0..8).rev() {
            let digit = DIGITS[((value >> (4 * shift)) & 0xf) as usize];
            if let Some(slot) = self.bytes.get_mut(self.len) {
                *slot = digit;
                self.len += 1;
            }
        }
        self
    }

    /// Appends an unsigned decimal.
    pub fn decimal(&mut self, mut value: usize) -> &mut Self {
        let mut digits = [0u8; 20];
        let mut count = 0;
        loop {
            if let Some(slot) = digits.get_mut(count) {
                *slot = b'0' + (value % 10) as u8;
                count += 1;
            }
            value /= 10;
            if value == 0 {
                break;
            }
        }
        for k in (0..count).rev() {
            if let (Some(&digit), Some(slot)) = (digits.get(k), self.bytes.get_mut(self.len)) {
                *slot = digit;
                self.len += 1;
            }
        }
        self
    }

    /// Writes the line and a newline to `stream`.
    pub fn send(&mut self, stream: &mut HostStream) {
        self.text("\n");
        let _ = stream.write_all(self.bytes.get(..self.len).unwrap_or(&[]));
        self.len = 0;
    }
}
