//! Seeded, portable pseudo-random numbers: xoshiro256++ seeded through SplitMix64, and
//! standard normals by the Box–Muller transform z = sqrt(-2 ln u1) cos(2 pi u2).
//!
//! The generator is written out here (not taken from `rand`) so that a seed gives the same
//! numbers on every platform and in every future version of this crate. Independent streams
//! for parallel work are derived from `(seed, stream ids)`, never from thread identity, so
//! parallel and sequential runs draw identical numbers.

/// A seeded xoshiro256++ generator with a Box–Muller normal sampler.
///
/// ```
/// use ntk::rng::Rng;
/// let mut a = Rng::new(42);
/// let mut b = Rng::new(42);
/// assert_eq!(a.normal(), b.normal());
/// let mut s = Rng::stream(42, &[3, 7]); // an independent stream for task (3, 7)
/// assert!(s.uniform() < 1.0);
/// ```
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
    spare: Option<f64>,
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator from a 64-bit seed.
    pub fn new(seed: u64) -> Self {
        Self::stream(seed, &[])
    }

    /// An independent generator for a sub-task, derived from `seed` and the task's ids
    /// (e.g. `[width, trial]` or `[layer]`).
    pub fn stream(seed: u64, ids: &[u64]) -> Self {
        let mut st = seed ^ 0x6A09_E667_F3BC_C908;
        let mut mix = splitmix64(&mut st);
        for &id in ids {
            st ^= id.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ mix;
            mix = splitmix64(&mut st);
        }
        let s = [
            splitmix64(&mut st),
            splitmix64(&mut st),
            splitmix64(&mut st),
            splitmix64(&mut st),
        ];
        Rng { s, spare: None }
    }

    /// The next 64 random bits (xoshiro256++).
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = (s[0].wrapping_add(s[3])).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform on [0, 1) with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A standard normal N(0, 1) sample (Box–Muller; the second value of each pair is kept).
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        // u1 in (0, 1] so that ln(u1) is finite.
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        let r = (-2.0 * u1.ln()).sqrt();
        let (sin, cos) = (std::f64::consts::TAU * u2).sin_cos();
        self.spare = Some(r * sin);
        r * cos
    }

    /// Fill a slice with standard normals.
    pub fn fill_normal(&mut self, out: &mut [f64]) {
        for v in out {
            *v = self.normal();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_of_normal_are_standard() {
        let mut r = Rng::new(1);
        let n = 200_000;
        let (mut m1, mut m2, mut m4) = (0.0, 0.0, 0.0);
        for _ in 0..n {
            let z = r.normal();
            m1 += z;
            m2 += z * z;
            m4 += z * z * z * z;
        }
        let n = n as f64;
        assert!((m1 / n).abs() < 0.01, "mean {}", m1 / n);
        assert!((m2 / n - 1.0).abs() < 0.01, "var {}", m2 / n);
        assert!((m4 / n - 3.0).abs() < 0.06, "kurtosis {}", m4 / n);
    }

    #[test]
    fn streams_differ_and_repeat() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut r = Rng::stream(5, &[1, 2]);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..4)
            .map({
                let mut r = Rng::stream(5, &[1, 2]);
                move |_| r.next_u64()
            })
            .collect();
        let c: Vec<u64> = (0..4)
            .map({
                let mut r = Rng::stream(5, &[2, 1]);
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(Rng::new(0).next_u64(), Rng::new(1).next_u64());
    }

    #[test]
    fn uniform_in_unit_interval() {
        let mut r = Rng::new(9);
        for _ in 0..10_000 {
            let u = r.uniform();
            assert!((0.0..1.0).contains(&u));
        }
    }
}
