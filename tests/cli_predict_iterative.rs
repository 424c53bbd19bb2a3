//! `ntk predict --solver iterative` end to end: agreement with the dense solver (every time
//! including 0 and infinity, the committed Fashion-MNIST sample, precomputed singular and
//! ill-conditioned kernels), the .npy predictions, accuracies, the auto choice, the memory
//! plan refusing before allocating, and usage errors.

mod common;

use assert_cmd::Command;
use common::read_npy_f64;
use std::path::{Path, PathBuf};

fn ntk() -> Command {
    Command::cargo_bin("ntk").unwrap()
}

fn sample() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/io/fashion")
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ntk-cli-iter-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const NET: [&str; 8] = [
    "--activation",
    "relu",
    "--depth",
    "3",
    "--w-std",
    "1.4142135623730951",
    "--b-std",
    "0.1",
];

/// Run predict on the committed sample with a solver; returns (JSON, fx_test, fx_train).
fn run_sample(dir: &Path, solver: &str, extra: &[&str]) -> (serde_json::Value, Vec<f64>, Vec<f64>) {
    let out = dir.join(format!("{solver}.json"));
    let fxt = dir.join(format!("{solver}-test.npy"));
    let fxr = dir.join(format!("{solver}-train.npy"));
    ntk()
        .args([
            "predict",
            "--dataset",
            "fashion-mnist",
            "--data-dir",
            sample(),
        ])
        .args(NET)
        .args(["--lr", "1", "--diag-reg", "1e-4", "--diag-reg-relative"])
        .args(["--times", "0,1,10,100,1000,inf", "--threads", "2"])
        .args(["--solver", solver])
        .args(extra)
        .arg("--out")
        .arg(&out)
        .arg("--fx-test-out")
        .arg(&fxt)
        .arg("--fx-train-out")
        .arg(&fxr)
        .assert()
        .success();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let (shape, test) = read_npy_f64(&fxt);
    assert_eq!(shape, vec![6, 50, 10], "(times, n_test, outputs)");
    let (shape, train) = read_npy_f64(&fxr);
    assert_eq!(shape, vec![6, 100, 10]);
    (json, test, train)
}

/// Normwise relative difference of each point's block.
fn per_point(a: &[f64], b: &[f64], points: usize) -> Vec<f64> {
    let len = a.len() / points;
    (0..points)
        .map(|p| {
            let (x, y) = (&a[p * len..(p + 1) * len], &b[p * len..(p + 1) * len]);
            let num: f64 = x
                .iter()
                .zip(y)
                .map(|(u, v)| (u - v).powi(2))
                .sum::<f64>()
                .sqrt();
            let den: f64 = y.iter().map(|v| v * v).sum::<f64>().sqrt();
            if den == 0.0 { num } else { num / den }
        })
        .collect()
}

#[test]
fn iterative_matches_dense_on_the_fashion_sample() {
    let dir = tmp("sample");
    let (ji, ti, ri) = run_sample(&dir, "iterative", &[]);
    let (jd, td, rd) = run_sample(&dir, "dense", &[]);
    assert_eq!(ji["solver"], "iterative");
    for (p, e) in per_point(&ti, &td, 6).iter().enumerate() {
        assert!(*e <= 1e-8, "test outputs at point {p}: {e:e}");
    }
    for (p, e) in per_point(&ri, &rd, 6).iter().enumerate() {
        assert!(*e <= 1e-8, "train outputs at point {p}: {e:e}");
    }
    // the estimates are reported, within the tolerance, and accuracies are fractions
    for e in ji["error_estimate"].as_array().unwrap() {
        assert!(e.as_f64().unwrap() <= 1e-8);
    }
    let acc = ji["accuracy_test"].as_array().unwrap();
    assert_eq!(acc.len(), 6);
    assert!(
        acc[5].as_f64().unwrap() > 0.3,
        "10 classes from 100 images: {acc:?}"
    );
    assert_eq!(ji["tol"], 1e-8);
    assert!(ji["memory"]["total_bytes"].as_f64().unwrap() > 0.0);
    assert_eq!(
        jd["fx_test"].as_array().unwrap().len(),
        6,
        "the dense JSON keeps its arrays"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_nystrom_preconditioner_gives_the_same_predictions_to_the_tolerance() {
    let dir = tmp("nystrom");
    let (jd, td, rd) = run_sample(&dir, "dense", &[]);
    let (jn, tn, rn) = run_sample(
        &dir,
        "iterative",
        &["--preconditioner", "nystrom", "--seed", "4"],
    );
    let _ = jd;
    for (what, a, b) in [("test", &tn, &td), ("train", &rn, &rd)] {
        for (p, e) in per_point(a, b, 6).iter().enumerate() {
            assert!(*e <= 1e-8, "{what} outputs at point {p}: {e:e}");
        }
    }
    // what was built is recorded with the output, and the command line with its seed
    let p = &jn["diagnostics"]["preconditioner"];
    assert_eq!(p["kind"], "randomized-nystrom", "{p}");
    assert!(
        jn["command"].to_string().contains("--seed"),
        "{}",
        jn["command"]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn f32_storage_is_within_its_stated_bound() {
    let dir = tmp("f32");
    let (j, t32, _) = run_sample(&dir, "iterative", &["--storage", "f32", "--tol", "1e-6"]);
    assert_eq!(j["memory"]["precision"], "f32");
    // the output says so, with the bound (docs/storage.md)
    let w = j["warnings"].to_string();
    assert!(
        w.contains("stored in f32") && w.contains("kappa x 6.0e-8 = "),
        "{w}"
    );
    let (_, t64, _) = run_sample(&dir, "dense", &[]);
    // f32 entries are rounded to 2^-24 relative; with this kernel's condition number (~1e3)
    // the predictions move by ~cond * 6e-8 < 1e-3 (docs/storage.md)
    let errs = per_point(&t32, &t64, 6);
    assert!(errs.iter().all(|&e| e < 1e-3), "{errs:?}");
    assert!(
        errs[5] > 1e-12,
        "f32 storage must differ from f64 somewhere: {errs:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A precomputed kernel with duplicate points (singular without a ridge) and a spread spectrum.
fn write_kernels(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let n = 60;
    let x = faer::Mat::from_fn(n, 3, |i, j| {
        let i = if i % 10 == 9 { i - 1 } else { i }; // every 10th point duplicates the previous
        ((i * 3 + j) as f64 * 0.37).sin()
    });
    let xt = faer::Mat::from_fn(7, 3, |i, j| ((i * 5 + j) as f64 * 0.21).cos());
    let net = ntk::Network::mlp(ntk::Activation::Relu, 2, 1.4, 0.1).unwrap();
    let k = ntk::kernel::kernels(&net, x.as_ref(), None, &Default::default()).unwrap();
    let kt =
        ntk::kernel::kernels(&net, xt.as_ref(), Some(x.as_ref()), &Default::default()).unwrap();
    let y = faer::Mat::from_fn(n, 2, |i, j| ((i * 7 + j * 3) % 5) as f64 - 2.0);
    let (kp, ktp, yp) = (dir.join("k.npy"), dir.join("kt.npy"), dir.join("y.npy"));
    ntk::io::write_npy(&kp, k.ntk.as_ref().unwrap().as_ref()).unwrap();
    ntk::io::write_npy(&ktp, kt.ntk.as_ref().unwrap().as_ref()).unwrap();
    ntk::io::write_npy(&yp, y.as_ref()).unwrap();
    (kp, ktp, yp)
}

fn run_given(dir: &Path, solver: &str, ridge: &str, tag: &str) -> (Vec<f64>, Vec<f64>) {
    let (kp, ktp, yp) = write_kernels(dir);
    let fxt = dir.join(format!("{tag}-{solver}-t.npy"));
    let fxr = dir.join(format!("{tag}-{solver}-r.npy"));
    ntk()
        .arg("predict")
        .arg("--y-train")
        .arg(&yp)
        .arg("--ntk-train")
        .arg(&kp)
        .arg("--ntk-test-train")
        .arg(&ktp)
        .args([
            "--lr",
            "0.5",
            "--diag-reg",
            ridge,
            "--times",
            "0,0.5,5,50,500,inf",
        ])
        .args(["--steps", "0,3,30", "--solver", solver, "--quiet"])
        .arg("--out")
        .arg(dir.join(format!("{tag}-{solver}.json")))
        .arg("--fx-test-out")
        .arg(&fxt)
        .arg("--fx-train-out")
        .arg(&fxr)
        .assert()
        .success();
    (read_npy_f64(&fxt).1, read_npy_f64(&fxr).1)
}

#[test]
fn iterative_matches_dense_on_singular_and_ridged_kernels() {
    let dir = tmp("given");
    for (ridge, tag) in [("0", "singular"), ("1e-6", "ridged")] {
        let (ti, ri) = run_given(&dir, "iterative", ridge, tag);
        let (td, rd) = run_given(&dir, "dense", ridge, tag);
        // the dense JSON holds times then steps; the .npy files hold both in that order
        assert_eq!(ti.len(), td.len(), "{tag}");
        for (what, a, b) in [("test", &ti, &td), ("train", &ri, &rd)] {
            for (p, e) in per_point(a, b, 9).iter().enumerate() {
                assert!(*e <= 1e-8, "{tag} {what} outputs at point {p}: {e:e}");
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn auto_says_what_it_picked() {
    let dir = tmp("auto");
    let out = dir.join("a.json");
    let a = ntk()
        .args([
            "predict",
            "--dataset",
            "fashion-mnist:20:10",
            "--data-dir",
            sample(),
        ])
        .args(NET)
        .args(["--lr", "1", "--times", "0,inf", "--diag-reg", "1e-3"])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(err.contains("solver: dense (auto: n = 20"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_plan_that_cannot_fit_is_refused_before_allocating() {
    let dir = tmp("mem");
    let out = dir.join("m.json");
    let a = ntk()
        .args([
            "predict",
            "--dataset",
            "fashion-mnist",
            "--data-dir",
            sample(),
        ])
        .args(NET)
        .args([
            "--lr",
            "1",
            "--solver",
            "iterative",
            "--memory-limit",
            "100K",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        err.contains("GB") && err.contains("--memory-limit"),
        "{err}"
    );
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "nothing left behind"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn dense_only_options_and_bad_flags_are_usage_errors() {
    let dir = tmp("usage");
    let out = dir.join("u.json");
    let base = |extra: &[&str]| {
        let mut c = ntk();
        c.args([
            "predict",
            "--dataset",
            "fashion-mnist:20:10",
            "--data-dir",
            sample(),
        ])
        .args(NET)
        .args(["--lr", "1"])
        .args(extra)
        .arg("--out")
        .arg(&out);
        c
    };
    let plots = dir.join("plots");
    let e = base(&["--solver", "iterative", "--plot", plots.to_str().unwrap()])
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&e.get_output().stderr).contains("--plot"));
    base(&["--solver", "fast"]).assert().code(2);
    base(&["--memory-limit", "lots"]).assert().code(2);
    base(&["--storage", "f16"]).assert().code(2);
    base(&["--preconditioner", "jacobi"]).assert().code(2);
    base(&["--preconditioner-rank", "-3"]).assert().code(2);
    base(&["--solver", "iterative", "--tol", "0"])
        .assert()
        .code(2);
    let e = ntk()
        .args([
            "predict",
            "--dataset",
            "fashion-mnist",
            "--data-dir",
            "/nonexistent-ntk",
        ])
        .args(NET)
        .args(["--lr", "1"])
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    let msg = String::from_utf8_lossy(&e.get_output().stderr).to_string();
    assert!(
        msg.contains("dataset-fashion-mnist") && msg.contains("--data-dir"),
        "{msg}"
    );
    assert!(!out.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The ensemble's test mean and covariance: the iterative solver against the dense one.
#[test]
fn ensemble_iterative_matches_dense() {
    let dir = tmp("ensemble");
    let run = |solver: &str| -> serde_json::Value {
        let out = dir.join(format!("{solver}.json"));
        ntk()
            .args([
                "predict",
                "--dataset",
                "fashion-mnist:60:8",
                "--data-dir",
                sample(),
            ])
            .args(NET)
            .args(["--lr", "1", "--diag-reg", "1e-4", "--diag-reg-relative"])
            .args([
                "--times",
                "0,1,10,inf",
                "--solver",
                solver,
                "--ensemble",
                "--quiet",
            ])
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap()
    };
    let (d, i) = (run("dense"), run("iterative"));
    let flat = |v: &serde_json::Value| -> Vec<f64> {
        let mut out = Vec::new();
        fn walk(v: &serde_json::Value, out: &mut Vec<f64>) {
            match v {
                serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
                x => out.push(x.as_f64().unwrap()),
            }
        }
        walk(v, &mut out);
        out
    };
    for (dk, ik) in [("test_cov", "cov"), ("test_mean", "mean")] {
        let a = flat(&d["ensemble"]["ntk"][dk]);
        let b = flat(&i["ensemble"][ik]);
        assert_eq!(a.len(), b.len(), "{dk}");
        for (p, diff) in per_point(&a, &b, 4).iter().enumerate() {
            assert!(
                *diff <= 1e-8,
                "{dk} point {p}: relative difference {diff:.3e}"
            );
        }
    }
    let est = flat(&i["ensemble"]["error_estimate"]);
    assert!(est.iter().all(|&e| e <= 1e-8), "{est:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}
