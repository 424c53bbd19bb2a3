//! `ntk converge` (placeholder: being implemented).

/// Arguments of `ntk converge`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Run `ntk converge`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    Err(crate::common::usage("`ntk converge` is not implemented yet"))
}
