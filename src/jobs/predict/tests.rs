//! Unit tests of `predict.rs` (moved out of the file to keep it readable).

use super::*;
use crate::Activation;

fn data() -> (Network, Mat<f64>, Mat<f64>, Mat<f64>) {
    let net = Network::mlp(Activation::Relu, 2, 1.5, 0.1).unwrap();
    let x = Mat::from_fn(6, 3, |i, j| ((i * 3 + j) as f64 * 0.7).sin());
    let xt = Mat::from_fn(2, 3, |i, j| ((i + 2 * j) as f64 * 0.3).cos());
    let y = Mat::from_fn(6, 1, |i, _| (i as f64).cos());
    (net, x, xt, y)
}

#[test]
fn network_and_given_kernels_give_the_same_report() {
    let (net, x, xt, y) = data();
    let src = KernelSource::Network {
        net: &net,
        x_train: x.as_ref(),
        x_test: Some(xt.as_ref()),
    };
    let mut job = PredictJob::new(src, y.as_ref());
    job.ensemble = true;
    job.steps = vec![3];
    let a = run(&job).unwrap();
    let c = a.computed.as_ref().unwrap();
    let mut given = job.clone();
    given.kernels = KernelSource::Given(c.as_set());
    let b = run(&given).unwrap();
    assert!(b.computed.is_none());
    let (ja, jb) = (
        crate::dynamics::report::to_json(a.report()).unwrap(),
        crate::dynamics::report::to_json(b.report()).unwrap(),
    );
    assert_eq!(ja, jb);
    // the computed kernels are the library's
    let k = kernel::kernels(
        &net,
        xt.as_ref(),
        Some(x.as_ref()),
        &KernelOptions::default(),
    )
    .unwrap();
    assert_eq!(c.ntk_test_train.as_ref().unwrap(), k.ntk.as_ref().unwrap());
}

#[test]
fn invalid_requests_are_usage_errors() {
    let (net, x, xt, y) = data();
    let k = Mat::<f64>::identity(6, 6);
    let given = KernelSource::Given(KernelSet {
        ntk_train: Some(k.as_ref()),
        ..Default::default()
    });
    let mut job = PredictJob::new(given, y.as_ref());
    job.times.clear();
    assert!(run(&job).unwrap_err().is_usage());
    let mut job = PredictJob::new(given, y.as_ref());
    job.steps = vec![1];
    job.check = Some(CheckOptions {
        widths: vec![8],
        seeds: 1,
        seed: 0,
    });
    let e = run(&job).unwrap_err();
    assert!(e.is_usage() && e.to_string().contains("network"), "{e}");
    let wide = Mat::<f64>::zeros(2, 4);
    let src = KernelSource::Network {
        net: &net,
        x_train: x.as_ref(),
        x_test: Some(wide.as_ref()),
    };
    assert!(matches!(
        run(&PredictJob::new(src, y.as_ref())).unwrap_err(),
        Error::Shape(_)
    ));
    let src = KernelSource::Network {
        net: &net,
        x_train: x.as_ref(),
        x_test: Some(xt.as_ref()),
    };
    let mut job = PredictJob::new(src, y.as_ref());
    let yt = Mat::<f64>::zeros(3, 1);
    job.y_test = Some(yt.as_ref());
    assert!(matches!(run(&job).unwrap_err(), Error::Shape(_)));
}

#[test]
fn stage_errors_keep_their_kind() {
    let e = Error::param("x", "bad").in_stage("training the finite networks");
    assert!(e.is_usage());
    assert_eq!(
        e.to_string(),
        "training the finite networks: invalid parameter `x`: bad"
    );
}
