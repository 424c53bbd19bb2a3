//! `ntk plot`: plots of saved results, as PNG and SVG.

use crate::common;
use anyhow::Context;
use clap::Subcommand;
use std::path::{Path, PathBuf};

const AFTER_HELP: &str = "\
Examples:
  ntk plot heatmap k.npy                      # writes k.png and k.svg next to k.npy
  ntk plot heatmap k.npy --out plots/ntk --title \"ReLU NTK\"
  ntk plot convergence conv/report.json       # redraw conv/convergence.png/.svg (and profile)";

/// Arguments of `ntk plot`.
#[derive(clap::Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    #[command(subcommand)]
    pub what: What,
}

/// What to plot.
#[derive(Subcommand, Debug)]
pub enum What {
    /// A kernel matrix (.npy or .csv) as a heatmap.
    Heatmap {
        /// The matrix file.
        file: PathBuf,
        /// Output path without extension (default: the input path without its extension);
        /// STEM.png and STEM.svg are written.
        #[arg(long, value_name = "STEM")]
        out: Option<PathBuf>,
        /// Title (default: the file name).
        #[arg(long)]
        title: Option<String>,
    },
    /// Redraw the plots of an `ntk converge` report.json (into its directory, or --out DIR).
    Convergence {
        /// The report.json written by `ntk converge`.
        report: PathBuf,
        /// Output directory (default: the report's directory).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

/// Strip a final extension, keeping the directory.
fn stem_of(p: &Path) -> PathBuf {
    p.with_extension("")
}

/// Run `ntk plot`.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.what {
        What::Heatmap { file, out, title } => {
            let stem = out.unwrap_or_else(|| stem_of(&file));
            if stem.is_dir() {
                return Err(common::usage(format!(
                    "--out {} is a directory; give a file stem such as {}/kernel",
                    stem.display(),
                    stem.display()
                )));
            }
            let k = ntk::io::read_matrix(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            for ext in ["png", "svg"] {
                ntk::io::check_writable(&stem.with_extension(ext))?;
            }
            let title = title.unwrap_or_else(|| {
                file.file_name()
                    .map_or_else(|| "kernel".into(), |n| n.to_string_lossy().into_owned())
            });
            let files = ntk::plot::heatmap(k.as_ref(), &title, &stem)?;
            eprintln!(
                "heatmap -> {}",
                files
                    .iter()
                    .map(|f| f.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        What::Convergence { report, out } => {
            let text = std::fs::read_to_string(&report).map_err(|e| {
                common::usage(format!(
                    "cannot read {}: {e}; give the report.json written by `ntk converge`",
                    report.display()
                ))
            })?;
            let r: ntk::converge::ConvergenceReport = serde_json::from_str(&text).map_err(|e| {
                common::usage(format!(
                    "{} is not an `ntk converge` report: {e}",
                    report.display()
                ))
            })?;
            let dir = out.unwrap_or_else(|| {
                report
                    .parent()
                    .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
            });
            let dir = if dir.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                dir
            };
            if !dir.is_dir() {
                return Err(common::usage(format!(
                    "{} is not a directory; create it first",
                    dir.display()
                )));
            }
            let mut files = ntk::plot::convergence(&r, &dir)?;
            if let Some(p) = &r.profile {
                files.extend(ntk::plot::profile(p, &r.network.summary(), &dir)?);
            }
            eprintln!(
                "plots -> {}",
                files
                    .iter()
                    .map(|f| f.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    Ok(())
}
