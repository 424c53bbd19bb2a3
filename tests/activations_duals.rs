//! Every activation family (`Activation::examples()`): Price's theorem (dT/dc = Tdot by
//! central differences), seeded Monte Carlo at 5 standard errors, exact duplicates and
//! antipodes (s' = 0 where T = +-sqrt(T11 T22)), symmetry, and PSD Gram matrices through deep
//! networks on inputs with duplicates, antipodes, collinear, tiny and zero rows.

use faer::{Mat, Side};
use ntk::kernel::{KernelOptions, kernels};
use ntk::rng::Rng;
use ntk::{Activation, Network};

fn cov(q1: f64, q2: f64, rho: f64) -> (f64, f64) {
    let r = q1.sqrt() * q2.sqrt();
    (rho * r, r * ((1.0 - rho) * (1.0 + rho)).max(0.0).sqrt())
}

#[test]
fn price_theorem_dt_dc_equals_tdot() {
    for act in Activation::examples() {
        for &(q1, q2, rho) in &[
            (1.0f64, 1.0f64, 0.3f64),
            (0.5, 2.0, -0.6),
            (2.0, 3.0, 0.8),
            (0.05, 0.1, 0.4),
        ] {
            let rr = f64::sqrt(q1 * q2);
            let c = rho * rr;
            let h = 1e-5 * rr;
            let t = |c: f64| act.dual(q1, q2, c, (rr * rr - c * c).sqrt()).t;
            let fd = (t(c + h) - t(c - h)) / (2.0 * h);
            let td = act.dual(q1, q2, c, (rr * rr - c * c).sqrt()).tdot;
            let scale = td.abs().max(act.dual(q1, q1, q1, 0.0).tdot.abs());
            assert!(
                (fd - td).abs() < 1e-7 * scale,
                "{act} {q1} {q2} {rho}: dT/dc = {fd}, Tdot = {td}"
            );
        }
    }
}

#[test]
fn monte_carlo_agrees_within_five_standard_errors() {
    let n = 400_000;
    for (ia, act) in Activation::examples().into_iter().enumerate() {
        for (case, &(q1, q2, rho)) in [(1.0f64, 1.0f64, 0.6f64), (0.5, 3.0, -0.5), (2.0, 0.3, 0.95)]
            .iter()
            .enumerate()
        {
            let mut rng = Rng::stream(20261201, &[ia as u64, case as u64]);
            let (a, b) = (f64::sqrt(q1), f64::sqrt(q2));
            let r = ((1.0 - rho) * (1.0 + rho)).sqrt();
            let (mut st, mut st2, mut sd, mut sd2) = (0.0, 0.0, 0.0, 0.0);
            for _ in 0..n {
                let (x, z) = (rng.normal(), rng.normal());
                let (u, v) = (a * x, b * (rho * x + r * z));
                let (ft, fd) = (act.phi(u) * act.phi(v), act.dphi(u) * act.dphi(v));
                st += ft;
                st2 += ft * ft;
                sd += fd;
                sd2 += fd * fd;
            }
            let nf = n as f64;
            let (mt, md) = (st / nf, sd / nf);
            let set = ((st2 / nf - mt * mt) / nf).sqrt();
            let sed = ((sd2 / nf - md * md) / nf).sqrt();
            let (c, s) = cov(q1, q2, rho);
            let d = act.dual(q1, q2, c, s);
            assert!(
                (d.t - mt).abs() <= 5.0 * set,
                "{act}: T {} vs MC {mt} +- {set}",
                d.t
            );
            assert!(
                (d.tdot - md).abs() <= 5.0 * sed.max(1e-300),
                "{act}: Tdot {} vs MC {md} +- {sed}",
                d.tdot
            );
        }
    }
}

#[test]
fn duplicates_antipodes_and_symmetry() {
    for act in Activation::examples() {
        for &q in &[1e-6, 0.3, 1.0, 4.0] {
            let d = act.dual(q, q, q, 0.0);
            assert_eq!(d.s, 0.0, "{act} {q}");
            assert_eq!(d.t, act.var(q), "{act} {q}");
            let m = act.dual(q, q, -q, 0.0);
            let v = act.var(q);
            assert!(m.t.abs() <= v * (1.0 + 1e-14), "{act} {q}");
            // s' = sqrt(v^2 - T^2) to ~eps v (plain formula is fine away from |C| = 1)
            let want = ((v - m.t) * (v + m.t)).max(0.0).sqrt();
            assert!(
                (m.s - want).abs() <= 2e-8 * v,
                "{act} {q}: {} vs {want}",
                m.s
            );
            for &(q1, q2, rho) in &[(0.5, 2.0, 0.3), (1.0, 3.0, -0.9), (0.2, 0.21, 0.999)] {
                let (c, s) = cov(q1, q2, rho);
                let (x, y) = (act.dual(q1, q2, c, s), act.dual(q2, q1, c, s));
                assert_eq!(x, y, "{act}");
                let sq = act.var(q1).sqrt() * act.var(q2).sqrt();
                assert!(x.t.abs() <= sq * (1.0 + 1e-14) && x.s >= 0.0, "{act}");
                let naive = ((sq - x.t) * (sq + x.t)).max(0.0).sqrt();
                assert!(
                    (x.s - naive).abs() <= 1e-7 * sq,
                    "{act}: {} vs {naive}",
                    x.s
                );
            }
        }
        // odd activations: antipodal duplicates are exact too
        if matches!(
            act,
            Activation::Tanh | Activation::Erf | Activation::Identity
        ) {
            assert_eq!(act.dual(2.0, 2.0, -2.0, 0.0).s, 0.0, "{act}");
        }
    }
}

fn inputs() -> Mat<f64> {
    let mut r = Rng::new(5);
    let mut x = Mat::from_fn(14, 5, |_, _| r.normal());
    for j in 0..5 {
        x[(1, j)] = x[(0, j)]; // duplicate
        x[(2, j)] = -x[(0, j)]; // antipode
        x[(3, j)] = 3.0 * x[(4, j)]; // collinear
        x[(5, j)] = 1e-4 * x[(6, j)]; // tiny
        x[(7, j)] = 0.0; // zero
        x[(8, j)] = x[(9, j)] + 1e-9 * x[(10, j)]; // near-duplicate
    }
    x
}

#[test]
fn gram_matrices_are_symmetric_psd_and_thread_independent() {
    let x = inputs();
    for act in Activation::examples() {
        for (depth, w, b) in [(1, 1.0, 0.0), (4, 1.2, 0.1)] {
            let net = Network::mlp(act, depth, w, b).unwrap();
            let opts = |threads| KernelOptions {
                threads,
                tile: 5,
                ..Default::default()
            };
            let k = kernels(&net, x.as_ref(), None, &opts(2)).unwrap();
            let k1 = kernels(&net, x.as_ref(), None, &opts(1)).unwrap();
            assert_eq!(k.nngp, k1.nngp, "{act}");
            assert_eq!(k.ntk, k1.ntk, "{act}");
            for m in [&k.nngp, k.ntk.as_ref().unwrap()] {
                for i in 0..m.nrows() {
                    for j in 0..m.ncols() {
                        assert!(m[(i, j)].is_finite(), "{act}");
                        assert_eq!(m[(i, j)], m[(j, i)], "{act}");
                    }
                }
                // duplicates agree bitwise
                for j in 0..m.ncols() {
                    assert_eq!(m[(0, j)], m[(1, j)], "{act}");
                }
                let ev = m.as_ref().self_adjoint_eigenvalues(Side::Lower).unwrap();
                let (lo, hi) = (ev[0], ev[ev.len() - 1]);
                assert!(
                    lo >= -1e-12 * hi,
                    "{act} L{depth}: eigenvalues [{lo:e}, {hi:e}]"
                );
            }
        }
    }
}
