//! Streamed vs in-memory `ntk kernel` output, same run, alternating: (a) compute the NNGP and
//! NTK in memory, then write both .npy files; (b) stream both while computing
//! (`kernel::stream`). Prints wall times and checks the files are byte-identical.
//!
//! `cargo run --release --example stream_kernel -- N [THREADS] [DIR]` (Fashion-MNIST's first N
//! training images, from the Debian package dataset-fashion-mnist; DIR default /tmp).

use ntk::kernel::stream::{Output, StreamOptions, stream_npy};
use ntk::kernel::{KernelOptions, KernelPlan};
use ntk::{Activation, Network};
use std::io::BufWriter;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).map_or(Ok(4000), |s| s.parse())?;
    let threads: usize = args.get(2).map_or(Ok(0), |s| s.parse())?;
    let dir = std::path::PathBuf::from(args.get(3).map_or("/tmp", |s| s.as_str()));
    let f = ntk::data::FashionMnist::load(None, Some(n), Some(1))?;
    let net = Network::mlp(Activation::Relu, 3, 2f64.sqrt(), 0.1)?;
    let plan = KernelPlan::new(&net, f.x_train.as_ref(), None)?;
    let kopts = KernelOptions {
        threads,
        ..Default::default()
    };
    let (a1, a2) = (dir.join("mem_nngp.npy"), dir.join("mem_ntk.npy"));
    let (b1, b2) = (dir.join("str_nngp.npy"), dir.join("str_ntk.npy"));
    for round in 0..2 {
        let t = Instant::now();
        let k = plan.compute(&kopts, None)?;
        let tc = t.elapsed().as_secs_f64();
        ntk::io::write_npy(&a1, k.nngp.as_ref())?;
        ntk::io::write_npy(&a2, k.ntk.as_ref().ok_or("no ntk")?.as_ref())?;
        let tm = t.elapsed().as_secs_f64();
        drop(k);
        let t = Instant::now();
        let mut tx = ntk::io::Transaction::new();
        let o1 = Output {
            path: b1.clone(),
            writer: BufWriter::with_capacity(1 << 20, tx.stage(&b1)?),
        };
        let o2 = Output {
            path: b2.clone(),
            writer: BufWriter::with_capacity(1 << 20, tx.stage(&b2)?),
        };
        let opts = StreamOptions {
            kernel: kopts.clone(),
            ..Default::default()
        };
        let (st, _, _) = stream_npy(&plan, &opts, Some(o1), Some(o2), None)?;
        tx.commit()?;
        let ts = t.elapsed().as_secs_f64();
        println!(
            "round {round}: n = {n}: in-memory compute {tc:.2} s + write = {tm:.2} s; streamed {ts:.2} s \
             (compute waited {:.2} s for the disk, cache peak {:.0} MB, {} tiles recomputed)",
            st.wait_write_s,
            st.cache_peak_bytes / 1e6,
            st.tiles_recomputed
        );
    }
    for (a, b) in [(&a1, &b1), (&a2, &b2)] {
        assert!(
            std::fs::read(a)? == std::fs::read(b)?,
            "{} differs",
            b.display()
        );
        std::fs::remove_file(a)?;
        std::fs::remove_file(b)?;
    }
    println!("files byte-identical");
    Ok(())
}
