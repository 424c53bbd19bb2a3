//! The machine's limits next to the project's kernels: GEMM throughput (faer, f64), symmetric
//! eigendecomposition time (faer), and elementwise throughput of the functions the recursions
//! use. `cargo run --release --example limits -- [threads] [eig_n]` (defaults: 2, 2000).
//! Prints a markdown table (benches/nt/run.sh puts it next to the neural-tangents numbers).

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par, Side};
use ntk::activation::{erf, relu, selu};
use ntk::rng::Rng;
use ntk::special::fastmath::atan2_nonneg;
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
    let (threads, eig_n) = (arg(1, 2), arg(2, 2000));
    let mut rng = Rng::new(1);
    println!("| quantity | value |");
    println!("|---|---|");
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
