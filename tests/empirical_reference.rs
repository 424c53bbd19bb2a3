//! The empirical NTK of neural-tangents' stored network (tests/data/reference.json,
//! `empirical_ntk`): load its parameters, reproduce `f_x` and the NTK to 1e-12 (normwise).

mod common;

use common::{mat, reference, rel_err};
use ntk::empirical::{self, Mlp};
use ntk::{Activation, Network};

fn setup() -> (Mlp, faer::Mat<f64>, serde_json::Value) {
    let r = reference();
    let e = r["empirical_ntk"].clone();
    let net = Network::mlp(
        Activation::Relu,
        2,
        e["W_std"].as_f64().unwrap(),
        e["b_std"].as_f64().unwrap(),
    )
    .unwrap();
    let mlp = Mlp::from_params_value(&net, &e["params"]).unwrap();
    let x = mat(&e["x_values"]);
    (mlp, x, e)
}

#[test]
fn reproduces_reference_outputs_and_ntk() {
    let (mlp, x, e) = setup();
    assert_eq!(mlp.hidden_widths(), vec![64, 64]);
    assert_eq!(mlp.n_params() as u64, e["n_params"].as_u64().unwrap());
    let f = mlp.forward(x.as_ref()).unwrap();
    let f_ref = faer::Mat::from_fn(4, 1, |i, _| e["f_x"][i].as_f64().unwrap());
    let ef = rel_err(f.as_ref(), f_ref.as_ref());
    let k = empirical::ntk(&mlp, x.as_ref(), None, 1).unwrap();
    let k_ref = mat(&e["empirical_ntk"]);
    let ek = rel_err(k.ntk.as_ref(), k_ref.as_ref());
    eprintln!("reference: f_x rel err {ef:.2e}, empirical NTK rel err {ek:.2e}");
    assert!(ef <= 1e-12, "f_x rel err {ef:e}");
    assert!(ek <= 1e-12, "ntk rel err {ek:e}");
    // the cross kernel path and the parallel path agree too
    let kc = empirical::ntk(&mlp, x.as_ref(), Some(x.as_ref()), 2).unwrap();
    assert!(rel_err(kc.ntk.as_ref(), k_ref.as_ref()) <= 1e-12);
}

#[test]
fn params_roundtrip_exactly() {
    let (mlp, _, e) = setup();
    let back = Mlp::from_params_json(mlp.network(), &mlp.to_params_json().to_string()).unwrap();
    assert_eq!(back, mlp);
    // the written layout is the reference's: same entries, same numbers
    let written = mlp.to_params_json();
    let orig = e["params"].as_array().unwrap();
    let w = written.as_array().unwrap();
    assert_eq!(w.len(), orig.len());
    for (a, b) in w.iter().zip(orig) {
        if b.is_null() {
            assert!(a.is_null());
        } else {
            assert_eq!(a["W"], b["W"]);
            assert_eq!(a["b"], b["b"]);
            assert_eq!(a["W_shape"], b["W_shape"]);
            assert_eq!(a["b_shape"], b["b_shape"]);
        }
    }
}

#[test]
fn params_errors_name_the_problem() {
    let (mlp, _, e) = setup();
    // wrong depth
    let deeper = Network::mlp(Activation::Relu, 3, 1.5, 0.1).unwrap();
    let err = Mlp::from_params_value(&deeper, &e["params"]).unwrap_err();
    assert!(err.to_string().contains("depth"), "{err}");
    // bias mismatch
    let nobias = Network::mlp(Activation::Relu, 2, 1.5, 0.1)
        .unwrap()
        .without_bias();
    let err = Mlp::from_params_value(&nobias, &e["params"]).unwrap_err();
    assert!(err.to_string().contains("bias"), "{err}");
    // malformed
    let net = mlp.network().clone();
    for bad in [
        "{",
        "3",
        r#"[{"layer":"Dense"}]"#,
        r#"[{"layer":"Dense","W":[[1,2],[3]]}]"#,
        r#"[{"layer":"Conv","W":[[1]]}]"#,
        r#"[{"layer":"Dense","W":[[1e999]]}]"#,
    ] {
        assert!(Mlp::from_params_json(&net, bad).is_err(), "{bad}");
    }
    let mut v = e["params"].clone();
    v[0]["W_shape"] = serde_json::json!([4, 64]);
    let err = Mlp::from_params_value(&net, &v).unwrap_err();
    assert!(err.to_string().contains("W_shape"), "{err}");
}
