//! The EXAMPLES sections of `--help` (clap's `after_help`), one per command: real command lines
//! that run from a checkout (the fixtures' paths), so a reader can paste them.

/// `smoothscore sample --help`.
pub const SAMPLE: &str = "\
EXAMPLES:
  smoothscore sample                                        # 256 samples of the built-in set, exact score
  smoothscore sample --score kernel --bandwidth 0.1 --plot p.png
  smoothscore sample --data train.npy --process ve --n-samples 1000 --seed 7 --out s.npy
  smoothscore sample --data fixtures/mnist/train-images-idx3-ubyte.gz --steps 100 --n-samples 16 --out digits.npy
  smoothscore sample --process pbm --score kernel --bandwidth 0.2
  smoothscore sample --score net --net embedded/network.safetensors  # a trained network (smoothscore train)";

/// `smoothscore score --help`.
pub const SCORE: &str = "\
EXAMPLES:
  smoothscore score --data fixtures/default-2d.csv --queries fixtures/default-2d.csv --t 0.1 --out score.npy
  smoothscore score --data train.csv --queries q.csv --t 0.5 --what mean --out mean.csv
  smoothscore score --data train.csv --queries q.csv --t 0.5 --score kernel --bandwidth 0.1 --out s.csv
  smoothscore score --data q.csv --queries q.csv --t 0.5 --score net --net net.safetensors --what denoiser --out e.csv";

/// `smoothscore train --help`.
pub const TRAIN: &str = "\
EXAMPLES:
  smoothscore train --steps 2000 --plot loss.png                    # the built-in set, VP, ε-prediction
  smoothscore train --data train.npy --width 64 --depth 2 --weight-decay 0.1 --out net.safetensors
  smoothscore train --process pbm --out drift.safetensors           # the Föllmer drift (drift matching)
  smoothscore sample --score net --net net.safetensors --plot p.png";

/// `smoothscore density --help`.
pub const DENSITY: &str = "\
EXAMPLES:
  smoothscore density --t 0.05 --out p.csv
  smoothscore density --t 0.05 --score kernel --bandwidth 0.1 --grid 200 --out led-kde.csv";

/// `smoothscore eval --help`: the metrics' definitions (the experiments use the same ones),
/// then the examples.
pub const EVAL: &str = "\
Memorization (the same definition in eval, sample's report and every experiment):
  s = the training set's nearest-neighbour spacing: the median over training points (up to 1000,
      evenly strided) of the distance to the nearest other, not identical, training point;
  tau = epsilon * s (--epsilon, default 0.1).
  memorized_fraction: samples with d1 < d2/3, d1 the distance to the nearest training point y1,
      d2 to the nearest training point farther than tau from y1 (training points within tau of
      y1 count as copies of it, so near-duplicates in the training set do not hide a copy);
  near_copy_fraction: samples with d1 <= tau.
Coverage (with --test): precision and recall are the k-nearest-neighbour precision/recall of
  Kynkaanniemi et al. (2019, k = --knn-k): the fraction of samples inside the union of balls
  around test points of radius their k-th nearest-test-point distance, and the fraction of test
  points inside the same union built on the samples; test_distance_to_samples is the mean
  distance from each test point to its nearest sample (collapsed samples make it large while
  mean_distance_to_test, a precision-like distance, stays small).

EXAMPLES:
  smoothscore data generate gmm-ring --n 500 --out ring.csv
  smoothscore data generate gmm-ring --n 500 --seed 7 --out ring_test.csv
  smoothscore sample --data ring.csv --out s.csv
  smoothscore eval --samples s.csv --train ring.csv --test ring_test.csv --json";

/// `smoothscore data --help`.
pub const DATA: &str = "\
EXAMPLES:
  smoothscore data list
  smoothscore data generate two-moons --n 1000 --noise 0.05 --out moons.csv
  smoothscore data generate mnist --n 2000 --digits 0,1 --mnist ~/data/mnist --out digits.npy
  smoothscore data describe moons.csv";

/// `smoothscore experiment --help`.
pub const EXPERIMENT: &str = "\
EXAMPLES:
  smoothscore experiment memorization --plot memorization.png
  smoothscore experiment memorization --datasets mnist --mnist ~/data/mnist --mnist-train 2000
  smoothscore experiment interpolation --json
  smoothscore experiment pbm --n-samples 64 --out-dir runs/pbm
  smoothscore experiment density --replicates 10 --plot density.png
  smoothscore experiment network-smoothing --weight-decays 0,0.1 --replicates 3";

/// `smoothscore reproduce --help`.
pub const REPRODUCE: &str = "\
EXAMPLES:
  smoothscore sample --n-samples 32 --plot p.png
  smoothscore reproduce samples.csv.manifest.json
  smoothscore reproduce experiments/memorization/manifest.json --json";

/// `smoothscore crosscheck --help`.
pub const CROSSCHECK: &str = "\
EXAMPLES:
  smoothscore crosscheck
  smoothscore crosscheck --data fixtures/mnist/train-images-idx3-ubyte.gz --limit-points 300 --queries 4";

/// `smoothscore concat --help`.
pub const CONCAT: &str = "\
EXAMPLES:
  smoothscore sample --n-samples 1000 --shard 0/2 --out part-0.npy
  smoothscore sample --n-samples 1000 --shard 1/2 --out part-1.npy
  smoothscore concat part-0.npy part-1.npy --out samples.npy";
