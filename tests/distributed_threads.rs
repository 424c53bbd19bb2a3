//! The distributed layer on P simulated ranks (threads, `ThreadComm`; no MPI needed):
//! every result is bitwise the single-process one, for P = 1..5 and for more ranks than
//! chunks, and a failure on one rank fails every rank with that rank's message.

use faer::{Mat, Par};
use ntk::distributed::file::{FileOptions, write_kernels};
use ntk::distributed::{
    Distributed, ThreadComm, agree, build_distributed, cross_apply_distributed,
};
use ntk::jobs::Solver;
use ntk::jobs::iterative;
use ntk::jobs::predict::{KernelSource, PredictJob};
use ntk::jobs::solver::SolverChoice;
use ntk::kernel::KernelPlan;
use ntk::kernel::stream::{Output, StreamOptions, stream_npy};
use ntk::kernel_matrix::{
    BuildOptions, CrossOptions, KernelMatrix, Packed, Which, build_packed, cross_apply,
};
use ntk::{Activation, Network};

fn points(n: usize, d: usize, seed: u64) -> Mat<f64> {
    let mut r = ntk::rng::Rng::new(seed);
    Mat::from_fn(n, d, |_, _| r.normal())
}

/// Entries of very different magnitudes: any change of summation order changes the bits.
fn wild(n: usize) -> Mat<f64> {
    let mut r = ntk::rng::Rng::new(7);
    let mut k = Mat::from_fn(n, n, |_, _| {
        r.normal() * 10f64.powi((r.uniform() * 12.0) as i32 - 6)
    });
    for j in 0..n {
        for i in 0..j {
            k[(i, j)] = k[(j, i)];
        }
    }
    k
}

#[test]
fn products_diagonal_and_columns_are_the_single_process_bits() {
    let n = 203;
    let k = wild(n);
    for tile in [7, 16, 64] {
        let p = Packed::<f64>::from_dense(k.as_ref(), tile).unwrap();
        let x = points(n, 3, 1);
        let mut want = Mat::zeros(n, 3);
        p.apply(x.as_ref(), want.as_mut(), Par::Seq);
        let cols = [0, 5, n - 1, 100, 17];
        let mut want_c = Mat::zeros(n, cols.len());
        p.columns(&cols, want_c.as_mut());
        for ranks in [1, 2, 3, 4, 5, 40] {
            let got = ThreadComm::run(ranks, |c| {
                let d = Distributed::<f64>::from_fn(c, n, tile, |i, j| k[(i, j)]).unwrap();
                let mut y = Mat::zeros(n, 3);
                d.apply(x.as_ref(), y.as_mut(), Par::rayon(2));
                let mut cc = Mat::zeros(n, cols.len());
                d.columns(&cols, cc.as_mut());
                (y, d.diagonal(), cc, d.bytes())
            });
            let stored: usize = got.iter().map(|g| g.3).sum();
            assert_eq!(
                stored,
                p.bytes(),
                "tile {tile} P {ranks}: every tile stored once"
            );
            for (r, (y, dg, cc, _)) in got.iter().enumerate() {
                assert_eq!(*y, want, "tile {tile} P {ranks} rank {r}");
                assert_eq!(*dg, p.diagonal(), "tile {tile} P {ranks} rank {r}");
                assert_eq!(*cc, want_c, "tile {tile} P {ranks} rank {r}");
            }
        }
    }
}

#[test]
fn built_kernels_and_test_pass_match() {
    let x = points(150, 4, 2);
    let xt = points(37, 4, 3);
    let net = Network::mlp(Activation::Erf, 3, 1.3, 0.2).unwrap();
    let plan = KernelPlan::new(&net, x.as_ref(), None).unwrap();
    let opts = BuildOptions {
        which: Which::Both,
        tile: 16,
        threads: 1,
        ..Default::default()
    };
    let whole = build_packed::<f32>(&plan, &opts, None).unwrap();
    let c = points(150, 2, 4);
    let mut want = Mat::zeros(150, 2);
    whole
        .ntk
        .as_ref()
        .unwrap()
        .apply(c.as_ref(), want.as_mut(), Par::Seq);
    let cross = KernelPlan::new(&net, xt.as_ref(), Some(x.as_ref())).unwrap();
    let copts = CrossOptions {
        tile: 8,
        threads: 1,
    };
    let want_t = cross_apply(&cross, Some(c.as_ref()), Some(c.as_ref()), &copts, None).unwrap();
    for ranks in [1, 2, 3, 4, 7] {
        let got = ThreadComm::run(ranks, |comm| {
            let d = build_distributed::<f32>(comm, &plan, &opts, None).unwrap();
            let mut y = Mat::zeros(150, 2);
            d.ntk
                .as_ref()
                .unwrap()
                .apply(c.as_ref(), y.as_mut(), Par::Seq);
            let g = d.nngp.as_ref().unwrap().diagonal();
            let t = cross_apply_distributed(
                comm,
                &cross,
                Some(c.as_ref()),
                Some(c.as_ref()),
                &copts,
                None,
            )
            .unwrap();
            (y, g, t)
        });
        for (y, g, t) in &got {
            assert_eq!(*y, want, "P {ranks}");
            assert_eq!(*g, whole.nngp.as_ref().unwrap().diagonal(), "P {ranks}");
            assert_eq!(t.ntk, want_t.ntk, "P {ranks}");
            assert_eq!(t.nngp, want_t.nngp, "P {ranks}");
        }
    }
}

#[test]
fn iterative_predictions_are_the_single_process_bits() {
    let x = points(300, 5, 5);
    let xt = points(41, 5, 6);
    let y = Mat::from_fn(300, 2, |i, j| ((i * 7 + j * 3) % 5) as f64 - 2.0);
    let net = Network::mlp(Activation::Relu, 3, 1.4, 0.1).unwrap();
    let src = KernelSource::Network {
        net: &net,
        x_train: x.as_ref(),
        x_test: Some(xt.as_ref()),
    };
    let mut job = PredictJob::new(src, y.as_ref());
    job.times = vec![0.0, 1.0, 30.0, f64::INFINITY];
    job.options.ridge = ntk::dynamics::Ridge::Relative(1e-3);
    job.solver = Solver::Iterative;
    let choice = SolverChoice {
        solver: Solver::Iterative,
        reason: "test".into(),
        dense_bytes: 0.0,
    };
    let one = iterative::run(&job, &choice, None).unwrap();
    for ranks in [2, 3, 4] {
        let got = ThreadComm::run(ranks, |c| {
            iterative::run_on(&job, &choice, None, c).unwrap()
        });
        for (r, g) in got.iter().enumerate() {
            assert_eq!(g.fx_train, one.fx_train, "P {ranks} rank {r}");
            assert_eq!(g.fx_test, one.fx_test, "P {ranks} rank {r}");
            assert_eq!(g.report.error_estimate, one.report.error_estimate);
            assert_eq!(g.report.loss_train, one.report.loss_train);
            let (a, b) = (&g.report.diagnostics, &one.report.diagnostics);
            assert_eq!(a.spectrum.lambda_max, b.spectrum.lambda_max);
        }
    }
}

fn stream_bytes(plan: &KernelPlan<'_>, tile: usize) -> (Vec<u8>, Vec<u8>) {
    let mut o = StreamOptions::default();
    o.kernel.tile = tile;
    let out = |p: &str| {
        Some(Output {
            path: p.into(),
            writer: Vec::new(),
        })
    };
    let (_, k, t) = stream_npy(plan, &o, out("k"), out("t"), None).unwrap();
    (k.unwrap().writer, t.unwrap().writer)
}

#[test]
fn kernel_files_are_byte_identical_and_all_or_nothing() {
    let x = points(77, 3, 8);
    let z = points(30, 3, 9);
    let net = Network::mlp(Activation::Relu, 2, 1.4, 0.1).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for cross in [false, true] {
        let plan = KernelPlan::new(&net, x.as_ref(), cross.then(|| z.as_ref())).unwrap();
        let (wk, wt) = stream_bytes(&plan, 8);
        for ranks in [1, 2, 3, 4, 13] {
            let (pk, pt) = (dir.path().join("k.npy"), dir.path().join("t.npy"));
            let opts = FileOptions {
                tile: 8,
                threads: 1,
                ..Default::default()
            };
            ThreadComm::run(ranks, |c| {
                write_kernels(c, &plan, &opts, Some(&pk), Some(&pt), None).unwrap()
            });
            assert_eq!(std::fs::read(&pk).unwrap(), wk, "cross {cross} P {ranks}");
            assert_eq!(std::fs::read(&pt).unwrap(), wt, "cross {cross} P {ranks}");
        }
    }
    // an unwritable target on rank 0 fails every rank, and nothing is left behind
    let plan = KernelPlan::new(&net, x.as_ref(), None).unwrap();
    let bad = dir.path().join("missing-dir").join("k.npy");
    let errs = ThreadComm::run(3, |c| {
        write_kernels(
            c,
            &plan,
            &FileOptions {
                tile: 8,
                ..Default::default()
            },
            None,
            Some(&bad),
            None,
        )
        .unwrap_err()
        .to_string()
    });
    assert!(errs.iter().all(|e| e.contains("missing-dir")), "{errs:?}");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        left.len(),
        2,
        "only the published k.npy and t.npy: {left:?}"
    );
}

#[test]
fn a_failing_rank_fails_every_rank_with_its_message() {
    let x = points(120, 3, 10);
    let net = Network::mlp(Activation::Relu, 2, 1.4, 0.1).unwrap();
    let plan = KernelPlan::new(&net, x.as_ref(), None).unwrap();
    let errs = ThreadComm::run(3, |c| {
        // rank 1 alone is given an impossible memory budget
        let opts = BuildOptions {
            tile: 16,
            budget: Some(if c.rank() == 1 { 10.0 } else { 1e12 }),
            ..Default::default()
        };
        match build_distributed::<f64>(c, &plan, &opts, None) {
            Ok(_) => panic!("rank {} built a kernel", c.rank()),
            Err(e) => (e.is_usage(), e.to_string()),
        }
    });
    for (r, (usage, msg)) in errs.iter().enumerate() {
        assert!(usage, "a memory error is a usage error (exit 2): {msg}");
        assert!(msg.contains("rank 1"), "rank {r}: {msg}");
        assert!(msg.contains("budget"), "rank {r}: {msg}");
    }
    // agreement: everyone OK only if all are
    let oks = ThreadComm::run(4, |c| agree(c, Ok(c.rank())).unwrap());
    assert_eq!(oks, vec![0, 1, 2, 3]);
}
