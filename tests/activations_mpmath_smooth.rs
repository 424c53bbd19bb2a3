//! The smooth activations (tanh, softplus, SiLU, sigmoid; Hermite-series method) against
//! 40-digit references computed independently of that method (2-D trapezoidal rule in mpmath,
//! tests/data/activations_smooth_mpmath.py -> tests/data/activations_smooth_mpmath.json):
//! rho = 1/2, rho = 0 exactly, unequal norms of both signs, tiny (1e-6) and large variances
//! (6; tanh 12, the others 40), rho = +-1 exactly with equal and unequal norms, near +1
//! (theta = 1e-7; 1e-6 with unequal norms), near -1; and a depth-3 network's NNGP and NTK.
//!
//! The bound is the 1e-12, relative: T relative to sqrt(T11 T22) and, where
//! |T| >= 1e-3 sqrt(T11 T22), to |T| itself; Tdot, the variance map and s' relative to
//! themselves (s' except at exact duplicates, where it is 0 and must be 0). The deep case's
//! NNGP and NTK entries relative to themselves.

use ntk::kernel::{KernelOptions, kernels};
use ntk::{Activation, Network};
use serde_json::Value;

const BOUND: f64 = 1e-12;

fn num(v: &Value) -> f64 {
    match v {
        Value::String(s) => s.parse().unwrap(),
        v => v.as_f64().unwrap(),
    }
}

fn reference() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/activations_smooth_mpmath.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_references_are_converged() {
    // the generator's own check: a 1.25x coarser step changes no value by more than this
    let r = reference();
    let chk = r["meta"]["step_check"].as_f64().unwrap();
    assert!(chk < 1e-30, "{chk:e}");
}

#[test]
fn smooth_duals_match_40_digit_references_to_1e12() {
    let r = reference();
    let cases = r["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4 * 15, "every activation at every corner");
    let mut worst: std::collections::BTreeMap<String, [f64; 4]> = Default::default();
    let mut failures = Vec::new();
    for case in cases {
        let act = Activation::parse(case["activation"].as_str().unwrap()).unwrap();
        let (q1, q2, c, s) = (
            num(&case["q1"]),
            num(&case["q2"]),
            num(&case["c"]),
            num(&case["s"]),
        );
        let (t, td, sn) = (num(&case["t"]), num(&case["tdot"]), num(&case["s_new"]));
        let (t11, t22) = (num(&case["t11"]), num(&case["t22"]));
        let sq = t11.sqrt() * t22.sqrt();
        let d = act.dual(q1, q2, c, s);
        let e_t = if t.abs() >= 1e-3 * sq {
            (d.t - t).abs() / t.abs()
        } else {
            (d.t - t).abs() / sq
        };
        let e_td = (d.tdot / td - 1.0).abs();
        let e_s = if sn == 0.0 {
            if d.s == 0.0 { 0.0 } else { f64::INFINITY }
        } else {
            (d.s / sn - 1.0).abs()
        };
        let e_v = (act.var(q1) / t11 - 1.0)
            .abs()
            .max((act.var(q2) / t22 - 1.0).abs());
        let at = format!("{act} ({q1}, {q2}, {c}, {s})");
        if e_t.max(e_td).max(e_s).max(e_v) > 1e-13 {
            println!("{at}: T {e_t:.1e} Tdot {e_td:.1e} s' {e_s:.1e} var {e_v:.1e}");
        }
        for (name, e, got, want) in [
            ("T", e_t, d.t, t),
            ("Tdot", e_td, d.tdot, td),
            ("s'", e_s, d.s, sn),
            ("var", e_v, act.var(q1), t11),
        ] {
            if e.is_nan() || e > BOUND {
                failures.push(format!("{at}: {name} {got:e} vs {want:e}: {e:.1e}"));
            }
        }
        let w = worst.entry(act.to_string()).or_default();
        for (k, e) in [e_t, e_td, e_s, e_v].into_iter().enumerate() {
            w[k] = w[k].max(e);
        }
    }
    for (a, w) in &worst {
        println!(
            "{a:9}: T {:.1e}  Tdot {:.1e}  s' {:.1e}  var {:.1e}",
            w[0], w[1], w[2], w[3]
        );
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn deep_smooth_kernels_match_40_digit_references_to_1e12() {
    let r = reference();
    let deep = r["deep"].as_array().unwrap();
    assert_eq!(deep.len(), 4);
    for case in deep {
        let act = Activation::parse(case["activation"].as_str().unwrap()).unwrap();
        let rows: Vec<Vec<f64>> = case["x"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_array().unwrap().iter().map(num).collect())
            .collect();
        let x = faer::Mat::from_fn(rows.len(), rows[0].len(), |i, j| rows[i][j]);
        let net = Network::mlp(
            act,
            case["depth"].as_u64().unwrap() as usize,
            num(&case["W_std"]),
            num(&case["b_std"]),
        )
        .unwrap();
        for threads in [1, 2] {
            let opts = KernelOptions {
                threads,
                tile: 1,
                ..Default::default()
            };
            let k = kernels(&net, x.as_ref(), None, &opts).unwrap();
            let mut e = [0.0f64; 2];
            for (m, (got, name)) in [(&k.nngp, "nngp"), (k.ntk.as_ref().unwrap(), "ntk")]
                .into_iter()
                .enumerate()
            {
                for i in 0..2 {
                    for j in 0..2 {
                        let want = num(&case[name][i][j]);
                        e[m] = e[m].max((got[(i, j)] / want - 1.0).abs());
                    }
                }
            }
            println!("{act:9} depth 3: nngp {:.1e}  ntk {:.1e}", e[0], e[1]);
            assert!(e[0] <= BOUND && e[1] <= BOUND, "{act}: {e:?}");
        }
    }
}
