//! `ntk`: command-line shell over the `ntk` library. Parsing and presentation only; every
//! computation is a call into the public library API.
//!
//! Exit codes: 0 success, 1 runtime or numerical failure, 2 usage error (bad flags,
//! parameters, input files or data; unwritable output; a request too large for memory).

mod commands;
mod common;
mod stages;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

const AFTER_HELP: &str = "\
Examples:
  ntk demo --out demo/                         # the main job on built-in data
  ntk kernel --dataset digits --activation relu --depth 3 --w-std 1.4142 --b-std 0 --ntk-out k.npy
  ntk kernel --x x.npy --x2 z.csv --arch net.toml --nngp-out nngp.npy --ntk-out ntk.npy

Exit codes: 0 ok, 1 runtime/numerical failure, 2 usage error.";

/// Exact infinite-width NNGP/NTK kernels, the training dynamics they predict, and finite-width checks.
#[derive(Parser, Debug)]
#[command(name = "ntk", version, about, after_help = AFTER_HELP, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Analytic infinite-width NNGP and NTK Gram matrices of a dataset.
    Kernel(commands::kernel::Args),
    /// Empirical NTK (and NNGP) of a finite network at initialization.
    Empirical(commands::empirical::Args),
    /// Train a finite network by full-batch gradient descent and record its outputs.
    Train(commands::train::Args),
    /// Width convergence: empirical vs analytic kernels over widths and seeds, with plots.
    Converge(commands::converge::Args),
    /// Predict training dynamics from the kernel (gradient flow / gradient descent).
    Predict(Box<commands::predict::Args>),
    /// Join kernel blocks (`ntk kernel --rows/--cols`) into the whole kernel.
    Assemble(commands::assemble::Args),
    /// Plot a saved kernel as a heatmap.
    Plot(commands::plot::Args),
    /// The main job on built-in data: kernels, width convergence, predicted-vs-trained dynamics.
    Demo(commands::demo::Args),
}

fn main() -> ExitCode {
    // launched by mpirun/srun (feature "mpi"): MPI_COMM_WORLD, finalized when this drops
    #[cfg(feature = "mpi")]
    let _mpi = match ntk::distributed::mpi::init() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let root = ntk::distributed::is_root(ntk::distributed::world());
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            if root {
                let _ = e.print();
            }
            return ExitCode::from(code);
        }
    };
    let res = match cli.cmd {
        Cmd::Kernel(a) => commands::kernel::run(a),
        Cmd::Empirical(a) => commands::empirical::run(a),
        Cmd::Train(a) => commands::train::run(a),
        Cmd::Converge(a) => commands::converge::run(a),
        Cmd::Predict(a) => commands::predict::run(*a),
        Cmd::Plot(a) => commands::plot::run(a),
        Cmd::Assemble(a) => commands::assemble::run(a),
        Cmd::Demo(a) => commands::demo::run(a),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // every rank of a distributed run ends with the same (agreed) error
            if root {
                eprintln!("error: {}", render(&e));
            }
            ExitCode::from(common::exit_code(&e))
        }
    }
}

/// The error chain as one line, skipping causes whose text the line already contains
/// (library errors embed their source's message).
fn render(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}
