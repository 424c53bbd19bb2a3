//! Plotting (placeholder: shared helpers being implemented).

pub mod dynamics;
