//! Properties of the iterative solvers beyond agreement with the dense path: the
//! preconditioner cuts CG iterations, results are bitwise identical for any thread count, the
//! reported CG residual is the true residual, the spectrum summary matches a dense
//! eigendecomposition, and bad inputs give typed errors (never panics).

use faer::Mat;
use ntk::dynamics::{FlowOptions, Loss, Point, Ridge, Spectrum};
use ntk::kernel_matrix::Dense;
use ntk::rng::Rng;
use ntk::solve::{self, CgOptions, Preconditioner, SolveOptions, Stop};
use ntk::{Activation, Error, Network, kernel};

fn digits_ntk(n: usize) -> Mat<f64> {
    let d = ntk::data::Dataset::Digits.load().unwrap();
    let x = d.x.submatrix(0, 0, n, d.x.ncols()).to_owned();
    let net = Network::mlp(Activation::Relu, 3, 2f64.sqrt(), 0.1).unwrap();
    kernel::kernels(&net, x.as_ref(), None, &Default::default())
        .unwrap()
        .ntk
        .unwrap()
}

fn randn(n: usize, k: usize, seed: u64) -> Mat<f64> {
    let mut rng = Rng::new(seed);
    Mat::from_fn(n, k, |_, _| rng.normal())
}

#[test]
fn preconditioner_reduces_cg_iterations() {
    let n = 400;
    let k = Dense::new(digits_ntk(n)).unwrap();
    let ridge = solve::ridge_amount(&k, Ridge::Relative(1e-4)).unwrap();
    let b = randn(n, 10, 3);
    let stop = Stop::Residual(1e-10);
    let o = CgOptions::default();
    let mut its = Vec::new();
    for rank in [0usize, 10, 40, 100] {
        let p = (rank > 0).then(|| Preconditioner::pivoted_cholesky(&k, rank, ridge).unwrap());
        let s = solve::pcg(
            &k,
            ridge,
            b.as_ref(),
            p.as_ref(),
            stop,
            &o,
            faer::Par::Seq,
            None,
        )
        .unwrap();
        eprintln!(
            "rank {rank}: {} iterations, residuals <= {:.2e}",
            s.report.iterations,
            s.report
                .relative_residual
                .iter()
                .copied()
                .fold(0.0, f64::max)
        );
        its.push(s.report.iterations);
    }
    assert!(
        its[1] < its[0] && its[2] < its[1] && its[3] < its[2],
        "{its:?}"
    );
    // measured on this kernel: 120, 77, 47, 33 iterations
    assert!(its[3] * 3 < its[0], "{its:?}");
}

#[test]
fn flow_is_bitwise_identical_for_any_thread_count() {
    let n = 150;
    let k = Dense::new(digits_ntk(n)).unwrap();
    let y = randn(n, 3, 4);
    let pts = Point::parse_times("0,1,10,inf").unwrap();
    let run = |threads| {
        let opts = FlowOptions {
            ridge: Ridge::Relative(1e-6),
            threads,
            loss: Loss::Mean,
            ..Default::default()
        };
        solve::flow(
            &k,
            y.as_ref(),
            None,
            &pts,
            &opts,
            &SolveOptions::default(),
            None,
        )
        .unwrap()
    };
    let (a, b) = (run(1), run(2));
    for p in 0..pts.len() {
        for j in 0..3 {
            for i in 0..n {
                assert_eq!(
                    a.coefficients[p][(i, j)].to_bits(),
                    b.coefficients[p][(i, j)].to_bits()
                );
                assert_eq!(
                    a.fx_train[p][(i, j)].to_bits(),
                    b.fx_train[p][(i, j)].to_bits()
                );
            }
        }
    }
}

#[test]
fn reported_cg_residual_is_the_true_residual() {
    let n = 200;
    let km = digits_ntk(n);
    let k = Dense::new(km.clone()).unwrap();
    let y = randn(n, 4, 5);
    let opts = FlowOptions {
        ridge: Ridge::Absolute(1e-3),
        ..Default::default()
    };
    let f = solve::flow(
        &k,
        y.as_ref(),
        None,
        &[Point::Time(f64::INFINITY)],
        &opts,
        &SolveOptions::default(),
        None,
    )
    .unwrap();
    let cg = f.diagnostics.cg.as_ref().unwrap();
    assert!(cg.converged);
    let c = &f.coefficients[0];
    let mut a = km.clone();
    for i in 0..n {
        a[(i, i)] += 1e-3;
    }
    let r = -&y - &a * c; // d0 - A c with d0 = -Y
    for j in 0..4 {
        let rel = r.col(j).norm_l2() / y.col(j).norm_l2();
        let rep = cg.relative_residual[j];
        assert!(
            (rel - rep).abs() <= 1e-6 * rel,
            "column {j}: true {rel:.6e} reported {rep:.6e}"
        );
        assert!(rep <= 1e-8);
    }
    // and the train residual returned is that residual
    // (up to the rounding of the two products: eps |A| |c| per entry)
    let scale = a.norm_max() * n as f64 * c.norm_max();
    assert!((&f.residual_train[0] - &r).norm_max() <= 8.0 * f64::EPSILON * scale);
}

#[test]
fn spectrum_summary_matches_dense_eigenvalues() {
    let n = 300;
    let km = digits_ntk(n);
    let k = Dense::new(km.clone()).unwrap();
    let s = solve::spectrum_summary(&k, 0.01, 300, faer::Par::Seq).unwrap();
    let dense = Spectrum::new(km.as_ref(), 0.01, faer::Par::Seq).unwrap();
    let ev = dense.eigenvalues();
    let lmax = ev[n - 1];
    assert!(
        (s.lambda_max - lmax).abs() <= 1e-10 * lmax,
        "{} vs {lmax}",
        s.lambda_max
    );
    for (i, &t) in s.top.iter().enumerate().take(3) {
        assert!(
            (t - ev[n - 1 - i]).abs() <= 1e-6 * lmax,
            "top {i}: {t} vs {}",
            ev[n - 1 - i]
        );
    }
    assert!(s.lambda_min_estimate >= ev[0] * (1.0 - 1e-12));
    assert!(s.condition_estimate <= lmax / ev[0] * (1.0 + 1e-12));
}

fn err_of(r: ntk::Result<solve::IterativeFlow>) -> Error {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

#[test]
fn bad_inputs_are_typed_errors() {
    let n = 30;
    let km = digits_ntk(n);
    let k = Dense::new(km.clone()).unwrap();
    let y = randn(n, 2, 6);
    let o = FlowOptions::default();
    let so = SolveOptions::default();
    let pts = [Point::Time(1.0)];
    // wrong target rows, NaN targets, wrong f0 shape
    assert!(
        err_of(solve::flow(
            &k,
            randn(n + 1, 2, 1).as_ref(),
            None,
            &pts,
            &o,
            &so,
            None
        ))
        .is_usage()
    );
    let mut ynan = y.clone();
    ynan[(3, 1)] = f64::NAN;
    assert!(err_of(solve::flow(&k, ynan.as_ref(), None, &pts, &o, &so, None)).is_usage());
    let f0 = randn(n, 3, 2);
    assert!(
        err_of(solve::flow(
            &k,
            y.as_ref(),
            Some(f0.as_ref()),
            &pts,
            &o,
            &so,
            None
        ))
        .is_usage()
    );
    // bad times, tolerance, learning rate, ridge
    assert!(
        err_of(solve::flow(
            &k,
            y.as_ref(),
            None,
            &[Point::Time(-1.0)],
            &o,
            &so,
            None
        ))
        .is_usage()
    );
    assert!(
        err_of(solve::flow(
            &k,
            y.as_ref(),
            None,
            &[Point::Time(f64::NAN)],
            &o,
            &so,
            None
        ))
        .is_usage()
    );
    for tol in [0.0, -1.0, 1.0, f64::NAN, 1e-20] {
        let s = SolveOptions { tol, ..so };
        assert!(
            err_of(solve::flow(&k, y.as_ref(), None, &pts, &o, &s, None)).is_usage(),
            "tol {tol}"
        );
    }
    let bad_lr = FlowOptions {
        learning_rate: 0.0,
        ..o
    };
    assert!(err_of(solve::flow(&k, y.as_ref(), None, &pts, &bad_lr, &so, None)).is_usage());
    let bad_ridge = FlowOptions {
        ridge: Ridge::Relative(-1.0),
        ..o
    };
    assert!(
        err_of(solve::flow(
            &k,
            y.as_ref(),
            None,
            &pts,
            &bad_ridge,
            &so,
            None
        ))
        .is_usage()
    );
    // a kernel with a NaN diagonal
    let mut kn = km.clone();
    kn[(2, 2)] = f64::NAN;
    let kn = Dense::new(kn).unwrap();
    assert!(err_of(solve::flow(&kn, y.as_ref(), None, &pts, &o, &so, None)).is_usage());
    // limits too small to reach the tolerance: numerical errors with the numbers
    let tiny = SolveOptions { max_basis: 2, ..so };
    let e = err_of(solve::flow(
        &k,
        y.as_ref(),
        None,
        &[Point::Time(100.0)],
        &o,
        &tiny,
        None,
    ));
    assert!(
        !e.is_usage() && e.to_string().contains("basis vectors"),
        "{e}"
    );
    let few = SolveOptions {
        cg: CgOptions {
            max_iter: 2,
            residual_every: 1,
            stagnation: 0,
        },
        preconditioner_rank: Some(0),
        ..so
    };
    let ridged = FlowOptions {
        ridge: Ridge::Absolute(1e-6),
        ..o
    };
    let e = err_of(solve::flow(
        &k,
        y.as_ref(),
        None,
        &[Point::Time(f64::INFINITY)],
        &ridged,
        &few,
        None,
    ));
    assert!(
        !e.is_usage() && e.to_string().contains("did not converge"),
        "{e}"
    );
}

#[test]
fn unstable_gradient_descent_warns_or_fails_clearly() {
    let n = 40;
    let k = Dense::new(digits_ntk(n)).unwrap();
    let y = randn(n, 1, 7);
    let s = solve::spectrum_summary(&k, 0.0, 300, faer::Par::Seq).unwrap();
    let lr = 2.5 / s.lambda_max; // loss sum: unstable above 2 / lambda_max
    let o = FlowOptions {
        learning_rate: lr,
        ..Default::default()
    };
    let f = solve::flow(
        &k,
        y.as_ref(),
        None,
        &[Point::Steps(3)],
        &o,
        &SolveOptions::default(),
        None,
    )
    .unwrap();
    assert!(
        f.warnings
            .iter()
            .any(|w| w.contains("largest stable learning rate")),
        "{:?}",
        f.warnings
    );
    match solve::flow(
        &k,
        y.as_ref(),
        None,
        &[Point::Steps(5000)],
        &o,
        &SolveOptions::default(),
        None,
    ) {
        Ok(_) => panic!("5000 unstable steps must overflow"),
        Err(e) => assert!(
            e.to_string().contains("diverged") || e.to_string().contains("overflow"),
            "{e}"
        ),
    }
}

#[test]
fn progress_reports_each_iterative_stage() {
    use std::sync::Mutex;
    let n = 60;
    let k = Dense::new(digits_ntk(n)).unwrap();
    let y = randn(n, 2, 8);
    let o = FlowOptions {
        ridge: Ridge::Absolute(1e-3),
        ..Default::default()
    };
    // every progress report of one flow at these points
    let flow_seen = |times: &str| {
        let seen = Mutex::new(Vec::<(String, usize, usize)>::new());
        let f = |stage: &str, done: usize, total: usize| {
            if let Ok(mut s) = seen.lock() {
                s.push((stage.to_string(), done, total));
            }
        };
        let pts = Point::parse_times(times).unwrap();
        let r = solve::flow(
            &k,
            y.as_ref(),
            None,
            &pts,
            &o,
            &SolveOptions::default(),
            Some(&f),
        )
        .unwrap();
        (r, seen.into_inner().unwrap())
    };
    let (r, seen) = flow_seen("1,inf");
    // CG and Lanczos run side by side; Lanczos reports only once CG is done, so a display
    // shows one stage at a time
    assert!(seen.iter().all(|c| c.1 <= c.2), "done > total");
    let announced: Vec<&str> = seen
        .iter()
        .filter(|s| s.2 == 1)
        .map(|s| s.0.as_str())
        .collect();
    assert_eq!(announced[..2], ["spectrum", "preconditioner"]);
    let first_lanczos = seen.iter().position(|s| s.0 == "lanczos");
    let last_cg = seen.iter().rposition(|s| s.0 == "cg").unwrap();
    assert!(
        first_lanczos.is_none_or(|f| f > last_cg),
        "interleaved stages"
    );
    // CG reports once per pass (each iteration, the final check and any restart), on the
    // log-measure scale: from 0 at the start towards LOG_PROGRESS_UNITS
    let cg = r.diagnostics.cg.as_ref().unwrap();
    let cg_calls: Vec<_> = seen.iter().filter(|s| s.0 == "cg").collect();
    assert_eq!(cg_calls.len(), cg.iterations + 1 + cg.restarts);
    assert_eq!(cg_calls[0].1, 0);
    assert!(
        cg_calls
            .iter()
            .all(|c| c.2 == solve::cg::LOG_PROGRESS_UNITS)
    );
    assert!(
        cg_calls[cg_calls.len() - 2].1 > solve::cg::LOG_PROGRESS_UNITS / 2,
        "{cg_calls:?} {cg:?}"
    );
    let stages: Vec<&str> = r
        .diagnostics
        .stages
        .iter()
        .map(|s| s.stage.as_str())
        .collect();
    assert_eq!(stages[..3], ["spectrum", "preconditioner", "cg+lanczos"]);
    assert!(stages[3] == "cg" || stages[3] == "lanczos");
    assert_eq!(stages.len(), 4);
    // finite times only: Lanczos alone, and it reports
    let (r, seen) = flow_seen("1,10");
    let steps = r.diagnostics.lanczos.as_ref().unwrap().steps;
    // the spectrum stage announces itself, then every Lanczos step reports
    assert_eq!(seen[0], ("spectrum".to_string(), 0, 1));
    assert_eq!(seen.len(), steps + 1);
    // on the log scale of its worst estimate, like CG: 0 before the first estimate, past half
    // the way at the last step
    let units = solve::cg::LOG_PROGRESS_UNITS;
    assert!(
        seen[1..]
            .iter()
            .all(|s| s.0 == "lanczos" && s.2 == units && s.1 < units)
    );
    assert_eq!(seen[1].1, 0);
    assert!(seen[steps].1 > units / 2, "{seen:?}");
    let stages: Vec<&str> = r
        .diagnostics
        .stages
        .iter()
        .map(|s| s.stage.as_str())
        .collect();
    assert_eq!(stages, ["spectrum", "lanczos"]);
}
