//! `ntk empirical` (placeholder: being implemented).

/// Arguments of `ntk empirical`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Run `ntk empirical`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    Err(crate::common::usage("`ntk empirical` is not implemented yet"))
}
