//! The iterative ensemble (`ntk::solve::ensemble`) against the dense one
//! (`ntk::dynamics::Ensemble`, eigendecomposition / Cholesky) on the NTK and NNGP of the
//! digits: NTK and NNGP training, times 0 .. inf and gradient-descent steps, 1 and 10
//! outputs, with and without a ridge, and a kernel with duplicated training points.
//!
//! The bound checked per point follows from the solver's guarantee: every column of `M_t^T`
//! is within `tol` relative in the energy norm of `A`, hence `||Delta M||_F <= tol
//! sqrt(kappa(A)) ||M||_F`, and the covariance, linear and quadratic in `M`, moves by at most
//! `||Delta M|| (2 ||M|| ||P|| + 2 ||P*||)` (Frobenius norms, first order), plus the dense
//! reference's own rounding `kappa eps` times the covariance's scale; and the advertised
//! target, `||Delta cov|| <= tol (||P**|| + 2 ||M|| ||P*|| + ||M||^2 ||P||)`.

use faer::Mat;
use ntk::dynamics::discrete::gd_gain;
use ntk::dynamics::spectral::flow_gain;
use ntk::dynamics::{Ensemble, EnsembleTest, FlowOptions, Loss, Point, Ridge, Training};
use ntk::kernel_matrix::Dense;
use ntk::solve::{self, EnsembleKernels, SolveOptions};
use ntk::{Activation, Network, kernel};

struct Case {
    nngp: Mat<f64>,
    ntk: Mat<f64>,
    n: usize,
    y: Mat<f64>,
}

fn digits(n: usize, nt: usize, outputs: usize, duplicates: usize) -> Case {
    let d = ntk::data::Dataset::Digits.load().unwrap();
    let mut x = d.x.submatrix(0, 0, n + nt, d.x.ncols()).to_owned();
    for i in 0..duplicates {
        for j in 0..x.ncols() {
            x[(i + 1, j)] = x[(0, j)]; // training points 1..=duplicates repeat point 0
        }
    }
    let net = Network::mlp(Activation::Relu, 3, 2f64.sqrt(), 0.1).unwrap();
    let k = kernel::kernels(&net, x.as_ref(), None, &Default::default()).unwrap();
    let labels = d.labels.unwrap();
    let y = Mat::from_fn(n, outputs, |i, j| {
        if outputs == 1 {
            labels[i] as f64 / 9.0 - 0.5
        } else {
            (labels[i] as usize == j) as u8 as f64
        }
    });
    Case {
        nngp: k.nngp,
        ntk: k.ntk.unwrap(),
        n,
        y,
    }
}

fn block(a: &Mat<f64>, r: std::ops::Range<usize>, c: std::ops::Range<usize>) -> Mat<f64> {
    a.submatrix(r.start, c.start, r.len(), c.len()).to_owned()
}

/// Dense `M_t = Theta* A_t` and `kappa(A)` by an eigendecomposition of `A = Theta + r I`.
fn dense_m(theta: &Mat<f64>, ridge: f64, tx: &Mat<f64>, s: f64, p: Point) -> (Mat<f64>, f64) {
    let n = theta.nrows();
    let a = Mat::from_fn(n, n, |i, j| {
        theta[(i, j)] + if i == j { ridge } else { 0.0 }
    });
    let e = a.as_ref().self_adjoint_eigen(faer::Side::Lower).unwrap();
    let (v, l) = (e.U(), e.S().column_vector());
    let lmax = (0..n).map(|i| l[i]).fold(0.0f64, f64::max);
    let lmin = (0..n).map(|i| l[i]).fold(f64::INFINITY, f64::min);
    let g = |x: f64| match p {
        Point::Time(t) => flow_gain(x, s, t),
        Point::Steps(k) => gd_gain(x, s, k),
    };
    let w = Mat::from_fn(n, n, |i, j| v[(i, j)] * g(l[j]));
    let at = &w * v.transpose();
    (tx * &at, lmax / lmin.max(lmax * f64::EPSILON))
}

fn check(c: &Case, training: Training, opts: &FlowOptions, points: &[Point], label: &str) {
    let (n, m) = (c.n, c.nngp.nrows() - c.n);
    let theta = match training {
        Training::Ntk => &c.ntk,
        Training::Nngp => &c.nngp,
    };
    let (k, kt) = (block(theta, 0..n, 0..n), block(theta, n..n + m, 0..n));
    let (p, pt, ptt) = (
        block(&c.nngp, 0..n, 0..n),
        block(&c.nngp, n..n + m, 0..n),
        block(&c.nngp, n..n + m, n..n + m),
    );
    let dense = match training {
        Training::Ntk => Ensemble::ntk(k.as_ref(), p.as_ref(), c.y.as_ref(), opts),
        Training::Nngp => Ensemble::nngp(p.as_ref(), c.y.as_ref(), opts),
    }
    .unwrap();
    let et = EnsembleTest {
        ntk_test_train: Some(kt.as_ref()),
        nngp_test_train: pt.as_ref(),
        nngp_test_test: ptt.as_ref(),
    };
    let want = dense.test(&et, points).unwrap();
    let prior = Dense::new(p.clone()).unwrap();
    let ek = EnsembleKernels {
        prior: &prior,
        train_test: kt.as_ref(),
        prior_test_train: pt.as_ref(),
        prior_test: ptt.as_ref(),
    };
    let sopts = SolveOptions::default();
    let got = solve::ensemble(
        &Dense::new(k.clone()).unwrap(),
        c.y.as_ref(),
        &ek,
        points,
        opts,
        &sopts,
        None,
    )
    .unwrap();
    let ridge = solve::ridge_amount(&Dense::new(k.clone()).unwrap(), opts.ridge).unwrap();
    let s = opts
        .loss
        .effective_rate(opts.learning_rate, n * c.y.ncols());
    for (i, &pt_i) in points.iter().enumerate() {
        let (mm, kappa) = dense_m(&k, ridge, &kt, s, pt_i);
        let dm = sopts.tol * kappa.sqrt() * mm.norm_l2();
        let scale =
            ptt.norm_l2() + 2.0 * mm.norm_l2() * pt.norm_l2() + mm.norm_l2().powi(2) * p.norm_l2();
        let bound =
            dm * (2.0 * mm.norm_l2() * p.norm_l2() + 2.0 * pt.norm_l2()) + kappa * 1e-15 * scale;
        let err = (&got.cov[i] - &want[i].cov).norm_l2();
        assert!(
            err <= bound,
            "{label} {pt_i:?}: covariance off by {err:.3e} > bound {bound:.3e} (kappa {kappa:.2e})"
        );
        // and the advertised target: within tol relative to the covariance's scale
        assert!(
            err <= sopts.tol * scale,
            "{label} {pt_i:?}: covariance off by {err:.3e}, over tol x scale {:.3e}",
            sopts.tol * scale
        );
        let merr = (&got.mean[i] - &want[i].mean).norm_l2();
        let mbound = dm * c.y.norm_l2() + kappa * 1e-15 * mm.norm_l2() * c.y.norm_l2();
        assert!(
            merr <= mbound,
            "{label} {pt_i:?}: mean off by {merr:.3e} > bound {mbound:.3e}"
        );
        assert!(got.error_estimate[i] <= sopts.tol, "{label} {pt_i:?}");
    }
    // the check is not vacuous: the covariance moved away from the prior
    let last = got.cov.len() - 1;
    assert!(
        (&got.cov[last] - &ptt).norm_l2() > 1e-3 * ptt.norm_l2(),
        "{label}"
    );
}

fn times() -> Vec<Point> {
    Point::parse_times("0,0.01,1,10,100,inf").unwrap()
}

#[test]
fn ntk_training_matches_the_dense_ensemble() {
    let c = digits(120, 9, 1, 0);
    let opts = FlowOptions {
        ridge: Ridge::Relative(1e-4),
        ..Default::default()
    };
    check(&c, Training::Ntk, &opts, &times(), "ntk ridge 1e-4");
    let c10 = digits(120, 9, 10, 0);
    check(&c10, Training::Ntk, &opts, &times(), "ntk 10 outputs");
}

#[test]
fn nngp_training_matches_the_dense_ensemble() {
    let c = digits(120, 7, 10, 0);
    let opts = FlowOptions {
        ridge: Ridge::Relative(1e-3),
        ..Default::default()
    };
    check(&c, Training::Nngp, &opts, &times(), "nngp ridge 1e-3");
}

#[test]
fn gradient_descent_steps_and_mean_loss() {
    let c = digits(100, 6, 10, 0);
    let k = block(&c.ntk, 0..100, 0..100);
    let lmax = k
        .as_ref()
        .self_adjoint_eigenvalues(faer::Side::Lower)
        .unwrap()[99];
    // 0.9 of the largest stable rate (ridge 1e-4 relative moves lambda_max by < 1e-4)
    let lr = 0.9
        * Loss::Mean
            .max_learning_rate(lmax * 1.001, 100 * 10)
            .unwrap()
            .unwrap();
    let opts = FlowOptions {
        ridge: Ridge::Relative(1e-4),
        loss: Loss::Mean,
        learning_rate: lr,
        ..Default::default()
    };
    let pts = [0u64, 1, 10, 1000]
        .map(Point::Steps)
        .into_iter()
        .chain(Point::parse_times("1,inf").unwrap())
        .collect::<Vec<_>>();
    check(&c, Training::Ntk, &opts, &pts, "gd mean loss");
}

#[test]
fn duplicated_training_points_with_a_ridge() {
    let c = digits(100, 6, 1, 4);
    let opts = FlowOptions {
        ridge: Ridge::Relative(1e-3),
        ..Default::default()
    };
    check(&c, Training::Ntk, &opts, &times(), "duplicates");
}

#[test]
fn shapes_and_non_finite_kernels_are_refused() {
    let c = digits(30, 3, 1, 0);
    let (n, m) = (30, 3);
    let (k, kt) = (block(&c.ntk, 0..n, 0..n), block(&c.ntk, n..n + m, 0..n));
    let (p, pt, mut ptt) = (
        block(&c.nngp, 0..n, 0..n),
        block(&c.nngp, n..n + m, 0..n),
        block(&c.nngp, n..n + m, n..n + m),
    );
    let prior = Dense::new(p).unwrap();
    let theta = Dense::new(k).unwrap();
    let run = |kt: &Mat<f64>, ptt: &Mat<f64>| {
        let ek = EnsembleKernels {
            prior: &prior,
            train_test: kt.as_ref(),
            prior_test_train: pt.as_ref(),
            prior_test: ptt.as_ref(),
        };
        solve::ensemble(
            &theta,
            c.y.as_ref(),
            &ek,
            &times(),
            &FlowOptions::default(),
            &SolveOptions::default(),
            None,
        )
    };
    let short = block(&c.ntk, n..n + m - 1, 0..n);
    let e = run(&short, &ptt).unwrap_err().to_string();
    assert!(e.contains("Theta(x*, X) must be 3 x 30"), "{e}");
    ptt[(1, 2)] = f64::NAN;
    let e = run(&kt, &ptt).unwrap_err().to_string();
    assert!(e.contains("NNGP(x*, x*) entry (1, 2) is NaN"), "{e}");
}
