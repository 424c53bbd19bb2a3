//! IDX files, class labels and the Fashion-MNIST loader, on the committed sample
//! (tests/data/io/fashion: the first 100 training and 50 test images of Fashion-MNIST).

use ntk::data::{Dataset, FashionMnist};
use ntk::io::{self, Format, idx, labels};
use std::path::{Path, PathBuf};

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/io/fashion")
        .join(name)
}

#[test]
fn gz_and_plain_read_the_same_through_read_matrix() {
    for base in ["train-images-idx3-ubyte", "t10k-labels-idx1-ubyte"] {
        assert_eq!(Format::from_path(&sample(base)).unwrap(), Format::Idx);
        let plain = io::read_matrix(sample(base)).unwrap();
        let gz = io::read_matrix(sample(&format!("{base}.gz"))).unwrap();
        assert_eq!(plain, gz, "{base}");
    }
    let x = io::read_matrix(sample("train-images-idx3-ubyte")).unwrap();
    assert_eq!((x.nrows(), x.ncols()), (100, 784));
    // raw bytes 16.. are the pixels, row-major: check a few against the file directly
    let raw = std::fs::read(sample("train-images-idx3-ubyte")).unwrap();
    for (i, j) in [(0, 0), (0, 400), (3, 783), (99, 392)] {
        assert_eq!(x[(i, j)], f64::from(raw[16 + i * 784 + j]));
    }
    let h = idx::read_idx_header(sample("train-images-idx3-ubyte.gz")).unwrap();
    assert_eq!(
        (h.dtype, h.dims.clone()),
        (idx::IdxType::U8, vec![100, 28, 28])
    );
    let y = io::read_matrix(sample("t10k-labels-idx1-ubyte")).unwrap();
    assert_eq!((y.nrows(), y.ncols()), (50, 1));
}

#[test]
fn sample_labels_one_hot_and_accuracy() {
    let y = io::read_matrix(sample("train-labels-idx1-ubyte.gz")).unwrap();
    let l = labels::labels_from_matrix("labels", y.as_ref()).unwrap();
    let oh = labels::one_hot(&l, None).unwrap();
    assert_eq!((oh.nrows(), oh.ncols()), (100, 10)); // the sample has every class
    assert_eq!(labels::accuracy(oh.as_ref(), &l).unwrap(), 1.0);
    let mut wrong = l.clone();
    wrong[0] = (wrong[0] + 1) % 10;
    assert_eq!(labels::accuracy(oh.as_ref(), &wrong).unwrap(), 0.99);
}

#[test]
fn dataset_from_a_directory_of_gz_files_only() {
    let dir = tempfile::tempdir().unwrap();
    for base in ntk::data::fashion::FILES {
        std::fs::copy(
            sample(&format!("{base}.gz")),
            dir.path().join(format!("{base}.gz")),
        )
        .unwrap();
    }
    let gz = FashionMnist::load(Some(dir.path()), None, None).unwrap();
    let plain = FashionMnist::load(Some(&sample("")), None, None).unwrap();
    assert_eq!(gz.x_train, plain.x_train);
    assert_eq!(gz.labels_test, plain.labels_test);
    let d = Dataset::parse("fashion-mnist:12:4")
        .unwrap()
        .load_from(Some(dir.path()))
        .unwrap();
    assert_eq!((d.x.nrows(), d.x_test.as_ref().unwrap().nrows()), (12, 4));
    assert_eq!(d.labels.unwrap()[..3], [9, 0, 0]);
    // one file missing: the error names it and both ways to get the data
    std::fs::remove_file(dir.path().join("t10k-labels-idx1-ubyte.gz")).unwrap();
    let e = FashionMnist::load(Some(dir.path()), None, None).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("missing t10k-labels-idx1-ubyte"), "{msg}");
    assert!(
        msg.contains("--data-dir") && msg.contains("dataset-fashion-mnist"),
        "{msg}"
    );
    assert!(e.is_usage());
}

#[test]
fn mismatched_or_wrong_shaped_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for base in ntk::data::fashion::FILES {
        std::fs::copy(sample(base), dir.path().join(base)).unwrap();
    }
    // test labels: 100 of them (the training labels) for 50 test images
    std::fs::copy(
        sample("train-labels-idx1-ubyte"),
        dir.path().join("t10k-labels-idx1-ubyte"),
    )
    .unwrap();
    let e = FashionMnist::load(Some(dir.path()), None, None).unwrap_err();
    assert!(e.to_string().contains("expected 50 labels"), "{e}");
}

#[test]
fn dataset_names() {
    assert_eq!(
        Dataset::parse("Fashion_MNIST:100").unwrap(),
        Dataset::FashionMnist {
            train: Some(100),
            test: None
        }
    );
    for bad in [
        "fashion-mnist:0",
        "fashion-mnist:60001",
        "fashion-mnist:5:10001",
        "fashion-mnist:x",
        "fashion-mnistx",
    ] {
        let e = Dataset::parse(bad).unwrap_err();
        assert!(e.to_string().contains("fashion-mnist:N"), "{bad}: {e}");
    }
    for name in ["fashion-mnist", "fashion-mnist:5", "fashion-mnist:5:7"] {
        assert_eq!(Dataset::parse(name).unwrap().name(), name);
    }
}

#[test]
fn remove_temporaries_clears_every_staged_file() {
    // the only test in this binary that stages files, so nothing else is disturbed
    let dir = tempfile::tempdir().unwrap();
    let mut t = io::Transaction::new();
    t.stage(&dir.path().join("x.npy")).unwrap();
    t.stage(&dir.path().join("y.npy")).unwrap();
    assert_eq!(io::atomic::remove_temporaries(), 2);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    assert!(t.commit().is_err());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
