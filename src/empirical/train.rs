//! Full-batch gradient descent on the squared loss, for a finite network:
//!
//! ```text
//! Loss::Sum  (default): L(theta) = 1/2 ||f(X) - Y||_F^2          dL/df = f - Y
//! Loss::Mean:           L(theta) = 1/(2N) ||f(X) - Y||_F^2       dL/df = (f - Y) / N,  N = n k
//! theta_{t+1} = theta_t - eta dL/dtheta(theta_t)                 (t = 0 .. steps-1)
//! ```
//!
//! These are the conventions of the kernel dynamics (`crate::dynamics`): to first order,
//! `f_{t+1} - Y = (I - eta Theta) (f_t - Y)` for `Sum` and `(I - eta Theta / N) (f_t - Y)` for
//! `Mean` (neural-tangents' `gradient_descent_mse`). The update of each weight matrix is one
//! GEMM applied in place (`W_l -= eta s_l h_{l-1}^T G_l`), so no gradient is ever stored.
//! Outputs and losses are recorded at the chosen steps (step `t` = after `t` updates), and the
//! empirical NTK on the training inputs before and after training, with its relative change
//! `||Theta_T - Theta_0||_F / ||Theta_0||_F`.

use super::mlp::column_sums;
use super::{Mlp, check_finite, check_input, with_threads};
use crate::{Error, Result};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};

/// The loss convention (one type for training and for the kernel dynamics; see
/// [`crate::dynamics::loss`]).
pub use crate::dynamics::Loss;

/// What to train on and how. Build with [`TrainConfig::new`] and the `with_*` methods.
///
/// ```
/// use ntk::empirical::{Loss, TrainConfig};
/// let x = faer::Mat::<f64>::zeros(4, 2);
/// let y = faer::Mat::<f64>::zeros(4, 1);
/// let cfg = TrainConfig::new(x.as_ref(), y.as_ref(), 0.1, 100)
///     .with_record(vec![0, 10, 100])
///     .with_loss(Loss::Mean);
/// assert_eq!(cfg.record, vec![0, 10, 100]);
/// ```
#[derive(Clone)]
pub struct TrainConfig<'a> {
    /// Training inputs, `n x d`.
    pub x_train: MatRef<'a, f64>,
    /// Training targets, `n x k`.
    pub y_train: MatRef<'a, f64>,
    /// Test inputs, `m x d` (outputs are recorded; no training on them).
    pub x_test: Option<MatRef<'a, f64>>,
    /// Test targets, `m x k` (for the test loss; optional even with `x_test`).
    pub y_test: Option<MatRef<'a, f64>>,
    /// Learning rate `eta > 0`.
    pub learning_rate: f64,
    /// Number of gradient-descent steps.
    pub steps: usize,
    /// Steps at which to record outputs and losses (each in `0..=steps`; sorted and
    /// deduplicated). Empty: `[0, steps]`.
    pub record: Vec<usize>,
    /// Loss convention.
    pub loss: Loss,
    /// Compute the empirical NTK on `x_train` before and after training (default true).
    pub record_ntk: bool,
    /// Worker threads (0 = all cores); results do not depend on it.
    pub threads: usize,
    /// Called as `progress(step, steps)` after each step.
    pub progress: Option<&'a (dyn Fn(usize, usize) + Sync)>,
}

impl std::fmt::Debug for TrainConfig<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrainConfig")
            .field("n_train", &self.x_train.nrows())
            .field("n_test", &self.x_test.map(|x| x.nrows()))
            .field("learning_rate", &self.learning_rate)
            .field("steps", &self.steps)
            .field("record", &self.record)
            .field("loss", &self.loss)
            .field("record_ntk", &self.record_ntk)
            .field("threads", &self.threads)
            .finish()
    }
}

impl<'a> TrainConfig<'a> {
    /// A configuration with the defaults: record steps 0 and `steps`, [`Loss::Sum`], NTK
    /// recorded, all cores.
    pub fn new(
        x_train: MatRef<'a, f64>,
        y_train: MatRef<'a, f64>,
        learning_rate: f64,
        steps: usize,
    ) -> Self {
        TrainConfig {
            x_train,
            y_train,
            x_test: None,
            y_test: None,
            learning_rate,
            steps,
            record: Vec::new(),
            loss: Loss::Sum,
            record_ntk: true,
            threads: 0,
            progress: None,
        }
    }
    /// Also record outputs on test inputs (and the test loss if `y_test` is given).
    pub fn with_test(mut self, x_test: MatRef<'a, f64>, y_test: Option<MatRef<'a, f64>>) -> Self {
        self.x_test = Some(x_test);
        self.y_test = y_test;
        self
    }
    /// Record at these steps.
    pub fn with_record(mut self, steps: Vec<usize>) -> Self {
        self.record = steps;
        self
    }
    /// Use this loss convention.
    pub fn with_loss(mut self, loss: Loss) -> Self {
        self.loss = loss;
        self
    }
    /// Whether to compute the NTK before and after training.
    pub fn with_ntk(mut self, record_ntk: bool) -> Self {
        self.record_ntk = record_ntk;
        self
    }
    /// Worker threads (0 = all cores).
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }
    /// Report progress as `progress(step, steps)`.
    pub fn with_progress(mut self, progress: &'a (dyn Fn(usize, usize) + Sync)) -> Self {
        self.progress = Some(progress);
        self
    }
}

/// The state of training at one recorded step.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// Number of updates made so far.
    pub step: usize,
    /// Training loss (in the configured convention).
    pub train_loss: f64,
    /// Test loss, if test targets were given.
    pub test_loss: Option<f64>,
    /// Outputs on the training inputs, `n x k`.
    pub f_train: Mat<f64>,
    /// Outputs on the test inputs, `m x k`.
    pub f_test: Option<Mat<f64>>,
}

/// What [`train`] recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainRecord {
    /// One snapshot per recorded step, in step order.
    pub snapshots: Vec<Snapshot>,
    /// Empirical NTK on `x_train` at initialization.
    pub ntk_init: Option<Mat<f64>>,
    /// Empirical NTK on `x_train` after the last step.
    pub ntk_final: Option<Mat<f64>>,
    /// `||Theta_T - Theta_0||_F / ||Theta_0||_F`.
    pub ntk_change: Option<f64>,
}

/// Train `mlp` in place by full-batch gradient descent (conventions in the
/// [module docs](self)).
///
/// # Errors
/// [`Error::Shape`]/[`Error::Data`] for inconsistent or non-finite data;
/// [`Error::InvalidParameter`] for a learning rate that is not positive and finite or a record
/// step beyond `steps`; [`Error::Numerical`] if the loss stops being finite (divergence: lower
/// the learning rate).
///
/// ```
/// use ntk::{empirical::{self, Mlp, TrainConfig, Widths}, Activation, Network};
/// let net = Network::mlp(Activation::Relu, 1, 1.4, 0.1)?;
/// let mut mlp = Mlp::init(&net, 2, &Widths::Uniform(256), 0)?;
/// let x = faer::Mat::from_fn(4, 2, |i, j| ((i + j) % 3) as f64 - 1.0);
/// let y = faer::Mat::from_fn(4, 1, |i, _| i as f64 / 4.0);
/// let rec = empirical::train(&mut mlp, &TrainConfig::new(x.as_ref(), y.as_ref(), 0.2, 50).with_threads(1))?;
/// let (first, last) = (&rec.snapshots[0], &rec.snapshots[1]);
/// assert_eq!((first.step, last.step), (0, 50));
/// assert!(last.train_loss < 0.1 * first.train_loss);
/// assert!(rec.ntk_change.unwrap() < 0.2);
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn train(mlp: &mut Mlp, cfg: &TrainConfig<'_>) -> Result<TrainRecord> {
    let d = mlp.input_dim();
    let k = mlp.output_dim();
    check_input("x_train", cfg.x_train, d)?;
    check_targets("y_train", cfg.y_train, cfg.x_train.nrows(), k)?;
    if let Some(xt) = cfg.x_test {
        check_input("x_test", xt, d)?;
        if let Some(yt) = cfg.y_test {
            check_targets("y_test", yt, xt.nrows(), k)?;
        }
    } else if cfg.y_test.is_some() {
        return Err(Error::param(
            "y_test",
            "test targets given without test inputs; pass x_test too",
        ));
    }
    if !(cfg.learning_rate.is_finite() && cfg.learning_rate > 0.0) {
        return Err(Error::param(
            "learning_rate",
            format!("must be positive and finite, got {}", cfg.learning_rate),
        ));
    }
    let mut record = if cfg.record.is_empty() {
        vec![0, cfg.steps]
    } else {
        cfg.record.clone()
    };
    record.sort_unstable();
    record.dedup();
    if let Some(&last) = record.last() {
        if last > cfg.steps {
            return Err(Error::param(
                "record",
                format!(
                    "record step {last} is beyond the {} training steps; record at most step {}",
                    cfg.steps, cfg.steps
                ),
            ));
        }
    }
    let widths: f64 = mlp.hidden_widths().iter().map(|&w| w as f64).sum();
    let n = (cfg.x_train.nrows() + cfg.x_test.map_or(0, |x| x.nrows())) as f64;
    let snap = record.len() as f64 * n * k as f64;
    let kern = if cfg.record_ntk {
        7.0 * (cfg.x_train.nrows() as f64).powi(2)
    } else {
        0.0
    };
    super::check_memory(8.0 * (3.0 * n * widths + snap + kern), || {
        format!(
            "training on {} points at widths {:?}",
            cfg.x_train.nrows(),
            mlp.hidden_widths()
        )
    })?;
    with_threads(cfg.threads, |par| run(mlp, cfg, &record, par))?
}

fn check_targets(name: &str, y: MatRef<'_, f64>, n: usize, k: usize) -> Result<()> {
    if y.nrows() != n || y.ncols() != k {
        return Err(Error::Shape(format!(
            "{name} is {} x {} but must be {n} x {k} (points x network outputs)",
            y.nrows(),
            y.ncols()
        )));
    }
    check_finite(name, y)
}

fn run(mlp: &mut Mlp, cfg: &TrainConfig<'_>, record: &[usize], par: Par) -> Result<TrainRecord> {
    let (x, y) = (cfg.x_train, cfg.y_train);
    let (n, k) = (x.nrows(), mlp.output_dim());
    let ntk_init = if cfg.record_ntk {
        Some(super::ntk::compute(mlp, x, None, par).ntk)
    } else {
        None
    };
    let scale = cfg.loss.grad_scale(n, k);
    let eta = cfg.learning_rate;
    let mut snapshots = Vec::with_capacity(record.len());
    let mut next = 0;
    for step in 0..=cfg.steps {
        let cache = mlp.propagate(x, step < cfg.steps, par);
        let f = &cache.out;
        let loss = cfg.loss.between(f.as_ref(), y);
        if !loss.is_finite() {
            return Err(Error::Numerical(format!(
                "training diverged at step {step} (loss {loss}); lower the learning rate (now {eta})"
            )));
        }
        if next < record.len() && record[next] == step {
            let f_test = cfg.x_test.map(|xt| mlp.propagate(xt, false, par).out);
            let test_loss = match (&f_test, cfg.y_test) {
                (Some(ft), Some(yt)) => Some(cfg.loss.between(ft.as_ref(), yt)),
                _ => None,
            };
            snapshots.push(Snapshot {
                step,
                train_loss: loss,
                test_loss,
                f_train: f.clone(),
                f_test,
            });
            next += 1;
        }
        if let Some(p) = cfg.progress {
            p(step, cfg.steps);
        }
        if step == cfg.steps {
            break;
        }
        // G_{L+1} = dL/df, then layer by layer from the readout: G_{l-1} from the current
        // W_l, then W_l -= eta s_l h_{l-1}^T G_l, b_l -= eta beta_l 1^T G_l.
        let mut g = Mat::from_fn(n, k, |i, j| scale * (f[(i, j)] - y[(i, j)]));
        for l in (0..mlp.layers().len()).rev() {
            let (s, beta) = mlp.scales(l);
            let g_next = if l > 0 {
                Some(mlp.backprop(l, g.as_ref(), &cache, par))
            } else {
                None
            };
            let input = cache.input(x, l);
            let gb = if mlp.network().bias {
                Some(column_sums(g.as_ref(), beta))
            } else {
                None
            };
            let layer = &mut mlp.layers_mut()[l];
            matmul(
                layer.w.as_mut(),
                Accum::Add,
                input.transpose(),
                g.as_ref(),
                -eta * s,
                par,
            );
            if let (Some(b), Some(gb)) = (layer.b.as_mut(), gb) {
                for j in 0..b.ncols() {
                    b[(0, j)] -= eta * gb[(0, j)];
                }
            }
            match g_next {
                Some(gn) => g = gn,
                None => break,
            }
        }
    }
    let ntk_final = if cfg.record_ntk {
        Some(super::ntk::compute(mlp, x, None, par).ntk)
    } else {
        None
    };
    let ntk_change = match (&ntk_init, &ntk_final) {
        (Some(a), Some(b)) => Some(relative_change(a.as_ref(), b.as_ref())),
        _ => None,
    };
    Ok(TrainRecord {
        snapshots,
        ntk_init,
        ntk_final,
        ntk_change,
    })
}

/// `||b - a||_F / ||a||_F` (0 when both are zero).
pub(crate) fn relative_change(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> f64 {
    let num = (b - a).norm_l2();
    let den = a.norm_l2();
    if den == 0.0 {
        if num == 0.0 { 0.0 } else { f64::INFINITY }
    } else {
        num / den
    }
}
