//! Generates the same data set source as the firmware's build script.

#[path = "../data_gen.rs"]
mod data_gen;

fn main() {
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let csv = std::fs::read_to_string("../../fixtures/default-2d.csv").expect("the fixture exists");
    let (data, dim) = data_gen::parse(&csv);
    std::fs::write(out.join("dataset.rs"), data_gen::generate(&data, dim))
        .expect("OUT_DIR is writable");
    println!("cargo:rerun-if-changed=../data_gen.rs");
    println!("cargo:rerun-if-changed=../../fixtures/default-2d.csv");
}
