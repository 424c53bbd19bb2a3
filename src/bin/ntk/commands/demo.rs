//! `ntk demo` (placeholder: being implemented).

/// Arguments of `ntk demo`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Run `ntk demo`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    Err(crate::common::usage("`ntk demo` is not implemented yet"))
}
