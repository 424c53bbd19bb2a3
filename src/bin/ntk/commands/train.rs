//! `ntk train`: full-batch gradient descent on the squared loss for one finite network,
//! recording outputs and losses at chosen steps and how much the empirical NTK moves.

use crate::common::{self, NetworkArgs, Progress};
use anyhow::Context;
use faer::{Mat, MatRef};
use ntk::empirical::{self, Loss, TrainConfig};
use ntk::io::sidecar::{InputInfo, OutputInfo, Sidecar};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

const AFTER_HELP: &str = "\
Examples:
  # Jacot et al.'s task f*(x) = x1 x2 on 16 circle points, 200 steps
  ntk train --dataset circle:16 --target x1x2 --activation relu --depth 4 --w-std 1 --b-std 0.1 \\
      --width 1024 --seed 0 --lr 1 --loss mean --steps 200 --out train.json
  # your data, test set, outputs every 10 steps, NTK before/after as .npy
  ntk train --x x.npy --y y.npy --x-test xt.npy --y-test yt.npy --arch net.toml --width 512 \\
      --lr 0.1 --steps 1000 --record-every 10 --out train.json --ntk-init-out k0.npy --ntk-final-out k1.npy

Loss: `sum` (default) is 1/2 ||f - Y||^2, `mean` is 1/(2N) ||f - Y||^2 with N = n_train * outputs
(neural-tangents' convention). Step t is recorded after t updates. The record (JSON) holds
the losses, the outputs at every recorded step, and ntk_change = ||Theta_T - Theta_0||_F / ||Theta_0||_F.";

/// Arguments of `ntk train`.
#[derive(clap::Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// Training inputs (n x d): .npy or .csv.
    #[arg(long, value_name = "FILE", conflicts_with = "dataset")]
    pub x: Option<PathBuf>,
    /// Built-in dataset as training inputs (digits, circle:N).
    #[arg(long, value_name = "NAME")]
    pub dataset: Option<String>,
    /// Training targets (n x k): .npy or .csv. k sets the number of network outputs.
    #[arg(long, value_name = "FILE", conflicts_with = "target")]
    pub y: Option<PathBuf>,
    /// Built-in target instead of --y: `x1x2` (f*(x) = x_1 x_2, Jacot et al.'s task) or
    /// `labels` (one-hot class labels of a labelled dataset, centred: 0.9 / -0.1).
    #[arg(long, value_name = "NAME")]
    pub target: Option<String>,
    /// Test inputs (m x d), whose outputs are recorded.
    #[arg(long, value_name = "FILE")]
    pub x_test: Option<PathBuf>,
    /// Test targets (m x k), for the test loss.
    #[arg(long, value_name = "FILE", requires = "x_test")]
    pub y_test: Option<PathBuf>,
    #[command(flatten)]
    pub net: NetworkArgs,
    /// Hidden widths per layer, comma-separated (instead of one --width).
    #[arg(
        long,
        value_name = "N1,N2,..",
        value_delimiter = ',',
        conflicts_with = "params"
    )]
    pub widths: Option<Vec<usize>>,
    /// Initialization seed.
    #[arg(long, default_value_t = 0, value_name = "S")]
    pub seed: u64,
    /// Start from these parameters (JSON, neural-tangents stax.serial layout).
    #[arg(long, value_name = "FILE")]
    pub params: Option<PathBuf>,
    /// Learning rate (> 0).
    #[arg(long, value_name = "ETA")]
    pub lr: f64,
    /// Number of gradient-descent steps.
    #[arg(long, value_name = "T")]
    pub steps: usize,
    /// Loss convention: sum (1/2 ||f - Y||^2) or mean (1/(2N) ||f - Y||^2).
    #[arg(long, default_value = "sum", value_name = "L", value_parser = parse_loss)]
    pub loss: Loss,
    /// Steps at which to record outputs (comma-separated; default 0 and the last step).
    #[arg(
        long,
        value_name = "T1,T2,..",
        value_delimiter = ',',
        conflicts_with = "record_every"
    )]
    pub record: Option<Vec<usize>>,
    /// Record every K steps (and the last).
    #[arg(long, value_name = "K")]
    pub record_every: Option<usize>,
    /// Write the record (JSON) here.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Write the empirical NTK on the training inputs at initialization here (.npy).
    #[arg(long, value_name = "FILE")]
    pub ntk_init_out: Option<PathBuf>,
    /// Write the empirical NTK on the training inputs after training here (.npy).
    #[arg(long, value_name = "FILE")]
    pub ntk_final_out: Option<PathBuf>,
    /// Save the trained parameters as JSON here.
    #[arg(long, value_name = "FILE")]
    pub save_params: Option<PathBuf>,
    /// Skip the NTK before/after training (saves two kernel evaluations).
    #[arg(long, conflicts_with_all = ["ntk_init_out", "ntk_final_out"])]
    pub no_ntk: bool,
    /// Worker threads (0 = all cores). Results are identical for any value.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub threads: usize,
    /// No progress bar or summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

fn parse_loss(s: &str) -> Result<Loss, String> {
    match s.to_ascii_lowercase().as_str() {
        "sum" => Ok(Loss::Sum),
        "mean" => Ok(Loss::Mean),
        _ => Err(format!(
            "unknown loss `{s}`: use sum (1/2 ||f - Y||^2) or mean (1/(2N) ||f - Y||^2)"
        )),
    }
}

fn rows(m: MatRef<'_, f64>) -> Vec<Vec<f64>> {
    (0..m.nrows())
        .map(|i| (0..m.ncols()).map(|j| m[(i, j)]).collect())
        .collect()
}

#[derive(Serialize)]
struct SnapshotOut {
    step: usize,
    train_loss: f64,
    test_loss: Option<f64>,
    f_train: Vec<Vec<f64>>,
    f_test: Option<Vec<Vec<f64>>>,
}

#[derive(Serialize)]
struct Record<'a> {
    tool: &'static str,
    version: &'static str,
    command: String,
    network: &'a ntk::Network,
    hidden_widths: Vec<usize>,
    outputs: usize,
    n_params: usize,
    seed: Option<u64>,
    params: Option<String>,
    x_train: String,
    n_train: usize,
    n_test: Option<usize>,
    learning_rate: f64,
    steps: usize,
    loss: Loss,
    loss_formula: &'static str,
    ntk_change: Option<f64>,
    snapshots: Vec<SnapshotOut>,
    seconds: f64,
}

/// Run `ntk train`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let mut net =
        super::empirical::network(&args.net, args.widths.as_ref(), args.params.is_some())?;
    if !(args.lr.is_finite() && args.lr > 0.0) {
        return Err(common::usage(format!(
            "--lr must be a positive number, got {}",
            args.lr
        )));
    }
    if args.record_every == Some(0) {
        return Err(common::usage("--record-every must be at least 1"));
    }
    if let Some(r) = &args.record {
        if let Some(&bad) = r.iter().find(|&&s| s > args.steps) {
            return Err(common::usage(format!(
                "--record step {bad} is beyond --steps {}; record at most step {}",
                args.steps, args.steps
            )));
        }
    }
    let mut outs = vec![&args.out];
    outs.extend(
        args.ntk_init_out
            .iter()
            .chain(&args.ntk_final_out)
            .chain(&args.save_params),
    );
    for (i, a) in outs.iter().enumerate() {
        if outs[..i].contains(a) {
            return Err(common::usage(format!(
                "{} is given as two different outputs; use distinct paths",
                a.display()
            )));
        }
        ntk::io::check_writable(a)?;
    }
    // data
    let (x, x_src, labels) = match (&args.x, &args.dataset) {
        (Some(p), _) => (
            ntk::io::read_matrix(p).with_context(|| format!("reading --x {}", p.display()))?,
            p.display().to_string(),
            None,
        ),
        (None, Some(name)) => {
            let ds = ntk::data::Dataset::parse(name).context("--dataset")?;
            let l = ds.load()?;
            (l.x, ds.name(), l.labels)
        }
        (None, None) => {
            return Err(common::usage(
                "no training inputs: pass --x FILE or --dataset NAME",
            ));
        }
    };
    let y = match (&args.y, args.target.as_deref()) {
        (Some(p), _) => {
            ntk::io::read_matrix(p).with_context(|| format!("reading --y {}", p.display()))?
        }
        (None, Some(t)) if t.eq_ignore_ascii_case("x1x2") => {
            if x.ncols() < 2 {
                return Err(common::usage(
                    "--target x1x2 needs inputs of dimension >= 2",
                ));
            }
            Mat::from_fn(x.nrows(), 1, |i, _| x[(i, 0)] * x[(i, 1)])
        }
        (None, Some(t)) if t.eq_ignore_ascii_case("labels") => {
            let Some(l) = labels else {
                return Err(common::usage(
                    "--target labels needs a labelled dataset (e.g. --dataset digits)",
                ));
            };
            let k = l.iter().map(|&c| c as usize + 1).max().unwrap_or(1);
            Mat::from_fn(
                x.nrows(),
                k,
                |i, j| if l[i] as usize == j { 0.9 } else { -0.1 },
            )
        }
        (None, Some(t)) => {
            return Err(common::usage(format!(
                "unknown --target `{t}`: use x1x2 or labels, or pass --y FILE"
            )));
        }
        (None, None) => {
            return Err(common::usage(
                "no targets: pass --y FILE (n x k) or --target x1x2",
            ));
        }
    };
    if y.nrows() != x.nrows() {
        return Err(common::usage(format!(
            "--y has {} rows but there are {} training inputs; give one target row per input",
            y.nrows(),
            x.nrows()
        )));
    }
    let x_test = match &args.x_test {
        Some(p) => Some(
            ntk::io::read_matrix(p).with_context(|| format!("reading --x-test {}", p.display()))?,
        ),
        None => None,
    };
    let y_test = match &args.y_test {
        Some(p) => Some(
            ntk::io::read_matrix(p).with_context(|| format!("reading --y-test {}", p.display()))?,
        ),
        None => None,
    };
    let mut mlp = super::empirical::build_mlp(
        &net,
        x.ncols(),
        args.net.width,
        args.widths.as_ref(),
        args.params.as_ref(),
        y.ncols(),
        args.seed,
    )?;
    if mlp.output_dim() != y.ncols() {
        return Err(common::usage(format!(
            "the network has {} outputs but the targets have {} columns; use matching targets or parameters",
            mlp.output_dim(),
            y.ncols()
        )));
    }
    if net.parameterization == ntk::Parameterization::Standard {
        net.width = mlp.hidden_widths().first().copied().or(net.width);
    }
    let record = match (&args.record, args.record_every) {
        (Some(r), _) => r.clone(),
        (None, Some(k)) => {
            let mut v: Vec<usize> = (0..=args.steps).step_by(k).collect();
            v.push(args.steps);
            v
        }
        (None, None) => vec![0, args.steps],
    };
    let progress = Mutex::new(Progress::new(args.steps as u64, "training", args.quiet));
    let report = |s: usize, _: usize| {
        if let Ok(mut p) = progress.lock() {
            p.set(s as u64);
        }
    };
    let mut cfg = TrainConfig::new(x.as_ref(), y.as_ref(), args.lr, args.steps)
        .with_record(record)
        .with_loss(args.loss)
        .with_ntk(!args.no_ntk)
        .with_threads(args.threads)
        .with_progress(&report);
    if let Some(xt) = &x_test {
        cfg = cfg.with_test(xt.as_ref(), y_test.as_ref().map(|m| m.as_ref()));
    }
    let start = Instant::now();
    let rec = empirical::train(&mut mlp, &cfg)?;
    if let Ok(mut p) = progress.lock() {
        p.finish();
    }
    let secs = start.elapsed().as_secs_f64();
    let out = Record {
        tool: "ntk",
        version: ntk::VERSION,
        command: common::command_line(),
        network: &net,
        hidden_widths: mlp.hidden_widths(),
        outputs: mlp.output_dim(),
        n_params: mlp.n_params(),
        seed: if args.params.is_some() {
            None
        } else {
            Some(args.seed)
        },
        params: args.params.as_ref().map(|p| p.display().to_string()),
        x_train: x_src.clone(),
        n_train: x.nrows(),
        n_test: x_test.as_ref().map(|m| m.nrows()),
        learning_rate: args.lr,
        steps: args.steps,
        loss: args.loss,
        loss_formula: match args.loss {
            Loss::Sum => "1/2 ||f - Y||^2",
            Loss::Mean => "1/(2N) ||f - Y||^2, N = n_train * outputs",
        },
        ntk_change: rec.ntk_change,
        snapshots: rec
            .snapshots
            .iter()
            .map(|s| SnapshotOut {
                step: s.step,
                train_loss: s.train_loss,
                test_loss: s.test_loss,
                f_train: rows(s.f_train.as_ref()),
                f_test: s.f_test.as_ref().map(|m| rows(m.as_ref())),
            })
            .collect(),
        seconds: secs,
    };
    ntk::io::write_json_atomic(&args.out, &out)
        .with_context(|| format!("writing {}", args.out.display()))?;
    let n = x.nrows();
    for (kind, path, m) in [
        ("empirical_ntk_init", &args.ntk_init_out, &rec.ntk_init),
        ("empirical_ntk_final", &args.ntk_final_out, &rec.ntk_final),
    ] {
        let (Some(path), Some(m)) = (path, m) else {
            continue;
        };
        ntk::io::write_npy(path, m.as_ref())
            .with_context(|| format!("writing {}", path.display()))?;
        let sc = Sidecar::new(common::command_line(), OutputInfo::for_path(kind, path, n, n))
            .with_network(&net)?
            .with_options(&serde_json::json!({"hidden_widths": mlp.hidden_widths(), "seed": args.seed, "lr": args.lr, "steps": args.steps, "loss": args.loss}))?
            .with_input(InputInfo::new("x_train", &x_src, x.as_ref()))
            .with_timing(secs);
        ntk::io::sidecar::write_sidecar(path, &sc)?;
    }
    if let Some(p) = &args.save_params {
        mlp.save_params(p)
            .with_context(|| format!("writing {}", p.display()))?;
    }
    if !args.quiet {
        let (first, last) = (rec.snapshots.first(), rec.snapshots.last());
        eprintln!(
            "trained {} (widths {:?}) for {} steps in {secs:.2} s: loss {:.4e} -> {:.4e}{} -> {}",
            net.summary(),
            mlp.hidden_widths(),
            args.steps,
            first.map_or(f64::NAN, |s| s.train_loss),
            last.map_or(f64::NAN, |s| s.train_loss),
            rec.ntk_change.map_or(String::new(), |c| format!(
                ", NTK moved by {:.3e} (relative)",
                c
            )),
            args.out.display()
        );
    }
    Ok(())
}
