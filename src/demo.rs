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

use crate::data::Dataset;
use crate::dynamics::{FlowOptions, GradientFlow, Point, TestData};
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
    /// Files written (relative to the output folder).
    pub files: Vec<String>,
    /// Total seconds.
    pub seconds: f64,
}

/// Split the digits: the first `n_train` rows train, the rest (up to `n_test`) test.
/// Targets: one-hot over the 10 classes minus 0.1 (zero mean).
fn digits_split(n_train: usize, n_test: usize) -> Result<(Mat<f64>, Mat<f64>, Mat<f64>, Vec<u8>)> {
    let d = Dataset::Digits.load()?;
    let labels = d.labels.ok_or_else(|| Error::Data("digits without labels".into()))?;
    let n = d.x.nrows();
    let n_test = n_test.min(n - n_train);
    let x_train = d.x.as_ref().subrows(0, n_train).to_owned();
    let x_test = d.x.as_ref().subrows(n_train, n_test).to_owned();
    let y_train = Mat::from_fn(n_train, 10, |i, k| if labels[i] as usize == k { 0.9 } else { -0.1 });
    Ok((x_train, x_test, y_train, labels[n_train..n_train + n_test].to_vec()))
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
fn regress(k_train: MatRef<'_, f64>, k_test: MatRef<'_, f64>, y: MatRef<'_, f64>, labels: &[u8], threads: usize) -> Result<(f64, f64)> {
    let opts = FlowOptions { threads, ..Default::default() };
    let flow = GradientFlow::new(k_train, y, &opts)?;
    let p = flow.predict(None, Some(TestData::new(k_test)), &[Point::Time(f64::INFINITY)])?;
    let fx = p.fx_test.as_ref().and_then(|v| v.first()).ok_or_else(|| Error::Numerical("no test prediction".into()))?;
    Ok((accuracy(fx.as_ref(), labels), flow.diagnostics().condition_number))
}

/// Run the analytic-kernel part on the digits for one network.
pub fn digits_kernel_regression(net: &Network, n_train: usize, n_test: usize, threads: usize) -> Result<DigitsResult> {
    let (x_train, x_test, y, labels) = digits_split(n_train, n_test)?;
    let opts = KernelOptions { threads, ..Default::default() };
    let start = Instant::now();
    let k_tt = KernelPlan::new(net, x_train.as_ref(), None)?.compute(&opts, None)?;
    let k_st = KernelPlan::new(net, x_test.as_ref(), Some(x_train.as_ref()))?.compute(&opts, None)?;
    let kernel_seconds = start.elapsed().as_secs_f64();
    let missing = || Error::Numerical("NTK not computed".into());
    let (ntk_acc, cond) = regress(
        k_tt.ntk.as_ref().ok_or_else(missing)?.as_ref(),
        k_st.ntk.as_ref().ok_or_else(missing)?.as_ref(),
        y.as_ref(),
        &labels,
        threads,
    )?;
    let (nngp_acc, _) = regress(k_tt.nngp.as_ref(), k_st.nngp.as_ref(), y.as_ref(), &labels, threads)?;
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
    std::fs::create_dir_all(&opts.out).map_err(|source| Error::Io { path: opts.out.clone(), source, usage: true })?;
    crate::io::check_writable(&opts.out.join("summary.md"))?;
    let (n_train, n_test) = if opts.quick { (300, 200) } else { (1000, 797) };
    let nets = [
        Network::mlp(Activation::Relu, 3, 2f64.sqrt(), 0.1)?,
        Network::mlp(Activation::Erf, 3, 1.0, 0.1)?,
        Network::mlp(Activation::Selu, 3, 1.0, 0.0)?,
    ];
    let mut digits = Vec::new();
    for net in &nets {
        progress(&format!("digits: analytic kernels and kernel regression, {}", net.summary()));
        digits.push(digits_kernel_regression(net, n_train, n_test, opts.threads)?);
    }
    let mut report = DemoReport {
        version: crate::VERSION.to_string(),
        digits_split: (n_train, n_test),
        digits,
        files: Vec::new(),
        seconds: 0.0,
    };
    report.seconds = start.elapsed().as_secs_f64();
    write_summary(&opts.out, &mut report)?;
    Ok(report)
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
    s.push_str(&format!("\nTotal time: {:.1} s.\n", report.seconds));
    crate::io::write_atomic(&out.join("summary.md"), |w| w.write_all(s.as_bytes()))?;
    crate::io::write_json_atomic(&out.join("report.json"), report)?;
    Ok(())
}
