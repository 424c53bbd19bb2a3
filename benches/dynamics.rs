//! Dynamics solver cost on the analytic ReLU NTK of n random points (d = 64, depth 3):
//!
//! - `evd`: the bare eigendecomposition (faer `self_adjoint_evd`), the floor;
//! - `setup`: `GradientFlow::new` (symmetry check + EVD + Cholesky when positive definite);
//! - `solve_100_times`: `GradientFlow::new` + train and test outputs (n/4 test points) at
//!   100 times including 0 and infinity: the target is <= 1.2x `evd`;
//! - `predict_100_times`: the per-request cost once the flow exists;
//! - `lambda_max`: Lanczos for the largest eigenvalue (no full EVD), target well under 1 s.
//!
//! `NTK_BENCH_SIZES=2000` limits the sizes (default 2000,4000); `NTK_BENCH_THREADS` sets
//! threads (default 0 = all cores).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use faer::Mat;
use ntk::dynamics::{FlowOptions, GradientFlow, Point, TestData, lanczos};
use ntk::kernel::{self, KernelOptions};
use ntk::rng::Rng;
use ntk::{Activation, Network};
use std::time::Duration;

fn sizes() -> Vec<usize> {
    std::env::var("NTK_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|v| v.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![2000, 4000])
}

fn threads() -> usize {
    std::env::var("NTK_BENCH_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

struct Problem {
    k: Mat<f64>,
    kt: Mat<f64>,
    y: Mat<f64>,
}

fn problem(n: usize) -> Problem {
    let mut r = Rng::new(7);
    let m = n / 4;
    let x = Mat::from_fn(n, 64, |_, _| r.normal());
    let xt = Mat::from_fn(m, 64, |_, _| r.normal());
    let y = Mat::from_fn(n, 1, |i, _| (x[(i, 0)] + 0.5 * x[(i, 1)]).sin());
    let net = Network::mlp(Activation::Relu, 3, 2f64.sqrt(), 0.1).unwrap();
    let o = KernelOptions {
        threads: threads(),
        ..Default::default()
    };
    let k = kernel::kernels(&net, x.as_ref(), None, &o)
        .unwrap()
        .ntk
        .unwrap();
    let kt = kernel::kernels(&net, xt.as_ref(), Some(x.as_ref()), &o)
        .unwrap()
        .ntk
        .unwrap();
    Problem { k, kt, y }
}

fn times() -> Vec<Point> {
    let mut t = vec![Point::Time(0.0)];
    t.extend((0..98).map(|i| Point::Time(10f64.powf(-2.0 + 8.0 * i as f64 / 97.0))));
    t.push(Point::Time(f64::INFINITY));
    t
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("dynamics_relu_ntk");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    let opts = FlowOptions {
        learning_rate: 1.0,
        threads: threads(),
        ..Default::default()
    };
    let par = opts.par();
    let pts = times();
    for n in sizes() {
        let p = problem(n);
        g.bench_with_input(BenchmarkId::new("evd", n), &n, |b, _| {
            b.iter(|| {
                use faer::dyn_stack::{MemBuffer, MemStack};
                use faer::linalg::evd;
                let mut s = faer::diag::Diag::<f64>::zeros(n);
                let mut u = Mat::<f64>::zeros(n, n);
                let req = evd::self_adjoint_evd_scratch::<f64>(
                    n,
                    evd::ComputeEigenvectors::Yes,
                    par,
                    Default::default(),
                );
                let mut buf = MemBuffer::new(req);
                evd::self_adjoint_evd(
                    p.k.as_ref(),
                    s.as_mut(),
                    Some(u.as_mut()),
                    par,
                    MemStack::new(&mut buf),
                    Default::default(),
                )
                .unwrap();
                (s, u)
            })
        });
        g.bench_with_input(BenchmarkId::new("setup", n), &n, |b, _| {
            b.iter(|| GradientFlow::new(p.k.as_ref(), p.y.as_ref(), &opts).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("solve_100_times", n), &n, |b, _| {
            b.iter(|| {
                let f = GradientFlow::new(p.k.as_ref(), p.y.as_ref(), &opts).unwrap();
                f.predict(None, Some(TestData::new(p.kt.as_ref())), &pts)
                    .unwrap()
            })
        });
        let flow = GradientFlow::new(p.k.as_ref(), p.y.as_ref(), &opts).unwrap();
        g.bench_with_input(BenchmarkId::new("predict_100_times", n), &n, |b, _| {
            b.iter(|| {
                flow.predict(None, Some(TestData::new(p.kt.as_ref())), &pts)
                    .unwrap()
            })
        });
        g.bench_with_input(BenchmarkId::new("lambda_max", n), &n, |b, _| {
            b.iter(|| lanczos::largest_eigenvalue(p.k.as_ref(), lanczos::LANCZOS_TOL, par).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
