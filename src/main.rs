//! The `ztsim` binary: parses arguments and calls the library.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    ztsim::output::ignore_file_size_signal();
    ztsim::output::quit_on_closed_pipe();
    let args = cli::Cli::parse();
    match cli::dispatch(args) {
        Ok(code) => code,
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
