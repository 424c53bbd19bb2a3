//! Finite networks of every activation family converge to the analytic kernels: the mean
//! relative error of the empirical NTK and NNGP over seeds falls like width^(-1/2)
//! (least-squares slope in log-log between -0.8 and -0.3), widths 16..1024, 8 seeds
//! (measured with widths 64..4096: slopes -0.45..-0.56 for every family).

use ntk::converge::{SweepConfig, width_sweep};
use ntk::{Activation, Network};

#[test]
fn empirical_kernels_converge_at_slope_minus_one_half() {
    let x = ntk::data::Dataset::Circle(5).load().unwrap().x;
    for act in Activation::examples() {
        let net = Network::mlp(act, 2, 1.2, 0.1).unwrap();
        let cfg = SweepConfig {
            widths: vec![16, 64, 256, 1024],
            seeds: 8,
            seed: 7,
            threads: 2,
        };
        let r = width_sweep(&net, x.as_ref(), "circle:5", &cfg, None).unwrap();
        let (ntk, nngp) = (r.ntk_slope.unwrap(), r.nngp_slope.unwrap());
        let last = r.widths.last().unwrap();
        println!(
            "{act:18}: ntk slope {ntk:.2}, nngp slope {nngp:.2}; at width 1024 ntk err {:.1e}",
            last.ntk_rel_err_mean
        );
        assert!((-0.8..=-0.3).contains(&ntk), "{act}: NTK slope {ntk}");
        assert!((-0.8..=-0.3).contains(&nngp), "{act}: NNGP slope {nngp}");
        assert!(last.ntk_rel_err_mean < 0.2, "{act}");
    }
}
