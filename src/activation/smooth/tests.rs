//! Unit tests of `smooth.rs` (moved out of the file to keep it readable).

use super::*;

#[test]
fn coefficient_counts_and_support() {
    for kind in [Kind::Tanh, Kind::Softplus, Kind::Silu, Kind::Sigmoid] {
        for &q in &[1e-8, 0.1, 1.0, 3.0, 6.0] {
            let c = Coeffs::new(kind, q);
            assert!(c.a.iter().all(|v| v.is_finite()), "{kind:?} {q}");
            println!("{kind:?} q = {q}: {} terms", c.a.len());
        }
    }
}

#[test]
fn halving_the_step_changes_nothing() {
    for kind in [Kind::Tanh, Kind::Softplus, Kind::Silu, Kind::Sigmoid] {
        for &q in &[0.3, 2.0] {
            let sd = f64::sqrt(q);
            let w = if kind == Kind::Tanh {
                0.5 * PI / sd
            } else {
                PI / sd
            };
            let a = hermite_coeffs(kind, sd, w, 400);
            let b = hermite_coeffs(kind, sd, 0.5 * w, 400);
            let norm = a.iter().map(|v| v * v).sum::<f64>().sqrt();
            let diff = a
                .iter()
                .zip(&b)
                .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
            assert!(diff < 1e-15 * norm, "{kind:?} {q}: {diff:e}");
        }
    }
}
