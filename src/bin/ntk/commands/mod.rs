//! One file per subcommand: clap arguments and a `run` that calls the library.

pub mod assemble;
pub mod converge;
pub mod demo;
pub mod empirical;
pub mod kernel;
pub mod kernel_parts;
pub mod plot;
pub mod predict;
pub mod predict_data;
pub mod predict_out;
pub mod train;
