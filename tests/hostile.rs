//! Hostile input and hostile conditions, through the real binary: resource limits, injection
//! into outputs, failures while writing, and the absence of any network use.
//!
//! Tests run as root here, where file permissions do not bind, so read-only and full-disk
//! conditions are made with mount namespaces (`unshare -m`: a tmpfs remounted read-only, a
//! 16 KiB tmpfs), which do bind for root. Where `unshare` is not permitted those cases say so
//! on stderr and fall back to failures that bind for root too (a file where the output
//! directory should be, a path under /proc).
//!
//! Findings that became fixes are listed in docs/security.md.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_ztsim")
}

fn ztsim(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("ztsim runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn write(dir: &Path, name: &str, body: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Invalid input: exit code 2, no panic, and the message says what and where.
fn assert_rejected(o: &Output, needles: &[&str]) {
    let t = text(o);
    assert_eq!(o.status.code(), Some(2), "expected exit 2:\n{t}");
    assert!(!t.contains("panicked"), "panic:\n{t}");
    for n in needles {
        assert!(t.contains(n), "missing `{n}` in:\n{t}");
    }
}

fn repo(p: &str) -> String {
    format!("{}/{p}", env!("CARGO_MANIFEST_DIR"))
}

fn have(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether `unshare` can make the namespace (needs CAP_SYS_ADMIN; root in a container may
/// lack it). Where it cannot, the namespace cases skip with a notice, unless
/// ZTSIM_REQUIRE_UNSHARE is set (`.ci/run` sets it where `unshare` works), which makes the
/// skip a failure.
fn can_unshare(flag: &str) -> bool {
    let ok = have("unshare", &[flag, "true"]);
    assert!(
        ok || std::env::var_os("ZTSIM_REQUIRE_UNSHARE").is_none(),
        "`unshare {flag}` is required (ZTSIM_REQUIRE_UNSHARE is set) but not permitted here"
    );
    ok
}

const SMALL: &str = "name: small
assets:
  - {id: u1, kind: user, name: Alice}
  - {id: ws1, kind: workstation, name: PC}
  - {id: db, kind: database, crown_jewel: true}
relations:
  - {type: has_session, from: ws1, to: u1}
  - {type: reads, from: u1, to: db}
";

// ---------------------------------------------------------------------------------------
// 3. Limits

fn billion_laughs() -> String {
    let mut s = String::from(
        "name: x\nassets: []\nlol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for k in 1..=9 {
        let refs = vec![format!("*l{}", k - 1); 10].join(", ");
        s.push_str(&format!("lol{k}: &l{k} [{refs}]\n"));
    }
    s.push_str("bomb: *l9\n");
    s
}

/// Runs `ztsim ARGS` in `sh` under a 1 GiB address-space limit and a 20 s timeout, and
/// returns the output, the wall time and (when /usr/bin/time is there) the peak RSS in KiB.
fn bounded(args: &[&str]) -> (Output, Duration, Option<u64>) {
    let time = Path::new("/usr/bin/time").exists();
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    let script = format!(
        "ulimit -v 1048576; exec {} timeout 20 '{}' {}",
        if time {
            "/usr/bin/time -f 'maxrss=%M'"
        } else {
            ""
        },
        bin(),
        quoted.join(" ")
    );
    let t = Instant::now();
    let o = Command::new("sh").arg("-c").arg(script).output().unwrap();
    let el = t.elapsed();
    let rss = String::from_utf8_lossy(&o.stderr)
        .lines()
        .find_map(|l| l.strip_prefix("maxrss=")?.trim().parse().ok());
    (o, el, rss)
}

#[test]
fn billion_laughs_is_refused_in_under_a_second_with_bounded_memory() {
    let d = tempfile::tempdir().unwrap();
    let yaml = write(d.path(), "laughs.yaml", billion_laughs());
    for cmd in ["validate", "run"] {
        let (o, took, rss) = bounded(&[cmd, s(&yaml)]);
        assert_rejected(&o, &["aliases expand to more than", "--max-alias-nodes"]);
        assert!(took < Duration::from_secs(1), "{cmd} took {took:?}");
        if let Some(kb) = rss {
            assert!(kb < 100_000, "{cmd} peaked at {kb} KiB");
        }
    }
    // Under the same alias budget, a sweep spec, an exercise script and an import overlay
    // are refused the same way.
    let o = ztsim(&[
        "sweep",
        s(&yaml),
        "--out",
        s(&d.path().join("o")),
        "--dry-run",
    ]);
    assert_rejected(&o, &["aliases expand"]);
    let o = ztsim(&[
        "import",
        "bloodhound",
        &repo("tests/fixtures/sharphound/tiny"),
        "-o",
        s(&d.path().join("imp.yaml")),
        "--overlay",
        s(&yaml),
    ]);
    assert_rejected(&o, &["aliases expand"]);
}

#[test]
fn alias_limits_are_flags() {
    let d = tempfile::tempdir().unwrap();
    let f = write(
        d.path(),
        "a.yaml",
        format!("{SMALL}x: &x [1, 2, 3]\ny: [*x, *x, *x]\n"),
    );
    // Unknown field `x` is the complaint under the defaults: the aliases are fine.
    let o = ztsim(&["validate", s(&f)]);
    assert_rejected(&o, &["unknown field `x`"]);
    let o = ztsim(&["validate", "--max-aliases", "2", s(&f)]);
    assert_rejected(&o, &["more than 2 YAML aliases", "--max-aliases"]);
    let o = ztsim(&["validate", "--max-alias-nodes", "5", s(&f)]);
    assert_rejected(
        &o,
        &["aliases expand to more than 5 nodes", "--max-alias-nodes"],
    );
}

#[test]
fn ten_thousand_levels_of_nesting_are_refused_cleanly() {
    let d = tempfile::tempdir().unwrap();
    let n = 10_000;
    let json = format!(
        "{{\"name\": \"x\", \"assets\": [{{\"id\": \"a\", \"kind\": \"user\", \"tags\": {}{}}}]}}",
        "[".repeat(n),
        "]".repeat(n)
    );
    let flow = format!("name: x\nassets: {}{}\n", "[".repeat(n), "]".repeat(n));
    // Block style: compact nested lists (`- - - x`), and 2,000 levels by indentation (the
    // indented form of 10,000 levels would be a 50 MB file).
    let compact = format!("name: x\nassets:\n{}x\n", "- ".repeat(n));
    let mut block = String::from("name: x\nassets:\n");
    for i in 0..2000 {
        block.push_str(&" ".repeat(i + 1));
        block.push_str("- \n");
    }
    for (name, body) in [
        ("deep.json", json),
        ("flow.yaml", flow),
        ("compact.yaml", compact),
        ("block.yaml", block),
    ] {
        let f = write(d.path(), name, body);
        let (o, took, _) = bounded(&["validate", s(&f)]);
        assert_rejected(&o, &["nesting deeper than 64 levels"]);
        assert!(took < Duration::from_secs(1), "{name} took {took:?}");
    }
    // The depth limit is a flag.
    let f = write(d.path(), "small.yaml", SMALL);
    let o = ztsim(&["validate", "--max-depth", "2", s(&f)]);
    assert_rejected(&o, &["nesting deeper than 2 levels", "--max-depth"]);
    assert!(ztsim(&["validate", s(&f)]).status.success());
}

#[test]
fn nan_and_infinity_are_refused_with_their_field() {
    let d = tempfile::tempdir().unwrap();
    for (extra, field) in [
        ("attacker: {speed: .nan}", "attacker.speed"),
        ("attacker: {speed: .inf}", "attacker.speed"),
        ("attacker: {speed: -1}", "attacker.speed"),
        (
            "attacker: {noise_aversion: .nan}",
            "attacker.noise_aversion",
        ),
        (
            "attacker: {time_budget_hours: -.inf}",
            "attacker.time_budget_hours",
        ),
        ("defender: {triage_hours: .nan}", "defender.triage_hours"),
        (
            "defender: {manual_response_hours: .inf}",
            "defender.manual_response_hours",
        ),
        (
            "simulation: {horizon_hours: .inf}",
            "simulation.horizon_hours",
        ),
        ("techniques: [{id: T1566.001, p: .nan}]", "techniques[0].p"),
        (
            "techniques: [{id: T1566.001, sigma: .nan}]",
            "techniques[0].sigma",
        ),
        (
            "techniques: [{id: T1566.001, mean_hours: .inf}]",
            "techniques[0].mean_hours",
        ),
        ("segments: [{id: s, value: .nan}]", "segments[0].value"),
    ] {
        let f = write(d.path(), "nan.yaml", format!("{SMALL}{extra}\n"));
        let o = ztsim(&["validate", s(&f)]);
        assert_rejected(&o, &[field]);
    }
    // JSON has no NaN or infinity literals: out-of-range numbers are parse errors.
    for body in [
        r#"{"name": "x", "assets": [], "simulation": {"horizon_hours": 1e999}}"#,
        r#"{"name": "x", "assets": [], "simulation": {"horizon_hours": NaN}}"#,
    ] {
        let f = write(d.path(), "nan.json", body);
        let o = ztsim(&["validate", s(&f)]);
        assert_rejected(&o, &["nan.json:1:"]);
    }
}

#[test]
fn size_and_count_limits_name_their_flag() {
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "small.yaml", SMALL);
    let o = ztsim(&["validate", "--max-file-bytes", "100", s(&f)]);
    assert_rejected(&o, &["over the limit of 100 bytes", "--max-file-bytes"]);
    let o = ztsim(&["run", "--max-file-bytes", "100", s(&f), "--trials", "1"]);
    assert_rejected(&o, &["--max-file-bytes"]);
    let o = ztsim(&["validate", "--max-assets", "2", s(&f)]);
    assert_rejected(&o, &["3 assets, over the limit of 2", "--max-assets"]);
    let o = ztsim(&["validate", "--max-relations", "1", s(&f)]);
    assert_rejected(&o, &["2 relations, over the limit of 1", "--max-relations"]);
    let o = ztsim(&["validate", "--max-string-len", "3", s(&f)]);
    assert_rejected(&o, &["over the limit of 3", "--max-string-len"]);
    // A generated estate of 20,000 assets passes the defaults.
    let big = d.path().join("big.json");
    let g = ztsim(&["generate", "--assets", "20000", "--quiet", "-o", s(&big)]);
    assert!(g.status.success(), "{}", text(&g));
    let o = ztsim(&["validate", s(&big)]);
    assert!(o.status.success(), "{}", text(&o));
    let o = ztsim(&["validate", "--max-assets", "1000", s(&big)]);
    assert_rejected(&o, &["--max-assets"]);
}

/// The size in a device's or a pipe's metadata is 0: the read itself must be bounded.
#[test]
fn devices_and_pipes_are_read_within_the_size_limit() {
    let (o, took, rss) = bounded(&["validate", "--max-file-bytes", "100000", "/dev/zero"]);
    assert_rejected(&o, &["over the limit of 100000 bytes"]);
    assert!(took < Duration::from_secs(2), "{took:?}");
    if let Some(kb) = rss {
        assert!(kb < 100_000, "{kb} KiB");
    }
    let d = tempfile::tempdir().unwrap();
    let (o, _, _) = bounded(&[
        "import",
        "bloodhound",
        "/dev/zero",
        "--max-file-bytes",
        "100000",
        "-o",
        s(&d.path().join("x.yaml")),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--max-file-bytes"), "{}", text(&o));
    assert!(!d.path().join("x.yaml").exists());
}

#[test]
fn zip_bombs_and_unsafe_entry_names_are_bounded() {
    let d = tempfile::tempdir().unwrap();
    // A zip of one entry inflating to 8 MiB of spaces, imported with a 1 MiB budget.
    let z = d.path().join("bomb.zip");
    {
        let f = std::fs::File::create(&z).unwrap();
        let mut w = zip_writer(f);
        w.start("20240101_users.json");
        w.write_all(&vec![b' '; 8 << 20]);
        w.finish();
    }
    let o = ztsim(&[
        "import",
        "bloodhound",
        s(&z),
        "--max-decompressed-bytes",
        "1048576",
        "-o",
        s(&d.path().join("x.yaml")),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("--max-decompressed-bytes"),
        "{}",
        text(&o)
    );
    assert!(!d.path().join("x.yaml").exists());
}

/// A minimal zip writer (stored entries only) so the test needs no zip crate of its own.
struct ZipW {
    f: std::fs::File,
    name: String,
    data: Vec<u8>,
}
fn zip_writer(f: std::fs::File) -> ZipW {
    ZipW {
        f,
        name: String::new(),
        data: Vec::new(),
    }
}
impl ZipW {
    fn start(&mut self, name: &str) {
        self.name = name.into();
    }
    fn write_all(&mut self, b: &[u8]) {
        self.data.extend_from_slice(b);
    }
    fn finish(mut self) {
        let crc = crc32(&self.data);
        let n = self.name.as_bytes();
        let len = self.data.len() as u32;
        let mut out = Vec::new();
        let u16le = |v: u16| v.to_le_bytes();
        let u32le = |v: u32| v.to_le_bytes();
        out.extend_from_slice(&u32le(0x04034b50));
        out.extend_from_slice(&u16le(20));
        out.extend_from_slice(&u16le(0));
        out.extend_from_slice(&u16le(0)); // stored
        out.extend_from_slice(&u16le(0));
        out.extend_from_slice(&u16le(0));
        out.extend_from_slice(&u32le(crc));
        out.extend_from_slice(&u32le(len));
        out.extend_from_slice(&u32le(len));
        out.extend_from_slice(&u16le(n.len() as u16));
        out.extend_from_slice(&u16le(0));
        out.extend_from_slice(n);
        out.extend_from_slice(&self.data);
        let cd = out.len() as u32;
        out.extend_from_slice(&u32le(0x02014b50));
        out.extend_from_slice(&u16le(20));
        out.extend_from_slice(&u16le(20));
        out.extend_from_slice(&u16le(0));
        out.extend_from_slice(&u16le(0));
        out.extend_from_slice(&u16le(0));
        out.extend_from_slice(&u16le(0));
        out.extend_from_slice(&u32le(crc));
        out.extend_from_slice(&u32le(len));
        out.extend_from_slice(&u32le(len));
        out.extend_from_slice(&u16le(n.len() as u16));
        out.extend_from_slice(&[0; 12]);
        out.extend_from_slice(&u32le(0));
        out.extend_from_slice(n);
        let cd_len = out.len() as u32 - cd;
        out.extend_from_slice(&u32le(0x06054b50));
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&u16le(1));
        out.extend_from_slice(&u16le(1));
        out.extend_from_slice(&u32le(cd_len));
        out.extend_from_slice(&u32le(cd));
        out.extend_from_slice(&u16le(0));
        self.f.write_all(&out).unwrap();
    }
}
fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

// ---------------------------------------------------------------------------------------
// 4. Injection in outputs

/// Spreadsheet formula payloads, each a name in the scenario.
const FORMULAS: &[&str] = &[
    "=cmd|' /C calc'!A0",
    "+HYPERLINK(\\\"http://x\\\")",
    "-2+3",
    "@SUM(A1)",
    "\\tx=1",
    "\\r=1",
];

fn hostile_scenario() -> String {
    let mut s = String::from(
        "name: \"\\e[2J\\e]0;pwned\\a=evil\"\ndescription: \"\\e[31mred\"\nsegments:\n  - {id: lan, name: \"\\e[1mlan\"}\nassets:\n",
    );
    for (i, f) in FORMULAS.iter().enumerate() {
        s.push_str(&format!(
            "  - {{id: u{i}, kind: user, name: \"{f}\\e[31m\", weak_password: true}}\n"
        ));
    }
    s.push_str("  - {id: ws, kind: workstation, segment: lan, name: \"\\e[5mPC\\u009b31m\"}\n");
    s.push_str(
        "  - {id: db, kind: database, segment: lan, crown_jewel: true, name: \"=1+1\\e[0m\"}\n",
    );
    s.push_str("  - {id: orphan, kind: file_share, segment: lan, crown_jewel: true, name: \"\\e[41morphan\"}\n");
    s.push_str("relations:\n");
    for i in 0..FORMULAS.len() {
        s.push_str(&format!("  - {{type: has_session, from: ws, to: u{i}}}\n"));
        s.push_str(&format!("  - {{type: reads, from: u{i}, to: db}}\n"));
    }
    s.push_str("control_sets:\n");
    for (i, f) in FORMULAS.iter().enumerate() {
        s.push_str(&format!(
            "  - {{name: \"{f}{i}\\e[32m\", description: \"\\e[2J\", controls: [C01]}}\n"
        ));
    }
    s.push_str("simulation: {trials: 30, horizon_hours: 200, seed: 3}\n");
    s
}

/// A cell a spreadsheet would evaluate: starts with = + @ tab or CR, or with - and is not a
/// plain number.
fn is_formula(cell: &str) -> bool {
    match cell.chars().next() {
        Some('=' | '+' | '@' | '\t' | '\r') => true,
        Some('-') => cell.parse::<f64>().is_err(),
        _ => false,
    }
}

fn assert_csv_neutral(path: &Path) -> usize {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .from_path(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut cells = 0;
    for rec in r.records() {
        let rec = rec.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for c in rec.iter() {
            cells += 1;
            assert!(!is_formula(c), "{}: formula cell {c:?}", path.display());
        }
    }
    cells
}

#[test]
fn csv_injection_in_asset_and_set_names_is_neutralised() {
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "hostile.yaml", hostile_scenario());
    let out = d.path().join("out");
    let o = ztsim(&["run", s(&f), "--out", s(&out)]);
    assert!(o.status.success(), "{}", text(&o));
    let trials = std::fs::read_to_string(out.join("trials.csv")).unwrap();
    assert!(
        trials.contains("'=cmd|"),
        "payload not kept (neutralised) in trials.csv"
    );
    assert!(assert_csv_neutral(&out.join("trials.csv")) > 100);
    // The sweep's CSVs: set names from the spec and the scenario.
    write(d.path(), "scenario.yaml", hostile_scenario());
    let spec = write(
        d.path(),
        "spec.yaml",
        format!(
            "trials: 5\nscenarios: [scenario.yaml]\ncontrols: [none, {}]\n",
            FORMULAS
                .iter()
                .enumerate()
                .map(|(i, f)| format!("\"{f}{i}\\e[32m\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    let sw = d.path().join("sweep");
    let o = ztsim(&["sweep", s(&spec), "--out", s(&sw), "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        !text(&o).contains('\u{1b}'),
        "escape on the terminal: {:?}",
        text(&o)
    );
    for csv in ["cells.csv", "trials.csv"] {
        assert!(assert_csv_neutral(&sw.join(csv)) > 10);
    }
    // Sensitivity analysis writes a CSV too.
    let sens = d.path().join("sens");
    let o = ztsim(&[
        "sensitivity",
        s(&f),
        "--controls",
        "=cmd|' /C calc'!A00\u{1b}[32m",
        "--trials",
        "5",
        "--out",
        s(&sens),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!text(&o).contains('\u{1b}'));
    assert!(assert_csv_neutral(&sens.join("sensitivity.csv")) > 10);
}

fn assert_no_escape(what: &str, o: &Output) {
    for (stream, bytes) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
        assert!(
            !bytes.contains(&0x1b) && !String::from_utf8_lossy(bytes).contains('\u{9b}'),
            "{what}: a raw escape reached {stream}:\n{}",
            String::from_utf8_lossy(bytes)
        );
    }
}

#[test]
fn terminal_escapes_in_names_never_reach_the_terminal() {
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "hostile.yaml", hostile_scenario());
    let fp = s(&f);
    let set = "=cmd|' /C calc'!A00\u{1b}[32m";
    for args in [
        vec!["validate", fp],
        vec!["run", fp, "--trials", "20"],
        vec!["run", fp, "--trials", "20", "--json"],
        vec!["compare", fp, "--trials", "20"],
        vec!["paths", fp, "--trials", "20"],
        vec!["chokepoints", fp, "--trials", "20", "--candidates", "3"],
        vec![
            "recommend",
            fp,
            "--from",
            "none",
            "--budget",
            "5",
            "--trials",
            "10",
        ],
        vec!["export", fp, "--format", "dot"],
        vec!["run", fp, "--trials", "5", "--controls", set],
    ] {
        let o = ztsim(&args);
        assert!(!text(&o).contains("panicked"), "{args:?}: {}", text(&o));
        assert_no_escape(&format!("{args:?}"), &o);
    }
    // Error messages carry names too: an unknown reference whose id has an escape.
    let bad = write(
        d.path(),
        "bad.yaml",
        format!("{SMALL}  - {{type: reads, from: u1, to: \"\\e[2Jx\"}}\n"),
    );
    let o = ztsim(&["validate", s(&bad)]);
    assert_rejected(&o, &["unknown id"]);
    assert_no_escape("validate bad", &o);
    // Tabletop narration, scripted.
    let script = write(
        d.path(),
        "ex.yaml",
        "title: \"\\e[2Jtitle\"\nobjectives: [\"\\e[31mobj\"]\nsteps:\n  - {at: 0, do: status, note: \"\\e[5mnote\"}\n  - {at: 1, do: \"step 5\"}\n  - {at: 2, do: \"isolate ws\"}\n  - {at: 3, do: map}\n",
    );
    let md = d.path().join("t.md");
    let o = ztsim(&[
        "tabletop",
        fp,
        "--script",
        s(&script),
        "--god-view",
        "--transcript",
        s(&md),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert_no_escape("tabletop", &o);
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(
        !md.contains('\u{1b}') && !md.contains('\u{9b}'),
        "escape in the transcript"
    );
}

#[test]
fn html_report_escapes_names() {
    let d = tempfile::tempdir().unwrap();
    let f = write(
        d.path(),
        "x.yaml",
        SMALL.replace("name: Alice", "name: \"<script>alert(1)</script>\""),
    );
    let report = d.path().join("r.html");
    let o = ztsim(&["run", s(&f), "--trials", "20", "--report", s(&report)]);
    assert!(o.status.success(), "{}", text(&o));
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(
        !html.contains("<script>alert(1)"),
        "unescaped name in the report"
    );
}

/// Nothing an input file says becomes a path ztsim writes to: an exercise script can
/// narrate, but cannot choose files (`save`, `export`, `map FILE`).
#[test]
fn scripts_cannot_choose_where_ztsim_writes() {
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "s.yaml", SMALL);
    let victim = d.path().join("victim.txt");
    std::fs::write(&victim, "keep me").unwrap();
    for cmd in [
        format!("save {}", victim.display()),
        format!("export {}", d.path().join("exported").display()),
        format!("map {}", victim.display()),
    ] {
        let script = write(
            d.path(),
            "ex.yaml",
            format!("title: t\nsteps:\n  - {{at: 0, do: \"{cmd}\"}}\n"),
        );
        let o = ztsim(&["tabletop", s(&f), "--script", s(&script)]);
        assert_rejected(&o, &["steps[0].do", "cannot be scripted"]);
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
        assert!(!d.path().join("exported").exists());
    }
}

// ---------------------------------------------------------------------------------------
// 5. Failures while writing

/// Every file of a results directory parses completely; temporaries are reported.
fn check_results_dir(dir: &Path) -> (Vec<String>, Vec<String>) {
    let mut complete = Vec::new();
    let mut temporaries = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return (complete, temporaries);
    };
    for e in rd {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with(".ztsim-") && name.ends_with(".tmp") {
            temporaries.push(name);
            continue;
        }
        let bytes = std::fs::read(e.path()).unwrap();
        match name.as_str() {
            "summary.json" | "estate.json" => {
                serde_json::from_slice::<serde_json::Value>(&bytes)
                    .unwrap_or_else(|err| panic!("{name} is partial: {err}"));
            }
            "trials.csv" => {
                assert!(bytes.ends_with(b"\n"), "trials.csv ends mid-line");
                let mut r = csv::Reader::from_reader(&bytes[..]);
                let n = r
                    .records()
                    .inspect(|x| assert!(x.is_ok(), "complete row"))
                    .count();
                assert!(n > 0);
            }
            other => panic!("unexpected file {other}"),
        }
        complete.push(name);
    }
    (complete, temporaries)
}

#[test]
fn a_run_killed_while_writing_leaves_old_or_complete_files() {
    let d = tempfile::tempdir().unwrap();
    let scenario = write(d.path(), "small.yaml", SMALL);
    let out = d.path().join("out");
    // Enough trials that summary.json and trials.csv are megabytes, so writing them takes
    // long enough to be interrupted. A first, complete run gives the previous files and
    // the run's duration.
    let args = |seed: usize| {
        vec![
            "run".to_string(),
            s(&scenario).to_string(),
            "--trials".into(),
            "15000".into(),
            "--threads".into(),
            "2".into(),
            "--seed".into(),
            seed.to_string(),
            "--out".into(),
            s(&out).to_string(),
        ]
    };
    let t0 = Instant::now();
    let o = Command::new(bin()).args(args(1)).output().unwrap();
    let full = t0.elapsed();
    assert!(o.status.success(), "{}", text(&o));
    check_results_dir(&out);
    // SIGKILL as soon as a temporary appears (mid-write), twice, then at fractions of the
    // full run's duration around the writing phase.
    let mut caught_mid_write = 0;
    let plan: Vec<Option<f64>> = vec![None, None, Some(0.5), Some(0.9), Some(0.97), Some(1.0)];
    for (k, frac) in plan.into_iter().enumerate() {
        let mut child = Command::new(bin())
            .args(args(k + 2))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let t = Instant::now();
        match frac {
            Some(f) => std::thread::sleep(full.mul_f64(f)),
            None => loop {
                let tmp = std::fs::read_dir(&out).unwrap().any(|e| {
                    e.unwrap()
                        .file_name()
                        .to_string_lossy()
                        .starts_with(".ztsim-")
                });
                if tmp || t.elapsed() > full * 3 || child.try_wait().unwrap().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_micros(100));
            },
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let (complete, temporaries) = check_results_dir(&out);
        if !temporaries.is_empty() {
            caught_mid_write += 1;
        }
        // Each file is the previous run's or a complete new one; none is missing.
        assert_eq!(complete.len(), 3, "{complete:?}");
        eprintln!(
            "kill {k} ({}): complete {complete:?}, temporaries left {temporaries:?}",
            frac.map_or("at the first temporary".into(), |f| format!(
                "{:.0} ms",
                full.as_secs_f64() * f * 1e3
            ))
        );
        // Leftover temporaries are ignored by readers (below); clean them for the next round.
        for t in temporaries {
            std::fs::remove_file(out.join(t)).unwrap();
        }
    }
    assert!(caught_mid_write > 0, "no kill landed during a write");
    // Readers ignore leftover temporaries: plot reads the directory as it is.
    std::fs::write(out.join(".ztsim-leftover.tmp"), b"{\"partial").unwrap();
    let o = ztsim(&["plot", s(&out), "--report", s(&d.path().join("r.html"))]);
    assert!(o.status.success(), "{}", text(&o));
}

/// Results directories are read back by `plot` and `export --results`: a truncated, empty
/// or garbage file there is an error naming the file, never a panic.
#[test]
fn damaged_results_directories_are_clean_errors() {
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "s.yaml", SMALL);
    let good = d.path().join("good");
    assert!(
        ztsim(&["run", s(&f), "--trials", "30", "--out", s(&good)])
            .status
            .success()
    );
    for file in ["summary.json", "estate.json", "trials.csv"] {
        let whole = std::fs::read(good.join(file)).unwrap();
        for (how, bytes) in [
            ("half", whole[..whole.len() / 2].to_vec()),
            ("empty", Vec::new()),
            ("garbage", b"\x00\xff{[,\"".to_vec()),
        ] {
            let bad = d.path().join(format!("{file}-{how}"));
            std::fs::create_dir_all(&bad).unwrap();
            for g in ["summary.json", "estate.json", "trials.csv"] {
                std::fs::copy(good.join(g), bad.join(g)).unwrap();
            }
            std::fs::write(bad.join(file), &bytes).unwrap();
            let o = ztsim(&["plot", s(&bad), "--report", s(&d.path().join("r.html"))]);
            let t = text(&o);
            assert_eq!(o.status.code(), Some(2), "plot {file} {how}: {t}");
            assert!(
                t.contains(file) && !t.contains("panicked"),
                "plot {file} {how}: {t}"
            );
            let o = ztsim(&["export", s(&f), "--format", "dot", "--results", s(&bad)]);
            let t = text(&o);
            assert!(
                matches!(o.status.code(), Some(0..=2)),
                "export {file} {how}: {t}"
            );
            assert!(!t.contains("panicked"), "export {file} {how}: {t}");
        }
    }
}

/// Runs `script` (with `$Z` the binary) in a new mount namespace.
fn in_mount_ns(script: &str) -> Output {
    Command::new("unshare")
        .args(["-m", "sh", "-c", script])
        .env("Z", bin())
        .output()
        .unwrap()
}

fn assert_write_failure(o: &Output, needles: &[&str]) {
    let t = text(o);
    assert_eq!(o.status.code(), Some(1), "expected exit 1:\n{t}");
    assert!(!t.contains("panicked"), "{t}");
    assert!(t.contains("error:"), "{t}");
    for n in needles {
        assert!(t.contains(n), "missing `{n}` in:\n{t}");
    }
    assert!(!t.contains("wrote "), "reported success:\n{t}");
}

#[test]
fn a_read_only_output_directory_is_a_clear_error() {
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "s.yaml", SMALL);
    // Root ignores permission bits, so a file where the directory should be, and a path
    // under /proc, are the failures that bind everywhere.
    let not_dir = write(d.path(), "not-a-dir", "x");
    let o = ztsim(&["run", s(&f), "--trials", "5", "--out", s(&not_dir)]);
    assert_write_failure(&o, &["writing results to", "not-a-dir"]);
    let o = ztsim(&[
        "run",
        s(&f),
        "--trials",
        "5",
        "--out",
        "/proc/self/ztsim-out",
    ]);
    assert_write_failure(&o, &["/proc/self/ztsim-out"]);
    let o = ztsim(&[
        "run",
        s(&f),
        "--trials",
        "5",
        "--report",
        "/proc/self/r.html",
    ]);
    assert_write_failure(&o, &["r.html"]);
    if !can_unshare("-m") {
        eprintln!("unshare -m not permitted: read-only mount case skipped");
        return;
    }
    // A read-only file system, which binds for root: a tmpfs remounted read-only in a
    // private mount namespace.
    let mnt = d.path().join("ro");
    std::fs::create_dir(&mnt).unwrap();
    let script = format!(
        "mount -t tmpfs tmpfs '{m}' && mkdir '{m}/out' && mount -o remount,ro '{m}' && \
         \"$Z\" run '{f}' --trials 5 --out '{m}/out'; echo \"rc=$?\"; \
         \"$Z\" import bloodhound '{fx}' -o '{m}/imported.yaml'; echo \"rc=$?\"; \
         echo LISTING; ls -a '{m}' '{m}/out'",
        m = mnt.display(),
        f = f.display(),
        fx = repo("tests/fixtures/sharphound/tiny"),
    );
    let o = in_mount_ns(&script);
    let t = text(&o);
    assert!(t.contains("Read-only file system"), "{t}");
    assert_eq!(t.matches("rc=1").count(), 2, "{t}");
    assert!(!t.contains("panicked"));
    // Nothing left behind in the read-only directories.
    let listing = String::from_utf8_lossy(&o.stdout);
    let listing = listing.split("LISTING").nth(1).expect("listing");
    assert!(
        !listing.contains("summary.json") && !listing.contains(".ztsim-"),
        "{t}"
    );
    assert!(!listing.contains("imported.yaml"), "{t}");
}

#[test]
fn a_full_disk_is_a_clear_error_and_leaves_no_partial_file() {
    if !can_unshare("-m") {
        eprintln!("unshare -m not permitted: full-disk case skipped");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let mnt = d.path().join("full");
    std::fs::create_dir(&mnt).unwrap();
    let script = format!(
        "mount -t tmpfs -o size=16k tmpfs '{m}' && \
         \"$Z\" run '{f}' --trials 300 --out '{m}/out'; echo \"rc=$?\"; \
         \"$Z\" generate --assets 5000 --quiet -o '{m}/big.yaml'; echo \"rc=$?\"; \
         echo LISTING; ls -a '{m}' '{m}/out'",
        m = mnt.display(),
        f = repo("scenarios/hybrid-cloud.yaml"),
    );
    let o = in_mount_ns(&script);
    let t = text(&o);
    assert!(t.contains("No space left on device"), "{t}");
    assert_eq!(t.matches("rc=1").count(), 2, "{t}");
    assert!(!t.contains("panicked"), "{t}");
    // No temporary is left behind, and no partial file has a final name.
    let listing = String::from_utf8_lossy(&o.stdout);
    let listing = listing.split("LISTING").nth(1).expect("listing");
    assert!(!listing.contains(".ztsim-"), "{t}");
    assert!(
        !listing.contains("trials.csv") && !listing.contains("big.yaml"),
        "{t}"
    );
}

// ---------------------------------------------------------------------------------------
// 6. Sensitive data: no network, private outputs

#[test]
fn no_network_in_an_empty_network_namespace() {
    if !can_unshare("-n") {
        eprintln!("unshare -n not permitted: network-namespace case skipped");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let script = format!(
        "\"$Z\" run '{f}' --trials 50 --out '{o}/run' && \
         \"$Z\" import bloodhound '{fx}' -o '{o}/imp.yaml' && \
         \"$Z\" run '{o}/imp.yaml' --trials 20 --report '{o}/r.html' && echo ALL-OK",
        f = repo("scenarios/hybrid-cloud.yaml"),
        fx = repo("tests/fixtures/sharphound/tiny"),
        o = d.path().display()
    );
    let o = Command::new("unshare")
        .args(["-n", "sh", "-c", &script])
        .env("Z", bin())
        .output()
        .unwrap();
    assert!(text(&o).contains("ALL-OK"), "{}", text(&o));
}

#[test]
fn no_socket_is_ever_opened() {
    if !have("strace", &["-V"]) {
        // CI installs strace and sets ZTSIM_REQUIRE_STRACE so that this never skips there.
        assert!(
            std::env::var_os("ZTSIM_REQUIRE_STRACE").is_none(),
            "strace is required (ZTSIM_REQUIRE_STRACE is set) but not installed"
        );
        eprintln!("strace not installed: syscall trace case skipped");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    for (label, args) in [
        (
            "run",
            vec![
                "run".to_string(),
                repo("scenarios/hybrid-cloud.yaml"),
                "--trials".into(),
                "50".into(),
                "--out".into(),
                d.path().join("run").display().to_string(),
                "--report".into(),
                d.path().join("r.html").display().to_string(),
            ],
        ),
        (
            "import",
            vec![
                "import".to_string(),
                "bloodhound".into(),
                repo("tests/fixtures/sharphound/tiny"),
                "-o".into(),
                d.path().join("imp.yaml").display().to_string(),
            ],
        ),
    ] {
        let trace = d.path().join(format!("{label}.strace"));
        let o = Command::new("strace")
            .args(["-f", "-qq", "-e", "trace=network", "-o"])
            .arg(&trace)
            .arg(bin())
            .args(&args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{label}: {}", text(&o));
        let calls = std::fs::read_to_string(&trace).unwrap();
        assert!(
            calls.trim().is_empty(),
            "{label} made network system calls:\n{calls}"
        );
    }
}

#[cfg(unix)]
#[test]
fn imported_scenarios_and_outputs_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let imp = d.path().join("imp.yaml");
    let o = ztsim(&[
        "import",
        "bloodhound",
        &repo("tests/fixtures/sharphound/tiny"),
        "-o",
        s(&imp),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&imp), 0o600);
    // Overwriting an existing, world-readable file leaves it private too.
    std::fs::set_permissions(&imp, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = ztsim(&[
        "import",
        "bloodhound",
        &repo("tests/fixtures/sharphound/tiny"),
        "-o",
        s(&imp),
    ]);
    assert!(o.status.success());
    assert_eq!(mode(&imp), 0o600);
    // What is derived from it follows the umask (see
    // `outputs_respect_the_umask_and_imports_stay_private`), except an export of the private
    // scenario, which stays private.
    let dot = d.path().join("g.dot");
    let o = ztsim(&["export", s(&imp), "--format", "dot", "-o", s(&dot)]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(mode(&dot), 0o600);
}

// ---------------------------------------------------------------------------------------
// Fuzz regressions: every input a fuzz target crashed on, through the real binary.

#[test]
fn fuzz_regressions_fail_cleanly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let tmp = tempfile::tempdir().unwrap();
    let mut n = 0;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e != "md"))
        .collect();
    files.sort();
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let fp = s(&f);
        let out = tmp.path().join("out.yaml");
        let o = if name.starts_with("bloodhound-") {
            ztsim(&["import", "bloodhound", fp, "-o", s(&out)])
        } else if name.starts_with("overlay-") {
            let fx = repo("tests/fixtures/sharphound/tiny");
            ztsim(&["import", "bloodhound", &fx, "--overlay", fp, "-o", s(&out)])
        } else if name.starts_with("spec-") {
            ztsim(&["sweep", fp, "--out", s(&tmp.path().join("sw")), "--dry-run"])
        } else if name.starts_with("script-") {
            ztsim(&["tabletop", &repo("scenarios/flat-ad.yaml"), "--script", fp])
        } else {
            let o = ztsim(&["validate", fp]);
            if o.status.success() {
                ztsim(&["run", fp, "--trials", "3"])
            } else {
                o
            }
        };
        let t = text(&o);
        assert!(
            matches!(o.status.code(), Some(0 | 2)),
            "{name}: exit {:?}\n{t}",
            o.status.code()
        );
        assert!(!t.contains("panicked"), "{name}: {t}");
        n += 1;
    }
    // The folder is not empty: a replay of nothing would pass for nothing.
    assert!(n >= 7, "only {n} regression inputs in {}", dir.display());
    eprintln!("{n} fuzz regressions replayed");
}

// ---------------------------------------------------------------------------------------
// Round two (issue 21): devices and FIFOs, unbounded reads, alias byte bombs, silent merges
// and wrap-arounds. Each test fails without its fix.

fn mode_of(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Runs `ztsim ARGS` through `sh -c "PREFIX; exec ztsim ARGS"` (a umask, a ulimit).
fn ztsim_sh(prefix: &str, args: &[&str]) -> Output {
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    Command::new("sh")
        .arg("-c")
        .arg(format!("{prefix}; exec '{}' {}", bin(), quoted.join(" ")))
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Bug 1: a writer never renames over a device or a FIFO; it writes into it.
#[test]
fn writers_write_into_devices_and_fifos_instead_of_replacing_them() {
    use std::os::unix::fs::FileTypeExt;
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "s.yaml", SMALL);
    // A private copy of /dev/null (same device numbers), so no test touches the real one.
    let null = d.path().join("null");
    if !have("mknod", &[s(&null), "c", "1", "3"]) {
        eprintln!("skipped the device case: mknod is not permitted here");
    } else {
        let runs: Vec<Vec<&str>> = vec![
            vec!["export", s(&f), "--format", "dot", "-o", s(&null)],
            vec!["run", s(&f), "--trials", "5", "--report", s(&null)],
            vec!["run", s(&f), "--trials", "5", "--navigator", s(&null)],
        ];
        for args in runs {
            let o = ztsim(&args);
            assert!(o.status.success(), "{args:?}: {}", text(&o));
            let t = std::fs::symlink_metadata(&null).unwrap().file_type();
            assert!(t.is_char_device(), "{args:?} replaced the device");
        }
        let o = Command::new(bin())
            .args(["tabletop", s(&f), "--transcript", s(&null)])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o));
        assert!(
            std::fs::symlink_metadata(&null)
                .unwrap()
                .file_type()
                .is_char_device()
        );
    }
    // A FIFO: the reader gets the whole export, and the FIFO stays a FIFO.
    let fifo = d.path().join("fifo");
    assert!(have("mkfifo", &[s(&fifo)]));
    let reader = Command::new("cat")
        .arg(&fifo)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let o = ztsim(&["export", s(&f), "--format", "dot", "-o", s(&fifo)]);
    assert!(o.status.success(), "{}", text(&o));
    let got = reader.wait_with_output().unwrap();
    assert!(String::from_utf8_lossy(&got.stdout).contains("digraph"));
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    // A symbolic link is written through: the link stays, its target gets the output.
    let real = write(d.path(), "real.dot", "old");
    let link = d.path().join("link.dot");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let o = ztsim(&["export", s(&f), "--format", "dot", "-o", s(&link)]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(std::fs::read_to_string(&real).unwrap().contains("digraph"));
    let leftovers: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Bug 1 (and issue 20): outputs follow the umask; an import stays 0600 whatever it is.
#[test]
fn outputs_respect_the_umask_and_imports_stay_private() {
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "s.yaml", SMALL);
    let out = d.path().join("out");
    let report = d.path().join("r.html");
    let o = ztsim_sh(
        "umask 022",
        &[
            "run",
            s(&f),
            "--trials",
            "5",
            "--out",
            s(&out),
            "--report",
            s(&report),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    for p in [
        out.join("summary.json"),
        out.join("trials.csv"),
        report.clone(),
    ] {
        assert_eq!(mode_of(&p), 0o644, "{}", p.display());
    }
    let o = ztsim_sh(
        "umask 077",
        &["run", s(&f), "--trials", "5", "--out", s(&out)],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(mode_of(&out.join("summary.json")), 0o600);
    let imp = d.path().join("imp.yaml");
    let o = ztsim_sh(
        "umask 022",
        &[
            "import",
            "bloodhound",
            &repo("tests/fixtures/sharphound/tiny"),
            "-o",
            s(&imp),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(mode_of(&imp), 0o600);
}

/// Copies the tiny SharpHound fixture into a fresh directory.
fn tiny_copy(dir: &Path) -> PathBuf {
    let c = dir.join("collection");
    std::fs::create_dir_all(&c).unwrap();
    for e in std::fs::read_dir(repo("tests/fixtures/sharphound/tiny")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), c.join(e.file_name())).unwrap();
    }
    c
}

/// Bug 2: a symlink out of a collection directory is not followed; when it is, the read is
/// bounded although the metadata says 0 bytes.
#[test]
fn collection_symlinks_are_not_followed_and_size_zero_files_are_bounded() {
    let d = tempfile::tempdir().unwrap();
    let c = tiny_copy(d.path());
    std::os::unix::fs::symlink("/proc/self/pagemap", c.join("zz_pagemap.json")).unwrap();
    let out = d.path().join("x.yaml");
    let (o, _, _) = bounded(&["import", "bloodhound", s(&c), "-o", s(&out)]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("not followed"), "{}", text(&o));
    let (o, took, _) = bounded(&[
        "import",
        "bloodhound",
        s(&c),
        "--follow-symlinks",
        "--max-decompressed-bytes",
        "1000000",
        "-o",
        s(&d.path().join("y.yaml")),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("--max-decompressed-bytes"),
        "{}",
        text(&o)
    );
    assert!(took < Duration::from_secs(10), "{took:?}");
}

/// Bug 3: one large anchored scalar aliased many times is refused by its expanded bytes,
/// with the flag named, before anything expands it.
#[test]
fn alias_byte_bombs_are_refused_naming_the_flag() {
    let d = tempfile::tempdir().unwrap();
    let mut y = format!("{SMALL}big: &big \"{}\"\n", "x".repeat(1 << 20));
    y.push_str("refs: [");
    y.push_str(&vec!["*big"; 500].join(", "));
    y.push_str("]\n");
    for k in 0..500 {
        y.push_str(&format!("d{k}: &d{k} 1\n"));
    }
    let f = write(d.path(), "bytes.yaml", y);
    for cmd in ["validate", "run"] {
        let (o, took, rss) = bounded(&[cmd, s(&f)]);
        assert_rejected(&o, &["bytes of text", "--max-alias-bytes"]);
        assert!(took < Duration::from_secs(5), "{cmd} took {took:?}");
        if let Some(kb) = rss {
            assert!(kb < 200_000, "{cmd} peaked at {kb} KiB");
        }
    }
    let o = ztsim(&["validate", "--max-alias-bytes", "1000000000", s(&f)]);
    assert!(!text(&o).contains("--max-alias-bytes"), "{}", text(&o));
    // An exercise script goes through the same check (the tabletop printed 525 MB before).
    let small = write(d.path(), "s.yaml", SMALL);
    let script = write(
        d.path(),
        "ex.yaml",
        format!(
            "title: &big \"{}\"\nobjectives: [{}]\nsteps: []\n",
            "x".repeat(1 << 20),
            vec!["*big"; 500].join(", ")
        ),
    );
    let (o, took, _) = bounded(&["tabletop", s(&small), "--script", s(&script)]);
    assert_rejected(&o, &["--max-alias-bytes"]);
    assert!(
        o.stdout.len() < 100_000,
        "{} bytes of output",
        o.stdout.len()
    );
    assert!(took < Duration::from_secs(5), "tabletop took {took:?}");
}

/// Bug 4: a billion laughs whose anchors follow bare-CR line breaks is caught too.
#[test]
fn billion_laughs_with_bare_cr_line_breaks_is_refused() {
    let d = tempfile::tempdir().unwrap();
    // A flow document (after a comment, so it is read as YAML), so that every anchor can
    // start a line right after a bare CR.
    let mut y = String::from(
        "# bare CR line breaks\r{name: x,\rassets: [],\rbomb: [\r&l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol],",
    );
    for k in 1..=9 {
        let refs = vec![format!("*l{}", k - 1); 10].join(", ");
        y.push_str(&format!("\r&l{k} [{refs}],"));
    }
    y.push_str("\r*l9]}\r");
    let f = write(d.path(), "cr.yaml", y);
    let (o, took, rss) = bounded(&["validate", s(&f)]);
    assert_rejected(&o, &["aliases expand to more than", "--max-alias-nodes"]);
    assert!(took < Duration::from_secs(1), "took {took:?}");
    if let Some(kb) = rss {
        assert!(kb < 100_000, "peaked at {kb} KiB");
    }
}

/// Bug 5: 20,000 dangling references cost no more than a valid file of the same size (the
/// "did you mean" search is capped); before the fix this took minutes.
#[test]
fn twenty_thousand_dangling_references_validate_quickly() {
    let d = tempfile::tempdir().unwrap();
    let n = 20_000;
    let mut y = String::from("name: dangling\nassets:\n  - {id: g, kind: group}\n");
    for i in 0..n {
        y.push_str(&format!("  - {{id: user-{i:05}, kind: user}}\n"));
    }
    y.push_str("relations:\n");
    for i in 0..n {
        y.push_str(&format!(
            "  - {{type: member_of, from: user-{i:05}x, to: g}}\n"
        ));
    }
    let f = write(d.path(), "dangling.yaml", y);
    let o = ztsim(&["validate", s(&f)]);
    assert_rejected(
        &o,
        &["unknown id `user-19999x`", "did you mean `user-00000`"],
    );
    // Every dangling reference is reported, but only the first 20 get a "did you mean"
    // search over the 20,000 ids (each search is a pass over all of them): the work is
    // linear in the references, not quadratic (7, 32, 146 s for 5k, 10k, 20k before).
    let t = text(&o);
    assert_eq!(t.matches("unknown id `").count(), n);
    assert_eq!(t.matches("did you mean").count(), 20);
}

/// Bug 6: exercise text cannot define links in the Markdown transcript.
#[test]
fn markdown_transcripts_escape_link_definitions() {
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "s.yaml", SMALL);
    let script = write(
        d.path(),
        "ex.yaml",
        "title: t\nobjectives:\n  - \"[runbook]: https://evil.example/phish\"\n  - \"[x]: javascript:alert(1)\"\nfacilitator_notes: \"[n]: https://evil.example\"\nsteps:\n  - {at: 0, do: step, note: \"[s]: https://evil.example\"}\n",
    );
    let t = d.path().join("t.md");
    let o = ztsim(&[
        "tabletop",
        s(&f),
        "--script",
        s(&script),
        "--transcript",
        s(&t),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let md = std::fs::read_to_string(&t).unwrap();
    for l in md.lines() {
        let l = l.trim_start_matches(|c: char| c.is_ascii_digit() || ". >|".contains(c));
        assert!(!l.starts_with('['), "link definition survives: {l}");
    }
    assert!(md.contains("\\[runbook]"), "{md}");
    assert!(md.contains("1. \\[x]: javascript"), "{md}");
}

/// Bug 7: a scenario control set cannot take a preset's name, catalog syntax or no name.
#[test]
fn scenario_control_sets_cannot_shadow_presets_or_catalog_syntax() {
    let d = tempfile::tempdir().unwrap();
    for (name, needle) in [
        ("initial", "already names a preset"),
        ("C01+C14", "already names a preset"),
        ("initial+C14", "already names a preset"),
        ("\"\"", "non-empty name"),
    ] {
        let f = write(
            d.path(),
            "s.yaml",
            format!("{SMALL}control_sets:\n  - name: {name}\n    controls: [C01]\n"),
        );
        let o = ztsim(&["validate", s(&f)]);
        assert_rejected(&o, &["control_sets[0].name", needle]);
    }
    // An ordinary name with a `+` that is no catalog syntax stays allowed.
    let f = write(
        d.path(),
        "s.yaml",
        format!("{SMALL}control_sets:\n  - name: \"edr+mfa\"\n    controls: [C01]\n"),
    );
    let o = ztsim(&["validate", s(&f)]);
    assert!(o.status.success(), "{}", text(&o));
}

/// Bug 8: a non-UTF-8 line at the tabletop prompt is refused and the session goes on; the
/// transcript is written on every way out, an error included.
#[test]
fn tabletop_survives_non_utf8_lines_and_always_writes_its_transcript() {
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "s.yaml", SMALL);
    let t = d.path().join("t.md");
    let mut child = Command::new(bin())
        .args(["tabletop", s(&f), "--transcript", s(&t)])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"step\n\xff\xfe bad \xc3\n step\nquit\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("line 2 is not UTF-8"), "{}", text(&o));
    assert_eq!(text(&o).matches("> step").count(), 2, "{}", text(&o));
    assert!(std::fs::read_to_string(&t).unwrap().contains("step"));
    // A script that fails to play still leaves its transcript.
    std::fs::remove_file(&t).unwrap();
    let script = write(
        d.path(),
        "ex.yaml",
        "title: t\nsteps:\n  - {at: 0, do: \"isolate no-such-asset\"}\n",
    );
    let o = ztsim(&[
        "tabletop",
        s(&f),
        "--script",
        s(&script),
        "--transcript",
        s(&t),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(t.exists(), "no transcript after an error: {}", text(&o));
}

/// Builds a zip of stored entries (names may repeat) in memory.
fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let (n, crc, len) = (name.as_bytes(), crc32(data), data.len() as u32);
        let at = out.len() as u32;
        let head = |sig: u32, central: bool| {
            let mut h = Vec::new();
            h.extend_from_slice(&sig.to_le_bytes());
            if central {
                h.extend_from_slice(&20u16.to_le_bytes());
            }
            for v in [20u16, 0, 0, 0, 0] {
                h.extend_from_slice(&v.to_le_bytes());
            }
            for v in [crc, len, len] {
                h.extend_from_slice(&v.to_le_bytes());
            }
            h.extend_from_slice(&(n.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes());
            if central {
                h.extend_from_slice(&[0; 10]);
                h.extend_from_slice(&at.to_le_bytes());
            }
            h.extend_from_slice(n);
            h
        };
        let local = head(0x04034b50, false);
        let cd = head(0x02014b50, true);
        out.extend_from_slice(&local);
        out.extend_from_slice(data);
        central.extend_from_slice(&cd);
    }
    let cd_at = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x06054b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    let count = entries.len() as u16;
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_at.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// Bug 9: two zip entries of the same name are refused, not merged silently.
#[test]
fn a_zip_with_two_entries_of_the_same_name_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let tiny = repo("tests/fixtures/sharphound/tiny");
    let users = std::fs::read(format!("{tiny}/users.json")).unwrap();
    let groups = std::fs::read(format!("{tiny}/groups.json")).unwrap();
    let z = write(
        d.path(),
        "dup.zip",
        zip_of(&[
            ("users.json", &users),
            ("groups.json", &groups),
            ("users.json", &users),
        ]),
    );
    let out = d.path().join("x.yaml");
    let o = ztsim(&["import", "bloodhound", s(&z), "-o", s(&out)]);
    assert_rejected(&o, &["two entries of the same name"]);
    assert!(!out.exists());
    // The same zip without the duplicate imports; an entry with an unsafe name is reported
    // and skipped, never extracted.
    let z = write(
        d.path(),
        "ok.zip",
        zip_of(&[
            ("users.json", &users),
            ("groups.json", &groups),
            ("../evil.json", &users),
        ]),
    );
    let o = ztsim(&["import", "bloodhound", s(&z), "-o", s(&out)]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("unsafe name"), "{}", text(&o));
    assert!(!d.path().parent().unwrap().join("evil.json").exists());
}

/// Bug 10: record counts and values that would wrap or overflow to infinity are refused.
#[test]
fn record_counts_and_values_that_overflow_are_refused() {
    let d = tempfile::tempdir().unwrap();
    for (asset, path) in [
        (
            "{id: db2, kind: database, records: 18446744073709551615}",
            "assets[3].records",
        ),
        (
            "{id: db2, kind: database, value: 1.7e308}",
            "assets[3].value",
        ),
    ] {
        let f = write(
            d.path(),
            "s.yaml",
            SMALL.replace("relations:", &format!("  - {asset}\nrelations:")),
        );
        assert_rejected(&ztsim(&["validate", s(&f)]), &[path, "largest accepted"]);
    }
    // Each within the bound, together over it: the sum is checked too.
    let big = 1u64 << 52;
    let f = write(
        d.path(),
        "s.yaml",
        SMALL.replace(
            "relations:",
            &format!("  - {{id: a1, kind: database, records: {big}}}\n  - {{id: a2, kind: database, records: {big}}}\n  - {{id: a3, kind: database, records: {big}}}\nrelations:"),
        ),
    );
    assert_rejected(
        &ztsim(&["validate", s(&f)]),
        &["assets[5].records", "add up"],
    );
    let f = write(
        d.path(),
        "s.yaml",
        SMALL.replace(
            "relations:",
            "simulation: {horizon_hours: 1.7e308}\nrelations:",
        ),
    );
    assert_rejected(&ztsim(&["validate", s(&f)]), &["simulation.horizon_hours"]);
}

/// Bug 11: `--progress-interval` out of range is a usage error, not a panic.
#[test]
fn sweep_progress_interval_is_validated() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "s.yaml", SMALL);
    let spec = write(d.path(), "spec.yaml", "trials: 5\nscenarios: [s.yaml]\n");
    for v in ["1e20", "inf", "NaN", "-1"] {
        let o = ztsim(&[
            "sweep",
            s(&spec),
            "--out",
            s(&d.path().join("o")),
            &format!("--progress-interval={v}"),
        ]);
        assert_rejected(&o, &["--progress-interval"]);
    }
}

/// Bug 12: a duration too large to read back is refused when typed, so a saved session
/// always replays.
#[test]
fn tabletop_durations_that_cannot_replay_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "s.yaml", SMALL);
    let saved = d.path().join("saved.yaml");
    let mut child = Command::new(bin())
        .args(["tabletop", s(&f)])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = format!(
        "run until time 1e307d\nstep 1e307d\nstep 2h\nsave {}\nquit\n",
        saved.display()
    );
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(!t.contains("inf"), "{t}");
    let saved_text = std::fs::read_to_string(&saved).unwrap();
    assert!(!saved_text.contains("inf"), "{saved_text}");
    let o = ztsim(&["tabletop", s(&f), "--script", s(&saved)]);
    assert!(
        o.status.success(),
        "the saved session does not replay: {}",
        text(&o)
    );
}

/// Bug 13: `paths -k 0` is refused.
#[test]
fn paths_with_k_zero_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "s.yaml", SMALL);
    let o = ztsim(&["paths", s(&f), "-k", "0"]);
    assert_rejected(&o, &["-k", "0"]);
    assert!(!text(&o).contains("cannot be reached"), "{}", text(&o));
}

/// Bug 14: repeated relations are counted once, with a warning, so copies change nothing.
#[test]
fn duplicate_relations_are_counted_once_with_a_warning() {
    let d = tempfile::tempdir().unwrap();
    let line = "  - {type: has_session, from: ws1, to: u1}\n";
    let dup = write(d.path(), "dup.yaml", SMALL.replace(line, &line.repeat(200)));
    let one = write(d.path(), "one.yaml", SMALL);
    let o = ztsim(&["validate", s(&dup)]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("duplicate of relations[0]"),
        "{}",
        text(&o)
    );
    assert!(text(&o).contains("2 relations"), "{}", text(&o));
    let json = |f: &Path| {
        let o = ztsim(&["run", s(f), "--trials", "300", "--seed", "7", "--json"]);
        assert!(o.status.success(), "{}", text(&o));
        let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert!(v["control_sets"].is_array(), "{v}");
        v["control_sets"].take()
    };
    assert_eq!(json(&dup), json(&one));
}

/// Writes a one-file SharpHound users collection with the given objects into `dir`.
fn users_file(dir: &Path, name: &str, version: &str, objects: &[String]) -> PathBuf {
    write(
        dir,
        name,
        format!(
            "{{\"meta\": {{\"type\": \"users\", \"version\": {version}, \"count\": {}}}, \"data\": [{}]}}",
            objects.len(),
            objects.join(",")
        ),
    )
}

fn user_object(id: &str, name: &str) -> String {
    format!(
        "{{\"ObjectIdentifier\": \"{id}\", \"Properties\": {{\"name\": \"{name}\", \"domain\": \"CORP.LOCAL\", \"enabled\": true}}, \"Aces\": []}}"
    )
}

/// Bug 15: an ObjectIdentifier that differs from an earlier one only in letter case keeps
/// the first object and is reported; one repeated exactly is merged and reported.
#[test]
fn duplicate_object_identifiers_are_reported() {
    let d = tempfile::tempdir().unwrap();
    let f = users_file(
        d.path(),
        "users.json",
        "6",
        &[
            user_object("S-1-5-21-1-2-3-1001", "ALICE@CORP.LOCAL"),
            user_object("s-1-5-21-1-2-3-1001", "MALLORY@CORP.LOCAL"),
        ],
    );
    let out = d.path().join("x.yaml");
    let o = ztsim(&["import", "bloodhound", s(&f), "-o", s(&out)]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("only in letter case"), "{}", text(&o));
    let y = std::fs::read_to_string(&out).unwrap();
    assert!(y.contains("ALICE") && !y.contains("MALLORY"), "{y}");
    // The same spelling twice is merged, as BloodHound merges it, and reported.
    let f = users_file(
        d.path(),
        "users.json",
        "6",
        &[
            user_object("S-1-5-21-1-2-3-1001", "ALICE@CORP.LOCAL"),
            user_object("S-1-5-21-1-2-3-1001", "ALICE@CORP.LOCAL"),
        ],
    );
    let o = ztsim(&["import", "bloodhound", s(&f), "-o", s(&out)]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("collected more than once"),
        "{}",
        text(&o)
    );
}

/// Bug 16: meta.version is checked: 5 and 6 are read, anything unknown is refused.
#[test]
fn unsupported_sharphound_versions_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let obj = [user_object("S-1-5-21-1-2-3-1001", "ALICE@CORP.LOCAL")];
    for v in ["7", "-1", "6.5", "1e300", "null", "[6]", "\"6\""] {
        let f = users_file(d.path(), "users.json", v, &obj);
        let o = ztsim(&[
            "import",
            "bloodhound",
            s(&f),
            "-o",
            s(&d.path().join("x.yaml")),
        ]);
        assert_rejected(&o, &["meta.version", "versions 5 and 6"]);
    }
    for v in ["5", "6"] {
        let f = users_file(d.path(), "users.json", v, &obj);
        let o = ztsim(&[
            "import",
            "bloodhound",
            s(&f),
            "-o",
            s(&d.path().join("x.yaml")),
        ]);
        assert!(o.status.success(), "v{v}: {}", text(&o));
    }
}

/// Bug 17: a JSON scenario starting with a UTF-8 byte-order mark loads.
#[test]
fn a_json_scenario_with_a_byte_order_mark_loads() {
    let d = tempfile::tempdir().unwrap();
    let json = "\u{feff}{\"name\": \"bom\", \"assets\": [{\"id\": \"u1\", \"kind\": \"user\"}, {\"id\": \"db\", \"kind\": \"database\", \"crown_jewel\": true}], \"relations\": [{\"type\": \"reads\", \"from\": \"u1\", \"to\": \"db\"}]}";
    let f = write(d.path(), "bom.json", json);
    let o = ztsim(&["validate", s(&f)]);
    assert!(o.status.success(), "{}", text(&o));
}

/// Bug 18: over `ulimit -f`, the write fails with a message and exit 1, and no temporary
/// is left (SIGXFSZ no longer kills ztsim silently).
#[test]
fn a_file_size_limit_is_a_clear_write_error() {
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "s.yaml", SMALL);
    let out = d.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let o = ztsim_sh(
        "ulimit -f 1",
        &["run", s(&f), "--trials", "2000", "--out", s(&out)],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("cannot write"), "{}", text(&o));
    let left: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// Bug 19: an over-long object name is counted as not understood, naming the object; the
/// import goes on.
#[test]
fn an_over_long_object_name_is_not_understood_not_fatal() {
    let d = tempfile::tempdir().unwrap();
    let f = users_file(
        d.path(),
        "users.json",
        "6",
        &[
            user_object("S-1-5-21-1-2-3-1001", "ALICE@CORP.LOCAL"),
            user_object("S-1-5-21-1-2-3-1002", &"N".repeat(5000)),
        ],
    );
    let out = d.path().join("x.yaml");
    let o = ztsim(&["import", "bloodhound", s(&f), "-o", s(&out)]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("S-1-5-21-1-2-3-1002") && t.contains("5000 bytes"),
        "{t}"
    );
    assert!(!t.contains("imported scenario"), "{t}");
}

/// Bug 20: a sweep refuses an output directory another sweep holds.
#[test]
fn a_second_sweep_into_a_locked_directory_is_refused() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "s.yaml", SMALL);
    let spec = write(d.path(), "spec.yaml", "trials: 5\nscenarios: [s.yaml]\n");
    let out = d.path().join("o");
    std::fs::create_dir(&out).unwrap();
    let held = std::fs::File::create(out.join(".ztsim.lock")).unwrap();
    held.try_lock().unwrap();
    let o = ztsim(&["sweep", s(&spec), "--out", s(&out), "--quiet"]);
    assert_rejected(&o, &["in use by another ztsim sweep"]);
    assert!(!out.join("manifest.json").exists());
    drop(held);
    let o = ztsim(&["sweep", s(&spec), "--out", s(&out), "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
}

/// Bug 21: `--trials 0` is refused on the command line as in a file.
#[test]
fn trials_zero_on_the_command_line_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "s.yaml", SMALL);
    for args in [
        vec!["run", s(&f), "--trials", "0"],
        vec!["compare", s(&f), "--trials", "0"],
        vec!["chokepoints", s(&f), "--trials", "0"],
    ] {
        let o = ztsim(&args);
        assert_rejected(&o, &["--trials", "0"]);
    }
}

/// A reader that goes away early (`ztsim controls | head -1`) ends ztsim quietly and with
/// success, as ripgrep does: no panic, no "Broken pipe" message, exit 0. Both ways a write
/// can fail are covered: `println!` (the tables) and an error returned (`run --json`).
#[test]
fn a_closed_output_pipe_ends_quietly_with_success() {
    use std::io::Read;
    for args in [
        &["controls"][..],
        &["techniques"],
        &["run", "scenarios/flat-ad.yaml", "--trials", "20", "--json"],
        &["export", "scenarios/flat-ad.yaml", "--format", "dot"],
    ] {
        let mut child = Command::new(bin())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Close the reading end at once: every write then hits a closed pipe.
        drop(child.stdout.take());
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        let status = child.wait().unwrap();
        assert!(status.success(), "{args:?}: {status:?}: {err}");
        assert!(err.is_empty(), "{args:?}: {err}");
    }
}
