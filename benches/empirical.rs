//! Empirical NTK throughput (structured derivatives, no Jacobian): a 784-512-512-1 ReLU
//! network (NTK parameterization) on n = 1000 MNIST-sized inputs, X = X (one triangle of each
//! Gram matrix). Reference point: neural-tangents' `empirical_ntk_fn` (STRUCTURED_DERIVATIVES)
//! takes 0.24 s for this on a 2-core machine; the target is <= 0.12 s. Also width 4096 (memory
//! O(n^2 + n * width)) and the forward pass alone.
//!
//! Cost: forward n (784 * 512 + 512 * 512), backward n 512^2, and the Grams n^2 (784 + 4 * 512) / 2.
//! `NTK_BENCH_THREADS` sets the thread count (default: all cores); `NTK_BENCH_WIDE=0` skips
//! width 4096.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use faer::Mat;
use ntk::empirical::{self, Mlp, Widths};
use ntk::rng::Rng;
use ntk::{Activation, Network};
use std::time::Duration;

fn data(n: usize, d: usize) -> Mat<f64> {
    let mut r = Rng::new(2024);
    Mat::from_fn(n, d, |_, _| r.normal())
}

fn threads() -> usize {
    std::env::var("NTK_BENCH_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn bench(c: &mut Criterion) {
    let t = threads();
    let net = Network::mlp(Activation::Relu, 2, 2f64.sqrt(), 0.1).unwrap();
    let x = data(1000, 784);
    let mut g = c.benchmark_group("empirical_ntk_784_relu_n1000");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    let mut widths = vec![512];
    if std::env::var("NTK_BENCH_WIDE").map_or(true, |v| v != "0") {
        widths.push(4096);
    }
    for w in widths {
        let mlp = Mlp::init(&net, 784, &Widths::Uniform(w), 0).unwrap();
        g.bench_with_input(BenchmarkId::new("ntk+nngp", w), &w, |b, _| {
            b.iter(|| empirical::ntk(&mlp, x.as_ref(), None, t).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("forward", w), &w, |b, _| {
            b.iter(|| mlp.forward_threads(x.as_ref(), t).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
