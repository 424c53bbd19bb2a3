//! `ntk kernel` (placeholder: being implemented).

/// Arguments of `ntk kernel`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Network flags.
    #[command(flatten)]
    pub net: crate::common::NetworkArgs,
}

/// Run `ntk kernel`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let _ = args.net.network()?;
    Err(crate::common::usage("`ntk kernel` is not implemented yet"))
}
