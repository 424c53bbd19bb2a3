//! Width convergence of finite networks to the infinite-width kernels.
//!
//! [`width_sweep`]: for each width `w` and seed `s`, a fresh network ([`crate::empirical::Mlp`],
//! seed `seed + s`) and the relative Frobenius errors of its empirical kernels against the
//! analytic ones ([`crate::kernel::kernels`]):
//!
//! ```text
//! e_NTK(w, s)  = ||Theta_hat_{w,s} - Theta||_F / ||Theta||_F,    e_NNGP likewise,
//! mean and sample standard deviation over seeds, and the least-squares slope of
//! log(mean_s e(w, s)) against log(w)      (theory: e ~ w^{-1/2}, slope -1/2).
//! ```
//!
//! [`kernel_profile`]: the view of Jacot et al. (2018), Figure 1: on the unit circle,
//! `Theta_hat(x_0, x(gamma))` with `x_0 = (1, 0)`, `x(gamma) = (cos gamma, sin gamma)`, for every
//! seed and width, at initialization and after gradient descent on `f*(x) = x_1 x_2` with
//! `N(0, I_2)` training inputs, against the analytic limit. [`ProfileConfig::jacot2018`] is
//! the paper's setting.
//!
//! Tasks (one network each) run in parallel on a local pool of `threads` workers; each task is
//! sequential, so results do not depend on the thread count.

use crate::empirical::{self, Loss, Mlp, TrainConfig, Widths};
use crate::kernel::{self, KernelOptions};
use crate::rng::Rng;
use crate::{Activation, Error, Network, Parameterization, Result};
use faer::{Mat, MatRef, Par};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// A progress callback `(done, total)`, called from worker threads.
pub type Progress<'a> = Option<&'a (dyn Fn(usize, usize) + Sync)>;

/// Settings of [`width_sweep`].
///
/// ```
/// let cfg = ntk::converge::SweepConfig::new(vec![64, 256], 5);
/// assert_eq!((cfg.seed, cfg.threads), (0, 0));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepConfig {
    /// Hidden widths (every hidden layer has the same width).
    pub widths: Vec<usize>,
    /// Seeds per width (`S >= 1`): networks use seeds `seed, seed + 1, ..., seed + S - 1`.
    pub seeds: usize,
    /// First seed.
    pub seed: u64,
    /// Worker threads (0 = all cores); results do not depend on it.
    pub threads: usize,
}

impl SweepConfig {
    /// `seeds` networks per width, first seed 0, all cores.
    pub fn new(widths: Vec<usize>, seeds: usize) -> Self {
        SweepConfig {
            widths,
            seeds,
            seed: 0,
            threads: 0,
        }
    }
}

/// Errors at one width.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WidthStats {
    /// Hidden width.
    pub width: usize,
    /// Mean over seeds of the NTK relative error.
    pub ntk_rel_err_mean: f64,
    /// Sample standard deviation over seeds of the NTK relative error (0 for one seed).
    pub ntk_rel_err_std: f64,
    /// Mean over seeds of the NNGP relative error.
    pub nngp_rel_err_mean: f64,
    /// Sample standard deviation over seeds of the NNGP relative error.
    pub nngp_rel_err_std: f64,
    /// Relative error of the seed-averaged empirical NTK (shrinks with more seeds, down to the
    /// O(1/width) bias).
    pub ntk_seed_mean_rel_err: f64,
    /// Relative error of the seed-averaged empirical NNGP.
    pub nngp_seed_mean_rel_err: f64,
    /// Per-seed NTK relative errors, in seed order.
    pub ntk_rel_err: Vec<f64>,
    /// Per-seed NNGP relative errors, in seed order.
    pub nngp_rel_err: Vec<f64>,
}

/// The result of [`width_sweep`] (and, optionally, [`kernel_profile`]), as written to
/// `report.json` by `ntk converge`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConvergenceReport {
    /// The crate version.
    pub version: String,
    /// The network (parameterization, activation, depth, w_std, b_std).
    pub network: Network,
    /// Where the inputs came from (file, dataset name).
    pub data: String,
    /// Number of input points.
    pub n_points: usize,
    /// Input dimension.
    pub input_dim: usize,
    /// Seeds per width.
    pub seeds: usize,
    /// First seed.
    pub seed: u64,
    /// One entry per width, in increasing width.
    pub widths: Vec<WidthStats>,
    /// Least-squares slope of log(mean NTK error) against log(width) (`None` with < 2 widths).
    pub ntk_slope: Option<f64>,
    /// Least-squares slope of log(mean NNGP error) against log(width).
    pub nngp_slope: Option<f64>,
    /// Frobenius norm of the analytic NTK (of the widest network, for the standard
    /// parameterization, whose NTK depends on width).
    pub analytic_ntk_norm: f64,
    /// Frobenius norm of the analytic NNGP.
    pub analytic_nngp_norm: f64,
    /// The Jacot et al. Figure 1 view, if computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileReport>,
    /// Wall-clock seconds of the sweep (and profile).
    pub seconds: f64,
}

fn check_widths(widths: &[usize], what: &str) -> Result<()> {
    if widths.is_empty() {
        return Err(Error::param(
            what,
            "give at least one width, e.g. 64,256,1024",
        ));
    }
    if widths.contains(&0) {
        return Err(Error::param(what, "widths must be at least 1"));
    }
    let mut sorted = widths.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.len() != widths.len() {
        return Err(Error::param(what, "each width may appear only once"));
    }
    Ok(())
}

/// Bytes needed by one network of `width` at `depth` on `d` inputs with `n` points.
fn task_bytes(depth: usize, d: usize, width: usize, n: usize) -> f64 {
    let w = width as f64;
    let params = if depth == 0 {
        d as f64 + 1.0
    } else {
        (d as f64 + 1.0) * w + (depth as f64 - 1.0) * (w + 1.0) * w + w + 1.0
    };
    8.0 * (params + 2.0 * n as f64 * w * (depth as f64 + 2.0) + 5.0 * (n * n) as f64)
}

/// The analytic network matching a finite one of hidden width `width` (the standard
/// parameterization's NTK depends on it).
fn analytic_net(net: &Network, width: usize) -> Network {
    let mut n = net.clone();
    if n.parameterization == Parameterization::Standard {
        n.width = Some(width);
    }
    n
}

/// Empirical vs analytic kernels over widths and seeds on the rows of `x` (definitions in the
/// [module docs](self)). `data` names the inputs in the report.
///
/// # Errors
/// [`Error::InvalidParameter`] for no/zero/duplicate widths or `seeds = 0`; input errors;
/// [`Error::Memory`] if `threads` concurrent networks of the largest width would exceed 75% of
/// memory; [`Error::Numerical`] if the analytic kernel is zero.
///
/// ```
/// use ntk::{converge::{width_sweep, SweepConfig}, Activation, Network};
/// let net = Network::mlp(Activation::Erf, 1, 1.5, 0.1)?;
/// let x = ntk::data::Dataset::Circle(6).load()?.x;
/// let cfg = SweepConfig { threads: 1, ..SweepConfig::new(vec![16, 256], 3) };
/// let r = width_sweep(&net, x.as_ref(), "circle:6", &cfg, None)?;
/// assert!(r.widths[1].ntk_rel_err_mean < r.widths[0].ntk_rel_err_mean);
/// assert!(r.ntk_slope.unwrap() < 0.0);
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn width_sweep(
    net: &Network,
    x: MatRef<'_, f64>,
    data: &str,
    cfg: &SweepConfig,
    progress: Progress<'_>,
) -> Result<ConvergenceReport> {
    let start = std::time::Instant::now();
    net.validate()?;
    check_widths(&cfg.widths, "widths")?;
    if cfg.seeds == 0 {
        return Err(Error::param("seeds", "need at least one seed per width"));
    }
    if x.ncols() == 0 {
        return Err(Error::Data(
            "the inputs have no columns (dimension 0); give points of dimension >= 1".into(),
        ));
    }
    crate::empirical::check_input("x", x, x.ncols())?;
    let (n, d) = (x.nrows(), x.ncols());
    let mut widths = cfg.widths.clone();
    widths.sort_unstable();
    let threads = crate::empirical::resolve_threads(cfg.threads);
    let max_w = *widths.last().unwrap_or(&1);
    let bytes = threads.min(widths.len() * cfg.seeds) as f64 * task_bytes(net.depth, d, max_w, n);
    crate::empirical::check_memory(bytes, || {
        format!("{threads} concurrent networks of width {max_w}")
    })?;

    // analytic kernels: one per width for the standard parameterization, else one
    let kopts = KernelOptions {
        threads: 1,
        ..Default::default()
    };
    let mut analytic = Vec::new();
    for &w in &widths {
        if analytic.is_empty() || net.parameterization == Parameterization::Standard {
            let k = kernel::kernels(&analytic_net(net, w), x, None, &kopts)?;
            let ntk = k
                .ntk
                .ok_or_else(|| Error::Numerical("the analytic NTK was not computed".into()))?;
            if ntk.norm_l2() == 0.0 || k.nngp.norm_l2() == 0.0 {
                return Err(Error::Numerical(
                    "the analytic kernel is identically zero (w_std = 0?); relative errors are undefined".into(),
                ));
            }
            analytic.push((ntk, k.nngp));
        } else {
            let first = analytic[0].clone();
            analytic.push(first);
        }
    }

    // tasks, widest first for load balance; results land by index
    let mut tasks: Vec<(usize, usize)> = (0..widths.len())
        .flat_map(|wi| (0..cfg.seeds).map(move |s| (wi, s)))
        .collect();
    tasks.sort_by_key(|&(wi, s)| (std::cmp::Reverse(widths[wi]), s));
    let total = tasks.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let run = |&(wi, s): &(usize, usize)| -> Result<(usize, usize, Mat<f64>, Mat<f64>)> {
        let mlp = Mlp::init(
            net,
            d,
            &Widths::Uniform(widths[wi]),
            cfg.seed.wrapping_add(s as u64),
        )?;
        let k = empirical::ntk::compute(&mlp, x, None, Par::Seq);
        let c = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if let Some(p) = progress {
            p(c, total);
        }
        Ok((wi, s, k.ntk, k.nngp))
    };
    let results: Vec<Result<_>> = crate::empirical::with_threads(threads, |_| {
        if threads <= 1 {
            tasks.iter().map(run).collect()
        } else {
            tasks.par_iter().map(run).collect()
        }
    })?;
    type Slot = Option<(Mat<f64>, Mat<f64>)>;
    let mut per: Vec<Vec<Slot>> = (0..widths.len())
        .map(|_| (0..cfg.seeds).map(|_| None).collect())
        .collect();
    for r in results {
        let (wi, s, t, k) = r?;
        per[wi][s] = Some((t, k));
    }

    let mut stats = Vec::with_capacity(widths.len());
    for (wi, &w) in widths.iter().enumerate() {
        let (theta, sigma) = &analytic[wi];
        let mut te = Vec::with_capacity(cfg.seeds);
        let mut ke = Vec::with_capacity(cfg.seeds);
        let mut tsum = Mat::<f64>::zeros(n, n);
        let mut ksum = Mat::<f64>::zeros(n, n);
        for (t, k) in per[wi].iter().flatten() {
            te.push(rel_err(t.as_ref(), theta.as_ref()));
            ke.push(rel_err(k.as_ref(), sigma.as_ref()));
            tsum += t;
            ksum += k;
        }
        let inv = 1.0 / cfg.seeds as f64;
        let (tm, ts) = mean_std(&te);
        let (km, ks) = mean_std(&ke);
        stats.push(WidthStats {
            width: w,
            ntk_rel_err_mean: tm,
            ntk_rel_err_std: ts,
            nngp_rel_err_mean: km,
            nngp_rel_err_std: ks,
            ntk_seed_mean_rel_err: rel_err((&tsum * faer::Scale(inv)).as_ref(), theta.as_ref()),
            nngp_seed_mean_rel_err: rel_err((&ksum * faer::Scale(inv)).as_ref(), sigma.as_ref()),
            ntk_rel_err: te,
            nngp_rel_err: ke,
        });
    }
    let ws: Vec<f64> = widths.iter().map(|&w| w as f64).collect();
    let ntk_slope = loglog_slope(
        &ws,
        &stats.iter().map(|s| s.ntk_rel_err_mean).collect::<Vec<_>>(),
    );
    let nngp_slope = loglog_slope(
        &ws,
        &stats
            .iter()
            .map(|s| s.nngp_rel_err_mean)
            .collect::<Vec<_>>(),
    );
    let last = analytic
        .last()
        .map(|(t, k)| (t.norm_l2(), k.norm_l2()))
        .unwrap_or((0.0, 0.0));
    Ok(ConvergenceReport {
        version: crate::VERSION.to_string(),
        network: net.clone(),
        data: data.to_string(),
        n_points: n,
        input_dim: d,
        seeds: cfg.seeds,
        seed: cfg.seed,
        widths: stats,
        ntk_slope,
        nngp_slope,
        analytic_ntk_norm: last.0,
        analytic_nngp_norm: last.1,
        profile: None,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// `||a - b||_F / ||b||_F`.
///
/// ```
/// let a = faer::Mat::from_fn(2, 2, |i, j| (i + j) as f64);
/// assert_eq!(ntk::converge::rel_err(a.as_ref(), a.as_ref()), 0.0);
/// ```
pub fn rel_err(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> f64 {
    (a - b).norm_l2() / b.norm_l2()
}

/// Mean and sample standard deviation (0 for a single value).
fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    if v.len() < 2 {
        return (m, 0.0);
    }
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
    (m, var.sqrt())
}

/// Least-squares slope of `ln y` against `ln x` (`None` with fewer than two usable points).
///
/// ```
/// let x = [64.0, 256.0, 1024.0];
/// let y: Vec<f64> = x.iter().map(|w: &f64| 3.0 / w.sqrt()).collect();
/// assert!((ntk::converge::loglog_slope(&x, &y).unwrap() + 0.5).abs() < 1e-12);
/// ```
pub fn loglog_slope(x: &[f64], y: &[f64]) -> Option<f64> {
    let pts: Vec<(f64, f64)> = x
        .iter()
        .zip(y)
        .filter(|(a, b)| **a > 0.0 && **b > 0.0 && a.is_finite() && b.is_finite())
        .map(|(a, b)| (a.ln(), b.ln()))
        .collect();
    if pts.len() < 2 {
        return None;
    }
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    if sxx == 0.0 { None } else { Some(sxy / sxx) }
}

/// Settings of [`kernel_profile`] (the Jacot et al. Figure 1 view).
///
/// ```
/// let p = ntk::converge::ProfileConfig::jacot2018();
/// assert_eq!((p.widths.clone(), p.seeds, p.steps), (vec![500, 10000], 10, 200));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileConfig {
    /// Hidden widths to show.
    pub widths: Vec<usize>,
    /// Networks per width (seeds `seed .. seed + seeds - 1`).
    pub seeds: usize,
    /// First seed.
    pub seed: u64,
    /// Number of angles `gamma` in `[-pi, pi]` (both ends included).
    pub n_angles: usize,
    /// Training points `x ~ N(0, I_2)`, target `f*(x) = x_1 x_2` (0: no training).
    pub n_train: usize,
    /// Seed of the training inputs.
    pub data_seed: u64,
    /// Gradient-descent steps.
    pub steps: usize,
    /// Learning rate; `None`: `min(1, 1 / (c lambda_max))` with `lambda_max` the largest
    /// eigenvalue of the analytic NTK on the training inputs and `c` the loss's gradient scale
    /// (half the largest stable rate).
    pub learning_rate: Option<f64>,
    /// Loss convention.
    pub loss: Loss,
    /// Worker threads (0 = all cores).
    pub threads: usize,
}

impl ProfileConfig {
    /// The paper's setting: widths 500 and 10000, 10 seeds, 200 steps of learning rate 1.0 on
    /// the functional cost `1/(2N) ||f - f*||^2` ([`Loss::Mean`]) with `N = 10` training points
    /// (use with [`jacot2018_network`]). Heavy: see `docs/finite-width.md` for its run time.
    pub fn jacot2018() -> Self {
        ProfileConfig {
            widths: vec![500, 10000],
            seeds: 10,
            seed: 0,
            n_angles: 101,
            n_train: 10,
            data_seed: 2018,
            steps: 200,
            learning_rate: Some(1.0),
            loss: Loss::Mean,
            threads: 0,
        }
    }

    /// A scaled-down view for the given widths and seeds: otherwise as [`ProfileConfig::jacot2018`]
    /// but with an automatic (stable) learning rate.
    pub fn scaled(widths: Vec<usize>, seeds: usize) -> Self {
        ProfileConfig {
            widths,
            seeds,
            learning_rate: None,
            ..Self::jacot2018()
        }
    }
}

/// The paper's network: ReLU, depth 4, NTK parameterization with `w_std = 1` (Jacot et al.'s
/// `1/sqrt(n)` scaling) and `b_std = 0.1` (their `beta`).
///
/// ```
/// assert_eq!(ntk::converge::jacot2018_network().summary(), "relu depth=4 w_std=1 b_std=0.1 ntk");
/// ```
pub fn jacot2018_network() -> Network {
    Network {
        activation: Activation::Relu,
        depth: 4,
        w_std: 1.0,
        b_std: 0.1,
        bias: true,
        parameterization: Parameterization::Ntk,
        width: None,
    }
}

/// One network's kernel profile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileCurve {
    /// Hidden width.
    pub width: usize,
    /// Seed.
    pub seed: u64,
    /// `Theta_hat(x_0, x(gamma))` at initialization.
    pub init: Vec<f64>,
    /// The same after training (absent without training).
    pub trained: Option<Vec<f64>>,
    /// Training loss at step 0 and at the end.
    pub loss: Option<(f64, f64)>,
    /// Relative Frobenius change of the empirical NTK on the training inputs.
    pub ntk_change: Option<f64>,
}

/// The analytic profile at one width (identical across widths in the NTK parameterization).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnalyticProfile {
    /// Hidden width.
    pub width: usize,
    /// `Theta(x_0, x(gamma))`.
    pub values: Vec<f64>,
}

/// The result of [`kernel_profile`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileReport {
    /// The settings.
    pub config: ProfileConfig,
    /// The learning rate used.
    pub learning_rate: f64,
    /// The angles `gamma`.
    pub gamma: Vec<f64>,
    /// The infinite-width NTK profile, per width.
    pub analytic: Vec<AnalyticProfile>,
    /// One curve per (width, seed), widths in increasing order.
    pub curves: Vec<ProfileCurve>,
    /// Mean over seeds of `ntk_change`, per width (in `config.widths` order, sorted).
    pub mean_ntk_change: Vec<(usize, f64)>,
}

/// The Jacot et al. Figure 1 view for `net` (definitions in the [module docs](self)).
///
/// # Errors
/// Invalid widths, seeds or angles; a learning rate that is not positive and finite;
/// [`Error::Memory`] as for [`width_sweep`]; [`Error::Numerical`] if training diverges.
///
/// ```
/// use ntk::converge::{kernel_profile, ProfileConfig};
/// let net = ntk::Network::mlp(ntk::Activation::Relu, 2, 1.0, 0.1)?;
/// let cfg = ProfileConfig { n_angles: 9, steps: 5, threads: 1, ..ProfileConfig::scaled(vec![32], 2) };
/// let p = kernel_profile(&net, &cfg, None)?;
/// assert_eq!(p.curves.len(), 2);
/// assert_eq!(p.gamma.len(), 9);
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn kernel_profile(
    net: &Network,
    cfg: &ProfileConfig,
    progress: Progress<'_>,
) -> Result<ProfileReport> {
    net.validate()?;
    check_widths(&cfg.widths, "profile widths")?;
    if cfg.seeds == 0 {
        return Err(Error::param("seeds", "need at least one seed per width"));
    }
    if cfg.n_angles < 2 {
        return Err(Error::param("n_angles", "need at least 2 angles"));
    }
    if let Some(lr) = cfg.learning_rate {
        if !(lr.is_finite() && lr > 0.0) {
            return Err(Error::param(
                "learning_rate",
                format!("must be positive and finite, got {lr}"),
            ));
        }
    }
    let mut widths = cfg.widths.clone();
    widths.sort_unstable();
    let threads = crate::empirical::resolve_threads(cfg.threads);
    let max_w = *widths.last().unwrap_or(&1);
    let bytes = threads.min(widths.len() * cfg.seeds) as f64
        * task_bytes(net.depth, 2, max_w, cfg.n_angles.max(cfg.n_train));
    crate::empirical::check_memory(bytes, || {
        format!("{threads} concurrent networks of width {max_w}")
    })?;

    let m = cfg.n_angles;
    let gamma: Vec<f64> = (0..m)
        .map(|i| -std::f64::consts::PI + 2.0 * std::f64::consts::PI * i as f64 / (m - 1) as f64)
        .collect();
    let x0 = Mat::from_fn(1, 2, |_, j| if j == 0 { 1.0 } else { 0.0 });
    let circle = Mat::from_fn(m, 2, |i, j| {
        if j == 0 {
            gamma[i].cos()
        } else {
            gamma[i].sin()
        }
    });
    let mut rng = Rng::new(cfg.data_seed);
    let x_train = Mat::from_fn(cfg.n_train, 2, |_, _| rng.normal());
    let y_train = Mat::from_fn(cfg.n_train, 1, |i, _| x_train[(i, 0)] * x_train[(i, 1)]);

    let kopts = KernelOptions {
        threads: 1,
        ..Default::default()
    };
    let mut analytic = Vec::new();
    let mut lambda_max = 0.0f64;
    for &w in &widths {
        let an = analytic_net(net, w);
        let k = kernel::kernels(&an, x0.as_ref(), Some(circle.as_ref()), &kopts)?;
        let t = k
            .ntk
            .ok_or_else(|| Error::Numerical("the analytic NTK was not computed".into()))?;
        analytic.push(AnalyticProfile {
            width: w,
            values: (0..m).map(|i| t[(0, i)]).collect(),
        });
        if cfg.n_train > 0 {
            let kt = kernel::kernels(&an, x_train.as_ref(), None, &kopts)?;
            if let Some(t) = kt.ntk {
                lambda_max = lambda_max.max(largest_eigenvalue(t.as_ref()));
            }
        }
    }
    let learning_rate = match cfg.learning_rate {
        Some(lr) => lr,
        None => {
            let c = cfg.loss.grad_scale(cfg.n_train, 1);
            if lambda_max > 0.0 {
                (1.0 / (c * lambda_max)).min(1.0)
            } else {
                1.0
            }
        }
    };

    let mut tasks: Vec<(usize, usize)> = (0..widths.len())
        .flat_map(|wi| (0..cfg.seeds).map(move |s| (wi, s)))
        .collect();
    tasks.sort_by_key(|&(wi, s)| (std::cmp::Reverse(widths[wi]), s));
    let total = tasks.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let run = |&(wi, s): &(usize, usize)| -> Result<(usize, usize, ProfileCurve)> {
        let seed = cfg.seed.wrapping_add(s as u64);
        let mut mlp = Mlp::init(net, 2, &Widths::Uniform(widths[wi]), seed)?;
        let profile = |mlp: &Mlp| -> Vec<f64> {
            let k = empirical::ntk::compute(mlp, x0.as_ref(), Some(circle.as_ref()), Par::Seq);
            (0..m).map(|i| k.ntk[(0, i)]).collect()
        };
        let init = profile(&mlp);
        let (trained, loss, ntk_change) = if cfg.n_train > 0 {
            let tc = TrainConfig::new(x_train.as_ref(), y_train.as_ref(), learning_rate, cfg.steps)
                .with_loss(cfg.loss)
                .with_threads(1);
            let rec = empirical::train(&mut mlp, &tc)?;
            let first = rec.snapshots.first().map_or(f64::NAN, |s| s.train_loss);
            let last = rec.snapshots.last().map_or(f64::NAN, |s| s.train_loss);
            (Some(profile(&mlp)), Some((first, last)), rec.ntk_change)
        } else {
            (None, None, None)
        };
        let c = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if let Some(p) = progress {
            p(c, total);
        }
        Ok((
            wi,
            s,
            ProfileCurve {
                width: widths[wi],
                seed,
                init,
                trained,
                loss,
                ntk_change,
            },
        ))
    };
    let results: Vec<Result<_>> = crate::empirical::with_threads(threads, |_| {
        if threads <= 1 {
            tasks.iter().map(run).collect()
        } else {
            tasks.par_iter().map(run).collect()
        }
    })?;
    let mut slots: Vec<Option<ProfileCurve>> = (0..tasks.len()).map(|_| None).collect();
    for r in results {
        let (wi, s, c) = r?;
        slots[wi * cfg.seeds + s] = Some(c);
    }
    let curves: Vec<ProfileCurve> = slots.into_iter().flatten().collect();
    let mean_ntk_change = widths
        .iter()
        .map(|&w| {
            let v: Vec<f64> = curves
                .iter()
                .filter(|c| c.width == w)
                .filter_map(|c| c.ntk_change)
                .collect();
            (
                w,
                if v.is_empty() {
                    f64::NAN
                } else {
                    v.iter().sum::<f64>() / v.len() as f64
                },
            )
        })
        .collect();
    Ok(ProfileReport {
        config: cfg.clone(),
        learning_rate,
        gamma,
        analytic,
        curves,
        mean_ntk_change,
    })
}

/// Largest eigenvalue of a symmetric positive semi-definite matrix by power iteration.
fn largest_eigenvalue(a: MatRef<'_, f64>) -> f64 {
    let n = a.nrows();
    if n == 0 {
        return 0.0;
    }
    let mut v = vec![1.0 / (n as f64).sqrt(); n];
    let mut lambda = 0.0;
    for _ in 0..500 {
        let w: Vec<f64> = (0..n)
            .map(|i| (0..n).map(|j| a[(i, j)] * v[j]).sum())
            .collect();
        let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm == 0.0 {
            return 0.0;
        }
        let new = w.iter().zip(&v).map(|(a, b)| a * b).sum::<f64>();
        v = w.iter().map(|x| x / norm).collect();
        if (new - lambda).abs() <= 1e-12 * new.abs() {
            return new;
        }
        lambda = new;
    }
    lambda
}
