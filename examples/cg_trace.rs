//! Traces block PCG on a Fashion-MNIST NTK, iteration by iteration, to see how the stopping
//! measures relate to the true error: the energy bound `||r|| / sqrt(lambda_lo) / ||x||_A`
//! (with `lambda_lo` the ridge, and a given estimate), the Strakos-Tichy estimate of the
//! energy error with delay `d` (`sum_{i=k}^{k+d-1} alpha_i r_i.z_i`, a lower bound on
//! `||x - x_k||_A^2`, Strakos & Tichy 2002), the gap between the recursive and the true
//! residual, and (for `n` small enough to factor densely) the true relative energy error against
//! a dense Cholesky solve.
//!
//! `cargo run --release --example cg_trace -- DIR N RANK [nystrom] [THREADS] [EXACT(0/1)]`
//! with `DIR` holding the gunzipped `train-images-idx3-ubyte` and `train-labels-idx1-ubyte`.
//! ReLU depth 3 NTK (w_std = sqrt 2, b_std = 0.1), pixels / 255, one-hot targets (b = -Y),
//! relative ridge 1e-4. Prints one line every 5 iterations (worst column of 10).

// index loops over the columns of several matrices at once read clearest here
#![allow(clippy::needless_range_loop)]

use faer::linalg::solvers::Solve;
use faer::{Mat, MatRef, Par};
use ntk::kernel_matrix::{BuildOptions, KernelMatrix, Which, build_packed};
use ntk::solve::{self, Preconditioner};
use ntk::{Activation, Network, kernel};
use std::time::Instant;

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn apply(k: &dyn KernelMatrix, ridge: f64, x: MatRef<'_, f64>, par: Par) -> Mat<f64> {
    let mut out = Mat::zeros(x.nrows(), x.ncols());
    k.apply(x, out.as_mut(), par);
    out + x * faer::Scale(ridge)
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(&a[1]);
    let n: usize = a[2].parse().unwrap();
    let rank: usize = a[3].parse().unwrap();
    let nystrom = a.get(4).is_some_and(|s| s == "nystrom");
    let threads: usize = a.get(5).and_then(|s| s.parse().ok()).unwrap_or(2);
    let exact = a.get(6).is_some_and(|s| s == "1");
    let px = ntk::io::idx::read_idx_rows(dir.join("train-images-idx3-ubyte"), Some(n)).unwrap();
    let lab = ntk::io::idx::read_idx_rows(dir.join("train-labels-idx1-ubyte"), Some(n)).unwrap();
    let x = Mat::from_fn(n, px.ncols(), |i, j| px[(i, j)] / 255.0);
    let nc = 10;
    let b = Mat::from_fn(
        n,
        nc,
        |i, j| if lab[(i, 0)] as usize == j { -1.0 } else { 0.0 },
    );
    let net = Network::mlp(Activation::Relu, 3, 2f64.sqrt(), 0.1).unwrap();
    let t0 = Instant::now();
    let plan = kernel::KernelPlan::new(&net, x.as_ref(), None).unwrap();
    let bo = BuildOptions {
        which: Which::Ntk,
        threads,
        ..Default::default()
    };
    let k = build_packed::<f64>(&plan, &bo, None).unwrap().ntk.unwrap();
    let par = Par::rayon(threads);
    let ridge = 1e-4 * k.diagonal().iter().sum::<f64>() / n as f64;
    println!(
        "kernel {:.1} s, ridge {ridge:.4e}",
        t0.elapsed().as_secs_f64()
    );
    let xs = exact.then(|| {
        let mut dense = k.to_dense();
        for i in 0..n {
            dense[(i, i)] += ridge;
        }
        let llt = dense.llt(faer::Side::Lower).unwrap();
        drop(dense);
        let s = llt.solve(&b);
        let as_ = apply(&k, ridge, s.as_ref(), par);
        let na: Vec<f64> = (0..nc)
            .map(|j| dot(s.col_as_slice(j), as_.col_as_slice(j)))
            .collect();
        println!("exact solve {:.1} s", t0.elapsed().as_secs_f64());
        (s, na)
    });
    let t1 = Instant::now();
    let p = if nystrom {
        Preconditioner::randomized_nystrom(&k, rank, ridge, 7, par).unwrap()
    } else {
        Preconditioner::pivoted_cholesky(&k, rank, ridge).unwrap()
    };
    println!("preconditioner {:.1} s", t1.elapsed().as_secs_f64());
    let spec = solve::spectrum_summary(&k, ridge, 500, par).unwrap();
    let lo = ridge.max(spec.lambda_min_estimate / 10.0);
    println!(
        "lambda_max {:.4e}, theta_min {:.4e}, lambda_lo {lo:.4e}",
        spec.lambda_max, spec.lambda_min_estimate
    );
    let prec = |r: &Mat<f64>| {
        let mut z = Mat::zeros(n, nc);
        p.apply(r.as_ref(), z.as_mut());
        z
    };
    let mut xk = Mat::<f64>::zeros(n, nc);
    let mut r = b.clone();
    let mut z = prec(&r);
    let mut pd = z.clone();
    let mut rz: Vec<f64> = (0..nc)
        .map(|j| dot(r.col_as_slice(j), z.col_as_slice(j)))
        .collect();
    let mut terms: Vec<Vec<f64>> = vec![Vec::new(); nc]; // alpha_i r_i.z_i
    let t2 = Instant::now();
    println!(
        "it | bound(ridge) | bound(lo) | ST d=5 | ST d=10 | ST d=20 | true | rel res | true/rec res | s"
    );
    for it in 1..=3000 {
        let q = apply(&k, ridge, pd.as_ref(), par);
        for j in 0..nc {
            let pq = dot(pd.col_as_slice(j), q.col_as_slice(j));
            let alpha = rz[j] / pq;
            terms[j].push(alpha * rz[j]);
            for i in 0..n {
                xk[(i, j)] += alpha * pd[(i, j)];
                r[(i, j)] -= alpha * q[(i, j)];
            }
        }
        z = prec(&r);
        for j in 0..nc {
            let rz_new = dot(r.col_as_slice(j), z.col_as_slice(j));
            let beta = rz_new / rz[j];
            rz[j] = rz_new;
            for i in 0..n {
                pd[(i, j)] = z[(i, j)] + beta * pd[(i, j)];
            }
        }
        if it % 5 != 0 {
            continue;
        }
        let (mut bnd_r, mut bnd_l, mut res) = (0.0f64, 0.0f64, 0.0f64);
        let mut st = [0.0f64; 3];
        for j in 0..nc {
            let rn = dot(r.col_as_slice(j), r.col_as_slice(j)).sqrt();
            let xa2 = dot(xk.col_as_slice(j), b.col_as_slice(j))
                - dot(xk.col_as_slice(j), r.col_as_slice(j));
            bnd_r = bnd_r.max(rn / ridge.sqrt() / xa2.sqrt());
            bnd_l = bnd_l.max(rn / lo.sqrt() / xa2.sqrt());
            res = res.max(rn / dot(b.col_as_slice(j), b.col_as_slice(j)).sqrt());
            // ST estimate for the iterate d steps back, relative to its energy norm
            for (s, &dl) in st.iter_mut().zip(&[5usize, 10, 20]) {
                if it > dl {
                    let tj = &terms[j];
                    let k0 = it - dl;
                    let err2: f64 = tj[k0..it].iter().sum();
                    let xn2: f64 = tj[..k0].iter().sum();
                    *s = s.max((err2 / xn2).sqrt());
                }
            }
        }
        let (mut truerr, mut gap) = (f64::NAN, f64::NAN);
        if it % 10 == 0 {
            let rt = &b - apply(&k, ridge, xk.as_ref(), par);
            gap = (0..nc)
                .map(|j| {
                    (dot(rt.col_as_slice(j), rt.col_as_slice(j))
                        / dot(r.col_as_slice(j), r.col_as_slice(j)))
                    .sqrt()
                })
                .fold(0.0, f64::max);
            if let Some((s, na)) = &xs {
                let e = &xk - s;
                let ae = apply(&k, ridge, e.as_ref(), par);
                truerr = (0..nc)
                    .map(|j| (dot(e.col_as_slice(j), ae.col_as_slice(j)) / na[j]).sqrt())
                    .fold(0.0, f64::max);
            }
        }
        println!(
            "{it} | {bnd_r:.2e} | {bnd_l:.2e} | {:.2e} | {:.2e} | {:.2e} | {truerr:.2e} | {res:.2e} | {gap:.3} | {:.1}",
            st[0],
            st[1],
            st[2],
            t2.elapsed().as_secs_f64()
        );
        if bnd_r < 1e-9 || (it > 20 && st[0] < 1e-11) {
            break;
        }
    }
}
