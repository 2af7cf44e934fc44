//! Puts `memory.x` where the linker finds it and generates the data set from the fixture (the
//! score network is the committed `network.rs`, included by `src/run.rs`).

#[path = "data_gen.rs"]
mod data_gen;

use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::copy("memory.x", out.join("memory.x")).expect("memory.x is readable");
    let csv = std::fs::read_to_string("../fixtures/default-2d.csv").expect("the fixture exists");
    let (data, dim) = data_gen::parse(&csv);
    std::fs::write(out.join("dataset.rs"), data_gen::generate(&data, dim))
        .expect("OUT_DIR is writable");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=data_gen.rs");
    println!("cargo:rerun-if-changed=../fixtures/default-2d.csv");
}
