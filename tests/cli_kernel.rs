//! `ntk kernel` end to end: outputs and sidecars, and every error case of the analytic issue
//! (exit code, message naming the problem and the fix, no output file left behind).

mod common;

use assert_cmd::Command;
use common::read_npy_f64;
use predicates::prelude::*;
use std::path::Path;

fn ntk() -> Command {
    Command::cargo_bin("ntk").unwrap()
}

fn write_npy_f64(path: &Path, rows: usize, cols: usize, data: &[f64]) {
    // minimal C-order .npy writer for test inputs (independent of the crate's writer)
    let header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    let mut h = header.into_bytes();
    while (10 + h.len() + 1) % 64 != 0 {
        h.push(b' ');
    }
    h.push(b'\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(h.len() as u16).to_le_bytes());
    bytes.extend_from_slice(&h);
    for v in data {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(path, bytes).unwrap();
}

const NET: [&str; 8] = [
    "--activation",
    "relu",
    "--depth",
    "2",
    "--w-std",
    "1.5",
    "--b-std",
    "0.1",
];

#[test]
fn writes_kernels_and_sidecars() {
    let dir = tempfile::tempdir().unwrap();
    let x = dir.path().join("x.npy");
    write_npy_f64(&x, 3, 2, &[1.0, 0.0, 0.0, 1.0, 0.6, 0.8]);
    let (k, t) = (dir.path().join("k.npy"), dir.path().join("t.npy"));
    ntk()
        .arg("kernel")
        .arg("--x")
        .arg(&x)
        .args(NET)
        .arg("--nngp-out")
        .arg(&k)
        .arg("--ntk-out")
        .arg(&t)
        .arg("--threads")
        .arg("2")
        .assert()
        .success();
    let (shape, kv) = read_npy_f64(&k);
    assert_eq!(shape, vec![3, 3]);
    let (_, tv) = read_npy_f64(&t);
    // same as the library
    let xm = faer::Mat::from_fn(3, 2, |i, j| [[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]][i][j]);
    let net = ntk::Network::mlp(ntk::Activation::Relu, 2, 1.5, 0.1).unwrap();
    let lib = ntk::kernel::kernels(&net, xm.as_ref(), None, &Default::default()).unwrap();
    for i in 0..3 {
        for j in 0..3 {
            assert_eq!(kv[i + 3 * j], lib.nngp[(i, j)]);
            assert_eq!(tv[i + 3 * j], lib.ntk.as_ref().unwrap()[(i, j)]);
        }
    }
    let sc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("t.npy.json")).unwrap())
            .unwrap();
    let text = sc.to_string();
    assert!(
        text.contains(ntk::VERSION) && text.contains("relu") && text.contains("ntk"),
        "{text}"
    );
}

#[test]
fn builtin_dataset_and_cross_kernel() {
    let dir = tempfile::tempdir().unwrap();
    let z = dir.path().join("z.csv");
    std::fs::write(&z, "a,b\n1,0\n0.5,0.5\n").unwrap();
    let t = dir.path().join("t.npy");
    ntk()
        .args(["kernel", "--dataset", "circle:8", "--x2"])
        .arg(&z)
        .args(NET)
        .arg("--ntk-out")
        .arg(&t)
        .assert()
        .success();
    assert_eq!(read_npy_f64(&t).0, vec![8, 2]);
}

#[test]
fn help_has_examples() {
    ntk()
        .args(["kernel", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Examples"));
}

/// Run `ntk kernel` with extra args, expect `code`, a message, and no output file.
fn fails(extra: &[&str], code: i32, msg: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.npy");
    let mut cmd = ntk();
    cmd.current_dir(dir.path()).arg("kernel").args(extra);
    if !extra.contains(&"--ntk-out") {
        cmd.arg("--ntk-out").arg(&out);
    }
    cmd.assert()
        .code(code)
        .stderr(predicate::str::contains(msg));
    assert!(!out.exists(), "partial output left behind");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.contains("out"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn error_cases_have_clear_messages_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.npy");
    write_npy_f64(&good, 3, 2, &[1.0, 0.0, 0.0, 1.0, 0.6, 0.8]);
    let good = good.to_str().unwrap().to_string();
    let nan = dir.path().join("nan.npy");
    write_npy_f64(&nan, 2, 2, &[1.0, f64::NAN, 0.0, 1.0]);
    let nan = nan.to_str().unwrap().to_string();
    let empty = dir.path().join("empty.npy");
    write_npy_f64(&empty, 0, 2, &[]);
    let empty = empty.to_str().unwrap().to_string();
    let d3 = dir.path().join("d3.npy");
    write_npy_f64(&d3, 2, 3, &[1.0; 6]);
    let d3 = d3.to_str().unwrap().to_string();
    let rank3 = dir.path().join("rank3.npy");
    std::fs::write(&rank3, {
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        let mut h = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1), }".to_string();
        while (10 + h.len() + 1) % 64 != 0 {
            h.push(' ');
        }
        h.push('\n');
        b.extend_from_slice(&(h.len() as u16).to_le_bytes());
        b.extend_from_slice(h.as_bytes());
        b.extend_from_slice(&1.0f64.to_le_bytes());
        b
    })
    .unwrap();
    let rank3 = rank3.to_str().unwrap().to_string();
    let text = dir.path().join("x.npy");
    std::fs::write(&text, "not numpy").unwrap();
    let text = text.to_str().unwrap().to_string();

    let with = |x: &str, more: &[&str]| -> Vec<String> {
        let mut v = vec!["--x".to_string(), x.to_string()];
        v.extend(NET.iter().map(|s| s.to_string()));
        v.extend(more.iter().map(|s| s.to_string()));
        v
    };
    let run = |args: Vec<String>, code: i32, msg: &str| {
        let refs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        fails(&refs, code, msg);
    };
    run(with("/nonexistent/x.npy", &[]), 2, "/nonexistent/x.npy");
    run(with(&text, &[]), 2, "x.npy");
    run(with(&rank3, &[]), 2, "2-D");
    run(with(&empty, &[]), 2, "no rows");
    run(with(&nan, &[]), 2, "NaN");
    run(with(&good, &["--x2", &d3]), 2, "same input dimension");
    let mut a = with(&good, &[]);
    a[7] = "-1".into(); // --w-std -1
    run(a, 2, "w_std");
    let mut a = with(&good, &[]);
    a[9] = "inf".into(); // --b-std inf
    run(a, 2, "b_std");
    let mut a = with(&good, &[]);
    a[5] = "100000".into(); // --depth
    run(a, 2, "depth");
    let mut a = with(&good, &[]);
    a[3] = "relu6".into();
    run(a, 2, "unknown activation");
    run(
        vec!["--dataset".into(), "circle:8".into()],
        2,
        "--activation",
    );
    run(
        with(&good, &["--ntk-out", "/nonexistent-dir/k.npy"]),
        2,
        "/nonexistent-dir",
    );
    run(
        vec![
            "--dataset".into(),
            "nope".into(),
            "--activation".into(),
            "relu".into(),
            "--depth".into(),
            "1".into(),
            "--w-std".into(),
            "1".into(),
        ],
        2,
        "circle:N",
    );
    // an output too large for memory is refused up front with the number
    run(
        vec![
            "--dataset".into(),
            "circle:4000000".into(),
            "--activation".into(),
            "relu".into(),
            "--depth".into(),
            "1".into(),
            "--w-std".into(),
            "1".into(),
        ],
        2,
        "GB",
    );
    // a numerical overflow is a runtime failure (exit 1), not a usage error
    run(
        with(&good, &["--depth", "400", "--w-std", "1000"])
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !(4..=7).contains(i))
            .map(|(_, s)| s)
            .collect(),
        1,
        "overflow",
    );
}
