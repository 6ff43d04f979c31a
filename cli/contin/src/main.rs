//! The `contin` binary: clap commands calling into the engine and rendering results.

mod engine;

fn main() {}
