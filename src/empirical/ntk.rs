//! The empirical NTK and NNGP of a finite MLP, without materializing a Jacobian.
//!
//! For a Dense layer `z_l = s_l h_{l-1} W_l + beta_l b_l`, `df/dW_l = s_l h_{l-1}^T D_l` is an
//! outer product of the layer input and the backpropagated signal `D_l = df/dz_l`, so the sum
//! over that layer's parameters of `df(x)/dp df(x')/dp` factorizes. With `H_l` (`n x n_l`) the
//! hidden activations of all points and `D_l` their signals:
//!
//! ```text
//! Theta = sum_{l=1}^{L+1} (D_l D_l'^T) o (s_l^2 H_{l-1} H_{l-1}'^T + beta_l^2 [bias])
//! D_{L+1} = 1 (per logit),   D_l = s_{l+1} (D_{l+1} W_{l+1}^T) o phi'(Z_l)
//! NNGP    = (w_std^2 / n_L) H_L H_L'^T + b_std^2 [bias]
//! ```
//!
//! NTK parameterization: `s_l = w_std / sqrt(n_{l-1})`, `beta_l = b_std`; standard:
//! `s_l = 1`, `beta_l = 1` (a zero-initialised bias still contributes 1). With `k` logits,
//! `D_l D_l'^T` is replaced by `(1/k) sum_j D_l^(j) D_l'^(j)T`: the logit-averaged kernel
//! (neural-tangents' `trace_axes=(-1,)`). Every product is a faer GEMM (lower triangle only
//! when `X2 = X1`); memory is `O(n^2 + n sum_l n_l)`, never `O(n * params)`.

use super::{Mlp, check_input, check_memory, mlp::Cache, with_threads};
use crate::Result;
use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::{Accum, Mat, MatRef, Par};

/// Empirical kernels of a finite network, `n1 x n2`.
#[derive(Clone, Debug, PartialEq)]
pub struct EmpiricalKernels {
    /// The empirical NTK `sum_p df(x)/dp df(x')/dp` (logit-averaged for `k > 1`).
    pub ntk: Mat<f64>,
    /// The empirical NNGP `(w_std^2 / n_L) h_L(x) . h_L(x') + b_std^2`.
    pub nngp: Mat<f64>,
}

/// The empirical NTK and NNGP of `mlp` between the rows of `x1` and of `x2` (`None`: `x1` with
/// itself, exactly symmetric), with `threads` workers (0 = all cores; results do not depend on
/// it).
///
/// # Errors
/// [`crate::Error::Shape`]/[`crate::Error::Data`] for mis-shaped, empty or non-finite inputs;
/// [`crate::Error::Memory`] if the work arrays would exceed 75% of physical memory.
///
/// ```
/// use ntk::{empirical::{self, Mlp, Widths}, Activation, Network};
/// let net = Network::mlp(Activation::Relu, 2, 1.5, 0.1)?;
/// let mlp = Mlp::init(&net, 3, &Widths::Uniform(64), 0)?;
/// let x = faer::Mat::from_fn(4, 3, |i, j| ((i + 2 * j) % 5) as f64 / 5.0);
/// let k = empirical::ntk(&mlp, x.as_ref(), None, 1)?;
/// assert_eq!(k.ntk[(0, 3)], k.ntk[(3, 0)]);
/// // the readout layer alone contributes the NNGP, so Theta >= NNGP on the diagonal
/// assert!(k.ntk[(1, 1)] >= k.nngp[(1, 1)]);
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn ntk(
    mlp: &Mlp,
    x1: MatRef<'_, f64>,
    x2: Option<MatRef<'_, f64>>,
    threads: usize,
) -> Result<EmpiricalKernels> {
    let d = mlp.input_dim();
    check_input("x1", x1, d)?;
    if let Some(x2) = x2 {
        check_input("x2", x2, d)?;
    }
    let n1 = x1.nrows() as f64;
    let n2 = x2.map_or(n1, |x| x.nrows() as f64);
    let widths: f64 = mlp.hidden_widths().iter().map(|&w| w as f64).sum();
    let max_w = mlp.hidden_widths().iter().copied().max().unwrap_or(0) as f64;
    let k = mlp.output_dim() as f64;
    let bytes = 8.0 * ((n1 + n2) * (2.0 * widths + 2.0 * k * max_w) + 5.0 * n1 * n2);
    check_memory(bytes, || {
        format!(
            "the empirical NTK of {n1} x {n2} points at widths {:?}",
            mlp.hidden_widths()
        )
    })?;
    with_threads(threads, |par| compute(mlp, x1, x2, par))
}

/// The kernels with a given parallelism (inputs already validated).
pub(crate) fn compute(
    mlp: &Mlp,
    x1: MatRef<'_, f64>,
    x2: Option<MatRef<'_, f64>>,
    par: Par,
) -> EmpiricalKernels {
    let net = mlp.network();
    let depth = mlp.layers().len() - 1;
    let k = mlp.output_dim();
    let c1 = mlp.propagate(x1, true, par);
    let c2 = x2.map(|x2| mlp.propagate(x2, true, par));
    let sym = x2.is_none();
    let (n1, n2) = (x1.nrows(), x2.map_or(x1.nrows(), |x| x.nrows()));

    // readout: its NTK term and the NNGP share the Gram of the last hidden layer
    let g = gram(c1.input(x1, depth), side2(x2, c2.as_ref(), depth), par);
    let n_l = mlp.layers()[depth].fan_in() as f64;
    let (cw, cb) = (net.w_std * net.w_std / n_l, net.b() * net.b());
    let (s, beta) = mlp.scales(depth);
    let mut nngp = Mat::zeros(n1, n2);
    let mut theta = Mat::zeros(n1, n2);
    for j in 0..n2 {
        let lo = if sym { j } else { 0 };
        let (gc, kc, tc) = (
            g.col_as_slice(j),
            nngp.col_as_slice_mut(j),
            theta.col_as_slice_mut(j),
        );
        for i in lo..n1 {
            kc[i] = cw * gc[i] + cb;
            tc[i] = s * s * gc[i] + beta * beta;
        }
    }
    drop(g);

    if depth > 0 {
        // D for z_L, per logit: s_{L+1} phi'(z_L) o W_{L+1}[:, j]^T
        let top = |c: &Cache| -> Vec<Mat<f64>> {
            let w = mlp.layers()[depth].w();
            let dp = &c.dphi[depth - 1];
            (0..k)
                .map(|j| Mat::from_fn(dp.nrows(), dp.ncols(), |i, u| s * w[(u, j)] * dp[(i, u)]))
                .collect()
        };
        let mut d1 = top(&c1);
        let mut d2 = c2.as_ref().map(top);
        for m in (0..depth).rev() {
            // d1, d2 = D for z_{m+1}: dense layer m's contribution
            let mut gd = Mat::zeros(n1, n2);
            for j in 0..k {
                gram_into(
                    gd.as_mut(),
                    d1[j].as_ref(),
                    d2.as_ref().map(|d| d[j].as_ref()),
                    j > 0,
                    par,
                );
            }
            let gh = gram(c1.input(x1, m), side2(x2, c2.as_ref(), m), par);
            let (s, beta) = mlp.scales(m);
            let (s2, b2, inv_k) = (s * s, beta * beta, 1.0 / k as f64);
            for j in 0..n2 {
                let lo = if sym { j } else { 0 };
                let (dc, hc, tc) = (
                    gd.col_as_slice(j),
                    gh.col_as_slice(j),
                    theta.col_as_slice_mut(j),
                );
                for i in lo..n1 {
                    let dd = if k == 1 { dc[i] } else { dc[i] * inv_k };
                    tc[i] += dd * (s2 * hc[i] + b2);
                }
            }
            if m > 0 {
                d1 = d1
                    .iter()
                    .map(|d| mlp.backprop(m, d.as_ref(), &c1, par))
                    .collect();
                if let (Some(d2), Some(c2)) = (d2.as_mut(), c2.as_ref()) {
                    *d2 = d2
                        .iter()
                        .map(|d| mlp.backprop(m, d.as_ref(), c2, par))
                        .collect();
                }
            }
        }
    }
    if sym {
        mirror_lower(&mut theta);
        mirror_lower(&mut nngp);
    }
    EmpiricalKernels { ntk: theta, nngp }
}

/// The input of Dense layer `m` for the second point set, if there is one.
fn side2<'a>(
    x2: Option<MatRef<'a, f64>>,
    c2: Option<&'a Cache>,
    m: usize,
) -> Option<MatRef<'a, f64>> {
    match (x2, c2) {
        (Some(x2), Some(c2)) => Some(c2.input(x2, m)),
        _ => None,
    }
}

/// `A B^T` (or the lower triangle of `A A^T` when `b` is `None`).
fn gram(a: MatRef<'_, f64>, b: Option<MatRef<'_, f64>>, par: Par) -> Mat<f64> {
    let n2 = b.map_or(a.nrows(), |b| b.nrows());
    let mut g = Mat::zeros(a.nrows(), n2);
    gram_into(g.as_mut(), a, b, false, par);
    g
}

/// `dst (+)= A B^T`; lower triangle only of `A A^T` when `b` is `None`.
fn gram_into(
    dst: faer::MatMut<'_, f64>,
    a: MatRef<'_, f64>,
    b: Option<MatRef<'_, f64>>,
    add: bool,
    par: Par,
) {
    let acc = if add { Accum::Add } else { Accum::Replace };
    match b {
        Some(b) => matmul(dst, acc, a, b.transpose(), 1.0, par),
        None => triangular::matmul(
            dst,
            BlockStructure::TriangularLower,
            acc,
            a,
            BlockStructure::Rectangular,
            a.transpose(),
            BlockStructure::Rectangular,
            1.0,
            par,
        ),
    }
}

/// Copy the lower triangle onto the upper one.
fn mirror_lower(m: &mut Mat<f64>) {
    for j in 0..m.ncols() {
        for i in 0..j {
            m[(i, j)] = m[(j, i)];
        }
    }
}
