//! Unit tests of `stream.rs` (moved out of the file to keep it readable).

use super::*;
use crate::{Activation, Network};

fn points(n: usize, d: usize) -> Mat<f64> {
    // includes a duplicate and an antipodal pair (refined entries)
    Mat::from_fn(n, d, |i, j| {
        let i = if i == 5 { 2 } else { i };
        let s = if i == 7 { -1.0 } else { 1.0 };
        let i = if i == 7 { 1 } else { i };
        s * (((i * d + j) as f64) * 0.37).sin()
    })
}

fn stream_to_mats(plan: &KernelPlan<'_>, opts: &StreamOptions) -> (Vec<u8>, Vec<u8>, StreamStats) {
    let o = |p: &str| {
        Some(Output {
            path: p.into(),
            writer: Vec::new(),
        })
    };
    let (st, k, t) = stream_npy(plan, opts, o("k"), o("t"), None).unwrap();
    (k.unwrap().writer, t.unwrap().writer, st)
}

fn npy_of(m: &Mat<f64>) -> Vec<u8> {
    let mut v = crate::io::npy::header_bytes_descr(&[m.nrows(), m.ncols()], true, "<f8");
    for j in 0..m.ncols() {
        for x in m.col(j).iter() {
            v.extend_from_slice(&x.to_le_bytes());
        }
    }
    v
}

#[test]
fn equals_the_in_memory_kernel_byte_for_byte() {
    for act in [Activation::Relu, Activation::Erf] {
        let x = points(23, 4);
        let z = points(9, 4);
        let net = Network::mlp(act, 3, 1.4, 0.2).unwrap();
        for x2 in [None, Some(z.as_ref())] {
            let plan = KernelPlan::new(&net, x.as_ref(), x2).unwrap();
            let mut opts = StreamOptions::default();
            opts.kernel.tile = 5;
            let want = plan.compute(&opts.kernel, None).unwrap();
            for (threads, cache) in [(1, None), (3, Some(0.0)), (2, Some(700.0))] {
                opts.kernel.threads = threads;
                opts.cache_bytes = cache;
                let (k, t, st) = stream_to_mats(&plan, &opts);
                assert_eq!(k, npy_of(&want.nngp), "{act:?} {threads} {cache:?}");
                assert_eq!(t, npy_of(want.ntk.as_ref().unwrap()));
                if x2.is_none() && cache == Some(0.0) {
                    assert!(st.tiles_recomputed > 0);
                }
                if x2.is_none() && cache.is_none() {
                    assert_eq!(st.tiles_recomputed, 0);
                }
            }
        }
    }
}

#[test]
fn f32_output_is_the_f64_result_rounded() {
    let x = points(11, 3);
    let net = Network::mlp(Activation::Relu, 2, 1.4, 0.0).unwrap();
    let plan = KernelPlan::new(&net, x.as_ref(), None).unwrap();
    let mut opts = StreamOptions {
        dtype: Dtype::F32,
        ..Default::default()
    };
    opts.kernel.tile = 4;
    let (k, _, _) = stream_to_mats(&plan, &opts);
    let want = plan.compute(&opts.kernel, None).unwrap().nngp;
    let m = crate::io::npy::parse_npy(&k, "k").unwrap();
    for j in 0..11 {
        for i in 0..11 {
            assert_eq!(m[(i, j)], f64::from(want[(i, j)] as f32));
        }
    }
    assert_eq!(k.len() as u64, npy_bytes(11, 11, Dtype::F32));
}

#[test]
fn a_failing_writer_is_an_io_error() {
    struct Full;
    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let x = points(40, 3);
    let plan = KernelPlan::new(
        &Network::mlp(Activation::Relu, 1, 1.0, 0.0).unwrap(),
        x.as_ref(),
        None,
    )
    .unwrap();
    let mut opts = StreamOptions::default();
    opts.kernel.tile = 4;
    let out = Some(Output {
        path: "k.npy".into(),
        writer: Full,
    });
    let e = stream_npy(&plan, &opts, out, None, None).err().unwrap();
    assert!(
        matches!(e, Error::Io { .. }) && e.to_string().contains("disk full"),
        "{e}"
    );
}

#[test]
fn reused_block_buffers_are_overwritten_entirely() {
    // every block column is computed into buffers full of NaN (as a reused, written block
    // would be full of old values): the result must still be the in-memory kernel
    for x2 in [None, Some(points(9, 4))] {
        let x = points(23, 4);
        let net = Network::mlp(Activation::Relu, 3, 1.4, 0.2).unwrap();
        let plan = KernelPlan::new(&net, x.as_ref(), x2.as_ref().map(|z| z.as_ref())).unwrap();
        let kopts = KernelOptions {
            tile: 5,
            ..Default::default()
        };
        let want = plan.compute(&kopts, None).unwrap();
        let (n1, n2) = plan.shape();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let mut got: Vec<Block> = Vec::new();
        let mut col = 0;
        let reuse = || {
            let w = 5.min(n2 - col);
            col += w;
            Some(Block {
                nngp: Mat::from_fn(n1, w, |_, _| f64::NAN),
                ntk: Some(Mat::from_fn(n1, w, |_, _| f64::NAN)),
            })
        };
        let send = |b: Block| {
            got.push(b);
            true
        };
        let mut stats = StreamStats::default();
        compute_blocks(&plan, 5, true, 1e9, &pool, &mut stats, (send, reuse), None).unwrap();
        let mut j0 = 0;
        for b in &got {
            for j in 0..b.nngp.ncols() {
                for i in 0..n1 {
                    assert_eq!(b.nngp[(i, j)], want.nngp[(i, j0 + j)], "({i}, {})", j0 + j);
                    let t = b.ntk.as_ref().unwrap()[(i, j)];
                    assert_eq!(t, want.ntk.as_ref().unwrap()[(i, j0 + j)]);
                }
            }
            j0 += b.nngp.ncols();
        }
        assert_eq!(j0, n2);
    }
}

#[test]
fn whole_and_column_by_column_writes_give_the_same_bytes() {
    // 16 rows: contiguous columns (one write for the block); 20 rows: faer pads the columns
    // to 24, so they are written one by one
    for rows in [16, 20] {
        let m = Mat::from_fn(rows, 5, |i, j| (i + 100 * j) as f64 - 0.5);
        assert_eq!(
            m.col_stride() == rows as isize,
            rows == 16,
            "both paths covered"
        );
        for dtype in [Dtype::F64, Dtype::F32] {
            let mut out = Vec::new();
            let n = write_columns(&mut out, &m, dtype, &mut Vec::new()).unwrap();
            let mut want = Vec::new();
            for j in 0..5 {
                for i in 0..rows {
                    match dtype {
                        Dtype::F64 => want.extend_from_slice(&m[(i, j)].to_le_bytes()),
                        Dtype::F32 => want.extend_from_slice(&(m[(i, j)] as f32).to_le_bytes()),
                    }
                }
            }
            assert_eq!(out, want, "{rows} {dtype:?}");
            assert_eq!(n, want.len() as u64);
        }
    }
}
