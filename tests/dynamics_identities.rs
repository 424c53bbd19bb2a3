//! Identities of the dynamics solver: t = 0 gives f_0, t = inf fits Y, the loss never
//! increases, gradient descent tends to the flow, an exact zero eigenvalue is handled, the
//! ensemble covariance is symmetric PSD; plus checks against an independent eigensolver
//! (nalgebra) and a direct simulation of gradient descent.

#![allow(clippy::needless_range_loop)]

use faer::Mat;
use nalgebra::{DMatrix, SymmetricEigen};
use ntk::dynamics::{
    Ensemble, EnsembleTest, FlowOptions, GradientFlow, InfMethod, Loss, Point, Ridge, TestData,
    Training, lanczos,
};
use ntk::rng::Rng;
use proptest::prelude::*;

fn randn(rows: usize, cols: usize, rng: &mut Rng) -> Mat<f64> {
    Mat::from_fn(rows, cols, |_, _| rng.normal())
}

/// Joint PSD NNGP and NTK over `n` train then `nt` test points, from random features.
struct Joint {
    nngp: Mat<f64>,
    ntk: Mat<f64>,
    n: usize,
}

impl Joint {
    fn new(n: usize, nt: usize, features: usize, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let m = n + nt;
        let phi = randn(m, features, &mut rng);
        let psi = randn(m, features, &mut rng);
        let nngp = Mat::from_fn(m, m, |i, j| {
            (0..features)
                .map(|f| phi[(i, f)] * phi[(j, f)])
                .sum::<f64>()
                / features as f64
        });
        let ntk = Mat::from_fn(m, m, |i, j| {
            nngp[(i, j)]
                + (0..features)
                    .map(|f| psi[(i, f)] * psi[(j, f)])
                    .sum::<f64>()
                    / features as f64
        });
        Joint { nngp, ntk, n }
    }
    fn tt(k: &Mat<f64>, n: usize) -> Mat<f64> {
        k.as_ref().submatrix(0, 0, n, n).to_owned()
    }
    fn st(k: &Mat<f64>, n: usize) -> Mat<f64> {
        k.as_ref().submatrix(n, 0, k.nrows() - n, n).to_owned()
    }
    fn ss(k: &Mat<f64>, n: usize) -> Mat<f64> {
        let m = k.nrows() - n;
        k.as_ref().submatrix(n, n, m, m).to_owned()
    }
}

fn max_abs_diff(a: &Mat<f64>, b: &Mat<f64>) -> f64 {
    let mut d = 0.0f64;
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            d = d.max((a[(i, j)] - b[(i, j)]).abs());
        }
    }
    d
}

fn max_abs(a: &Mat<f64>) -> f64 {
    let mut d = 0.0f64;
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            d = d.max(a[(i, j)].abs());
        }
    }
    d
}

fn to_na(m: &Mat<f64>) -> DMatrix<f64> {
    DMatrix::from_fn(m.nrows(), m.ncols(), |i, j| m[(i, j)])
}

fn opts(lr: f64, loss: Loss) -> FlowOptions {
    FlowOptions {
        learning_rate: lr,
        loss,
        threads: 1,
        ..Default::default()
    }
}

#[test]
fn t0_gives_f0_and_inf_fits_y() {
    let j = Joint::new(15, 4, 40, 1);
    let mut rng = Rng::new(2);
    let (y, f0, f0t) = (
        randn(15, 2, &mut rng),
        randn(15, 2, &mut rng),
        randn(4, 2, &mut rng),
    );
    let k = Joint::tt(&j.ntk, j.n);
    let kst = Joint::st(&j.ntk, j.n);
    let flow = GradientFlow::new(k.as_ref(), y.as_ref(), &opts(0.7, Loss::Sum)).unwrap();
    let test = TestData {
        k_test_train: kst.as_ref(),
        f0_test: Some(f0t.as_ref()),
        y_test: None,
    };
    let pts = [
        Point::Time(0.0),
        Point::Steps(0),
        Point::Time(1e6),
        Point::Time(f64::INFINITY),
    ];
    let p = flow.predict(Some(f0.as_ref()), Some(test), &pts).unwrap();
    let ft = p.fx_test.unwrap();
    for i in 0..2 {
        assert_eq!(max_abs_diff(&p.fx_train[i], &f0), 0.0);
        assert_eq!(max_abs_diff(&ft[i], &f0t), 0.0);
    }
    assert_eq!(p.inf_method, Some(InfMethod::Cholesky));
    assert_eq!(max_abs_diff(&p.fx_train[3], &y), 0.0);
    let d_late = max_abs_diff(&p.fx_train[2], &y);
    assert!(d_late < 1e-10, "t = 1e6 residual {d_late}");
    // the eigenbasis limit at a huge time agrees with the Cholesky solve at infinity
    let dt = max_abs_diff(&ft[2], &ft[3]);
    assert!(dt < 1e-9 * max_abs(&ft[3]), "{dt}");
}

#[test]
fn agrees_with_an_independent_eigensolver() {
    // f_t computed from nalgebra's SymmetricEigen with the textbook formulas
    let j = Joint::new(30, 6, 80, 3);
    let mut rng = Rng::new(4);
    let (y, f0) = (randn(30, 1, &mut rng), randn(30, 1, &mut rng));
    let k = Joint::tt(&j.ntk, j.n);
    let kst = Joint::st(&j.ntk, j.n);
    let (lr, loss) = (0.3, Loss::Mean);
    let flow = GradientFlow::new(k.as_ref(), y.as_ref(), &opts(lr, loss)).unwrap();
    let ts = [0.5, 3.0, 40.0, 900.0];
    let pts: Vec<Point> = ts.iter().map(|&t| Point::Time(t)).collect();
    let p = flow
        .predict(Some(f0.as_ref()), Some(TestData::new(kst.as_ref())), &pts)
        .unwrap();
    let eig = SymmetricEigen::new(to_na(&k));
    let (v, l) = (&eig.eigenvectors, &eig.eigenvalues);
    let d0 = to_na(&f0) - to_na(&y);
    let c = v.transpose() * &d0;
    let s = lr / 30.0;
    for (pi, &t) in ts.iter().enumerate() {
        let dec = DMatrix::from_fn(30, 1, |i, _| (-s * l[i] * t).exp() * c[(i, 0)]);
        let gai = DMatrix::from_fn(30, 1, |i, _| {
            (1.0 - (-s * l[i] * t).exp()) / l[i] * c[(i, 0)]
        });
        let ftr = to_na(&y) + v * dec;
        let fte = -(to_na(&kst) * (v * gai));
        let got_tr = to_na(&p.fx_train[pi]);
        let got_te = to_na(&p.fx_test.as_ref().unwrap()[pi]);
        let etr = (&got_tr - &ftr).amax() / ftr.amax();
        let ete = (&got_te - &fte).amax() / fte.amax();
        assert!(etr < 1e-12 && ete < 1e-12, "t={t}: {etr:e} {ete:e}");
    }
}

#[test]
fn gradient_descent_matches_direct_simulation() {
    let j = Joint::new(12, 3, 30, 5);
    let mut rng = Rng::new(6);
    let (y, f0, f0t) = (
        randn(12, 2, &mut rng),
        randn(12, 2, &mut rng),
        randn(3, 2, &mut rng),
    );
    let k = Joint::tt(&j.ntk, j.n);
    let kst = Joint::st(&j.ntk, j.n);
    let lam_max = lanczos::largest_eigenvalue(k.as_ref(), 1e-12, faer::Par::Seq)
        .unwrap()
        .value;
    for loss in [Loss::Sum, Loss::Mean] {
        let n_out = 24.0;
        let eta_max = if loss == Loss::Sum {
            2.0 / lam_max
        } else {
            2.0 * n_out / lam_max
        };
        let eta = 0.9 * eta_max;
        let s = if loss == Loss::Sum { eta } else { eta / n_out };
        let flow = GradientFlow::new(k.as_ref(), y.as_ref(), &opts(eta, loss)).unwrap();
        assert!((flow.max_learning_rate().unwrap() - eta_max).abs() < 1e-10 * eta_max);
        let steps = [0u64, 1, 2, 7, 50];
        let pts: Vec<Point> = steps.iter().map(|&k| Point::Steps(k)).collect();
        let test = TestData {
            k_test_train: kst.as_ref(),
            f0_test: Some(f0t.as_ref()),
            y_test: None,
        };
        let p = flow.predict(Some(f0.as_ref()), Some(test), &pts).unwrap();
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        // simulate
        let (kn, ksn) = (to_na(&k), to_na(&kst));
        let (mut f, mut ft) = (to_na(&f0), to_na(&f0t));
        let yn = to_na(&y);
        let mut step = 0u64;
        for (pi, &target) in steps.iter().enumerate() {
            while step < target {
                let d = &f - &yn;
                f -= s * (&kn * &d);
                ft -= s * (&ksn * &d);
                step += 1;
            }
            let etr = (to_na(&p.fx_train[pi]) - &f).amax() / f.amax();
            let ete = (to_na(&p.fx_test.as_ref().unwrap()[pi]) - &ft).amax() / ft.amax();
            assert!(
                etr < 1e-12 && ete < 1e-12,
                "{loss:?} k={target}: {etr:e} {ete:e}"
            );
        }
    }
}

#[test]
fn unstable_learning_rate_warns_and_overflow_is_an_error() {
    let k = faer::mat![[3.0, 0.0], [0.0, 1.0]];
    let y = faer::mat![[1.0], [1.0]];
    let flow = GradientFlow::new(k.as_ref(), y.as_ref(), &opts(1.0, Loss::Sum)).unwrap();
    assert!((flow.max_learning_rate().unwrap() - 2.0 / 3.0).abs() < 1e-15);
    let p = flow.predict(None, None, &[Point::Steps(10)]).unwrap();
    assert_eq!(p.warnings.len(), 1);
    assert!(
        p.warnings[0].contains("largest stable learning rate"),
        "{}",
        p.warnings[0]
    );
    // the flow itself is always stable: no warning for times
    assert!(
        flow.predict(None, None, &[Point::Time(10.0)])
            .unwrap()
            .warnings
            .is_empty()
    );
    let e = flow.predict(None, None, &[Point::Steps(5000)]).unwrap_err();
    assert!(!e.is_usage() && e.to_string().contains("diverged"), "{e}");
}

#[test]
fn gradient_descent_tends_to_the_flow() {
    let j = Joint::new(10, 3, 25, 7);
    let mut rng = Rng::new(8);
    let y = randn(10, 1, &mut rng);
    let k = Joint::tt(&j.ntk, j.n);
    let kst = Joint::st(&j.ntk, j.n);
    let t = 2.0;
    let flow = GradientFlow::new(k.as_ref(), y.as_ref(), &opts(1.0, Loss::Sum)).unwrap();
    let pf = flow
        .predict(None, Some(TestData::new(kst.as_ref())), &[Point::Time(t)])
        .unwrap();
    let mut prev = f64::INFINITY;
    for eta in [0.1, 0.01, 0.001] {
        let gd = GradientFlow::new(k.as_ref(), y.as_ref(), &opts(eta, Loss::Sum)).unwrap();
        let steps = (t / eta).round() as u64;
        let pg = gd
            .predict(
                None,
                Some(TestData::new(kst.as_ref())),
                &[Point::Steps(steps)],
            )
            .unwrap();
        let e = max_abs_diff(&pf.fx_train[0], &pg.fx_train[0]).max(max_abs_diff(
            &pf.fx_test.as_ref().unwrap()[0],
            &pg.fx_test.as_ref().unwrap()[0],
        ));
        println!("eta {eta}: |GD - flow| = {e:.3e}");
        assert!(
            e < prev / 5.0,
            "error {e} did not shrink ~linearly in eta (prev {prev})"
        );
        prev = e;
    }
    assert!(prev < 1e-3);
}

#[test]
fn exact_zero_eigenvalue_gives_finite_correct_results() {
    // A duplicated training point: block [[a, a], [a, a]] has eigenvalues 2a and exactly 0.
    // With targets y1 != y2 the null mode's residual can never be learned.
    let (a, b, c) = (1.5, 0.4, 2.0);
    let k = faer::mat![[a, a, 0.0], [a, a, 0.0], [0.0, 0.0, c]];
    let kst = faer::mat![[b, b, 0.0]];
    let (y1, y2, y3) = (1.0, -0.5, 0.25);
    let y = faer::mat![[y1], [y2], [y3]];
    let eta = 0.6;
    let flow = GradientFlow::new(k.as_ref(), y.as_ref(), &opts(eta, Loss::Sum)).unwrap();
    assert_eq!(flow.diagnostics().null_modes, 1);
    assert!(flow.diagnostics().condition_number.is_infinite());
    assert_eq!(flow.inf_method(), InfMethod::PseudoInverse);
    let ts = [0.0, 1e-300, 0.3, 5.0, 1e3, f64::INFINITY];
    let pts: Vec<Point> = ts.iter().map(|&t| Point::Time(t)).collect();
    let p = flow
        .predict(None, Some(TestData::new(kst.as_ref())), &pts)
        .unwrap();
    assert!(p.warnings.iter().any(|w| w.contains("pseudo-inverse")));
    assert_eq!(p.inf_method, Some(InfMethod::PseudoInverse));
    for (i, &t) in ts.iter().enumerate() {
        let e = if t.is_infinite() {
            0.0
        } else {
            (-2.0 * a * eta * t).exp()
        };
        let e3 = if t.is_infinite() {
            0.0
        } else {
            (-c * eta * t).exp()
        };
        let mean = 0.5 * (y1 + y2);
        // f = Y + P_u d + P_v d0 with d0 = -Y: learned common mode, frozen difference mode
        let want = [
            y1 - e * mean - 0.5 * (y1 - y2),
            y2 - e * mean + 0.5 * (y1 - y2),
            y3 - e3 * y3,
        ];
        let want_test = b * (y1 + y2) * (1.0 - e) / (2.0 * a);
        for r in 0..3 {
            let got = p.fx_train[i][(r, 0)];
            assert!(
                got.is_finite() && (got - want[r]).abs() < 1e-14,
                "t={t} row {r}: {got} vs {}",
                want[r]
            );
        }
        let got = p.fx_test.as_ref().unwrap()[i][(0, 0)];
        assert!(
            got.is_finite() && (got - want_test).abs() < 1e-14,
            "t={t} test: {got} vs {want_test}"
        );
        assert!(p.loss_train[i].is_finite());
    }
    // residual of the null mode stays: loss at infinity = 1/2 * (y1 - y2)^2 / 2
    let l_inf = 0.25 * (y1 - y2) * (y1 - y2);
    assert!((p.loss_train[5] - l_inf).abs() < 1e-14);
}

#[test]
fn zero_kernel_is_finite() {
    let k = Mat::<f64>::zeros(3, 3);
    let y = faer::mat![[1.0], [2.0], [3.0]];
    let flow = GradientFlow::new(k.as_ref(), y.as_ref(), &opts(1.0, Loss::Sum)).unwrap();
    assert_eq!(flow.max_learning_rate(), None);
    let kst = Mat::<f64>::zeros(2, 3);
    let p = flow
        .predict(
            None,
            Some(TestData::new(kst.as_ref())),
            &[
                Point::Time(5.0),
                Point::Time(f64::INFINITY),
                Point::Steps(9),
            ],
        )
        .unwrap();
    for f in p.fx_train.iter().chain(p.fx_test.as_ref().unwrap()) {
        assert_eq!(max_abs(f), 0.0);
    }
}

#[test]
fn ensemble_covariance_is_symmetric_psd_and_nngp_limit_is_the_posterior() {
    let j = Joint::new(14, 6, 30, 9);
    let mut rng = Rng::new(10);
    let y = randn(14, 1, &mut rng);
    let n = j.n;
    let (ntk, nngp) = (Joint::tt(&j.ntk, n), Joint::tt(&j.nngp, n));
    let (ntk_st, nngp_st, nngp_ss) = (
        Joint::st(&j.ntk, n),
        Joint::st(&j.nngp, n),
        Joint::ss(&j.nngp, n),
    );
    let test = EnsembleTest {
        ntk_test_train: Some(ntk_st.as_ref()),
        nngp_test_train: nngp_st.as_ref(),
        nngp_test_test: nngp_ss.as_ref(),
    };
    let pts = Point::parse_times("0,0.1,1,10,100,1000,inf").unwrap();
    for training in [Training::Ntk, Training::Nngp] {
        let ens = match training {
            Training::Ntk => Ensemble::ntk(
                ntk.as_ref(),
                nngp.as_ref(),
                y.as_ref(),
                &opts(1.0, Loss::Sum),
            ),
            Training::Nngp => Ensemble::nngp(nngp.as_ref(), y.as_ref(), &opts(1.0, Loss::Sum)),
        }
        .unwrap();
        let ms = ens.test(&test, &pts).unwrap();
        for (m, p) in ms.iter().zip(&pts) {
            let c = &m.cov;
            for a in 0..6 {
                for b in 0..6 {
                    assert_eq!(c[(a, b)], c[(b, a)]);
                }
            }
            let ev = SymmetricEigen::new(to_na(c)).eigenvalues;
            let (lo, hi) = (ev.min(), ev.max());
            assert!(
                lo >= -1e-12 * max_abs(&nngp_ss),
                "{training:?} t={p}: min eigenvalue {lo:e} (max {hi:e})"
            );
        }
        assert_eq!(max_abs_diff(&ms[0].cov, &nngp_ss), 0.0);
        if training == Training::Nngp {
            // t = inf: the GP posterior K** - K*X K^-1 KX*, mean K*X K^-1 Y
            let kinv = to_na(&nngp).try_inverse().unwrap();
            let post = to_na(&nngp_ss) - to_na(&nngp_st) * &kinv * to_na(&nngp_st).transpose();
            let mean = to_na(&nngp_st) * &kinv * to_na(&y);
            let last = ms.len() - 1;
            assert!((to_na(&ms[last].cov) - &post).amax() < 1e-9 * post.amax().max(1e-3));
            assert!((to_na(&ms[last].mean) - &mean).amax() < 1e-10 * mean.amax());
        }
        // train-set covariance: symmetric PSD, shrinking to 0
        let tr = ens.train(&pts).unwrap();
        let last = tr.len() - 1;
        assert!(max_abs(&tr[last].cov) < 1e-12);
        assert!(max_abs_diff(&tr[last].mean, &y) < 1e-10);
    }
}

#[test]
fn multi_output_is_columnwise_and_loss_mean_rescales_time() {
    let j = Joint::new(10, 2, 20, 11);
    let mut rng = Rng::new(12);
    let y = randn(10, 2, &mut rng);
    let k = Joint::tt(&j.ntk, j.n);
    let kst = Joint::st(&j.ntk, j.n);
    let pts = Point::parse_times("0.5,3,inf").unwrap();
    // loss Mean with eta = 20 (N = 20 outputs) is loss Sum with eta = 1
    let pm = GradientFlow::new(k.as_ref(), y.as_ref(), &opts(20.0, Loss::Mean))
        .unwrap()
        .predict(None, Some(TestData::new(kst.as_ref())), &pts)
        .unwrap();
    let ps = GradientFlow::new(k.as_ref(), y.as_ref(), &opts(1.0, Loss::Sum))
        .unwrap()
        .predict(None, Some(TestData::new(kst.as_ref())), &pts)
        .unwrap();
    for c in 0..2 {
        let yc = y.as_ref().subcols(c, 1).to_owned();
        let p1 = GradientFlow::new(k.as_ref(), yc.as_ref(), &opts(1.0, Loss::Sum))
            .unwrap()
            .predict(None, Some(TestData::new(kst.as_ref())), &pts)
            .unwrap();
        for i in 0..pts.len() {
            let a = ps.fx_train[i].as_ref().subcols(c, 1).to_owned();
            assert!(max_abs_diff(&a, &p1.fx_train[i]) < 1e-13);
            let b = ps.fx_test.as_ref().unwrap()[i]
                .as_ref()
                .subcols(c, 1)
                .to_owned();
            assert!(max_abs_diff(&b, &p1.fx_test.as_ref().unwrap()[i]) < 1e-13);
        }
    }
    for i in 0..pts.len() {
        assert!(
            max_abs_diff(
                &pm.fx_test.as_ref().unwrap()[i],
                &ps.fx_test.as_ref().unwrap()[i]
            ) < 1e-13
        );
        assert!(
            (pm.loss_train[i] * 20.0 - ps.loss_train[i]).abs()
                < 1e-13 * ps.loss_train[i].max(1e-300)
        );
    }
}

#[test]
fn ridge_relative_equals_absolute_and_threads_do_not_matter() {
    let j = Joint::new(40, 5, 60, 13);
    let mut rng = Rng::new(14);
    let y = randn(40, 1, &mut rng);
    let k = Joint::tt(&j.ntk, j.n);
    let kst = Joint::st(&j.ntk, j.n);
    let trace: f64 = (0..40).map(|i| k[(i, i)]).sum();
    let pts = Point::parse_times("1,100,inf").unwrap();
    let run = |ridge, threads| {
        let o = FlowOptions {
            learning_rate: 0.5,
            loss: Loss::Sum,
            ridge,
            threads,
        };
        GradientFlow::new(k.as_ref(), y.as_ref(), &o)
            .unwrap()
            .predict(None, Some(TestData::new(kst.as_ref())), &pts)
            .unwrap()
    };
    let a = run(Ridge::Relative(0.01), 1);
    let b = run(Ridge::Absolute(0.01 * trace / 40.0), 1);
    let c = run(Ridge::Relative(0.01), 2);
    for i in 0..pts.len() {
        let (ta, tb, tc) = (
            &a.fx_test.as_ref().unwrap()[i],
            &b.fx_test.as_ref().unwrap()[i],
            &c.fx_test.as_ref().unwrap()[i],
        );
        assert!(max_abs_diff(ta, tb) < 1e-13 * max_abs(ta));
        assert!(max_abs_diff(ta, tc) < 1e-12 * max_abs(ta));
    }
    // the flow runs on K + r I, which still interpolates at t = inf
    assert!(max_abs_diff(&a.fx_train[2], &y) < 1e-12);
}

#[test]
fn mode_residuals_are_ordered_and_decay() {
    let j = Joint::new(16, 1, 40, 15);
    let mut rng = Rng::new(16);
    let y = randn(16, 1, &mut rng);
    let k = Joint::tt(&j.ntk, j.n);
    let flow = GradientFlow::new(k.as_ref(), y.as_ref(), &opts(1.0, Loss::Sum)).unwrap();
    let pts = Point::parse_times("0,0.1,1,10,inf").unwrap();
    let p = flow.predict(None, None, &pts).unwrap();
    // t = 0: the norms of V^T Y; their squares sum to ||Y||^2
    let total: f64 = p.mode_residual[0].iter().map(|r| r * r).sum();
    let yy: f64 = (0..16).map(|i| y[(i, 0)] * y[(i, 0)]).sum();
    assert!((total - yy).abs() < 1e-12 * yy);
    for m in 0..16 {
        for i in 1..pts.len() {
            assert!(p.mode_residual[i][m] <= p.mode_residual[i - 1][m] * (1.0 + 1e-15));
        }
    }
    // the top mode (index 0) is learned first: by t = 1 its relative residual is the smallest
    let rel: Vec<f64> = (0..16)
        .map(|m| p.mode_residual[2][m] / p.mode_residual[0][m])
        .collect();
    assert!(rel[0] <= rel.iter().cloned().fold(f64::INFINITY, f64::min) * (1.0 + 1e-12));
}

#[test]
fn lanczos_agrees_with_nalgebra() {
    for (seed, n) in [(17u64, 200usize), (18, 120)] {
        let j = Joint::new(n, 0, 50, seed);
        let k = Joint::tt(&j.nngp, n);
        let want = SymmetricEigen::new(to_na(&k)).eigenvalues.max();
        let got =
            lanczos::largest_eigenvalue(k.as_ref(), lanczos::LANCZOS_TOL, faer::Par::Seq).unwrap();
        println!(
            "n={n}: lambda_max {} vs {want}, {} iterations",
            got.value, got.iterations
        );
        assert!((got.value - want).abs() <= 1e-10 * want);
    }
    // a degenerate top eigenvalue
    let k = Mat::from_fn(60, 60, |i, j| {
        if i == j {
            if i < 3 { 5.0 } else { 1.0 / (1.0 + i as f64) }
        } else {
            0.0
        }
    });
    let got =
        lanczos::largest_eigenvalue(k.as_ref(), lanczos::LANCZOS_TOL, faer::Par::Seq).unwrap();
    assert!((got.value - 5.0).abs() < 1e-10);
}

#[test]
fn bad_inputs_are_usage_errors() {
    let k = faer::mat![[1.0, 0.2], [0.2, 1.0]];
    let y = faer::mat![[1.0], [0.0]];
    let o = opts(1.0, Loss::Sum);
    let asym = faer::mat![[1.0, 0.5], [0.2, 1.0]];
    assert!(
        GradientFlow::new(asym.as_ref(), y.as_ref(), &o)
            .unwrap_err()
            .is_usage()
    );
    let nan = faer::mat![[1.0, f64::NAN], [f64::NAN, 1.0]];
    assert!(
        GradientFlow::new(nan.as_ref(), y.as_ref(), &o)
            .unwrap_err()
            .is_usage()
    );
    let bad_lr = opts(-1.0, Loss::Sum);
    assert!(
        GradientFlow::new(k.as_ref(), y.as_ref(), &bad_lr)
            .unwrap_err()
            .is_usage()
    );
    let flow = GradientFlow::new(k.as_ref(), y.as_ref(), &o).unwrap();
    assert!(
        flow.predict(None, None, &[Point::Time(-1.0)])
            .unwrap_err()
            .is_usage()
    );
    assert!(
        flow.predict(None, None, &[Point::Time(f64::NAN)])
            .unwrap_err()
            .is_usage()
    );
    let kst = faer::mat![[1.0, 0.2, 0.3]];
    assert!(
        flow.predict(None, Some(TestData::new(kst.as_ref())), &[Point::Time(1.0)])
            .unwrap_err()
            .is_usage()
    );
    let f0 = faer::mat![[1.0, 2.0], [0.0, 1.0]];
    assert!(
        flow.predict(Some(f0.as_ref()), None, &[Point::Time(1.0)])
            .unwrap_err()
            .is_usage()
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn loss_never_increases_along_the_flow(seed in 0u64..1000, n in 2usize..12, rank in 1usize..14,
                                           lr in 0.01f64..10.0, mean in proptest::bool::ANY) {
        // possibly singular PSD kernels (rank < n)
        let mut rng = Rng::new(seed);
        let phi = randn(n, rank, &mut rng);
        let k = Mat::from_fn(n, n, |i, j| (0..rank).map(|f| phi[(i, f)] * phi[(j, f)]).sum::<f64>());
        let y = randn(n, 1, &mut rng);
        let f0 = randn(n, 1, &mut rng);
        let loss = if mean { Loss::Mean } else { Loss::Sum };
        let flow = GradientFlow::new(k.as_ref(), y.as_ref(), &opts(lr, loss)).unwrap();
        let pts: Vec<Point> = [0.0, 1e-3, 0.01, 0.1, 0.5, 1.0, 3.0, 10.0, 100.0, 1e4, f64::INFINITY]
            .iter().map(|&t| Point::Time(t)).collect();
        let p = flow.predict(Some(f0.as_ref()), None, &pts).unwrap();
        for i in 1..pts.len() {
            prop_assert!(p.loss_train[i] <= p.loss_train[i - 1] * (1.0 + 1e-12) + 1e-14,
                "t={} loss {} > {}", pts[i], p.loss_train[i], p.loss_train[i - 1]);
        }
        for f in &p.fx_train { prop_assert!(max_abs(f).is_finite()); }
    }

    #[test]
    fn ensemble_covariance_psd_property(seed in 0u64..1000, n in 2usize..10, nt in 1usize..5,
                                        t in 0.0f64..50.0) {
        let j = Joint::new(n, nt, 6, seed); // few features: often singular train kernels
        let mut rng = Rng::new(seed + 1);
        let y = randn(n, 1, &mut rng);
        let (ntk, nngp) = (Joint::tt(&j.ntk, n), Joint::tt(&j.nngp, n));
        let (ntk_st, nngp_st, nngp_ss) = (Joint::st(&j.ntk, n), Joint::st(&j.nngp, n), Joint::ss(&j.nngp, n));
        let test = EnsembleTest { ntk_test_train: Some(ntk_st.as_ref()), nngp_test_train: nngp_st.as_ref(), nngp_test_test: nngp_ss.as_ref() };
        let ens = Ensemble::ntk(ntk.as_ref(), nngp.as_ref(), y.as_ref(), &opts(1.0, Loss::Sum)).unwrap();
        let ms = ens.test(&test, &[Point::Time(t), Point::Time(f64::INFINITY)]).unwrap();
        let scale = max_abs(&Joint::ss(&j.nngp, n)).max(max_abs(&nngp)).max(1e-300);
        for m in &ms {
            let ev = SymmetricEigen::new(to_na(&m.cov)).eigenvalues;
            prop_assert!(ev.min() >= -1e-10 * scale, "min eigenvalue {}", ev.min());
        }
    }
}
