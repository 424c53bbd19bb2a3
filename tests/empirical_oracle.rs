//! The fast structured empirical NTK against the explicit-Jacobian oracle, and the backward
//! pass against finite differences, on small random networks of every activation,
//! parameterization, bias setting and output count, with X1 = X2 and X1 != X2.

mod common;

use common::rel_err;
use faer::Mat;
use ntk::empirical::{self, Mlp, Widths, jacobian};
use ntk::rng::Rng;
use ntk::{Activation, Network};

fn data(n: usize, d: usize, seed: u64) -> Mat<f64> {
    let mut r = Rng::new(seed);
    Mat::from_fn(n, d, |_, _| r.normal())
}

fn nets() -> Vec<Network> {
    let mut out = Vec::new();
    for act in Activation::ALL {
        for depth in [0, 1, 3] {
            let base = Network::mlp(act, depth, 1.3, 0.4).unwrap();
            out.push(base.clone());
            out.push(base.clone().without_bias());
            out.push(base.clone().standard(7).unwrap());
            out.push(base.clone().without_bias().standard(7).unwrap());
            let mut zero_b = base.clone().standard(7).unwrap();
            zero_b.b_std = 0.0; // trainable bias initialised at 0 still counts
            out.push(zero_b);
        }
    }
    out
}

#[test]
fn fast_ntk_matches_jacobian_oracle() {
    let mut worst = 0.0f64;
    for (c, net) in nets().into_iter().enumerate() {
        for outputs in [1, 3] {
            let widths = if net.depth == 3 {
                Widths::PerLayer(vec![7, 5, 6])
            } else {
                Widths::Uniform(7)
            };
            let mlp = Mlp::init_with_outputs(&net, 3, &widths, outputs, c as u64).unwrap();
            let x1 = data(5, 3, 100 + c as u64);
            let x2 = data(4, 3, 200 + c as u64);
            for (a, b) in [(x1.as_ref(), None), (x1.as_ref(), Some(x2.as_ref()))] {
                let slow = jacobian::ntk_oracle(&mlp, a, b).unwrap();
                let fast = empirical::ntk(&mlp, a, b, 1).unwrap();
                let e = rel_err(fast.ntk.as_ref(), slow.as_ref());
                worst = worst.max(e);
                assert!(
                    e <= 1e-12,
                    "{} outputs={outputs} cross={}: rel err {e:e}",
                    net.summary(),
                    b.is_some()
                );
            }
        }
    }
    eprintln!("fast vs Jacobian oracle: worst normwise rel err {worst:.2e}");
}

#[test]
fn gradients_match_finite_differences() {
    let mut worst = 0.0f64;
    for (c, net) in nets().into_iter().enumerate() {
        // smooth activations for a clean check; ReLU away from kinks (no pre-activation near 0
        // with these seeds is checked implicitly by the tolerance)
        let mlp = Mlp::init_with_outputs(&net, 3, &Widths::Uniform(5), 2, 7 + c as u64).unwrap();
        let x = data(3, 3, 300 + c as u64);
        let exact = jacobian::jacobian(&mlp, x.as_ref()).unwrap();
        let fd = jacobian::finite_difference_jacobian(&mlp, x.as_ref(), 1e-6).unwrap();
        let e = rel_err(fd.as_ref(), exact.as_ref());
        worst = worst.max(e);
        assert!(e < 1e-6, "{}: FD rel err {e:e}", net.summary());
    }
    eprintln!("gradients vs central differences: worst normwise rel err {worst:.2e}");
}

#[test]
fn nngp_is_scaled_readout_gram() {
    // The readout's Jacobian columns are s h_L (weights) and beta (bias), so the NNGP
    // (w^2/n_L) h_L.h_L' + b_std^2 can be rebuilt from the explicit Jacobian.
    for net in nets() {
        if net.depth == 0 {
            continue;
        }
        let mlp = Mlp::init(&net, 3, &Widths::Uniform(6), 3).unwrap();
        let x1 = data(4, 3, 11);
        let x2 = data(3, 3, 12);
        let k = empirical::ntk(&mlp, x1.as_ref(), Some(x2.as_ref()), 1).unwrap();
        let (j1, j2) = (
            jacobian::jacobian(&mlp, x1.as_ref()).unwrap(),
            jacobian::jacobian(&mlp, x2.as_ref()).unwrap(),
        );
        let p = mlp.n_params();
        let n_l = *mlp.hidden_widths().last().unwrap();
        let bias = usize::from(net.bias);
        let w0 = p - n_l - bias; // readout W columns, then its bias
        let (s, _) = mlp.scales(net.depth);
        let b = net.b();
        let want = Mat::from_fn(4, 3, |a, c| {
            let mut g = 0.0;
            for q in w0..w0 + n_l {
                g += j1[(a, q)] * j2[(c, q)];
            }
            net.w_std * net.w_std / n_l as f64 * g / (s * s) + b * b
        });
        let e = rel_err(k.nngp.as_ref(), want.as_ref());
        assert!(e <= 1e-12, "{}: nngp rel err {e:e}", net.summary());
    }
}

#[test]
fn threads_do_not_change_results() {
    let net = Network::mlp(Activation::Erf, 2, 1.2, 0.3).unwrap();
    let mlp = Mlp::init(&net, 20, &Widths::Uniform(300), 9).unwrap();
    let x1 = data(150, 20, 1);
    let x2 = data(70, 20, 2);
    for b in [None, Some(x2.as_ref())] {
        let a = empirical::ntk(&mlp, x1.as_ref(), b, 1).unwrap();
        let p = empirical::ntk(&mlp, x1.as_ref(), b, 2).unwrap();
        assert_eq!(a, p, "parallel and sequential kernels differ");
    }
    assert_eq!(
        mlp.forward_threads(x1.as_ref(), 2).unwrap(),
        mlp.forward(x1.as_ref()).unwrap()
    );
}

#[test]
fn seeded_init_is_reproducible_and_independent() {
    let net = Network::mlp(Activation::Selu, 2, 1.0, 0.1).unwrap();
    let a = Mlp::init(&net, 4, &Widths::Uniform(16), 5).unwrap();
    assert_eq!(a, Mlp::init(&net, 4, &Widths::Uniform(16), 5).unwrap());
    assert_ne!(a, Mlp::init(&net, 4, &Widths::Uniform(16), 6).unwrap());
    // N(0, 1) raw weights under the NTK parameterization
    let big = Mlp::init(&net, 100, &Widths::Uniform(400), 1).unwrap();
    let w = big.layers()[1].w();
    let (mut m1, mut m2) = (0.0, 0.0);
    for j in 0..w.ncols() {
        for i in 0..w.nrows() {
            m1 += w[(i, j)];
            m2 += w[(i, j)] * w[(i, j)];
        }
    }
    let n = (w.nrows() * w.ncols()) as f64;
    assert!(
        (m1 / n).abs() < 0.01 && (m2 / n - 1.0).abs() < 0.01,
        "{} {}",
        m1 / n,
        m2 / n
    );
    // standard parameterization: W ~ N(0, w^2 / n_in), b ~ N(0, b^2)
    let std_net = Network::mlp(Activation::Selu, 1, 2.0, 0.5)
        .unwrap()
        .standard(400)
        .unwrap();
    let s = Mlp::init(&std_net, 100, &Widths::Uniform(400), 1).unwrap();
    let w = s.layers()[1].w();
    let v: f64 = (0..400).map(|i| w[(i, 0)] * w[(i, 0)]).sum::<f64>() / 400.0;
    assert!((v * 400.0 / 4.0 - 1.0).abs() < 0.2, "{v}");
}

#[test]
fn entry_points_validate() {
    let net = Network::mlp(Activation::Relu, 1, 1.0, 0.0).unwrap();
    assert!(Mlp::init(&net, 0, &Widths::Uniform(4), 0).is_err());
    assert!(Mlp::init(&net, 2, &Widths::Uniform(0), 0).is_err());
    assert!(Mlp::init(&net, 2, &Widths::PerLayer(vec![3, 3]), 0).is_err());
    assert!(Mlp::init_with_outputs(&net, 2, &Widths::Uniform(3), 0, 0).is_err());
    let huge = Mlp::init(&net, 1 << 20, &Widths::Uniform(1 << 20), 0).unwrap_err();
    assert!(
        matches!(
            huge,
            ntk::Error::Memory(_) | ntk::Error::InvalidParameter { .. }
        ),
        "{huge}"
    );
    let mlp = Mlp::init(&net, 2, &Widths::Uniform(3), 0).unwrap();
    let mut x = Mat::<f64>::zeros(3, 2);
    x[(1, 1)] = f64::NAN;
    let e = empirical::ntk(&mlp, x.as_ref(), None, 1).unwrap_err();
    assert!(e.to_string().contains("not finite"), "{e}");
    let e = empirical::ntk(&mlp, Mat::<f64>::zeros(3, 4).as_ref(), None, 1).unwrap_err();
    assert!(matches!(e, ntk::Error::Shape(_)), "{e}");
    let e = empirical::ntk(
        &mlp,
        Mat::<f64>::zeros(3, 2).as_ref(),
        Some(Mat::<f64>::zeros(2, 3).as_ref()),
        1,
    )
    .unwrap_err();
    assert!(matches!(e, ntk::Error::Shape(_)), "{e}");
    assert!(
        mlp.gradients(
            Mat::<f64>::zeros(3, 2).as_ref(),
            Mat::<f64>::zeros(3, 2).as_ref()
        )
        .is_err()
    );
}
