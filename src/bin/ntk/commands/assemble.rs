//! `ntk assemble`: join kernel blocks written by `ntk kernel --rows A..B` (or `--cols`) into
//! the whole kernel, byte-identical to `ntk kernel` of the whole, after checking from the
//! blocks' sidecars that they are cuts of one kernel covering it exactly once.

use super::kernel_parts::BlockInfo;
use crate::common;
use anyhow::Context;
use ntk::distributed::blocks::{self, Part};
use ntk::io::sidecar::{OutputInfo, Sidecar, read_sidecar, sidecar_path};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

const AFTER_HELP: &str = "\
Examples:
  # a 3-job array (e.g. Slurm --array=0-2), each job one block of rows, then the join
  ntk kernel --dataset digits --activation relu --depth 3 --w-std 1.4142 --b-std 0 \\
      --rows 0..600 --ntk-out k0.npy
  ntk kernel ... --rows 600..1200 --ntk-out k1.npy
  ntk kernel ... --rows 1200.. --ntk-out k2.npy
  ntk assemble k0.npy k1.npy k2.npy --out k.npy

The blocks may be given in any order; their sidecars (<block>.json) say where each sits.
They must be the same kind of kernel of the same network and inputs and cover it exactly
once. The output and its sidecar are published together, or nothing on failure.";

/// Arguments of `ntk assemble`.
#[derive(clap::Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// The block files (.npy with their .json sidecars), in any order.
    #[arg(required = true, value_name = "BLOCK")]
    pub blocks: Vec<PathBuf>,
    /// Write the whole kernel here (.npy).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// No summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Read a block's sidecar and where it sits.
fn part_of(p: &Path) -> anyhow::Result<(Sidecar, BlockInfo)> {
    let sc = read_sidecar(p).with_context(|| {
        format!(
            "{}: the block's sidecar is needed to place it (written by ntk kernel --rows/--cols)",
            p.display()
        )
    })?;
    let info: BlockInfo = sc
        .options
        .get("block")
        .cloned()
        .ok_or_else(|| {
            common::usage(format!(
                "{}: not a block (its sidecar has no options.block); give the files written by \
                 ntk kernel --rows or --cols",
                p.display()
            ))
        })
        .and_then(|v| {
            serde_json::from_value(v)
                .map_err(|e| common::usage(format!("{}: bad block record: {e}", p.display())))
        })?;
    Ok((sc, info))
}

/// Run `ntk assemble`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let start = Instant::now();
    ntk::io::check_writable(&args.out)?;
    ntk::io::cleanup_on_signal()?;
    let read: Vec<(Sidecar, BlockInfo)> = args
        .blocks
        .iter()
        .map(|p| part_of(p))
        .collect::<anyhow::Result<_>>()?;
    let (first, b0) = &read[0];
    for ((sc, b), p) in read.iter().zip(&args.blocks) {
        let same = b.axis == b0.axis
            && (b.n1, b.n2) == (b0.n1, b0.n2)
            && sc.network == first.network
            && sc.inputs == first.inputs
            && sc.output.kind == first.output.kind
            && sc.output.dtype == first.output.dtype;
        if !same {
            return Err(common::usage(format!(
                "{} is not a block of the same kernel as {} (kind, network, inputs, dtype, cut \
                 and size must agree)",
                p.display(),
                args.blocks[0].display()
            )));
        }
    }
    let parts: Vec<Part> = read
        .iter()
        .zip(&args.blocks)
        .map(|((_, b), p)| Part {
            path: p.clone(),
            range: b.start..b.end,
        })
        .collect();
    let mut tx = ntk::io::Transaction::new();
    let mut w = BufWriter::with_capacity(1 << 20, tx.stage(&args.out)?);
    let bytes = blocks::assemble(&parts, b0.axis, b0.n1, b0.n2, &mut w).map_err(|e| {
        if e.is_usage() {
            common::usage(e.to_string())
        } else {
            e.into()
        }
    })?;
    w.flush().context("writing the assembled kernel")?;
    drop(w);
    let mut info = OutputInfo::for_path(first.output.kind.clone(), &args.out, b0.n1, b0.n2);
    info.dtype = first.output.dtype.clone();
    let mut sc = Sidecar::new(common::command_line(), info);
    sc.network = first.network.clone();
    sc.inputs = first.inputs.clone();
    sc.options = serde_json::json!({
        "assembled_from": args.blocks.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "axis": b0.axis,
        "block_options": first.options,
    });
    sc = sc.with_timing(start.elapsed().as_secs_f64());
    tx.write_json(&sidecar_path(&args.out), &sc)?;
    tx.commit().context("publishing the assembled kernel")?;
    if !args.quiet {
        eprintln!(
            "assembled {} blocks ({}) into {} x {} -> {} ({:.2} GB)",
            parts.len(),
            b0.axis.name(),
            b0.n1,
            b0.n2,
            args.out.display(),
            bytes as f64 / 1e9
        );
    }
    Ok(())
}
