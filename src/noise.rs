//! Optional local noise: two-sided geometric noise on counts, Laplace noise
//! on sums, calibrated to the contribution bound.
//!
//! A report is one visitor's data for one purpose and window. With
//! `aggregation.noise.epsilon = ε`, the whole report is ε-differentially
//! private with respect to that visitor's events in that window: ε is split
//! evenly over the report's components (each event's count and each of its
//! fields), and each component's noise is scaled to how much one visitor
//! can move it (`max_per_window` events, clamped field ranges). Randomness
//! comes from an [`Entropy`] source: the browser's `crypto.getRandomValues`
//! in production, a seeded generator in tests only.

/// A source of uniformly random 64-bit words.
pub trait Entropy {
    /// The next random word.
    fn next_u64(&mut self) -> u64;

    /// A uniform float in the open interval (0, 1).
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
}

/// Two-sided geometric (discrete Laplace) noise with P(k) ∝ α^|k|, where
/// α = exp(-ε/Δ).
pub fn geometric(rng: &mut impl Entropy, epsilon: f64, sensitivity: f64) -> i64 {
    // ln α, not α: for a tiny ε, exp(-ε/Δ) rounds to 1.0 and ln(1.0) = 0
    // would make every draw "no noise" (exact counts labelled as noised).
    // Below ε/Δ = 1e-12 the noise is that of 1e-12 (typical draws of 10^12,
    // a count drowned either way): larger ones would saturate the cap below
    // on both sides and cancel out.
    let ln_alpha = (-epsilon / sensitivity).min(-1e-12);
    one_sided(rng, ln_alpha) - one_sided(rng, ln_alpha)
}

/// Failures before the first success, success probability 1 - α, given ln α
/// (< 0): ⌊ln U / ln α⌋, capped so that two of them still subtract safely.
fn one_sided(rng: &mut impl Entropy, ln_alpha: f64) -> i64 {
    if !(ln_alpha < 0.0) {
        return 0;
    }
    let g = (rng.uniform().ln() / ln_alpha).floor();
    if g.is_nan() { 0 } else { g.min(i64::MAX as f64 / 4.0) as i64 }
}

/// Laplace noise with scale Δ/ε.
pub fn laplace(rng: &mut impl Entropy, epsilon: f64, sensitivity: f64) -> f64 {
    let b = sensitivity / epsilon;
    let u = rng.uniform() - 0.5;
    -b * u.signum() * (1.0 - 2.0 * u.abs()).ln()
}

/// Variance of two-sided geometric noise: 2α / (1 - α)².
pub fn geometric_variance(epsilon: f64, sensitivity: f64) -> f64 {
    let alpha = (-epsilon / sensitivity).exp();
    2.0 * alpha / ((1.0 - alpha) * (1.0 - alpha))
}

/// A small deterministic generator (SplitMix64), for tests and QA only.
#[derive(Debug, Clone)]
pub struct Seeded(pub u64);

impl Entropy for Seeded {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
        (mean, var)
    }

    #[test]
    fn geometric_noise_has_zero_mean_and_the_calibrated_variance() {
        let mut rng = Seeded(7);
        for (eps, sens) in [(1.0, 1.0), (0.5, 1.0), (1.0, 10.0), (2.0, 3.0)] {
            let xs: Vec<f64> = (0..200_000).map(|_| geometric(&mut rng, eps, sens) as f64).collect();
            let (mean, var) = moments(&xs);
            let want = geometric_variance(eps, sens);
            let se = (want / xs.len() as f64).sqrt();
            assert!(mean.abs() < 5.0 * se, "ε={eps} Δ={sens}: mean {mean} (se {se})");
            assert!((var / want - 1.0).abs() < 0.05, "ε={eps} Δ={sens}: var {var}, want {want}");
        }
    }

    #[test]
    fn geometric_noise_is_symmetric_with_the_right_zero_mass() {
        let mut rng = Seeded(11);
        let n = 200_000;
        let xs: Vec<i64> = (0..n).map(|_| geometric(&mut rng, 1.0, 1.0)).collect();
        let alpha = (-1.0f64).exp();
        let p0 = (1.0 - alpha) / (1.0 + alpha);
        let zeros = xs.iter().filter(|x| **x == 0).count() as f64 / n as f64;
        assert!((zeros - p0).abs() < 0.005, "P(0) = {zeros}, want {p0}");
        let pos = xs.iter().filter(|x| **x > 0).count() as f64;
        let neg = xs.iter().filter(|x| **x < 0).count() as f64;
        assert!((pos / neg - 1.0).abs() < 0.03);
    }

    #[test]
    fn a_tiny_epsilon_gives_huge_noise_not_none() {
        // exp(-1e-15) rounds to 1.0: the noise must still be there (and larger).
        let mut rng = Seeded(5);
        for eps in [1e-15, 1e-300, f64::MIN_POSITIVE] {
            let xs: Vec<i64> = (0..100).map(|_| geometric(&mut rng, eps, 1.0)).collect();
            assert!(xs.iter().filter(|x| **x == 0).count() < 5, "ε={eps}: {xs:?}");
            assert!(xs.iter().all(|x| x.unsigned_abs() <= i64::MAX as u64 / 2), "ε={eps}: no overflow");
        }
        // A huge ε/Δ: no noise at all, as before.
        assert_eq!(geometric(&mut rng, 100.0, 1e-300), 0);
    }

    #[test]
    fn laplace_noise_has_zero_mean_and_variance_two_b_squared() {
        let mut rng = Seeded(3);
        for (eps, sens) in [(1.0, 1.0), (0.5, 500.0)] {
            let xs: Vec<f64> = (0..200_000).map(|_| laplace(&mut rng, eps, sens)).collect();
            let (mean, var) = moments(&xs);
            let b: f64 = sens / eps;
            let want = 2.0 * b * b;
            assert!(mean.abs() < 5.0 * (want / xs.len() as f64).sqrt(), "mean {mean}");
            assert!((var / want - 1.0).abs() < 0.05, "var {var}, want {want}");
        }
    }
}
