//! `ntk predict`: training dynamics without training. Loads data and kernels (computed from
//! a network description, or precomputed .npy files), calls `ntk::dynamics`, and writes the
//! JSON report (atomically) and optional plots.

use crate::common::{self, NetworkArgs};
use anyhow::Context;
use faer::Mat;
use ntk::dynamics::report::{KernelSet, to_json};
use ntk::dynamics::{FlowOptions, Loss, Point, Ridge, Training};
use ntk::jobs::Solver;
use ntk::jobs::predict::{self, CheckOptions, KernelSource, Outcome, PredictJob};
use ntk::kernel_matrix::Precision;
use ntk::solve::precond::PreconditionerKind;
use std::path::{Path, PathBuf};
use std::time::Instant;

const AFTER_HELP: &str = "\
Examples:
  # gradient flow of a ReLU network's NTK, neural-tangents' loss convention
  ntk predict --x-train x.npy --y-train y.npy --x-test xt.npy --y-test yt.npy \\
      --activation relu --depth 2 --w-std 1.5 --b-std 0.1 --lr 1 --loss mean \\
      --times 0,1,10,100,inf --steps 0,10,100 --ensemble --out pred.json --plot plots/
  # precomputed kernels instead of a network
  ntk predict --y-train y.npy --ntk-train k.npy --ntk-test-train kt.npy --lr 0.1 --out pred.json
  # next to real training: 3 networks each of widths 64 and 1024
  ntk predict --x-train x.npy --y-train y.npy --x-test xt.npy --arch net.toml --lr 0.5 \\
      --steps 0,10,100,1000 --check-width 64,1024 --seeds 3 --out pred.json --plot plots/

Time: with the default --loss sum (L = 1/2 ||f - Y||^2) the train residual is
d(t) = exp(-lr K t) d(0), and t counts gradient-descent steps. --loss mean
(L = 1/(2N) ||f - Y||^2, N = number of train outputs) is neural-tangents' convention:
d(t) = exp(-lr K t / N). See docs/dynamics.md.

The JSON holds times (\"inf\" for infinity), fx_train/fx_test (times x points x outputs),
loss_train/loss_test, mode_residual, eigenvalues, gradient_descent (with --steps), ensemble.ntk
and ensemble.nngp (with --ensemble: test_mean, test_cov), max_learning_rate, diagnostics and
warnings. It never holds NaN or null; it is written atomically (a failed run leaves no file).";

/// Arguments of `ntk predict`.
#[derive(clap::Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// Training inputs X (n x d), .npy or .csv. Needed with a network description.
    #[arg(long, value_name = "FILE")]
    pub x_train: Option<PathBuf>,
    /// Training targets Y (n or n x k), .npy, .csv or IDX. Class labels (an IDX labels file,
    /// or any file with --labels) are one-hot encoded. Not needed with --dataset.
    #[arg(long, value_name = "FILE", required_unless_present = "dataset")]
    pub y_train: Option<PathBuf>,
    /// A built-in train/test dataset instead of --x-train/--y-train/--x-test/--y-test:
    /// `fashion-mnist[:N[:M]]` (the first N training and M test images, pixels / 255,
    /// one-hot labels; default all 60000 / 10000), or `digits` (first 1500 train, last 297
    /// test). See --data-dir.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["x_train", "y_train", "x_test", "y_test"])]
    pub dataset: Option<String>,
    /// Directory holding the Fashion-MNIST IDX files (default: where the Debian package
    /// dataset-fashion-mnist installs them).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// --y-train and --y-test hold integer class labels: one-hot encode them (column c is
    /// class c) and report accuracies (argmax).
    #[arg(long)]
    pub labels: bool,
    /// Solver: auto (dense for small n or dense-only options, else iterative; says which),
    /// dense (one eigendecomposition) or iterative (packed kernel, CG + Lanczos, --tol).
    #[arg(long, value_name = "S", default_value = "auto", value_parser = parse_solver)]
    pub solver: Solver,
    /// Iterative solver: relative tolerance of every prediction (normwise per time).
    #[arg(long, value_name = "TOL", default_value_t = 1e-8)]
    pub tol: f64,
    /// Iterative solver: CG's preconditioner, pivoted-cholesky (kernel columns, no products)
    /// or nystrom (randomized Nystrom: rank / 32 products, near-optimal; seeded by --seed).
    #[arg(long, value_name = "P", default_value = "pivoted-cholesky", value_parser = parse_preconditioner)]
    pub preconditioner: PreconditionerKind,
    /// Iterative solver: rank of CG's preconditioner (default min(500, n / 10); 0 = none).
    #[arg(long, value_name = "R")]
    pub preconditioner_rank: Option<usize>,
    /// Memory budget, e.g. 16G, 800M or bytes (default: 90% of the memory available now).
    /// The plan (kernel storage, preconditioner, Krylov vectors, outputs) is checked against
    /// it before allocating.
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes)]
    pub memory_limit: Option<f64>,
    /// Iterative solver: storage precision of the training kernel, f64 or f32 (default: f64
    /// if it fits the budget, else f32 with f64 accumulation; see docs/storage.md).
    #[arg(long, value_name = "P", value_parser = parse_precision)]
    pub storage: Option<Precision>,
    /// Iterative solver: chunks of the stored kernel's fixed product partition. Results
    /// depend on it (never on --threads or MPI ranks); under mpirun at most C ranks store
    /// the kernel, so use C >= ranks on a cluster (docs/distributed.md).
    #[arg(long, default_value_t = 16, value_name = "C", value_parser = clap::value_parser!(u64).range(1..))]
    pub chunks: u64,
    /// Write the test predictions as .npy, shape (points, n_test, outputs): the --times in
    /// order, then the --steps.
    #[arg(long, value_name = "FILE.npy")]
    pub fx_test_out: Option<PathBuf>,
    /// Write the train predictions as .npy, shape (points, n_train, outputs).
    #[arg(long, value_name = "FILE.npy")]
    pub fx_train_out: Option<PathBuf>,
    /// Test inputs x* (m x d).
    #[arg(long, value_name = "FILE")]
    pub x_test: Option<PathBuf>,
    /// Test targets (m or m x k), for the test loss.
    #[arg(long, value_name = "FILE")]
    pub y_test: Option<PathBuf>,
    /// Initial train outputs f_0(X) (n x k). Default 0 (the infinite ensemble's mean).
    #[arg(long, value_name = "FILE")]
    pub f0_train: Option<PathBuf>,
    /// Initial test outputs f_0(x*) (m x k). Default 0.
    #[arg(long, value_name = "FILE")]
    pub f0_test: Option<PathBuf>,
    #[command(flatten)]
    pub net: NetworkArgs,
    /// Precomputed NTK(X, X) (.npy/.csv) instead of a network.
    #[arg(long, value_name = "FILE")]
    pub ntk_train: Option<PathBuf>,
    /// Precomputed NTK(x*, X) (m x n).
    #[arg(long, value_name = "FILE")]
    pub ntk_test_train: Option<PathBuf>,
    /// Precomputed NNGP(X, X).
    #[arg(long, value_name = "FILE")]
    pub nngp_train: Option<PathBuf>,
    /// Precomputed NNGP(x*, X) (m x n).
    #[arg(long, value_name = "FILE")]
    pub nngp_test_train: Option<PathBuf>,
    /// Precomputed NNGP(x*, x*) (m x m), for --ensemble.
    #[arg(long, value_name = "FILE")]
    pub nngp_test: Option<PathBuf>,
    /// Learning rate eta (> 0).
    #[arg(long, value_name = "ETA", allow_negative_numbers = true)]
    pub lr: f64,
    /// Gradient-flow times, comma-separated; `inf` is t = infinity.
    #[arg(
        long,
        value_name = "LIST",
        default_value = "0,1,10,100,1000,inf",
        allow_hyphen_values = true
    )]
    pub times: String,
    /// Gradient-descent step counts, comma-separated (discrete GD with step lr).
    #[arg(long, value_name = "LIST")]
    pub steps: Option<String>,
    /// Loss convention: sum (1/2 ||f - Y||^2, default) or mean (1/(2N) ||f - Y||^2, neural-tangents').
    #[arg(long, value_name = "L", default_value = "sum", value_parser = parse_loss)]
    pub loss: Loss,
    /// Kernel that drives training: ntk (all layers, default) or nngp (readout only).
    #[arg(long, value_name = "K", default_value = "ntk", value_parser = parse_training)]
    pub kernel: Training,
    /// Also compute the infinite-ensemble mean and covariance on the test points: the dense
    /// solver for NTK and for NNGP (readout-only) training, the iterative solver for the
    /// training of --kernel (it stores the NNGP prior beside the NTK; test set bounded by
    /// memory, see docs/solvers.md).
    #[arg(long)]
    pub ensemble: bool,
    /// Ridge added to the diagonal of the training kernel (absolute; see --diag-reg-relative).
    #[arg(
        long,
        value_name = "R",
        default_value_t = 0.0,
        allow_negative_numbers = true
    )]
    pub diag_reg: f64,
    /// Scale --diag-reg by trace(K)/n (neural-tangents' default scaling).
    #[arg(long)]
    pub diag_reg_relative: bool,
    /// Output JSON file.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Write plots (PNG and SVG) into this folder (created if missing).
    #[arg(long, value_name = "DIR")]
    pub plot: Option<PathBuf>,
    /// Train finite networks of these hidden widths (comma-separated) by full-batch GD and
    /// compare them with the prediction at --steps. Needs a network, --x-test and --steps.
    #[arg(long, value_name = "W,..", value_delimiter = ',')]
    pub check_width: Vec<usize>,
    /// Networks per width for --check-width.
    #[arg(long, value_name = "S", default_value_t = 3)]
    pub seeds: usize,
    /// First initialisation seed for --check-width (and the seed of --preconditioner nystrom).
    #[arg(long, value_name = "SEED", default_value_t = 0)]
    pub seed: u64,
    /// Worker threads (0 = all cores).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub threads: usize,
    /// No summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

fn parse_loss(s: &str) -> Result<Loss, String> {
    Loss::parse(s).ok_or_else(|| format!("unknown loss `{s}`: use sum or mean"))
}

fn parse_solver(s: &str) -> Result<Solver, String> {
    Solver::parse(s).ok_or_else(|| format!("unknown solver `{s}`: use auto, dense or iterative"))
}

fn parse_preconditioner(s: &str) -> Result<PreconditionerKind, String> {
    PreconditionerKind::parse(s)
        .ok_or_else(|| format!("unknown preconditioner `{s}`: use pivoted-cholesky or nystrom"))
}

fn parse_precision(s: &str) -> Result<Precision, String> {
    match s.to_ascii_lowercase().as_str() {
        "f64" => Ok(Precision::F64),
        "f32" => Ok(Precision::F32),
        _ => Err(format!("unknown storage precision `{s}`: use f64 or f32")),
    }
}

/// Parse a byte count: a number with an optional K/M/G/T suffix (powers of 1000; `B` and
/// `iB` accepted: `16G`, `16GB`, `16GiB` = 16e9, 16e9, 16 * 2^30).
pub fn parse_bytes(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let (num, mult) = [
        ("kib", 1024f64),
        ("mib", 1024f64.powi(2)),
        ("gib", 1024f64.powi(3)),
        ("tib", 1024f64.powi(4)),
        ("kb", 1e3),
        ("mb", 1e6),
        ("gb", 1e9),
        ("tb", 1e12),
        ("k", 1e3),
        ("m", 1e6),
        ("g", 1e9),
        ("t", 1e12),
        ("b", 1.0),
    ]
    .iter()
    .find(|(suf, _)| lower.ends_with(suf))
    .map_or((lower.as_str(), 1.0), |(suf, m)| {
        (&lower[..lower.len() - suf.len()], *m)
    });
    match num.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v * mult),
        _ => Err(format!(
            "`{s}` is not a byte count; e.g. 16G, 800M or 2000000000"
        )),
    }
}

fn parse_training(s: &str) -> Result<Training, String> {
    Training::parse(s).ok_or_else(|| format!("unknown kernel `{s}`: use ntk or nngp"))
}

fn read(path: &Path, flag: &str) -> anyhow::Result<Mat<f64>> {
    ntk::io::read_matrix(path).with_context(|| format!("reading --{flag} {}", path.display()))
}

fn read_opt(path: &Option<PathBuf>, flag: &str) -> anyhow::Result<Option<Mat<f64>>> {
    path.as_ref().map(|p| read(p, flag)).transpose()
}

fn network_given(n: &NetworkArgs) -> bool {
    n.arch.is_some()
        || n.activation.is_some()
        || n.depth.is_some()
        || n.w_std.is_some()
        || n.b_std.is_some()
        || n.parameterization.is_some()
}

/// Run `ntk predict`.
pub fn run(mut args: Args) -> anyhow::Result<()> {
    let start = Instant::now();
    // under mpirun every rank computes; rank 0 alone prints and writes
    let root = ntk::distributed::is_root(ntk::distributed::world());
    args.quiet |= !root;
    // ---- validate the request before any work
    let options = FlowOptions {
        learning_rate: args.lr,
        loss: args.loss,
        ridge: if args.diag_reg_relative {
            Ridge::Relative(args.diag_reg)
        } else {
            Ridge::Absolute(args.diag_reg)
        },
        threads: args.threads,
    };
    if !(args.lr.is_finite() && args.lr > 0.0) {
        return Err(common::usage(format!(
            "--lr (learning_rate) must be a finite number > 0, got {}; e.g. --lr 0.1",
            args.lr
        )));
    }
    if !(args.diag_reg.is_finite() && args.diag_reg >= 0.0) {
        return Err(common::usage(format!(
            "--diag-reg must be a finite number >= 0, got {}; e.g. --diag-reg 1e-6",
            args.diag_reg
        )));
    }
    options.validate()?;
    let times: Vec<f64> = Point::parse_times(&args.times)
        .context("--times (e.g. --times 0,1,10,inf)")?
        .iter()
        .map(Point::as_time)
        .collect();
    let steps: Vec<u64> = match &args.steps {
        Some(s) => Point::parse_steps(s)
            .context("--steps (e.g. --steps 0,10,100)")?
            .iter()
            .map(|p| p.as_time() as u64)
            .collect(),
        None => Vec::new(),
    };
    if times.is_empty() {
        return Err(common::usage(
            "--times is empty: give at least one time, e.g. --times 0,10,inf",
        ));
    }
    let precomputed = [
        &args.ntk_train,
        &args.ntk_test_train,
        &args.nngp_train,
        &args.nngp_test_train,
        &args.nngp_test,
    ]
    .iter()
    .any(|p| p.is_some());
    if precomputed && network_given(&args.net) {
        return Err(common::usage(
            "both a network and precomputed kernels were given: pass either the network flags \
             (--arch or --activation/--depth/--w-std/--b-std) or --ntk-train/--nngp-train ... files",
        ));
    }
    if !args.check_width.is_empty() {
        if precomputed {
            return Err(common::usage(
                "--check-width trains networks: give a network description, not precomputed kernels",
            ));
        }
        if args.kernel != Training::Ntk {
            return Err(common::usage(
                "--check-width trains all layers: use --kernel ntk",
            ));
        }
        if steps.is_empty() {
            return Err(common::usage(
                "--check-width compares at gradient-descent steps: pass --steps, e.g. --steps 0,10,100,1000",
            ));
        }
        if args.x_test.is_none() {
            return Err(common::usage(
                "--check-width compares test outputs: pass --x-test FILE",
            ));
        }
        if args.seeds == 0 || args.check_width.contains(&0) {
            return Err(common::usage(
                "--check-width widths and --seeds must be at least 1",
            ));
        }
    }
    if args.f0_test.is_some()
        && args.x_test.is_none()
        && args.ntk_test_train.is_none()
        && args.nngp_test_train.is_none()
    {
        return Err(common::usage(
            "--f0-test given without a test set: pass --x-test (or the test-train kernels)",
        ));
    }
    ntk::io::check_writable(&args.out).context("--out")?;
    if let Some(dir) = &args.plot {
        std::fs::create_dir_all(dir).map_err(|e| {
            common::usage(format!(
                "--plot {}: cannot create the folder: {e}",
                dir.display()
            ))
        })?;
    }

    // ---- data
    let data = super::predict_data::load(&args)?;
    let (x_train, y_train, x_test, y_test) = (data.x_train, data.y_train, data.x_test, data.y_test);
    let f0_train = read_opt(&args.f0_train, "f0-train")?;
    let f0_test = read_opt(&args.f0_test, "f0-test")?;

    // ---- the job
    let network = if precomputed {
        None
    } else {
        let network = args.net.network()?;
        let x = x_train.as_ref().ok_or_else(|| {
            common::usage(
                "a network needs the training inputs: pass --x-train FILE (or precomputed kernels)",
            )
        })?;
        if let Some(xt) = &x_test {
            if xt.ncols() != x.ncols() {
                return Err(common::usage(format!(
                    "--x-test has {} columns but --x-train has {}: both need the same input dimension",
                    xt.ncols(),
                    x.ncols()
                )));
            }
        }
        Some(network)
    };
    let given = [
        read_opt(&args.ntk_train, "ntk-train")?,
        read_opt(&args.ntk_test_train, "ntk-test-train")?,
        read_opt(&args.nngp_train, "nngp-train")?,
        read_opt(&args.nngp_test_train, "nngp-test-train")?,
        read_opt(&args.nngp_test, "nngp-test")?,
    ];
    let source = match (&network, &x_train) {
        (Some(net), Some(x)) => KernelSource::Network {
            net,
            x_train: x.as_ref(),
            x_test: r(&x_test),
        },
        _ => KernelSource::Given(KernelSet {
            ntk_train: r(&given[0]),
            ntk_test_train: r(&given[1]),
            nngp_train: r(&given[2]),
            nngp_test_train: r(&given[3]),
            nngp_test: r(&given[4]),
        }),
    };
    // the number of test points, for the --y-test check (as the kernels will have it)
    let n_test = match source {
        KernelSource::Network { x_test, .. } => x_test.map(|x| x.nrows()),
        KernelSource::Given(ks) => match args.kernel {
            Training::Ntk => ks.ntk_test_train.map(|k| k.nrows()),
            Training::Nngp => ks.nngp_test_train.map(|k| k.nrows()),
        },
    };
    if let (Some(y), Some(m)) = (&y_test, n_test) {
        if y.nrows() != m {
            return Err(common::usage(format!(
                "--y-test has {} rows but there are {} test points",
                y.nrows(),
                m
            )));
        }
    }
    let mut job = PredictJob::new(source, y_train.as_ref());
    job.y_test = r(&y_test);
    job.f0_train = r(&f0_train);
    job.f0_test = r(&f0_test);
    job.times = times;
    job.steps = steps;
    job.kernel = args.kernel;
    job.ensemble = args.ensemble;
    job.options = options;
    if !args.check_width.is_empty() {
        job.check = Some(CheckOptions {
            widths: args.check_width.clone(),
            seeds: args.seeds,
            seed: args.seed,
        });
    }
    job.solver = args.solver;
    job.solve.tol = args.tol;
    job.solve.preconditioner = args.preconditioner;
    job.solve.preconditioner_rank = args.preconditioner_rank;
    job.solve.preconditioner_seed = args.seed;
    job.memory_limit = args.memory_limit;
    job.storage = args.storage;
    job.chunks = args.chunks as usize;
    let stages = crate::stages::Stages::new(args.quiet);
    let progress = |stage: &str, done: usize, total: usize| stages.update(stage, done, total);
    let outcome = predict::execute(&job, args.plot.is_some(), Some(&progress))?;
    stages.finish();
    match outcome {
        Outcome::Dense(out, choice) => {
            if !args.quiet {
                eprintln!("solver: dense ({})", choice.reason);
            }
            if !root {
                return Ok(());
            }
            write_dense(&args, &job, &out, start)
        }
        Outcome::Iterative(_) if !root => Ok(()),
        Outcome::Iterative(out) => super::predict_out::write_iterative(&args, &out, start),
    }
}

/// Plots, the .npy predictions and the JSON of the dense path, all published together.
fn write_dense(
    args: &Args,
    job: &PredictJob<'_>,
    out: &predict::PredictOutput,
    start: Instant,
) -> anyhow::Result<()> {
    let ev = &out.evaluated;

    // ---- plots, then the JSON (written last, atomically)
    let plots = match &args.plot {
        Some(dir) => out.save_plots(job, dir)?,
        None => Vec::new(),
    };
    let json = to_json(&ev.report)?;
    let mut json = json;
    if let Some(obj) = json.as_object_mut() {
        obj.insert(
            "command".into(),
            serde_json::Value::String(common::command_line()),
        );
        obj.insert(
            "seconds".into(),
            serde_json::json!(start.elapsed().as_secs_f64()),
        );
    }
    let rep = &ev.report;
    // the .npy predictions: the times, then the steps
    let gd = rep.gradient_descent.as_ref().map(|g| &g.trajectory);
    let mut fx_train = super::predict_out::to_mats(&rep.flow.fx_train);
    fx_train.extend(
        gd.map(|t| super::predict_out::to_mats(&t.fx_train))
            .unwrap_or_default(),
    );
    let fx_test = rep.flow.fx_test.as_ref().map(|f| {
        let mut v = super::predict_out::to_mats(f);
        v.extend(
            gd.and_then(|t| t.fx_test.as_ref())
                .map(|f| super::predict_out::to_mats(f))
                .unwrap_or_default(),
        );
        v
    });
    super::predict_out::publish(args, &json, &fx_train, fx_test.as_deref())?;

    if !args.quiet {
        let rep = &ev.report;
        let d = &rep.diagnostics;
        for w in &rep.warnings {
            eprintln!("warning: {w}");
        }
        eprintln!(
            "{} kernel n = {}: lambda in [{:.3e}, {:.3e}], condition {:.3e}, {} clipped; max stable lr ({} loss) = {}",
            rep.kernel.name(),
            rep.n_train,
            d.min_eigenvalue,
            d.max_eigenvalue,
            d.condition_number,
            d.negative_clipped,
            rep.loss.name(),
            rep.max_learning_rate
                .map_or("unbounded".to_string(), |m| format!("{m:.6}"))
        );
        let last = rep.flow.loss_train.len() - 1;
        eprintln!(
            "train loss {:.4e} (t = {}) -> {:.4e} (t = {}){}",
            rep.flow.loss_train[0],
            rep.times[0],
            rep.flow.loss_train[last],
            rep.times[last],
            rep.flow
                .loss_test
                .as_ref()
                .map_or(String::new(), |l| format!(
                    "; test loss {:.4e} -> {:.4e}",
                    l[0], l[last]
                ))
        );
        if let Some(c) = &rep.check {
            for s in &c.summary {
                eprintln!(
                    "width {:6}: trained vs predicted test outputs, rms {:.4e} (relative {:.3e}); NTK moved {}",
                    s.width,
                    s.deviation_test,
                    s.relative_deviation_test,
                    s.ntk_change.map_or("-".into(), |v| format!("{v:.3e}"))
                );
            }
        }
        eprintln!(
            "wrote {}{} in {:.2} s",
            args.out.display(),
            if plots.is_empty() {
                String::new()
            } else {
                format!(" and {} plot files", plots.len())
            },
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

fn r(m: &Option<Mat<f64>>) -> Option<faer::MatRef<'_, f64>> {
    m.as_ref().map(|m| m.as_ref())
}
