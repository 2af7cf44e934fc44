//! Turns `fixtures/default-2d.csv` into Rust source with the exact f32 bit patterns (shared by the
//! firmware's and the host twin's build scripts, so both hold the same bits).

use std::fmt::Write as _;

/// Parses the CSV (a non-numeric first line is a header; numbers parsed with
/// `str::parse::<f32>`, correctly rounded, as the host does): the row-major values and d.
pub fn parse(csv: &str) -> (Vec<f32>, usize) {
    let mut values = Vec::new();
    let mut dim = 0;
    for (number, line) in csv.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let parsed: Result<Vec<f32>, _> =
            line.split(',').map(|v| v.trim().parse::<f32>()).collect();
        let row = match parsed {
            Ok(row) => row,
            Err(_) if number == 0 => continue,
            Err(error) => panic!("fixtures/default-2d.csv line {}: {error}", number + 1),
        };
        dim = row.len();
        values.extend(row);
    }
    (values, dim)
}

/// `pub static DATA: [f32; N·d]` plus `pub const DIM: usize` for the parsed CSV.
pub fn generate(values: &[f32], dim: usize) -> String {
    let mut source = format!("/// The data set's dimension.\npub const DIM: usize = {dim};\n");
    let _ = writeln!(
        source,
        "/// The default 2-D set, row-major, as f32 bit patterns."
    );
    let _ = writeln!(source, "pub static DATA: [f32; {}] = [", values.len());
    for v in values {
        let _ = writeln!(source, "    f32::from_bits(0x{:08x}),", v.to_bits());
    }
    source.push_str("];\n");
    source
}
