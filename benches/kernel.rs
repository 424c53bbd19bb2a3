//! Analytic kernel throughput: NNGP + NTK of a depth-3 network on n points of dimension
//! d = 784 (MNIST-sized), X = X (symmetric, one triangle computed and mirrored).
//! Expected cost: GEMM n^2 d (one triangle) + elementwise n^2 L / 2 dual evaluations.
//! `NTK_BENCH_SIZES=1000,2000` limits the sizes; `NTK_BENCH_THREADS` sets the thread count.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use faer::Mat;
use ntk::kernel::{KernelOptions, KernelPlan};
use ntk::rng::Rng;
use ntk::{Activation, Network};
use std::time::Duration;

fn data(n: usize, d: usize) -> Mat<f64> {
    let mut r = Rng::new(2024);
    Mat::from_fn(n, d, |_, _| r.normal())
}

fn sizes() -> Vec<usize> {
    std::env::var("NTK_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|v| v.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1000, 2000, 4000, 8000])
}

fn threads() -> usize {
    std::env::var("NTK_BENCH_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("kernel_d784_L3");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    let opts = KernelOptions {
        threads: threads(),
        ..Default::default()
    };
    for n in sizes() {
        let x = data(n, 784);
        // the whole kernel of `net` on x, plan included
        let mut time = |name: String, net: Network| {
            g.bench_with_input(BenchmarkId::new(name, n), &n, |b, _| {
                b.iter(|| {
                    KernelPlan::new(&net, x.as_ref(), None)
                        .unwrap()
                        .compute(&opts, None)
                        .unwrap()
                })
            });
        };
        let relu = Network::mlp(Activation::Relu, 3, 2f64.sqrt(), 0.1).unwrap();
        time("relu".into(), relu);
        if n == sizes()[0] {
            // one of each family beside ReLU (issue 12's table: examples/activations.rs)
            for act in [
                Activation::LeakyRelu { alpha: 0.1 },
                Activation::Gelu,
                Activation::Elu { alpha: 1.0 },
                Activation::Tanh,
                Activation::Softplus,
                Activation::Silu,
                Activation::Sigmoid,
            ] {
                time(act.to_string(), Network::mlp(act, 3, 1.3, 0.1).unwrap());
            }
        }
        if n == 2000 {
            for act in [Activation::Erf, Activation::Selu] {
                time(act.name().into(), Network::mlp(act, 3, 1.0, 0.1).unwrap());
            }
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
