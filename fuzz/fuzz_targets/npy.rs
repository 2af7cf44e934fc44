//! NPY loader on arbitrary bytes: an error or a well-formed matrix, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(matrix) = smoothscore::io::formats::parse_npy(data) {
        assert_eq!(matrix.values().len(), matrix.rows() * matrix.cols());
        let again = smoothscore::io::formats::parse_npy(&smoothscore::io::formats::npy_bytes(&matrix))
            .expect("our own NPY output reads back");
        assert_eq!(again.rows(), matrix.rows());
    }
});
