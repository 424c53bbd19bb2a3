//! The Hermite-series duals (tanh, softplus, SiLU, sigmoid) against an independent brute-force
//! 2-D quadrature (composite 20-point Gauss–Legendre in both variables on [-10, 10], panels of
//! width <= 0.25 / max(1, sqrt q): phi's poles are >= pi / (2 sqrt q) off the real axis, so the
//! rule is exact to rounding, ~1e-15): T relative to sqrt(T11 T22) and Tdot relative, both
//! <= 1e-13, at variances 1e-6, 1 and 4 and correlations -0.95, 0.3, 0.99; and the sine part
//! near rho = +1 against its first-order form.

use ntk::Activation;

/// n-point Gauss–Legendre on [-1, 1] by Newton's method on P_n.
fn gauss_legendre(n: usize) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
        let mut dp = 1.0;
        for _ in 0..100 {
            let (mut p0, mut p1) = (1.0, x);
            for k in 2..=n {
                let k = k as f64;
                (p0, p1) = (p1, ((2.0 * k - 1.0) * x * p1 - (k - 1.0) * p0) / k);
            }
            dp = n as f64 * (x * p1 - p0) / (x * x - 1.0);
            let dx = p1 / dp;
            x -= dx;
            if dx.abs() < 1e-16 {
                break;
            }
        }
        out.push((x, 2.0 / ((1.0 - x * x) * dp * dp)));
    }
    out
}

/// Composite nodes and weights (times the normal density) on [-10, 10].
fn nodes(width: f64, gl: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let panels = (20.0 / width).ceil() as usize;
    let h = 20.0 / panels as f64;
    let mut out = vec![];
    for p in 0..panels {
        let c = -10.0 + (p as f64 + 0.5) * h;
        for &(x, w) in gl {
            let t = c + 0.5 * h * x;
            out.push((
                t,
                0.5 * h * w * (-0.5 * t * t).exp() / (2.0 * std::f64::consts::PI).sqrt(),
            ));
        }
    }
    out
}

fn brute(act: Activation, q1: f64, q2: f64, rho: f64) -> (f64, f64) {
    let gl = gauss_legendre(20);
    let (a, b) = (q1.sqrt(), q2.sqrt());
    let r = ((1.0 - rho) * (1.0 + rho)).sqrt();
    let xs = nodes(0.25 / a.max(b).max(1.0), &gl);
    let zs = nodes(0.25 / (b * r).max(1.0), &gl);
    let (mut t, mut td) = (0.0, 0.0);
    for &(x, wx) in &xs {
        let (mut g, mut gd) = (0.0, 0.0);
        for &(z, wz) in &zs {
            let v = b * (rho * x + r * z);
            g += wz * act.phi(v);
            gd += wz * act.dphi(v);
        }
        t += wx * act.phi(a * x) * g;
        td += wx * act.dphi(a * x) * gd;
    }
    (t, td)
}

#[test]
fn series_duals_match_brute_force_quadrature() {
    let mut worst = [0.0f64; 2];
    for act in [
        Activation::Tanh,
        Activation::Softplus,
        Activation::Silu,
        Activation::Sigmoid,
    ] {
        for &(q1, q2) in &[(1e-6, 1e-6), (1.0, 1.0), (1.0, 4.0), (4.0, 4.0)] {
            for &rho in &[-0.95, 0.3, 0.99] {
                let rr = f64::sqrt(q1) * f64::sqrt(q2);
                let (c, s) = (rho * rr, rr * ((1.0 - rho) * (1.0 + rho)).sqrt());
                let d = act.dual(q1, q2, c, s);
                let (t, td) = brute(act, q1, q2, rho);
                let sq = act.var(q1).sqrt() * act.var(q2).sqrt();
                let (et, ed) = ((d.t - t).abs() / sq, (d.tdot / td - 1.0).abs());
                println!("{act:9} q ({q1}, {q2}) rho {rho}: T {et:.1e}  Tdot {ed:.1e}");
                assert!(et <= 1e-13, "{act} {q1} {q2} {rho}: T {} vs {t}", d.t);
                assert!(
                    ed <= 1e-13,
                    "{act} {q1} {q2} {rho}: Tdot {} vs {td}",
                    d.tdot
                );
                worst = [worst[0].max(et), worst[1].max(ed)];
            }
        }
    }
    println!("worst: T {:.1e}, Tdot {:.1e}", worst[0], worst[1]);
}

#[test]
fn sine_part_near_one_is_first_order_accurate() {
    // equal variances, small angle theta: sqrt(T11 T22) - T = int_0^theta Tdot(R cos t) R sin t
    // ~ Tdot(R) R theta^2 / 2, so s' ~ theta sqrt(T11 Tdot(R) R) (1 + O(theta))
    for act in [
        Activation::Tanh,
        Activation::Softplus,
        Activation::Silu,
        Activation::Sigmoid,
    ] {
        for &q in &[0.05, 1.0, 3.0] {
            let d1 = act.dual(q, q, q, 0.0);
            for &th in &[1e-9f64, 1e-7] {
                let d = act.dual(q, q, q * th.cos(), q * th.sin());
                let lin = th * (d1.t * d1.tdot * q).sqrt();
                assert!(
                    (d.s / lin - 1.0).abs() < 1e-5 * (th / 1e-7).max(1.0),
                    "{act} {q} {th}: {} vs {lin}",
                    d.s
                );
            }
        }
    }
}
