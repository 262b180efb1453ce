//! The `ztsim` binary: parses arguments and calls the library.

mod cli;
mod progress;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    ztsim::output::ignore_file_size_signal();
    quiet_on_closed_pipe();
    let args = cli::Cli::parse();
    cli::configure_tables(args.plain);
    match cli::dispatch(args) {
        Ok(code) => code,
        // The reader of our output went away (`| head`): done, quietly.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // Invalid input already carries its own file:line:column lines.
            match e.downcast_ref::<ztsim::Error>() {
                Some(ztsim::Error::Invalid(d)) => {
                    eprintln!("{}", ztsim::report::terminal_safe(&d.to_string()))
                }
                _ => eprintln!("error: {}", ztsim::report::terminal_safe(&format!("{e:#}"))),
            }
            ExitCode::from(cli::exit_code(&e))
        }
    }
}

/// Makes a reader that goes away early (`ztsim techniques | head -1`) end ztsim quietly and
/// successfully, as ripgrep and hyperfine do: a `println!` that finds its pipe closed panics
/// in the standard library, and this hook turns exactly that panic into exit code 0 with no
/// message. Errors returned up to `main` are handled by `is_broken_pipe`. Called once at
/// startup.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.starts_with("failed printing to stdout") && msg.contains("Broken pipe") {
            #[allow(clippy::disallowed_methods)] // the one deliberate exit: the reader is gone
            std::process::exit(0);
        }
        default(info);
    }));
}

/// Whether an error (anywhere in its chain) is a write to standard output whose reader has
/// gone. A named output file that fails to write (a FIFO whose reader left) is an
/// `Error::Write`, which carries its cause outside the chain and so stays an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}
