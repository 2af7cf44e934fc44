//! CSV loader on arbitrary bytes: an error or a well-formed matrix, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(matrix) = smoothscore::io::formats::parse_csv(data) {
        assert_eq!(matrix.values().len(), matrix.rows() * matrix.cols());
        assert!(matrix.rows() > 0);
    }
});
