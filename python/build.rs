//! Link arguments of a Python extension module (macOS needs `-undefined dynamic_lookup`; on
//! Linux this adds nothing).

fn main() {
    pyo3_build_config::add_extension_module_link_args();
}
