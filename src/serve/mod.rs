//! `ztsim serve EXERCISE.yaml`: the browser tabletop. One [`crate::room::Room`] (one
//! session, the one engine) behind a small axum server on tokio: a facilitator console,
//! a page per player seat, live updates over WebSocket, the after-action report.
//!
//! - [`setup`]: from the exercise file to a room, new or resumed from its journal.
//! - [`http`]: the routes, the JSON API and the WebSocket.
//! - [`report`]: the after-action report's routes, built off the room's lock.
//! - [`assets`]: the web front end (`web/`), embedded in the binary.
//!
//! The server binds loopback unless told otherwise, and says so loudly when it is not.

pub mod assets;
pub mod http;
pub mod report;
pub mod setup;

use crate::error::{Error, Result};
use std::net::SocketAddr;
use std::path::PathBuf;

/// `ztsim serve`: the command-line arguments.
#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// The exercise file (YAML): roles, expectations, injects; it names its scenario.
    pub exercise: PathBuf,
    /// Address to listen on. Loopback by default; any other address lets anyone who can
    /// reach it and holds a link play.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    pub bind: String,
    /// Directory of the session journal. A journal there is resumed; else a new session
    /// starts there (default: `EXERCISE-STEM.session` beside the working directory).
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// The scenario to play, instead of the one the exercise names.
    #[arg(long, value_name = "SCENARIO")]
    pub scenario: Option<PathBuf>,
    /// Paired futures per counterfactual in the after-action report.
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub branches: u32,
}

/// Runs `ztsim serve` until interrupted.
pub fn main(a: &ServeArgs) -> Result<()> {
    let opened = setup::open(a)?;
    let addr: SocketAddr = a.bind.parse().map_err(|_| {
        Error::Usage(format!(
            "--bind `{}`: expected ADDRESS:PORT, such as 127.0.0.1:8080 or [::1]:8080",
            a.bind
        ))
    })?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the server's runtime: {e}")))?;
    rt.block_on(http::run(addr, opened, a.branches))
}
