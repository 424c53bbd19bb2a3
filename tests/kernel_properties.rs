//! Independent checks of the analytic kernels that need no reference values: Price's theorem,
//! Monte Carlo, a slow textbook implementation, symmetry, PSD on random and adversarial
//! inputs, fixed points, homogeneity, cross-kernel blocks, determinism, deep nets.

mod common;

use faer::{Mat, MatRef, Side};
use ntk::kernel::{KernelOptions, KernelPlan, kernels};
use ntk::rng::Rng;
use ntk::{Activation, Network};

fn randn(n: usize, d: usize, seed: u64) -> Mat<f64> {
    let mut r = Rng::new(seed);
    Mat::from_fn(n, d, |_, _| r.normal())
}

fn opts(threads: usize) -> KernelOptions {
    KernelOptions {
        threads,
        tile: 7,
        ..Default::default()
    }
}

fn eig_range(k: MatRef<'_, f64>) -> (f64, f64) {
    let ev = k.self_adjoint_eigenvalues(Side::Lower).unwrap();
    (ev[0], ev[ev.len() - 1])
}

/// Rows: random, a duplicate, collinear (scaled) copies, an antipodal copy, a zero row,
/// tiny and huge rows.
fn adversarial(d: usize) -> Mat<f64> {
    let base = randn(12, d, 77);
    let mut rows: Vec<Vec<f64>> = (0..12)
        .map(|i| (0..d).map(|j| base[(i, j)]).collect())
        .collect();
    rows.push(rows[0].clone()); // duplicate
    rows.push(rows[1].iter().map(|v| 3.0 * v).collect()); // collinear
    rows.push(rows[2].iter().map(|v| -v).collect()); // antipodal
    rows.push(rows[3].iter().map(|v| -0.5 * v).collect()); // anti-collinear
    rows.push(vec![0.0; d]); // zero row
    rows.push(vec![0.0; d]); // another zero row
    rows.push(rows[4].iter().map(|v| 1e-6 * v).collect()); // tiny
    rows.push(rows[5].iter().map(|v| 1e3 * v).collect()); // huge
    Mat::from_fn(rows.len(), d, |i, j| rows[i][j])
}

#[test]
fn price_theorem_dt_dc_equals_tdot() {
    for act in Activation::ALL {
        for &(q1, q2, rho) in &[
            (1.0f64, 1.0f64, 0.3f64),
            (0.5, 2.0, -0.6),
            (2.0, 3.0, 0.9),
            (0.01, 0.02, 0.1),
            (5.0, 5.0, -0.95),
        ] {
            let r = (q1 * q2).sqrt();
            let c = rho * r;
            let h = 1e-5 * r;
            let t = |c: f64| act.dual(q1, q2, c, (q1 * q2 - c * c).sqrt()).t;
            let fd = (t(c + h) - t(c - h)) / (2.0 * h);
            let tdot = act.dual(q1, q2, c, (q1 * q2 - c * c).sqrt()).tdot;
            assert!(
                (fd - tdot).abs() < 1e-7 * tdot.abs().max(1e-3),
                "{act:?} {q1} {q2} {rho}: fd {fd} vs {tdot}"
            );
        }
    }
}

#[test]
fn duals_agree_with_monte_carlo() {
    let n = 400_000;
    for act in Activation::ALL {
        for &(q1, q2, rho) in &[(1.0f64, 1.0f64, 0.5f64), (0.7, 2.5, -0.4), (3.0, 0.2, 0.95)] {
            let mut rng = Rng::stream(
                11,
                &[
                    Activation::ALL.iter().position(|a| *a == act).unwrap() as u64,
                    (rho * 100.0) as i64 as u64,
                ],
            );
            let c = rho * (q1 * q2).sqrt();
            let (a, b) = (q1.sqrt(), (q2 - c * c / q1).sqrt());
            let (mut st, mut st2, mut sd, mut sd2) = (0.0, 0.0, 0.0, 0.0);
            for _ in 0..n {
                let (z1, z2) = (rng.normal(), rng.normal());
                let u = a * z1;
                let v = c / a * z1 + b * z2;
                let t = act.phi(u) * act.phi(v);
                let td = act.dphi(u) * act.dphi(v);
                st += t;
                st2 += t * t;
                sd += td;
                sd2 += td * td;
            }
            let nf = n as f64;
            let (mt, md) = (st / nf, sd / nf);
            let (se_t, se_d) = (
                ((st2 / nf - mt * mt) / nf).sqrt(),
                ((sd2 / nf - md * md) / nf).sqrt(),
            );
            let d = act.dual(q1, q2, c, (q1 * q2 - c * c).sqrt());
            assert!(
                (d.t - mt).abs() < 5.0 * se_t,
                "{act:?} T {} vs MC {mt} +- {se_t}",
                d.t
            );
            assert!(
                (d.tdot - md).abs() < 5.0 * se_d,
                "{act:?} Tdot {} vs MC {md} +- {se_d}",
                d.tdot
            );
        }
    }
}

/// The textbook recursion with acos/asin, no tiling, no sine part: a slow independent
/// implementation for ReLU and erf (accurate away from correlation +-1).
fn textbook(net: &Network, x1: MatRef<'_, f64>, x2: MatRef<'_, f64>) -> (Mat<f64>, Mat<f64>) {
    let d = x1.ncols() as f64;
    let (w2, b2) = (net.w_std * net.w_std, net.b() * net.b());
    let dot = |a: MatRef<'_, f64>, i: usize, b: MatRef<'_, f64>, j: usize| {
        (0..a.ncols()).map(|k| a[(i, k)] * b[(j, k)]).sum::<f64>() / d
    };
    let pi = std::f64::consts::PI;
    let (n1, n2) = (x1.nrows(), x2.nrows());
    let mut k = Mat::zeros(n1, n2);
    let mut t = Mat::zeros(n1, n2);
    for i in 0..n1 {
        for j in 0..n2 {
            let (mut q1, mut q2, mut c) = (dot(x1, i, x1, i), dot(x2, j, x2, j), dot(x1, i, x2, j));
            let mut th = 0.0;
            for _ in 0..net.depth {
                q1 = w2 * q1 + b2;
                q2 = w2 * q2 + b2;
                c = w2 * c + b2;
                th = c + w2 * th;
                let (nq1, nq2, nc, td) = match net.activation {
                    Activation::Relu => {
                        let a = (c / (q1 * q2).sqrt()).clamp(-1.0, 1.0).acos();
                        (
                            q1 / 2.0,
                            q2 / 2.0,
                            (q1 * q2).sqrt() * (a.sin() + (pi - a) * a.cos()) / (2.0 * pi),
                            (pi - a) / (2.0 * pi),
                        )
                    }
                    Activation::Erf => {
                        let p = (1.0 + 2.0 * q1) * (1.0 + 2.0 * q2);
                        let f = |q: f64| 2.0 / pi * (2.0 * q / (1.0 + 2.0 * q)).asin();
                        (
                            f(q1),
                            f(q2),
                            2.0 / pi * (2.0 * c / p.sqrt()).asin(),
                            4.0 / pi / (p - 4.0 * c * c).sqrt(),
                        )
                    }
                    _ => unreachable!(),
                };
                th *= td;
                q1 = nq1;
                q2 = nq2;
                c = nc;
            }
            let c_out = w2 * c + b2;
            k[(i, j)] = c_out;
            t[(i, j)] = c_out + w2 * th;
        }
    }
    (k, t)
}

#[test]
fn matches_slow_textbook_implementation() {
    let x1 = randn(23, 9, 1);
    let x2 = randn(17, 9, 2);
    for act in [Activation::Relu, Activation::Erf] {
        for (depth, w, b) in [(1, 1.0, 0.0), (3, 1.5, 0.2), (8, 1.3, 0.05)] {
            let net = Network::mlp(act, depth, w, b).unwrap();
            for x2v in [None, Some(x2.as_ref())] {
                let k = kernels(&net, x1.as_ref(), x2v, &opts(2)).unwrap();
                let (kk, tt) = textbook(&net, x1.as_ref(), x2v.unwrap_or(x1.as_ref()));
                let e1 = common::rel_err(k.nngp.as_ref(), kk.as_ref());
                let e2 = common::rel_err(k.ntk.as_ref().unwrap().as_ref(), tt.as_ref());
                // the textbook acos loses ~1e-8 relative at the diagonal (rho = 1), so
                // compare the off-diagonal part of symmetric kernels and all of cross kernels
                if x2v.is_some() {
                    assert!(e1 < 1e-12 && e2 < 1e-12, "{act:?} L{depth}: {e1:e} {e2:e}");
                } else {
                    let mut worst = 0.0f64;
                    for i in 0..23 {
                        for j in 0..23 {
                            if i != j {
                                let kt = k.ntk.as_ref().unwrap();
                                worst = worst.max(
                                    (kt[(i, j)] - tt[(i, j)]).abs()
                                        / kt[(i, i)].abs().max(kt[(j, j)].abs()),
                                );
                            }
                        }
                    }
                    assert!(worst < 1e-12, "{act:?} L{depth}: off-diagonal {worst:e}");
                }
            }
        }
    }
}

#[test]
fn symmetric_and_psd_on_random_and_adversarial_inputs() {
    for act in Activation::ALL {
        for (depth, w, b) in [(1, 1.0, 0.0), (3, 1.5, 0.1), (10, 1.2, 0.0)] {
            let net = Network::mlp(act, depth, w, b).unwrap();
            for x in [randn(40, 6, 3), adversarial(6)] {
                let k = kernels(&net, x.as_ref(), None, &opts(2)).unwrap();
                for m in [&k.nngp, k.ntk.as_ref().unwrap()] {
                    for i in 0..m.nrows() {
                        for j in 0..m.ncols() {
                            assert_eq!(m[(i, j)], m[(j, i)]);
                            assert!(m[(i, j)].is_finite());
                        }
                    }
                    let (lo, hi) = eig_range(m.as_ref());
                    assert!(
                        lo >= -1e-12 * hi,
                        "{act:?} L{depth}: eigenvalues [{lo:e}, {hi:e}]"
                    );
                }
            }
        }
    }
}

#[test]
fn duplicates_and_antipodes_are_exact() {
    let x = adversarial(5);
    for act in Activation::ALL {
        let net = Network::mlp(act, 4, 1.3, 0.1).unwrap();
        let k = kernels(&net, x.as_ref(), None, &opts(1)).unwrap();
        let t = k.ntk.unwrap();
        // row 12 duplicates row 0: every entry identical, bit for bit
        for j in 0..x.nrows() {
            assert_eq!(k.nngp[(12, j)], k.nngp[(0, j)], "{act:?} nngp col {j}");
            assert_eq!(t[(12, j)], t[(0, j)], "{act:?} ntk col {j}");
        }
        // the two zero rows are identical points too
        assert_eq!(t[(16, 17)], t[(16, 16)]);
    }
    // ReLU, no bias, antipodal points: rho' = 0 after one layer... check Tdot = 0 exactly:
    // NTK(x, -x) at depth 1 = Sigma^2 + w^2 * Tdot(-1) * Theta^1 = w^2 T(-1) + 0 = 0.
    let net = Network::mlp(Activation::Relu, 1, 1.0, 0.0).unwrap();
    let k = kernels(&net, x.as_ref(), None, &opts(1)).unwrap();
    assert_eq!(k.ntk.as_ref().unwrap()[(2, 14)], 0.0);
    assert_eq!(k.nngp[(2, 14)], 0.0);
}

#[test]
fn relu_with_w2_equal_2_preserves_the_diagonal() {
    let x = randn(10, 4, 5);
    for depth in [1, 5, 50, 500] {
        let net = Network::mlp(Activation::Relu, depth, 2f64.sqrt(), 0.0).unwrap();
        let k = kernels(&net, x.as_ref(), None, &opts(2)).unwrap();
        for i in 0..10 {
            let q: f64 = (0..4).map(|j| x[(i, j)] * x[(i, j)]).sum::<f64>() / 4.0;
            // every hidden post-activation variance is (w^2/2) times the previous one, and
            // w^2/2 = 1 (up to the rounding of sqrt(2)^2 = 2 + 4.4e-16, which compounds over
            // 500 layers), so the readout sees w^2 q at every depth
            let w2 = net.w_std * net.w_std;
            let want = w2 * q * (w2 / 2.0).powi(depth as i32);
            // 2 roundings per layer (w^2 q, and powi's) bound the relative error
            let bound = (2.0 * depth as f64 + 4.0) * f64::EPSILON;
            assert!(
                (k.nngp[(i, i)] - want).abs() < bound * want,
                "depth {depth}: {} vs {want}",
                k.nngp[(i, i)]
            );
        }
    }
}

#[test]
fn selu_self_normalizing_fixed_point() {
    // inputs with x.x/d = 1, w_std = 1, b_std = 0: the NNGP diagonal stays 1 at every depth
    let d = 8;
    let raw = randn(6, d, 9);
    let x = Mat::from_fn(6, d, |i, j| {
        let n: f64 = (0..d).map(|k| raw[(i, k)] * raw[(i, k)]).sum::<f64>() / d as f64;
        raw[(i, j)] / n.sqrt()
    });
    for depth in [1, 2, 5, 20, 100] {
        let net = Network::mlp(Activation::Selu, depth, 1.0, 0.0).unwrap();
        let k = kernels(&net, x.as_ref(), None, &opts(1)).unwrap();
        for i in 0..6 {
            assert!(
                (k.nngp[(i, i)] - 1.0).abs() < 1e-13,
                "depth {depth}: {}",
                k.nngp[(i, i)]
            );
        }
    }
}

#[test]
fn cross_kernel_equals_block_of_joint_kernel() {
    let x1 = randn(9, 5, 21);
    let x2 = randn(13, 5, 22);
    let joint = Mat::from_fn(
        22,
        5,
        |i, j| if i < 9 { x1[(i, j)] } else { x2[(i - 9, j)] },
    );
    for act in Activation::ALL {
        let net = Network::mlp(act, 3, 1.4, 0.1).unwrap();
        let kc = kernels(&net, x1.as_ref(), Some(x2.as_ref()), &opts(2)).unwrap();
        let kj = kernels(&net, joint.as_ref(), None, &opts(2)).unwrap();
        for i in 0..9 {
            for j in 0..13 {
                let (a, b) = (
                    kc.ntk.as_ref().unwrap()[(i, j)],
                    kj.ntk.as_ref().unwrap()[(i, 9 + j)],
                );
                assert!(
                    (a - b).abs() <= 1e-14 * b.abs().max(1.0),
                    "{act:?} ({i},{j}) {a} vs {b}"
                );
                let (a, b) = (kc.nngp[(i, j)], kj.nngp[(i, 9 + j)]);
                assert!((a - b).abs() <= 1e-14 * b.abs().max(1.0));
            }
        }
    }
}

#[test]
fn parallel_equals_sequential_bitwise_and_tiles_compose() {
    let x = randn(61, 12, 31);
    for act in Activation::ALL {
        let net = Network::mlp(act, 3, 1.3, 0.1).unwrap();
        let a = kernels(&net, x.as_ref(), None, &opts(1)).unwrap();
        let b = kernels(&net, x.as_ref(), None, &opts(2)).unwrap();
        let c = kernels(&net, x.as_ref(), None, &opts(0)).unwrap();
        assert!(
            a.nngp == b.nngp && a.ntk == b.ntk && a.nngp == c.nngp,
            "{act:?}"
        );
        // a single tile computed on its own equals the same block of the full kernel
        let plan = KernelPlan::new(&net, x.as_ref(), None).unwrap();
        let mut k = Mat::zeros(10, 20);
        let mut t = Mat::zeros(10, 20);
        plan.tile(30..40, 5..25, k.as_mut(), Some(t.as_mut()))
            .unwrap();
        for i in 0..10 {
            for j in 0..20 {
                let (full_k, full_t) = (
                    a.nngp[(30 + i, 5 + j)],
                    a.ntk.as_ref().unwrap()[(30 + i, 5 + j)],
                );
                assert!((k[(i, j)] - full_k).abs() <= 1e-14 * full_k.abs().max(1.0));
                assert!((t[(i, j)] - full_t).abs() <= 1e-14 * full_t.abs().max(1.0));
            }
        }
        assert!(
            plan.tile(55..62, 0..3, Mat::zeros(7, 3).as_mut(), None)
                .is_err()
        );
        // outputs given as transposed (row-major) views work too
        let mut kt = Mat::zeros(20, 10);
        plan.tile(30..40, 5..25, kt.as_mut().transpose_mut(), None)
            .unwrap();
        for i in 0..10 {
            for j in 0..20 {
                assert_eq!(kt[(j, i)], k[(i, j)]);
            }
        }
    }
}

#[test]
fn relu_homogeneity_for_tiny_and_huge_scales() {
    // ReLU without bias is positively homogeneous: K(a x, a x') = a^2 K(x, x')
    let x = randn(8, 5, 41);
    let net = Network::mlp(Activation::Relu, 4, 1.7, 0.0).unwrap();
    let base = kernels(&net, x.as_ref(), None, &opts(1)).unwrap();
    for a in [1e-150, 1e-20, 1e20, 1e150] {
        let xs = Mat::from_fn(8, 5, |i, j| a * x[(i, j)]);
        let k = kernels(&net, xs.as_ref(), None, &opts(1)).unwrap();
        for i in 0..8 {
            for j in 0..8 {
                let want = base.ntk.as_ref().unwrap()[(i, j)] * a * a;
                let got = k.ntk.as_ref().unwrap()[(i, j)];
                assert!(
                    (got - want).abs() <= 1e-13 * want.abs(),
                    "scale {a}: {got} vs {want}"
                );
            }
        }
    }
    // erf and selu stay finite and PSD at extreme scales
    for act in [Activation::Erf, Activation::Selu] {
        for a in [1e-100, 1e-8, 1e3] {
            let xs = Mat::from_fn(8, 5, |i, j| a * x[(i, j)]);
            let net = Network::mlp(act, 3, 1.0, 0.0).unwrap();
            let k = kernels(&net, xs.as_ref(), None, &opts(1)).unwrap();
            let (lo, hi) = eig_range(k.ntk.as_ref().unwrap().as_ref());
            assert!(
                hi.is_finite() && lo >= -1e-12 * hi,
                "{act:?} scale {a}: [{lo:e}, {hi:e}]"
            );
        }
    }
}

#[test]
fn very_deep_networks_stay_finite_and_psd() {
    let x = adversarial(4);
    for act in Activation::ALL {
        let net = Network::mlp(
            act,
            1000,
            if act == Activation::Relu {
                2f64.sqrt()
            } else {
                1.0
            },
            0.05,
        )
        .unwrap();
        let k = kernels(&net, x.as_ref(), None, &opts(2)).unwrap();
        let t = k.ntk.as_ref().unwrap();
        let (lo, hi) = eig_range(t.as_ref());
        assert!(
            hi.is_finite() && lo >= -1e-12 * hi,
            "{act:?}: [{lo:e}, {hi:e}]"
        );
    }
}

#[test]
fn bad_inputs_are_rejected_with_clear_errors() {
    let net = Network::mlp(Activation::Relu, 2, 1.0, 0.0).unwrap();
    let empty = Mat::<f64>::zeros(0, 3);
    let e = kernels(&net, empty.as_ref(), None, &opts(1)).unwrap_err();
    assert!(e.to_string().contains("empty"), "{e}");
    let mut x = randn(4, 3, 1);
    x[(2, 1)] = f64::NAN;
    let e = kernels(&net, x.as_ref(), None, &opts(1)).unwrap_err();
    assert!(e.to_string().contains("row 2, column 1"), "{e}");
    let x = randn(4, 3, 1);
    let z = randn(4, 2, 1);
    let e = kernels(&net, x.as_ref(), Some(z.as_ref()), &opts(1)).unwrap_err();
    assert!(e.is_usage() && e.to_string().contains("columns"), "{e}");
    // overflow is a numerical (runtime) failure, not a panic
    let net = Network::mlp(Activation::Relu, 400, 1e3, 0.0).unwrap();
    let e = kernels(&net, x.as_ref(), None, &opts(1)).unwrap_err();
    assert!(!e.is_usage(), "{e}");
}
