//! Streamed products with stored kernels: `Y = K X` over a packed triangle (f64 and f32
//! entries) and the dense path, for k right-hand sides. Reported as bytes of stored entries
//! read per second (criterion `Throughput::Bytes`): the product is memory-bound for small k
//! and compute-bound (about 4 flops per entry per right-hand side) for large k.
//! `NTK_BENCH_SIZES=8000,20000` sets n; `NTK_BENCH_K=1,10,20` the block widths;
//! `NTK_BENCH_THREADS` the thread count (default 2).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use faer::{Mat, Par};
use ntk::kernel_matrix::{Dense, KernelMatrix, Packed};
use ntk::rng::Rng;
use std::time::Duration;

fn list(var: &str, default: &[usize]) -> Vec<usize> {
    std::env::var(var)
        .ok()
        .map(|s| s.split(',').filter_map(|v| v.trim().parse().ok()).collect())
        .unwrap_or_else(|| default.to_vec())
}

fn entry(i: usize, j: usize) -> f64 {
    1.0 / (1.0 + (i as f64 - j as f64).abs())
}

fn bench(c: &mut Criterion) {
    let threads = list("NTK_BENCH_THREADS", &[2])[0].max(1);
    let par = if threads == 1 {
        Par::Seq
    } else {
        Par::rayon(threads)
    };
    let mut g = c.benchmark_group("kernel_matrix_apply");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for n in list("NTK_BENCH_SIZES", &[4000, 16000]) {
        let p64 = Packed::<f64>::from_fn(n, 256, entry).unwrap();
        let p32 = Packed::<f32>::from_fn(n, 256, entry).unwrap();
        let dense = (n <= 8000).then(|| Dense::new(Mat::from_fn(n, n, entry)).unwrap());
        for k in list("NTK_BENCH_K", &[1, 4, 10, 20]) {
            let mut r = Rng::new(1);
            let x = Mat::from_fn(n, k, |_, _| r.normal());
            let mut y = Mat::zeros(n, k);
            let ops: [(&str, &dyn KernelMatrix); 2] = [("packed_f64", &p64), ("packed_f32", &p32)];
            for (name, m) in ops {
                g.throughput(Throughput::Bytes(m.bytes() as u64));
                g.bench_with_input(BenchmarkId::new(format!("{name}_k{k}"), n), &n, |b, _| {
                    b.iter(|| m.apply(x.as_ref(), y.as_mut(), par))
                });
            }
            if let Some(d) = &dense {
                // bytes of the triangle it reads
                g.throughput(Throughput::Bytes(p64.bytes() as u64));
                g.bench_with_input(BenchmarkId::new(format!("dense_k{k}"), n), &n, |b, _| {
                    b.iter(|| d.apply(x.as_ref(), y.as_mut(), par))
                });
            }
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
