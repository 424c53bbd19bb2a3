//! Analytic ReLU NNGP/NTK of random data, with timing: `cargo run --release --example
//! relu_kernel -- [n] [d] [depth] [threads] [tile]` (defaults 1000 784 3 0 256).

use ntk::kernel::{KernelOptions, KernelPlan};
use ntk::rng::Rng;
use ntk::{Activation, Network};
use std::time::Instant;

fn main() -> Result<(), ntk::Error> {
    let arg = |i: usize, default: usize| {
        std::env::args()
            .nth(i)
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    let (n, d, depth, threads, tile) =
        (arg(1, 1000), arg(2, 784), arg(3, 3), arg(4, 0), arg(5, 256));
    let act = std::env::var("NTK_ACT")
        .ok()
        .and_then(|s| Activation::parse(&s).ok())
        .unwrap_or(Activation::Relu);
    let mut rng = Rng::new(0);
    let x = faer::Mat::from_fn(n, d, |_, _| rng.normal());
    let net = Network::mlp(act, depth, 2f64.sqrt(), 0.1)?;
    let opts = KernelOptions {
        threads,
        tile,
        ..Default::default()
    };
    let t0 = Instant::now();
    let plan = KernelPlan::new(&net, x.as_ref(), None)?;
    let k = plan.compute(&opts, None)?;
    let secs = t0.elapsed().as_secs_f64();
    let entries = (n * (n + 1) / 2) as f64;
    println!(
        "{} depth {depth}: n = {n}, d = {d}, threads = {threads}: {secs:.3} s ({:.1} ns per entry-layer); K[0,1] = {:.6}",
        act.name(),
        secs * 1e9 / (entries * depth.max(1) as f64),
        k.ntk.as_ref().map_or(0.0, |t| t[(0, 1)])
    );
    Ok(())
}
