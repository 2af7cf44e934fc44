//! IDX parser on arbitrary bytes: an error or an array whose size matches its dimensions.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(array) = smoothscore::io::idx::parse_idx(data) {
        let count: usize = array.dims.iter().product();
        assert_eq!(array.data.len(), count);
    }
});
