//! `ntk kernel --activation A` for every activation family (text form with parameters), the
//! network-file forms (string and table), and the usage error for an unknown name.

mod common;

use assert_cmd::Command;
use common::read_npy_f64;
use predicates::prelude::*;

fn ntk() -> Command {
    Command::cargo_bin("ntk").unwrap()
}

#[test]
fn every_activation_runs_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    for act in ntk::Activation::examples() {
        let t = dir.path().join("t.npy");
        let text = act.to_string();
        ntk()
            .args([
                "kernel",
                "--dataset",
                "circle:6",
                "--depth",
                "2",
                "--w-std",
                "1.2",
            ])
            .args(["--b-std", "0.1", "--activation", &text, "--ntk-out"])
            .arg(&t)
            .assert()
            .success();
        let (shape, data) = read_npy_f64(&t);
        assert_eq!(shape, vec![6, 6], "{text}");
        // the same numbers as the library
        let net = ntk::Network::mlp(act, 2, 1.2, 0.1).unwrap();
        let x = ntk::data::Dataset::Circle(6).load().unwrap().x;
        let k = ntk::kernel::kernels(&net, x.as_ref(), None, &Default::default()).unwrap();
        let ntk_m = k.ntk.unwrap();
        for i in 0..6 {
            for j in 0..6 {
                assert_eq!(data[i * 6 + j], ntk_m[(i, j)], "{text}");
            }
        }
    }
}

#[test]
fn network_files_take_strings_and_tables() {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("net.toml");
    std::fs::write(
        &toml,
        "activation = { name = \"leaky_relu\", alpha = 0.1 }\ndepth = 2\nw_std = 1.0\n",
    )
    .unwrap();
    let json = dir.path().join("net.json");
    std::fs::write(
        &json,
        r#"{"activation": "leaky_relu:0.1", "depth": 2, "w_std": 1.0}"#,
    )
    .unwrap();
    let mut outs = vec![];
    for (i, f) in [&toml, &json].iter().enumerate() {
        let t = dir.path().join(format!("t{i}.npy"));
        ntk()
            .args(["kernel", "--dataset", "circle:4", "--arch"])
            .arg(f)
            .arg("--ntk-out")
            .arg(&t)
            .assert()
            .success();
        outs.push(read_npy_f64(&t).1);
    }
    assert_eq!(outs[0], outs[1]);
}

#[test]
fn unknown_activation_is_a_usage_error_listing_the_valid_ones() {
    ntk()
        .args([
            "kernel",
            "--dataset",
            "circle:4",
            "--depth",
            "1",
            "--w-std",
            "1",
        ])
        .args(["--activation", "relu6"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("leaky_relu").and(predicate::str::contains("relu6")));
    ntk()
        .args([
            "kernel",
            "--dataset",
            "circle:4",
            "--depth",
            "1",
            "--w-std",
            "1",
        ])
        .args(["--activation", "celu:0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("alpha > 0"));
}
