//! `ntk train` (placeholder: being implemented).

/// Arguments of `ntk train`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Run `ntk train`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    Err(crate::common::usage("`ntk train` is not implemented yet"))
}
