//! Unit tests of `plan.rs` (moved out of the file to keep it readable).

use super::*;
use crate::Activation;
use crate::kernel::KernelOptions;
use crate::rng::Rng;

fn randn(n: usize, d: usize, seed: u64) -> Mat<f64> {
    let mut r = Rng::new(seed);
    Mat::from_fn(n, d, |_, _| r.normal())
}

/// Any tile size, any thread count, and any block computed on its own give the same bits:
/// the Gram chain (gram.rs) and the recursion are both per entry. d = 300 crosses the
/// Gram kernel's depth chunk; n = 45 leaves partial 4-row panels and 12-row groups; a
/// duplicate row exercises the double-double refinement.
#[test]
fn tiles_threads_and_blocks_agree_bitwise() {
    let mut x = randn(45, 300, 5);
    for k in 0..300 {
        x[(44, k)] = x[(3, k)];
    }
    let y = randn(22, 300, 6);
    for act in [Activation::Relu, Activation::Erf] {
        let net = Network::mlp(act, 2, 1.3, 0.2).unwrap();
        for x2 in [None, Some(y.as_ref())] {
            let plan = KernelPlan::new(&net, x.as_ref(), x2).unwrap();
            let (n1, n2) = plan.shape();
            let run = |tile, threads| {
                let opts = KernelOptions {
                    tile,
                    threads,
                    ..Default::default()
                };
                plan.compute(&opts, None).unwrap()
            };
            let base = run(256, 1);
            let base_t = base.ntk.as_ref().unwrap();
            for (tile, threads) in [(7, 2), (12, 1), (13, 2), (64, 0)] {
                let k = run(tile, threads);
                assert!(
                    k.nngp == base.nngp && k.ntk == base.ntk,
                    "{act:?} {tile} {threads}"
                );
            }
            for (rows, cols) in [(0..n1, 0..n2), (5..17, 3..22), (44..45, 0..4), (1..2, 1..2)] {
                let mut k = Mat::zeros(rows.len(), cols.len());
                let mut t = Mat::zeros(rows.len(), cols.len());
                plan.tile(rows.clone(), cols.clone(), k.as_mut(), Some(t.as_mut()))
                    .unwrap();
                for (ii, i) in rows.clone().enumerate() {
                    for (jj, j) in cols.clone().enumerate() {
                        assert_eq!(k[(ii, jj)].to_bits(), base.nngp[(i, j)].to_bits());
                        assert_eq!(t[(ii, jj)].to_bits(), base_t[(i, j)].to_bits());
                    }
                }
            }
        }
    }
}

/// An NTK entry that overflows (standard parameterization: width q with q near f64's
/// limit) is reported as an error naming the first such entry in column-major order,
/// whatever the tile size or thread count; every variance is still finite.
#[test]
fn overflowing_entries_are_an_error_with_the_first_position() {
    let mut x = randn(9, 40, 8);
    for k in 0..40 {
        x[(4, k)] *= 1e152;
    }
    let net = Network::mlp(Activation::Relu, 2, 1.0, 0.0)
        .unwrap()
        .standard(1_000_000)
        .unwrap();
    let plan = KernelPlan::new(&net, x.as_ref(), None).unwrap();
    for (tile, threads) in [(2, 2), (256, 1)] {
        let opts = KernelOptions {
            tile,
            threads,
            ..Default::default()
        };
        let r = plan.compute(&opts, None).map(|k| k.ntk.unwrap()[(4, 4)]);
        let Err(Error::Numerical(msg)) = r else {
            panic!("expected a numerical error, got {r:?}");
        };
        assert!(msg.contains("NTK entry (4, 4)"), "{msg}");
    }
    let opts = KernelOptions {
        compute_ntk: false,
        ..Default::default()
    };
    assert!(plan.compute(&opts, None).is_ok());
}
