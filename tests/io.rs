//! Data I/O: .npy and text fixtures written by numpy (tests/data/io/make_fixtures.py), our
//! .npy writer checked byte by byte against the format spec and against a golden file that
//! numpy reads back (checked by the same script), atomic writes, writability checks,
//! sidecars, and the built-in datasets.

use faer::Mat;
use ntk::Error;
use ntk::data::Dataset;
use ntk::io::{self, Format, InputInfo, OutputInfo, Sidecar, npy};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/io")
        .join(name)
}

/// expected.json: name -> (shape, row-major values).
fn expected() -> Vec<(String, Vec<usize>, Vec<f64>)> {
    let text = std::fs::read_to_string(fixture("expected.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut out = Vec::new();
    for (name, e) in v.as_object().unwrap() {
        let shape = e["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_u64().unwrap() as usize)
            .collect();
        let data = e["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().parse::<f64>().unwrap())
            .collect();
        out.push((name.clone(), shape, data));
    }
    out
}

/// Same value, bit for bit (so -0.0 differs from 0.0), NaN equal to NaN.
fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

fn assert_matches(name: &str, m: &Mat<f64>, shape: &[usize], data: &[f64]) {
    let (r, c) = match shape {
        [n] => (*n, 1),
        [n, d] => (*n, *d),
        _ => panic!("{name}: bad expected shape"),
    };
    assert_eq!((m.nrows(), m.ncols()), (r, c), "{name}: shape");
    for i in 0..r {
        for j in 0..c {
            assert!(
                same(m[(i, j)], data[i * c + j]),
                "{name}[{i},{j}]: got {} want {}",
                m[(i, j)],
                data[i * c + j]
            );
        }
    }
}

fn err_msg<T: std::fmt::Debug>(r: ntk::Result<T>) -> (Error, String) {
    let e = r.unwrap_err();
    let s = e.to_string();
    (e, s)
}

// ------------------------------------------------------------------------------------------
// Reading fixtures

#[test]
fn every_fixture_reads_exactly() {
    let all = expected();
    assert!(all.len() >= 30);
    for (name, shape, data) in &all {
        let p = fixture(name);
        let m = match Format::from_path(&p).unwrap() {
            Format::Npy => io::read_npy(&p).unwrap(),
            Format::Text => io::read_csv(&p).unwrap(),
            Format::Idx => io::read_idx(&p).unwrap(),
        };
        assert_matches(name, &m, shape, data);
        // read_matrix agrees wherever the data is valid
        if data.iter().all(|v| v.is_finite()) {
            assert_matches(name, &io::read_matrix(&p).unwrap(), shape, data);
        }
    }
}

#[test]
fn orders_and_headers() {
    let c = npy::read_npy_header(fixture("f8_c.npy")).unwrap();
    let f = npy::read_npy_header(fixture("f8_f.npy")).unwrap();
    assert!(!c.fortran_order && f.fortran_order);
    assert_eq!((c.descr.as_str(), c.shape.clone()), ("<f8", vec![3, 4]));
    assert_eq!(
        io::read_npy(fixture("f8_c.npy")).unwrap(),
        io::read_npy(fixture("f8_f.npy")).unwrap()
    );
    assert_eq!(
        npy::read_npy_header(fixture("i8_be.npy")).unwrap().descr,
        ">i8"
    );
    assert_eq!(
        npy::read_npy_header(fixture("v2.npy")).unwrap().version,
        (2, 0)
    );
    assert_eq!(
        npy::read_npy_header(fixture("v3.npy")).unwrap().version,
        (3, 0)
    );
    assert_eq!(
        npy::read_npy_header(fixture("vec.npy"))
            .unwrap()
            .matrix_shape(),
        Some((5, 1))
    );
}

#[test]
fn parse_npy_from_bytes_matches_file() {
    let bytes = std::fs::read(fixture("i4_be.npy")).unwrap();
    assert_eq!(
        npy::parse_npy(&bytes, "i4_be.npy").unwrap(),
        io::read_npy(fixture("i4_be.npy")).unwrap()
    );
    // every strict prefix fails cleanly
    for n in 0..bytes.len() {
        assert!(
            npy::parse_npy(&bytes[..n], "cut.npy").is_err(),
            "prefix {n}"
        );
    }
}

#[test]
fn npy_errors_name_problem_and_fix() {
    let cases = [
        ("rank3.npy", &["shape (2, 2, 2)", "reshape"][..]),
        ("scalar.npy", &["0-D", "shape ()"]),
        ("bool.npy", &["boolean", "astype(np.float64)"]),
        ("complex.npy", &["complex", "astype"]),
        (
            "truncated.npy",
            &["truncated", "(3, 4)", "96 bytes", "84 bytes"],
        ),
        ("trailing.npy", &["longer than its header"]),
        ("not_npy.npy", &["magic", "numpy.save"]),
    ];
    for (name, needles) in cases {
        let (e, msg) = err_msg(io::read_npy(fixture(name)));
        assert!(matches!(e, Error::Parse { .. }), "{name}: {e:?}");
        assert!(e.is_usage());
        assert!(msg.contains(name), "{name}: {msg}");
        for n in needles {
            assert!(msg.contains(n), "{name}: missing {n:?} in {msg}");
        }
    }
}

#[test]
fn missing_and_unknown_files() {
    let (e, msg) = err_msg(io::read_matrix(fixture("no_such_file.npy")));
    assert!(matches!(e, Error::Io { usage: true, .. }), "{e:?}");
    assert!(
        msg.contains("no_such_file.npy") && msg.contains("check the path"),
        "{msg}"
    );
    let (e, msg) = err_msg(io::read_matrix(fixture("no_such_file.csv")));
    assert!(matches!(e, Error::Io { usage: true, .. }), "{msg}");
    let (e, msg) = err_msg(io::read_matrix(fixture("unknown.dat")));
    assert!(e.is_usage());
    assert!(
        msg.contains(".dat")
            && msg.contains(".npy")
            && msg.contains(".csv")
            && msg.contains(".tsv"),
        "{msg}"
    );
    let (_, msg) = err_msg(io::read_matrix(fixture("")));
    assert!(
        msg.contains("extension") || msg.contains("directory"),
        "{msg}"
    );
}

#[test]
fn empty_and_nonfinite_rejected() {
    let (e, msg) = err_msg(io::read_matrix(fixture("empty.npy")));
    assert!(
        matches!(e, Error::Data(_)) && msg.contains("has no rows"),
        "{msg}"
    );
    let (e, msg) = err_msg(io::read_matrix(fixture("header_only.csv")));
    assert!(
        matches!(e, Error::Data(_)) && msg.contains("has no rows"),
        "{msg}"
    );
    let (e, msg) = err_msg(io::read_matrix(fixture("nonfinite.npy")));
    assert!(matches!(e, Error::Data(_)), "{e:?}");
    assert!(
        msg.contains("2 non-finite values") && msg.contains("inf at row 1, column 0"),
        "{msg}"
    );
    let (_, msg) = err_msg(io::read_matrix(fixture("nonfinite.csv")));
    assert!(
        msg.contains("2 non-finite values") && msg.contains("NaN at row 1, column 1"),
        "{msg}"
    );
    let (_, msg) = err_msg(io::check_nonempty(
        "x_test",
        Mat::<f64>::zeros(3, 0).as_ref(),
    ));
    assert!(msg.contains("x_test has no columns"), "{msg}");
    let mut m = Mat::<f64>::zeros(2, 2);
    m[(1, 0)] = f64::NEG_INFINITY;
    let (_, msg) = err_msg(io::check_finite("y", m.as_ref()));
    assert!(
        msg.contains("y: 1 non-finite value ") && msg.contains("-inf at row 1, column 0"),
        "{msg}"
    );
}

// ------------------------------------------------------------------------------------------
// CSV

#[test]
fn csv_errors_carry_line_numbers() {
    let (e, msg) = err_msg(io::read_csv(fixture("ragged.csv")));
    assert!(matches!(e, Error::Parse { .. }));
    assert!(
        msg.contains("line 3: expected 3 fields (as in line 1), found 2"),
        "{msg}"
    );
    let (_, msg) = err_msg(io::read_csv(fixture("nonnumeric.csv")));
    assert!(
        msg.contains("line 3, column 2") && msg.contains("\"abc\""),
        "{msg}"
    );
    let (_, msg) = err_msg(io::csv::parse_csv("1,2\n3,\n", "x.csv"));
    assert!(
        msg.contains("line 2") && msg.contains("empty field"),
        "{msg}"
    );
}

#[test]
fn csv_parsing_rules() {
    let p = |t: &str| io::csv::parse_csv(t, "t.csv").unwrap();
    // header detection: numeric first row is data
    assert_eq!(p("1,2\n3,4\n").nrows(), 2);
    assert_eq!(p("x,2\n3,4\n").nrows(), 1);
    // BOM, quotes, spaces around fields, comments
    let m = p("\u{feff}\"a\",\"b\"\n# comment\n \"1.5\" , -2e3 \n");
    assert_eq!(
        (m.nrows(), m.ncols(), m[(0, 0)], m[(0, 1)]),
        (1, 2, 1.5, -2000.0)
    );
    // tabs and whitespace
    assert_eq!(p("1\t2\n3\t4\n")[(1, 1)], 4.0);
    assert_eq!(p("1   2\n 3 4\n")[(1, 0)], 3.0);
    // nan/inf parse here (rejected by read_matrix)
    assert!(p("nan,inf,-inf\n")[(0, 0)].is_nan());
    // empty input
    assert_eq!(p("").nrows(), 0);
}

#[test]
fn csv_write_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let m = Mat::from_fn(4, 3, |i, j| {
        ((i * 7 + j * 3) as f64).sin() * 10f64.powi(i as i32 * 100 - 150)
    });
    let path = dir.path().join("m.csv");
    io::write_csv(&path, m.as_ref(), None).unwrap();
    assert_eq!(io::read_csv(&path).unwrap(), m);
    io::write_csv(&path, m.as_ref(), Some(&["a", "b", "c"])).unwrap();
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("a,b,c\n")
    );
    assert_eq!(io::read_matrix(&path).unwrap(), m);
    assert!(io::write_csv(&path, m.as_ref(), Some(&["a", "b"])).is_err());
    assert!(io::write_csv(&path, m.as_ref(), Some(&["a", "1", "c"])).is_err());
    assert!(io::write_csv(&path, m.as_ref(), Some(&["a", "b,c", "d"])).is_err());
}

// ------------------------------------------------------------------------------------------
// .npy writer

fn header_of(bytes: &[u8]) -> (usize, String) {
    assert_eq!(&bytes[..6], b"\x93NUMPY", "magic");
    assert_eq!((bytes[6], bytes[7]), (1, 0), "version 1.0");
    let hlen = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    assert_eq!((10 + hlen) % 64, 0, "data must start 64-byte aligned");
    let header = std::str::from_utf8(&bytes[10..10 + hlen])
        .unwrap()
        .to_string();
    assert!(header.ends_with('\n'));
    assert!(header.is_ascii());
    (10 + hlen, header)
}

#[test]
fn npy_writer_matches_spec() {
    let dir = tempfile::tempdir().unwrap();
    for (r, c) in [(3, 2), (1, 1), (0, 4), (5, 0), (17, 9), (1000, 3)] {
        let m = Mat::from_fn(r, c, |i, j| {
            (i as f64 - 2.5) * 1.1f64.powi(j as i32) + 1e-300 * j as f64
        });
        let path = dir.path().join(format!("m{r}x{c}.npy"));
        io::write_npy(&path, m.as_ref()).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let (start, header) = header_of(&bytes);
        assert!(header.contains("'descr': '<f8'"), "{header}");
        assert!(header.contains("'fortran_order': True"), "{header}");
        assert!(header.contains(&format!("'shape': ({r}, {c})")), "{header}");
        // data: column-major little-endian f64
        let mut want = Vec::new();
        for j in 0..c {
            for i in 0..r {
                want.extend_from_slice(&m[(i, j)].to_le_bytes());
            }
        }
        assert_eq!(&bytes[start..], &want[..], "{r}x{c} data");
        assert_eq!(io::read_npy(&path).unwrap(), m);
    }
}

#[test]
fn npy_writer_handles_views() {
    let dir = tempfile::tempdir().unwrap();
    let m = Mat::from_fn(6, 5, |i, j| (10 * i + j) as f64);
    let path = dir.path().join("v.npy");
    // transposed view: columns are strided
    io::write_npy(&path, m.transpose()).unwrap();
    assert_eq!(io::read_npy(&path).unwrap(), m.transpose().to_owned());
    // submatrix view
    io::write_npy(&path, m.as_ref().submatrix(1, 2, 4, 2)).unwrap();
    assert_eq!(
        io::read_npy(&path).unwrap(),
        m.as_ref().submatrix(1, 2, 4, 2).to_owned()
    );
}

#[test]
fn npy_vec_writer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("y.npy");
    let v = [1.0, -0.0, f64::MIN_POSITIVE, 3.5];
    io::write_npy_vec(&path, &v).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let (start, header) = header_of(&bytes);
    assert!(
        header.contains("'shape': (4,)") && header.contains("'descr': '<f8'"),
        "{header}"
    );
    assert_eq!(bytes.len() - start, 32);
    let y = io::read_npy(&path).unwrap();
    assert_eq!((y.nrows(), y.ncols()), (4, 1));
    for (i, &want) in v.iter().enumerate() {
        assert!(same(y[(i, 0)], want));
    }
}

/// The matrix of tests/data/io/ntk_written.npy (also hard-coded in make_fixtures.py).
fn golden_matrix() -> Mat<f64> {
    let rows = [[1.0, -2.5, 0.1], [1e300, -0.0, f64::from_bits(1)]];
    Mat::from_fn(2, 3, |i, j| rows[i][j])
}

/// Our writer's output is byte-identical to the committed golden file, which numpy loads back
/// exactly (checked by make_fixtures.py). Regenerate with `NTK_BLESS=1 cargo test --test io`.
#[test]
fn npy_writer_golden_file() {
    let golden = fixture("ntk_written.npy");
    if std::env::var_os("NTK_BLESS").is_some() {
        io::write_npy(&golden, golden_matrix().as_ref()).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.npy");
    io::write_npy(&path, golden_matrix().as_ref()).unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        std::fs::read(&golden).unwrap()
    );
}

// ------------------------------------------------------------------------------------------
// Atomic writes and writability

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn atomic_write_failure_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.npy");
    let r = io::write_atomic(&path, |w| {
        w.write_all(&[0u8; 100_000])?;
        Err(std::io::Error::other("simulated failure"))
    });
    let (e, msg) = err_msg(r);
    assert!(matches!(e, Error::Io { usage: false, .. }));
    assert!(
        msg.contains("simulated failure") && msg.contains("out.npy"),
        "{msg}"
    );
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
    // an existing file survives a failed rewrite
    io::write_atomic(&path, |w| w.write_all(b"old")).unwrap();
    assert!(io::write_atomic(&path, |_| Err(std::io::Error::other("no"))).is_err());
    assert_eq!(std::fs::read(&path).unwrap(), b"old");
    assert_eq!(entries(dir.path()), vec!["out.npy".to_string()]);
    // success replaces it and leaves no temp file
    io::write_atomic(&path, |w| w.write_all(b"new")).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"new");
    assert_eq!(entries(dir.path()), vec!["out.npy".to_string()]);
}

#[test]
fn check_writable_cases() {
    let dir = tempfile::tempdir().unwrap();
    io::check_writable(&dir.path().join("k.npy")).unwrap();
    assert!(entries(dir.path()).is_empty(), "probe file left behind");

    let missing = dir.path().join("nonexistent").join("k.npy");
    let (e, msg) = err_msg(io::check_writable(&missing));
    assert!(matches!(e, Error::Io { usage: true, .. }), "{e:?}");
    assert!(
        msg.contains("cannot write output") && msg.contains("does not exist"),
        "{msg}"
    );
    assert!(
        msg.contains(&dir.path().join("nonexistent").display().to_string()),
        "{msg}"
    );
    // write_atomic reports the same
    assert!(
        io::write_npy(&missing, Mat::<f64>::zeros(1, 1).as_ref())
            .unwrap_err()
            .is_usage()
    );

    let (e, msg) = err_msg(io::check_writable(dir.path()));
    assert!(e.is_usage() && msg.contains("is a directory"), "{msg}");

    // a parent that is a file
    std::fs::write(dir.path().join("file"), b"").unwrap();
    let (e, msg) = err_msg(io::check_writable(&dir.path().join("file").join("k.npy")));
    assert!(e.is_usage() && msg.contains("not a directory"), "{msg}");
}

#[cfg(unix)]
#[test]
fn check_writable_read_only_dir() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    // root (and some CI sandboxes) can write anywhere: detect by trying
    let probe = ro.join("probe");
    if std::fs::write(&probe, b"").is_ok() {
        let _ = std::fs::remove_file(&probe);
        eprintln!("skipping: running with permission to write into read-only directories");
    } else {
        let (e, msg) = err_msg(io::check_writable(&ro.join("k.npy")));
        assert!(matches!(e, Error::Io { usage: true, .. }), "{e:?}");
        assert!(msg.contains("cannot create files in directory"), "{msg}");
        assert!(entries(&ro).is_empty());
    }
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
}

// ------------------------------------------------------------------------------------------
// Sidecars

#[test]
fn sidecar_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("k.npy");
    let net = ntk::Network::mlp(ntk::Activation::Relu, 3, 1.5, 0.1).unwrap();
    let x = Mat::<f64>::zeros(10, 4);
    let sc = Sidecar::new("kernel", OutputInfo::for_path("ntk", &out, 10, 10))
        .with_network(&net)
        .unwrap()
        .with_options(&serde_json::json!({"ntk": true, "tile": 256}))
        .unwrap()
        .with_input(InputInfo::new("x", "x.npy", x.as_ref()))
        .with_timing(0.5);
    io::write_sidecar(&out, &sc).unwrap();
    assert_eq!(entries(dir.path()), vec!["k.npy.json".to_string()]);
    let text = std::fs::read_to_string(dir.path().join("k.npy.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["tool"], "ntk");
    assert_eq!(v["version"], ntk::VERSION);
    assert_eq!(v["command"], "kernel");
    assert_eq!(v["network"]["depth"], 3);
    assert_eq!(v["options"]["tile"], 256);
    assert_eq!(v["inputs"][0]["rows"], 10);
    assert_eq!(
        v["output"],
        serde_json::json!({"kind": "ntk", "shape": [10, 10], "dtype": "float64", "order": "fortran"})
    );
    assert_eq!(v["timing_s"], 0.5);
    assert!(v["created_unix"].as_u64().unwrap() > 1_600_000_000);
    assert_eq!(io::sidecar::read_sidecar(&out).unwrap(), sc);
    // the network recorded in the sidecar reads back as the same network
    let back: ntk::Network = serde_json::from_value(v["network"].clone()).unwrap();
    assert_eq!(back, net);
    assert_eq!(
        OutputInfo::for_path("ntk", Path::new("k.csv"), 1, 1).order,
        "row"
    );
}

// ------------------------------------------------------------------------------------------
// Built-in datasets

#[test]
fn digits_dataset() {
    let d = Dataset::parse("digits").unwrap().load().unwrap();
    assert_eq!((d.x.nrows(), d.x.ncols()), (1797, 64));
    let labels = d.labels.as_ref().unwrap();
    assert_eq!(labels.len(), 1797);
    assert_eq!(&labels[..10], &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]); // as in sklearn's load_digits
    for k in 0..10u8 {
        assert!(labels.contains(&k));
    }
    assert!(labels.iter().all(|&l| l <= 9));
    let raw =
        io::read_npy(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/digits_x.npy")).unwrap();
    for i in 0..1797 {
        for j in 0..64 {
            let v = d.x[(i, j)];
            assert!((0.0..=1.0).contains(&v));
            assert_eq!(v * 16.0, raw[(i, j)]);
        }
    }
    // first image, first row of pixels: 0 0 5 13 9 1 0 0
    let first: Vec<f64> = (0..8).map(|j| raw[(0, j)]).collect();
    assert_eq!(first, vec![0.0, 0.0, 5.0, 13.0, 9.0, 1.0, 0.0, 0.0]);
    assert_eq!(d.x[(0, 3)], 13.0 / 16.0);
    assert!(
        (0..1797).any(|i| (0..64).any(|j| d.x[(i, j)] == 1.0)),
        "max pixel 16 scales to 1"
    );
    let y = io::read_npy(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/digits_y.npy")).unwrap();
    assert!((0..1797).all(|i| y[(i, 0)] == labels[i] as f64));
    assert!(d.description.contains("divided by 16"));
}

#[test]
fn circle_dataset() {
    let d = Dataset::parse("circle:8").unwrap().load().unwrap();
    assert_eq!((d.x.nrows(), d.x.ncols()), (8, 2));
    assert!(d.labels.is_none());
    for k in 0..8 {
        let g = 2.0 * std::f64::consts::PI * k as f64 / 8.0;
        assert_eq!(d.x[(k, 0)], g.cos());
        assert_eq!(d.x[(k, 1)], g.sin());
        assert!((d.x[(k, 0)].hypot(d.x[(k, 1)]) - 1.0).abs() < 1e-15);
    }
    assert_eq!(
        Dataset::parse("circle:1").unwrap().load().unwrap().x[(0, 0)],
        1.0
    );
    assert_eq!(Dataset::parse("CIRCLE:3").unwrap(), Dataset::Circle(3));
    assert_eq!(
        "circle:5".parse::<Dataset>().unwrap().to_string(),
        "circle:5"
    );
    for bad in [
        "circle:0",
        "circle:x",
        "circle:-1",
        "circle:",
        "circle",
        "foo",
        "",
        "circle:99999999999",
    ] {
        let (e, msg) = err_msg(Dataset::parse(bad));
        assert!(e.is_usage(), "{bad}");
        assert!(msg.contains("circle:N"), "{bad}: {msg}");
    }
    assert!(err_msg(Dataset::parse("foo")).1.contains("digits"));
    assert!(ntk::data::names().contains("digits"));
}
