//! `ntk kernel`: analytic NNGP/NTK Gram matrices of a dataset, written as .npy (f64,
//! Fortran order) with a JSON sidecar each.

use crate::common::{self, InputArgs, NetworkArgs, Progress};
use anyhow::Context;
use ntk::io::sidecar::{InputInfo, OutputInfo, Sidecar};
use ntk::kernel::{KernelOptions, KernelPlan};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

const AFTER_HELP: &str = "\
Examples:
  # SELU NTK of the built-in digits (1797 x 1797)
  ntk kernel --dataset digits --activation selu --depth 3 --w-std 1 --b-std 0 --ntk-out k.npy
  # cross kernels K(X, Z) of a network described in a file
  ntk kernel --x x.npy --x2 z.csv --arch net.toml --nngp-out nngp.npy --ntk-out ntk.npy
  # standard parameterization without biases (neural-tangents' b_std=None)
  ntk kernel --x x.npy --activation relu --depth 2 --w-std 1.4142 --b-std none \\
      --parameterization standard --width 512 --ntk-out k.npy

Each output gets a sidecar <output>.json with the version, network, options, input shapes
and timing. Outputs are written atomically: a failed run leaves no partial file.";

/// Arguments of `ntk kernel`.
#[derive(clap::Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub net: NetworkArgs,
    /// Write the NNGP kernel (n1 x n2, f64 .npy) here.
    #[arg(long, value_name = "FILE")]
    pub nngp_out: Option<PathBuf>,
    /// Write the NTK (n1 x n2, f64 .npy) here.
    #[arg(long, value_name = "FILE")]
    pub ntk_out: Option<PathBuf>,
    /// Worker threads (0 = all cores). Results are identical for any value.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub threads: usize,
    /// Tile edge for the blocked computation (rows = columns per tile).
    #[arg(long, default_value_t = 256, value_name = "T")]
    pub tile: usize,
    /// No progress bar or summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Serialize)]
struct Opts {
    threads: usize,
    tile: usize,
    compute_ntk: bool,
}

/// Run `ntk kernel`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let net = args.net.network()?;
    if args.nngp_out.is_none() && args.ntk_out.is_none() {
        return Err(common::usage(
            "nothing to write: pass --ntk-out FILE and/or --nngp-out FILE",
        ));
    }
    if args.tile == 0 {
        return Err(common::usage("--tile must be at least 1"));
    }
    if let (Some(a), Some(b)) = (&args.nngp_out, &args.ntk_out) {
        if a == b {
            return Err(common::usage(
                "--nngp-out and --ntk-out are the same file; give two different paths",
            ));
        }
    }
    for p in [&args.nngp_out, &args.ntk_out].into_iter().flatten() {
        ntk::io::check_writable(p)?;
    }
    let inputs = args.input.load()?;
    let start = Instant::now();
    let plan = KernelPlan::new(
        &net,
        inputs.x1.as_ref(),
        inputs.x2.as_ref().map(|m| m.as_ref()),
    )?;
    let (n1, n2) = plan.shape();
    let opts = KernelOptions {
        compute_ntk: args.ntk_out.is_some(),
        threads: args.threads,
        tile: args.tile,
    };
    let progress = Mutex::new(Progress::new(0, &format!("kernel {n1}x{n2}"), args.quiet));
    let report = |done: usize, total: usize| {
        if let Ok(mut p) = progress.lock() {
            p.total = total as u64;
            p.set(done as u64);
        }
    };
    let k = plan.compute(&opts, Some(&report))?;
    if let Ok(mut p) = progress.lock() {
        p.finish();
    }
    let compute_s = start.elapsed().as_secs_f64();
    let mut written = Vec::new();
    for (kind, path, m) in [
        ("nngp", &args.nngp_out, Some(&k.nngp)),
        ("ntk", &args.ntk_out, k.ntk.as_ref()),
    ] {
        let (Some(path), Some(m)) = (path, m) else {
            continue;
        };
        ntk::io::write_npy(path, m.as_ref())
            .with_context(|| format!("writing {}", path.display()))?;
        let mut sc = Sidecar::new(
            common::command_line(),
            OutputInfo::for_path(kind, path, n1, n2),
        )
        .with_network(&net)?
        .with_options(&opts_json(&opts))?
        .with_input(InputInfo::new("x1", &inputs.x1_source, inputs.x1.as_ref()))
        .with_timing(compute_s);
        if let (Some(x2), Some(src)) = (&inputs.x2, &inputs.x2_source) {
            sc = sc.with_input(InputInfo::new("x2", src, x2.as_ref()));
        }
        ntk::io::sidecar::write_sidecar(path, &sc)?;
        written.push(path.display().to_string());
    }
    if !args.quiet {
        eprintln!(
            "{} kernel{} {n1} x {n2} ({}) in {:.3} s -> {}",
            if opts.compute_ntk { "NNGP+NTK" } else { "NNGP" },
            if n1 == n2 && inputs.x2.is_none() {
                " (symmetric)"
            } else {
                ""
            },
            net.summary(),
            compute_s,
            written.join(", ")
        );
    }
    Ok(())
}

fn opts_json(o: &KernelOptions) -> Opts {
    Opts {
        threads: o.threads,
        tile: o.tile,
        compute_ntk: o.compute_ntk,
    }
}
