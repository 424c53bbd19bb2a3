//! `ntk kernel --rows A..B` / `--cols A..B` and `ntk assemble`, no MPI: blocks of any
//! (unaligned) size assemble byte-identically into the whole kernel (square and cross, f64
//! and f32), and bad ranges or incomplete block sets are refused with exit code 2.

use assert_cmd::Command;
use std::path::Path;

fn ntk() -> Command {
    Command::cargo_bin("ntk").unwrap()
}

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

fn kernel(dir: &Path, extra: &[&str]) {
    ntk()
        .current_dir(dir)
        .args([
            "kernel",
            "--x",
            "x.csv",
            "--activation",
            "relu",
            "--depth",
            "2",
        ])
        .args(["--w-std", "1.4", "--b-std", "0.1", "--tile", "32", "-q"])
        .args(extra)
        .assert()
        .success();
}

fn same(dir: &Path, a: &str, b: &str) {
    let (x, y) = (
        std::fs::read(dir.join(a)).unwrap(),
        std::fs::read(dir.join(b)).unwrap(),
    );
    assert!(x == y, "{a} and {b} differ");
}

#[test]
fn row_and_column_blocks_assemble_to_the_whole_kernel() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    write_csv(&dir.join("x.csv"), 150, 4, 0.0);
    write_csv(&dir.join("z.csv"), 61, 4, 2.0);
    kernel(dir, &["--ntk-out", "k.npy", "--nngp-out", "g.npy"]);
    kernel(
        dir,
        &[
            "--rows",
            "0..45",
            "--ntk-out",
            "k0.npy",
            "--nngp-out",
            "g0.npy",
        ],
    );
    kernel(
        dir,
        &[
            "--rows",
            "45..101",
            "--ntk-out",
            "k1.npy",
            "--nngp-out",
            "g1.npy",
        ],
    );
    kernel(
        dir,
        &[
            "--rows",
            "101..",
            "--ntk-out",
            "k2.npy",
            "--nngp-out",
            "g2.npy",
        ],
    );
    ntk()
        .current_dir(dir)
        .args([
            "assemble", "k2.npy", "k0.npy", "k1.npy", "--out", "ka.npy", "-q",
        ])
        .assert()
        .success();
    ntk()
        .current_dir(dir)
        .args([
            "assemble", "g1.npy", "g0.npy", "g2.npy", "--out", "ga.npy", "-q",
        ])
        .assert()
        .success();
    same(dir, "k.npy", "ka.npy");
    same(dir, "g.npy", "ga.npy");
    kernel(
        dir,
        &["--cols", "0..7", "--ntk-out", "c0.npy", "--dtype", "f32"],
    );
    kernel(
        dir,
        &["--cols", "7..", "--ntk-out", "c1.npy", "--dtype", "f32"],
    );
    kernel(dir, &["--ntk-out", "k32.npy", "--dtype", "f32"]);
    ntk()
        .current_dir(dir)
        .args(["assemble", "c0.npy", "c1.npy", "--out", "kc.npy", "-q"])
        .assert()
        .success();
    same(dir, "k32.npy", "kc.npy");
    // cross kernels
    kernel(dir, &["--x2", "z.csv", "--ntk-out", "x.npy"]);
    kernel(
        dir,
        &["--x2", "z.csv", "--rows", "0..33", "--ntk-out", "x0.npy"],
    );
    kernel(
        dir,
        &["--x2", "z.csv", "--rows", "33..150", "--ntk-out", "x1.npy"],
    );
    ntk()
        .current_dir(dir)
        .args(["assemble", "x0.npy", "x1.npy", "--out", "xa.npy", "-q"])
        .assert()
        .success();
    same(dir, "x.npy", "xa.npy");
}

#[test]
fn bad_ranges_and_incomplete_blocks_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    write_csv(&dir.join("x.csv"), 40, 3, 1.0);
    for bad in ["10..5", "0..41", "a..3", "7"] {
        ntk()
            .current_dir(dir)
            .args([
                "kernel",
                "--x",
                "x.csv",
                "--activation",
                "relu",
                "--depth",
                "1",
            ])
            .args([
                "--w-std",
                "1",
                "--b-std",
                "0",
                "--rows",
                bad,
                "--ntk-out",
                "k.npy",
                "-q",
            ])
            .assert()
            .code(2);
    }
    kernel(dir, &["--rows", "0..10", "--ntk-out", "k0.npy"]);
    kernel(dir, &["--rows", "20..", "--ntk-out", "k2.npy"]);
    kernel(dir, &["--rows", "5..20", "--ntk-out", "k1.npy"]);
    // a gap, an overlap
    let out = ntk()
        .current_dir(dir)
        .args(["assemble", "k0.npy", "k2.npy", "--out", "k.npy"])
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("missing"));
    ntk()
        .current_dir(dir)
        .args(["assemble", "k0.npy", "k1.npy", "k2.npy", "--out", "k.npy"])
        .assert()
        .code(2);
    assert!(
        !dir.join("k.npy").exists(),
        "no output after a refused assembly"
    );
    // blocks of different kernels
    kernel(dir, &["--rows", "10..20", "--nngp-out", "g1.npy"]);
    ntk()
        .current_dir(dir)
        .args(["assemble", "k0.npy", "g1.npy", "k2.npy", "--out", "k.npy"])
        .assert()
        .code(2);
}
