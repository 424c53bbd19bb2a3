//! `ntk kernel` and data files: Fashion-MNIST from a directory, IDX inputs (and corrupt ones:
//! exit code 2), `--dtype f32`, outputs published together, and SIGTERM/SIGINT mid-write
//! (exit 130/143, no outputs and no temporary files left).

mod common;

use assert_cmd::Command;
use common::read_npy_f64;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn ntk() -> Command {
    Command::cargo_bin("ntk").unwrap()
}

fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/io/fashion")
}

const NET: [&str; 8] = [
    "--activation",
    "relu",
    "--depth",
    "3",
    "--w-std",
    "1.5",
    "--b-std",
    "0.1",
];

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn fashion_mnist_from_a_directory_matches_the_library() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("k.npy");
    ntk()
        .args(["kernel", "--dataset", "fashion-mnist:30", "--data-dir"])
        .arg(sample_dir())
        .args(NET)
        .arg("--ntk-out")
        .arg(&out)
        .assert()
        .success();
    let (shape, data) = read_npy_f64(&out);
    assert_eq!(shape, vec![30, 30]);
    let f = ntk::data::FashionMnist::load(Some(&sample_dir()), Some(30), None).unwrap();
    let net = ntk::Network::mlp(ntk::Activation::Relu, 3, 1.5, 0.1).unwrap();
    let k = ntk::kernel::kernels(&net, f.x_train.as_ref(), None, &Default::default()).unwrap();
    let t = k.ntk.unwrap();
    for j in 0..30 {
        for i in 0..30 {
            assert_eq!(data[j * 30 + i].to_bits(), t[(i, j)].to_bits());
        }
    }
    let sc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("k.npy.json")).unwrap())
            .unwrap();
    assert_eq!(sc["inputs"][0]["source"], "fashion-mnist:30");
}

#[test]
fn missing_fashion_mnist_names_both_ways() {
    let out = ntk()
        .args([
            "kernel",
            "--dataset",
            "fashion-mnist",
            "--data-dir",
            "/nonexistent-ntk-data",
        ])
        .args(NET)
        .args(["--ntk-out", "/tmp/never-written.npy"])
        .assert()
        .code(2);
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(err.contains("--data-dir"), "{err}");
    assert!(
        err.contains("apt-get install dataset-fashion-mnist"),
        "{err}"
    );
}

#[test]
fn idx_inputs_plain_and_gz_give_the_same_kernel() {
    let dir = tempfile::tempdir().unwrap();
    let mut outs = Vec::new();
    for name in ["t10k-images-idx3-ubyte", "t10k-images-idx3-ubyte.gz"] {
        let out = dir.path().join(format!("{}.npy", name.replace('.', "_")));
        ntk()
            .arg("kernel")
            .arg("--x")
            .arg(sample_dir().join(name))
            .args(NET)
            .arg("--nngp-out")
            .arg(&out)
            .assert()
            .success();
        outs.push(std::fs::read(&out).unwrap());
    }
    assert_eq!(outs[0], outs[1]);
    assert_eq!(
        read_npy_f64(&dir.path().join("t10k-images-idx3-ubyte.npy")).0,
        vec![50, 50]
    );
}

#[test]
fn corrupt_idx_inputs_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(sample_dir().join("t10k-images-idx3-ubyte")).unwrap();
    let gz = std::fs::read(sample_dir().join("t10k-images-idx3-ubyte.gz")).unwrap();
    let mut wrong_magic = good.clone();
    wrong_magic[0] = 7;
    let mut huge = good.clone();
    huge[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "trunc-idx3-ubyte",
            good[..good.len() - 100].to_vec(),
            "truncated",
        ),
        ("magic-idx3-ubyte", wrong_magic, "not an IDX file"),
        ("huge-idx3-ubyte", huge, "more than"),
        (
            "trunc-idx3-ubyte.gz",
            gz[..gz.len() / 2].to_vec(),
            "truncated",
        ),
        ("plain-idx3-ubyte.gz", good.clone(), "gzip"),
    ];
    for (name, bytes, msg) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let out = dir.path().join("out.npy");
        let a = ntk()
            .arg("kernel")
            .arg("--x")
            .arg(&p)
            .args(NET)
            .arg("--ntk-out")
            .arg(&out)
            .assert()
            .code(2);
        let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
        assert!(err.contains(msg) && err.contains(name), "{name}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!out.exists());
    }
}

#[test]
fn f32_output_is_the_f64_output_rounded() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.npy"), dir.path().join("b.npy"));
    for (out, dtype) in [(&a, "f64"), (&b, "f32")] {
        ntk()
            .args([
                "kernel",
                "--dataset",
                "circle:40",
                "--tile",
                "16",
                "--dtype",
                dtype,
            ])
            .args(NET)
            .arg("--nngp-out")
            .arg(out)
            .assert()
            .success();
    }
    let (_, want) = read_npy_f64(&a);
    let bytes = std::fs::read(&b).unwrap();
    let hl = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let header = std::str::from_utf8(&bytes[10..10 + hl]).unwrap();
    assert!(
        header.contains("'<f4'") && header.contains("(40, 40)"),
        "{header}"
    );
    let got: Vec<f32> = bytes[10 + hl..]
        .chunks(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g.to_bits(), (*w as f32).to_bits());
    }
    let sc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("b.npy.json")).unwrap())
            .unwrap();
    assert_eq!(sc["output"]["dtype"], "float32");
}

#[test]
fn non_npy_output_names_are_refused() {
    ntk()
        .args(["kernel", "--dataset", "circle:4"])
        .args(NET)
        .args(["--ntk-out", "/tmp/k.csv"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(".npy"));
}

/// Start a kernel run that takes many seconds, wait until its output is being written, send
/// `sig`, and check the exit status and that the folder is empty.
fn interrupt(sig: i32, want_code: i32) {
    let dir = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("ntk");
    // exact SELU on 6000 points takes minutes on one thread; it is interrupted long before
    let mut child = std::process::Command::new(bin)
        .args([
            "kernel",
            "--dataset",
            "circle:6000",
            "--activation",
            "selu",
            "--depth",
            "3",
            "--w-std",
            "1",
            "--b-std",
            "0.1",
            "--threads",
            "1",
            "--tile",
            "64",
            "--quiet",
        ])
        .arg("--nngp-out")
        .arg(dir.path().join("a.npy"))
        .arg("--ntk-out")
        .arg(dir.path().join("b.npy"))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // wait (generously: a loaded CI machine) until both temporaries hold data
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let temps: Vec<u64> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            .map(|e| e.metadata().unwrap().len())
            .collect();
        if temps.len() == 2 && temps.iter().all(|&l| l > 128) {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("ntk exited before it was signalled: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "no temporary output appeared: {:?}",
            names(dir.path())
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: signalling our own child process.
    assert_eq!(unsafe { libc::kill(child.id() as i32, sig) }, 0);
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("ntk did not exit after the signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(want_code), "{status}");
    assert!(
        names(dir.path()).is_empty(),
        "left behind: {:?}",
        names(dir.path())
    );
}

#[test]
fn sigterm_mid_write_leaves_nothing() {
    interrupt(libc::SIGTERM, 143);
}

#[test]
fn sigint_mid_write_leaves_nothing() {
    interrupt(libc::SIGINT, 130);
}
