//! `ntk demo`: the main job on built-in data (see `ntk::demo`).

use std::path::PathBuf;
use std::time::Instant;

const AFTER_HELP: &str = "\
Examples:
  ntk demo --out demo              # the full demo (a couple of minutes on 2 cores)
  ntk demo --out /tmp/d --quick    # a much smaller run

Writes into the folder: summary.md (the numbers), report.json, and the plots (PNG and SVG).";

/// Arguments of `ntk demo`.
#[derive(clap::Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// Output folder (created if missing).
    #[arg(long, value_name = "DIR", default_value = "demo")]
    pub out: PathBuf,
    /// Worker threads (0 = all cores).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub threads: usize,
    /// Seed for the finite networks.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// A much smaller, faster run.
    #[arg(long)]
    pub quick: bool,
    /// No progress messages on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Run `ntk demo`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let start = Instant::now();
    let opts = ntk::demo::DemoOptions {
        out: args.out.clone(),
        threads: args.threads,
        seed: args.seed,
        quick: args.quick,
    };
    let quiet = args.quiet;
    let report = ntk::demo::run(&opts, &|stage| {
        if !quiet {
            eprintln!("[{:6.1} s] {stage}", start.elapsed().as_secs_f64());
        }
    })?;
    if !quiet {
        let summary = std::fs::read_to_string(args.out.join("summary.md")).unwrap_or_default();
        println!("{summary}");
        eprintln!(
            "wrote {} files to {} in {:.1} s",
            report.files.len(),
            args.out.display(),
            report.seconds
        );
    }
    Ok(())
}
