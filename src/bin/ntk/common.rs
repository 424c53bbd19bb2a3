//! Shared CLI pieces: network flags, usage errors and exit codes, progress bars.

use anyhow::Context;
use clap::Args;
use ntk::{Activation, Network, Parameterization};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A usage error raised by the CLI itself (exit code 2).
#[derive(Debug)]
pub struct Usage(pub String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for Usage {}

/// Build a usage error (exit code 2).
pub fn usage(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Usage(msg.into()))
}

/// Exit code for an error chain: 2 for usage errors (ours or the library's), else 1.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    for cause in e.chain() {
        if cause.downcast_ref::<Usage>().is_some() {
            return 2;
        }
        if let Some(le) = cause.downcast_ref::<ntk::Error>() {
            return if le.is_usage() { 2 } else { 1 };
        }
    }
    1
}

/// Network description flags, shared by every command that builds a network.
#[derive(Args, Debug, Clone)]
pub struct NetworkArgs {
    /// Network description file (.json or .toml) with fields activation, depth, w_std, b_std,
    /// bias, parameterization, width. Replaces the individual network flags.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["activation", "depth", "w_std", "b_std", "parameterization"])]
    pub arch: Option<PathBuf>,
    /// Hidden-layer activation: relu, erf, erf:a,b,c, erf_sigmoid, selu, selu:lambda,alpha,
    /// elu[:alpha], celu[:alpha], identity, leaky_relu[:alpha], abs, abrelu:a,b, gelu, tanh,
    /// softplus, silu (swish), sigmoid.
    #[arg(long, value_name = "A", value_parser = parse_activation)]
    pub activation: Option<Activation>,
    /// Number of hidden (Dense, activation) pairs before the linear readout (0 = linear model).
    #[arg(long, value_name = "L")]
    pub depth: Option<usize>,
    /// Weight standard deviation W_std (>= 0). sqrt(2) = 1.4142 preserves ReLU variances.
    #[arg(long = "w-std", value_name = "W", allow_negative_numbers = true)]
    pub w_std: Option<f64>,
    /// Bias standard deviation b_std (>= 0), or `none` for no bias parameters
    /// (neural-tangents' b_std=None). Default 0.
    #[arg(long = "b-std", value_name = "B", allow_hyphen_values = true)]
    pub b_std: Option<String>,
    /// Parameterization: ntk (default) or standard.
    #[arg(long, value_name = "P", value_parser = parse_param)]
    pub parameterization: Option<Parameterization>,
    /// Hidden width; required by the standard parameterization's NTK.
    #[arg(long, value_name = "N")]
    pub width: Option<usize>,
}

fn parse_activation(s: &str) -> Result<Activation, String> {
    Activation::parse(s).map_err(|e| e.to_string())
}

fn parse_param(s: &str) -> Result<Parameterization, String> {
    match s.to_ascii_lowercase().as_str() {
        "ntk" => Ok(Parameterization::Ntk),
        "standard" => Ok(Parameterization::Standard),
        _ => Err(format!(
            "unknown parameterization `{s}`: use ntk or standard"
        )),
    }
}

impl NetworkArgs {
    /// The validated network from `--arch` or the flags.
    pub fn network(&self) -> anyhow::Result<Network> {
        if let Some(path) = &self.arch {
            let mut net = Network::from_file(path).context("reading --arch")?;
            if let Some(w) = self.width {
                net.width = Some(w);
                net.validate()?;
            }
            return Ok(net);
        }
        let activation = self.activation.ok_or_else(|| {
            usage("no network given: pass --arch FILE, or --activation relu|erf|selu with --depth, --w-std and --b-std")
        })?;
        let depth = self
            .depth
            .ok_or_else(|| usage("missing --depth L (number of hidden layers)"))?;
        let w_std = self
            .w_std
            .ok_or_else(|| usage("missing --w-std W (weight standard deviation, e.g. 1.4142)"))?;
        let (bias, b_std) = match self.b_std.as_deref() {
            None => (true, 0.0),
            Some(s) if s.eq_ignore_ascii_case("none") => (false, 0.0),
            Some(s) => (
                true,
                s.parse::<f64>()
                    .map_err(|_| usage(format!("--b-std `{s}` is not a number (or `none`)")))?,
            ),
        };
        let net = Network {
            activation,
            depth,
            w_std,
            b_std,
            bias,
            parameterization: self.parameterization.unwrap_or_default(),
            width: self.width,
        };
        net.validate()?;
        Ok(net)
    }
}

/// A progress bar on stderr that appears only for runs longer than a second, and never when
/// stderr is not a terminal or `--quiet` is set.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    start: Instant,
    /// Total number of steps (may be set after creation).
    pub total: u64,
    label: String,
    quiet: bool,
}

impl Progress {
    /// A progress tracker for `total` steps.
    pub fn new(total: u64, label: &str, quiet: bool) -> Self {
        use std::io::IsTerminal;
        let quiet = quiet || !std::io::stderr().is_terminal();
        Progress {
            bar: None,
            start: Instant::now(),
            total,
            label: label.to_string(),
            quiet,
        }
    }

    /// Set the position (call from any thread through a `Mutex`, or from the main thread).
    pub fn set(&mut self, pos: u64) {
        if self.quiet {
            return;
        }
        if self.bar.is_none() && self.start.elapsed() > Duration::from_secs(1) {
            let bar = indicatif::ProgressBar::new(self.total);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{msg} [{elapsed_precise}] {wide_bar} {pos}/{len} (eta {eta})",
            ) {
                bar.set_style(style);
            }
            bar.set_message(self.label.clone());
            self.bar = Some(bar);
        }
        if let Some(b) = &self.bar {
            b.set_length(self.total);
            b.set_position(pos);
        }
    }

    /// Remove the bar.
    pub fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

/// Input data flags: a file or a built-in dataset, and an optional second set.
#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    /// Input points X1 (n1 x d): .npy (f64/f32/integer, C or Fortran order), .csv
    /// (numeric, optional header row) or IDX (*-ubyte, *.idx3, gzipped or not; raw values).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "dataset",
        conflicts_with = "dataset"
    )]
    pub x: Option<PathBuf>,
    /// Built-in dataset instead of --x: `digits` (1797 x 64 UCI digits, pixels scaled to
    /// [0, 1]), `circle:N` (N points on the unit circle), or `fashion-mnist[:N[:M]]` (the
    /// first N Fashion-MNIST training images, pixels / 255; see --data-dir).
    #[arg(long, value_name = "NAME")]
    pub dataset: Option<String>,
    /// Directory holding the Fashion-MNIST IDX files (default: the Debian package
    /// dataset-fashion-mnist's /usr/share/datasets/fashion-mnist).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Second input set X2 (n2 x d) for a cross kernel K(X1, X2); default X2 = X1.
    #[arg(long, value_name = "FILE")]
    pub x2: Option<PathBuf>,
}

/// Loaded inputs with provenance, for sidecars.
pub struct Inputs {
    /// X1.
    pub x1: faer::Mat<f64>,
    /// Where X1 came from (path or dataset name).
    pub x1_source: String,
    /// X2, if given.
    pub x2: Option<faer::Mat<f64>>,
    /// Where X2 came from.
    pub x2_source: Option<String>,
    /// Labels of a built-in dataset.
    #[allow(dead_code)]
    pub labels: Option<Vec<u8>>,
}

impl InputArgs {
    /// Read the inputs (errors name the file and the problem).
    pub fn load(&self) -> anyhow::Result<Inputs> {
        let (x1, x1_source, labels) = match (&self.x, &self.dataset) {
            (Some(p), _) => (
                ntk::io::read_matrix(p).with_context(|| format!("reading --x {}", p.display()))?,
                p.display().to_string(),
                None,
            ),
            (None, Some(name)) => {
                let ds = ntk::data::Dataset::parse(name).context("--dataset")?;
                let l = ds.load_from(self.data_dir.as_deref())?;
                (l.x, ds.name(), l.labels)
            }
            (None, None) => {
                return Err(usage(
                    "no input: pass --x FILE or --dataset NAME (digits, circle:N, fashion-mnist)",
                ));
            }
        };
        let x2 = match &self.x2 {
            Some(p) => Some(
                ntk::io::read_matrix(p).with_context(|| format!("reading --x2 {}", p.display()))?,
            ),
            None => None,
        };
        Ok(Inputs {
            x1,
            x1_source,
            x2,
            x2_source: self.x2.as_ref().map(|p| p.display().to_string()),
            labels,
        })
    }
}

/// The command line as typed, for sidecars.
pub fn command_line() -> String {
    std::env::args().collect::<Vec<_>>().join(" ")
}
