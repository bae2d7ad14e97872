//! memlab's entry point: the window, or a command-line command.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = memlab::cli::Cli::parse();
    match cli.command {
        Some(command) => memlab::cli::run(command),
        None => memlab::app::run_window(),
    }
}
