//! Run-time choice of the vector instruction set for the batched score: the core's
//! [`score_batch`] (inlined) compiled three times — AVX-512, AVX2 and the build's baseline — and
//! the widest one the CPU has is called. The three run the same IEEE operations in the same
//! order and give the same bits (tested); only the register width differs. The multiply-adds
//! of the posterior are fused (bit contract v2) and correctly rounded on every path:
//! `VFMADD…PS` in the AVX-512 and AVX2+FMA registers (AVX2 is used only when the CPU has FMA
//! too), and in the baseline build the core's `fused_multiply_add::fma`, which is `libm::fmaf`
//! (in software, or `libm`'s own run-time choice of `VFMADD…SS` on an FMA CPU: one call per
//! lane, so the baseline's multiply-adds are slow but give the same bits).
//! `SMOOTHSCORE_SIMD=baseline` (or `avx2`) caps the choice.

pub mod peak;
#[cfg(target_arch = "x86_64")]
mod x86_lanes;

pub use peak::measured_fma_peak;

use smoothscore_core::batched::score_batch;
#[cfg(target_arch = "x86_64")]
use smoothscore_core::batched::score_batch_with;
use smoothscore_core::{BatchScoreField, Dataset, EmpiricalScore, Error, Process};

/// An instruction set the batched score can be compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Simd {
    /// Whatever the build targets (SSE2 on a default x86-64 build).
    Baseline,
    /// 256-bit AVX2 with FMA3.
    Avx2,
    /// 512-bit AVX-512F.
    Avx512,
}

impl Simd {
    /// Name as printed by `smoothscore bench` and accepted by `SMOOTHSCORE_SIMD`.
    pub fn name(self) -> &'static str {
        match self {
            Simd::Baseline => "baseline",
            Simd::Avx2 => "avx2",
            Simd::Avx512 => "avx512",
        }
    }

    /// The widest set this CPU runs, capped by `SMOOTHSCORE_SIMD` when set.
    pub fn detect() -> Simd {
        let cap = match std::env::var("SMOOTHSCORE_SIMD").as_deref() {
            Ok("baseline") => Simd::Baseline,
            Ok("avx2") => Simd::Avx2,
            _ => Simd::Avx512,
        };
        Self::available()
            .into_iter()
            .rfind(|&s| s <= cap)
            .unwrap_or(Simd::Baseline)
    }

    /// Every set this CPU runs, narrowest first.
    pub fn available() -> Vec<Simd> {
        let mut sets = vec![Simd::Baseline];
        #[cfg(target_arch = "x86_64")]
        {
            if avx2_detected() {
                sets.push(Simd::Avx2);
            }
            if avx512_detected() {
                sets.push(Simd::Avx512);
            }
        }
        sets
    }

    /// [`score_batch`] compiled for this instruction set (falls back to the baseline when the
    /// CPU lacks it, so it is always safe to call).
    pub fn score_batch(
        self,
        data: &Dataset<'_>,
        process: &Process,
        t: f32,
        queries: &[f32],
        out: &mut [f32],
    ) -> Result<(), Error> {
        #[cfg(target_arch = "x86_64")]
        {
            if self == Simd::Avx512 && avx512_detected() {
                // SAFETY: the CPU has AVX-512 F/VL/DQ/BW and FMA (checked on the line above).
                return unsafe { score_batch_avx512(data, process, t, queries, out) };
            }
            if self >= Simd::Avx2 && avx2_detected() {
                // SAFETY: the CPU has AVX2 and FMA (checked on the line above).
                return unsafe { score_batch_avx2(data, process, t, queries, out) };
            }
        }
        score_batch(data, process, t, queries, out)
    }
}

/// The exact empirical score as a [`BatchScoreField`] through [`Simd::score_batch`]: the bits of
/// the single-query score, point by point, on every instruction set.
#[derive(Clone, Copy, Debug)]
pub struct SimdScore<'a> {
    score: EmpiricalScore<'a>,
    simd: Simd,
}

impl<'a> SimdScore<'a> {
    /// `score` evaluated with the batched kernel compiled for `simd`.
    pub fn new(score: EmpiricalScore<'a>, simd: Simd) -> Self {
        SimdScore { score, simd }
    }
}

impl BatchScoreField for SimdScore<'_> {
    fn dim(&self) -> usize {
        self.score.data().dim()
    }

    fn score_batch(&self, t: f32, points: &[f32], out: &mut [f32]) -> Result<(), Error> {
        self.simd
            .score_batch(self.score.data(), self.score.process(), t, points, out)
    }
}

/// AVX-512 F, VL, DQ and BW (the subsets the compiled kernel uses) and FMA3 (the lanes'
/// `VFMADD…PS` is AVX-512F, but the kernel is compiled with `fma` too; every AVX-512 CPU has it).
#[cfg(target_arch = "x86_64")]
fn avx512_detected() -> bool {
    std::arch::is_x86_feature_detected!("fma")
        && std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512vl")
        && std::arch::is_x86_feature_detected!("avx512dq")
        && std::arch::is_x86_feature_detected!("avx512bw")
}

/// AVX2 and FMA3: the register lanes' fused multiply-add is `VFMADD…PS`, which AVX2 alone
/// does not include (the early AVX2 CPUs all have FMA3, but the features are separate bits).
#[cfg(target_arch = "x86_64")]
fn avx2_detected() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

/// Defines `$name`: [`score_batch`] compiled with the target features `$features` (the core's
/// batched score is `#[inline(always)]`, so all of it is compiled for them).
macro_rules! score_batch_for {
    ($name:ident, $lanes:ty, $features:literal) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        fn $name(
            data: &Dataset<'_>,
            process: &Process,
            t: f32,
            queries: &[f32],
            out: &mut [f32],
        ) -> Result<(), Error> {
            score_batch_with::<$lanes>(data, process, t, queries, out)
        }
    };
}

score_batch_for!(
    score_batch_avx512,
    x86_lanes::Avx512Lanes,
    "avx512f,avx512vl,avx512dq,avx512bw,avx2,avx,fma"
);
score_batch_for!(score_batch_avx2, x86_lanes::Avx2Lanes, "avx2,avx,fma");

#[cfg(all(test, target_arch = "x86_64"))]
mod oracle_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_instruction_set_gives_the_baseline_bits() {
        let mut state = 0x2545_f491_u32;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state as f32 / u32::MAX as f32) * 4.0 - 2.0
        };
        for (n, dim, batch) in [
            (300usize, 2usize, 21usize),
            (77, 8, 16),
            (50, 1, 24),
            (64, 3, 8),
            (33, 5, 17),
            (160, 8, 40),
            (45, 9, 9),
            (40, 50, 11),
            (20, 784, 8),
            (70, 784, 17),
            (12, 4100, 9),
        ] {
            let points: Vec<f32> = (0..n * dim).map(|_| next()).collect();
            let queries: Vec<f32> = (0..batch * dim).map(|_| next()).collect();
            let data = Dataset::new(&points, dim).unwrap();
            for t in [1e-3f32, 0.1, 0.9] {
                let mut baseline = vec![0.0f32; batch * dim];
                Simd::Baseline
                    .score_batch(&data, &Process::VP_LINEAR, t, &queries, &mut baseline)
                    .unwrap();
                for simd in register_sets_to_check() {
                    let mut wide = vec![0.0f32; batch * dim];
                    simd.score_batch(&data, &Process::VP_LINEAR, t, &queries, &mut wide)
                        .unwrap();
                    let same = baseline
                        .iter()
                        .zip(&wide)
                        .all(|(a, b)| a.to_bits() == b.to_bits());
                    assert!(same, "{} n {n} d {dim} t {t}", simd.name());
                }
            }
        }
    }

    /// Inputs for the lane operations: a strided sweep over every bit pattern, then the edges
    /// of the exponential (flush threshold, overflow, zeros, infinities, NaN). The fused
    /// multiply-add has its own inputs ([`fma_inputs`]).
    #[cfg(target_arch = "x86_64")]
    fn lane_inputs() -> Vec<[f32; 16]> {
        use smoothscore_core::vector_exp::{FLUSH_BELOW, INPUT_HIGH};
        let mut values: Vec<f32> = (0..1u32 << 20)
            .map(|i| f32::from_bits(i.wrapping_mul(2_654_435_761)))
            .collect();
        for edge in [
            0.0f32,
            -0.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            FLUSH_BELOW,
            FLUSH_BELOW.next_down(),
            FLUSH_BELOW.next_up(),
            INPUT_HIGH,
            88.72,
            88.73,
            -1e-30,
            1e-30,
            f32::MIN_POSITIVE,
            -f32::MAX,
            f32::MAX,
        ] {
            values.extend(std::iter::repeat_n(edge, 3));
            values.push(-1.0);
        }
        values.resize(values.len().next_multiple_of(16), 0.5);
        values
            .chunks_exact(16)
            .map(|chunk| chunk.try_into().unwrap())
            .collect()
    }

    /// The core's fused multiply-add sweep (`fused_multiply_add::sweep_input`: every triple of
    /// signed zeros, subnormals, extremes, ±∞ and NaN; exact cancellations; random patterns)
    /// as 16-lane (a, b, c) groups.
    #[cfg(target_arch = "x86_64")]
    fn fma_inputs() -> Vec<[[f32; 16]; 3]> {
        use smoothscore_core::fused_multiply_add::{sweep_input, SWEEP_LEN};
        let triples: Vec<[f32; 3]> = (0..SWEEP_LEN.next_multiple_of(16))
            .map(|index| sweep_input(index % SWEEP_LEN))
            .collect();
        triples
            .chunks_exact(16)
            .map(|chunk| {
                core::array::from_fn(|operand| core::array::from_fn(|lane| chunk[lane][operand]))
            })
            .collect()
    }

    /// fma(a, b, c) of `V` on every input group, as bits with every NaN one pattern (the
    /// payload is not part of the contract).
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn fma_results<V: smoothscore_core::lane_vector::LaneVector>(
        inputs: &[[[f32; 16]; 3]],
    ) -> Vec<[u32; 16]> {
        inputs
            .iter()
            .map(|[a, b, c]| {
                let fused = V::load(a).fma(V::load(b), V::load(c)).to_array();
                core::array::from_fn(|lane| canonical_bits(fused[lane]))
            })
            .collect()
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw,avx2,avx,fma")]
    fn fma_results_avx512(inputs: &[[[f32; 16]; 3]]) -> Vec<[u32; 16]> {
        fma_results::<x86_lanes::Avx512Lanes>(inputs)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,avx,fma")]
    fn fma_results_avx2(inputs: &[[[f32; 16]; 3]]) -> Vec<[u32; 16]> {
        fma_results::<x86_lanes::Avx2Lanes>(inputs)
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn register_fma_is_the_correctly_rounded_fma() {
        let inputs = fma_inputs();
        let reference: Vec<[u32; 16]> = inputs
            .iter()
            .map(|[a, b, c]| core::array::from_fn(|k| canonical_bits(libm::fmaf(a[k], b[k], c[k]))))
            .collect();
        let portable = fma_results::<[f32; 16]>(&inputs);
        assert!(
            portable == reference,
            "portable lanes differ from libm::fmaf"
        );
        assert_registers_give(
            "fma (against libm::fmaf)",
            &inputs,
            &reference,
            fma_results_avx512,
            fma_results_avx2,
        );
    }

    /// `exp`, `max_lane` and `all_below` of `V` on every input, as bits.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn lane_results<V: smoothscore_core::lane_vector::LaneVector>(
        inputs: &[[f32; 16]],
    ) -> Vec<(Vec<u32>, u32, bool)> {
        let mut out = Vec::with_capacity(inputs.len());
        for input in inputs {
            let lanes = V::load(input);
            let exp = lanes.exp().to_array().iter().map(|v| v.to_bits()).collect();
            out.push((
                exp,
                lanes.max_lane().to_bits(),
                lanes.all_below(f32::INFINITY),
            ));
        }
        out
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw,avx2,avx,fma")]
    fn lane_results_avx512(inputs: &[[f32; 16]]) -> Vec<(Vec<u32>, u32, bool)> {
        lane_results::<x86_lanes::Avx512Lanes>(inputs)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,avx,fma")]
    fn lane_results_avx2(inputs: &[[f32; 16]]) -> Vec<(Vec<u32>, u32, bool)> {
        lane_results::<x86_lanes::Avx2Lanes>(inputs)
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn register_lanes_have_the_bits_of_the_portable_ones() {
        let inputs = lane_inputs();
        let portable = lane_results::<[f32; 16]>(&inputs);
        let scalar_exp_agrees = inputs.iter().zip(&portable).all(|(input, (exp, _, _))| {
            input
                .iter()
                .zip(exp)
                .all(|(&x, &bits)| smoothscore_core::vector_exp::exp(x).to_bits() == bits)
        });
        assert!(scalar_exp_agrees);
        assert_registers_give(
            "lanes (against the portable ones)",
            &inputs,
            &portable,
            lane_results_avx512,
            lane_results_avx2,
        );
    }

    /// `reduce_eight` of `V` over `inputs` eight at a time, as bits (every NaN as one pattern).
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn reduce_results<V: smoothscore_core::lane_vector::LaneVector>(
        inputs: &[[f32; 16]],
    ) -> Vec<u32> {
        let (groups, _) = inputs.as_chunks::<8>();
        groups
            .iter()
            .flat_map(V::reduce_eight)
            .map(canonical_bits)
            .collect()
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw,avx2,avx,fma")]
    fn reduce_results_avx512(inputs: &[[f32; 16]]) -> Vec<u32> {
        reduce_results::<x86_lanes::Avx512Lanes>(inputs)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,avx,fma")]
    fn reduce_results_avx2(inputs: &[[f32; 16]]) -> Vec<u32> {
        reduce_results::<x86_lanes::Avx2Lanes>(inputs)
    }

    /// The registers' eight-at-once lane sums against `lanes::reduce` of each array: the bit
    /// sweep of the lane tests (±0, ±∞, NaN, subnormals, huge values) and arrays of values of
    /// mixed sign and magnitude whose sums round, each array in every one of the eight places.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn register_lane_sums_have_the_tree_bits() {
        let mut inputs = lane_inputs();
        let mut state = 0x9e37_79b9_u32;
        for _ in 0..4096 {
            inputs.push(core::array::from_fn(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                let unit = state as f32 / u32::MAX as f32 - 0.5;
                unit * f32::powi(2.0, (state % 40) as i32 - 20)
            }));
        }
        inputs.truncate(inputs.len() / 8 * 8);
        let mut rotated = Vec::with_capacity(inputs.len() * 8);
        for shift in 0..8 {
            for group in inputs.chunks_exact(8) {
                rotated.extend((0..8).map(|q| group[(q + shift) % 8]));
            }
        }
        let tree: Vec<u32> = rotated
            .iter()
            .map(smoothscore_core::lanes::reduce)
            .map(canonical_bits)
            .collect();
        assert!(reduce_results::<[f32; 16]>(&rotated) == tree);
        assert_registers_give(
            "lane sums (against lanes::reduce)",
            &rotated,
            &tree,
            reduce_results_avx512,
            reduce_results_avx2,
        );
    }

    /// The bits of `v`, every NaN as one pattern (NaN payloads are outside the bit contract).
    #[cfg(target_arch = "x86_64")]
    fn canonical_bits(v: f32) -> u32 {
        if v.is_nan() {
            f32::NAN.to_bits()
        } else {
            v.to_bits()
        }
    }

    /// The results of each register set this CPU runs, `avx512` and `avx2` (each compiled for
    /// its set), equal to `reference`: the first differing result is named, and a CPU with
    /// neither set fails unless that is expected ([`require_register_checks`]).
    #[cfg(target_arch = "x86_64")]
    fn assert_registers_give<I, T: PartialEq>(
        what: &str,
        inputs: &[I],
        reference: &[T],
        avx512: unsafe fn(&[I]) -> Vec<T>,
        avx2: unsafe fn(&[I]) -> Vec<T>,
    ) {
        let mut checked = 0;
        for (name, detected, results) in [
            ("avx512", avx512_detected(), avx512),
            ("avx2", avx2_detected(), avx2),
        ] {
            if !detected {
                continue;
            }
            // SAFETY: the set `results` is compiled for was detected on this CPU.
            let wide = unsafe { results(inputs) };
            let first = wide.iter().zip(reference).position(|(a, b)| a != b);
            assert!(
                wide.len() == reference.len() && first.is_none(),
                "{name} {what} differ at {first:?} ({} results, {} expected)",
                wide.len(),
                reference.len()
            );
            checked += 1;
        }
        require_register_checks(checked);
    }

    /// The instruction sets besides the baseline that this CPU runs, for the tests that compare
    /// them with the baseline; fails (see [`require_register_checks`]) when there is none.
    fn register_sets_to_check() -> Vec<Simd> {
        let sets: Vec<Simd> = Simd::available()
            .into_iter()
            .filter(|s| *s != Simd::Baseline)
            .collect();
        require_register_checks(sets.len());
        sets
    }

    /// A comparison of the baseline with itself tests nothing: without AVX2 or AVX-512 these
    /// tests fail on x86-64 unless `SMOOTHSCORE_BASELINE_ONLY=1` says that is expected there.
    fn require_register_checks(checked: usize) {
        assert!(
            checked > 0
                || !cfg!(target_arch = "x86_64")
                || std::env::var_os("SMOOTHSCORE_BASELINE_ONLY").is_some(),
            "this CPU has neither AVX2 nor AVX-512, so the register lanes cannot be compared \
             with the portable ones; set SMOOTHSCORE_BASELINE_ONLY=1 to accept that"
        );
    }
}
