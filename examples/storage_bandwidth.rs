//! Streamed-product throughput of packed kernel storage against the machine's read
//! bandwidth: times `Y = K X` (best of `reps`) for a packed triangle in f64 and f32, and a
//! plain sum over the same bytes (the memory-bandwidth reference).
//!
//! `cargo run --release --example storage_bandwidth -- N K THREADS [REPS]`
//! (defaults 16000 10 2 5). Prints GB/s of stored entries read and GFLOP/s (4 flops per
//! entry per right-hand side: a multiply and an add for each of K x and K^T x).

use faer::{Mat, Par};
use ntk::kernel_matrix::{KernelMatrix, Packed};
use std::time::Instant;

fn arg(i: usize, default: usize) -> usize {
    std::env::args()
        .nth(i)
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn best(reps: usize, mut f: impl FnMut()) -> f64 {
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() -> ntk::Result<()> {
    let (n, k, threads, reps) = (arg(1, 16000), arg(2, 10), arg(3, 2), arg(4, 5));
    let par = if threads <= 1 {
        Par::Seq
    } else {
        Par::rayon(threads)
    };
    let entry = |i: usize, j: usize| 1.0 / (1.0 + (i as f64 - j as f64).abs());
    let x = Mat::from_fn(n, k, |i, l| ((i * 7 + l * 3) % 11) as f64 - 5.0);
    let mut y = Mat::zeros(n, k);
    println!("n = {n}, k = {k}, threads = {threads}, best of {reps}");
    let p64 = Packed::<f64>::from_fn(n, 256, entry)?;
    let entries = p64.bytes() as f64 / 8.0;
    let t = best(reps, || p64.apply(x.as_ref(), y.as_mut(), par));
    report("packed f64", p64.bytes(), entries, k, t);
    // read-bandwidth reference: sum the same f64 bytes on `threads` threads
    let data: Vec<f64> = (0..entries as usize).map(|i| (i % 13) as f64).collect();
    let t = best(reps, || {
        let parts = threads.max(1);
        let len = data.len().div_ceil(parts);
        let s: f64 = std::thread::scope(|sc| {
            let hs: Vec<_> = data
                .chunks(len)
                .map(|c| sc.spawn(move || lanes_sum(c)))
                .collect();
            hs.into_iter().map(|h| h.join().unwrap_or(0.0)).sum()
        });
        std::hint::black_box(s);
    });
    report("plain read", p64.bytes(), 0.0, 0, t);
    drop(data);
    drop(p64);
    let p32 = Packed::<f32>::from_fn(n, 256, entry)?;
    let t = best(reps, || p32.apply(x.as_ref(), y.as_mut(), par));
    report("packed f32", p32.bytes(), entries, k, t);
    Ok(())
}

fn report(what: &str, bytes: usize, entries: f64, k: usize, t: f64) {
    println!(
        "{what:>12}: {:.3} s, {:.2} GB/s, {:.1} GFLOP/s",
        t,
        bytes as f64 / t / 1e9,
        4.0 * entries * k as f64 / t / 1e9
    );
}

/// A sum in 8 independent lanes (vectorizes; not bound by the latency of one add chain).
fn lanes_sum(c: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let mut it = c.chunks_exact(8);
    for ch in &mut it {
        for t in 0..8 {
            acc[t] += ch[t];
        }
    }
    acc.iter().sum::<f64>() + it.remainder().iter().sum::<f64>()
}
