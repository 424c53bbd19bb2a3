//! The vectorized exponential-linear kernel path (`kernel/columns_selu.rs`, `selu_column.rs`)
//! against a direct per-entry recursion through the scalar dual (`Activation::dual`),
//! written here independently of the kernel module:
//!
//! ```text
//! Sigma0 = x . x' / d (double-double near rho = +-1),  Theta = 0
//! Dense:      Sigma <- w^2 Sigma + b^2,  s <- sqrt(w^4 s^2 + w^2 b^2 (q1 + q2 - 2 Sigma)),  Theta <- Sigma + w^2 Theta
//!             (q1 + q2 - 2 Sigma = (sqrt q1 - sqrt q2)^2 + 2 s^2 / (sqrt(q1 q2) + Sigma) for Sigma > 0)
//! activation: (Sigma, s, Tdot) <- dual(q1, q2, Sigma, s),  Theta <- Theta Tdot,  q <- var(q)
//! ```
//!
//! on inputs with duplicates, antipodal and collinear rows, tiny and huge norms, for depths 1
//! to 12: the kernels agree within 1e-13 of sqrt(K(x, x) K(x', x')) (the column's per-layer
//! bound, 1e-14, times the depth), and the kernel is bitwise the same for any tile size and
//! thread count.

use ntk::kernel::{KernelOptions, kernels};
use ntk::rng::Rng;
use ntk::{Activation, Network};

/// Rows: iid Gaussian, scaled copies (collinear), a duplicate, an antipodal row, rows with
/// correlations near +-1, and tiny / huge norms.
fn inputs(n: usize, d: usize, seed: u64) -> faer::Mat<f64> {
    let mut rng = Rng::new(seed);
    let mut x = faer::Mat::from_fn(n, d, |_, _| rng.normal());
    for k in 0..d {
        x[(1, k)] = x[(0, k)]; // duplicate
        x[(2, k)] = -x[(0, k)]; // antipodal
        x[(3, k)] = 3.0 * x[(0, k)]; // collinear, other norm
        x[(4, k)] = x[(0, k)] + 1e-7 * x[(5, k)]; // rho ~ 1 - 1e-14
        x[(6, k)] *= 1e-30; // tiny
        x[(7, k)] *= 1e30; // huge
        x[(8, k)] = 0.8 * x[(9, k)] + 0.6 * x[(10, k)]; // rho ~ 0.8
    }
    x
}

/// The direct recursion for entry (i, j); returns (NNGP, NTK).
fn direct(
    act: Activation,
    depth: usize,
    w: f64,
    b: f64,
    x: &faer::Mat<f64>,
    i: usize,
    j: usize,
) -> (f64, f64) {
    let d = x.ncols();
    let dot = |p: usize, q: usize| {
        // compensated (Neumaier) dot product: accurate near rho = +-1
        let (mut s, mut e) = (0.0f64, 0.0f64);
        for k in 0..d {
            let v = x[(p, k)] * x[(q, k)];
            let ve = x[(p, k)].mul_add(x[(q, k)], -v);
            let t = s + v;
            e += if s.abs() >= v.abs() {
                (s - t) + v
            } else {
                (v - t) + s
            } + ve;
            s = t;
        }
        (s + e) / d as f64
    };
    let (mut q1, mut q2, mut c) = (dot(i, i), dot(j, j), dot(i, j));
    let r = q1.sqrt() * q2.sqrt();
    let mut s = if i == j || r == 0.0 {
        0.0
    } else {
        // sine part of the input layer from the Gram determinant (Lagrange's identity)
        let mut g = 0.0f64;
        for k in 0..d {
            for l in 0..k {
                // Kahan's a b - c d (accurate to ~1.5 ulp of the difference)
                let (a, bb, cc, dd) = (x[(i, k)], x[(j, l)], x[(i, l)], x[(j, k)]);
                let w = cc * dd;
                let m = a.mul_add(bb, -w) + (-cc).mul_add(dd, w);
                g += m * m;
            }
        }
        g.sqrt() / d as f64
    };
    if i == j {
        c = q1;
    }
    let (w2, b2) = (w * w, b * b);
    let mut theta = 0.0;
    for _ in 0..depth {
        // q1 + q2 - 2c without cancellation near duplicates (c > 0)
        let (r1, r2) = (q1.sqrt(), q2.sqrt());
        let gap = if c > 0.0 {
            (r1 - r2) * (r1 - r2) + 2.0 * s * s / (r1 * r2 + c)
        } else {
            q1 + q2 - 2.0 * c
        };
        s = (w2 * w2 * s * s + w2 * b2 * gap).sqrt();
        let (p1, p2) = (w2 * q1 + b2, w2 * q2 + b2);
        c = w2 * c + b2;
        theta = c + w2 * theta;
        let dl = act.dual(p1, p2, c, s);
        theta *= dl.tdot;
        (c, s) = (dl.t, dl.s);
        (q1, q2) = (act.var(p1), act.var(p2));
    }
    let c_out = w2 * c + b2;
    (c_out, c_out + w2 * theta)
}

#[test]
fn kernel_matches_the_direct_scalar_recursion() {
    let x = inputs(14, 40, 11);
    for act in [
        Activation::Selu,
        Activation::Elu { alpha: 0.7 },
        Activation::SeluWith {
            lambda: 1.2,
            alpha: 0.8,
        },
    ] {
        for &(depth, w, b) in &[(1, 1.0, 0.0), (3, 1.3, 0.1), (12, 1.0, 0.05)] {
            let net = Network::mlp(act, depth, w, b).unwrap();
            let k = kernels(&net, x.as_ref(), None, &KernelOptions::default()).unwrap();
            let ntk = k.ntk.as_ref().unwrap();
            let (mut wk, mut wt) = (0.0f64, 0.0f64);
            for i in 0..x.nrows() {
                for j in 0..=i {
                    let (dk, dt) = direct(act, depth, w, b, &x, i, j);
                    let (di, _) = direct(act, depth, w, b, &x, i, i);
                    let (dj, _) = direct(act, depth, w, b, &x, j, j);
                    let scale = di.sqrt() * dj.sqrt();
                    let (ek, et) = (
                        (k.nngp[(i, j)] - dk).abs() / scale,
                        (ntk[(i, j)] - dt).abs() / dt.abs().max(scale),
                    );
                    assert!(
                        ek <= 1e-13,
                        "{act} depth {depth}: NNGP({i}, {j}) {} vs {dk}: {ek:.1e}",
                        k.nngp[(i, j)]
                    );
                    assert!(
                        et <= 1e-13,
                        "{act} depth {depth}: NTK({i}, {j}) {} vs {dt}: {et:.1e}",
                        ntk[(i, j)]
                    );
                    (wk, wt) = (wk.max(ek), wt.max(et));
                }
            }
            println!(
                "{act} depth {depth}: NNGP {wk:.1e}, NTK {wt:.1e} (relative to the diagonal scale)"
            );
        }
    }
}

#[test]
fn kernel_bits_do_not_depend_on_tiles_or_threads() {
    let x = inputs(45, 30, 12);
    let y = inputs(19, 30, 13);
    for act in [Activation::Selu, Activation::Elu { alpha: 1.0 }] {
        let net = Network::mlp(act, 3, 1.3, 0.1).unwrap();
        for x2 in [None, Some(y.as_ref())] {
            let run = |tile, threads| {
                let opts = KernelOptions {
                    tile,
                    threads,
                    ..Default::default()
                };
                kernels(&net, x.as_ref(), x2, &opts).unwrap()
            };
            let base = run(256, 1);
            for (tile, threads) in [(7, 2), (13, 1), (32, 2), (64, 0)] {
                let k = run(tile, threads);
                assert!(
                    k.nngp == base.nngp && k.ntk == base.ntk,
                    "{act} tile {tile} threads {threads}"
                );
            }
        }
    }
}
