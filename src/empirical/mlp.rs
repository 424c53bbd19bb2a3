//! A finite fully-connected network: seeded initialization, forward pass and backward pass.
//!
//! Layers `l = 1..L+1` (stored 0-based), `n_0 = d`, `h_0 = x` (rows are points):
//!
//! ```text
//! forward:   z_l = s_l h_{l-1} W_l + beta_l 1 b_l,   h_l = phi(z_l) (l <= L),   f = z_{L+1}
//! backward:  G_{L+1} = dL/df,   G_{l-1} = s_l (G_l W_l^T) o phi'(z_{l-1})
//!            dL/dW_l = s_l h_{l-1}^T G_l,   dL/db_l = beta_l 1^T G_l
//! NTK param.:      s_l = w_std / sqrt(n_{l-1}), beta_l = b_std, W_l, b_l ~ N(0, 1)
//! standard param.: s_l = 1, beta_l = 1, W_l ~ N(0, w_std^2 / n_{l-1}), b_l ~ N(0, b_std^2)
//! ```
//!
//! `phi'` follows JAX at kinks (ReLU'(0) = 0). Initialization draws column `j` of `W_l` (the
//! weights into unit `j`) from its own stream `Rng::stream(seed, [l, n_{l-1}, n_l, 0, j])` and
//! `b_l` from `Rng::stream(seed, [l, n_{l-1}, n_l, 1])`, so a net is the same on every platform
//! and thread count, and nets of different shapes with the same seed are independent.

use super::{Widths, check_finite, check_input, check_memory, with_threads};
use crate::rng::Rng;
use crate::{Error, Network, Parameterization, Result};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};

/// One Dense layer's raw parameters, as neural-tangents stores them: `W` is
/// `fan_in x fan_out`, `b` is `1 x fan_out` (absent without bias).
///
/// ```
/// use ntk::{empirical::{Mlp, Widths}, Activation, Network};
/// let mlp = Mlp::init(&Network::mlp(Activation::Relu, 1, 1.0, 0.1)?, 3, &Widths::Uniform(8), 0)?;
/// let first = &mlp.layers()[0];
/// assert_eq!((first.fan_in(), first.fan_out()), (3, 8));
/// assert_eq!(first.b().map(|b| b.nrows()), Some(1));
/// # Ok::<(), ntk::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Dense {
    pub(crate) w: Mat<f64>,
    pub(crate) b: Option<Mat<f64>>,
}

impl Dense {
    /// The weight matrix, `fan_in x fan_out`.
    pub fn w(&self) -> MatRef<'_, f64> {
        self.w.as_ref()
    }
    /// The bias row, `1 x fan_out`, if the layer has one.
    pub fn b(&self) -> Option<MatRef<'_, f64>> {
        self.b.as_ref().map(|b| b.as_ref())
    }
    /// Input dimension.
    pub fn fan_in(&self) -> usize {
        self.w.nrows()
    }
    /// Output dimension.
    pub fn fan_out(&self) -> usize {
        self.w.ncols()
    }
    /// Number of parameters (`fan_in * fan_out`, plus `fan_out` with bias).
    pub fn n_params(&self) -> usize {
        self.w.nrows() * self.w.ncols() + self.b.as_ref().map_or(0, |b| b.ncols())
    }
}

/// A finite MLP: a [`Network`] description plus concrete parameters.
///
/// ```
/// use ntk::{empirical::{Mlp, Widths}, Activation, Network};
/// let net = Network::mlp(Activation::Erf, 2, 1.5, 0.1)?;
/// let mlp = Mlp::init(&net, 4, &Widths::Uniform(32), 7)?;
/// let x = faer::Mat::from_fn(5, 4, |i, j| (i as f64 - j as f64) / 4.0);
/// let f = mlp.forward(x.as_ref())?;
/// assert_eq!((f.nrows(), f.ncols()), (5, 1));
/// // the same seed gives the same network
/// assert_eq!(f, Mlp::init(&net, 4, &Widths::Uniform(32), 7)?.forward(x.as_ref())?);
/// # Ok::<(), ntk::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    net: Network,
    layers: Vec<Dense>,
}

/// Intermediate values of a forward pass, kept for the backward pass and the NTK.
pub(crate) struct Cache {
    /// `h_l = phi(z_l)` for `l = 1..L` (index `l - 1`).
    pub(crate) h: Vec<Mat<f64>>,
    /// `phi'(z_l)` for `l = 1..L` (index `l - 1`).
    pub(crate) dphi: Vec<Mat<f64>>,
    /// The output `f = z_{L+1}`, `n x k`.
    pub(crate) out: Mat<f64>,
}

impl Cache {
    /// The input of Dense layer `l` (0-based): `x` for the first, else `h_l`.
    pub(crate) fn input<'a>(&'a self, x: MatRef<'a, f64>, l: usize) -> MatRef<'a, f64> {
        if l == 0 { x } else { self.h[l - 1].as_ref() }
    }
}

/// The largest number of parameters [`Mlp::init`] accepts (2^40, 8 TB); memory is the real
/// limit and is checked separately.
const MAX_PARAMS: f64 = 1_099_511_627_776.0;

impl Mlp {
    /// A seeded random network with `d_in` inputs, the given hidden widths and one output.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an invalid network, `d_in = 0` or a zero width;
    /// [`Error::Memory`] if the parameters would exceed 75% of physical memory.
    ///
    /// ```
    /// use ntk::{empirical::{Mlp, Widths}, Activation, Network};
    /// let net = Network::mlp(Activation::Selu, 2, 1.0, 0.0)?;
    /// let mlp = Mlp::init(&net, 3, &Widths::PerLayer(vec![16, 8]), 1)?;
    /// assert_eq!(mlp.hidden_widths(), vec![16, 8]);
    /// assert_eq!(mlp.n_params(), 3 * 16 + 16 + 16 * 8 + 8 + 8 + 1);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn init(net: &Network, d_in: usize, widths: &Widths, seed: u64) -> Result<Self> {
        Self::init_with_outputs(net, d_in, widths, 1, seed)
    }

    /// As [`Mlp::init`] with `outputs` logits (`k`); kernels are then averaged over logits.
    ///
    /// # Errors
    /// As [`Mlp::init`]; also `outputs = 0`.
    ///
    /// ```
    /// use ntk::{empirical::{Mlp, Widths}, Activation, Network};
    /// let mlp = Mlp::init_with_outputs(&Network::mlp(Activation::Relu, 1, 1.4, 0.0)?, 2,
    ///                                  &Widths::Uniform(4), 3, 0)?;
    /// assert_eq!(mlp.output_dim(), 3);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn init_with_outputs(
        net: &Network,
        d_in: usize,
        widths: &Widths,
        outputs: usize,
        seed: u64,
    ) -> Result<Self> {
        net.validate()?;
        if d_in == 0 {
            return Err(Error::param(
                "d_in",
                "the input dimension must be at least 1",
            ));
        }
        if outputs == 0 {
            return Err(Error::param(
                "outputs",
                "the network needs at least one output",
            ));
        }
        let mut dims = vec![d_in];
        dims.extend(widths.resolve(net.depth)?);
        dims.push(outputs);
        let params: f64 = dims
            .windows(2)
            .map(|p| (p[0] as f64 + 1.0) * p[1] as f64)
            .sum();
        if params > MAX_PARAMS {
            return Err(Error::param(
                "width",
                format!("{params:.3e} parameters is more than supported; use smaller widths"),
            ));
        }
        check_memory(params * 8.0, || {
            format!("a network with {params:.3e} parameters")
        })?;
        let layers = (0..dims.len() - 1)
            .map(|l| init_dense(net, l, dims[l], dims[l + 1], seed))
            .collect();
        Ok(Mlp {
            net: net.clone(),
            layers,
        })
    }

    /// A network from explicit raw parameters `(W_l, b_l)`, `l = 1..L+1`, each `W_l`
    /// `n_{l-1} x n_l` and `b_l` `1 x n_l` (`None` exactly when `net.bias` is false).
    ///
    /// # Errors
    /// [`Error::Shape`] if the layer count is not `depth + 1` or the shapes do not chain;
    /// [`Error::Data`] for non-finite values; a network validation error.
    ///
    /// ```
    /// use faer::Mat;
    /// use ntk::{empirical::Mlp, Activation, Network};
    /// let net = Network::mlp(Activation::Relu, 1, 1.0, 1.0)?;
    /// let mlp = Mlp::from_layers(&net, vec![
    ///     (Mat::from_fn(1, 2, |_, j| [1.0, -1.0][j]), Some(Mat::zeros(1, 2))),
    ///     (Mat::from_fn(2, 1, |_, _| 1.0), Some(Mat::zeros(1, 1))),
    /// ])?;
    /// // f(x) = (1/sqrt(2)) (relu(x) + relu(-x)) = |x| / sqrt(2)
    /// let f = mlp.forward(Mat::from_fn(1, 1, |_, _| -2.0).as_ref())?;
    /// assert!((f[(0, 0)] - 2f64.sqrt()).abs() < 1e-15);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn from_layers(net: &Network, layers: Vec<(Mat<f64>, Option<Mat<f64>>)>) -> Result<Self> {
        net.validate()?;
        if layers.len() != net.depth + 1 {
            return Err(Error::Shape(format!(
                "{} Dense layers given but a network of depth {} has {} (hidden layers + readout); \
                 check --depth against the parameters",
                layers.len(),
                net.depth,
                net.depth + 1
            )));
        }
        let mut out = Vec::with_capacity(layers.len());
        for (l, (w, b)) in layers.into_iter().enumerate() {
            if w.nrows() == 0 || w.ncols() == 0 {
                return Err(Error::Shape(format!(
                    "layer {}: W is {} x {}; it must not be empty",
                    l + 1,
                    w.nrows(),
                    w.ncols()
                )));
            }
            if let Some(prev) = out.last().map(|d: &Dense| d.fan_out()) {
                if w.nrows() != prev {
                    return Err(Error::Shape(format!(
                        "layer {}: W has {} rows but the previous layer has {prev} outputs",
                        l + 1,
                        w.nrows()
                    )));
                }
            }
            check_finite(&format!("layer {} W", l + 1), w.as_ref())?;
            match (&b, net.bias) {
                (Some(b), true) => {
                    if b.nrows() != 1 || b.ncols() != w.ncols() {
                        return Err(Error::Shape(format!(
                            "layer {}: b is {} x {} but must be 1 x {} (one bias per output unit)",
                            l + 1,
                            b.nrows(),
                            b.ncols(),
                            w.ncols()
                        )));
                    }
                    check_finite(&format!("layer {} b", l + 1), b.as_ref())?;
                }
                (None, false) => {}
                (Some(_), false) => {
                    return Err(Error::Shape(format!(
                        "layer {} has a bias but the network has none (b_std = none); \
                         drop the biases or give a numeric b_std",
                        l + 1
                    )));
                }
                (None, true) => {
                    return Err(Error::Shape(format!(
                        "layer {} has no bias but the network has biases; \
                         use b_std = none for a bias-free network",
                        l + 1
                    )));
                }
            }
            out.push(Dense { w, b });
        }
        Ok(Mlp {
            net: net.clone(),
            layers: out,
        })
    }

    /// The network description.
    pub fn network(&self) -> &Network {
        &self.net
    }
    /// The Dense layers, first to readout.
    pub fn layers(&self) -> &[Dense] {
        &self.layers
    }
    /// Input dimension `d`.
    pub fn input_dim(&self) -> usize {
        self.layers[0].fan_in()
    }
    /// Number of outputs `k`.
    pub fn output_dim(&self) -> usize {
        self.layers[self.layers.len() - 1].fan_out()
    }
    /// Hidden widths `n_1..n_L`.
    pub fn hidden_widths(&self) -> Vec<usize> {
        self.layers[..self.layers.len() - 1]
            .iter()
            .map(Dense::fan_out)
            .collect()
    }
    /// Total number of parameters.
    pub fn n_params(&self) -> usize {
        self.layers.iter().map(Dense::n_params).sum()
    }

    /// The multipliers `(s_l, beta_l)` of Dense layer `l` (0-based): the effective layer is
    /// `z = s_l h W + beta_l b`.
    ///
    /// ```
    /// use ntk::{empirical::{Mlp, Widths}, Activation, Network};
    /// let mlp = Mlp::init(&Network::mlp(Activation::Relu, 1, 2.0, 0.5)?, 4, &Widths::Uniform(9), 0)?;
    /// assert_eq!(mlp.scales(0), (1.0, 0.5)); // 2 / sqrt(4)
    /// assert_eq!(mlp.scales(1), (2.0 / 3.0, 0.5));
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn scales(&self, l: usize) -> (f64, f64) {
        let fan_in = self.layers[l].fan_in() as f64;
        match self.net.parameterization {
            Parameterization::Ntk => (self.net.w_std / fan_in.sqrt(), self.net.b()),
            Parameterization::Standard => (1.0, if self.net.bias { 1.0 } else { 0.0 }),
        }
    }

    /// The outputs `f(x)`, `n x k`, for the rows of `x`.
    ///
    /// # Errors
    /// [`Error::Shape`] if `x` does not have `input_dim()` columns; [`Error::Data`] if it is
    /// empty or not finite.
    ///
    /// ```
    /// use ntk::{empirical::{Mlp, Widths}, Activation, Network};
    /// let mlp = Mlp::init(&Network::mlp(Activation::Relu, 2, 1.4, 0.0)?, 2, &Widths::Uniform(8), 0)?;
    /// assert!(mlp.forward(faer::Mat::zeros(3, 5).as_ref()).is_err());
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn forward(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        check_input("x", x, self.input_dim())?;
        Ok(self.propagate(x, false, Par::Seq).out)
    }

    /// As [`Mlp::forward`] with `threads` workers (0 = all cores); bitwise identical results.
    ///
    /// # Errors
    /// As [`Mlp::forward`].
    ///
    /// ```
    /// use ntk::{empirical::{Mlp, Widths}, Activation, Network};
    /// let mlp = Mlp::init(&Network::mlp(Activation::Erf, 1, 1.0, 0.0)?, 2, &Widths::Uniform(8), 0)?;
    /// let x = faer::Mat::from_fn(4, 2, |i, j| (i + j) as f64);
    /// assert_eq!(mlp.forward_threads(x.as_ref(), 2)?, mlp.forward(x.as_ref())?);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn forward_threads(&self, x: MatRef<'_, f64>, threads: usize) -> Result<Mat<f64>> {
        check_input("x", x, self.input_dim())?;
        with_threads(threads, |par| self.propagate(x, false, par).out)
    }

    /// Parameter gradients of `L = sum_{i,j} upstream[i, j] f_j(x_i)` (a vector-Jacobian
    /// product; `upstream = dLoss/df` gives the loss gradient), in the layout of
    /// [`Mlp::layers`].
    ///
    /// # Errors
    /// As [`Mlp::forward`]; [`Error::Shape`] if `upstream` is not `n x k`.
    ///
    /// ```
    /// use ntk::{empirical::{Mlp, Widths}, Activation, Network};
    /// let mlp = Mlp::init(&Network::mlp(Activation::Relu, 0, 2.0, 1.0)?, 4, &Widths::Uniform(1), 0)?;
    /// // linear model f = (2/2) x W + b: df/dW = x^T, df/db = 1
    /// let x = faer::Mat::from_fn(1, 4, |_, j| j as f64);
    /// let g = mlp.gradients(x.as_ref(), faer::Mat::from_fn(1, 1, |_, _| 1.0).as_ref())?;
    /// assert_eq!(g[0].w()[(3, 0)], 3.0);
    /// assert_eq!(g[0].b().unwrap()[(0, 0)], 1.0);
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn gradients(&self, x: MatRef<'_, f64>, upstream: MatRef<'_, f64>) -> Result<Vec<Dense>> {
        check_input("x", x, self.input_dim())?;
        self.check_upstream(x.nrows(), upstream)?;
        let cache = self.propagate(x, true, Par::Seq);
        let mut grads: Vec<Dense> = Vec::with_capacity(self.layers.len());
        let mut g: Mat<f64> = upstream.to_owned();
        for l in (0..self.layers.len()).rev() {
            let (s, beta) = self.scales(l);
            let input = cache.input(x, l);
            let mut gw = Mat::zeros(input.ncols(), g.ncols());
            matmul(
                gw.as_mut(),
                Accum::Replace,
                input.transpose(),
                g.as_ref(),
                s,
                Par::Seq,
            );
            let gb = if self.net.bias {
                Some(column_sums(g.as_ref(), beta))
            } else {
                None
            };
            grads.push(Dense { w: gw, b: gb });
            if l > 0 {
                g = self.backprop(l, g.as_ref(), &cache, Par::Seq);
            }
        }
        grads.reverse();
        Ok(grads)
    }

    fn check_upstream(&self, n: usize, upstream: MatRef<'_, f64>) -> Result<()> {
        if upstream.nrows() != n || upstream.ncols() != self.output_dim() {
            return Err(Error::Shape(format!(
                "upstream gradient is {} x {} but must be {n} x {} (points x outputs)",
                upstream.nrows(),
                upstream.ncols(),
                self.output_dim()
            )));
        }
        check_finite("upstream", upstream)
    }

    /// All parameters as one vector: per layer, `W` row by row (`W[0, 0], W[0, 1], ...`), then
    /// `b`. The order of [`Mlp::set_flat_params`] and of the Jacobian columns in
    /// [`crate::empirical::jacobian`].
    ///
    /// ```
    /// use ntk::{empirical::{Mlp, Widths}, Activation, Network};
    /// let mut mlp = Mlp::init(&Network::mlp(Activation::Relu, 1, 1.0, 0.1)?, 2, &Widths::Uniform(3), 0)?;
    /// let p = mlp.flat_params();
    /// assert_eq!(p.len(), mlp.n_params());
    /// assert_eq!(p[1], mlp.layers()[0].w()[(0, 1)]);
    /// mlp.set_flat_params(&p)?;
    /// # Ok::<(), ntk::Error>(())
    /// ```
    pub fn flat_params(&self) -> Vec<f64> {
        let mut p = Vec::with_capacity(self.n_params());
        for d in &self.layers {
            for i in 0..d.w.nrows() {
                for j in 0..d.w.ncols() {
                    p.push(d.w[(i, j)]);
                }
            }
            if let Some(b) = &d.b {
                for j in 0..b.ncols() {
                    p.push(b[(0, j)]);
                }
            }
        }
        p
    }

    /// Overwrite all parameters from a vector in the order of [`Mlp::flat_params`].
    ///
    /// # Errors
    /// [`Error::Shape`] for a wrong length, [`Error::Data`] for non-finite values (the network
    /// is then unchanged).
    pub fn set_flat_params(&mut self, p: &[f64]) -> Result<()> {
        if p.len() != self.n_params() {
            return Err(Error::Shape(format!(
                "{} values given for {} parameters",
                p.len(),
                self.n_params()
            )));
        }
        if let Some(k) = p.iter().position(|v| !v.is_finite()) {
            return Err(Error::Data(format!(
                "parameter {k} = {} is not finite",
                p[k]
            )));
        }
        let mut it = p.iter().copied();
        for d in &mut self.layers {
            for i in 0..d.w.nrows() {
                for j in 0..d.w.ncols() {
                    d.w[(i, j)] = it.next().unwrap_or(0.0);
                }
            }
            if let Some(b) = &mut d.b {
                for j in 0..b.ncols() {
                    b[(0, j)] = it.next().unwrap_or(0.0);
                }
            }
        }
        Ok(())
    }

    /// Forward pass; with `keep`, the hidden activations and derivatives are kept.
    pub(crate) fn propagate(&self, x: MatRef<'_, f64>, keep: bool, par: Par) -> Cache {
        let depth = self.layers.len() - 1;
        let act = self.net.activation;
        let mut h: Vec<Mat<f64>> = Vec::with_capacity(if keep { depth } else { 0 });
        let mut dphi = Vec::with_capacity(if keep { depth } else { 0 });
        let mut cur: Option<Mat<f64>> = None;
        for l in 0..depth {
            let input = cur.as_ref().map_or(x, |m| m.as_ref());
            let mut z = self.affine(l, input, par);
            if keep {
                let mut dz = Mat::zeros(z.nrows(), z.ncols());
                for j in 0..z.ncols() {
                    let zc = z.col_as_slice_mut(j);
                    for (d, v) in dz.col_as_slice_mut(j).iter_mut().zip(zc.iter_mut()) {
                        *d = act.dphi(*v);
                        *v = act.phi(*v);
                    }
                }
                dphi.push(dz);
                if let Some(prev) = cur.take() {
                    h.push(prev);
                }
            } else {
                for j in 0..z.ncols() {
                    for v in z.col_as_slice_mut(j) {
                        *v = act.phi(*v);
                    }
                }
            }
            cur = Some(z);
        }
        let input = cur.as_ref().map_or(x, |m| m.as_ref());
        let out = self.affine(depth, input, par);
        if keep {
            if let Some(last) = cur {
                h.push(last);
            }
        }
        Cache { h, dphi, out }
    }

    /// `z = s h W + beta 1 b` for Dense layer `l`.
    fn affine(&self, l: usize, input: MatRef<'_, f64>, par: Par) -> Mat<f64> {
        let layer = &self.layers[l];
        let (s, beta) = self.scales(l);
        let mut z = Mat::zeros(input.nrows(), layer.fan_out());
        matmul(z.as_mut(), Accum::Replace, input, layer.w.as_ref(), s, par);
        if let Some(b) = &layer.b {
            for j in 0..z.ncols() {
                let bj = beta * b[(0, j)];
                for v in z.col_as_slice_mut(j) {
                    *v += bj;
                }
            }
        }
        z
    }

    /// One backward step through Dense layer `l >= 1`:
    /// `G_{l-1} = s_l (G_l W_l^T) o phi'(z_{l-1})`.
    pub(crate) fn backprop(
        &self,
        l: usize,
        g: MatRef<'_, f64>,
        cache: &Cache,
        par: Par,
    ) -> Mat<f64> {
        let (s, _) = self.scales(l);
        let w = self.layers[l].w.as_ref();
        let mut gn = Mat::zeros(g.nrows(), w.nrows());
        if g.nrows() >= 64 {
            // a column-major copy of W^T makes the GEMM ~1.5x faster; worth its O(fan_in
            // fan_out) copy only when there are many rows (not for small training batches)
            let wt = w.transpose().to_owned();
            matmul(gn.as_mut(), Accum::Replace, g, wt.as_ref(), s, par);
        } else {
            matmul(gn.as_mut(), Accum::Replace, g, w.transpose(), s, par);
        }
        let dp = &cache.dphi[l - 1];
        for j in 0..gn.ncols() {
            for (v, d) in gn.col_as_slice_mut(j).iter_mut().zip(dp.col_as_slice(j)) {
                *v *= *d;
            }
        }
        gn
    }

    /// Mutable layers, for training.
    pub(crate) fn layers_mut(&mut self) -> &mut [Dense] {
        &mut self.layers
    }
}

/// `beta 1^T G` as a `1 x k` row.
pub(crate) fn column_sums(g: MatRef<'_, f64>, beta: f64) -> Mat<f64> {
    Mat::from_fn(1, g.ncols(), |_, j| {
        let mut s = 0.0;
        for i in 0..g.nrows() {
            s += g[(i, j)];
        }
        beta * s
    })
}

/// Draw Dense layer `l` (0-based) from its own streams.
fn init_dense(net: &Network, l: usize, fan_in: usize, fan_out: usize, seed: u64) -> Dense {
    let (wscale, bscale) = match net.parameterization {
        Parameterization::Ntk => (1.0, 1.0),
        Parameterization::Standard => (net.w_std / (fan_in as f64).sqrt(), net.b_std),
    };
    let ids = [l as u64, fan_in as u64, fan_out as u64];
    let mut w = Mat::zeros(fan_in, fan_out);
    for j in 0..fan_out {
        let mut rng = Rng::stream(seed, &[ids[0], ids[1], ids[2], 0, j as u64]);
        let col = w.col_as_slice_mut(j);
        rng.fill_normal(col);
        if wscale != 1.0 {
            for v in col {
                *v *= wscale;
            }
        }
    }
    let b = if net.bias {
        let mut rng = Rng::stream(seed, &[ids[0], ids[1], ids[2], 1]);
        Some(Mat::from_fn(1, fan_out, |_, _| bscale * rng.normal()))
    } else {
        None
    };
    Dense { w, b }
}
