//! ztsim: a Zero Trust digital-estate simulator.
//!
//! Data flows one way: a scenario file ([`scenario`]) compiles into an estate ([`estate`]:
//! an ECS world, a relation graph and a frozen attack graph); a control set ([`controls`])
//! becomes a plan of per-edge weights ([`plan`]); the engine ([`sim`]) plays trials, many
//! in parallel ([`montecarlo`]); statistics ([`stats`], [`summary`]) become reports
//! ([`report`]). See ARCHITECTURE.md.

#![warn(missing_docs)]

pub mod attacker;
pub mod calibrate;
pub mod compare;
pub mod controls;
pub mod coverage;
pub mod edge;
pub mod error;
pub mod estate;
pub mod estimate;
pub mod explain;
pub mod export;
pub mod generate;
pub mod import;
pub mod limits;
pub mod model;
pub mod montecarlo;
pub mod output;
pub mod paths;
pub mod pipeline;
pub mod plan;
pub mod plot;
pub mod policy;
pub mod recommend;
pub mod report;
pub mod rng;
pub mod room;
pub mod rules;
pub mod scenario;
pub mod schema;
pub mod serve;
pub mod sharphound;
pub mod sim;
pub mod stats;
mod suggest;
pub mod summary;
pub mod sweep;
pub mod tabletop;
pub mod techniques;
pub mod whatif;
pub mod world;

pub use error::{Error, Result};
