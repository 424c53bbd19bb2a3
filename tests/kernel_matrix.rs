//! Kernel storage against independent references: packed products vs the dense path (bit
//! for bit) and vs a naive triple loop (to the rounding bound), f32 storage within its
//! stated bound, thread-count invariance, odd sizes, building from a plan vs
//! `kernel::kernels`, streamed cross products vs a naive loop over the dense cross kernel.

use faer::{Mat, MatRef, Par};
use ntk::kernel::{KernelOptions, KernelPlan, kernels};
use ntk::kernel_matrix::{
    BuildOptions, CrossOptions, Dense, KernelMatrix, Packed, Which, build_packed, cross_apply,
    selected_rows, test_diagonal,
};
use ntk::rng::Rng;
use ntk::{Activation, Error, Network};
use proptest::prelude::*;

const U: f64 = f64::EPSILON / 2.0; // 2^-53

fn sym(n: usize, seed: u64) -> Mat<f64> {
    let mut r = Rng::new(seed);
    let mut k = Mat::from_fn(n, n, |_, _| r.normal());
    for j in 0..n {
        for i in 0..j {
            k[(i, j)] = k[(j, i)];
        }
        // a wide dynamic range, as kernels have (large diagonal, small far entries)
        k[(j, j)] = 10.0 + k[(j, j)].abs();
    }
    k
}

fn block(n: usize, k: usize, seed: u64) -> Mat<f64> {
    let mut r = Rng::new(seed);
    Mat::from_fn(n, k, |_, _| r.normal())
}

fn apply(m: &dyn KernelMatrix, x: MatRef<'_, f64>, par: Par) -> Mat<f64> {
    let mut y = Mat::from_fn(x.nrows(), x.ncols(), |_, _| f64::NAN); // overwritten
    m.apply(x, y.as_mut(), par);
    y
}

/// Naive `K X` with a left-to-right sum, and `sum_j |K_ij| |X_jl|`.
fn naive(k: MatRef<'_, f64>, x: MatRef<'_, f64>) -> (Mat<f64>, Mat<f64>) {
    let n = k.nrows();
    let y = Mat::from_fn(n, x.ncols(), |i, l| {
        (0..n).fold(0.0, |s, j| s + k[(i, j)] * x[(j, l)])
    });
    let a = Mat::from_fn(n, x.ncols(), |i, l| {
        (0..n).fold(0.0, |s, j| s + (k[(i, j)] * x[(j, l)]).abs())
    });
    (y, a)
}

fn pars() -> [Par; 3] {
    [Par::Seq, Par::rayon(2), Par::rayon(3)]
}

#[test]
fn packed_apply_equals_dense_apply_bitwise_for_odd_sizes_and_threads() {
    for &(n, b) in &[
        (1, 256),
        (1, 1),
        (5, 256),
        (7, 3),
        (17, 4),
        (33, 1),
        (300, 256),
        (257, 16),
        (100, 10),
    ] {
        let k = sym(n, n as u64 * 31 + b as u64);
        let p = Packed::<f64>::from_dense(k.as_ref(), b).unwrap();
        let d = Dense::with_tile(k.clone(), b).unwrap();
        for kk in [1, 3, 6] {
            let x = block(n, kk, 7 + kk as u64);
            let y0 = apply(&p, x.as_ref(), Par::Seq);
            for par in pars() {
                assert_eq!(
                    apply(&p, x.as_ref(), par),
                    y0,
                    "packed n {n} b {b} k {kk} {par:?}"
                );
                assert_eq!(
                    apply(&d, x.as_ref(), par),
                    y0,
                    "dense n {n} b {b} k {kk} {par:?}"
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// The contract's column independence: each column of `K [X_1 | X_2]` has the bits of
    /// its own product, for any split, widths and storage (what batched solvers rely on).
    #[test]
    fn columns_are_independent_of_the_columns_beside_them(
        n in 1usize..140, b in 3usize..40, k1 in 1usize..9, k2 in 1usize..9, seed in 0u64..1000,
    ) {
        let d = sym(n, seed);
        let dense = Dense::new(d.clone()).unwrap();
        let p64 = Packed::<f64>::from_dense(d.as_ref(), b).unwrap();
        let p32 = Packed::<f32>::from_dense(d.as_ref(), b).unwrap();
        let x = block(n, k1 + k2, seed + 1);
        for m in [&dense as &dyn KernelMatrix, &p64, &p32] {
            let whole = apply(m, x.as_ref(), Par::rayon(2));
            let left = apply(m, x.as_ref().subcols(0, k1), Par::Seq);
            let right = apply(m, x.as_ref().subcols(k1, k2), Par::rayon(3));
            prop_assert_eq!(whole.as_ref().subcols(0, k1).to_owned(), left);
            prop_assert_eq!(whole.as_ref().subcols(k1, k2).to_owned(), right);
            for j in 0..k1 + k2 {
                let one = apply(m, x.as_ref().subcols(j, 1), Par::Seq);
                prop_assert_eq!(whole.as_ref().subcols(j, 1).to_owned(), one);
            }
        }
    }
}

#[test]
fn packed_apply_matches_a_naive_loop_to_the_rounding_bound() {
    for &(n, b) in &[(1, 4), (9, 4), (64, 8), (301, 32), (520, 256)] {
        let k = sym(n, 11 + n as u64);
        let x = block(n, 4, 3);
        let (want, abs) = naive(k.as_ref(), x.as_ref());
        let y = apply(
            &Packed::<f64>::from_dense(k.as_ref(), b).unwrap(),
            x.as_ref(),
            Par::rayon(2),
        );
        // both sums are within n u sum |K||X| of the exact value
        let gamma = 2.0 * n as f64 * U * 1.01;
        let mut worst: f64 = 0.0;
        for l in 0..4 {
            for i in 0..n {
                let e = (y[(i, l)] - want[(i, l)]).abs();
                assert!(
                    e <= gamma * abs[(i, l)],
                    "n {n} ({i}, {l}): {e:e} > {:e}",
                    gamma * abs[(i, l)]
                );
                worst = worst.max(e / abs[(i, l)]);
            }
        }
        // and the product is actually computed: a wrong tile would be off by O(1)
        assert!(worst < 1e-12);
    }
}

#[test]
fn f32_storage_is_within_its_stated_bound() {
    // |dY_i| <= c 2^-24 sum_j |K_ij| |X_j|,  c = 1 + n 2^-28 (entry rounding 2^-24 relative,
    // then an f64 accumulation, 2 n 2^-53 relative to the same sum)
    for &(n, b) in &[(1, 256), (37, 8), (400, 256)] {
        let k = sym(n, 5 + n as u64);
        let x = block(n, 3, 9);
        let (want, abs) = naive(k.as_ref(), x.as_ref());
        let p = Packed::<f32>::from_dense(k.as_ref(), b).unwrap();
        let c = 1.0 + n as f64 * 2f64.powi(-28);
        let y = apply(&p, x.as_ref(), Par::rayon(2));
        assert_eq!(y, apply(&p, x.as_ref(), Par::Seq));
        let mut worst: f64 = 0.0;
        for l in 0..3 {
            for i in 0..n {
                let e = (y[(i, l)] - want[(i, l)]).abs();
                let bound = c * 2f64.powi(-24) * abs[(i, l)];
                assert!(e <= bound, "n {n} ({i}, {l}): {e:e} > {bound:e}");
                worst = worst.max(e / bound);
            }
        }
        // f32 entries really are rounded: the error is a visible fraction of the bound
        assert!(worst > 1e-3, "n {n}: worst {worst}");
        // and f32 products equal the f64 path on the rounded matrix, bit for bit
        let k32 = Mat::from_fn(n, n, |i, j| k[(i, j)] as f32 as f64);
        let y64 = apply(
            &Packed::<f64>::from_dense(k32.as_ref(), b).unwrap(),
            x.as_ref(),
            Par::Seq,
        );
        assert_eq!(y, y64);
    }
}

#[test]
fn diagonal_columns_and_conversions_match_dense() {
    for &(n, b) in &[(1, 256), (10, 3), (70, 16)] {
        let k = sym(n, 2 + n as u64);
        let d = Dense::with_tile(k.clone(), b).unwrap();
        let p = Packed::<f64>::from_dense_kernel(&d).unwrap();
        let q = Packed::<f32>::from_dense(k.as_ref(), b).unwrap();
        assert_eq!(p.to_dense(), k);
        assert_eq!(Dense::from_packed(&p).unwrap().matrix(), k.as_ref());
        assert_eq!(p.diagonal(), d.diagonal());
        let cols: Vec<usize> = [0, n / 2, n - 1, n / 3].into_iter().collect();
        let (mut c1, mut c2, mut c3) = (
            Mat::zeros(n, cols.len()),
            Mat::zeros(n, cols.len()),
            Mat::zeros(n, cols.len()),
        );
        p.columns(&cols, c1.as_mut());
        d.columns(&cols, c2.as_mut());
        q.columns(&cols, c3.as_mut());
        assert_eq!(c1, c2);
        for (jj, &c) in cols.iter().enumerate() {
            for i in 0..n {
                assert_eq!(c3[(i, jj)], k[(i, c)] as f32 as f64);
            }
        }
        assert_eq!(q.diagonal()[n - 1], k[(n - 1, n - 1)] as f32 as f64);
        assert_eq!(p.bytes(), 2 * q.bytes());
        assert_eq!(
            p.bytes() as u64,
            ntk::kernel_matrix::bytes(n, b, p.precision()).unwrap()
        );
    }
}

#[test]
fn dense_apply_reads_only_the_lower_triangle() {
    let k = sym(9, 4);
    let mut junk = k.clone();
    junk[(0, 8)] = 1e300; // upper triangle is not read
    let x = block(9, 2, 1);
    let d = Dense::with_tile(junk, 4).unwrap();
    assert_eq!(
        apply(&d, x.as_ref(), Par::Seq),
        apply(&Dense::with_tile(k, 4).unwrap(), x.as_ref(), Par::Seq)
    );
}

fn points(n: usize, d: usize, seed: u64) -> Mat<f64> {
    let mut r = Rng::new(seed);
    let mut x = Mat::from_fn(n, d, |_, _| r.normal());
    // hard corners: a duplicate, a collinear point, an antipodal point, a zero vector
    if n > 4 {
        for j in 0..d {
            x[(1, j)] = x[(0, j)];
            x[(2, j)] = 3.0 * x[(0, j)];
            x[(3, j)] = -x[(0, j)];
            x[(4, j)] = 0.0;
        }
    }
    x
}

fn nets() -> Vec<Network> {
    vec![
        Network::mlp(Activation::Relu, 3, 2f64.sqrt(), 0.1).unwrap(),
        Network::mlp(Activation::Erf, 2, 1.3, 0.2).unwrap(),
        Network::mlp(Activation::Selu, 2, 1.0, 0.05).unwrap(),
    ]
}

#[test]
fn build_from_plan_equals_kernels_bitwise() {
    for net in nets() {
        for &(n, b) in &[(1, 256), (7, 256), (37, 8), (300, 256)] {
            let x = points(n, 5, n as u64);
            let plan = KernelPlan::new(&net, x.as_ref(), None).unwrap();
            let dense = kernels(
                &net,
                x.as_ref(),
                None,
                &KernelOptions {
                    tile: b,
                    ..Default::default()
                },
            )
            .unwrap();
            let dntk = dense.ntk.as_ref().unwrap();
            for threads in [1, 2, 3] {
                let opts = BuildOptions {
                    which: Which::Both,
                    threads,
                    tile: b,
                    budget: None,
                    ..Default::default()
                };
                let k = build_packed::<f64>(&plan, &opts, None).unwrap();
                assert_eq!(
                    k.nngp.as_ref().unwrap().to_dense(),
                    dense.nngp,
                    "{net:?} n {n}"
                );
                assert_eq!(&k.ntk.as_ref().unwrap().to_dense(), dntk, "{net:?} n {n}");
            }
            let only = build_packed::<f32>(
                &plan,
                &BuildOptions {
                    which: Which::Ntk,
                    tile: b,
                    ..Default::default()
                },
                None,
            )
            .unwrap();
            assert!(only.nngp.is_none());
            let t32 = only.ntk.unwrap().to_dense();
            assert_eq!(t32, Mat::from_fn(n, n, |i, j| dntk[(i, j)] as f32 as f64));
            let k = build_packed::<f64>(
                &plan,
                &BuildOptions {
                    which: Which::Nngp,
                    tile: b,
                    ..Default::default()
                },
                None,
            )
            .unwrap();
            assert!(k.ntk.is_none());
            assert_eq!(k.nngp.unwrap().to_dense(), dense.nngp);
        }
    }
}

#[test]
fn build_reports_progress_and_refuses_before_allocating() {
    let net = &nets()[0];
    let x = points(40, 3, 1);
    let plan = KernelPlan::new(net, x.as_ref(), None).unwrap();
    let seen = std::sync::Mutex::new(Vec::new());
    let cb = |d: usize, t: usize| seen.lock().unwrap().push((d, t));
    let opts = BuildOptions {
        tile: 8,
        ..Default::default()
    };
    build_packed::<f64>(&plan, &opts, Some(&cb)).unwrap();
    let mut s = seen.into_inner().unwrap();
    s.sort();
    assert_eq!(s, (1..=15).map(|d| (d, 15)).collect::<Vec<_>>()); // 5 tile rows: 15 tiles
    let tight = BuildOptions {
        budget: Some(1000.0),
        which: Which::Both,
        ..opts
    };
    let e = build_packed::<f64>(&plan, &tight, None).unwrap_err();
    assert!(matches!(e, Error::Memory(_)), "{e}");
    assert!(
        e.to_string().contains("0.000 GB") && e.to_string().contains("2 packed f64"),
        "{e}"
    );
    let y = points(5, 3, 2);
    let cross = KernelPlan::new(net, x.as_ref(), Some(y.as_ref())).unwrap();
    assert!(matches!(
        build_packed::<f64>(&cross, &opts, None),
        Err(Error::Shape(_))
    ));
    let zero = BuildOptions {
        tile: 0,
        ..Default::default()
    };
    assert!(
        build_packed::<f64>(&plan, &zero, None)
            .unwrap_err()
            .is_usage()
    );
}

#[test]
fn f32_storage_refuses_entries_beyond_its_range() {
    // entries ~1e135: finite in f64, infinite in f32
    let net = Network::mlp(Activation::Relu, 40, 60.0, 0.0).unwrap();
    let x = points(6, 3, 3);
    let plan = KernelPlan::new(&net, x.as_ref(), None).unwrap();
    let k = build_packed::<f64>(&plan, &BuildOptions::default(), None).unwrap();
    assert!(k.ntk.as_ref().unwrap().get(0, 0) > 1e100);
    let e = build_packed::<f32>(&plan, &BuildOptions::default(), None).unwrap_err();
    assert!(
        matches!(e, Error::Numerical(_)) && e.to_string().contains("f64 storage"),
        "{e}"
    );
    let dense = k.ntk.unwrap().to_dense();
    assert!(matches!(
        Packed::<f32>::from_dense(dense.as_ref(), 4),
        Err(Error::Data(_))
    ));
    let mut bad = sym(3, 1);
    bad[(2, 1)] = f64::NAN;
    assert!(Packed::<f64>::from_dense(bad.as_ref(), 2).is_err());
}

/// Naive left-to-right `K C` of a dense (n1 x n2) kernel.
fn naive_rect(k: MatRef<'_, f64>, c: MatRef<'_, f64>) -> Mat<f64> {
    Mat::from_fn(k.nrows(), c.ncols(), |i, l| {
        (0..k.ncols()).fold(0.0, |s, j| s + k[(i, j)] * c[(j, l)])
    })
}

#[test]
fn cross_products_equal_the_naive_dense_product_bitwise() {
    for net in nets() {
        for &(nt, n, b, m) in &[
            (1, 1, 256, 1),
            (5, 9, 256, 3),
            (23, 41, 8, 7),
            (300, 270, 256, 2),
        ] {
            let xt = points(nt, 4, 100 + nt as u64);
            let x = points(n, 4, n as u64);
            let plan = KernelPlan::new(&net, xt.as_ref(), Some(x.as_ref())).unwrap();
            let dense = kernels(
                &net,
                xt.as_ref(),
                Some(x.as_ref()),
                &KernelOptions {
                    tile: b,
                    ..Default::default()
                },
            )
            .unwrap();
            let (ck, ct) = (block(n, m, 1), block(n, m + 1, 2));
            let want_k = naive_rect(dense.nngp.as_ref(), ck.as_ref());
            let want_t = naive_rect(dense.ntk.as_ref().unwrap().as_ref(), ct.as_ref());
            for threads in [1, 2, 3] {
                let opts = CrossOptions { threads, tile: b };
                let y =
                    cross_apply(&plan, Some(ck.as_ref()), Some(ct.as_ref()), &opts, None).unwrap();
                assert_eq!(
                    y.nngp.unwrap(),
                    want_k,
                    "{net:?} nt {nt} n {n} threads {threads}"
                );
                assert_eq!(y.ntk.unwrap(), want_t);
                let only = cross_apply(&plan, None, Some(ct.as_ref()), &opts, None).unwrap();
                assert!(only.nngp.is_none());
                assert_eq!(only.ntk.unwrap(), want_t);
            }
        }
    }
}

#[test]
fn cross_validates_and_reports_progress() {
    let net = &nets()[0];
    let (xt, x) = (points(20, 3, 1), points(10, 3, 2));
    let plan = KernelPlan::new(net, xt.as_ref(), Some(x.as_ref())).unwrap();
    let opts = CrossOptions {
        threads: 2,
        tile: 8,
    };
    assert!(
        cross_apply(&plan, None, None, &opts, None)
            .unwrap_err()
            .is_usage()
    );
    let wrong = block(9, 2, 1);
    assert!(matches!(
        cross_apply(&plan, Some(wrong.as_ref()), None, &opts, None),
        Err(Error::Shape(_))
    ));
    let count = std::sync::atomic::AtomicUsize::new(0);
    let cb = |_: usize, t: usize| {
        assert_eq!(t, 3);
        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    };
    let c = block(10, 2, 3);
    cross_apply(&plan, Some(c.as_ref()), None, &opts, Some(&cb)).unwrap();
    assert_eq!(count.into_inner(), 3);
    let huge = Mat::from_fn(10, 1, |_, _| f64::MAX);
    assert!(matches!(
        cross_apply(&plan, Some(huge.as_ref()), None, &opts, None),
        Err(Error::Numerical(_))
    ));
}

#[test]
fn test_diagonal_and_selected_rows_match_dense() {
    for net in nets() {
        let (xt, x) = (points(30, 4, 5), points(19, 4, 6));
        let b = 8;
        let opts = CrossOptions {
            threads: 2,
            tile: b,
        };
        let ko = KernelOptions {
            tile: b,
            ..Default::default()
        };
        let sym = KernelPlan::new(&net, xt.as_ref(), None).unwrap();
        let dsym = kernels(&net, xt.as_ref(), None, &ko).unwrap();
        let (kd, td) = test_diagonal(&sym, Which::Both, &opts).unwrap();
        let dt = dsym.ntk.as_ref().unwrap();
        assert_eq!(
            kd.unwrap(),
            (0..30).map(|i| dsym.nngp[(i, i)]).collect::<Vec<_>>()
        );
        assert_eq!(td.unwrap(), (0..30).map(|i| dt[(i, i)]).collect::<Vec<_>>());
        let (kd, td) = test_diagonal(&sym, Which::Ntk, &opts).unwrap();
        assert!(kd.is_none() && td.is_some());

        let cross = KernelPlan::new(&net, xt.as_ref(), Some(x.as_ref())).unwrap();
        assert!(test_diagonal(&cross, Which::Both, &opts).is_err());
        let dx = kernels(&net, xt.as_ref(), Some(x.as_ref()), &ko).unwrap();
        let s = [29, 0, 4, 1, 17];
        for (plan, dense, n2) in [(&cross, &dx, 19), (&sym, &dsym, 30)] {
            let (k, t) = selected_rows(plan, &s, Which::Both, &opts).unwrap();
            let (k, t) = (k.unwrap(), t.unwrap());
            let dt = dense.ntk.as_ref().unwrap();
            for (r, &i) in s.iter().enumerate() {
                for j in 0..n2 {
                    for (got, want) in [(k[(r, j)], dense.nngp[(i, j)]), (t[(r, j)], dt[(i, j)])] {
                        assert!(
                            (got - want).abs() <= 1e-14 * want.abs().max(1e-300),
                            "{got} vs {want}"
                        );
                    }
                }
            }
        }
        assert!(selected_rows(&cross, &[30], Which::Nngp, &opts).is_err());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn prop_apply_is_bitwise_dense_and_thread_invariant(n in 1usize..80, b in 1usize..40, k in 1usize..6, seed in 0u64..1000) {
        let m = sym(n, seed);
        let x = block(n, k, seed + 1);
        let p = Packed::<f64>::from_dense(m.as_ref(), b).unwrap();
        let y = apply(&p, x.as_ref(), Par::Seq);
        prop_assert_eq!(&apply(&p, x.as_ref(), Par::rayon(3)), &y);
        prop_assert_eq!(&apply(&Dense::with_tile(m.clone(), b).unwrap(), x.as_ref(), Par::rayon(2)), &y);
        // linearity in X to rounding: K (2 X) = 2 K X exactly (scaling by 2 is exact)
        let x2 = Mat::from_fn(n, k, |i, l| 2.0 * x[(i, l)]);
        let y2 = apply(&p, x2.as_ref(), Par::rayon(2));
        prop_assert_eq!(y2, Mat::from_fn(n, k, |i, l| 2.0 * y[(i, l)]));
        prop_assert_eq!(p.to_dense(), m);
    }
}
