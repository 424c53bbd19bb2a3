//! Measures the iterative solvers (`ntk::solve`) next to the dense eigendecomposition path on
//! an uncompressed MNIST-family IDX training set: CG iterations against the preconditioner
//! rank, Lanczos steps per time, time per stage, agreement with the dense path and test
//! accuracy. ReLU depth 3 NTK (w_std = sqrt 2, b_std = 0.1), pixels / 255, one-hot targets,
//! relative ridge 1e-4, loss sum, learning rate 1, times 1, 10, 100, 1000, inf.
//!
//! `cargo run --release --example solve_scaling -- DIR N [N_TEST] [THREADS]` with `DIR` holding
//! `train-images-idx3-ubyte` and `train-labels-idx1-ubyte` (gunzip the Debian package's
//! `/usr/share/datasets/fashion-mnist/*.gz`); test points are taken after the first `N`.

use faer::Mat;
use ntk::dynamics::{FlowOptions, GradientFlow, Point, Ridge, TestData};
use ntk::kernel_matrix::Dense;
use ntk::solve::{self, CgOptions, Preconditioner, SolveOptions, Stop};
use ntk::{Activation, Network, kernel};
use std::time::Instant;

fn idx(path: &std::path::Path) -> (Vec<usize>, Vec<u8>) {
    let b = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let nd = b[3] as usize;
    let dims: Vec<usize> = (0..nd)
        .map(|i| {
            u32::from_be_bytes([b[4 + 4 * i], b[5 + 4 * i], b[6 + 4 * i], b[7 + 4 * i]]) as usize
        })
        .collect();
    (dims, b[4 + 4 * nd..].to_vec())
}

fn accuracy(f: &Mat<f64>, labels: &[u8]) -> f64 {
    let hits = (0..f.nrows())
        .filter(|&i| {
            let best = (0..f.ncols()).fold(0, |b, j| if f[(i, j)] > f[(i, b)] { j } else { b });
            best == labels[i] as usize
        })
        .count();
    hits as f64 / f.nrows() as f64
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(args.get(1).map_or("/tmp/fm", String::as_str));
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2000);
    let nt: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(500);
    let threads: usize = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(2);
    let (dims, px) = idx(&dir.join("train-images-idx3-ubyte"));
    let (_, lab) = idx(&dir.join("train-labels-idx1-ubyte"));
    let d = dims[1] * dims[2];
    let m = n + nt;
    let x = Mat::from_fn(m, d, |i, j| px[i * d + j] as f64 / 255.0);
    let y = Mat::from_fn(n, 10, |i, j| if lab[i] as usize == j { 1.0 } else { 0.0 });
    let net = Network::mlp(Activation::Relu, 3, 2f64.sqrt(), 0.1).unwrap();
    let t = Instant::now();
    let kopts = kernel::KernelOptions {
        threads,
        ..Default::default()
    };
    let joint = kernel::kernels(&net, x.as_ref(), None, &kopts)
        .unwrap()
        .ntk
        .unwrap();
    println!(
        "n {n}, n_test {nt}, threads {threads}: kernel {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let k = joint.submatrix(0, 0, n, n).to_owned();
    let kt = joint.submatrix(n, 0, nt, n).to_owned();
    drop(joint);
    let dk = Dense::new(k.clone()).unwrap();
    let opts = FlowOptions {
        ridge: Ridge::Relative(1e-4),
        threads,
        ..Default::default()
    };
    let ridge = solve::ridge_amount(&dk, opts.ridge).unwrap();

    // CG iterations against the preconditioner rank (t = inf, 10 outputs, residual 1e-10)
    let b = Mat::from_fn(n, 10, |i, j| -y[(i, j)]);
    for rank in [0usize, 50, 100, 200, 500] {
        let t = Instant::now();
        let p =
            (rank > 0).then(|| Preconditioner::pivoted_cholesky(&dk, rank.min(n), ridge).unwrap());
        let tp = t.elapsed().as_secs_f64();
        let s = solve::pcg(
            &dk,
            ridge,
            b.as_ref(),
            p.as_ref(),
            Stop::Residual(1e-10),
            &CgOptions::default(),
            opts.par(),
            None,
        )
        .unwrap();
        println!(
            "| {rank} | {} | {:.2} | {:.2} | {:.1} |",
            s.report.iterations,
            tp,
            t.elapsed().as_secs_f64() - tp,
            (n * rank.min(n) * 8) as f64 / 1e6
        );
    }

    let pts = Point::parse_times("1,10,100,1000,inf").unwrap();
    let t = Instant::now();
    let it = solve::flow(
        &dk,
        y.as_ref(),
        None,
        &pts,
        &opts,
        &SolveOptions::default(),
        None,
    );
    let t_it = t.elapsed().as_secs_f64();
    let it = match it {
        Ok(f) => f,
        Err(e) => {
            println!("iterative: {e} ({t_it:.1} s)");
            return;
        }
    };
    let dg = &it.diagnostics;
    println!(
        "iterative {t_it:.2} s: stages {:?}; lambda_max {:.4e}, lambda_min estimate {:.3e} ({} steps); cg {:?}; lanczos steps {:?} basis bytes {:?}",
        dg.stages
            .iter()
            .map(|s| format!("{} {:.2}", s.stage, s.seconds))
            .collect::<Vec<_>>(),
        dg.spectrum.lambda_max,
        dg.spectrum.lambda_min_estimate,
        dg.spectrum.iterations,
        dg.cg.as_ref().map(|c| c.iterations),
        dg.lanczos.as_ref().map(|l| l.steps),
        dg.lanczos.as_ref().map(|l| l.bytes),
    );
    let t = Instant::now();
    let flow = GradientFlow::new(k.as_ref(), y.as_ref(), &opts).unwrap();
    let dense = flow
        .predict(None, Some(TestData::new(kt.as_ref())), &pts)
        .unwrap();
    let t_dense = t.elapsed().as_secs_f64();
    println!(
        "dense {t_dense:.2} s; condition {:.3e}, lambda_min {:.3e}",
        dense.diagnostics.condition_number, dense.diagnostics.min_eigenvalue
    );
    let ft = it.test_outputs(kt.as_ref(), None).unwrap();
    let fd = dense.fx_test.as_ref().unwrap();
    let test_labels = &lab[n..m];
    for (p, pt) in pts.iter().enumerate() {
        let rel = (&ft[p] - &fd[p]).norm_l2() / fd[p].norm_l2();
        println!(
            "| {pt} | {:?} | {:.1e} | {rel:.1e} | {:.1} % | {:.1} % |",
            it.methods[p],
            it.error_estimate[p],
            100.0 * accuracy(&ft[p], test_labels),
            100.0 * accuracy(&fd[p], test_labels)
        );
    }
}
