//! ns per dual call of each activation family (single thread), at typical covariances:
//! `cargo run --release --example dual_cost`. A rough companion to `examples/activations.rs`.

use ntk::Activation;
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let n = 200_000;
    let inputs: Vec<(f64, f64, f64, f64)> = (0..n)
        .map(|i| {
            let q1 = 0.8 + 0.4 * (i as f64 / n as f64);
            let q2 = 1.0 + 0.1 * (i % 7) as f64;
            let rho = -0.9 + 1.8 * ((i * 7919) % n) as f64 / n as f64;
            let r = (q1 * q2).sqrt();
            (q1, q2, rho * r, r * (1.0 - rho * rho).sqrt())
        })
        .collect();
    for act in Activation::examples() {
        let t0 = Instant::now();
        let mut acc = 0.0;
        for &(q1, q2, c, s) in &inputs {
            let d = act.dual(black_box(q1), q2, c, s);
            acc += d.t + d.tdot + d.s;
        }
        black_box(acc);
        println!(
            "{:18} {:8.1} ns per call",
            act.to_string(),
            t0.elapsed().as_nanos() as f64 / n as f64
        );
    }
}
