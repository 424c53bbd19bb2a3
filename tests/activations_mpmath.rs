//! Activation duals against 40-digit mpmath references (tests/data/activations_mpmath.json,
//! made by tests/data/activations_mpmath.py): GELU, ELU (two alphas), SELU with free
//! constants, tanh, softplus, SiLU, sigmoid at generic, tiny (1e-6) and large variances,
//! rho = +-1 exactly, near +1 (theta = 1e-7, 1e-6 with unequal variances) and near -1.
//! T is measured relative to sqrt(T11 T22), Tdot relative to itself, s' relative to
//! sqrt(T11 T22) and, where s' < 1e-2 sqrt(T11 T22), also relative to itself.

use ntk::Activation;
use serde_json::Value;

fn num(v: &Value) -> f64 {
    match v {
        Value::String(s) => s.parse().unwrap(),
        v => v.as_f64().unwrap(),
    }
}

/// (T / scale, Tdot relative, s' / scale, s' relative) bounds per family: closed forms and the
/// exponential-linear family at the ~1e-15 level, the Hermite-series activations at 1e-13.
fn tolerances(act: Activation) -> (f64, f64, f64, f64) {
    if act.is_series() {
        (1e-13, 1e-13, 1e-13, 1e-11)
    } else {
        (4e-15, 4e-15, 1e-14, 1e-12)
    }
}

#[test]
fn duals_match_40_digit_references() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/activations_mpmath.json");
    let r: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = r["cases"].as_array().unwrap();
    assert!(cases.len() >= 40, "{}", cases.len());
    let mut worst: std::collections::BTreeMap<String, [f64; 4]> = Default::default();
    let mut failures: Vec<String> = Vec::new();
    for case in cases {
        let act = Activation::parse(case["activation"].as_str().unwrap()).unwrap();
        let (q1, q2, c, s) = (
            num(&case["q1"]),
            num(&case["q2"]),
            num(&case["c"]),
            num(&case["s"]),
        );
        let (t, td, sn) = (num(&case["t"]), num(&case["tdot"]), num(&case["s_new"]));
        let sq = num(&case["t11"]).sqrt() * num(&case["t22"]).sqrt();
        let d = act.dual(q1, q2, c, s);
        let e = [
            (d.t - t).abs() / sq,
            (d.tdot / td - 1.0).abs(),
            (d.s - sn).abs() / sq,
            if sn > 0.0 && sn < 1e-2 * sq {
                (d.s / sn - 1.0).abs()
            } else {
                0.0
            },
        ];
        let (tt, tdt, ts, tsr) = tolerances(act);
        let at = format!("{act} ({q1}, {q2}, {c}, {s})");
        let mut check = |ok: bool, msg: String| {
            if !ok {
                failures.push(msg)
            }
        };
        check(e[0] <= tt, format!("{at}: T {} vs {t}: {:.1e}", d.t, e[0]));
        check(
            e[1] <= tdt,
            format!("{at}: Tdot {} vs {td}: {:.1e}", d.tdot, e[1]),
        );
        check(
            e[2] <= ts,
            format!("{at}: s' {} vs {sn}: {:.1e}", d.s, e[2]),
        );
        check(
            e[3] <= tsr,
            format!("{at}: s' {} vs {sn}: relative {:.1e}", d.s, e[3]),
        );
        // the variance map against its own reference
        let v = act.var(q1);
        assert!(
            (v / num(&case["t11"]) - 1.0).abs() <= tt.max(4e-15),
            "{at}: var"
        );
        let w = worst.entry(act.to_string()).or_default();
        for k in 0..4 {
            w[k] = w[k].max(e[k]);
        }
    }
    for (a, w) in worst {
        println!(
            "{a:14}: T {:.1e}  Tdot {:.1e}  s' {:.1e}  s' relative {:.1e}",
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
