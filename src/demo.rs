//! The main job on built-in data (`ntk demo`): what the project is for, in a couple of
//! minutes on 2 cores.
//!
//! 1. **Analytic kernels of the UCI digits** (first 1000 images train, the other 797 test):
//!    infinite-width kernel regression `f(x*) = K(x*, X) K(X, X)^{-1} Y` (gradient flow at
//!    t = infinity, f_0 = 0, one-hot targets centred at 0) with the NTK and the NNGP of ReLU,
//!    erf and SELU networks, and its test accuracy.
//! 2. **Width convergence** of finite networks' empirical NTK to the analytic one.
//! 3. **Predicted vs trained dynamics** of finite networks of two widths.
//!
//! Everything goes into one folder with a `summary.md`; [`DemoReport`] holds the numbers.

use crate::converge::{self, ConvergenceReport, ProfileConfig, SweepConfig};
use crate::data::Dataset;
use crate::dynamics::compare::{CompareConfig, WidthSummary, compare};
use crate::dynamics::{Ensemble, EnsembleTest, FlowOptions, GradientFlow, Loss, Point, TestData};
use crate::kernel::{KernelOptions, KernelPlan};
use crate::{Activation, Error, Network, Result};
use faer::{Mat, MatRef};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Options of the demo.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// Output folder (created if missing).
    pub out: PathBuf,
    /// Worker threads (0 = all cores).
    pub threads: usize,
    /// Seed for every random draw (finite networks).
    pub seed: u64,
    /// A much smaller run (for tests): fewer points, widths and seeds.
    pub quick: bool,
}

/// Kernel-regression accuracy of one network on the digits.
#[derive(Clone, Debug, Serialize)]
pub struct DigitsResult {
    /// The network.
    pub network: Network,
    /// Seconds to compute the train and test-train kernels (NNGP and NTK).
    pub kernel_seconds: f64,
    /// Test accuracy of NTK regression (gradient flow to t = infinity).
    pub ntk_test_accuracy: f64,
    /// Test accuracy of NNGP regression (readout-only training to t = infinity).
    pub nngp_test_accuracy: f64,
    /// Condition number of the train NTK.
    pub ntk_condition: f64,
}

/// Everything the demo measured.
#[derive(Clone, Debug, Serialize)]
pub struct DemoReport {
    /// crate version
    pub version: String,
    /// Train / test sizes of the digits split.
    pub digits_split: (usize, usize),
    /// Kernel regression on the digits, per network.
    pub digits: Vec<DigitsResult>,
    /// Width convergence of the empirical NTK/NNGP on the unit circle.
    pub convergence: Option<ConvergenceReport>,
    /// Predicted vs trained dynamics (digits 3 vs 8): per width, the deviation of trained
    /// networks from the kernel prediction.
    pub dynamics: Vec<WidthSummary>,
    /// The learning rate used for the dynamics stage and the largest stable one.
    pub dynamics_learning_rate: (f64, f64),
    /// Seconds per stage.
    pub stage_seconds: Vec<(String, f64)>,
    /// Files written (relative to the output folder).
    pub files: Vec<String>,
    /// Total seconds.
    pub seconds: f64,
}

/// (x_train, x_test, y_train, test labels)
type Split = (Mat<f64>, Mat<f64>, Mat<f64>, Vec<u8>);

/// Split the digits: the first `n_train` rows train, the rest (up to `n_test`) test.
/// Targets: one-hot over the 10 classes minus 0.1 (zero mean).
fn digits_split(n_train: usize, n_test: usize) -> Result<Split> {
    let d = Dataset::Digits.load()?;
    let labels = d
        .labels
        .ok_or_else(|| Error::Data("digits without labels".into()))?;
    let n = d.x.nrows();
    let n_test = n_test.min(n - n_train);
    let x_train = d.x.as_ref().subrows(0, n_train).to_owned();
    let x_test = d.x.as_ref().subrows(n_train, n_test).to_owned();
    let y_train = Mat::from_fn(n_train, 10, |i, k| {
        if labels[i] as usize == k { 0.9 } else { -0.1 }
    });
    Ok((
        x_train,
        x_test,
        y_train,
        labels[n_train..n_train + n_test].to_vec(),
    ))
}

fn accuracy(pred: MatRef<'_, f64>, labels: &[u8]) -> f64 {
    let mut right = 0;
    for (i, &l) in labels.iter().enumerate() {
        let mut best = 0;
        for k in 1..pred.ncols() {
            if pred[(i, k)] > pred[(i, best)] {
                best = k;
            }
        }
        right += usize::from(best == l as usize);
    }
    right as f64 / labels.len() as f64
}

/// Kernel regression (gradient flow to t = infinity from f_0 = 0) test accuracy.
fn regress(
    k_train: MatRef<'_, f64>,
    k_test: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    labels: &[u8],
    threads: usize,
) -> Result<(f64, f64)> {
    let opts = FlowOptions {
        threads,
        ..Default::default()
    };
    let flow = GradientFlow::new(k_train, y, &opts)?;
    let p = flow.predict(
        None,
        Some(TestData::new(k_test)),
        &[Point::Time(f64::INFINITY)],
    )?;
    let fx = p
        .fx_test
        .as_ref()
        .and_then(|v| v.first())
        .ok_or_else(|| Error::Numerical("no test prediction".into()))?;
    Ok((
        accuracy(fx.as_ref(), labels),
        flow.diagnostics().condition_number,
    ))
}

/// Run the analytic-kernel part on the digits for one network.
pub fn digits_kernel_regression(
    net: &Network,
    n_train: usize,
    n_test: usize,
    threads: usize,
) -> Result<DigitsResult> {
    let (x_train, x_test, y, labels) = digits_split(n_train, n_test)?;
    let opts = KernelOptions {
        threads,
        ..Default::default()
    };
    let start = Instant::now();
    let k_tt = KernelPlan::new(net, x_train.as_ref(), None)?.compute(&opts, None)?;
    let k_st =
        KernelPlan::new(net, x_test.as_ref(), Some(x_train.as_ref()))?.compute(&opts, None)?;
    let kernel_seconds = start.elapsed().as_secs_f64();
    let missing = || Error::Numerical("NTK not computed".into());
    let (ntk_acc, cond) = regress(
        k_tt.ntk.as_ref().ok_or_else(missing)?.as_ref(),
        k_st.ntk.as_ref().ok_or_else(missing)?.as_ref(),
        y.as_ref(),
        &labels,
        threads,
    )?;
    let (nngp_acc, _) = regress(
        k_tt.nngp.as_ref(),
        k_st.nngp.as_ref(),
        y.as_ref(),
        &labels,
        threads,
    )?;
    Ok(DigitsResult {
        network: net.clone(),
        kernel_seconds,
        ntk_test_accuracy: ntk_acc,
        nngp_test_accuracy: nngp_acc,
        ntk_condition: cond,
    })
}

/// Run the demo, reporting stages through `progress`.
///
/// # Errors
/// I/O errors writing into `opts.out`, or any error of the stages.
///
/// ```no_run
/// let opts = ntk::demo::DemoOptions { out: "demo".into(), threads: 0, seed: 0, quick: true };
/// let report = ntk::demo::run(&opts, &|stage| eprintln!("{stage}"))?;
/// assert!(report.digits[0].ntk_test_accuracy > 0.8);
/// # Ok::<(), ntk::Error>(())
/// ```
pub fn run(opts: &DemoOptions, progress: &dyn Fn(&str)) -> Result<DemoReport> {
    let start = Instant::now();
    std::fs::create_dir_all(&opts.out).map_err(|source| Error::Io {
        path: opts.out.clone(),
        source,
        usage: true,
    })?;
    crate::io::check_writable(&opts.out.join("summary.md"))?;
    let (n_train, n_test) = if opts.quick { (300, 200) } else { (1000, 797) };
    let nets = [
        Network::mlp(Activation::Relu, 3, 2f64.sqrt(), 0.1)?,
        Network::mlp(Activation::Erf, 3, 1.0, 0.1)?,
        Network::mlp(Activation::Selu, 3, 1.0, 0.0)?,
    ];
    let mut files = Vec::new();
    let mut stage_seconds = Vec::new();
    let mut digits = Vec::new();
    for net in &nets {
        let t0 = Instant::now();
        progress(&format!(
            "digits: analytic kernels and kernel regression, {}",
            net.summary()
        ));
        digits.push(digits_kernel_regression(
            net,
            n_train,
            n_test,
            opts.threads,
        )?);
        stage_seconds.push((
            format!("digits {}", net.activation.name()),
            t0.elapsed().as_secs_f64(),
        ));
    }
    // a picture of the kernel: 300 digits sorted by label
    let t0 = Instant::now();
    progress("digits: NTK heatmap");
    files.extend(digits_heatmap(&nets[0], &opts.out, opts.threads)?);
    stage_seconds.push(("heatmap".into(), t0.elapsed().as_secs_f64()));

    // width convergence on the unit circle (Jacot et al.), ReLU depth 3
    let t0 = Instant::now();
    let conv_net = Network::mlp(Activation::Relu, 3, 2f64.sqrt(), 0.1)?;
    let (widths, seeds) = if opts.quick {
        (vec![32, 128, 512], 3)
    } else {
        (vec![64, 256, 1024, 4096], 5)
    };
    progress(&format!(
        "width convergence on circle:16, widths {widths:?}, {seeds} seeds"
    ));
    let circle = Dataset::Circle(16).load()?;
    let cfg = SweepConfig {
        seed: opts.seed,
        threads: opts.threads,
        ..SweepConfig::new(widths, seeds)
    };
    let conv = converge::width_sweep(&conv_net, circle.x.as_ref(), "circle:16", &cfg, None)?;
    files.extend(crate::plot::convergence::convergence(&conv, &opts.out)?);
    stage_seconds.push(("width convergence".into(), t0.elapsed().as_secs_f64()));

    // Jacot et al. Fig. 1 view, scaled down: Theta(x0, x(gamma)) at init and after training
    let t0 = Instant::now();
    let (pw, ps) = if opts.quick {
        (vec![64, 512], 3)
    } else {
        (vec![100, 1000], 5)
    };
    progress(&format!(
        "kernel profile (Jacot et al. Fig. 1, scaled: widths {pw:?}, {ps} seeds)"
    ));
    let pcfg = ProfileConfig {
        seed: opts.seed,
        threads: opts.threads,
        ..ProfileConfig::scaled(pw, ps)
    };
    let profile = converge::kernel_profile(&converge::jacot2018_network(), &pcfg, None)?;
    files.extend(crate::plot::profile::profile(
        &profile,
        "scaled-down Jacot et al. 2018 setting",
        &opts.out,
    )?);
    stage_seconds.push(("kernel profile".into(), t0.elapsed().as_secs_f64()));

    // predicted vs trained dynamics
    let t0 = Instant::now();
    let widths = if opts.quick {
        vec![16, 128]
    } else {
        vec![32, 256, 1024]
    };
    progress(&format!(
        "dynamics: digits 3 vs 8, kernel prediction vs trained networks of widths {widths:?}"
    ));
    let (dynamics, lr, files_dyn) = dynamics_stage(
        &opts.out,
        &widths,
        if opts.quick { 2 } else { 3 },
        opts.seed,
        opts.threads,
    )?;
    files.extend(files_dyn);
    stage_seconds.push((
        "predicted vs trained dynamics".into(),
        t0.elapsed().as_secs_f64(),
    ));

    let mut report = DemoReport {
        version: crate::VERSION.to_string(),
        digits_split: (n_train, n_test),
        digits,
        convergence: Some(conv),
        dynamics,
        dynamics_learning_rate: lr,
        stage_seconds,
        files: files
            .iter()
            .map(|p| p.strip_prefix(&opts.out).unwrap_or(p).display().to_string())
            .collect(),
        seconds: 0.0,
    };
    report.seconds = start.elapsed().as_secs_f64();
    write_summary(&opts.out, &mut report)?;
    Ok(report)
}

/// (x_train, y_train, x_test, y_test)
type Split4 = (Mat<f64>, Mat<f64>, Mat<f64>, Mat<f64>);

/// What the dynamics stage returns: per-width summaries, (learning rate, largest stable rate),
/// files written.
type DynamicsOutcome = (Vec<WidthSummary>, (f64, f64), Vec<PathBuf>);

/// Binary regression digits 3 (-1) vs 8 (+1): 32 train and 64 test images.
fn three_vs_eight() -> Result<Split4> {
    let d = Dataset::Digits.load()?;
    let labels = d
        .labels
        .ok_or_else(|| Error::Data("digits without labels".into()))?;
    let idx: Vec<usize> = (0..labels.len())
        .filter(|&i| labels[i] == 3 || labels[i] == 8)
        .collect();
    let pick = |ids: &[usize]| {
        let x = Mat::from_fn(ids.len(), d.x.ncols(), |i, j| d.x[(ids[i], j)]);
        let y = Mat::from_fn(
            ids.len(),
            1,
            |i, _| if labels[ids[i]] == 8 { 1.0 } else { -1.0 },
        );
        (x, y)
    };
    let (x_train, y_train) = pick(&idx[..32]);
    let (x_test, y_test) = pick(&idx[32..96]);
    Ok((x_train, y_train, x_test, y_test))
}

/// Gradient descent predicted from the analytic NTK next to real finite networks trained from
/// the same initial outputs; plots of the losses, test predictions with the ensemble's
/// +-2 sigma band, and the deviation against width.
fn dynamics_stage(
    out: &Path,
    widths: &[usize],
    seeds: usize,
    seed: u64,
    threads: usize,
) -> Result<DynamicsOutcome> {
    use crate::plot::dynamics as pd;
    let (x, y, xt, yt) = three_vs_eight()?;
    let net = Network::mlp(Activation::Relu, 2, 2f64.sqrt(), 0.1)?;
    let ko = KernelOptions {
        threads,
        ..Default::default()
    };
    let missing = || Error::Numerical("NTK not computed".into());
    let k = KernelPlan::new(&net, x.as_ref(), None)?.compute(&ko, None)?;
    let kst = KernelPlan::new(&net, xt.as_ref(), Some(x.as_ref()))?.compute(&ko, None)?;
    let kss = KernelPlan::new(&net, xt.as_ref(), None)?.compute(
        &KernelOptions {
            compute_ntk: false,
            ..ko.clone()
        },
        None,
    )?;
    let (ntk, ntk_st) = (
        k.ntk.as_ref().ok_or_else(missing)?,
        kst.ntk.as_ref().ok_or_else(missing)?,
    );
    let max_lr = crate::dynamics::max_learning_rate(ntk.as_ref(), Loss::Sum, 1, faer::Par::Seq)?
        .ok_or_else(|| Error::Numerical("the train NTK has no positive eigenvalue".into()))?;
    let lr = 0.5 * max_lr;
    let fopts = FlowOptions {
        learning_rate: lr,
        threads,
        ..Default::default()
    };
    let ens = Ensemble::ntk(ntk.as_ref(), k.nngp.as_ref(), y.as_ref(), &fopts)?;
    let steps: Vec<u64> = vec![0, 1, 2, 5, 10, 20, 50, 100, 200, 500];
    let cfg = CompareConfig {
        net: &net,
        x_train: x.as_ref(),
        x_test: xt.as_ref(),
        k_test_train: ntk_st.as_ref(),
        y_test: Some(yt.as_ref()),
        steps: steps.clone(),
        widths: widths.to_vec(),
        seeds,
        seed,
        threads,
    };
    let check = compare(ens.flow(), &cfg)?;
    let mut files = Vec::new();
    let test = TestData {
        k_test_train: ntk_st.as_ref(),
        f0_test: None,
        y_test: Some(yt.as_ref()),
    };
    let about = format!(
        "{} | digits 3 vs 8 (-1 / +1), 32 train / 64 test | learning rate {} (half the largest stable) | {} seeds per width",
        net.summary(),
        crate::plot::short_number(lr),
        seeds
    );
    let mut loss = pd::loss_figure(ens.flow(), None, Some(test), &steps, Some(&check))?;
    loss.subtitle = about.clone();
    files.extend(loss.save(&out.join("dynamics_loss"))?);
    let et = EnsembleTest {
        ntk_test_train: Some(ntk_st.as_ref()),
        nngp_test_train: kst.nngp.as_ref(),
        nngp_test_test: kss.nngp.as_ref(),
    };
    let last = *steps.last().unwrap_or(&0);
    let m = ens.test(&et, &[Point::Steps(last)])?;
    let band = m
        .first()
        .ok_or_else(|| Error::Numerical("no ensemble moments".into()))?;
    let mut pred = pd::band_figure(
        band,
        0,
        Some(yt.as_ref()),
        Some(&check),
        Some(steps.len() - 1),
        &format!("step {last}"),
    );
    pred.subtitle = about.clone();
    pred.y_label = "network output f(x) (target: -1 = digit 3, +1 = digit 8)".into();
    files.extend(pred.save(&out.join("dynamics_test_predictions"))?);
    let mut width = pd::width_figure(&check);
    width.subtitle = about;
    files.extend(width.save(&out.join("dynamics_width"))?);
    Ok((check.summary, (lr, max_lr), files))
}

/// Heatmap of the NTK of 300 training digits sorted by label.
fn digits_heatmap(net: &Network, out: &Path, threads: usize) -> Result<Vec<PathBuf>> {
    let d = Dataset::Digits.load()?;
    let labels = d
        .labels
        .ok_or_else(|| Error::Data("digits without labels".into()))?;
    let mut idx: Vec<usize> = (0..300).collect();
    idx.sort_by_key(|&i| labels[i]);
    let x = Mat::from_fn(idx.len(), d.x.ncols(), |i, j| d.x[(idx[i], j)]);
    let k = KernelPlan::new(net, x.as_ref(), None)?.compute(
        &KernelOptions {
            threads,
            ..Default::default()
        },
        None,
    )?;
    let ntk = k
        .ntk
        .ok_or_else(|| Error::Numerical("NTK not computed".into()))?;
    let labels = crate::plot::heatmap::Labels {
        title: format!(
            "Analytic NTK of 300 digits, sorted by label 0-9 | {}",
            net.summary()
        ),
        value: "NTK Theta(x_i, x_j)".into(),
        axis: "digit (sorted by label)".into(),
    };
    crate::plot::heatmap::heatmap_labelled(ntk.as_ref(), &labels, &out.join("digits_ntk_heatmap"))
}

fn write_summary(out: &Path, report: &mut DemoReport) -> Result<()> {
    report.files.push("summary.md".into());
    report.files.push("report.json".into());
    let mut s = String::new();
    s.push_str(&format!("# ntk demo (ntk {})\n\n", report.version));
    s.push_str(&format!(
        "## 1. Infinite-width kernel regression on the UCI digits\n\n{} train / {} test images \
         (8x8, pixels scaled to [0, 1]); one-hot targets; prediction = gradient flow to t = infinity \
         from f_0 = 0, i.e. K(x*, X) K(X, X)^-1 Y.\n\n",
        report.digits_split.0, report.digits_split.1
    ));
    s.push_str("| network | NTK test accuracy | NNGP test accuracy | cond(NTK) | kernels (s) |\n|---|---|---|---|---|\n");
    for r in &report.digits {
        s.push_str(&format!(
            "| {} | {:.2}% | {:.2}% | {:.3e} | {:.2} |\n",
            r.network.summary(),
            100.0 * r.ntk_test_accuracy,
            100.0 * r.nngp_test_accuracy,
            r.ntk_condition,
            r.kernel_seconds
        ));
    }
    if let Some(c) = &report.convergence {
        s.push_str(&format!(
            "\n## 2. Width convergence (circle:16, {}, {} seeds per width)\n\nRelative Frobenius error \
             ||Theta_hat - Theta|| / ||Theta|| of finite networks' empirical kernels against the analytic \
             ones (plots: `convergence.png`/`.svg`; Jacot et al. Fig. 1 view: `profile.png`/`.svg`).\n\n\
             | width | NTK error (mean +- std) | NNGP error (mean +- std) |\n|---|---|---|\n",
            c.network.summary(),
            c.seeds
        ));
        for w in &c.widths {
            s.push_str(&format!(
                "| {} | {:.4} +- {:.4} | {:.4} +- {:.4} |\n",
                w.width,
                w.ntk_rel_err_mean,
                w.ntk_rel_err_std,
                w.nngp_rel_err_mean,
                w.nngp_rel_err_std
            ));
        }
        let f = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{v:.3}"));
        s.push_str(&format!(
            "\nFitted log-log slopes: NTK {}, NNGP {} (theory: -1/2).\n",
            f(c.ntk_slope),
            f(c.nngp_slope)
        ));
    }
    if !report.dynamics.is_empty() {
        let (lr, max_lr) = report.dynamics_learning_rate;
        s.push_str(&format!(
            "\n## 3. Predicted vs trained dynamics (digits 3 vs 8, 32 train / 64 test, relu depth 2)\n\n\
             Full-batch gradient descent, loss 1/2 ||f - Y||^2, learning rate {lr:.4} (half the largest \
             stable rate {max_lr:.4}), 500 steps. Each finite network is compared with the kernel \
             prediction from its own initial outputs (plots: `dynamics_loss`, `dynamics_test_predictions`, \
             `dynamics_width`).\n\n| width | max test deviation (RMS over seeds) | relative | NTK change during training |\n|---|---|---|---|\n"
        ));
        for w in &report.dynamics {
            s.push_str(&format!(
                "| {} | {:.4} | {:.4} | {} |\n",
                w.width,
                w.deviation_test,
                w.relative_deviation_test,
                w.ntk_change.map_or("n/a".into(), |c| format!("{c:.4}"))
            ));
        }
    }
    s.push_str("\n## Time per stage\n\n| stage | seconds |\n|---|---|\n");
    for (stage, secs) in &report.stage_seconds {
        s.push_str(&format!("| {stage} | {secs:.1} |\n"));
    }
    s.push_str(&format!(
        "\nTotal time: {:.1} s. Files: {}.\n",
        report.seconds,
        report.files.join(", ")
    ));
    crate::io::write_atomic(&out.join("summary.md"), |w| w.write_all(s.as_bytes()))?;
    crate::io::write_json_atomic(&out.join("report.json"), report)?;
    Ok(())
}
