//! The SELU dual against the neural-tangents / semi-analytic SELU references in
//! `tests/data/reference.json` (`selu_cases`), through a small direct NNGP/NTK recursion
//! written here (independent of the crate's kernel module):
//!
//! ```text
//! Sigma0 = x . x' / d, Theta0 = 0
//! Dense:      Sigma <- w^2 Sigma + b^2,  Theta <- Sigma_new + w^2 Theta
//! activation: Sigma <- T(q1, q2, Sigma), Theta <- Theta Tdot, q <- T(q, q, q)
//! ```
//!
//! `depth` (Dense, SELU) pairs and a readout Dense; normwise relative error
//! max |got - ref| / max |ref| <= 1e-11 for both kernels.

use ntk::activation::selu;
use serde_json::Value;

fn matrix(v: &Value) -> Vec<Vec<f64>> {
    v.as_array()
        .expect("matrix")
        .iter()
        .map(|row| {
            row.as_array()
                .expect("row")
                .iter()
                .map(|x| x.as_f64().expect("number"))
                .collect()
        })
        .collect()
}

/// One kernel entry's state: the two variances, the covariance and its sine part, and the NTK.
#[derive(Clone, Copy)]
struct Entry {
    q1: f64,
    q2: f64,
    c: f64,
    s: f64,
    theta: f64,
}

impl Entry {
    fn dense(self, w: f64, b: f64) -> Entry {
        let (w2, b2) = (w * w, b * b);
        let (q1, q2, c) = (w2 * self.q1 + b2, w2 * self.q2 + b2, w2 * self.c + b2);
        // s^2 of the new covariance = w^4 s^2 + w^2 b^2 (q1 + q2 - 2c): no cancellation
        let gap = (self.q1 + self.q2 - 2.0 * self.c).max(0.0);
        let s = (w2 * w2 * self.s * self.s + w2 * b2 * gap).sqrt();
        Entry {
            q1,
            q2,
            c,
            s,
            theta: c + w2 * self.theta,
        }
    }

    fn selu(self) -> Entry {
        let d = selu::dual(self.q1, self.q2, self.c, self.s);
        let q1 = selu::dual(self.q1, self.q1, self.q1, 0.0).t;
        let q2 = selu::dual(self.q2, self.q2, self.q2, 0.0).t;
        Entry {
            q1,
            q2,
            c: d.t,
            s: d.s,
            theta: self.theta * d.tdot,
        }
    }
}

fn rel_err(got: &[Vec<f64>], want: &[Vec<f64>]) -> f64 {
    let mut num = 0.0f64;
    let mut den = 0.0f64;
    for (g, w) in got.iter().zip(want) {
        for (a, b) in g.iter().zip(w) {
            num = num.max((a - b).abs());
            den = den.max(b.abs());
        }
    }
    num / den
}

#[test]
fn selu_kernels_match_references() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/reference.json"
    ))
    .expect("tests/data/reference.json");
    let refs: Value = serde_json::from_str(&text).expect("valid JSON");
    let inputs = &refs["inputs"];
    let cases = refs["selu_cases"].as_array().expect("selu_cases");
    assert!(!cases.is_empty());
    for case in cases {
        let id = case["id"].as_str().expect("id");
        assert_eq!(case["parameterization"].as_str(), Some("ntk"), "{id}");
        assert_eq!(case["alpha"].as_f64(), Some(selu::ALPHA), "{id}");
        assert_eq!(case["lambda"].as_f64(), Some(selu::LAMBDA), "{id}");
        let depth = case["depth"].as_u64().expect("depth");
        let w = case["W_std"].as_f64().expect("W_std");
        let b = case["b_std"].as_f64().unwrap_or(0.0);
        let x1 = matrix(&inputs[case["x1"].as_str().expect("x1")]);
        let same = case["x2"].is_null();
        let x2 = if same {
            x1.clone()
        } else {
            matrix(&inputs[case["x2"].as_str().expect("x2")])
        };
        let d = x1[0].len() as f64;
        let dot = |u: &[f64], v: &[f64]| u.iter().zip(v).map(|(a, b)| a * b).sum::<f64>() / d;

        let mut nngp = vec![vec![0.0; x2.len()]; x1.len()];
        let mut ntk = nngp.clone();
        for (i, u) in x1.iter().enumerate() {
            for (j, v) in x2.iter().enumerate() {
                let (q1, q2, c) = (dot(u, u), dot(v, v), dot(u, v));
                let s = if same && i == j {
                    0.0
                } else {
                    (q1 * q2 - c * c).max(0.0).sqrt()
                };
                let mut e = Entry {
                    q1,
                    q2,
                    c,
                    s,
                    theta: 0.0,
                };
                for _ in 0..depth {
                    e = e.dense(w, b).selu();
                }
                e = e.dense(w, b);
                nngp[i][j] = e.c;
                ntk[i][j] = e.theta;
            }
        }
        let (en, et) = (
            rel_err(&nngp, &matrix(&case["nngp"])),
            rel_err(&ntk, &matrix(&case["ntk"])),
        );
        println!("{id}: nngp rel. error {en:.2e}, ntk rel. error {et:.2e}");
        assert!(en <= 1e-11, "{id}: nngp relative error {en:e}");
        assert!(et <= 1e-11, "{id}: ntk relative error {et:e}");
    }
}
