//! Gzip-wrapped IDX on arbitrary bytes (the `.gz` path of the MNIST loader): gunzip within its
//! size limit, then parse; an error or a consistent array, never a panic or a memory blow-up.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(bytes) = smoothscore::io::idx::maybe_gunzip(data.to_vec()) {
        assert!(bytes.len() as u64 <= smoothscore::io::idx::MAX_GUNZIPPED_BYTES);
        if let Ok(array) = smoothscore::io::idx::parse_idx(&bytes) {
            let count: usize = array.dims.iter().product();
            assert_eq!(array.data.len(), count);
        }
    }
});
