//! `ntk converge`: width convergence of empirical kernels to the analytic ones (report.json and
//! plots), and the Jacot et al. (2018) Figure 1 view.

use crate::common::{self, NetworkArgs, Progress};
use anyhow::Context;
use ntk::converge::{self, ProfileConfig, SweepConfig};
use ntk::empirical::Loss;
use ntk::jobs::{self, converge::ConvergeJob, converge::Stage};
use std::path::PathBuf;
use std::sync::Mutex;

const AFTER_HELP: &str = "\
Examples:
  # error vs width on 16 circle points (about a minute on 2 cores)
  ntk converge --dataset circle:16 --activation relu --depth 3 --w-std 1.4142 \\
      --widths 64,256,1024,4096 --seeds 10 --out conv/
  # the paper's settings (depth 4, widths 500 and 10000, 10 seeds, 200 GD steps): heavy,
  # see docs/finite-width.md for its run time
  ntk converge --preset jacot2018 --out jacot/

Writes DIR/report.json (per width: mean and std over seeds of the NTK and NNGP relative
Frobenius errors; fitted log-log slopes ntk_slope and nngp_slope; the kernel profiles),
DIR/convergence.png/.svg (error vs width, slope -1/2 guide) and DIR/profile.png/.svg
(Theta(x0, x(gamma)) on the unit circle at initialization and after training, per seed and
width, with the analytic limit). Without --x/--dataset the data is circle:16.";

/// Arguments of `ntk converge`.
#[derive(clap::Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// Input points (n x d): .npy or .csv.
    #[arg(long, value_name = "FILE", conflicts_with = "dataset")]
    pub x: Option<PathBuf>,
    /// Built-in dataset (digits, circle:N). Default circle:16.
    #[arg(long, value_name = "NAME")]
    pub dataset: Option<String>,
    #[command(flatten)]
    pub net: NetworkArgs,
    /// Preset: `jacot2018` (ReLU, depth 4, w_std 1, b_std 0.1, widths 500,10000, 10 seeds,
    /// 200 steps of lr 1.0 on f*(x) = x1 x2). Replaces the network flags.
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// Hidden widths to compare (comma-separated). Default 64,256,1024,4096 (preset: 500,10000).
    #[arg(long, value_name = "N1,N2,..", value_delimiter = ',')]
    pub widths: Option<Vec<usize>>,
    /// Networks (seeds) per width. Default 10.
    #[arg(long, value_name = "S")]
    pub seeds: Option<usize>,
    /// First seed; networks use seed, seed+1, ...
    #[arg(long, default_value_t = 0, value_name = "S0")]
    pub seed: u64,
    /// Output directory (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Skip the kernel-profile view (unit circle, before/after training).
    #[arg(long)]
    pub no_profile: bool,
    /// Widths of the profile view. Default: the smallest and largest of --widths, the largest
    /// capped at 1024 (training cost); preset: 500,10000.
    #[arg(long, value_name = "N1,N2,..", value_delimiter = ',')]
    pub profile_widths: Option<Vec<usize>>,
    /// Seeds per width in the profile view. Default: --seeds.
    #[arg(long, value_name = "S")]
    pub profile_seeds: Option<usize>,
    /// Gradient-descent steps in the profile view (0: no training). Default 200.
    #[arg(long, value_name = "T")]
    pub train_steps: Option<usize>,
    /// Training points x ~ N(0, I_2) with target x1 x2 in the profile view. Default 10.
    #[arg(long, value_name = "N")]
    pub train_points: Option<usize>,
    /// Learning rate of the profile training. Default: half the largest stable rate, at most 1
    /// (preset: 1.0).
    #[arg(long, value_name = "ETA")]
    pub lr: Option<f64>,
    /// Loss of the profile training: mean (1/(2N) ||f - Y||^2, default, as the paper) or sum.
    #[arg(long, value_name = "L")]
    pub loss: Option<String>,
    /// Angles gamma in [-pi, pi] in the profile view. Default 101.
    #[arg(long, value_name = "M")]
    pub angles: Option<usize>,
    /// Worker threads (0 = all cores). Results are identical for any value.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub threads: usize,
    /// No progress bar or summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

fn net_flags_given(n: &NetworkArgs) -> bool {
    n.arch.is_some()
        || n.activation.is_some()
        || n.depth.is_some()
        || n.w_std.is_some()
        || n.b_std.is_some()
        || n.parameterization.is_some()
        || n.width.is_some()
}

/// Run `ntk converge`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let preset = match args.preset.as_deref() {
        None => false,
        Some(p) if p.eq_ignore_ascii_case("jacot2018") => true,
        Some(p) => {
            return Err(common::usage(format!(
                "unknown --preset `{p}`: the only preset is jacot2018"
            )));
        }
    };
    let net = if preset {
        if net_flags_given(&args.net) {
            return Err(common::usage(
                "--preset jacot2018 sets the network (relu, depth 4, w_std 1, b_std 0.1); drop the network flags or the preset",
            ));
        }
        converge::jacot2018_network()
    } else {
        if args.net.width.is_some() {
            return Err(common::usage(
                "--width is not used by converge: give the widths to compare with --widths N1,N2,..",
            ));
        }
        let mut na = args.net.clone();
        // the standard parameterization's analytic NTK needs a width: set per width later
        if na.parameterization == Some(ntk::Parameterization::Standard) {
            na.width = Some(1);
        }
        na.network()?
    };
    let widths = args.widths.clone().unwrap_or_else(|| {
        if preset {
            vec![500, 10000]
        } else {
            vec![64, 256, 1024, 4096]
        }
    });
    let seeds = args.seeds.unwrap_or(10);
    if seeds == 0 {
        return Err(common::usage("--seeds must be at least 1"));
    }
    if widths.is_empty() || widths.contains(&0) {
        return Err(common::usage(
            "--widths must be positive integers, e.g. 64,256,1024",
        ));
    }
    let loss = match args.loss.as_deref() {
        None => Loss::Mean,
        Some(s) if s.eq_ignore_ascii_case("mean") => Loss::Mean,
        Some(s) if s.eq_ignore_ascii_case("sum") => Loss::Sum,
        Some(s) => {
            return Err(common::usage(format!(
                "unknown --loss `{s}`: use mean or sum"
            )));
        }
    };
    if let Some(lr) = args.lr {
        if !(lr.is_finite() && lr > 0.0) {
            return Err(common::usage(format!(
                "--lr must be a positive number, got {lr}"
            )));
        }
    }
    // output directory: create it, and fail now (not after the run) if it is not writable
    if args.out.exists() && !args.out.is_dir() {
        return Err(common::usage(format!(
            "--out {} exists and is not a directory; give a directory",
            args.out.display()
        )));
    }
    std::fs::create_dir_all(&args.out).map_err(|e| {
        common::usage(format!(
            "cannot create output directory {}: {e}; choose a writable location",
            args.out.display()
        ))
    })?;
    let report_path = args.out.join("report.json");
    for f in [
        "report.json",
        "convergence.png",
        "convergence.svg",
        "profile.png",
        "profile.svg",
    ] {
        ntk::io::check_writable(&args.out.join(f))?;
    }

    // data
    let (x, data) = match (&args.x, &args.dataset) {
        (Some(p), _) => (
            ntk::io::read_matrix(p).with_context(|| format!("reading --x {}", p.display()))?,
            p.display().to_string(),
        ),
        (None, name) => {
            let name = name.clone().unwrap_or_else(|| "circle:16".to_string());
            let ds = ntk::data::Dataset::parse(&name).context("--dataset")?;
            (ds.load()?.x, ds.name())
        }
    };

    let cfg = SweepConfig {
        widths: widths.clone(),
        seeds,
        seed: args.seed,
        threads: args.threads,
    };
    let profile = if args.no_profile {
        None
    } else {
        let mut pc = if preset {
            ProfileConfig::jacot2018()
        } else {
            let mut sorted = widths.clone();
            sorted.sort_unstable();
            let lo = sorted[0];
            let hi = sorted
                .iter()
                .copied()
                .filter(|&w| w <= 1024)
                .max()
                .unwrap_or(lo)
                .max(lo);
            let pw = if hi > lo { vec![lo, hi] } else { vec![lo] };
            ProfileConfig::scaled(pw, seeds)
        };
        if let Some(w) = &args.profile_widths {
            pc.widths = w.clone();
        }
        pc.seeds = args.profile_seeds.unwrap_or(if preset {
            args.seeds.unwrap_or(pc.seeds)
        } else {
            seeds
        });
        if let Some(t) = args.train_steps {
            pc.steps = t;
        }
        if let Some(n) = args.train_points {
            pc.n_train = n;
        }
        if args.train_steps == Some(0) {
            pc.n_train = 0;
        }
        if args.lr.is_some() {
            pc.learning_rate = args.lr;
        }
        if args.loss.is_some() {
            pc.loss = loss;
        }
        if let Some(m) = args.angles {
            pc.n_angles = m;
        }
        pc.seed = args.seed;
        pc.threads = args.threads;
        Some(pc)
    };
    // one progress bar per stage, each removed when its stage ends
    let bars = Mutex::new((
        Progress::new(0, "width sweep", args.quiet),
        None::<Progress>,
    ));
    let report_progress = |stage: Stage, done: usize, total: usize| {
        if let Ok(mut b) = bars.lock() {
            let (sweep, profile) = &mut *b;
            let bar = match stage {
                Stage::Sweep => sweep,
                Stage::Profile => {
                    sweep.finish();
                    profile.get_or_insert_with(|| {
                        Progress::new(0, "kernel profile (init + training)", args.quiet)
                    })
                }
            };
            bar.total = total as u64;
            bar.set(done as u64);
        }
    };
    let mut job = ConvergeJob::new(&net, x.as_ref(), &data, cfg);
    job.profile = profile;
    job.progress = Some(&report_progress);
    let result = jobs::converge::run(&job);
    if let Ok(mut b) = bars.lock() {
        b.0.finish();
        if let Some(p) = &mut b.1 {
            p.finish();
        }
    }
    let report = result?;

    ntk::io::write_json_atomic(&report_path, &report)
        .with_context(|| format!("writing {}", report_path.display()))?;
    let mut files = vec![report_path.display().to_string()];
    for f in ntk::plot::convergence(&report, &args.out)? {
        files.push(f.display().to_string());
    }
    if let Some(p) = &report.profile {
        for f in ntk::plot::profile(p, &net.summary(), &args.out)? {
            files.push(f.display().to_string());
        }
    }
    if !args.quiet {
        eprintln!(
            "width sweep: {} on {} ({} points), {seeds} seeds per width",
            net.summary(),
            data,
            report.n_points
        );
        eprintln!(
            "  {:>7}  {:>22}  {:>22}",
            "width", "NTK rel. err (mean+-sd)", "NNGP rel. err (mean+-sd)"
        );
        for s in &report.widths {
            eprintln!(
                "  {:>7}  {:>11.4e} +- {:<8.2e}  {:>11.4e} +- {:<8.2e}",
                s.width,
                s.ntk_rel_err_mean,
                s.ntk_rel_err_std,
                s.nngp_rel_err_mean,
                s.nngp_rel_err_std
            );
        }
        let f =
            |s: Option<f64>| s.map_or_else(|| "n/a (one width)".to_string(), |v| format!("{v:.3}"));
        eprintln!(
            "  fitted log-log slope: NTK {}, NNGP {} (theory -0.5)",
            f(report.ntk_slope),
            f(report.nngp_slope)
        );
        if let Some(p) = &report.profile {
            for (w, c) in &p.mean_ntk_change {
                eprintln!(
                    "  profile: width {w}: NTK moved by {c:.3e} (relative, mean over seeds) in {} steps",
                    p.config.steps
                );
            }
        }
        eprintln!("done in {:.1} s -> {}", report.seconds, files.join(", "));
    }
    Ok(())
}
