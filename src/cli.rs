//! Command-line interface: argument definitions and the wiring of library calls.

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use ztsim::limits::Limits;
use ztsim::montecarlo::RunOptions;
use ztsim::pipeline::{self, Prepared};
use ztsim::report::terminal_safe;

#[derive(Parser, Debug)]
#[command(
    name = "ztsim",
    version,
    about = "Zero Trust digital-estate simulator: Monte Carlo attacker lateral movement under control sets, measuring blast radius",
    after_help = "Examples:\n  ztsim demo\n  ztsim validate scenarios/flat-ad.yaml\n  ztsim run scenarios/flat-ad.yaml --controls none --controls mfa-everywhere --trials 2000\n  ztsim techniques\n  ztsim controls show C01"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run Monte Carlo trials on a scenario under one or more control sets.
    #[command(
        after_help = "Examples:\n  ztsim run scenarios/flat-ad.yaml\n  ztsim run scenarios/hybrid-cloud.yaml --controls none --controls C01+C14 --trials 5000 --out results/\n  ztsim run estate.json --json --threads 2"
    )]
    Run(RunArgs),
    /// Run the embedded default scenario (a hybrid-cloud enterprise) and print the result.
    #[command(after_help = "Example:\n  ztsim demo --trials 2000")]
    Demo(DemoArgs),
    /// Compare control sets on common random numbers: paired differences with CIs, and
    /// with --ablate, what each control of a preset is worth.
    #[command(
        after_help = "Examples:\n  ztsim compare scenarios/flat-ad.yaml --controls traditional --controls initial --controls advanced --controls optimal\n  ztsim compare scenarios/hybrid-cloud.yaml --controls initial --controls initial+identities:advanced --baseline initial\n  ztsim compare scenarios/hybrid-cloud.yaml --ablate optimal --trials 2000 --json"
    )]
    Compare(CompareArgs),
    /// Check a scenario file and report every problem with file:line:column.
    #[command(
        after_help = "Exit codes: 0 valid (warnings may be printed), 2 invalid.\nExample:\n  ztsim validate scenarios/flat-ad.yaml"
    )]
    Validate(ValidateArgs),
    /// List the ATT&CK techniques the engine uses.
    #[command(after_help = "Example:\n  ztsim techniques")]
    Techniques,
    /// List the Zero Trust control catalog, or show one control.
    #[command(after_help = "Examples:\n  ztsim controls\n  ztsim controls show C14")]
    Controls(ControlsArgs),
}

#[derive(Args, Debug, Clone)]
pub struct LimitArgs {
    /// Largest input file accepted, in bytes.
    #[arg(long, default_value_t = Limits::default().max_file_bytes)]
    pub max_file_bytes: u64,
    /// Most assets accepted in a scenario.
    #[arg(long, default_value_t = Limits::default().max_assets)]
    pub max_assets: usize,
    /// Most relations accepted in a scenario.
    #[arg(long, default_value_t = Limits::default().max_relations)]
    pub max_relations: usize,
    /// Longest string accepted (ids, names), in bytes.
    #[arg(long, default_value_t = Limits::default().max_string_len)]
    pub max_string_len: usize,
}

impl LimitArgs {
    fn limits(&self) -> Limits {
        Limits {
            max_file_bytes: self.max_file_bytes,
            max_assets: self.max_assets,
            max_relations: self.max_relations,
            max_string_len: self.max_string_len,
            ..Limits::default()
        }
    }
}

#[derive(Args, Debug)]
pub struct SimArgs {
    /// Control set to run (repeatable): `none`, a set the scenario defines, or catalog ids joined with `+` (e.g. C01+C14). Default: `none` and every set the scenario defines.
    #[arg(long = "controls", short = 'c', value_name = "SET")]
    pub controls: Vec<String>,
    /// Trials per control set (default: the scenario's `simulation.trials`).
    #[arg(long, short = 'n')]
    pub trials: Option<u32>,
    /// Master seed (default: the scenario's `simulation.seed`).
    #[arg(long, short = 's')]
    pub seed: Option<u64>,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long, short = 't', default_value_t = 0)]
    pub threads: usize,
    /// Write summary.json and trials.csv into this directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print the summary as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Scenario file (YAML or JSON).
    pub scenario: PathBuf,
    #[command(flatten)]
    pub sim: SimArgs,
}

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Scenario file (YAML or JSON).
    pub scenario: PathBuf,
    /// The set the others are compared with (default: the first --controls).
    #[arg(long)]
    pub baseline: Option<String>,
    /// Also run, for every control of this preset or set, the preset without it and the
    /// control alone, and rank the controls by marginal value.
    #[arg(long, value_name = "PRESET")]
    pub ablate: Option<String>,
    #[command(flatten)]
    pub sim: SimArgs,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    #[command(flatten)]
    pub sim: SimArgs,
}

#[derive(Args, Debug)]
pub struct ValidateArgs {
    pub file: PathBuf,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Args, Debug)]
pub struct ControlsArgs {
    #[command(subcommand)]
    pub action: Option<ControlsAction>,
}

#[derive(Subcommand, Debug)]
pub enum ControlsAction {
    /// Show one control: effects, parameters and their provenance.
    Show { id: String },
}

/// Exit code for an error: 2 for invalid input or usage, 1 for everything else.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    match e.downcast_ref::<ztsim::Error>() {
        Some(
            ztsim::Error::Invalid(_)
            | ztsim::Error::UnknownControlSet { .. }
            | ztsim::Error::Usage(_),
        ) => 2,
        _ => 1,
    }
}

pub fn dispatch(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Run(a) => {
            let prep = Prepared::from_file(&a.scenario, &a.sim.limits.limits())?;
            simulate(&prep, &a.sim)
        }
        Command::Demo(a) => {
            let prep = Prepared::from_str(
                pipeline::DEMO_SCENARIO,
                "demo:hybrid-cloud.yaml",
                &a.sim.limits.limits(),
            )?;
            simulate(&prep, &a.sim)
        }
        Command::Compare(a) => compare(&a),
        Command::Validate(a) => validate(&a),
        Command::Techniques => techniques(),
        Command::Controls(a) => controls(&a),
    }
}

fn print_warnings(prep: &Prepared) {
    for w in &prep.loaded.warnings {
        eprintln!("{}", terminal_safe(&w.render(&prep.loaded.origin)));
    }
}

fn simulate(prep: &Prepared, a: &SimArgs) -> Result<ExitCode> {
    print_warnings(prep);
    let opt = run_options(prep, a);
    let sets = if a.controls.is_empty() {
        prep.default_sets()
    } else {
        a.controls.clone()
    };
    let (summary, runs) = prep.simulate(&sets, &opt)?;
    if let Some(dir) = &a.out {
        pipeline::write_outputs(dir, &prep.estate, &summary, &runs)
            .with_context(|| format!("writing results to {}", dir.display()))?;
    }
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &summary)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", ztsim::report::summary_table(&summary))?;
        writeln!(
            out,
            "{} trials per set in {:.2} s ({:.0} attack steps/s)",
            summary.trials, summary.timing.seconds, summary.timing.steps_per_second
        )?;
        if let Some(dir) = &a.out {
            writeln!(out, "wrote {}/summary.json and trials.csv", dir.display())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn run_options(prep: &Prepared, a: &SimArgs) -> RunOptions {
    let sim = &prep.loaded.scenario.simulation;
    RunOptions {
        trials: a.trials.unwrap_or(sim.trials).max(1),
        seed: a.seed.unwrap_or(sim.seed),
        threads: a.threads,
        timeline_points: 48,
    }
}

fn compare(a: &CompareArgs) -> Result<ExitCode> {
    let prep = Prepared::from_file(&a.scenario, &a.sim.limits.limits())?;
    print_warnings(&prep);
    let opt = run_options(&prep, &a.sim);
    let mut sets = a.sim.controls.clone();
    if sets.is_empty() && a.ablate.is_none() {
        sets = prep.default_sets();
    }
    if sets.is_empty() {
        sets.push("none".into());
    }
    let (report, runs) = ztsim::compare::compare(
        &prep,
        &sets,
        a.baseline.as_deref(),
        a.ablate.as_deref(),
        &opt,
    )?;
    if let Some(dir) = &a.sim.out {
        pipeline::write_outputs(dir, &prep.estate, &report.summary, &runs)
            .and_then(|_| pipeline::write_json(&dir.join("comparison.json"), &report))
            .with_context(|| format!("writing results to {}", dir.display()))?;
    }
    let mut out = std::io::stdout().lock();
    if a.sim.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", ztsim::report::summary_table(&report.summary))?;
        write!(out, "{}", ztsim::report::comparison_table(&report))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn validate(a: &ValidateArgs) -> Result<ExitCode> {
    let prep = Prepared::from_file(&a.file, &a.limits.limits())?;
    print_warnings(&prep);
    let s = &prep.loaded.scenario;
    println!(
        "{}: valid: {} assets, {} segments, {} relations, {} control sets; {} attack edges",
        terminal_safe(&prep.loaded.origin),
        s.assets.len(),
        prep.estate.segment_count,
        s.relations.len(),
        s.control_sets.len(),
        prep.estate.edges.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn techniques() -> Result<ExitCode> {
    let tc = ztsim::techniques::TechniqueCatalog::builtin();
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_header(vec![
        "ATT&CK id",
        "name",
        "tactic",
        "p",
        "mean h",
        "noise",
        "move (preconditions -> result)",
    ]);
    for x in &tc.list {
        t.add_row(vec![
            x.id.clone(),
            x.name.clone(),
            x.tactic.clone(),
            format!("{:.2}", x.p),
            format!("{}", x.mean_hours),
            format!("{:.2}", x.noise),
            x.movement.clone(),
        ]);
    }
    println!("{t}");
    println!(
        "{} techniques. MITRE ATT&CK v18.1 ids and names, (c) The MITRE Corporation; ATT&CK is a trademark of MITRE.",
        tc.list.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn controls(a: &ControlsArgs) -> Result<ExitCode> {
    let cat = ztsim::controls::Catalog::builtin()?;
    match &a.action {
        None => {
            let mut t = comfy_table::Table::new();
            t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
            t.set_header(vec![
                "id",
                "name",
                "pillar",
                "principle",
                "ATT&CK mitigations",
            ]);
            for c in &cat.controls {
                t.add_row(vec![
                    c.id.clone(),
                    c.name.clone().unwrap_or_default(),
                    c.pillar
                        .map(|p| format!("{p:?}").to_lowercase())
                        .unwrap_or_default(),
                    c.principle
                        .map(|p| p.name().to_string())
                        .unwrap_or_default(),
                    c.mitigations.join(", "),
                ]);
            }
            println!(
                "{t}\n{} controls. `ztsim controls show ID` for effects and provenance.",
                cat.controls.len()
            );
        }
        Some(ControlsAction::Show { id }) => {
            let c = cat.get(id).ok_or_else(|| {
                ztsim::Error::Usage(format!(
                    "unknown control `{id}`; `ztsim controls` lists them"
                ))
            })?;
            println!("{}: {}", c.id, c.name.clone().unwrap_or_default());
            if let Some(d) = &c.description {
                println!("  {d}");
            }
            println!(
                "  pillar: {}",
                c.pillar
                    .map(|p| format!("{p:?}").to_lowercase())
                    .unwrap_or_default()
            );
            println!(
                "  principle: {}",
                c.principle.map(|p| p.name()).unwrap_or("")
            );
            println!("  ATT&CK mitigations: {}", c.mitigations.join(", "));
            if let Some(s) = &c.scope {
                println!("  default scope: {}", serde_json::to_string(s)?);
            }
            println!("  default coverage: {}", c.coverage.unwrap_or(1.0));
            println!("  parameters:");
            for (k, p) in &c.parameters {
                let prov = match (&p.source, &p.assumption) {
                    (Some(s), _) => format!("source: {s}"),
                    (None, Some(a)) => format!("assumption: {a}"),
                    _ => "no provenance".into(),
                };
                println!("    {k} = {} ({prov})", p.value);
            }
            println!("  effects:");
            for e in c.effects.as_deref().unwrap_or(&[]) {
                println!("    - {}", serde_json::to_string(e)?);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
