//! The machine's limits next to the project's kernels: GEMM throughput (faer, f64), symmetric
//! eigendecomposition time (faer), and elementwise throughput of the functions the recursions
//! use, and (with `kernel_n` > 0) the analytic ReLU kernel's Gram part and whole computation
//! against faer's large-GEMM rate measured in the same process.
//! `cargo run --release --example limits -- [threads] [eig_n] [kernel_n]` (defaults: 2, 2000,
//! 0; `eig_n` 0 skips the eigendecomposition). Prints a markdown table (benches/nt/run.sh puts
//! it next to the neural-tangents numbers).

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par, Side};
use ntk::activation::{erf, relu, selu};
use ntk::kernel::{KernelOptions, KernelPlan};
use ntk::rng::Rng;
use ntk::special::fastmath::atan2_nonneg;
use ntk::{Activation, Network};
use std::hint::black_box;
use std::time::Instant;

fn best<F: FnMut()>(reps: usize, mut f: F) -> f64 {
    let mut t = f64::INFINITY;
    for _ in 0..reps {
        let s = Instant::now();
        f();
        t = t.min(s.elapsed().as_secs_f64());
    }
    t
}

fn main() {
    let arg = |i: usize, d: usize| {
        std::env::args()
            .nth(i)
            .and_then(|s| s.parse().ok())
            .unwrap_or(d)
    };
    let (threads, eig_n, kernel_n) = (arg(1, 2), arg(2, 2000), arg(3, 0));
    let mut rng = Rng::new(1);
    println!("| quantity | value |");
    println!("|---|---|");
    if kernel_n > 0 {
        kernel_limits(kernel_n, threads, &mut rng);
        return;
    }
    for (m, k) in [(2000usize, 2000usize), (4000, 784)] {
        let a = Mat::from_fn(m, k, |_, _| rng.normal());
        let b = Mat::from_fn(k, m, |_, _| rng.normal());
        let mut c = Mat::<f64>::zeros(m, m);
        for (par, label) in [
            (Par::Seq, "1 thread".to_string()),
            (Par::rayon(threads), format!("{threads} threads")),
        ] {
            let t = best(3, || {
                matmul(c.as_mut(), Accum::Replace, a.as_ref(), b.as_ref(), 1.0, par)
            });
            println!(
                "| faer GEMM {m}x{k} @ {k}x{m}, f64, {label} | {:.1} GFLOP/s ({t:.3} s) |",
                2.0 * (m * m * k) as f64 / t / 1e9
            );
        }
    }
    if eig_n > 0 {
        eig_limits(eig_n, threads, &mut rng);
    }
    elementwise();
}

/// CPU seconds this process has used (all threads; /proc/self/stat, 10 ms ticks), 0 where
/// unknown. On a shared machine CPU time is what other jobs disturb least.
fn cpu_seconds() -> f64 {
    let Ok(text) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // fields after the ")" that closes the command name: utime and stime are the 12th and 13th
    let rest = text.rsplit(')').next().unwrap_or("");
    let f: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse().ok())
        .collect();
    f.iter().sum::<f64>() / 100.0
}

/// (best wall s, best CPU s) over `reps` calls.
fn best_wall_cpu<F: FnMut()>(reps: usize, mut f: F) -> (f64, f64) {
    let (mut w, mut c) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..reps {
        let (s, c0) = (Instant::now(), cpu_seconds());
        f();
        w = w.min(s.elapsed().as_secs_f64());
        c = c.min(cpu_seconds() - c0);
    }
    (w, c)
}

/// faer's full GEMM `X X^T` (n x 784) on `threads` threads, then the ReLU depth-3 kernel's
/// Gram part (one triangle, tiled) and the whole NNGP + NTK computation, alternating, best of
/// 3, by wall-clock and by CPU time.
fn kernel_limits(n: usize, threads: usize, rng: &mut Rng) {
    let d = 784;
    let x = Mat::from_fn(n, d, |_, _| rng.normal());
    let tri = (n * (n + 1) / 2 * d * 2) as f64;
    let full = 2.0 * (n * n * d) as f64;
    let net = Network::mlp(Activation::Relu, 3, 2f64.sqrt(), 0.1).expect("valid network");
    let opts = KernelOptions {
        threads,
        ..Default::default()
    };
    let min2 = |a: (f64, f64), b: (f64, f64)| (a.0.min(b.0), a.1.min(b.1));
    let inf = (f64::INFINITY, f64::INFINITY);
    let (mut t_faer, mut t_gram, mut t_all) = (inf, inf, inf);
    {
        let mut c = Mat::<f64>::zeros(n, n);
        let plan = KernelPlan::new(&net, x.as_ref(), None).expect("valid inputs");
        for _ in 0..3 {
            t_faer = min2(
                t_faer,
                best_wall_cpu(1, || {
                    let p = Par::rayon(threads);
                    matmul(
                        c.as_mut(),
                        Accum::Replace,
                        x.as_ref(),
                        x.transpose(),
                        1.0,
                        p,
                    )
                }),
            );
            t_gram = min2(
                t_gram,
                best_wall_cpu(1, || plan.gram_only(&opts).expect("gram")),
            );
        }
    }
    for _ in 0..3 {
        t_all = min2(
            t_all,
            best_wall_cpu(1, || {
                let plan = KernelPlan::new(&net, x.as_ref(), None).expect("valid inputs");
                black_box(plan.compute(&opts, None).expect("kernel"));
            }),
        );
    }
    let g = |flops: f64, t: f64| flops / t / 1e9;
    let (rate, rate_cpu) = (g(full, t_faer.0), g(full, t_faer.1));
    let (gr, gr_cpu) = (g(tri, t_gram.0), g(tri, t_gram.1));
    println!(
        "| faer GEMM {n}x{d} @ {d}x{n} (full), {threads} threads | {rate:.1} GFLOP/s wall \
         ({:.3} s), {rate_cpu:.1} GFLOP/CPU-s |",
        t_faer.0
    );
    println!(
        "| ntk Gram part (one triangle, tile {}), {threads} threads | {gr:.1} GFLOP/s wall \
         ({:.3} s), {gr_cpu:.1} GFLOP/CPU-s: {:.0}% (wall) / {:.0}% (CPU) of faer's rate |",
        opts.tile,
        t_gram.0,
        100.0 * gr / rate,
        100.0 * gr_cpu / rate_cpu
    );
    println!(
        "| ntk ReLU depth 3 NNGP + NTK n={n}, {threads} threads | {:.3} s wall, {:.2} CPU-s \
         (the triangle at faer's rate: {:.3} s wall) |",
        t_all.0,
        t_all.1,
        tri / 1e9 / rate
    );
}

fn eig_limits(eig_n: usize, threads: usize, rng: &mut Rng) {
    faer::set_global_parallelism(Par::rayon(threads));
    let x = Mat::from_fn(eig_n, 64, |_, _| rng.normal());
    let mut k = Mat::<f64>::zeros(eig_n, eig_n);
    matmul(
        k.as_mut(),
        Accum::Replace,
        x.as_ref(),
        x.transpose(),
        1.0 / 64.0,
        Par::rayon(threads),
    );
    for i in 0..eig_n {
        k[(i, i)] += 1e-3;
    }
    let t = best(2, || {
        black_box(k.self_adjoint_eigen(Side::Lower).ok());
    });
    println!("| faer self_adjoint_eigen n={eig_n}, {threads} threads | {t:.2} s |");
    let t = best(2, || {
        black_box(k.self_adjoint_eigenvalues(Side::Lower).ok());
    });
    println!("| faer eigenvalues only n={eig_n}, {threads} threads | {t:.2} s |");
}

fn elementwise() {
    // elementwise, single thread, ns per call
    let n = 2_000_000;
    let xs: Vec<f64> = (0..n)
        .map(|i| (i as f64 + 0.5) / n as f64 * 1.98 - 0.99)
        .collect();
    let per = |t: f64| t / n as f64 * 1e9;
    let mut out = vec![0.0; n];
    let t = best(3, || {
        for (o, &v) in out.iter_mut().zip(&xs) {
            *o = v.acos();
        }
    });
    println!("| std acos | {:.2} ns |", per(t));
    let t = best(3, || {
        for (o, &v) in out.iter_mut().zip(&xs) {
            *o = (1.0 - v * v).sqrt().atan2(v);
        }
    });
    println!("| std atan2 (sqrt(1-x^2), x) | {:.2} ns |", per(t));
    let t = best(3, || {
        for (o, &v) in out.iter_mut().zip(&xs) {
            *o = atan2_nonneg((1.0 - v * v).sqrt(), v);
        }
    });
    println!("| ntk fast atan2 (sqrt(1-x^2), x) | {:.2} ns |", per(t));
    let t = best(3, || {
        for (o, &v) in out.iter_mut().zip(&xs) {
            *o = v.exp();
        }
    });
    println!("| std exp | {:.2} ns |", per(t));
    let t = best(3, || {
        for (o, &v) in out.iter_mut().zip(&xs) {
            *o = libm::erfc(v);
        }
    });
    println!("| libm erfc | {:.2} ns |", per(t));
    for (name, f) in [
        (
            "relu",
            relu::dual as fn(f64, f64, f64, f64) -> ntk::activation::Dual,
        ),
        ("erf", erf::dual),
        ("selu", selu::dual),
    ] {
        let t = best(3, || {
            for (o, &v) in out.iter_mut().zip(&xs) {
                *o = f(1.0, 1.3, v, (1.3 - v * v).sqrt()).t;
            }
        });
        println!("| {name} dual (T, Tdot, s), scalar | {:.2} ns |", per(t));
    }
    black_box(&out);
}
