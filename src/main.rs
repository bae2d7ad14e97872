//! memlab's entry point: the window, or a command-line command.

use std::process::ExitCode;

use clap::Parser;

/// Every allocation of memlab (egui's included) goes to the memory manager
/// chosen at run time, as Delphi's SetMemoryManager would.
#[global_allocator]
static GLOBAL: memlab_engine::alloc::GlobalDispatcher = memlab_engine::alloc::GlobalDispatcher;

fn main() -> ExitCode {
    // memlab's own measuring process: nothing else set up, so that the heap
    // it measures holds next to nothing of memlab's (alloc::isolated).
    if let Some(code) = memlab::cli::bench_child() {
        return code;
    }
    // Before anything is attached: see memlab_engine::os::signals.
    memlab_engine::os::signals::hold();
    // First, for the whole process: a write past `ulimit -f` must fail with
    // EFBIG (reported, with the limit, and cleaned up after), not kill memlab.
    #[cfg(unix)]
    if let Err(e) = memlab_engine::os::file_size_limit::ignore_sigxfsz() {
        eprintln!("memlab: cannot ignore SIGXFSZ ({e}); a write past ulimit -f will end memlab");
    }
    // Under wine, before any window exists: wine 8.0 loses the count of
    // winit's paints and an idle window's UI thread would never sleep (see
    // memlab_engine::os::wine_paint). On Windows this does nothing.
    #[cfg(windows)]
    if let Err(e) = memlab_engine::os::wine_paint::work_around() {
        eprintln!("memlab: under wine, a window's UI thread will not sleep while idle ({e})");
    }
    let code = run();
    // Everything is cleaned up: a signal held until now ends memlab now.
    memlab_engine::os::signals::release();
    code
}

fn run() -> ExitCode {
    let cli = match memlab::cli::Cli::try_parse() {
        Ok(cli) => cli,
        // A lab's command on an OS it is not ported to: said so (unsupported).
        Err(e) if memlab::cli::not_ported_in(&e).is_some() => {
            return memlab::cli::not_ported_in(&e)
                .map_or(ExitCode::FAILURE, memlab::cli::Failure::report);
        }
        Err(e) if e.use_stderr() => {
            // One clear line and exit code 2, as for every other bad input.
            // clap's message can span lines (e.g. the missing arguments
            // listed below it); keep them, up to its usage block.
            let text = e.to_string();
            let message = text
                .lines()
                .take_while(|l| !l.is_empty() && !l.starts_with("Usage:"))
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ");
            let message = message.trim_start_matches("error: ");
            eprintln!("memlab: error: {message} (see memlab --help)");
            return ExitCode::from(2);
        }
        Err(e) => {
            // --help and --version
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
    };
    match cli.command {
        Some(command) => memlab::cli::run(command, &memlab::app::screenshot),
        None => memlab::app::run_window(&memlab::app::WindowArgs {
            instances: cli.instances,
            lab: cli.lab,
            wayland: cli.wayland,
        }),
    }
}
