//! `ntk kernel`: analytic NNGP/NTK Gram matrices of a dataset, streamed to .npy (f64 or
//! f32, Fortran order) block column by block column while computing, with a JSON sidecar
//! each; all outputs are published together (one [`ntk::io::Transaction`]) or not at all.

use crate::common::{self, InputArgs, NetworkArgs, Progress};
use anyhow::Context;
use ntk::io::atomic::WritebackFile;
use ntk::io::sidecar::{InputInfo, OutputInfo, Sidecar, sidecar_path};
use ntk::kernel::stream::{self, Dtype, Output, StreamOptions};
use ntk::kernel::{KernelOptions, KernelPlan};
use serde::Serialize;
use std::cell::RefCell;
use std::path::{Path, PathBuf};
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

  # the first 5000 Fashion-MNIST training images (apt-get install dataset-fashion-mnist),
  # written as float32 while computing
  ntk kernel --dataset fashion-mnist:5000 --activation relu --depth 3 --w-std 1.4142 \
      --b-std 0.1 --ntk-out k.npy --dtype f32

Each output gets a sidecar <output>.json with the version, network, options, input shapes
and timing. Outputs are written while computing (memory: a few block columns, so kernels
larger than memory can be written) and published together at the end: a failed or
interrupted run (Ctrl-C, SIGTERM) leaves no output and no temporary file.";

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
    /// Element type of the .npy outputs: f64 (exact) or f32 (half the bytes, each value
    /// rounded to nearest; the computation stays f64).
    #[arg(long, default_value = "f64", value_name = "T", value_parser = parse_dtype)]
    pub dtype: Dtype,
    /// Compute only rows A..B (0-based, half-open; `A..` = to the end) of the kernel, as its
    /// own .npy: blocks for scheduler array jobs, joined by `ntk assemble` byte-identically.
    #[arg(long, value_name = "A..B", conflicts_with = "cols")]
    pub rows: Option<String>,
    /// Compute only columns A..B of the kernel, as its own .npy (see --rows).
    #[arg(long, value_name = "A..B")]
    pub cols: Option<String>,
    /// No progress bar or summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Serialize)]
struct Opts {
    threads: usize,
    tile: usize,
    compute_ntk: bool,
    dtype: &'static str,
    /// The block of a --rows/--cols run (what `ntk assemble` reads).
    #[serde(skip_serializing_if = "Option::is_none")]
    block: Option<super::kernel_parts::BlockInfo>,
    /// Ranks of an MPI run.
    #[serde(skip_serializing_if = "Option::is_none")]
    ranks: Option<usize>,
}

fn parse_dtype(s: &str) -> Result<Dtype, String> {
    Dtype::parse(s).map_err(|e| e.to_string())
}

/// Refuse output names that are not `.npy` (the streamed writer writes `.npy` only).
fn check_npy(flag: &str, p: &Path) -> anyhow::Result<()> {
    let ok = p.extension().is_some_and(|e| e.eq_ignore_ascii_case("npy"));
    if ok {
        Ok(())
    } else {
        Err(common::usage(format!(
            "{flag} {}: ntk kernel writes NumPy .npy files; give a name ending in .npy",
            p.display()
        )))
    }
}

/// Refuse outputs larger than the free space of their file system, before computing.
fn check_disk(outputs: &[(&Path, u64)]) -> anyhow::Result<()> {
    for (p, _) in outputs {
        let dir = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        // every output on the same file system as this one counts against its free space
        let Some(free) = ntk::io::atomic::free_disk_bytes(&dir) else {
            continue;
        };
        let dev = ntk::io::atomic::device_of(&dir);
        let need: u64 = outputs
            .iter()
            .filter(|(q, _)| {
                let d = q
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                ntk::io::atomic::device_of(d) == dev
            })
            .map(|(_, b)| b)
            .sum();
        if need > free {
            return Err(common::usage(format!(
                "the outputs need {:.2} GB but the file system of {} has only {:.2} GB free; \
                 free some space, write elsewhere, use --dtype f32 (half the bytes) or fewer points",
                need as f64 / 1e9,
                dir.display(),
                free as f64 / 1e9
            )));
        }
    }
    Ok(())
}

/// Run `ntk kernel`.
pub fn run(mut args: Args) -> anyhow::Result<()> {
    let comm = ntk::distributed::world();
    args.quiet |= !ntk::distributed::is_root(comm);
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
    ntk::io::cleanup_on_signal()?;
    for (flag, p) in [("--nngp-out", &args.nngp_out), ("--ntk-out", &args.ntk_out)] {
        if let Some(p) = p {
            check_npy(flag, p)?;
        }
    }
    let inputs = args.input.load()?;
    let start = Instant::now();
    let plan = KernelPlan::new(
        &net,
        inputs.x1.as_ref(),
        inputs.x2.as_ref().map(|m| m.as_ref()),
    )?;
    let (n1, n2) = plan.shape();
    let block = super::kernel_parts::block_of(&args, n1, n2, comm.size())?;
    let opts = StreamOptions {
        kernel: KernelOptions {
            compute_ntk: args.ntk_out.is_some(),
            threads: args.threads,
            tile: args.tile,
        },
        dtype: args.dtype,
        cache_bytes: None,
    };
    let (b1, b2) = block.as_ref().map_or((n1, n2), |b| b.shape());
    let bytes = stream::npy_bytes(b1, b2, args.dtype);
    let outs: Vec<(&Path, u64)> = [&args.nngp_out, &args.ntk_out]
        .into_iter()
        .flatten()
        .map(|p| (p.as_path(), bytes))
        .collect();
    if ntk::distributed::is_root(comm) {
        check_disk(&outs)?;
    }
    let mut tx = ntk::io::Transaction::new();
    let (written_bytes, wait_s) = if let Some(b) = &block {
        let bytes = super::kernel_parts::write_block(&mut tx, &args, &plan, b)?;
        (bytes, 0.0)
    } else if comm.size() > 1 {
        let bytes = super::kernel_parts::write_distributed(comm, &args, &plan)?;
        (bytes, 0.0)
    } else {
        let stats = stream_whole(&mut tx, &args, &plan, &opts)?;
        (stats.bytes, stats.wait_write_s)
    };
    let compute_s = start.elapsed().as_secs_f64();
    if !ntk::distributed::is_root(comm) {
        return Ok(()); // rank 0 writes the sidecars
    }
    let mut written = Vec::new();
    for (kind, path) in [("nngp", &args.nngp_out), ("ntk", &args.ntk_out)] {
        let Some(path) = path else {
            continue;
        };
        let mut info = OutputInfo::for_path(kind, path, b1, b2);
        info.dtype = args.dtype.numpy_name().to_string();
        let mut o = opts_json(&opts);
        o.block = block.clone();
        o.ranks = (comm.size() > 1).then_some(comm.size());
        let mut sc = Sidecar::new(common::command_line(), info)
            .with_network(&net)?
            .with_options(&o)?
            .with_input(InputInfo::new("x1", &inputs.x1_source, inputs.x1.as_ref()))
            .with_timing(compute_s);
        if let (Some(x2), Some(src)) = (&inputs.x2, &inputs.x2_source) {
            sc = sc.with_input(InputInfo::new("x2", src, x2.as_ref()));
        }
        tx.write_json(&sidecar_path(path), &sc)?;
        written.push(path.display().to_string());
    }
    tx.commit().context("publishing the outputs")?;
    if !args.quiet {
        eprintln!(
            "{} kernel{} {b1} x {b2}{} ({}) in {:.3} s, {:.2} GB written as {} while computing \
             (compute waited {:.3} s for the disk) -> {}",
            if opts.kernel.compute_ntk {
                "NNGP+NTK"
            } else {
                "NNGP"
            },
            if n1 == n2 && inputs.x2.is_none() {
                " (symmetric)"
            } else {
                ""
            },
            match (&block, comm.size()) {
                (Some(b), _) => format!(
                    " (block {} {}..{} of {n1} x {n2})",
                    b.axis.name(),
                    b.start,
                    b.end
                ),
                (None, 1) => String::new(),
                (None, p) => format!(" on {p} ranks"),
            },
            net.summary(),
            compute_s,
            written_bytes as f64 / 1e9,
            args.dtype.numpy_name(),
            wait_s,
            written.join(", ")
        );
    }
    Ok(())
}

/// The whole kernel(s) on one process, streamed into staged files of `tx`.
fn stream_whole(
    tx: &mut ntk::io::Transaction,
    args: &Args,
    plan: &KernelPlan<'_>,
    opts: &StreamOptions,
) -> anyhow::Result<stream::StreamStats> {
    let (n1, n2) = plan.shape();
    let mut stage = |p: &Option<PathBuf>| -> anyhow::Result<Option<Output<WritebackFile>>> {
        Ok(match p {
            Some(p) => Some(Output {
                path: p.clone(),
                // each 64 MB goes to disk while later columns compute, so the commit's
                // fsync has little left to wait for
                writer: WritebackFile::new(tx.stage(p)?),
            }),
            None => None,
        })
    };
    let (nngp_out, ntk_out) = (stage(&args.nngp_out)?, stage(&args.ntk_out)?);
    // `Progress::set` needs `&mut`; the callback runs on this thread
    let progress = RefCell::new(Progress::new(
        n2 as u64,
        &format!("kernel {n1}x{n2}"),
        args.quiet,
    ));
    let report = |done: usize, _total: usize| progress.borrow_mut().set(done as u64);
    let (stats, _, _) = stream::stream_npy(plan, opts, nngp_out, ntk_out, Some(&report))
        .context("computing and writing the kernels")?;
    progress.borrow_mut().finish();
    Ok(stats)
}

fn opts_json(o: &StreamOptions) -> Opts {
    Opts {
        threads: o.kernel.threads,
        tile: o.kernel.tile,
        compute_ntk: o.kernel.compute_ntk,
        dtype: o.dtype.numpy_name(),
        block: None,
        ranks: None,
    }
}
