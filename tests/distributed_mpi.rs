//! Byte identity under `mpirun --oversubscribe -np P` (P = 1..4, uneven splits and more
//! ranks than chunks) against the plain single-process run, for `ntk kernel` (square and
//! cross) and `ntk predict --solver iterative`, and the fault path: one rank with an
//! impossible memory limit fails the whole run cleanly with its message on rank 0 and no
//! output. Built only with `--features mpi`; needs `mpirun` (Open MPI or MPICH) on PATH.
#![cfg(feature = "mpi")]

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_ntk");

fn write_csv(p: &Path, n: usize, d: usize, seed: f64) {
    let mut s = String::new();
    for i in 0..n {
        let row: Vec<String> = (0..d)
            .map(|j| {
                format!(
                    "{:.6}",
                    (seed + 0.37 * i as f64 + 1.3 * j as f64 + 0.01 * (i * j) as f64).sin()
                )
            })
            .collect();
        s.push_str(&row.join(","));
        s.push('\n');
    }
    std::fs::write(p, s).unwrap();
}

/// `mpirun -np p ntk args` (p = 0: the plain binary), in `dir`.
fn run(dir: &Path, p: usize, args: &[String]) -> Output {
    let mut c = if p == 0 {
        Command::new(BIN)
    } else {
        let mut c = Command::new("mpirun");
        c.args([
            "--oversubscribe",
            "--bind-to",
            "none",
            "-np",
            &p.to_string(),
            BIN,
        ]);
        c
    };
    c.current_dir(dir)
        .args(args)
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env("OMPI_MCA_btl_vader_single_copy_mechanism", "none")
        .env("OMPI_MCA_rmaps_base_oversubscribe", "1")
        .output()
        .expect("mpirun is needed for the MPI tests (apt-get install openmpi-bin)")
}

fn ok(o: &Output, what: &str) {
    assert!(
        o.status.success(),
        "{what}: {}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
}

fn strs(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

fn bytes(dir: &Path, f: &str) -> Vec<u8> {
    std::fs::read(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"))
}

#[test]
fn kernels_are_byte_identical_for_p_1_to_4() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    write_csv(&dir.join("x.csv"), 1000, 6, 0.0);
    write_csv(&dir.join("z.csv"), 301, 6, 3.0);
    let net = strs(&[
        "--activation",
        "relu",
        "--depth",
        "3",
        "--w-std",
        "1.4",
        "--b-std",
        "0.1",
        "--tile",
        "64",
        "-q",
    ]);
    for (cross, extra) in [(false, vec![]), (true, strs(&["--x2", "z.csv"]))] {
        let args = |k: &str, g: &str| -> Vec<String> {
            let mut a = strs(&["kernel", "--x", "x.csv", "--ntk-out", k, "--nngp-out", g]);
            a.extend(net.clone());
            a.extend(extra.clone());
            a
        };
        ok(&run(dir, 0, &args("k.npy", "g.npy")), "plain ntk kernel");
        let (k, g) = (bytes(dir, "k.npy"), bytes(dir, "g.npy"));
        for p in 1..=4 {
            let (kp, gp) = (format!("k{p}.npy"), format!("g{p}.npy"));
            ok(
                &run(dir, p, &args(&kp, &gp)),
                &format!("mpirun -np {p} ntk kernel"),
            );
            assert!(
                bytes(dir, &kp) == k,
                "NTK cross {cross}: P = {p} differs from one process"
            );
            assert!(
                bytes(dir, &gp) == g,
                "NNGP cross {cross}: P = {p} differs from one process"
            );
        }
    }
}

/// The report without what legitimately differs (times, the command line, the memory plan
/// of rank 0's share).
fn report(dir: &Path, f: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_slice(&bytes(dir, f)).unwrap();
    let o = v.as_object_mut().unwrap();
    for k in ["seconds", "command", "stages", "memory"] {
        o.remove(k);
    }
    if let Some(d) = o.get_mut("diagnostics").and_then(|d| d.as_object_mut()) {
        d.remove("stages");
    }
    v
}

fn predict_args(out: &str, tr: &str, te: &str, extra: &[&str]) -> Vec<String> {
    let mut a = strs(&[
        "predict",
        "--solver",
        "iterative",
        "--x-train",
        "x.csv",
        "--y-train",
        "y.csv",
        "--x-test",
        "z.csv",
        "--activation",
        "relu",
        "--depth",
        "2",
        "--w-std",
        "1.4",
        "--b-std",
        "0.1",
        "--times",
        "0,1,20,inf",
        "--diag-reg",
        "1e-3",
        "--diag-reg-relative",
        "--lr",
        "1",
        "--out",
        out,
        "--fx-train-out",
        tr,
        "--fx-test-out",
        te,
        "-q",
    ]);
    a.extend(strs(extra));
    a
}

#[test]
fn iterative_predictions_are_byte_identical_for_p_1_to_4() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    write_csv(&dir.join("x.csv"), 1000, 5, 0.5);
    write_csv(&dir.join("z.csv"), 300, 5, 4.0);
    let y: String = (0..1000)
        .map(|i| format!("{},{}\n", (i % 3) as f64 - 1.0, ((i * 7) % 5) as f64 * 0.5))
        .collect();
    std::fs::write(dir.join("y.csv"), y).unwrap();
    ok(
        &run(dir, 0, &predict_args("r.json", "tr.npy", "te.npy", &[])),
        "plain ntk predict",
    );
    let (tr, te, rep) = (
        bytes(dir, "tr.npy"),
        bytes(dir, "te.npy"),
        report(dir, "r.json"),
    );
    for p in 1..=4 {
        let (r, a, b) = (
            format!("r{p}.json"),
            format!("tr{p}.npy"),
            format!("te{p}.npy"),
        );
        ok(
            &run(dir, p, &predict_args(&r, &a, &b, &[])),
            &format!("mpirun -np {p} ntk predict"),
        );
        assert!(
            bytes(dir, &a) == tr,
            "train predictions: P = {p} differs from one process"
        );
        assert!(
            bytes(dir, &b) == te,
            "test predictions: P = {p} differs from one process"
        );
        assert_eq!(report(dir, &r), rep, "report: P = {p}");
    }
    // another chunk partition (--chunks: every rank of 4 stores a chunk): again the bits of
    // the plain run with the same partition
    let c4 = ["--chunks", "4"];
    ok(
        &run(dir, 0, &predict_args("c.json", "c_tr.npy", "c_te.npy", &c4)),
        "plain --chunks 4",
    );
    ok(
        &run(
            dir,
            4,
            &predict_args("c4.json", "c4_tr.npy", "c4_te.npy", &c4),
        ),
        "-np 4 --chunks 4",
    );
    assert!(
        bytes(dir, "c_tr.npy") == bytes(dir, "c4_tr.npy"),
        "--chunks 4: P = 4 differs"
    );
    assert!(
        bytes(dir, "c_te.npy") == bytes(dir, "c4_te.npy"),
        "--chunks 4: P = 4 differs"
    );
}

#[test]
fn one_rank_out_of_memory_fails_the_whole_run_cleanly() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    write_csv(&dir.join("x.csv"), 400, 5, 0.5);
    write_csv(&dir.join("z.csv"), 50, 5, 4.0);
    let y: String = (0..400)
        .map(|i| format!("{}\n", (i % 3) as f64 - 1.0))
        .collect();
    std::fs::write(dir.join("y.csv"), y).unwrap();
    // MPMD: rank 0 gets a generous limit, rank 1 an impossible one (1 kB)
    let ok_args = predict_args("r.json", "tr.npy", "te.npy", &["--memory-limit", "1e11"]);
    let bad_args = predict_args("r.json", "tr.npy", "te.npy", &["--memory-limit", "1000"]);
    let mut c = Command::new("mpirun");
    c.args(["--oversubscribe", "--bind-to", "none", "-np", "1", BIN])
        .args(&ok_args)
        .args([":", "-np", "1", BIN])
        .args(&bad_args)
        .current_dir(dir)
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .env("OMPI_MCA_btl_vader_single_copy_mechanism", "none");
    let o = c.output().expect("mpirun");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "the run must fail: {err}");
    assert!(
        err.contains("rank 1 of 2") && err.contains("budget"),
        "rank 0 says why: {err}"
    );
    assert_eq!(
        err.matches("error:").count(),
        1,
        "one message, from rank 0: {err}"
    );
    let left: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 3, "no output, no temporary file: {left:?}");
    // the same for ntk kernel: an unwritable output fails every rank, nothing is left
    let mut a = strs(&[
        "kernel",
        "--x",
        "x.csv",
        "--ntk-out",
        "no/such/dir/k.npy",
        "--activation",
        "relu",
    ]);
    a.extend(strs(&[
        "--depth", "1", "--w-std", "1", "--b-std", "0", "-q",
    ]));
    let o = run(dir, 3, &a);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
