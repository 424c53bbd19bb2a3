//! The dynamics solver against neural-tangents 0.6.5 (`tests/data/reference.json`, field
//! `gradient_descent`): `gradient_descent_mse` (zero and nonzero f0, all times, t = inf by
//! eigh and by Cholesky), `gradient_descent_mse_ensemble` (NTK training: test and train mean
//! and covariance), and `max_learning_rate`, all with `--loss mean`, to <= 1e-10 relative
//! (normwise: max |got - ref| / max |ref|).

#![allow(clippy::needless_range_loop)]

use faer::Mat;
use ntk::dynamics::{
    Ensemble, EnsembleTest, FlowOptions, GradientFlow, Loss, Point, TestData, lanczos,
};
use serde_json::Value;

const TOL: f64 = 1e-10;

fn reference() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/reference.json"
    ))
    .expect("reference.json");
    let v: Value = serde_json::from_str(&text).expect("valid JSON");
    v["gradient_descent"].clone()
}

fn mat(v: &Value) -> Mat<f64> {
    let rows = v.as_array().expect("array");
    let r: Vec<Vec<f64>> = rows
        .iter()
        .map(|row| match row {
            Value::Array(a) => a.iter().map(|x| x.as_f64().expect("number")).collect(),
            x => vec![x.as_f64().expect("number")],
        })
        .collect();
    Mat::from_fn(r.len(), r[0].len(), |i, j| r[i][j])
}

/// A 1-D JSON array as an n x 1 column.
fn col(v: &Value) -> Mat<f64> {
    let a = v.as_array().expect("array");
    Mat::from_fn(a.len(), 1, |i, _| a[i].as_f64().expect("number"))
}

fn rel_err(got: &Mat<f64>, want: &Mat<f64>) -> f64 {
    assert_eq!((got.nrows(), got.ncols()), (want.nrows(), want.ncols()));
    let mut diff = 0.0f64;
    let mut scale = 0.0f64;
    for j in 0..got.ncols() {
        for i in 0..got.nrows() {
            diff = diff.max((got[(i, j)] - want[(i, j)]).abs());
            scale = scale.max(want[(i, j)].abs());
        }
    }
    if scale == 0.0 { diff } else { diff / scale }
}

fn times(g: &Value) -> Vec<Point> {
    g["times"]
        .as_array()
        .expect("times")
        .iter()
        .map(|t| match t {
            Value::String(s) if s == "inf" => Point::Time(f64::INFINITY),
            x => Point::Time(x.as_f64().expect("number")),
        })
        .collect()
}

fn opts(g: &Value) -> FlowOptions {
    FlowOptions {
        learning_rate: g["learning_rate"].as_f64().expect("lr"),
        loss: Loss::Mean,
        threads: 1,
        ..Default::default()
    }
}

#[test]
fn gradient_descent_mse_matches_neural_tangents() {
    let g = reference();
    let k = &g["kernels"];
    let ntk = mat(&k["ntk_train_train"]);
    let ntk_td = mat(&k["ntk_test_train"]);
    let y = mat(&g["y_train"]);
    let pts = times(&g);
    let flow = GradientFlow::new(ntk.as_ref(), y.as_ref(), &opts(&g)).expect("flow");
    let mut worst = 0.0f64;
    for (case, f0) in [("ntk_fx0_zero", None), ("ntk_fx0_nonzero", Some(()))] {
        let r = &g["gradient_descent_mse"][case];
        let (f0_train, f0_test) = match f0 {
            None => (Mat::zeros(20, 1), Mat::zeros(5, 1)),
            Some(()) => (mat(&g["fx_train_0_nonzero"]), mat(&g["fx_test_0_nonzero"])),
        };
        let test = TestData {
            k_test_train: ntk_td.as_ref(),
            f0_test: Some(f0_test.as_ref()),
            y_test: None,
        };
        let p = flow
            .predict(Some(f0_train.as_ref()), Some(test), &pts)
            .expect("predict");
        let want_train = mat(&r["fx_train_t"]);
        let want_test = mat(&r["fx_test_t"]);
        let fx_test = p.fx_test.as_ref().expect("test outputs");
        for (i, pt) in pts.iter().enumerate() {
            let wt = Mat::from_fn(20, 1, |j, _| want_train[(i, j)]);
            let ws = Mat::from_fn(5, 1, |j, _| want_test[(i, j)]);
            let (et, es) = (rel_err(&p.fx_train[i], &wt), rel_err(&fx_test[i], &ws));
            println!("{case} t={pt}: train {et:.2e} test {es:.2e}");
            assert!(
                et <= TOL && es <= TOL,
                "{case} t={pt}: train {et:.3e} test {es:.3e}"
            );
            worst = worst.max(et).max(es);
        }
        let last = pts.len() - 1;
        let et = rel_err(&p.fx_train[last], &col(&r["fx_train_inf_cholesky"]));
        let es = rel_err(&fx_test[last], &col(&r["fx_test_inf_cholesky"]));
        println!("{case} inf vs cholesky: train {et:.2e} test {es:.2e}");
        assert!(et <= TOL && es <= TOL);
        worst = worst.max(et).max(es);
        // train loss at t = 0 in neural-tangents' convention
        let l0 = Loss::Mean.value((0..20).map(|j| f0_train[(j, 0)] - y[(j, 0)]), 20);
        assert!((p.loss_train[0] - l0).abs() <= 1e-15 * l0);
    }
    println!("gradient_descent_mse worst relative error {worst:.3e}");
}

#[test]
fn ensemble_matches_neural_tangents() {
    let g = reference();
    let k = &g["kernels"];
    let (ntk, nngp) = (mat(&k["ntk_train_train"]), mat(&k["nngp_train_train"]));
    let (ntk_td, nngp_td, nngp_tt) = (
        mat(&k["ntk_test_train"]),
        mat(&k["nngp_test_train"]),
        mat(&k["nngp_test_test"]),
    );
    let y = mat(&g["y_train"]);
    let pts = times(&g);
    let ens = Ensemble::ntk(ntk.as_ref(), nngp.as_ref(), y.as_ref(), &opts(&g)).expect("ensemble");
    let r = &g["gradient_descent_mse_ensemble"]["ntk"];
    let test = EnsembleTest {
        ntk_test_train: Some(ntk_td.as_ref()),
        nngp_test_train: nngp_td.as_ref(),
        nngp_test_test: nngp_tt.as_ref(),
    };
    let m = ens.test(&test, &pts).expect("test moments");
    let tr = ens.train(&pts).expect("train moments");
    let want_mean = mat(&r["test_mean_t"]);
    let want_train_mean = mat(&r["train_mean_t"]);
    let mut worst = 0.0f64;
    for (i, pt) in pts.iter().enumerate() {
        let wm = Mat::from_fn(5, 1, |j, _| want_mean[(i, j)]);
        let wc = mat(&r["test_cov_t"][i]);
        let wtm = Mat::from_fn(20, 1, |j, _| want_train_mean[(i, j)]);
        let wtc = mat(&r["train_cov_t"][i]);
        let errs = [
            rel_err(&m[i].mean, &wm),
            rel_err(&m[i].cov, &wc),
            rel_err(&tr[i].mean, &wtm),
            rel_err(&tr[i].cov, &wtc),
        ];
        println!(
            "t={pt}: test mean {:.2e} cov {:.2e}, train mean {:.2e} cov {:.2e}",
            errs[0], errs[1], errs[2], errs[3]
        );
        for e in errs {
            // t = inf train covariance is 0 in exact arithmetic: compare absolutely there
            let scale_ok = if pt.is_infinite() {
                e <= 1e-12
            } else {
                e <= TOL
            };
            assert!(scale_ok, "t={pt}: {errs:?}");
            if !pt.is_infinite() {
                worst = worst.max(e);
            }
        }
    }
    let last = pts.len() - 1;
    let em = rel_err(&m[last].mean, &col(&r["test_mean_inf_cholesky"]));
    let ec = rel_err(&m[last].cov, &mat(&r["test_cov_inf_cholesky"]));
    println!("inf vs cholesky: mean {em:.2e} cov {ec:.2e}");
    assert!(em <= TOL && ec <= TOL);
    println!(
        "ensemble worst relative error {:.3e}",
        worst.max(em).max(ec)
    );
}

#[test]
fn max_learning_rate_matches_neural_tangents() {
    let g = reference();
    let ntk = mat(&g["kernels"]["ntk_train_train"]);
    let want = g["max_learning_rate_ntk"].as_f64().expect("number");
    let y = mat(&g["y_train"]);
    let flow = GradientFlow::new(ntk.as_ref(), y.as_ref(), &opts(&g)).expect("flow");
    let from_evd = flow.max_learning_rate().expect("bounded");
    let from_lanczos = lanczos::max_learning_rate(ntk.as_ref(), Loss::Mean, 1, faer::Par::Seq)
        .expect("lanczos")
        .expect("bounded");
    for got in [from_evd, from_lanczos] {
        let e = (got - want).abs() / want;
        println!("max_learning_rate {got} vs {want}: {e:.2e}");
        assert!(e <= TOL);
    }
    // diagnostics against the reference eigenvalues and condition number
    let d = flow.diagnostics();
    let ev = g["eigvals_ntk_train_train"].as_array().expect("eigvals");
    let (lo, hi) = (
        ev[0].as_f64().expect("n"),
        ev[ev.len() - 1].as_f64().expect("n"),
    );
    assert!((d.min_eigenvalue - lo).abs() <= 1e-12 * hi);
    assert!((d.max_eigenvalue - hi).abs() <= 1e-12 * hi);
    let cond = g["cond_ntk_train_train"].as_f64().expect("cond");
    assert!((d.condition_number - cond).abs() <= 1e-10 * cond);
    assert_eq!(d.negative_clipped, 0);
}
