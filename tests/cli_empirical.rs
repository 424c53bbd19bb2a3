//! `ntk empirical`, `ntk train`, `ntk converge` and `ntk plot` end to end: outputs, sidecars,
//! reports and plots, and the error cases (exit code 2 for usage errors, 1 for runtime
//! failures, a message naming the problem and the fix, no output file left behind).

mod common;

use assert_cmd::Command;
use common::read_npy_f64;
use std::path::Path;

fn ntk() -> Command {
    Command::cargo_bin("ntk").unwrap()
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

/// Write the reference network's inputs (csv) and parameters (json).
fn reference_files(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, serde_json::Value) {
    let e = common::reference()["empirical_ntk"].clone();
    let x = dir.join("x.csv");
    let rows: Vec<String> = e["x_values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|v| format!("{}", v.as_f64().unwrap()))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    std::fs::write(&x, rows.join("\n") + "\n").unwrap();
    let p = dir.join("params.json");
    std::fs::write(&p, e["params"].to_string()).unwrap();
    (x, p, e)
}

#[test]
fn empirical_from_params_reproduces_reference() {
    let dir = tempfile::tempdir().unwrap();
    let (x, p, e) = reference_files(dir.path());
    let out = dir.path().join("k.npy");
    ntk()
        .arg("empirical")
        .arg("--x")
        .arg(&x)
        .args(NET)
        .arg("--params")
        .arg(&p)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let (shape, k) = read_npy_f64(&out);
    assert_eq!(shape, vec![4, 4]);
    let want = common::mat(&e["empirical_ntk"]);
    let got = faer::Mat::from_fn(4, 4, |i, j| k[i + 4 * j]);
    assert!(common::rel_err(got.as_ref(), want.as_ref()) <= 1e-12);
    let sc = std::fs::read_to_string(dir.path().join("k.npy.json")).unwrap();
    assert!(
        sc.contains("empirical_ntk") && sc.contains("params.json"),
        "{sc}"
    );
}

#[test]
fn empirical_seeded_matches_library_and_saves_params() {
    let dir = tempfile::tempdir().unwrap();
    let (out, nngp, params) = (
        dir.path().join("k.npy"),
        dir.path().join("n.npy"),
        dir.path().join("p.json"),
    );
    ntk()
        .args(["empirical", "--dataset", "circle:6"])
        .args(NET)
        .args(["--width", "32", "--seed", "5", "--threads", "2"])
        .arg("--out")
        .arg(&out)
        .arg("--nngp-out")
        .arg(&nngp)
        .arg("--save-params")
        .arg(&params)
        .assert()
        .success();
    let x = ntk::data::Dataset::Circle(6).load().unwrap().x;
    let net = ntk::Network::mlp(ntk::Activation::Relu, 2, 1.5, 0.1).unwrap();
    let mlp = ntk::empirical::Mlp::init(&net, 2, &ntk::empirical::Widths::Uniform(32), 5).unwrap();
    let lib = ntk::empirical::ntk(&mlp, x.as_ref(), None, 1).unwrap();
    let (_, k) = read_npy_f64(&out);
    let (_, n) = read_npy_f64(&nngp);
    for i in 0..6 {
        for j in 0..6 {
            assert_eq!(k[i + 6 * j], lib.ntk[(i, j)]);
            assert_eq!(n[i + 6 * j], lib.nngp[(i, j)]);
        }
    }
    assert_eq!(
        ntk::empirical::Mlp::from_params_file(&net, &params)
            .unwrap()
            .layers(),
        mlp.layers()
    );
}

#[test]
fn train_writes_record() {
    let dir = tempfile::tempdir().unwrap();
    let (out, k0, k1) = (
        dir.path().join("t.json"),
        dir.path().join("k0.npy"),
        dir.path().join("k1.npy"),
    );
    ntk()
        .args(["train", "--dataset", "circle:8", "--target", "x1x2"])
        .args(NET)
        .args([
            "--width",
            "64",
            "--seed",
            "1",
            "--lr",
            "0.5",
            "--loss",
            "mean",
            "--steps",
            "20",
            "--record-every",
            "5",
        ])
        .arg("--out")
        .arg(&out)
        .arg("--ntk-init-out")
        .arg(&k0)
        .arg("--ntk-final-out")
        .arg(&k1)
        .assert()
        .success();
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let steps: Vec<u64> = r["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_u64().unwrap())
        .collect();
    assert_eq!(steps, vec![0, 5, 10, 15, 20]);
    assert!(
        r["snapshots"][4]["train_loss"].as_f64().unwrap()
            < r["snapshots"][0]["train_loss"].as_f64().unwrap()
    );
    assert!(r["ntk_change"].as_f64().unwrap() > 0.0);
    assert_eq!(r["snapshots"][0]["f_train"].as_array().unwrap().len(), 8);
    assert_eq!(read_npy_f64(&k1).0, vec![8, 8]);
}

#[test]
fn converge_writes_report_and_plots() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("conv");
    ntk()
        .args([
            "converge",
            "--dataset",
            "circle:8",
            "--activation",
            "erf",
            "--depth",
            "2",
            "--w-std",
            "1.3",
            "--b-std",
            "0.1",
            "--widths",
            "16,64,256",
            "--seeds",
            "3",
            "--train-steps",
            "10",
            "--angles",
            "21",
            "--quiet",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert!(r["ntk_slope"].as_f64().unwrap() < 0.0);
    assert!(r["nngp_slope"].as_f64().unwrap() < 0.0);
    let w = r["widths"].as_array().unwrap();
    assert_eq!(w.len(), 3);
    for s in w {
        for key in [
            "width",
            "ntk_rel_err_mean",
            "ntk_rel_err_std",
            "nngp_rel_err_mean",
            "nngp_rel_err_std",
        ] {
            assert!(s[key].is_number(), "{key}");
        }
    }
    assert_eq!(r["profile"]["curves"].as_array().unwrap().len(), 6);
    for f in [
        "convergence.png",
        "convergence.svg",
        "profile.png",
        "profile.svg",
    ] {
        let meta = std::fs::metadata(out.join(f)).unwrap();
        assert!(meta.len() > 1000, "{f}");
    }
    let svg = std::fs::read_to_string(out.join("convergence.svg")).unwrap();
    assert!(svg.contains("hidden width") && svg.contains("slope -1/2"));
    // redraw from the report
    let re = dir.path().join("re");
    std::fs::create_dir(&re).unwrap();
    ntk()
        .args(["plot", "convergence"])
        .arg(out.join("report.json"))
        .arg("--out")
        .arg(&re)
        .assert()
        .success();
    assert!(re.join("profile.png").exists() && re.join("convergence.svg").exists());
}

#[test]
fn plot_heatmap_writes_png_and_svg() {
    let dir = tempfile::tempdir().unwrap();
    let k = dir.path().join("k.csv");
    std::fs::write(&k, "1,0.5,0.2\n0.5,1,0.5\n0.2,0.5,1\n").unwrap();
    ntk()
        .args(["plot", "heatmap"])
        .arg(&k)
        .args(["--title", "test kernel"])
        .assert()
        .success();
    assert!(dir.path().join("k.png").exists());
    let svg = std::fs::read_to_string(dir.path().join("k.svg")).unwrap();
    assert!(svg.contains("test kernel"));
}

/// Run, expect failure with `code`, a message containing every `needle`, and no `out` file.
fn fails(args: &[&str], code: i32, needles: &[&str], out: Option<&Path>) {
    let assert = ntk().args(args).assert().failure().code(code);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    for n in needles {
        assert!(
            stderr.to_lowercase().contains(&n.to_lowercase()),
            "missing `{n}` in: {stderr}"
        );
    }
    if let Some(o) = out {
        assert!(!o.exists(), "{} was left behind", o.display());
    }
}

#[test]
fn error_cases() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (x, p, _) = reference_files(d);
    let (xs, ps) = (x.to_str().unwrap(), p.to_str().unwrap());
    let out = d.join("k.npy");
    let o = out.to_str().unwrap();
    let netflags = NET.to_vec();
    let with = |extra: &[&str]| -> Vec<String> {
        let mut v = vec!["empirical".to_string(), "--x".into(), xs.into()];
        v.extend(netflags.iter().map(|s| s.to_string()));
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let run = |args: Vec<String>, code: i32, needles: &[&str]| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        fails(&refs, code, needles, Some(&out));
    };
    // no size
    run(with(&["--out", o]), 2, &["--width", "--params"]);
    // zero width
    run(
        with(&["--width", "0", "--out", o]),
        2,
        &["width", "at least 1"],
    );
    // wrong number of per-layer widths
    run(
        with(&["--widths", "8,8,8", "--out", o]),
        2,
        &["3 hidden widths", "depth 2"],
    );
    // missing params file
    run(
        with(&["--params", "/nonexistent/p.json", "--out", o]),
        2,
        &["p.json", "check the path"],
    );
    // params depth mismatch
    run(
        vec![
            "empirical".into(),
            "--x".into(),
            xs.into(),
            "--activation".into(),
            "relu".into(),
            "--depth".into(),
            "3".into(),
            "--w-std".into(),
            "1.5".into(),
            "--params".into(),
            ps.into(),
            "--out".into(),
            o.into(),
        ],
        2,
        &["depth"],
    );
    // params vs data dimension
    let x3 = d.join("x3.csv");
    std::fs::write(&x3, "1,2,3\n4,5,6\n").unwrap();
    let mut a = with(&["--params", ps, "--out", o]);
    a[2] = x3.to_str().unwrap().into();
    run(a, 2, &["5 inputs", "dimension 3"]);
    // both --width and --params
    run(
        with(&["--width", "8", "--params", ps, "--out", o]),
        2,
        &["--width", "--params"],
    );
    // NaN input
    let xn = d.join("nan.csv");
    std::fs::write(&xn, "1,2,3,4,5\n1,nan,3,4,5\n").unwrap();
    let mut a = with(&["--width", "8", "--out", o]);
    a[2] = xn.to_str().unwrap().into();
    run(a, 2, &["nan"]);
    // unwritable output
    fails(
        &[
            "empirical",
            "--x",
            xs,
            "--activation",
            "relu",
            "--depth",
            "1",
            "--w-std",
            "1",
            "--width",
            "4",
            "--out",
            "/nonexistent-dir/k.npy",
        ],
        2,
        &["does not exist"],
        None,
    );
    // same file twice
    run(
        with(&["--width", "4", "--out", o, "--nngp-out", o]),
        2,
        &["distinct"],
    );
    // no network
    fails(
        &["empirical", "--x", xs, "--width", "4", "--out", o],
        2,
        &["--activation"],
        Some(&out),
    );
    // memory: a width far beyond this machine
    run(
        with(&["--width", "300000", "--out", o]),
        2,
        &["memory", "smaller width"],
    );

    // train: bad learning rate, record beyond steps, divergence (runtime, exit 1)
    let t = d.join("t.json");
    let ts = t.to_str().unwrap();
    fails(
        &[
            "train",
            "--dataset",
            "circle:8",
            "--target",
            "x1x2",
            "--activation",
            "relu",
            "--depth",
            "1",
            "--w-std",
            "1.4",
            "--width",
            "16",
            "--lr=-1",
            "--steps",
            "5",
            "--out",
            ts,
        ],
        2,
        &["--lr", "positive"],
        Some(&t),
    );
    fails(
        &[
            "train",
            "--dataset",
            "circle:8",
            "--target",
            "x1x2",
            "--activation",
            "relu",
            "--depth",
            "1",
            "--w-std",
            "1.4",
            "--width",
            "16",
            "--lr",
            "0.1",
            "--steps",
            "5",
            "--record",
            "0,9",
            "--out",
            ts,
        ],
        2,
        &["beyond"],
        Some(&t),
    );
    fails(
        &[
            "train",
            "--dataset",
            "circle:8",
            "--target",
            "x1x2",
            "--activation",
            "relu",
            "--depth",
            "0",
            "--w-std",
            "1.4",
            "--lr",
            "1000",
            "--steps",
            "200",
            "--out",
            ts,
        ],
        1,
        &["diverged", "lower the learning rate"],
        Some(&t),
    );
    fails(
        &[
            "train",
            "--dataset",
            "circle:8",
            "--activation",
            "relu",
            "--depth",
            "1",
            "--w-std",
            "1.4",
            "--width",
            "16",
            "--lr",
            "0.1",
            "--steps",
            "5",
            "--out",
            ts,
        ],
        2,
        &["--y", "--target"],
        Some(&t),
    );
    fails(
        &[
            "train",
            "--dataset",
            "circle:8",
            "--target",
            "labels",
            "--activation",
            "relu",
            "--depth",
            "1",
            "--w-std",
            "1.4",
            "--width",
            "16",
            "--lr",
            "0.1",
            "--steps",
            "5",
            "--out",
            ts,
        ],
        2,
        &["labelled"],
        Some(&t),
    );

    // converge: bad widths, unknown preset, preset with network flags, --out is a file
    let c = d.join("conv");
    let cs = c.to_str().unwrap();
    fails(
        &[
            "converge",
            "--activation",
            "relu",
            "--depth",
            "1",
            "--w-std",
            "1.4",
            "--widths",
            "0,4",
            "--out",
            cs,
        ],
        2,
        &["widths"],
        Some(&c.join("report.json")),
    );
    fails(
        &[
            "converge",
            "--activation",
            "relu",
            "--depth",
            "1",
            "--w-std",
            "1.4",
            "--widths",
            "8,8",
            "--no-profile",
            "--out",
            cs,
        ],
        2,
        &["once"],
        Some(&c.join("report.json")),
    );
    fails(
        &["converge", "--preset", "jacot2019", "--out", cs],
        2,
        &["jacot2018"],
        None,
    );
    fails(
        &[
            "converge",
            "--preset",
            "jacot2018",
            "--activation",
            "erf",
            "--out",
            cs,
        ],
        2,
        &["preset", "network flags"],
        None,
    );
    fails(
        &[
            "converge",
            "--activation",
            "relu",
            "--depth",
            "1",
            "--w-std",
            "1.4",
            "--out",
            xs,
        ],
        2,
        &["not a directory"],
        None,
    );
    fails(
        &[
            "converge",
            "--activation",
            "relu",
            "--depth",
            "1",
            "--w-std",
            "1.4",
            "--seeds",
            "0",
            "--out",
            cs,
        ],
        2,
        &["--seeds"],
        None,
    );
    // plot: missing file
    fails(
        &["plot", "heatmap", "/nonexistent/k.npy"],
        2,
        &["k.npy"],
        None,
    );
    fails(
        &["plot", "convergence", xs],
        2,
        &["not an `ntk converge` report"],
        None,
    );
}
