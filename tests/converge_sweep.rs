//! `ntk::converge`: determinism across thread counts, report contents, the standard
//! parameterization (analytic kernel per width), the kernel profile, and input validation.

use ntk::converge::{ProfileConfig, SweepConfig, kernel_profile, width_sweep};
use ntk::{Activation, Network};

fn circle(n: usize) -> faer::Mat<f64> {
    ntk::data::Dataset::Circle(n).load().unwrap().x
}

#[test]
fn sweep_is_deterministic_across_thread_counts() {
    let net = Network::mlp(Activation::Erf, 2, 1.3, 0.2).unwrap();
    let x = circle(6);
    let run = |threads| {
        let cfg = SweepConfig {
            widths: vec![16, 64, 128],
            seeds: 3,
            seed: 4,
            threads,
        };
        let mut r = width_sweep(&net, x.as_ref(), "circle:6", &cfg, None).unwrap();
        r.seconds = 0.0;
        r
    };
    let a = run(1);
    assert_eq!(a, run(2));
    assert_eq!(a.widths.len(), 3);
    assert_eq!(a.widths[0].ntk_rel_err.len(), 3);
    let json = serde_json::to_value(&a).unwrap();
    for key in ["ntk_slope", "nngp_slope", "widths", "network", "seeds"] {
        assert!(json.get(key).is_some(), "{key}");
    }
    for key in [
        "width",
        "ntk_rel_err_mean",
        "ntk_rel_err_std",
        "nngp_rel_err_mean",
        "nngp_rel_err_std",
    ] {
        assert!(json["widths"][0].get(key).is_some(), "{key}");
    }
    // the report reads back
    let back: ntk::converge::ConvergenceReport = serde_json::from_value(json).unwrap();
    assert_eq!(back, a);
}

#[test]
fn standard_parameterization_converges_too() {
    // the analytic standard-parameterization NTK depends on width: compared per width
    let net = Network::mlp(Activation::Relu, 2, 1.4, 0.1)
        .unwrap()
        .standard(1)
        .unwrap();
    let x = circle(5);
    let cfg = SweepConfig {
        widths: vec![16, 1024],
        seeds: 4,
        seed: 0,
        threads: 0,
    };
    let r = width_sweep(&net, x.as_ref(), "circle:5", &cfg, None).unwrap();
    eprintln!(
        "standard param.: NTK err {:.3e} -> {:.3e}",
        r.widths[0].ntk_rel_err_mean, r.widths[1].ntk_rel_err_mean
    );
    assert!(r.widths[1].ntk_rel_err_mean < 0.4 * r.widths[0].ntk_rel_err_mean);
    assert!(r.widths[1].ntk_rel_err_mean < 0.15);
}

#[test]
fn profile_view_matches_analytic_limit_and_trains() {
    let net = Network::mlp(Activation::Relu, 3, 1.0, 0.1).unwrap();
    let cfg = ProfileConfig {
        n_angles: 31,
        steps: 30,
        threads: 2,
        ..ProfileConfig::scaled(vec![32, 512], 3)
    };
    let p = kernel_profile(&net, &cfg, None).unwrap();
    assert_eq!(p.curves.len(), 6);
    assert_eq!(p.gamma.len(), 31);
    assert!(
        (p.gamma[0] + std::f64::consts::PI).abs() < 1e-15
            && (p.gamma[30] - std::f64::consts::PI).abs() < 1e-15
    );
    // the analytic profile is the analytic kernel between x0 and the circle points
    let x0 = faer::Mat::from_fn(1, 2, |_, j| if j == 0 { 1.0 } else { 0.0 });
    let xs = faer::Mat::from_fn(31, 2, |i, j| {
        if j == 0 {
            p.gamma[i].cos()
        } else {
            p.gamma[i].sin()
        }
    });
    let k =
        ntk::kernel::kernels(&net, x0.as_ref(), Some(xs.as_ref()), &Default::default()).unwrap();
    for i in 0..31 {
        assert_eq!(p.analytic[0].values[i], k.ntk.as_ref().unwrap()[(0, i)]);
    }
    // wide curves are closer to the limit than narrow ones, before and after training
    let dist = |w: usize, trained: bool| -> f64 {
        let cs: Vec<_> = p.curves.iter().filter(|c| c.width == w).collect();
        cs.iter()
            .map(|c| {
                let v = if trained {
                    c.trained.as_ref().unwrap()
                } else {
                    &c.init
                };
                v.iter()
                    .zip(&p.analytic[0].values)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f64::max)
            })
            .sum::<f64>()
            / cs.len() as f64
    };
    assert!(dist(512, false) < dist(32, false));
    assert!(dist(512, true) < dist(32, true));
    for c in &p.curves {
        let (l0, l1) = c.loss.unwrap();
        assert!(l1 < l0, "training lowers the loss");
    }
    // deterministic
    let mut q = kernel_profile(&net, &ProfileConfig { threads: 1, ..cfg }, None).unwrap();
    q.config.threads = 2;
    assert_eq!(p, q);
    assert!(p.learning_rate > 0.0 && p.learning_rate <= 1.0);
}

#[test]
fn validation() {
    let net = Network::mlp(Activation::Relu, 1, 1.0, 0.0).unwrap();
    let x = circle(4);
    for (widths, seeds) in [(vec![], 2), (vec![0, 4], 2), (vec![4, 4], 2), (vec![4], 0)] {
        let cfg = SweepConfig {
            widths,
            seeds,
            seed: 0,
            threads: 1,
        };
        let e = width_sweep(&net, x.as_ref(), "c", &cfg, None).unwrap_err();
        assert!(e.is_usage(), "{e}");
    }
    let mut bad = circle(4);
    bad[(2, 1)] = f64::INFINITY;
    assert!(width_sweep(&net, bad.as_ref(), "c", &SweepConfig::new(vec![4], 1), None).is_err());
    let zero = Network::mlp(Activation::Relu, 1, 0.0, 0.0).unwrap();
    let e = width_sweep(&zero, x.as_ref(), "c", &SweepConfig::new(vec![4], 1), None).unwrap_err();
    assert!(e.to_string().contains("zero"), "{e}");
    let e = kernel_profile(
        &net,
        &ProfileConfig {
            learning_rate: Some(-1.0),
            ..ProfileConfig::scaled(vec![8], 1)
        },
        None,
    )
    .unwrap_err();
    assert!(e.to_string().contains("learning_rate"), "{e}");
    let huge = SweepConfig {
        widths: vec![1 << 22],
        seeds: 1,
        seed: 0,
        threads: 1,
    };
    let deep = Network::mlp(Activation::Relu, 3, 1.0, 0.0).unwrap();
    let e = width_sweep(&deep, x.as_ref(), "c", &huge, None).unwrap_err();
    assert!(matches!(e, ntk::Error::Memory(_)), "{e}");
}
