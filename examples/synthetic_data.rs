//! Writes a seeded synthetic classification data set as .npy files, for runs at sizes beyond
//! the real data sets (Fashion-MNIST has 70,000 images in all): inputs uniform in `[0, 1]^d`
//! (the range of pixels / 255), class labels uniform in `0..classes`.
//!
//! `cargo run --release --example synthetic_data -- DIR N N_TEST [D] [CLASSES] [SEED]`
//! (defaults d = 784, 10 classes, seed 1) writes `DIR/x_train.npy` (N x D),
//! `DIR/y_train.npy` (N labels), `DIR/x_test.npy`, `DIR/y_test.npy`, for
//! `ntk predict --x-train DIR/x_train.npy --y-train DIR/y_train.npy --labels ...`.

use faer::Mat;
use ntk::rng::Rng;

fn arg(i: usize, default: u64) -> u64 {
    std::env::args()
        .nth(i)
        .map_or(default, |s| s.parse().expect("a whole number"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).expect("DIR N N_TEST"));
    let (n, nt) = (arg(2, 1000) as usize, arg(3, 100) as usize);
    let (d, classes, seed) = (arg(4, 784) as usize, arg(5, 10), arg(6, 1));
    std::fs::create_dir_all(&dir)?;
    let mut rng = Rng::new(seed);
    for (name, rows) in [("train", n), ("test", nt)] {
        let x = Mat::from_fn(rows, d, |_, _| rng.uniform());
        let y = Mat::from_fn(rows, 1, |_, _| (rng.next_u64() % classes) as f64);
        ntk::io::write_matrix(dir.join(format!("x_{name}.npy")), x.as_ref())?;
        ntk::io::write_matrix(dir.join(format!("y_{name}.npy")), y.as_ref())?;
    }
    println!(
        "wrote {n} train and {nt} test points (d = {d}) to {}",
        dir.display()
    );
    Ok(())
}
