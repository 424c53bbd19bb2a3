//! Tests of the quadrature rules (by their moments) and of Phi2: against an independent
//! brute-force quadrature `int_{-38.5}^h phi(x) Phi((k - rho x)/r) dx`, the identities
//! `Phi2(h, k; rho) = Phi2(k, h; rho)`, `Phi2(h, k; rho) + Phi2(h, -k; -rho) = Phi(h)` and
//! `Phi2(0, 0; rho) = 1/4 + asin(rho) / (2 pi)`, and degenerate and infinite arguments.

use super::rules::{GL6, GL8, GL10, GL12, GL14, GL16, GL20, HH12, HH16, HH24, LAG24};
use super::*;
use crate::special::normal::pdf;

#[test]
fn rules_integrate_their_moments() {
    for rule in [&GL6[..], &GL8, &GL10, &GL12, &GL14, &GL16, &GL20] {
        let n = 2 * rule.len();
        for k in (0..2 * n).step_by(2) {
            let s: f64 = rule.iter().map(|&(x, w)| 2.0 * w * x.powi(k as i32)).sum();
            assert!(
                (s - 2.0 / (k as f64 + 1.0)).abs() < 4e-16,
                "GL{n} moment {k}: {s}"
            );
        }
    }
    // half-Gaussian: m_k = int_0^inf y^k e^{-y^2/2} dy, m_k = (k-1) m_{k-2}
    let mut m = [0.0f64; 40];
    m[0] = (std::f64::consts::PI / 2.0).sqrt();
    m[1] = 1.0;
    for k in 2..40 {
        m[k] = (k as f64 - 1.0) * m[k - 2];
    }
    for rule in [&HH12[..], &HH16, &HH24] {
        for (k, &mk) in m.iter().enumerate().take(2 * rule.len()) {
            let s: f64 = rule.iter().map(|&(y, w)| w * y.powi(k as i32)).sum();
            assert!(
                (s / mk - 1.0).abs() < 1e-14,
                "HH{} moment {k}: {s} vs {mk}",
                rule.len()
            );
        }
    }
    let mut fact = 1.0f64;
    for k in 0..30 {
        if k > 0 {
            fact *= k as f64;
        }
        let s: f64 = LAG24.iter().map(|&(x, w)| w * x.powi(k)).sum();
        assert!(
            (s / fact - 1.0).abs() < 1e-13,
            "LAG24 moment {k}: {s} vs {fact}"
        );
    }
}

/// Independent brute force: int_{-38.5}^{h} phi(x) Phi((k - rho x)/r) dx by composite
/// 20-point Gauss–Legendre on panels of width <= 1/8, refined to width r around the step
/// of Phi((k - rho x)/r) at x = k/rho.
fn phi2_brute(h: f64, k: f64, rho: f64) -> f64 {
    let r = ((1.0 - rho) * (1.0 + rho)).sqrt();
    let lo = -38.5;
    if h <= lo {
        return 0.0;
    }
    let mut pts = vec![lo, h];
    let mut x = lo;
    while x < h {
        pts.push(x);
        x += 0.125;
    }
    if rho != 0.0 {
        let x0 = k / rho;
        for j in -80..=80 {
            let p = x0 + j as f64 * r / rho.abs();
            if p > lo && p < h {
                pts.push(p);
            }
        }
    }
    pts.sort_by(f64::total_cmp);
    pts.dedup();
    // Neumaier-compensated sum of the panel integrals (plain summation of ~1e4 terms
    // would itself cost ~1e-15)
    let (mut total, mut comp) = (0.0f64, 0.0f64);
    for wdw in pts.windows(2) {
        let (a, b) = (wdw[0], wdw[1]);
        let (c, hw) = (0.5 * (a + b), 0.5 * (b - a));
        let mut panel = 0.0;
        for &(x, w) in &GL20 {
            for xx in [c - hw * x, c + hw * x] {
                panel += w * pdf(xx) * cdf((k - rho * xx) / r);
            }
        }
        let v = hw * panel;
        let t = total + v;
        comp += if total.abs() >= v.abs() {
            (total - t) + v
        } else {
            (v - t) + total
        };
        total = t;
    }
    total + comp
}

#[test]
fn phi2_matches_brute_force_quadrature() {
    let grid = [
        -8.0, -5.0, -3.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0,
    ];
    let rhos = [-0.999_999, -0.9, -0.5, 0.0, 0.3, 0.95, 0.999_999];
    let mut worst = 0.0f64;
    for &rho in &rhos {
        for &h in &grid {
            for &k in &grid {
                let got = phi2(h, k, rho);
                let want = phi2_brute(h, k, rho);
                let err = (got - want).abs();
                worst = worst.max(err);
                assert!(
                    err < 1e-15,
                    "Phi2({h}, {k}; {rho}) = {got:e}, brute force {want:e}"
                );
            }
        }
    }
    println!("phi2 vs brute force: max abs error {worst:.2e}");
}

#[test]
fn phi2_identities() {
    let grid = [-6.0, -2.5, -1.0, -0.3, 0.0, 0.4, 1.2, 2.0, 4.5];
    let rhos = [
        -0.999_999, -0.97, -0.9, -0.6, -0.2, 0.0, 0.25, 0.5, 0.8, 0.93, 0.99, 0.999_999,
    ];
    for &rho in &rhos {
        for &h in &grid {
            for &k in &grid {
                let p = phi2(h, k, rho);
                assert!((0.0..=1.0).contains(&p));
                // symmetry
                assert!((p - phi2(k, h, rho)).abs() < 2e-16, "sym {h} {k} {rho}");
                // Phi2(h,k,rho) + Phi2(h,-k,-rho) = Phi(h)
                let s = p + phi2(h, -k, -rho);
                assert!(
                    (s - cdf(h)).abs() < 4e-16,
                    "complement {h} {k} {rho}: {s} vs {}",
                    cdf(h)
                );
                if rho == 0.0 {
                    assert!((p - cdf(h) * cdf(k)).abs() < 1e-16);
                }
            }
        }
        let want = 0.25 + rho.asin() / (2.0 * std::f64::consts::PI);
        assert!((phi2(0.0, 0.0, rho) - want).abs() < 2e-16, "{rho}");
    }
}

#[test]
fn phi2_degenerate_and_infinite_arguments() {
    assert_eq!(phi2(0.5, 1.5, 1.0), cdf(0.5));
    assert_eq!(phi2(0.5, 1.5, -1.0), cdf(0.5) - cdf(-1.5));
    assert_eq!(phi2(-0.5, 0.2, -1.0), 0.0);
    assert_eq!(phi2(f64::INFINITY, 0.3, 0.7), cdf(0.3));
    assert_eq!(phi2(0.3, f64::NEG_INFINITY, 0.7), 0.0);
    assert!(phi2(f64::NAN, 0.3, 0.7).is_nan());
    // continuity into rho = +-1
    assert!((phi2_r(0.3, 0.1, 1.0, 1e-12) - cdf(0.1)).abs() < 1e-12);
    assert!((phi2_r(0.3, 0.1, -1.0, 1e-12) - (cdf(0.3) - cdf(-0.1))).abs() < 1e-12);
}
