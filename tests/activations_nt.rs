//! The closed-form activations (ReLU, LeakyReLU, Abs, ABReLU, identity, GELU, erf, erf(a,b,c),
//! erf-sigmoid) against neural-tangents 0.6.5 float64 (tests/data/activations_nt.json, made by
//! tests/data/activations_nt.py; inputs without duplicate or antipodal rows): NNGP and NTK of
//! deep networks, normwise relative error <= 1e-9, for 1 and 2 threads.

mod common;

use common::{mat, rel_err};
use ntk::kernel::{KernelOptions, kernels};
use ntk::{Activation, Network};
use serde_json::Value;

#[test]
fn closed_forms_match_neural_tangents() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/activations_nt.json"),
    )
    .unwrap();
    let r: Value = serde_json::from_str(&text).unwrap();
    let x1 = mat(&r["x1"]);
    let x2 = mat(&r["x2"]);
    let mut worst = 0.0f64;
    let cases = r["cases"].as_array().unwrap();
    assert!(cases.len() >= 30);
    for case in cases {
        let act = Activation::parse(case["activation"].as_str().unwrap()).unwrap();
        let depth = case["depth"].as_u64().unwrap() as usize;
        let w = case["W_std"].as_f64().unwrap();
        let mut net = Network::mlp(act, depth, w, case["b_std"].as_f64().unwrap_or(0.0)).unwrap();
        if case["b_std"].is_null() {
            net = net.without_bias();
        }
        let cross = case["x2"].is_string();
        for threads in [1, 2] {
            let opts = KernelOptions {
                threads,
                tile: 3,
                ..Default::default()
            };
            let k = kernels(&net, x1.as_ref(), cross.then(|| x2.as_ref()), &opts).unwrap();
            let e_nngp = rel_err(k.nngp.as_ref(), mat(&case["nngp"]).as_ref());
            let e_ntk = rel_err(k.ntk.as_ref().unwrap().as_ref(), mat(&case["ntk"]).as_ref());
            println!(
                "{:18} depth {depth} cross {cross:5}: nngp {e_nngp:.1e} ntk {e_ntk:.1e}",
                act.to_string()
            );
            assert!(e_nngp <= 1e-9, "{act} {case:?}: NNGP {e_nngp:e}");
            assert!(e_ntk <= 1e-9, "{act}: NTK {e_ntk:e}");
            worst = worst.max(e_nngp).max(e_ntk);
        }
    }
    println!("worst {worst:.1e}");
}
