//! `ntk predict` (placeholder: being implemented).

/// Arguments of `ntk predict`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Run `ntk predict`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    Err(crate::common::usage("`ntk predict` is not implemented yet"))
}
