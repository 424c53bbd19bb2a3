//! `ntk predict` end to end: neural-tangents' numbers through the CLI (precomputed kernels
//! and a network description), the JSON layout, plots, and every error case (exit code 2 for
//! usage errors with a message naming problem and fix, 1 for runtime failures, no output
//! file left behind).

#![allow(clippy::needless_range_loop)]

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn ntk() -> Command {
    Command::cargo_bin("ntk").unwrap()
}

fn reference() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/reference.json");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["gradient_descent"].clone()
}

/// Write a JSON matrix (or vector) as CSV with full precision.
fn write_csv(path: &Path, v: &Value) {
    let mut s = String::new();
    for row in v.as_array().unwrap() {
        let cells: Vec<String> = match row {
            Value::Array(a) => a
                .iter()
                .map(|x| format!("{:?}", x.as_f64().unwrap()))
                .collect(),
            x => vec![format!("{:?}", x.as_f64().unwrap())],
        };
        s.push_str(&cells.join(","));
        s.push('\n');
    }
    std::fs::write(path, s).unwrap();
}

struct Files {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Files {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let g = reference();
        for k in [
            "x_train",
            "x_test",
            "y_train",
            "y_test",
            "fx_train_0_nonzero",
            "fx_test_0_nonzero",
        ] {
            write_csv(&root.join(format!("{k}.csv")), &g[k]);
        }
        for (k, v) in g["kernels"].as_object().unwrap() {
            write_csv(&root.join(format!("{k}.csv")), v);
        }
        Files { _dir: dir, root }
    }
    fn p(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }
}

fn precomputed(f: &Files) -> Vec<String> {
    let mut a = Vec::new();
    for (flag, file) in [
        ("--y-train", "y_train.csv"),
        ("--y-test", "y_test.csv"),
        ("--ntk-train", "ntk_train_train.csv"),
        ("--ntk-test-train", "ntk_test_train.csv"),
        ("--nngp-train", "nngp_train_train.csv"),
        ("--nngp-test-train", "nngp_test_train.csv"),
        ("--nngp-test", "nngp_test_test.csv"),
    ] {
        a.push(flag.to_string());
        a.push(f.p(file).display().to_string());
    }
    a
}

fn rel(got: &[f64], want: &[f64]) -> f64 {
    let d = got
        .iter()
        .zip(want)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    let s = want.iter().map(|b| b.abs()).fold(0.0, f64::max);
    if s == 0.0 { d } else { d / s }
}

fn flat(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(a) => a.iter().flat_map(flat).collect(),
        x => vec![x.as_f64().expect("number")],
    }
}

fn no_nulls(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Array(a) => a.iter().all(no_nulls),
        Value::Object(o) => o.values().all(no_nulls),
        _ => true,
    }
}

#[test]
fn reproduces_neural_tangents_from_precomputed_kernels() {
    let f = Files::new();
    let g = reference();
    let out = f.p("pred.json");
    ntk()
        .arg("predict")
        .args(precomputed(&f))
        .args([
            "--f0-train",
            &f.p("fx_train_0_nonzero.csv").display().to_string(),
        ])
        .args([
            "--f0-test",
            &f.p("fx_test_0_nonzero.csv").display().to_string(),
        ])
        .args([
            "--lr",
            "1",
            "--loss",
            "mean",
            "--times",
            "0,1,10,100,1000,inf",
            "--ensemble",
            "--threads",
            "1",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let p: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert!(no_nulls(&p));
    assert_eq!(p["times"][5], "inf");
    assert_eq!(p["times"][1], 1.0);
    let r = &g["gradient_descent_mse"]["ntk_fx0_nonzero"];
    let e1 = rel(&flat(&p["fx_train"]), &flat(&r["fx_train_t"]));
    let e2 = rel(&flat(&p["fx_test"]), &flat(&r["fx_test_t"]));
    let e = &g["gradient_descent_mse_ensemble"]["ntk"];
    let e3 = rel(
        &flat(&p["ensemble"]["ntk"]["test_mean"]),
        &flat(&e["test_mean_t"]),
    );
    let e4 = rel(
        &flat(&p["ensemble"]["ntk"]["test_cov"]),
        &flat(&e["test_cov_t"]),
    );
    let lr = p["max_learning_rate"].as_f64().unwrap();
    let want = g["max_learning_rate_ntk"].as_f64().unwrap();
    let e5 = (lr - want).abs() / want;
    println!("fx_train {e1:.2e} fx_test {e2:.2e} mean {e3:.2e} cov {e4:.2e} max_lr {e5:.2e}");
    for e in [e1, e2, e3, e4, e5] {
        assert!(e <= 1e-10, "{e}");
    }
    // shapes: times x n x k and times x m x m
    assert_eq!(p["fx_train"].as_array().unwrap().len(), 6);
    assert_eq!(p["fx_train"][0].as_array().unwrap().len(), 20);
    assert_eq!(p["fx_train"][0][0].as_array().unwrap().len(), 1);
    assert_eq!(
        p["ensemble"]["nngp"]["test_cov"][3]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    assert_eq!(p["loss_test"].as_array().unwrap().len(), 6);
    assert_eq!(p["diagnostics"]["negative_clipped"], 0);
    assert_eq!(p["inf_method"], "cholesky");
}

#[test]
fn network_description_steps_and_plots() {
    let f = Files::new();
    let g = reference();
    let out = f.p("pred.json");
    let plots = f.p("plots");
    ntk()
        .arg("predict")
        .args(["--x-train", &f.p("x_train.csv").display().to_string()])
        .args(["--x-test", &f.p("x_test.csv").display().to_string()])
        .args(["--y-train", &f.p("y_train.csv").display().to_string()])
        .args([
            "--activation",
            "relu",
            "--depth",
            "2",
            "--w-std",
            "1.5",
            "--b-std",
            "0.1",
        ])
        .args([
            "--lr",
            "1",
            "--loss",
            "mean",
            "--steps",
            "0,10,100",
            "--ensemble",
            "--quiet",
        ])
        .arg("--out")
        .arg(&out)
        .arg("--plot")
        .arg(&plots)
        .assert()
        .success()
        .stderr(predicate::str::is_empty());
    let p: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let r = &g["gradient_descent_mse"]["ntk_fx0_zero"];
    // analytic kernels from the network description: same numbers up to kernel rounding
    let e = rel(&flat(&p["fx_test"]), &flat(&r["fx_test_t"]));
    assert!(e <= 1e-9, "{e}");
    // lr = 1 is above 2N/lambda_max = 0.471: a warning, and GD outputs still finite here
    let w = p["warnings"].as_array().unwrap();
    assert!(
        w.iter()
            .any(|w| w.as_str().unwrap().contains("largest stable learning rate"))
    );
    assert_eq!(
        p["gradient_descent"]["steps"],
        serde_json::json!([0, 10, 100])
    );
    for name in ["loss", "modes", "test_predictions"] {
        for ext in ["png", "svg"] {
            let path = plots.join(format!("{name}.{ext}"));
            assert!(
                std::fs::metadata(&path)
                    .map(|m| m.len() > 1000)
                    .unwrap_or(false),
                "{}",
                path.display()
            );
        }
    }
}

#[test]
fn multi_output_targets_and_nngp_training() {
    let f = Files::new();
    // two target columns: y and -2y
    let y = std::fs::read_to_string(f.p("y_train.csv")).unwrap();
    let two: String = y
        .lines()
        .map(|l| format!("{l},{:?}\n", -2.0 * l.parse::<f64>().unwrap()))
        .collect();
    std::fs::write(f.p("y2.csv"), two).unwrap();
    let out = f.p("pred.json");
    ntk()
        .arg("predict")
        .args(["--y-train", &f.p("y2.csv").display().to_string()])
        .args([
            "--nngp-train",
            &f.p("nngp_train_train.csv").display().to_string(),
        ])
        .args([
            "--nngp-test-train",
            &f.p("nngp_test_train.csv").display().to_string(),
        ])
        .args([
            "--kernel", "nngp", "--lr", "0.5", "--times", "0,5,inf", "-q",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let p: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(p["n_outputs"], 2);
    assert_eq!(p["kernel"], "nngp");
    for t in 0..3 {
        for i in 0..5 {
            let a = p["fx_test"][t][i][0].as_f64().unwrap();
            let b = p["fx_test"][t][i][1].as_f64().unwrap();
            assert!((b + 2.0 * a).abs() <= 1e-12 * a.abs().max(1.0));
        }
    }
}

fn expect_usage(args: &[&str], f: &Files, needle: &str) {
    let out = f.p("never.json");
    let mut c = ntk();
    c.arg("predict").args(args).arg("--out").arg(&out);
    c.assert().code(2).stderr(predicate::str::contains(needle));
    assert!(!out.exists(), "output written despite the error ({args:?})");
}

#[test]
fn usage_errors_exit_2_without_output() {
    let f = Files::new();
    let y = f.p("y_train.csv").display().to_string();
    let x = f.p("x_train.csv").display().to_string();
    let k = f.p("ntk_train_train.csv").display().to_string();
    let kt = f.p("ntk_test_train.csv").display().to_string();
    let net = ["--activation", "relu", "--depth", "1", "--w-std", "1.4"];
    // learning rate
    expect_usage(
        &["--y-train", &y, "--ntk-train", &k, "--lr", "-1"],
        &f,
        "learning_rate",
    );
    expect_usage(
        &["--y-train", &y, "--ntk-train", &k, "--lr", "0"],
        &f,
        "--lr",
    );
    // times and steps
    expect_usage(
        &[
            "--y-train",
            &y,
            "--ntk-train",
            &k,
            "--lr",
            "1",
            "--times",
            "0,x",
        ],
        &f,
        "--times",
    );
    expect_usage(
        &[
            "--y-train",
            &y,
            "--ntk-train",
            &k,
            "--lr",
            "1",
            "--times",
            "-1",
        ],
        &f,
        ">= 0",
    );
    expect_usage(
        &[
            "--y-train",
            &y,
            "--ntk-train",
            &k,
            "--lr",
            "1",
            "--steps",
            "1.5",
        ],
        &f,
        "non-negative integer",
    );
    // loss / kernel names (clap)
    expect_usage(
        &[
            "--y-train",
            &y,
            "--ntk-train",
            &k,
            "--lr",
            "1",
            "--loss",
            "l1",
        ],
        &f,
        "use sum or mean",
    );
    // network and precomputed kernels together
    let mut a = vec![
        "--y-train",
        &y,
        "--x-train",
        &x,
        "--ntk-train",
        &k,
        "--lr",
        "1",
    ];
    a.extend(net);
    expect_usage(&a, &f, "either the network flags");
    // no kernel at all
    expect_usage(&["--y-train", &y, "--lr", "1"], &f, "no network given");
    // network without --x-train
    let mut a = vec!["--y-train", &y, "--lr", "1"];
    a.extend(net);
    expect_usage(&a, &f, "--x-train");
    // shapes: y with the wrong number of rows
    let yt = f.p("y_test.csv").display().to_string();
    expect_usage(
        &["--y-train", &yt, "--ntk-train", &k, "--lr", "1"],
        &f,
        "rows",
    );
    // a cross kernel given as the train kernel
    expect_usage(
        &["--y-train", &yt, "--ntk-train", &kt, "--lr", "1"],
        &f,
        "square",
    );
    // asymmetric train kernel
    let text = std::fs::read_to_string(f.p("ntk_train_train.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut first: Vec<&str> = lines[0].split(',').collect();
    first[1] = "9.0"; // K[0][1] != K[1][0]
    lines[0] = first.join(",");
    std::fs::write(f.p("asym.csv"), lines.join("\n") + "\n").unwrap();
    let asym = f.p("asym.csv").display().to_string();
    expect_usage(
        &["--y-train", &y, "--ntk-train", &asym, "--lr", "1"],
        &f,
        "not symmetric",
    );
    // missing file
    expect_usage(
        &[
            "--y-train",
            "/nonexistent/y.csv",
            "--ntk-train",
            &k,
            "--lr",
            "1",
        ],
        &f,
        "--y-train",
    );
    // ensemble without the kernels it needs
    expect_usage(
        &[
            "--y-train",
            &y,
            "--ntk-train",
            &k,
            "--lr",
            "1",
            "--ensemble",
        ],
        &f,
        "--ensemble needs",
    );
    // check-width without steps / with precomputed kernels
    let mut a = vec![
        "--y-train",
        &y,
        "--x-train",
        &x,
        "--x-test",
        &x,
        "--lr",
        "1",
        "--check-width",
        "64",
    ];
    a.extend(net);
    expect_usage(&a, &f, "--steps");
    expect_usage(
        &[
            "--y-train",
            &y,
            "--ntk-train",
            &k,
            "--lr",
            "1",
            "--check-width",
            "64",
            "--steps",
            "1",
        ],
        &f,
        "network description",
    );
    // f0 of the wrong shape
    expect_usage(
        &[
            "--y-train",
            &y,
            "--ntk-train",
            &k,
            "--lr",
            "1",
            "--f0-train",
            &yt,
        ],
        &f,
        "f0_train",
    );
    // unwritable output
    ntk()
        .arg("predict")
        .args([
            "--y-train",
            &y,
            "--ntk-train",
            &k,
            "--lr",
            "1",
            "--out",
            "/nonexistent-dir/p.json",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("does not exist"));
}

#[test]
fn divergence_is_a_runtime_error_without_output() {
    let f = Files::new();
    let out = f.p("p.json");
    ntk()
        .arg("predict")
        .args(["--y-train", &f.p("y_train.csv").display().to_string()])
        .args([
            "--ntk-train",
            &f.p("ntk_train_train.csv").display().to_string(),
        ])
        .args(["--lr", "1", "--steps", "100000"])
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("diverged").and(predicate::str::contains("--lr")));
    assert!(!out.exists());
}

#[test]
fn singular_kernel_reports_pseudo_inverse() {
    let dir = tempfile::tempdir().unwrap();
    // a duplicated training point: exact zero eigenvalue
    std::fs::write(dir.path().join("k.csv"), "1,1,0\n1,1,0\n0,0,2\n").unwrap();
    std::fs::write(dir.path().join("y.csv"), "1\n-1\n0.5\n").unwrap();
    std::fs::write(dir.path().join("kt.csv"), "0.5,0.5,0.1\n").unwrap();
    let out = dir.path().join("p.json");
    ntk()
        .arg("predict")
        .args(["--y-train", &dir.path().join("y.csv").display().to_string()])
        .args([
            "--ntk-train",
            &dir.path().join("k.csv").display().to_string(),
        ])
        .args([
            "--ntk-test-train",
            &dir.path().join("kt.csv").display().to_string(),
        ])
        .args(["--lr", "0.5", "--times", "0,1,1e6,inf"])
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains("pseudo-inverse"));
    let p: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert!(no_nulls(&p));
    assert_eq!(p["inf_method"], "pseudo-inverse");
    assert_eq!(p["diagnostics"]["condition_number"], "inf");
    assert_eq!(p["diagnostics"]["null_modes"], 1);
    // duplicates with targets 1 and -1 end at their mean 0
    assert!(p["fx_train"][3][0][0].as_f64().unwrap().abs() < 1e-15);
    assert!(p["fx_test"][3][0][0].as_f64().unwrap().is_finite());
}

#[test]
fn check_width_trains_networks_and_plots_them() {
    let f = Files::new();
    let out = f.p("pred.json");
    let plots = f.p("plots");
    ntk()
        .arg("predict")
        .args(["--x-train", &f.p("x_train.csv").display().to_string()])
        .args(["--x-test", &f.p("x_test.csv").display().to_string()])
        .args(["--y-train", &f.p("y_train.csv").display().to_string()])
        .args(["--y-test", &f.p("y_test.csv").display().to_string()])
        .args([
            "--activation",
            "relu",
            "--depth",
            "1",
            "--w-std",
            "1.5",
            "--b-std",
            "0.1",
        ])
        .args([
            "--lr",
            "0.01",
            "--steps",
            "10,100",
            "--check-width",
            "16,512",
            "--seeds",
            "1",
            "--ensemble",
        ])
        .args(["--threads", "1"])
        .arg("--out")
        .arg(&out)
        .arg("--plot")
        .arg(&plots)
        .assert()
        .success()
        .stderr(predicate::str::contains("width    512"));
    let p: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert!(no_nulls(&p));
    let c = &p["check"];
    assert_eq!(c["steps"], serde_json::json!([0, 10, 100]));
    assert_eq!(c["runs"].as_array().unwrap().len(), 2);
    let narrow = c["summary"][0]["deviation_test"].as_f64().unwrap();
    let wide = c["summary"][1]["deviation_test"].as_f64().unwrap();
    assert!(wide < narrow, "{wide} vs {narrow}");
    for name in ["loss", "test_predictions", "width"] {
        assert!(plots.join(format!("{name}.png")).exists(), "{name}");
    }
}

#[test]
fn npy_kernels_and_one_dimensional_targets() {
    let f = Files::new();
    let g = reference();
    let to_mat = |v: &Value| {
        let rows = v.as_array().unwrap();
        faer::Mat::from_fn(rows.len(), rows[0].as_array().unwrap().len(), |i, j| {
            rows[i][j].as_f64().unwrap()
        })
    };
    let k = to_mat(&g["kernels"]["ntk_train_train"]);
    let kt = to_mat(&g["kernels"]["ntk_test_train"]);
    let y: Vec<f64> = g["y_train"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_f64().unwrap())
        .collect();
    ntk::io::write_npy(f.p("k.npy"), k.as_ref()).unwrap();
    ntk::io::write_npy(f.p("kt.npy"), kt.as_ref()).unwrap();
    ntk::io::write_npy_vec(f.p("y.npy"), &y).unwrap(); // 1-D: read as n x 1
    let out = f.p("p.json");
    ntk()
        .arg("predict")
        .args(["--y-train", &f.p("y.npy").display().to_string()])
        .args(["--ntk-train", &f.p("k.npy").display().to_string()])
        .args(["--ntk-test-train", &f.p("kt.npy").display().to_string()])
        .args(["--lr", "1", "--loss", "mean", "-q"])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let p: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let r = &g["gradient_descent_mse"]["ntk_fx0_zero"];
    assert!(rel(&flat(&p["fx_test"]), &flat(&r["fx_test_t"])) <= 1e-10);
    assert!(rel(&flat(&p["fx_train"]), &flat(&r["fx_train_t"])) <= 1e-10);
}
