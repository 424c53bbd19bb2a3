//! `ntk empirical`: the empirical NTK (and NNGP) of one finite network, seeded or loaded from
//! a parameters file, written as .npy with a JSON sidecar.

use crate::common::{self, InputArgs, NetworkArgs};
use anyhow::Context;
use ntk::empirical::{self, Mlp, Widths};
use ntk::io::sidecar::{InputInfo, OutputInfo, Sidecar};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

const AFTER_HELP: &str = "\
Examples:
  # a seeded width-1024 ReLU network on 16 points of the unit circle
  ntk empirical --dataset circle:16 --activation relu --depth 3 --w-std 1.4142 --b-std 0.1 \\
      --width 1024 --seed 0 --out k.npy --nngp-out nngp.npy
  # a network made elsewhere (neural-tangents stax.serial params as JSON)
  ntk empirical --x x.npy --activation relu --depth 2 --w-std 1.5 --b-std 0.1 --params p.json --out k.npy
  # per-layer widths, 10 logits (kernel averaged over logits), cross kernel K(X, Z)
  ntk empirical --x x.npy --x2 z.npy --arch net.toml --widths 512,256 --outputs 10 --seed 3 --out k.npy

The network flags give activation, depth, w_std, b_std and parameterization; the widths come
from --width/--widths (with --seed) or from the --params file. Outputs are written atomically,
each with a sidecar <output>.json.";

/// Arguments of `ntk empirical`.
#[derive(clap::Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub net: NetworkArgs,
    /// Hidden widths per layer, comma-separated (instead of one --width for all layers).
    #[arg(
        long,
        value_name = "N1,N2,..",
        value_delimiter = ',',
        conflicts_with = "params"
    )]
    pub widths: Option<Vec<usize>>,
    /// Initialization seed (any unsigned integer); the same seed gives the same network on
    /// every machine and thread count.
    #[arg(long, default_value_t = 0, value_name = "S")]
    pub seed: u64,
    /// Number of network outputs (logits); kernels are averaged over them.
    #[arg(long, default_value_t = 1, value_name = "K", conflicts_with = "params")]
    pub outputs: usize,
    /// Load the parameters from this JSON file (neural-tangents `stax.serial` layout: a list of
    /// {"W": [[..]], "b": [[..]]} Dense layers, null for activations) instead of a seeded init.
    #[arg(long, value_name = "FILE")]
    pub params: Option<PathBuf>,
    /// Write the empirical NTK (n1 x n2, f64 .npy) here.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Also write the empirical NNGP here.
    #[arg(long, value_name = "FILE")]
    pub nngp_out: Option<PathBuf>,
    /// Also save the network's parameters as JSON here (e.g. to reuse a seeded network).
    #[arg(long, value_name = "FILE")]
    pub save_params: Option<PathBuf>,
    /// Worker threads (0 = all cores). Results are identical for any value.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub threads: usize,
    /// No summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Serialize)]
struct Opts<'a> {
    hidden_widths: Vec<usize>,
    outputs: usize,
    seed: Option<u64>,
    params: Option<&'a str>,
    threads: usize,
    trace_axes: &'static str,
}

/// Build the finite network from `--params`, or `--width`/`--widths` and `--seed`.
pub fn build_mlp(
    net: &ntk::Network,
    d: usize,
    width: Option<usize>,
    widths: Option<&Vec<usize>>,
    params: Option<&PathBuf>,
    outputs: usize,
    seed: u64,
) -> anyhow::Result<Mlp> {
    if let Some(p) = params {
        if width.is_some() {
            return Err(common::usage(
                "--width and --params both given: the widths come from the parameters file; drop --width",
            ));
        }
        let mlp = Mlp::from_params_file(net, p)
            .with_context(|| format!("reading --params {}", p.display()))?;
        if mlp.input_dim() != d {
            return Err(common::usage(format!(
                "the parameters in {} take {} inputs but the data has dimension {d}; use matching data or parameters",
                p.display(),
                mlp.input_dim()
            )));
        }
        return Ok(mlp);
    }
    let w = match (width, widths) {
        (_, Some(v)) => Widths::PerLayer(v.clone()),
        (Some(w), None) => Widths::Uniform(w),
        (None, None) if net.depth == 0 => Widths::PerLayer(vec![]),
        (None, None) => {
            return Err(common::usage(
                "no network size: pass --width N (or --widths N1,N2,..) with --seed S, or --params FILE",
            ));
        }
    };
    Ok(Mlp::init_with_outputs(net, d, &w, outputs, seed)?)
}

/// The network from the flags. The finite widths come from --width/--widths/--params; the
/// description's `width` (used by the standard parameterization's analytic NTK) is filled from
/// them so the flags need not repeat it.
pub fn network(
    net: &NetworkArgs,
    widths: Option<&Vec<usize>>,
    params: bool,
) -> anyhow::Result<ntk::Network> {
    let mut na = net.clone();
    if na.width.is_none() {
        if let Some(w) = widths.and_then(|v| v.first()) {
            na.width = Some(*w);
        } else if params {
            na.width = Some(1); // replaced by the parameters' first hidden width
        }
    }
    na.network()
}

/// Run `ntk empirical`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let mut net = network(&args.net, args.widths.as_ref(), args.params.is_some())?;
    if args.outputs == 0 {
        return Err(common::usage("--outputs must be at least 1"));
    }
    let mut outs = vec![&args.out];
    outs.extend(args.nngp_out.iter());
    outs.extend(args.save_params.iter());
    for (i, a) in outs.iter().enumerate() {
        if outs[..i].contains(a) {
            return Err(common::usage(format!(
                "{} is given as two different outputs; use distinct paths",
                a.display()
            )));
        }
        ntk::io::check_writable(a)?;
    }
    let inputs = args.input.load()?;
    let d = inputs.x1.ncols();
    let mlp = build_mlp(
        &net,
        d,
        args.net.width,
        args.widths.as_ref(),
        args.params.as_ref(),
        args.outputs,
        args.seed,
    )?;
    if net.parameterization == ntk::Parameterization::Standard {
        net.width = mlp.hidden_widths().first().copied().or(net.width);
    }
    let start = Instant::now();
    let k = empirical::ntk(
        &mlp,
        inputs.x1.as_ref(),
        inputs.x2.as_ref().map(|m| m.as_ref()),
        args.threads,
    )?;
    let secs = start.elapsed().as_secs_f64();
    let (n1, n2) = (k.ntk.nrows(), k.ntk.ncols());
    let params_src = args.params.as_ref().map(|p| p.display().to_string());
    let opts = Opts {
        hidden_widths: mlp.hidden_widths(),
        outputs: mlp.output_dim(),
        seed: if args.params.is_some() {
            None
        } else {
            Some(args.seed)
        },
        params: params_src.as_deref(),
        threads: args.threads,
        trace_axes: "(-1,): averaged over logits",
    };
    let mut written = Vec::new();
    for (kind, path, m) in [
        ("empirical_ntk", Some(&args.out), &k.ntk),
        ("empirical_nngp", args.nngp_out.as_ref(), &k.nngp),
    ] {
        let Some(path) = path else { continue };
        ntk::io::write_npy(path, m.as_ref())
            .with_context(|| format!("writing {}", path.display()))?;
        let mut sc = Sidecar::new(
            common::command_line(),
            OutputInfo::for_path(kind, path, n1, n2),
        )
        .with_network(&net)?
        .with_options(&opts)?
        .with_input(InputInfo::new("x1", &inputs.x1_source, inputs.x1.as_ref()))
        .with_timing(secs);
        if let (Some(x2), Some(src)) = (&inputs.x2, &inputs.x2_source) {
            sc = sc.with_input(InputInfo::new("x2", src, x2.as_ref()));
        }
        ntk::io::sidecar::write_sidecar(path, &sc)?;
        written.push(path.display().to_string());
    }
    if let Some(p) = &args.save_params {
        mlp.save_params(p)
            .with_context(|| format!("writing {}", p.display()))?;
        written.push(p.display().to_string());
    }
    if !args.quiet {
        eprintln!(
            "empirical NTK {n1} x {n2} ({}, widths {:?}, {} parameters) in {secs:.3} s -> {}",
            net.summary(),
            mlp.hidden_widths(),
            mlp.n_params(),
            written.join(", ")
        );
    }
    Ok(())
}
