//! Double-double ("twice working precision") dot products, after Ogita, Rump and Oishi
//! (2005), "Accurate sum and dot product", algorithm Dot2:
//!
//! ```text
//! p + e = a * b   exactly (two-product, via fused multiply-add)
//! s + f = x + y   exactly (two-sum, Knuth)
//! ```
//!
//! Used for input-layer covariances of pairs whose correlation is within 1e-3 of +-1, where
//! `x . x' / d` and `q1 q2 - c^2` must be known to far better than working precision.

/// A double-double number `hi + lo` with `|lo| <= ulp(hi) / 2`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dd {
    /// Leading part.
    pub hi: f64,
    /// Trailing part.
    pub lo: f64,
}

#[inline]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

#[inline]
fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    (p, a.mul_add(b, -p))
}

impl Dd {
    /// The double-double of a double.
    pub fn from_f64(x: f64) -> Self {
        Dd { hi: x, lo: 0.0 }
    }

    /// Round to the nearest double.
    pub fn to_f64(self) -> f64 {
        self.hi + self.lo
    }
}

impl std::ops::Add for Dd {
    type Output = Dd;
    /// Sum of two double-doubles.
    #[inline]
    fn add(self, o: Dd) -> Dd {
        let (s, e) = two_sum(self.hi, o.hi);
        let e = e + self.lo + o.lo;
        let (hi, lo) = two_sum(s, e);
        Dd { hi, lo }
    }
}

impl std::ops::Neg for Dd {
    type Output = Dd;
    /// Negation.
    #[inline]
    fn neg(self) -> Dd {
        Dd {
            hi: -self.hi,
            lo: -self.lo,
        }
    }
}

impl std::ops::Mul for Dd {
    type Output = Dd;
    /// Product of two double-doubles (relative error ~ 2^-104).
    #[inline]
    fn mul(self, o: Dd) -> Dd {
        let (p, e) = two_prod(self.hi, o.hi);
        let e = e + (self.hi * o.lo + self.lo * o.hi);
        let (hi, lo) = two_sum(p, e);
        Dd { hi, lo }
    }
}

/// `sum_i a_i b_i` as a double-double, accurate as if computed in twice the working
/// precision.
///
/// ```
/// use ntk::special::dd::dot2;
/// let a = [1e16, 1.0, -1e16];
/// let b = [1.0, 1.0, 1.0];
/// assert_eq!(dot2(&a, &b).to_f64(), 1.0); // a naive sum gives 0
/// ```
pub fn dot2(a: &[f64], b: &[f64]) -> Dd {
    dot2_iter(a.iter().copied().zip(b.iter().copied()))
}

/// [`dot2`] over any sequence of pairs (e.g. strided matrix rows).
///
/// ```
/// use ntk::special::dd::dot2_iter;
/// let d = dot2_iter([(1e16, 1.0), (1.0, 1.0), (-1e16, 1.0)].into_iter());
/// assert_eq!(d.to_f64(), 1.0);
/// ```
pub fn dot2_iter(pairs: impl Iterator<Item = (f64, f64)>) -> Dd {
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for (x, y) in pairs {
        let (p, pe) = two_prod(x, y);
        let (t, te) = two_sum(s, p);
        s = t;
        c += pe + te;
    }
    let (hi, lo) = two_sum(s, c);
    Dd { hi, lo }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lagrange_identity_for_near_parallel_vectors() {
        // x and x' = x + tiny perpendicular: |x|^2|x'|^2 - (x.x')^2 = |x|^2 |tiny|^2 (+ O(tiny^4))
        let x = [0.3, -1.2, 0.7];
        let eps = 1e-12;
        let y = [0.3 + eps * 1.2, -1.2 + eps * 0.3, 0.7];
        let (xx, yy, xy) = (dot2(&x, &x), dot2(&y, &y), dot2(&x, &y));
        let det = (xx * yy + -(xy * xy)).to_f64();
        // exact: (x0 y1 - x1 y0)^2 + (x0 y2 - x2 y0)^2 + (x1 y2 - x2 y1)^2
        // 2x2 minors by Kahan's FMA algorithm (accurate to a few ulps)
        let m = |a: f64, b: f64, c: f64, d: f64| {
            let w = b * c;
            let e = (-b).mul_add(c, w);
            a.mul_add(d, -w) + e
        };
        let exact = m(x[0], x[1], y[0], y[1]).powi(2)
            + m(x[0], x[2], y[0], y[2]).powi(2)
            + m(x[1], x[2], y[1], y[2]).powi(2);
        // double-double: absolute error ~ 2^-104 |x|^2 |y|^2 (the determinant cancels 24 digits here)
        let scale = xx.to_f64() * yy.to_f64();
        assert!((det - exact).abs() < 1e-30 * scale, "{det} vs {exact}");
        let naive = (x.iter().map(|v| v * v).sum::<f64>()) * (y.iter().map(|v| v * v).sum::<f64>())
            - x.iter().zip(&y).map(|(a, b)| a * b).sum::<f64>().powi(2);
        assert!((naive - exact).abs() > 1e3 * (det - exact).abs());
    }
}
