//! Prediction against real training: finite networks of several widths are initialised
//! (seeded), trained by full-batch gradient descent ([`crate::empirical::train()`]) with the
//! same learning rate and loss, and their outputs are set next to the kernel prediction
//! *from the same initial outputs*:
//!
//! ```text
//! predicted_k(x*) = f_0(x*) - K(x*, X) V diag(gain_k) V^T (f_0(X) - Y)     (k GD steps)
//! deviation_k     = rms over test points and outputs of (f_trained,k(x*) - predicted_k(x*))
//! relative_k      = deviation_k / rms(predicted_k(x*) - f_0(x*))             (movement scale)
//! ```
//!
//! With `K` the analytic (infinite-width) NTK, the deviation measures how far a width-`w`
//! network is from its infinite-width linearisation; it shrinks like `1 / sqrt(w)`. A width's
//! summary is the root mean square over seeds of the largest deviation over the recorded
//! steps.

use super::{GradientFlow, Point, TestData};
use crate::empirical::{self, Mlp, TrainConfig, Widths};
use crate::{Error, Network, Result};
use faer::MatRef;
use serde::Serialize;

/// What to train and where to record.
#[derive(Clone, Debug)]
pub struct CompareConfig<'a> {
    /// The network (its analytic NTK must be the flow's kernel).
    pub net: &'a Network,
    /// Training inputs `n x d`.
    pub x_train: MatRef<'a, f64>,
    /// Test inputs `m x d`.
    pub x_test: MatRef<'a, f64>,
    /// `K_ntk(x*, X)`, `m x n`.
    pub k_test_train: MatRef<'a, f64>,
    /// Test targets, for the test loss.
    pub y_test: Option<MatRef<'a, f64>>,
    /// Gradient-descent steps at which to record (and predict); step 0 is always added.
    pub steps: Vec<u64>,
    /// Hidden widths to train.
    pub widths: Vec<usize>,
    /// Networks per width (seeds `seed .. seed + seeds`).
    pub seeds: usize,
    /// First seed.
    pub seed: u64,
    /// Worker threads (0 = all cores).
    pub threads: usize,
}

/// One trained network next to its prediction.
#[derive(Clone, Debug, Serialize)]
pub struct NetRun {
    /// Hidden width.
    pub width: usize,
    /// Initialisation seed.
    pub seed: u64,
    /// Trained train loss per recorded step.
    pub loss_train: Vec<f64>,
    /// Trained test loss per recorded step (if test targets were given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loss_test: Option<Vec<f64>>,
    /// Predicted (linearised, same init) train loss per recorded step.
    pub predicted_loss_train: Vec<f64>,
    /// Predicted test loss per recorded step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicted_loss_test: Option<Vec<f64>>,
    /// Trained test outputs per step, `steps x m x k`.
    pub fx_test: Vec<Vec<Vec<f64>>>,
    /// Predicted test outputs per step from the same initial outputs, `steps x m x k`.
    pub predicted_fx_test: Vec<Vec<Vec<f64>>>,
    /// RMS of trained minus predicted test outputs, per step.
    pub deviation_test: Vec<f64>,
    /// `deviation_test / rms(predicted - f_0)` per step (0 where nothing moved).
    pub relative_deviation_test: Vec<f64>,
    /// `||Theta_T - Theta_0||_F / ||Theta_0||_F` of the empirical NTK on the train set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ntk_change: Option<f64>,
}

/// Per-width summary.
#[derive(Clone, Debug, Serialize)]
pub struct WidthSummary {
    /// Hidden width.
    pub width: usize,
    /// RMS over seeds of the largest (over steps) test deviation.
    pub deviation_test: f64,
    /// RMS over seeds of the largest relative test deviation.
    pub relative_deviation_test: f64,
    /// Mean over seeds of the empirical NTK's relative change during training.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ntk_change: Option<f64>,
}

/// All runs and the per-width summaries.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// Recorded steps.
    pub steps: Vec<u64>,
    /// Every trained network.
    pub runs: Vec<NetRun>,
    /// One summary per width, in the order given.
    pub summary: Vec<WidthSummary>,
}

/// Train `seeds` networks per width and compare with `flow` (which must be NTK training of
/// `cfg.net` on `cfg.x_train` with the learning rate and loss to use).
///
/// # Errors
/// [`Error::InvalidParameter`] for no widths/seeds/steps or a zero width; errors of
/// [`Mlp::init`] and [`empirical::train()`] (e.g. divergence at too large a learning rate).
///
/// ```
/// use ntk::dynamics::{compare::{compare, CompareConfig}, FlowOptions, GradientFlow};
/// use ntk::{kernel, Activation, Network};
/// let net = Network::mlp(Activation::Relu, 1, 1.4, 0.1)?;
/// let x = faer::Mat::from_fn(6, 2, |i, j| ((i * 3 + j) as f64).sin());
/// let xt = faer::Mat::from_fn(2, 2, |i, j| ((i * 5 + j) as f64).cos());
/// let y = faer::Mat::from_fn(6, 1, |i, _| (i as f64).cos());
/// let k = kernel::kernels(&net, x.as_ref(), None, &Default::default())?;
/// let kt = kernel::kernels(&net, xt.as_ref(), Some(x.as_ref()), &Default::default())?;
/// let flow = GradientFlow::new(k.ntk.as_ref().unwrap().as_ref(), y.as_ref(),
///                              &FlowOptions { learning_rate: 0.1, ..Default::default() })?;
/// let cfg = CompareConfig { net: &net, x_train: x.as_ref(), x_test: xt.as_ref(),
///     k_test_train: kt.ntk.as_ref().unwrap().as_ref(), y_test: None, steps: vec![5],
///     widths: vec![64], seeds: 1, seed: 0, threads: 1 };
/// let c = compare(&flow, &cfg)?;
/// assert_eq!(c.runs.len(), 1);
/// assert_eq!(c.steps, vec![0, 5]); // step 0 is always recorded
/// assert_eq!(c.runs[0].deviation_test[0], 0.0); // step 0: same initial outputs
/// assert!(c.runs[0].relative_deviation_test[1] < 0.5);
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn compare(flow: &GradientFlow, cfg: &CompareConfig<'_>) -> Result<Comparison> {
    if cfg.widths.is_empty() || cfg.seeds == 0 {
        return Err(Error::param(
            "check-width",
            "give at least one width and one seed",
        ));
    }
    if cfg.steps.is_empty() {
        return Err(Error::param(
            "steps",
            "give the gradient-descent steps at which to compare",
        ));
    }
    let y = flow.targets();
    let n = y.nrows();
    if cfg.x_train.nrows() != n {
        return Err(Error::Shape(format!(
            "x_train has {} rows but the flow has {n} training points",
            cfg.x_train.nrows()
        )));
    }
    let d = cfg.x_train.ncols();
    let k = y.ncols();
    // step 0 is always recorded: it gives each network's initial outputs
    let mut steps = cfg.steps.clone();
    steps.push(0);
    steps.sort_unstable();
    steps.dedup();
    let record: Vec<usize> = steps
        .iter()
        .map(|&s| {
            usize::try_from(s).map_err(|_| Error::param("steps", format!("{s} steps is too many")))
        })
        .collect::<Result<_>>()?;
    let max_steps = record.last().copied().unwrap_or(0);
    let points: Vec<Point> = steps.iter().map(|&s| Point::Steps(s)).collect();
    let opts = flow.options();
    let loss = opts.loss;
    let mut runs = Vec::new();
    let mut summary = Vec::new();
    for &width in &cfg.widths {
        let (mut dev2, mut rel2, mut change, mut n_change) = (0.0, 0.0, 0.0, 0usize);
        for s in 0..cfg.seeds {
            let seed = cfg.seed.wrapping_add(s as u64);
            let mut mlp = Mlp::init_with_outputs(cfg.net, d, &Widths::Uniform(width), k, seed)?;
            let tc = TrainConfig::new(cfg.x_train, y, opts.learning_rate, max_steps)
                .with_test(cfg.x_test, cfg.y_test)
                .with_record(record.clone())
                .with_loss(loss)
                .with_ntk(true)
                .with_threads(cfg.threads);
            let rec = empirical::train(&mut mlp, &tc)?;
            let first = rec
                .snapshots
                .first()
                .ok_or_else(|| Error::Numerical("training recorded nothing".into()))?;
            let f0_test = first
                .f_test
                .as_ref()
                .ok_or_else(|| Error::Numerical("training did not record test outputs".into()))?;
            let pred = flow.predict(
                Some(first.f_train.as_ref()),
                Some(TestData {
                    k_test_train: cfg.k_test_train,
                    f0_test: Some(f0_test.as_ref()),
                    y_test: cfg.y_test,
                }),
                &points,
            )?;
            let pt = pred
                .fx_test
                .as_ref()
                .ok_or_else(|| Error::Numerical("no test prediction".into()))?;
            let mut fx_test = Vec::new();
            let mut deviation = Vec::new();
            let mut relative = Vec::new();
            for (i, snap) in rec.snapshots.iter().enumerate() {
                let ft = snap
                    .f_test
                    .as_ref()
                    .ok_or_else(|| Error::Numerical("missing test outputs".into()))?;
                let dv = rms_diff(ft.as_ref(), pt[i].as_ref());
                let moved = rms_diff(pt[i].as_ref(), f0_test.as_ref());
                deviation.push(dv);
                relative.push(if moved > 0.0 { dv / moved } else { 0.0 });
                fx_test.push(rows(ft.as_ref()));
            }
            let worst = deviation.iter().cloned().fold(0.0, f64::max);
            let worst_rel = relative.iter().cloned().fold(0.0, f64::max);
            dev2 += worst * worst;
            rel2 += worst_rel * worst_rel;
            if let Some(c) = rec.ntk_change {
                change += c;
                n_change += 1;
            }
            runs.push(NetRun {
                width,
                seed,
                loss_train: rec.snapshots.iter().map(|s| s.train_loss).collect(),
                loss_test: cfg.y_test.map(|_| {
                    rec.snapshots
                        .iter()
                        .map(|s| s.test_loss.unwrap_or(f64::NAN))
                        .collect()
                }),
                predicted_loss_train: pred.loss_train.clone(),
                predicted_loss_test: pred.loss_test.clone(),
                fx_test,
                predicted_fx_test: pt.iter().map(|m| rows(m.as_ref())).collect(),
                deviation_test: deviation,
                relative_deviation_test: relative,
                ntk_change: rec.ntk_change,
            });
        }
        let s = cfg.seeds as f64;
        summary.push(WidthSummary {
            width,
            deviation_test: (dev2 / s).sqrt(),
            relative_deviation_test: (rel2 / s).sqrt(),
            ntk_change: (n_change > 0).then(|| change / n_change as f64),
        });
    }
    let finite = runs.iter().all(|r| {
        r.loss_train
            .iter()
            .chain(r.loss_test.iter().flatten())
            .all(|v| v.is_finite())
    });
    if !finite {
        return Err(Error::Numerical(
            "a trained network's loss is not finite".into(),
        ));
    }
    Ok(Comparison {
        steps,
        runs,
        summary,
    })
}

fn rms_diff(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> f64 {
    let mut s = 0.0;
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            let d = a[(i, j)] - b[(i, j)];
            s += d * d;
        }
    }
    (s / (a.nrows() * a.ncols()).max(1) as f64).sqrt()
}

/// Rows of a matrix as nested vectors (for JSON).
///
/// ```
/// let m = faer::mat![[1.0, 2.0], [3.0, 4.0]];
/// assert_eq!(ntk::dynamics::compare::rows(m.as_ref()), vec![vec![1.0, 2.0], vec![3.0, 4.0]]);
/// ```
pub fn rows(m: MatRef<'_, f64>) -> Vec<Vec<f64>> {
    (0..m.nrows())
        .map(|i| (0..m.ncols()).map(|j| m[(i, j)]).collect())
        .collect()
}
