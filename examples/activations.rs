//! Gram-matrix time of every activation family against ReLU in the same run:
//! `cargo run --release --example activations -- [n] [d] [depth] [threads] [reps]`
//! (defaults 2000 784 3 0 3). Three inputs: iid Gaussian rows (correlations ~ 0, distinct
//! norms), correlated rows (correlations ~ 0.6, as in image data: the series activations then
//! need many more terms per entry) normalised to a common norm (`|x|^2 = d`: one coefficient
//! set per layer), and the same without normalisation (one coefficient set per point and layer). Prints the median of `reps` runs and
//! the ratio to ReLU's median; NTK and NNGP both computed, NTK parameterization, w_std 1.3,
//! b_std 0.1. Set NTK_ACTS=tanh,gelu,... to choose activations.

use ntk::kernel::{KernelOptions, kernels};
use ntk::rng::Rng;
use ntk::{Activation, Network};
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), ntk::Error> {
    let arg = |i: usize, default: usize| {
        std::env::args()
            .nth(i)
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    let (n, d, depth, threads, reps) = (arg(1, 2000), arg(2, 784), arg(3, 3), arg(4, 0), arg(5, 3));
    let acts: Vec<Activation> = match std::env::var("NTK_ACTS") {
        Ok(s) => s
            .split(';')
            .map(Activation::parse)
            .collect::<Result<_, _>>()?,
        Err(_) => Activation::examples(),
    };
    let mut rng = Rng::new(0);
    let x = faer::Mat::from_fn(n, d, |_, _| rng.normal());
    // correlated rows (a shared direction plus noise: input correlations ~ 0.6, as in image
    // data), normalised to a common norm
    let common: Vec<f64> = (0..d).map(|_| rng.normal()).collect();
    let xc = faer::Mat::from_fn(n, d, |_, j| 0.8 * common[j] + 0.6 * rng.normal());
    let mut xn = xc.clone();
    for i in 0..n {
        let nrm = (0..d).map(|j| xc[(i, j)] * xc[(i, j)]).sum::<f64>().sqrt();
        for j in 0..d {
            xn[(i, j)] *= (d as f64).sqrt() / nrm;
        }
    }
    let opts = KernelOptions {
        threads,
        ..Default::default()
    };
    println!("n = {n}, d = {d}, depth = {depth}, threads = {threads}, median of {reps}");
    for (label, data) in [
        ("iid rows", &x),
        ("correlated rows, shared norms", &xn),
        ("correlated rows", &xc),
    ] {
        let time = |act: Activation| -> Result<f64, ntk::Error> {
            let net = Network::mlp(act, depth, 1.3, 0.1)?;
            let mut ts = vec![];
            for _ in 0..reps {
                let t0 = Instant::now();
                let k = kernels(&net, data.as_ref(), None, &opts)?;
                ts.push(t0.elapsed().as_secs_f64());
                std::hint::black_box(k);
            }
            Ok(median(ts))
        };
        let relu = time(Activation::Relu)?;
        println!("{label}: relu {relu:.3} s");
        for &act in &acts {
            // interleave ReLU to follow the machine's load
            let t = time(act)?;
            let r2 = time(Activation::Relu)?;
            let base = 0.5 * (relu + r2);
            println!(
                "{label}: {:18} {t:8.3} s   ratio to relu {:6.2}",
                act.to_string(),
                t / base
            );
        }
    }
    Ok(())
}
