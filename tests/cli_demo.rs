//! README's main command, `ntk demo`, end to end in its quick form: every stage runs and writes
//! its plots and the summary; a bad output folder is a usage error.

use assert_cmd::Command;
use predicates::prelude::*;

#[test]
fn quick_demo_writes_summary_and_plots() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    Command::cargo_bin("ntk")
        .unwrap()
        .args(["demo", "--quick", "--threads", "2", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("NTK test accuracy"));
    for f in [
        "summary.md",
        "report.json",
        "convergence.png",
        "convergence.svg",
        "profile.png",
        "digits_ntk_heatmap.png",
        "dynamics_loss.png",
        "dynamics_test_predictions.svg",
        "dynamics_width.png",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    // kernel regression on the digits is a real classifier
    for r in report["digits"].as_array().unwrap() {
        assert!(r["ntk_test_accuracy"].as_f64().unwrap() > 0.85, "{r}");
    }
    // the narrow network deviates from the kernel prediction more than the wide one
    let dy = report["dynamics"].as_array().unwrap();
    assert!(dy[0]["deviation_test"].as_f64().unwrap() > dy[1]["deviation_test"].as_f64().unwrap());
}

#[test]
fn unwritable_output_folder_is_a_usage_error() {
    Command::cargo_bin("ntk")
        .unwrap()
        .args(["demo", "--quick", "--out", "/proc/no-such-dir/demo"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/proc/no-such-dir"));
}
