//! `reproduce`'s checks on arbitrary manifest text: an error, or a plan whose every output lies
//! inside the scratch folder, never a panic. A plan is made without running anything.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let scratch = Path::new("/nonexistent-smoothscore-fuzz-scratch");
    let manifest = Path::new("/nonexistent-smoothscore-fuzz/manifest.json");
    if let Ok(plan) = smoothscore::manifest::plan::<smoothscore::cli::Cli>(text, manifest, scratch) {
        for (_, written, _) in &plan.expected_outputs {
            assert!(
                written.starts_with(scratch),
                "an output escapes the scratch folder: {}",
                written.display()
            );
        }
    }
});
