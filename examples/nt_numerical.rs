//! ntk's Hermite-series kernels against neural-tangents' Gauss–Hermite `ElementwiseNumerical`
//! (deg 25) on the same input: `cargo run --release --example nt_numerical -- FILE` with FILE
//! from `benches/nt/numerical.py`. Prints ntk's time (median of 3) and neural-tangents' time
//! and normwise relative deviation from ntk (ntk is exact to ~1e-13: tests/activations_mpmath.rs).
//! Each case's `activation` is read by [`Activation::parse`]: `tanh`, `softplus`, `silu`,
//! `sigmoid`, `elu` (alpha 1, as `jax.nn.elu`) and `selu` (ntk's constants, which equal
//! `jax.nn.selu`'s in f64). The network (depth, W_std, b_std) is the file's.

use ntk::kernel::{KernelOptions, kernels};
use ntk::{Activation, Network};
use serde_json::Value;
use std::time::Instant;

fn mat(v: &Value) -> faer::Mat<f64> {
    let rows = v.as_array().expect("rows");
    let cols = rows[0].as_array().expect("row").len();
    faer::Mat::from_fn(rows.len(), cols, |i, j| {
        rows[i][j].as_f64().unwrap_or(f64::NAN)
    })
}

fn rel(a: &faer::Mat<f64>, b: &faer::Mat<f64>) -> f64 {
    let (mut num, mut den) = (0.0f64, 0.0f64);
    for i in 0..a.nrows() {
        for j in 0..a.ncols() {
            num = num.max((a[(i, j)] - b[(i, j)]).abs());
            den = den.max(b[(i, j)].abs());
        }
    }
    num / den
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: nt_numerical FILE")?;
    let r: Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let x = mat(&r["x"]);
    let depth = r["depth"].as_u64().ok_or("depth")? as usize;
    let w_std = r["W_std"].as_f64().ok_or("W_std")?;
    let b_std = r["b_std"].as_f64().ok_or("b_std")?;
    println!(
        "n = {}, d = {}, depth {depth}, W_std {w_std}, b_std {b_std}",
        x.nrows(),
        x.ncols()
    );
    for case in r["cases"].as_array().ok_or("cases")? {
        let act = Activation::parse(case["activation"].as_str().ok_or("activation")?)?;
        let net = Network::mlp(act, depth, w_std, b_std)?;
        let mut ts = vec![];
        let mut k = None;
        for _ in 0..3 {
            let t0 = Instant::now();
            k = Some(kernels(&net, x.as_ref(), None, &KernelOptions::default())?);
            ts.push(t0.elapsed().as_secs_f64());
        }
        ts.sort_by(f64::total_cmp);
        let k = k.ok_or("no kernel")?;
        let e_nngp = rel(&mat(&case["nngp"]), &k.nngp);
        let e_ntk = rel(&mat(&case["ntk"]), k.ntk.as_ref().ok_or("ntk")?);
        println!(
            "{:9} ntk {:8.4} s | neural-tangents GH deg 25 {:8.4} s, off by nngp {e_nngp:.1e} ntk {e_ntk:.1e}",
            act.to_string(),
            ts[1],
            case["seconds"].as_f64().unwrap_or(f64::NAN)
        );
    }
    Ok(())
}
