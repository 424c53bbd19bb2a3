//! The kernel prediction against real gradient-descent training (seeded, small): a wide ReLU
//! network tracks the predicted test outputs (from its own initial outputs) far closer than
//! a narrow one.

use faer::Mat;
use ntk::dynamics::compare::{CompareConfig, compare};
use ntk::dynamics::{FlowOptions, GradientFlow, Loss};
use ntk::rng::Rng;
use ntk::{Activation, Network, kernel};

fn data(n: usize, m: usize, d: usize, seed: u64) -> (Mat<f64>, Mat<f64>, Mat<f64>, Mat<f64>) {
    let mut rng = Rng::new(seed);
    let x = Mat::from_fn(n, d, |_, _| rng.normal());
    let xt = Mat::from_fn(m, d, |_, _| rng.normal());
    let w = [1.0, 0.5, -0.25];
    let f = |x: &Mat<f64>, i: usize| (0..d).map(|j| x[(i, j)] * w[j % 3]).sum::<f64>().sin();
    let y = Mat::from_fn(n, 1, |i, _| f(&x, i));
    let yt = Mat::from_fn(m, 1, |i, _| f(&xt, i));
    (x, y, xt, yt)
}

#[test]
fn wide_networks_track_the_prediction_narrow_ones_do_not() {
    let (x, y, xt, yt) = data(20, 10, 3, 42);
    let net = Network::mlp(Activation::Relu, 1, 1.5, 0.1).unwrap();
    let opts = kernel::KernelOptions {
        threads: 1,
        ..Default::default()
    };
    let k = kernel::kernels(&net, x.as_ref(), None, &opts).unwrap();
    let kt = kernel::kernels(&net, xt.as_ref(), Some(x.as_ref()), &opts).unwrap();
    let ntk = k.ntk.unwrap();
    let ntk_t = kt.ntk.unwrap();
    let probe = GradientFlow::new(ntk.as_ref(), y.as_ref(), &FlowOptions::default()).unwrap();
    let lr = 0.5 * probe.max_learning_rate().unwrap();
    let flow = GradientFlow::new(
        ntk.as_ref(),
        y.as_ref(),
        &FlowOptions {
            learning_rate: lr,
            loss: Loss::Sum,
            threads: 1,
            ..Default::default()
        },
    )
    .unwrap();
    let cfg = CompareConfig {
        net: &net,
        x_train: x.as_ref(),
        x_test: xt.as_ref(),
        k_test_train: ntk_t.as_ref(),
        y_test: Some(yt.as_ref()),
        steps: vec![0, 10, 100, 1000],
        widths: vec![32, 2048],
        seeds: 3,
        seed: 0,
        threads: 1,
    };
    let c = compare(&flow, &cfg).unwrap();
    for s in &c.summary {
        println!(
            "width {:5}: test deviation (rms over seeds of max over steps) {:.4e}, relative {:.4e}, NTK change {:.3e}",
            s.width,
            s.deviation_test,
            s.relative_deviation_test,
            s.ntk_change.unwrap_or(f64::NAN)
        );
    }
    let (narrow, wide) = (&c.summary[0], &c.summary[1]);
    assert!(
        wide.deviation_test < 0.3 * narrow.deviation_test,
        "{wide:?} vs {narrow:?}"
    );
    assert!(wide.relative_deviation_test < 0.05, "{wide:?}");
    // training did something, and the predicted loss follows it for the wide nets
    for r in c.runs.iter().filter(|r| r.width == 2048) {
        assert_eq!(r.deviation_test[0], 0.0);
        let last = r.loss_train.len() - 1;
        assert!(r.loss_train[last] < 0.1 * r.loss_train[0]);
        let rel = (r.loss_train[last] - r.predicted_loss_train[last]).abs() / r.loss_train[0];
        assert!(
            rel < 0.02,
            "final train loss {} vs predicted {}",
            r.loss_train[last],
            r.predicted_loss_train[last]
        );
    }
}
