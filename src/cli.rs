//! Command-line interface: argument definitions and the wiring of library calls.

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use ztsim::limits::Limits;
use ztsim::montecarlo::RunOptions;
use ztsim::pipeline::{self, Prepared};
use ztsim::plot::PlotData;
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
    /// Print tables as tab-separated rows (for `cut`, `grep` and spreadsheets) instead of boxes.
    #[arg(long, global = true)]
    pub plain: bool,
}

/// Sets how tables are drawn: `--plain`, else boxes fitted to the terminal's width, else to
/// `COLUMNS`, else to 100 columns (a terminal that reports a silly width, as under `script`,
/// is not believed).
pub fn configure_tables(plain: bool) {
    ztsim::report::term::set_plain(plain);
    let believable = |w: u16| (40..=1000).contains(&w);
    let width = comfy_table::Table::new()
        .width()
        .filter(|w| believable(*w))
        .or_else(|| {
            std::env::var("COLUMNS")
                .ok()
                .and_then(|c| c.trim().parse::<u16>().ok())
                .filter(|w| believable(*w))
        })
        .unwrap_or(ztsim::report::term::FALLBACK_WIDTH);
    ztsim::report::term::set_width(width);
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
    /// The k most likely attack paths to each objective, analytic, side by side with how often Monte Carlo trials took them.
    #[command(
        after_help = "Examples:\n  ztsim paths scenarios/hybrid-cloud.yaml -k 5\n  ztsim paths scenarios/flat-ad.yaml --controls initial --to db-erp --by time --json\n  ztsim paths scenarios/flat-ad.yaml --from ws-acct-01 --trials 0\nSemantics and caveats: docs/paths.md."
    )]
    Paths(PathsArgs),
    /// Choke points: minimum node and relation cuts between entries and objectives, ranked by the Monte Carlo drop in P(objective) when each is removed.
    #[command(
        after_help = "Examples:\n  ztsim chokepoints scenarios/hybrid-cloud.yaml\n  ztsim chokepoints scenarios/flat-ad.yaml --controls initial --candidates 12 --trials 2000 --json\nSemantics: docs/paths.md."
    )]
    Chokepoints(ChokepointsArgs),
    /// Recommend control additions under a budget (greedy, paired Monte Carlo per candidate) and draw the cost-versus-risk frontier.
    #[command(
        after_help = "Examples:\n  ztsim recommend scenarios/hybrid-cloud.yaml --from initial --budget 20\n  ztsim recommend scenarios/flat-ad.yaml --from traditional --budget 30 --metric crown-jewel --plot frontier/\nCosts are relative assumptions (`cost` in data/controls.yaml, overridable in a scenario's `controls:`). docs/paths.md."
    )]
    Recommend(RecommendArgs),
    /// Check a scenario file and report every problem with file:line:column.
    #[command(
        after_help = "Exit codes: 0 valid (warnings may be printed), 2 invalid.\nExample:\n  ztsim validate scenarios/flat-ad.yaml"
    )]
    Validate(ValidateArgs),
    /// List the built-in attacker profiles and their behaviour parameters.
    #[command(
        after_help = "Examples:\n  ztsim profiles\n  ztsim run scenarios/flat-ad.yaml --profile ransomware"
    )]
    Profiles,
    /// List the ATT&CK techniques the engine uses.
    #[command(after_help = "Example:\n  ztsim techniques")]
    Techniques,
    /// List the attack rules: id, technique, what each needs and grants, its network
    /// condition and the file that defines it.
    #[command(
        after_help = "Examples:\n  ztsim rules\n  ztsim rules --json\nThe model, one rule per screen: src/rules/."
    )]
    Rules(RulesArgs),
    /// Why an attacker holding FROM can act on TO in one step: the rules, the relations that
    /// fed them, and what each control set does to each edge.
    #[command(
        after_help = "Examples:\n  ztsim explain scenarios/hybrid-cloud.yaml ws-fin-01 u-cfo -c none -c optimal\n  ztsim explain scenarios/flat-ad.yaml u-helpdesk srv-file --json"
    )]
    Explain(ExplainArgs),
    /// List the Zero Trust control catalog, or show one control.
    #[command(after_help = "Examples:\n  ztsim controls\n  ztsim controls show C14")]
    Controls(ControlsArgs),
    /// Redraw the charts (and the HTML report) from a results directory written by --out,
    /// without running trials again.
    #[command(
        after_help = "Examples:\n  ztsim run scenarios/hybrid-cloud.yaml --out results/\n  ztsim plot results/ --plot plots/ --report report.html"
    )]
    Plot(PlotArgs),
    /// Generate a realistic enterprise estate as a scenario file (deterministic per seed).
    #[command(
        after_help = "Examples:\n  ztsim generate --size small -o small.yaml\n  ztsim generate --size huge --seed 7 -o big.json --stats big-stats.json\n  ztsim generate --assets 5000 --shared-local-admin-rate 0 --mfa-share 1 -o hardened.yaml\nKnobs and their defaults: docs/generator.md."
    )]
    Generate(Box<ztsim::generate::GenerateArgs>),
    /// Import another tool's data as a scenario (SharpHound and AzureHound collections).
    #[command(
        after_help = "Examples:\n  ztsim import bloodhound 20240101_BloodHound.zip -o estate.yaml --overlay network.yaml\n  ztsim import azurehound azurehound.json -o tenant.yaml\n  ztsim import bloodhound collection.zip --azurehound azurehound.json -o hybrid.yaml\nMapping and overlay format: docs/bloodhound.md, docs/azurehound.md."
    )]
    Import(ImportArgs),
    /// What-if in BloodHound's units: the estate as it is against the estate with relations removed or assets disabled, paired on common random numbers (exposure, impact, P(Tier Zero), time to Tier Zero).
    #[command(
        after_help = "Examples:\n  ztsim whatif scenarios/flat-ad.yaml --remove-edge member_of:svc-backup:domain-admins\n  ztsim whatif estate.yaml --disable svc-sql --remove-edge admin_to:helpdesk:dc01 -c none -c initial --trials 500 --json\nWhat each number means and how the pairing is exact: docs/whatif.md."
    )]
    Whatif(WhatifArgs),
    /// Estimate a rare attack outcome's probability to a stated precision: crude Monte Carlo, importance sampling (cross-entropy tilt) or multilevel splitting.
    #[command(
        after_help = "Examples:\n  ztsim estimate scenarios/hybrid-cloud.yaml -c optimal --target crown-jewel --rel-error 0.1\n  ztsim estimate estate.yaml -c advanced --target asset:db-erp --method splitting --max-seconds 120 --json\n  ztsim estimate scenarios/flat-ad.yaml -c initial --target blast>=20\nTargets: crown-jewel, asset:ID, tier-zero, blast>=K. Methods and what the output means: docs/estimate.md."
    )]
    Estimate(EstimateArgs),
    /// Export a scenario's assets and relations as a graph: BloodHound OpenGraph JSON, Graphviz DOT or GraphML.
    #[command(
        after_help = "Examples:\n  ztsim export estate.yaml --format opengraph -o estate-opengraph.json\n  ztsim run estate.yaml --out results/ && ztsim export estate.yaml --format dot --results results/ | dot -Tsvg > estate.svg\n  ztsim export estate.yaml --format graphml -o estate.graphml\n  ztsim generate --size large -o big.yaml && ztsim export big.yaml --format sharphound -o big-sharphound.zip"
    )]
    Export(ExportArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(
        after_help = "Examples:\n  ztsim completions bash > ~/.local/share/bash-completion/completions/ztsim\n  ztsim completions zsh > \"${fpath[1]}/_ztsim\"\n  ztsim completions fish > ~/.config/fish/completions/ztsim.fish"
    )]
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), every subcommand included.
    #[command(after_help = "Example:\n  ztsim man > ztsim.1 && man ./ztsim.1")]
    Man,
    /// Print the JSON Schema of the scenario format, for editors (completion, checking as you type).
    #[command(
        after_help = "Examples:\n  ztsim schema -o scenario.schema.json\n  # then, first line of a scenario in VS Code (YAML extension):\n  # yaml-language-server: $schema=./scenario.schema.json\nThe repository's copy is docs/scenario.schema.json. Structure only: `ztsim validate` checks references and ranges."
    )]
    Schema {
        /// Write the schema to FILE (atomically) instead of standard output; `-` is standard output.
        #[arg(
            short = 'o',
            long = "out",
            visible_alias = "output",
            value_name = "FILE"
        )]
        out: Option<PathBuf>,
    },
    /// Play one trial step by step as a tabletop exercise: narration, defender and attacker injects, undo, rewind, branches, scripted exercises and a Markdown transcript.
    #[command(
        after_help = "Examples:\n  ztsim tabletop scenarios/flat-ad.yaml --profile ransomware\n  ztsim tabletop scenarios/flat-ad.yaml --script scenarios/exercises/ransomware-night.yaml --transcript night.md\n  printf 'step 3\\nstatus\\n' | ztsim tabletop scenarios/hybrid-cloud.yaml --god-view\nCommands: type `help` in a session. Guide: docs/tabletop.md."
    )]
    Tabletop(Box<ztsim::tabletop::TabletopArgs>),
    /// Serve a tabletop exercise in the browser: a facilitator console, a page per player seat, live updates, scores, triggered injects and an after-action report.
    #[command(
        after_help = "Examples:\n  ztsim serve scenarios/exercises/phish-to-payroll.yaml\n  ztsim serve scenarios/exercises/ransomware-night.yaml --state-dir night.session\nThe server prints the facilitator's link and one join link per seat. Guide: docs/serve.md."
    )]
    Serve(Box<ztsim::serve::ServeArgs>),
    /// Run a parameter sweep from a spec: scenarios x profiles x control sets x parameter values, with checkpoints, resume and shards.
    #[command(
        after_help = "Examples:\n  ztsim sweep notebooks/spec.yaml --out results/sweep\n  ztsim sweep spec.yaml --out results/sweep --resume\n  ztsim sweep spec.yaml --out shard-2 --shard-index 2 --shard-count 4\nSpec format and outputs: docs/sweeps.md."
    )]
    Sweep(ztsim::sweep::SweepArgs),
    /// Combine the directories of a sharded sweep into what one unsharded run writes.
    #[command(
        after_help = "Example:\n  ztsim merge shard-0 shard-1 shard-2 shard-3 --out results/sweep"
    )]
    Merge(ztsim::sweep::MergeArgs),
    /// Vary every assumed parameter one at a time (default +/-50 %) and rank them by their effect on blast radius and P(crown jewel); tornado chart.
    #[command(
        after_help = "Examples:\n  ztsim sensitivity scenarios/flat-ad.yaml --trials 500\n  ztsim sensitivity scenarios/hybrid-cloud.yaml --controls advanced --range 0.25 --out results/sens --plot results/sens"
    )]
    Sensitivity(ztsim::sweep::SensitivityArgs),
    /// Compare ztsim's defaults with published incident-response figures (breakout, time to
    /// AD, to ransomware, to exfiltration, dwell, eviction, MFA): published value, ztsim's
    /// value with CI, ratio and verdict per figure. Exit 1 when a figure expected in band is
    /// out of band.
    #[command(
        after_help = "Examples:\n  ztsim calibrate\n  ztsim calibrate --trials 300 --json\n  ztsim calibrate --plot docs/img --figure time-to-ad --figure dwell\n  ztsim calibrate --controls-file slower-lsass.yaml\n  ztsim calibrate --sensitivity --figure time-to-ad --trials 300\nExit codes: 0 every figure as expected, 1 a figure out of band, 2 bad input.\nThe figures, their sources and bands: data/calibration.yaml; docs/calibration.md."
    )]
    Calibrate(CalibrateArgs),
}

#[derive(Args, Debug)]
pub struct CalibrateArgs {
    /// A calibration file to use instead of the embedded data/calibration.yaml (scenario
    /// paths are relative to it; `scenarios/NAME.yaml` falls back to the shipped ones).
    #[arg(long = "file", value_name = "CAL.yaml")]
    pub file: Option<PathBuf>,
    /// Trials per figure, replacing each figure's `trials` (at least 1).
    #[arg(long, short = 'n', value_parser = clap::value_parser!(u32).range(1..))]
    pub trials: Option<u32>,
    /// Run only this figure (by id; repeatable).
    #[arg(long = "figure", value_name = "ID")]
    pub figures: Vec<String>,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long, short = 't', default_value_t = 0)]
    pub threads: usize,
    /// Print the result as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Draw published against simulated values on a log time axis into DIR
    /// (calibration.png and calibration.svg).
    #[arg(long, value_name = "DIR")]
    pub plot: Option<PathBuf>,
    /// Also rank, for each figure, the assumed parameters its value depends on most
    /// (`ztsim sensitivity`'s one-at-a-time variation, on the figure's own metric).
    #[arg(long)]
    pub sensitivity: bool,
    /// Relative change for --sensitivity (0.5: +/-50 %).
    #[arg(long, default_value_t = 0.5)]
    pub range: f64,
    /// Parameters listed per figure with --sensitivity.
    #[arg(long, default_value_t = 5)]
    pub top: usize,
    #[command(flatten)]
    pub controls_files: ControlsFileArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub source: ImportSource,
}

#[derive(Subcommand, Debug)]
pub enum ImportSource {
    /// A SharpHound v6 collection: the zip SharpHound writes, a directory of its JSON files, or one file.
    #[command(
        after_help = "Without --overlay every computer goes into one flat segment `corp` and the domain controllers are the crown jewels; the output's header lists every assumption and everything not understood.\nExample:\n  ztsim import bloodhound collection.zip -o estate.yaml --overlay overlay.yaml"
    )]
    Bloodhound(BloodhoundArgs),
    /// AzureHound output (`azurehound list -o FILE`): Microsoft Entra ID and Azure.
    #[command(
        after_help = "Without --overlay the Entra tenants are the crown jewels; the output's header lists every assumption and everything not understood.\nExample:\n  ztsim import azurehound azurehound.json -o tenant.yaml --coverage coverage.csv\nMapping: docs/azurehound.md."
    )]
    Azurehound(AzurehoundArgs),
}

/// What every importer writes, and the overlay it applies.
#[derive(Args, Debug)]
pub struct ImportOutput {
    /// Scenario file to write (YAML), readable by you only (mode 0600).
    #[arg(
        short = 'o',
        long = "out",
        visible_alias = "output",
        value_name = "SCENARIO.yaml"
    )]
    pub out: PathBuf,
    /// What the collector does not know: segments, placement, reachability, data, relations, control sets (YAML).
    #[arg(long, value_name = "FILE.yaml")]
    pub overlay: Option<PathBuf>,
    /// Also write the coverage table (what was mapped, skipped and not understood, by kind
    /// and reason, with counts) to this CSV file.
    #[arg(long, value_name = "FILE")]
    pub coverage: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct AzurehoundArgs {
    /// AzureHound's JSON file.
    pub path: PathBuf,
    #[command(flatten)]
    pub output: ImportOutput,
    /// Import disabled users, service principals and devices too (skipped by default).
    #[arg(long)]
    pub include_disabled: bool,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Args, Debug)]
pub struct BloodhoundArgs {
    /// SharpHound output: a zip, a directory of JSON files, or one JSON file.
    pub path: PathBuf,
    #[command(flatten)]
    pub output: ImportOutput,
    /// Most bytes of JSON read, after decompression.
    #[arg(long, hide_short_help = true, help_heading = "Input limits (untrusted files; see docs/security.md)", default_value_t = ztsim::import::bloodhound::DEFAULT_MAX_DECOMPRESSED_BYTES)]
    pub max_decompressed_bytes: u64,
    /// Most entries a zip may have.
    #[arg(long, default_value_t = ztsim::import::bloodhound::DEFAULT_MAX_ZIP_ENTRIES)]
    pub max_zip_entries: usize,
    /// Import disabled accounts and computers too (skipped by default).
    #[arg(long)]
    pub include_disabled: bool,
    /// In a collection directory, also read symbolic links that point out of it (skipped by default).
    #[arg(long)]
    pub follow_symlinks: bool,
    /// AzureHound output of the same organisation's Entra tenant: synchronised users and
    /// groups and hybrid-joined devices become one asset with their AD object (docs/azurehound.md).
    #[arg(long, value_name = "AZ.json")]
    pub azurehound: Option<PathBuf>,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Scenario file (YAML or JSON).
    pub scenario: PathBuf,
    /// Output format.
    /// `sharphound` writes the directory part as a SharpHound v6 zip (needs `-o`).
    #[arg(long, value_parser = ["opengraph", "dot", "graphml", "sharphound"])]
    pub format: String,
    /// Directory written by `ztsim run --out DIR`: adds each asset's compromise frequency per control set.
    #[arg(long, value_name = "DIR")]
    pub results: Option<PathBuf>,
    /// File to write (default: standard output).
    #[arg(
        short = 'o',
        long = "out",
        visible_alias = "output",
        value_name = "FILE"
    )]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Args, Debug)]
pub struct WhatifArgs {
    /// Scenario file (YAML or JSON).
    pub scenario: PathBuf,
    /// Remove a relation (repeatable): KIND:FROM:TO, KIND a relation `type` (admin_to, member_of, can_reset_password, ...), FROM and TO asset ids.
    #[arg(long = "remove-edge", value_name = "KIND:FROM:TO")]
    pub remove_edge: Vec<String>,
    /// Disable an asset (repeatable): an account disabled, a host retired; its relations go with it.
    #[arg(long = "disable", value_name = "ID")]
    pub disable: Vec<String>,
    /// Control set to compare under (repeatable): `none`, a scenario set, a preset (traditional, initial, advanced, optimal), a preset with a pillar raised (initial+identities:advanced), or ids joined with `+`. Default: `none` and every set the scenario defines, as `ztsim run`.
    #[arg(long = "controls", short = 'c', value_name = "SET")]
    pub controls: Vec<String>,
    /// The principal or group impact is measured from. Default: the Domain Users group, else the scenario's attacker.
    #[arg(long, value_name = "ID")]
    pub from: Option<String>,
    #[command(flatten)]
    pub run: TrialArgs,
    /// Print the report as JSON instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Also write the report as JSON to this file (atomically).
    #[arg(
        short = 'o',
        long = "out",
        visible_alias = "output",
        value_name = "FILE"
    )]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub controls_files: ControlsFileArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Args, Debug)]
pub struct EstimateArgs {
    /// Scenario file (YAML or JSON).
    pub scenario: PathBuf,
    /// The control set (`none`, a set the scenario defines, a preset, or catalog ids joined with `+`).
    #[arg(long = "controls", short = 'c', value_name = "SET")]
    pub controls: String,
    /// What to estimate the probability of: crown-jewel, asset:ID, tier-zero or blast>=K.
    #[arg(long, value_name = "TARGET")]
    pub target: String,
    /// Stop when the 95% CI's half-width is at most this fraction of the estimate (0 < r < 1).
    #[arg(
        long = "rel-error",
        default_value_t = 0.1,
        allow_negative_numbers = true
    )]
    pub rel_error: f64,
    /// auto (crude if affordable, else importance sampling, else splitting), crude, is, splitting.
    #[arg(long, value_enum, default_value = "auto")]
    pub method: ztsim::estimate::Method,
    /// Stop after this many seconds of wall time, precise or not, and say where it stands.
    #[arg(long = "max-seconds", value_name = "S", default_value_t = 600.0)]
    pub max_seconds: f64,
    /// Stop after this many attack steps, precise or not (a budget that does not depend on the machine).
    #[arg(long = "max-steps", value_name = "N")]
    pub max_steps: Option<u64>,
    /// Master seed (default: the scenario's `simulation.seed`).
    #[arg(long, short = 's')]
    pub seed: Option<u64>,
    /// Worker threads (default: one per core). Results do not depend on it unless time runs out.
    #[arg(long, short = 't', default_value_t = 0)]
    pub threads: usize,
    /// Attacker profile, replacing the scenario's: opportunistic, ransomware, apt, insider.
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// Trials of the crude pilot run (and of each cross-entropy stage).
    #[arg(long = "pilot-trials", default_value_t = 2000)]
    pub pilot_trials: u32,
    /// Particles per splitting run.
    #[arg(long, default_value_t = 100)]
    pub particles: u32,
    /// Print the estimate as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also write the estimate as JSON to this file (atomically).
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also write a self-contained HTML page: the estimate and its interval on a log scale, the work, the notes.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub controls_files: ControlsFileArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Args, Debug, Clone, Default)]
pub struct ControlsFileArgs {
    /// A controls file applied on top of the scenario (repeatable, in order): control overrides, new controls, control sets and technique overrides. See docs/controls.md.
    #[arg(long = "controls-file", value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Bounds on untrusted input. Shown under their own heading in `--help` and left out of the
/// short `-h` help, so they do not crowd every command's options.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Input limits (untrusted files; see docs/security.md)")]
pub struct LimitArgs {
    /// Largest input file accepted, in bytes.
    #[arg(long, hide_short_help = true, default_value_t = Limits::default().max_file_bytes)]
    pub max_file_bytes: u64,
    /// Most assets accepted in a scenario.
    #[arg(long, hide_short_help = true, default_value_t = Limits::default().max_assets)]
    pub max_assets: usize,
    /// Most relations accepted in a scenario.
    #[arg(long, hide_short_help = true, default_value_t = Limits::default().max_relations)]
    pub max_relations: usize,
    /// Longest string accepted (ids, names), in bytes.
    #[arg(long, hide_short_help = true, default_value_t = Limits::default().max_string_len)]
    pub max_string_len: usize,
    /// Deepest nesting of mappings and lists accepted.
    #[arg(long, hide_short_help = true, default_value_t = Limits::default().max_depth)]
    pub max_depth: usize,
    /// Most YAML alias references (`*name`) accepted.
    #[arg(long, hide_short_help = true, default_value_t = Limits::default().max_aliases)]
    pub max_aliases: usize,
    /// Most nodes that expanding YAML aliases may produce.
    #[arg(long, hide_short_help = true, default_value_t = Limits::default().max_alias_nodes)]
    pub max_alias_nodes: usize,
    /// Most bytes of text that expanding YAML aliases may produce.
    #[arg(long, hide_short_help = true, default_value_t = Limits::default().max_alias_bytes)]
    pub max_alias_bytes: u64,
}

impl LimitArgs {
    fn limits(&self) -> Limits {
        Limits {
            max_file_bytes: self.max_file_bytes,
            max_assets: self.max_assets,
            max_relations: self.max_relations,
            max_string_len: self.max_string_len,
            max_depth: self.max_depth,
            max_aliases: self.max_aliases,
            max_alias_nodes: self.max_alias_nodes,
            max_alias_bytes: self.max_alias_bytes,
        }
    }
}

/// How many trials, from which seed, on how many threads.
#[derive(Args, Debug)]
pub struct TrialArgs {
    /// Trials per control set, at least 1 (default: the scenario's `simulation.trials`).
    #[arg(long, short = 'n', value_parser = clap::value_parser!(u32).range(1..))]
    pub trials: Option<u32>,
    /// Master seed (default: the scenario's `simulation.seed`).
    #[arg(long, short = 's')]
    pub seed: Option<u64>,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long, short = 't', default_value_t = 0)]
    pub threads: usize,
}

impl TrialArgs {
    /// The run options, the scenario's `simulation` filling in what is not given.
    fn options(&self, prep: &Prepared) -> RunOptions {
        let sim = &prep.loaded.scenario.simulation;
        RunOptions {
            // `--trials` is at least 1 (clap refuses 0), and so is a validated scenario's.
            trials: self.trials.unwrap_or(sim.trials),
            seed: self.seed.unwrap_or(sim.seed),
            threads: self.threads,
            timeline_points: 48,
            keep_parents: false,
        }
    }
}

#[derive(Args, Debug)]
pub struct SimArgs {
    /// Control set to run (repeatable): `none`, a set the scenario defines, a maturity preset (traditional, initial, advanced, optimal), a preset with one pillar raised (initial+identities:advanced), or catalog ids joined with `+` (C01+C14). Default: `none` and every set the scenario defines. `ztsim controls presets` shows the presets.
    #[arg(long = "controls", short = 'c', value_name = "SET")]
    pub controls: Vec<String>,
    #[command(flatten)]
    pub run: TrialArgs,
    /// Write summary.json and trials.csv into this directory.
    #[arg(
        short = 'o',
        long = "out",
        visible_alias = "output",
        value_name = "DIR"
    )]
    pub out: Option<PathBuf>,
    /// Print the summary as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Attacker profile, replacing the scenario's: opportunistic, ransomware, apt, insider.
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// A what-if patch applied to the estate before simulating: assets and relations to
    /// add, remove or modify (docs/scenario-format.md, "Patches"). The scenario file is
    /// not changed.
    #[arg(long, value_name = "PATCH")]
    pub patch: Option<PathBuf>,
    /// Write an ATT&CK Navigator layer scoring each technique by how often it succeeded.
    #[arg(long, value_name = "FILE")]
    pub navigator: Option<PathBuf>,
    /// Write the charts (PNG and SVG) into this directory.
    #[arg(long, value_name = "DIR")]
    pub plot: Option<PathBuf>,
    /// Write a self-contained HTML report (tables, charts, assumptions) to this file.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub controls_files: ControlsFileArgs,
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
pub struct PlotArgs {
    /// A directory written by `ztsim run --out` or `ztsim compare --out`.
    pub results: PathBuf,
    /// Write the charts (PNG and SVG) into this directory.
    #[arg(long, value_name = "DIR")]
    pub plot: Option<PathBuf>,
    /// Write a self-contained HTML report to this file.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
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
    pub controls_files: ControlsFileArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Args, Debug)]
pub struct RulesArgs {
    /// Print the rules as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// Scenario file (YAML or JSON).
    pub scenario: PathBuf,
    /// The entity the attacker holds (asset or segment id).
    pub from: String,
    /// The entity it acts on.
    pub to: String,
    /// Control set to show the edges under (repeatable; default `none`): a scenario set, a preset, a preset with a pillar raised (initial+identities:advanced), or ids joined with `+`.
    #[arg(long = "controls", short = 'c', value_name = "SET")]
    pub controls: Vec<String>,
    /// Attacker profile, replacing the scenario's.
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub controls_files: ControlsFileArgs,
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
    /// The maturity presets: the controls each contains (after `extends`), by pillar.
    Presets {
        /// Print the presets as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one control: effects, parameters and their provenance.
    Show {
        id: String,
        /// Print the control's definition as JSON.
        #[arg(long)]
        json: bool,
    },
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
        Command::Run(a) => simulate(&prepare(Some(&a.scenario), &a.sim)?, &a.sim),
        Command::Demo(a) => simulate(&prepare(None, &a.sim)?, &a.sim),
        Command::Compare(a) => compare(&a),
        Command::Paths(a) => paths(&a),
        Command::Chokepoints(a) => chokepoints(&a),
        Command::Recommend(a) => recommend(&a),
        Command::Profiles => profiles(),
        Command::Validate(a) => validate(&a),
        Command::Techniques => techniques(),
        Command::Rules(a) => rules(&a),
        Command::Explain(a) => explain(&a),
        Command::Controls(a) => controls(&a),
        Command::Plot(a) => plot(&a),
        Command::Generate(a) => generate(&a),
        Command::Import(a) => match &a.source {
            ImportSource::Bloodhound(b) => import_bloodhound(b),
            ImportSource::Azurehound(z) => import_azurehound(z),
        },
        Command::Export(a) => export(&a),
        Command::Completions { shell } => completions(shell),
        Command::Schema { out } => schema(out.as_deref()),
        Command::Man => man_page(),
        Command::Whatif(a) => whatif(&a),
        Command::Estimate(a) => estimate(&a),
        Command::Tabletop(a) => tabletop(&a),
        Command::Serve(a) => {
            ztsim::serve::main(&a)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Sweep(a) => sweep(&a),
        Command::Merge(a) => merge(&a),
        Command::Sensitivity(a) => sensitivity(&a),
        Command::Calibrate(a) => calibrate(&a),
    }
}

/// Loads a scenario file (or the embedded demo) and applies `--profile`.
fn prepare(file: Option<&PathBuf>, a: &SimArgs) -> Result<Prepared> {
    let limits = a.limits.limits();
    let mut prep = match file {
        Some(f) => {
            Prepared::from_files_patched(f, &a.controls_files.files, a.patch.as_deref(), &limits)?
        }
        None if a.patch.is_some() => {
            return Err(ztsim::Error::Usage(
                "--patch needs a scenario file: `ztsim run SCENARIO --patch PATCH`".into(),
            )
            .into());
        }
        None if !a.controls_files.files.is_empty() => {
            return Err(ztsim::Error::Usage(
                "--controls-file needs a scenario file: `ztsim run SCENARIO --controls-file FILE`"
                    .into(),
            )
            .into());
        }
        None => Prepared::from_str(pipeline::DEMO_SCENARIO, "demo:hybrid-cloud.yaml", &limits)?,
    };
    if let Some(p) = &a.profile {
        prep.set_profile(p)?;
    }
    Ok(prep)
}

fn print_warnings(prep: &Prepared) {
    for w in &prep.loaded.warnings {
        eprintln!("{}", terminal_safe(&w.render(&prep.loaded.origin)));
    }
}

fn simulate(prep: &Prepared, a: &SimArgs) -> Result<ExitCode> {
    print_warnings(prep);
    let opt = a.run.options(prep);
    let sets = if a.controls.is_empty() {
        prep.default_sets()
    } else {
        a.controls.clone()
    };
    let (summary, runs) = {
        let bar = crate::progress::TrialBar::new("run");
        prep.simulate_observed(&sets, &opt, &bar)?
    };
    if let Some(dir) = &a.out {
        ztsim::report::write_outputs(dir, &prep.estate, &summary, &runs)
            .with_context(|| format!("writing results to {}", dir.display()))?;
    }
    if a.plot.is_some() || a.report.is_some() {
        let data = PlotData::from_run(summary.clone(), prep.estate.view(), &runs);
        let extras = board_extras(prep, &data, a.report.as_deref(), opt.threads)?;
        charts_and_report(
            &data,
            &prep.catalog,
            true,
            a.plot.as_deref(),
            a.report.as_deref(),
            &extras,
        )?;
    }
    if let Some(file) = &a.navigator {
        ztsim::output::write_json(file, &ztsim::report::navigator_layer(&summary))
            .with_context(|| format!("writing {}", file.display()))?;
    }
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &summary)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", ztsim::report::summary_table(&summary))?;
        out.flush()?;
        // Timing is about this machine, not the result: stderr, so stdout is reproducible.
        eprintln!(
            "{} trials per set in {:.2} s ({:.0} attack steps/s)",
            summary.trials, summary.timing.seconds, summary.timing.steps_per_second
        );
        if summary.trials < 30 {
            eprintln!(
                "note: {} trials per set: intervals from fewer than 30 trials are wide and rough (Student's t); use --trials 1000 or more for decisions",
                summary.trials
            );
        }
        if let Some(dir) = &a.out {
            eprintln!("wrote {}/summary.json and trials.csv", dir.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn compare(a: &CompareArgs) -> Result<ExitCode> {
    let prep = prepare(Some(&a.scenario), &a.sim)?;
    print_warnings(&prep);
    let opt = a.sim.run.options(&prep);
    let mut sets = a.sim.controls.clone();
    if sets.is_empty() && a.ablate.is_none() {
        sets = prep.default_sets();
    }
    if sets.is_empty() {
        sets.push("none".into());
    }
    let (report, runs) = ztsim::compare::compare_observed(
        &prep,
        &sets,
        a.baseline.as_deref(),
        a.ablate.as_deref(),
        &opt,
        &crate::progress::TrialBar::new("compare"),
    )?;
    if let Some(dir) = &a.sim.out {
        ztsim::report::write_outputs(dir, &prep.estate, &report.summary, &runs)
            .and_then(|_| ztsim::output::write_json(&dir.join("comparison.json"), &report))
            .with_context(|| format!("writing results to {}", dir.display()))?;
    }
    if a.sim.plot.is_some() || a.sim.report.is_some() {
        let data = PlotData::from_compare(&report, prep.estate.view(), &runs);
        let extras = board_extras(&prep, &data, a.sim.report.as_deref(), opt.threads)?;
        charts_and_report(
            &data,
            &prep.catalog,
            true,
            a.sim.plot.as_deref(),
            a.sim.report.as_deref(),
            &extras,
        )?;
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

fn whatif(a: &WhatifArgs) -> Result<ExitCode> {
    let limits = a.limits.limits();
    let prep = Prepared::from_files(&a.scenario, &a.controls_files.files, &limits)?;
    print_warnings(&prep);
    let opt = a.run.options(&prep);
    let sets = if a.controls.is_empty() {
        prep.default_sets()
    } else {
        a.controls.clone()
    };
    let change = ztsim::whatif::Change {
        remove_edges: a.remove_edge.clone(),
        disable: a.disable.clone(),
    };
    let report = ztsim::whatif::whatif(&prep, &change, &sets, a.from.as_deref(), &opt, &limits)?;
    if let Some(file) = &a.out {
        ztsim::output::write_json(file, &report)
            .with_context(|| format!("writing {}", file.display()))?;
    }
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", ztsim::whatif::table(&report))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn estimate(a: &EstimateArgs) -> Result<ExitCode> {
    let target = ztsim::estimate::Target::parse(&a.target)?;
    let mut opt = ztsim::estimate::Options::new(a.rel_error, a.method);
    opt.threads = a.threads;
    opt.max_steps = a.max_steps;
    opt.pilot_trials = a.pilot_trials;
    opt.particles = a.particles;
    opt.check()?;
    if a.max_seconds.is_nan() || a.max_seconds <= 0.0 {
        return Err(ztsim::Error::Usage(format!(
            "--max-seconds {}: give a positive number of seconds",
            a.max_seconds
        ))
        .into());
    }
    let prep = prepare_analysis(
        &a.scenario,
        &a.controls_files,
        &a.limits,
        a.profile.as_deref(),
    )?;
    opt.seed = a.seed.unwrap_or(prep.loaded.scenario.simulation.seed);
    let report = prep.estimate(&a.controls, &target, &opt, Some(a.max_seconds))?;
    if let Some(file) = &a.out {
        ztsim::output::write_json(file, &report)
            .with_context(|| format!("writing {}", file.display()))?;
    }
    if let Some(file) = &a.report {
        let page = ztsim::report::estimate::estimate_html(&report, &prep.loaded.scenario.name)?;
        ztsim::output::write_atomic(file, page.as_bytes())?;
        eprintln!("wrote {}", file.display());
    }
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", report.table())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The board summary's analyses (top attack path, what to buy next) for a report of a
/// run of `prep`; nothing when no report is asked for.
fn board_extras(
    prep: &Prepared,
    data: &PlotData,
    report: Option<&Path>,
    threads: usize,
) -> Result<ztsim::report::BoardExtras> {
    if report.is_none() {
        return Ok(Default::default());
    }
    eprintln!("computing the report's attack path and recommendation...");
    Ok(ztsim::report::BoardExtras::compute(prep, data, threads)?)
}

/// Renders the charts once, writes them into `plot` and inlines them in the `report`, whose
/// summary uses `extras`.
fn charts_and_report(
    data: &PlotData,
    catalog: &ztsim::controls::Catalog,
    with_scenario: bool,
    plot: Option<&Path>,
    report: Option<&Path>,
    extras: &ztsim::report::BoardExtras,
) -> Result<()> {
    let charts = ztsim::plot::render_charts(data, plot.is_some())?;
    if let Some(dir) = plot {
        ztsim::plot::write_charts(&charts, dir)
            .with_context(|| format!("writing charts to {}", dir.display()))?;
        eprintln!("wrote {} charts to {}", charts.len(), dir.display());
    }
    if let Some(file) = report {
        let html = ztsim::report::html_report(data, &charts, catalog, with_scenario, extras)?;
        ztsim::output::write_atomic(file, html.as_bytes())
            .with_context(|| format!("writing the report to {}", file.display()))?;
        eprintln!("wrote {}", file.display());
    }
    Ok(())
}

fn plot(a: &PlotArgs) -> Result<ExitCode> {
    if a.plot.is_none() && a.report.is_none() {
        return Err(ztsim::Error::Usage(
            "nothing to do: give --plot DIR and/or --report FILE".into(),
        )
        .into());
    }
    let data = PlotData::load(&a.results)
        .with_context(|| format!("reading results from {}", a.results.display()))?;
    let catalog = ztsim::controls::Catalog::builtin()?;
    charts_and_report(
        &data,
        &catalog,
        false,
        a.plot.as_deref(),
        a.report.as_deref(),
        &ztsim::report::BoardExtras::default(),
    )?;
    Ok(ExitCode::SUCCESS)
}

fn validate(a: &ValidateArgs) -> Result<ExitCode> {
    let prep = {
        let _s = crate::progress::Spinner::new("checking the scenario");
        Prepared::from_files(&a.file, &a.controls_files.files, &a.limits.limits())?
    };
    print_warnings(&prep);
    let s = &prep.loaded.scenario;
    println!(
        "{}: valid: {} assets ({} counted in the blast radius; groups, credentials, templates and decoys are not), {} segments, {} relations, {} control sets; {} attack edges",
        terminal_safe(&prep.loaded.origin),
        s.assets.len(),
        prep.estate.counted_assets(),
        prep.estate.segment_count,
        s.relations.len(),
        s.control_sets.len(),
        prep.estate.edges.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn profiles() -> Result<ExitCode> {
    // One column per profile (few profiles, many fields): fits a terminal where a row per
    // profile would not.
    let ps: Vec<ztsim::attacker::Profile> = ztsim::attacker::Profile::NAMES
        .iter()
        .map(|n| ztsim::attacker::Profile::builtin(n).expect("listed profile exists"))
        .collect();
    type Field = (&'static str, fn(&ztsim::attacker::Profile) -> String);
    let fields: [Field; 9] = [
        ("strategy", |p| yaml_name(&p.strategy)),
        ("parallel", |p| p.parallelism.to_string()),
        ("tries", |p| p.max_tries.to_string()),
        ("speed", |p| format!("{}", p.speed)),
        ("noise aversion", |p| format!("{}", p.noise_aversion)),
        ("impact", |p| p.impact.to_string()),
        ("stops at objective", |p| p.stop_at_objective.to_string()),
        ("entry", |p| {
            if p.insider {
                "starts inside".to_string()
            } else {
                p.entry.iter().map(yaml_name).collect::<Vec<_>>().join(", ")
            }
        }),
        ("avoids", |p| p.avoid.join(", ")),
    ];
    let rows: Vec<(String, Vec<String>)> = fields
        .iter()
        .map(|(name, f)| (name.to_string(), ps.iter().map(f).collect()))
        .collect();
    let names: Vec<String> = ps.iter().map(|p| p.name.clone()).collect();
    let mut out = std::io::stdout().lock();
    write!(
        out,
        "{}",
        ztsim::report::term::grid("profile", &names, &rows)
    )?;
    for p in &ps {
        writeln!(out, "{}: {}", p.name, p.description)?;
    }
    writeln!(
        out,
        "Override any field under `attacker:` in a scenario; --profile NAME on run/compare replaces the profile."
    )?;
    Ok(ExitCode::SUCCESS)
}

fn techniques() -> Result<ExitCode> {
    let tc = ztsim::techniques::TechniqueCatalog::builtin();
    let mut t = ztsim::report::term::table();
    t.set_header(vec![
        "ATT&CK id",
        "name",
        "tactic",
        "p",
        "mean h",
        "noise",
        "move (preconditions -> result)",
        "calibrated to",
    ]);
    for x in &tc.list {
        t.add_row(vec![
            x.id.clone(),
            x.name.clone(),
            x.tactic.clone(),
            format!("{:.2}", x.p),
            format!("{}", x.mean_hours),
            format!("{}", x.noise),
            x.movement.clone(),
            x.calibrated_to
                .as_ref()
                .map_or(String::new(), |c| c.describe()),
        ]);
    }
    ztsim::report::term::keep_words(&mut t);
    println!("{t}");
    let n = tc.list.iter().filter(|x| x.calibrated_to.is_some()).count();
    println!(
        "{n} techniques carry numbers calibrated to published figures (`calibrated to`: the figures of data/calibration.yaml and the values before); see `ztsim calibrate`."
    );
    println!(
        "{} techniques. MITRE ATT&CK v18.1 ids and names, (c) The MITRE Corporation; ATT&CK is a trademark of MITRE.",
        tc.list.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// `ztsim completions SHELL`: the completion script on standard output.
fn completions(shell: clap_complete::Shell) -> Result<ExitCode> {
    use clap::CommandFactory;
    // Into memory first: clap_complete panics on a failed write (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "ztsim", &mut script);
    std::io::Write::write_all(&mut std::io::stdout().lock(), &script)?;
    Ok(ExitCode::SUCCESS)
}

/// `ztsim schema`: the scenario format's JSON Schema.
fn schema(out: Option<&std::path::Path>) -> Result<ExitCode> {
    let text = ztsim::schema::scenario_schema();
    match out {
        Some(path) if path != std::path::Path::new("-") => {
            ztsim::output::write_atomic(path, text.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {}", terminal_safe(&path.display().to_string()));
        }
        _ => std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `ztsim man`: the manual page, the subcommands as sections of their own.
fn man_page() -> Result<ExitCode> {
    use clap::CommandFactory;
    let cmd = Cli::command();
    let mut out = std::io::stdout().lock();
    clap_mangen::Man::new(cmd.clone()).render(&mut out)?;
    for sub in cmd.get_subcommands().filter(|c| !c.is_hide_set()) {
        let name = format!("ztsim-{}", sub.get_name());
        let sub = sub.clone().display_name(name);
        clap_mangen::Man::new(sub).render(&mut out)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `ztsim controls presets`: each maturity preset's controls, by the control's pillar.
fn presets(cat: &ztsim::controls::Catalog, json: bool) -> Result<ExitCode> {
    use std::collections::BTreeMap;
    let mut all: Vec<(String, String, BTreeMap<String, Vec<String>>)> = Vec::new();
    for p in &cat.presets {
        let set = ztsim::controls::resolve_set(&p.name, &[], cat)?;
        let mut by_pillar: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for c in &set.controls {
            let pillar = cat
                .lookup(&c.id)
                .ok()
                .and_then(|d| d.pillar)
                .map(|p| format!("{p:?}").to_lowercase())
                .unwrap_or_default();
            let cov = if c.coverage < 1.0 {
                format!(" ({:.0}%)", c.coverage * 100.0)
            } else {
                String::new()
            };
            by_pillar
                .entry(pillar)
                .or_default()
                .push(format!("{}{cov}", c.id));
        }
        all.push((p.name.clone(), set.description, by_pillar));
    }
    if json {
        let v: Vec<serde_json::Value> = all
            .iter()
            .map(|(n, d, b)| serde_json::json!({"name": n, "description": d, "controls_by_pillar": b}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    for (name, description, by_pillar) in &all {
        println!("{name}: {description}");
        for (pillar, ids) in by_pillar {
            println!("  {pillar:<15} {}", ids.join(", "));
        }
    }
    println!(
        "(a percentage is the coverage where it is under 100%; `ztsim controls show ID` for each control)"
    );
    Ok(ExitCode::SUCCESS)
}

/// A value as scenario files write it (its serde name: `greedy_value`, `exploit_public`).
fn yaml_name<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn controls(a: &ControlsArgs) -> Result<ExitCode> {
    let cat = ztsim::controls::Catalog::builtin()?;
    match &a.action {
        Some(ControlsAction::Presets { json }) => return presets(&cat, *json),
        None => {
            let mut t = ztsim::report::term::table();
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
            ztsim::report::term::keep_words(&mut t);
            println!(
                "{t}\n{} controls. `ztsim controls show ID` for effects and provenance.",
                cat.controls.len()
            );
        }
        Some(ControlsAction::Show { id, json: true }) => {
            let c = cat.lookup(id).map_err(ztsim::Error::Usage)?;
            println!("{}", serde_json::to_string_pretty(c)?);
        }
        Some(ControlsAction::Show { id, json: false }) => {
            let c = cat.lookup(id).map_err(ztsim::Error::Usage)?;
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
                println!("  default scope: {s}");
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
            let effects = c.effects.as_deref().unwrap_or(&[]);
            if effects.is_empty() {
                println!("    (none: see the description)");
            }
            for e in effects {
                println!("    - {}", ztsim::controls::describe_effect(e));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn generate(a: &ztsim::generate::GenerateArgs) -> Result<ExitCode> {
    use ztsim::generate::{self as g, Format};
    let params = a.params()?;
    let t0 = std::time::Instant::now();
    let spinner = crate::progress::Spinner::new("generating the estate");
    let scenario = g::generate(&params);
    let t_gen = t0.elapsed().as_secs_f64();
    let bytes = match a.format() {
        Format::Json => g::to_json(&scenario),
        Format::Yaml => g::to_yaml(&scenario, &g::yaml_header(&params)).into_bytes(),
    };
    let t_ser = t0.elapsed().as_secs_f64() - t_gen;
    drop(spinner);
    match &a.output {
        Some(f) => ztsim::output::write_atomic(f, &bytes)
            .with_context(|| format!("writing {}", f.display()))?,
        None => std::io::stdout().lock().write_all(&bytes)?,
    }
    if a.quiet && a.stats.is_none() {
        return Ok(ExitCode::SUCCESS);
    }
    let stats = g::Stats::of(&scenario);
    if let Some(f) = &a.stats {
        ztsim::output::write_atomic(f, &serde_json::to_vec_pretty(&stats)?)
            .with_context(|| format!("writing {}", f.display()))?;
    }
    if !a.quiet {
        let text = format!(
            "{}generated in {t_gen:.2} s, serialized in {t_ser:.2} s: {} bytes{}\n",
            stats.render(),
            bytes.len(),
            a.output
                .as_ref()
                .map(|f| format!(" written to {}", terminal_safe(&f.display().to_string())))
                .unwrap_or_default()
        );
        // The summary goes to stderr when the scenario itself is on stdout.
        if a.output.is_some() {
            print!("{text}");
        } else {
            eprint!("{text}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn import_bloodhound(a: &BloodhoundArgs) -> Result<ExitCode> {
    use ztsim::import::{self, bloodhound};
    let limits = a.limits.limits();
    let opts = bloodhound::Options {
        max_decompressed_bytes: a.max_decompressed_bytes,
        max_zip_entries: a.max_zip_entries,
        max_file_bytes: limits.max_file_bytes,
        include_disabled: a.include_disabled,
        max_id_len: limits.max_string_len.saturating_sub(1),
        follow_symlinks: a.follow_symlinks,
    };
    let overlay = match &a.output.overlay {
        Some(p) => Some(import::Overlay::from_file(p, &limits)?),
        None => None,
    };
    let spinner = crate::progress::Spinner::new("importing the collection");
    let (mut draft, mut report, _graph) = bloodhound::import(&a.path, &opts)
        .with_context(|| format!("importing {}", a.path.display()))?;
    let mut source = a.path.display().to_string();
    if let Some(az) = &a.azurehound {
        let az_opts = import::azurehound::Options {
            max_file_bytes: limits.max_file_bytes,
            include_disabled: a.include_disabled,
        };
        import::azurehound::import_into(&mut draft, &mut report, az, &az_opts)
            .with_context(|| format!("importing {}", az.display()))?;
        source = format!("{source} and {}", az.display());
    }
    let done = import::finish(draft, overlay.as_ref(), report, &source, &limits)?;
    drop(spinner);
    write_import(&done, &a.output, &limits)
}

fn import_azurehound(a: &AzurehoundArgs) -> Result<ExitCode> {
    use ztsim::import::{self, azurehound};
    let limits = a.limits.limits();
    let opts = azurehound::Options {
        max_file_bytes: limits.max_file_bytes,
        include_disabled: a.include_disabled,
    };
    let overlay = match &a.output.overlay {
        Some(p) => Some(import::Overlay::from_file(p, &limits)?),
        None => None,
    };
    let spinner = crate::progress::Spinner::new("importing the tenant");
    let (draft, report) = azurehound::import(&a.path, &opts)
        .with_context(|| format!("importing {}", a.path.display()))?;
    let source = a.path.display().to_string();
    let done = import::finish(draft, overlay.as_ref(), report, &source, &limits)?;
    drop(spinner);
    write_import(&done, &a.output, &limits)
}

/// Checks that an import loads as `ztsim run` will read it, writes it (mode 0600) and its
/// coverage table, and prints the report.
fn write_import(
    done: &ztsim::import::Finished,
    output: &ImportOutput,
    limits: &ztsim::limits::Limits,
) -> Result<ExitCode> {
    let (out_path, coverage) = (&output.out, output.coverage.as_deref());
    // The file must load and compile exactly as `ztsim run` will read it.
    let origin = out_path.display().to_string();
    let prep = Prepared::from_str(&done.text, &origin, limits)?;
    ztsim::import::write_private(out_path, done.text.as_bytes())
        .with_context(|| format!("writing {}", out_path.display()))?;
    if let Some(path) = coverage {
        let csv = done
            .report
            .coverage_csv()
            .map_err(|e| ztsim::Error::Usage(format!("coverage table: {e}")))?;
        ztsim::output::write_atomic(path, &csv)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let mut out = std::io::stdout().lock();
    for l in done.report.lines() {
        writeln!(out, "{}", terminal_safe(&l))?;
    }
    print_warnings(&prep);
    eprintln!(
        "wrote {} (mode 0600): {} assets, {} relations, {} attack edges; {} item(s) not understood",
        terminal_safe(&origin),
        done.scenario.assets.len(),
        done.scenario.relations.len(),
        prep.estate.edges.len(),
        done.report.not_understood_total()
    );
    Ok(ExitCode::SUCCESS)
}

/// `ztsim export --format sharphound -o FILE.zip`: the directory part as a SharpHound zip.
fn export_sharphound(a: &ExportArgs, s: &ztsim::scenario::Scenario) -> Result<ExitCode> {
    let Some(path) = &a.out else {
        return Err(ztsim::Error::Usage(
            "--format sharphound writes a zip: give the file with -o FILE.zip".into(),
        )
        .into());
    };
    if a.results.is_some() {
        return Err(ztsim::Error::Usage(
            "--results adds compromise rates to a graph export; a SharpHound collection has no place for them".into(),
        )
        .into());
    }
    let w = ztsim::sharphound::write(s)?;
    ztsim::output::write_atomic(path, &w.zip)?;
    let objects: Vec<String> = w.objects.iter().map(|(k, n)| format!("{n} {k}")).collect();
    eprintln!(
        "wrote {}: {}",
        terminal_safe(&path.display().to_string()),
        objects.join(", ")
    );
    for (why, n) in &w.not_written {
        eprintln!("  not written: {n} x {}", terminal_safe(why));
    }
    Ok(ExitCode::SUCCESS)
}

fn export(a: &ExportArgs) -> Result<ExitCode> {
    use ztsim::export::{Format, Results, export};
    let limits = a.limits.limits();
    let loaded = ztsim::scenario::load_scenario_file(&a.scenario, &limits)?;
    if a.format == "sharphound" {
        return export_sharphound(a, &loaded.scenario);
    }
    let format = Format::parse(&a.format)
        .ok_or_else(|| ztsim::Error::Usage(format!("unknown format `{}`", a.format)))?;
    let results = match &a.results {
        Some(dir) => {
            let r = Results::from_dir(dir)?;
            let hash = format!("{:016x}", loaded.source_hash);
            if r.scenario_hash.as_deref().is_some_and(|h| h != hash) {
                eprintln!(
                    "warning: {} was computed from a different version of {}",
                    terminal_safe(&dir.display().to_string()),
                    terminal_safe(&a.scenario.display().to_string())
                );
            }
            Some(r)
        }
        None => None,
    };
    let text = export(&loaded.scenario, format, results.as_ref());
    match &a.out {
        Some(path) => {
            // An export of a private scenario (e.g. an import, mode 0600) stays private.
            #[cfg(unix)]
            let private = {
                use std::os::unix::fs::PermissionsExt;
                std::fs::metadata(&a.scenario)
                    .map(|m| m.permissions().mode() & 0o077 == 0)
                    .unwrap_or(false)
            };
            #[cfg(not(unix))]
            let private = false;
            if private {
                ztsim::import::write_private(path, text.as_bytes())?;
            } else {
                ztsim::output::write_atomic(path, text.as_bytes())?;
            }
        }
        None => {
            std::io::stdout().lock().write_all(text.as_bytes())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn tabletop(a: &ztsim::tabletop::TabletopArgs) -> Result<ExitCode> {
    ztsim::tabletop::main(a)?;
    Ok(ExitCode::SUCCESS)
}

// ------------------------------------------------------------------------------------------
// Attack paths, choke points and recommendations.

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathRank {
    /// Most likely first (shortest on −ln p).
    Probability,
    /// Fastest expected first (mean hours / p per step).
    Time,
}

#[derive(Args, Debug)]
pub struct AnalysisArgs {
    /// Control set to analyse under: `none`, a set the scenario defines, a preset, a preset with a pillar raised (initial+identities:advanced), or catalog ids joined with `+`.
    #[arg(
        long = "controls",
        short = 'c',
        value_name = "SET",
        default_value = "none"
    )]
    pub controls: String,
    /// Target asset (repeatable). Default: the scenario's objectives (or crown jewels).
    #[arg(long = "to", value_name = "ID")]
    pub to: Vec<String>,
    /// Start from these assets as already owned (repeatable), instead of the scenario's entry points.
    #[arg(long = "from", value_name = "ID")]
    pub from: Vec<String>,
    /// Master seed (default: the scenario's `simulation.seed`).
    #[arg(long, short = 's')]
    pub seed: Option<u64>,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long, short = 't', default_value_t = 0)]
    pub threads: usize,
    /// Attacker profile, replacing the scenario's: opportunistic, ransomware, apt, insider.
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// Print the result as JSON instead of tables.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub controls_files: ControlsFileArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Args, Debug)]
pub struct PathsArgs {
    /// Scenario file (YAML or JSON).
    pub scenario: PathBuf,
    /// Paths per target, at least 1.
    #[arg(short = 'k', default_value_t = 5, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub k: usize,
    /// Rank paths by probability or by expected time.
    #[arg(long = "by", value_enum, default_value_t = PathRank::Probability)]
    pub by: PathRank,
    /// Monte Carlo trials to compare with (0: analytic only).
    #[arg(long, short = 'n', default_value_t = 1000)]
    pub trials: u32,
    #[command(flatten)]
    pub common: AnalysisArgs,
}

#[derive(Args, Debug)]
pub struct ChokepointsArgs {
    /// Scenario file (YAML or JSON).
    pub scenario: PathBuf,
    /// Single assets and relations to test by removal (the most used on routes to the targets, and the cut members).
    #[arg(long, default_value_t = 8)]
    pub candidates: usize,
    /// Monte Carlo trials per removal, at least 1.
    #[arg(long, short = 'n', default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    pub trials: u32,
    #[command(flatten)]
    pub common: AnalysisArgs,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecommendMetric {
    /// Mean assets compromised per trial.
    Blast,
    /// Share of trials reaching a crown jewel.
    CrownJewel,
}

#[derive(Args, Debug)]
pub struct RecommendArgs {
    /// Scenario file (YAML or JSON).
    pub scenario: PathBuf,
    /// Control set to start from: a preset (traditional, initial, advanced, optimal), a scenario set, or `none`.
    #[arg(long, value_name = "PRESET")]
    pub from: String,
    /// Total cost to spend, in the catalog's relative cost units.
    #[arg(long)]
    pub budget: f64,
    /// What to reduce.
    #[arg(long, value_enum, default_value_t = RecommendMetric::Blast)]
    pub metric: RecommendMetric,
    /// Trials per evaluation (every candidate at every step), at least 1.
    #[arg(long, short = 'n', default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..))]
    pub trials: u32,
    /// Master seed (default: the scenario's `simulation.seed`).
    #[arg(long, short = 's')]
    pub seed: Option<u64>,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long, short = 't', default_value_t = 0)]
    pub threads: usize,
    /// Attacker profile, replacing the scenario's.
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// Write the frontier chart (frontier.png, frontier.svg) and recommendation.json into this directory.
    #[arg(long, value_name = "DIR")]
    pub plot: Option<PathBuf>,
    /// Print the recommendation as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub controls_files: ControlsFileArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Loads a scenario file and applies a profile override.
fn prepare_analysis(
    file: &Path,
    controls_files: &ControlsFileArgs,
    limits: &LimitArgs,
    profile: Option<&str>,
) -> Result<Prepared> {
    let mut prep = Prepared::from_files(file, &controls_files.files, &limits.limits())?;
    if let Some(p) = profile {
        prep.set_profile(p)?;
    }
    print_warnings(&prep);
    Ok(prep)
}

/// The estate to analyse (recompiled with `--from` as start assets) and the control set.
fn analysis_inputs(
    prep: &Prepared,
    a: &AnalysisArgs,
) -> Result<(
    std::sync::Arc<ztsim::estate::Estate>,
    ztsim::controls::ResolvedSet,
    u64,
)> {
    let est = if a.from.is_empty() {
        prep.estate.clone()
    } else {
        ztsim::paths::estate_from(prep, &a.from)?
    };
    let set = ztsim::controls::resolve_set(
        &a.controls,
        &prep.loaded.scenario.control_sets,
        &prep.catalog,
    )?;
    Ok((
        est,
        set,
        a.seed.unwrap_or(prep.loaded.scenario.simulation.seed),
    ))
}

fn paths(a: &PathsArgs) -> Result<ExitCode> {
    let c = &a.common;
    let prep = prepare_analysis(
        &a.scenario,
        &c.controls_files,
        &c.limits,
        c.profile.as_deref(),
    )?;
    let (est, set, seed) = analysis_inputs(&prep, c)?;
    let plan = std::sync::Arc::new(ztsim::plan::build(&est, &set, seed));
    let opt = ztsim::paths::PathOptions {
        k: a.k,
        weight: match a.by {
            PathRank::Probability => ztsim::paths::graph::Weight::Probability,
            PathRank::Time => ztsim::paths::graph::Weight::Time,
        },
        to: c.to.clone(),
        trials: a.trials,
        seed,
        threads: c.threads,
    };
    let report = {
        let _s = crate::progress::Spinner::new("finding attack paths");
        ztsim::paths::analyze(&est, &plan, &opt)?
    };
    let mut out = std::io::stdout().lock();
    if c.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", ztsim::paths::render_table(&report))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn chokepoints(a: &ChokepointsArgs) -> Result<ExitCode> {
    let c = &a.common;
    let prep = prepare_analysis(
        &a.scenario,
        &c.controls_files,
        &c.limits,
        c.profile.as_deref(),
    )?;
    let (est, set, seed) = analysis_inputs(&prep, c)?;
    let opt = ztsim::paths::chokepoints::ChokeOptions {
        to: c.to.clone(),
        candidates: a.candidates,
        trials: a.trials,
        seed,
        threads: c.threads,
    };
    let report = {
        let _s = crate::progress::Spinner::new("ranking choke points");
        ztsim::paths::chokepoints::analyze(&est, &set, &opt)?
    };
    let mut out = std::io::stdout().lock();
    if c.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", ztsim::paths::chokepoints::render_table(&report))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn recommend(a: &RecommendArgs) -> Result<ExitCode> {
    use ztsim::recommend::{RecommendOptions, RiskMetric};
    let prep = prepare_analysis(
        &a.scenario,
        &a.controls_files,
        &a.limits,
        a.profile.as_deref(),
    )?;
    let opt = RecommendOptions {
        from: a.from.clone(),
        budget: a.budget,
        metric: match a.metric {
            RecommendMetric::Blast => RiskMetric::Blast,
            RecommendMetric::CrownJewel => RiskMetric::CrownJewel,
        },
        trials: a.trials,
        seed: a.seed.unwrap_or(prep.loaded.scenario.simulation.seed),
        threads: a.threads,
    };
    let rec = {
        let _s = crate::progress::Spinner::new("pricing control additions");
        ztsim::recommend::recommend(
            &prep.estate,
            &prep.loaded.scenario.control_sets,
            &prep.catalog,
            &opt,
        )?
    };
    let files = match &a.plot {
        Some(dir) => ztsim::recommend::write_frontier(&rec, dir)
            .with_context(|| format!("writing the frontier chart to {}", dir.display()))?,
        None => Vec::new(),
    };
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &rec)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", ztsim::recommend::render_table(&rec))?;
        for f in &files {
            eprintln!("wrote {}", terminal_safe(&f.display().to_string()));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn sweep_progress(label: &str, quiet: bool, interval: f64) -> Box<dyn ztsim::sweep::Progress> {
    if quiet {
        Box::new(ztsim::sweep::NoProgress)
    } else {
        Box::new(ztsim::sweep::StderrProgress::new(
            label,
            std::time::Duration::from_secs_f64(interval.max(0.1)),
        ))
    }
}

fn sweep(a: &ztsim::sweep::SweepArgs) -> Result<ExitCode> {
    use ztsim::sweep::{Spec, SweepOptions};
    let limits = Limits::default();
    let spec = Spec::load(&a.spec, &limits)?;
    for w in spec
        .warnings
        .iter()
        .chain(spec.scenarios.iter().flat_map(|s| &s.warnings))
    {
        eprintln!("{}", terminal_safe(&w.render(&spec.origin)));
    }
    let mine = ztsim::sweep::shard_cells(&spec, a.shard())?;
    if a.dry_run {
        println!(
            "{}: {} cells x {} trials ({} scenarios, {} profiles, {} control sets, {} parameter axes); this shard: {} cells",
            terminal_safe(&spec.origin),
            spec.cell_count(),
            spec.def.trials,
            spec.scenarios.len(),
            spec.profiles.len(),
            spec.def.controls.len(),
            spec.axes.len(),
            mine.len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let opts = SweepOptions {
        spec: a.spec.clone(),
        out: a.out.clone(),
        resume: a.resume,
        shard: a.shard(),
        threads: a.threads,
        limits,
    };
    let progress = sweep_progress("sweep", a.quiet, a.progress_interval);
    let r = ztsim::sweep::run_sweep(&opts, &spec, progress.as_ref())
        .with_context(|| format!("sweep into {}", a.out.display()))?;
    for p in &r.redone {
        eprintln!(
            "warning: {} could not be read; its cell was run again",
            terminal_safe(&p.display().to_string())
        );
    }
    eprintln!(
        "{} cells{} ({} run, {} resumed from checkpoints), {} trials in {:.2} s on {} threads; wrote {}/cells.csv, trials.csv, manifest.json",
        r.cells_mine,
        if r.cells_mine < r.cells_total {
            format!(" of {}", r.cells_total)
        } else {
            String::new()
        },
        r.cells_run,
        r.cells_resumed,
        r.trials_run,
        r.seconds,
        r.threads,
        terminal_safe(&a.out.display().to_string())
    );
    Ok(ExitCode::SUCCESS)
}

fn merge(a: &ztsim::sweep::MergeArgs) -> Result<ExitCode> {
    let r = ztsim::sweep::merge(&a.dirs, &a.out)?;
    eprintln!(
        "merged {} directories: {} cells; wrote {}/cells.csv, trials.csv, manifest.json",
        r.inputs,
        r.cells,
        terminal_safe(&a.out.display().to_string())
    );
    Ok(ExitCode::SUCCESS)
}

fn sensitivity(a: &ztsim::sweep::SensitivityArgs) -> Result<ExitCode> {
    use ztsim::sweep::sensitivity::{self, SensitivityOptions};
    let opts = SensitivityOptions {
        scenario: a.scenario.clone(),
        controls_files: a.controls_files.clone(),
        controls: a.controls.clone(),
        profile: a.profile.clone(),
        range: a.range,
        trials: a.trials,
        seed: a.seed,
        threads: a.threads,
        limits: Limits::default(),
    };
    let progress = sweep_progress("sensitivity", a.quiet, 10.0);
    let r = sensitivity::analyse(&opts, progress.as_ref())?;
    if let Some(dir) = &a.out {
        ztsim::output::ensure_dir(dir)?;
        ztsim::output::write_json(&dir.join("sensitivity.json"), &r)
            .and_then(|_| {
                ztsim::output::write_atomic(&dir.join("sensitivity.csv"), &sensitivity::to_csv(&r)?)
            })
            .with_context(|| format!("writing results to {}", dir.display()))?;
    }
    if let Some(dir) = &a.plot {
        ztsim::sweep::tornado::write(&r, a.top, dir)
            .with_context(|| format!("writing the tornado chart to {}", dir.display()))?;
    }
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &r)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", sensitivity::table(&r, a.top))?;
        if let Some(dir) = &a.out {
            eprintln!(
                "wrote {}/sensitivity.json and sensitivity.csv",
                terminal_safe(&dir.display().to_string())
            );
        }
        if let Some(dir) = &a.plot {
            eprintln!(
                "wrote {}/tornado.png and tornado.svg",
                terminal_safe(&dir.display().to_string())
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(serde::Serialize)]
struct RuleRow {
    id: &'static str,
    name: &'static str,
    techniques: &'static [&'static str],
    needs: Vec<&'static str>,
    grants: Vec<&'static str>,
    network: String,
    scope: String,
    models: &'static str,
    file: &'static str,
}

fn rules(a: &RulesArgs) -> Result<ExitCode> {
    let rows: Vec<RuleRow> = ztsim::rules::REGISTRY
        .iter()
        .map(|r| RuleRow {
            id: r.id,
            name: r.name,
            techniques: r.techniques,
            needs: ztsim::edge::bits::names(r.needs),
            grants: ztsim::edge::bits::names(r.grants),
            network: r.network.describe(),
            scope: match r.scope {
                ztsim::rules::Scope::Asset => "asset".into(),
                ztsim::rules::Scope::Segment => "segment".into(),
                ztsim::rules::Scope::Relations(k) => {
                    k.iter().map(|k| k.name()).collect::<Vec<_>>().join("|")
                }
            },
            models: r.models,
            file: r.file,
        })
        .collect();
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::NOTHING);
    t.set_header([
        "id",
        "technique",
        "needs",
        "grants",
        "network",
        "from",
        "file",
    ]);
    for r in &rows {
        t.add_row([
            r.id.to_string(),
            if r.techniques.is_empty() {
                "(structural)".into()
            } else {
                r.techniques.join(" ")
            },
            r.needs.join("|"),
            r.grants.join("|"),
            r.network.clone(),
            r.scope.clone(),
            r.file.to_string(),
        ]);
    }
    writeln!(out, "{t}")?;
    writeln!(
        out,
        "{} rules. Each models one real attack: `ztsim rules --json` gives the sentence.",
        rows.len()
    )?;
    Ok(ExitCode::SUCCESS)
}

fn explain(a: &ExplainArgs) -> Result<ExitCode> {
    let mut prep = prepare_analysis(
        &a.scenario,
        &a.controls_files,
        &a.limits,
        a.profile.as_deref(),
    )?;
    let est = &prep.estate;
    let origin = a.scenario.display().to_string();
    let from = ztsim::explain::lookup(est, &a.from, "FROM", &origin)?;
    let to = ztsim::explain::lookup(est, &a.to, "TO", &origin)?;
    let names = if a.controls.is_empty() {
        vec!["none".to_string()]
    } else {
        a.controls.clone()
    };
    let seed = prep.loaded.scenario.simulation.seed;
    let mut sets = Vec::new();
    for n in &names {
        let set =
            ztsim::controls::resolve_set(n, &prep.loaded.scenario.control_sets, &prep.catalog)?;
        let plan = ztsim::plan::build(est, &set, seed);
        sets.push((set, plan));
    }
    let est = prep.estate.clone();
    let x = ztsim::explain::explain(&est, &mut prep.world, from, to, &sets, seed);
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &x)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", terminal_safe(&ztsim::explain::render(&x)))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `ztsim calibrate`: every figure of the calibration file run and judged.
fn calibrate(a: &CalibrateArgs) -> Result<ExitCode> {
    use ztsim::calibrate::{self, CalibrateOptions, file};
    let limits = a.limits.limits();
    let cal = match &a.file {
        Some(f) => file::load(f, &limits)?,
        None => file::builtin()?,
    };
    let opt = CalibrateOptions {
        trials: a.trials,
        threads: a.threads,
        controls_files: a.controls_files.files.clone(),
        only: a.figures.clone(),
    };
    let report = calibrate::calibrate(&cal, &opt, &limits)?;
    if let Some(dir) = &a.plot {
        let files = ztsim::plot::write_charts(&[ztsim::plot::render_calibration(&report)?], dir)?;
        for f in files {
            eprintln!("wrote {}", f.display());
        }
    }
    let mut sens = Vec::new();
    if a.sensitivity {
        for row in &report.rows {
            eprintln!("sensitivity of {}...", row.figure.id);
            sens.push(calibrate::sensitivity::figure_sensitivity(
                &row.figure,
                &cal,
                &opt,
                &limits,
                a.range,
                a.top,
            )?);
        }
    }
    if a.json {
        let mut v = serde_json::to_value(&report)?;
        if a.sensitivity {
            v["sensitivity"] = serde_json::to_value(&sens)?;
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print!("{}", calibrate::table(&report));
        if a.sensitivity {
            let metric_of = |id: &str| {
                report
                    .rows
                    .iter()
                    .find(|r| r.figure.id == id)
                    .map_or(calibrate::Metric::Dwell, |r| r.figure.run.metric)
            };
            print!("{}", calibrate::sensitivity::table(&sens, &metric_of));
        }
    }
    if !report.passed() {
        let out: Vec<&str> = report
            .rows
            .iter()
            .filter(|r| !r.as_expected)
            .map(|r| r.figure.id.as_str())
            .collect();
        eprintln!(
            "ztsim calibrate: out of band: {}. A change that moves a default out of band must fix the model or update the figure's row (data/calibration.yaml) with its reason.",
            out.join(", ")
        );
    }
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
