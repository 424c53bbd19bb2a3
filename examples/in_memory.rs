//! One in-memory NNGP + NTK computation (`KernelPlan::compute`, what the Python package and
//! `ntk predict` call), timed: the counterpart of neural-tangents' in-process call, which
//! also leaves its kernels in memory. `benches/nt/run.sh` runs it beside `ntk kernel`.
//!
//! `cargo run --release --example in_memory -- X.npy ACTIVATION DEPTH W_STD B_STD THREADS`
//! prints `{"time_s": ...}` (plan and computation, the input already loaded).

use ntk::kernel::{KernelOptions, KernelPlan};
use ntk::{Activation, Network};
use std::hint::black_box;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    if a.len() != 6 {
        return Err("usage: in_memory X.npy ACTIVATION DEPTH W_STD B_STD THREADS".into());
    }
    let x = ntk::io::npy::read_npy(&a[0])?;
    let act = Activation::parse(&a[1])?;
    let net = Network::mlp(act, a[2].parse()?, a[3].parse()?, a[4].parse()?)?;
    let opts = KernelOptions {
        threads: a[5].parse()?,
        ..Default::default()
    };
    let start = Instant::now();
    let plan = KernelPlan::new(&net, x.as_ref(), None)?;
    let k = black_box(plan.compute(&opts, None)?);
    let t = start.elapsed().as_secs_f64();
    assert!(k.ntk.is_some());
    println!("{{\"time_s\": {t}}}");
    Ok(())
}
