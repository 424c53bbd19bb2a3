//! `ntk plot` (placeholder: being implemented).

/// Arguments of `ntk plot`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Run `ntk plot`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    Err(crate::common::usage("`ntk plot` is not implemented yet"))
}
