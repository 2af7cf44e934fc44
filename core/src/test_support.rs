//! Test-only helpers shared by the core's unit tests.

/// The next value of a xorshift32 stream, mapped to [−half_width, half_width]: deterministic
/// test data without a dependency.
pub(crate) fn uniform(state: &mut u32, half_width: f32) -> f32 {
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    (*state as f32 / u32::MAX as f32) * (2.0 * half_width) - half_width
}
