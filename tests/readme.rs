//! The README's sample output is a real run: this test reruns the command shown in the
//! "What you get" block and compares its standard output with the block, byte for byte.
//! `ZTSIM_BLESS=1 cargo test --test readme` rewrites the block after a deliberate change.

mod common;

use common::ztsim;

const FENCE: &str = "```\n";
const PROMPT: &str = "$ ztsim ";

/// The first fenced block that starts with a `$ ztsim run` prompt: (its command line, its
/// output, the byte range of the output in the README).
fn sample(readme: &str) -> (String, String, std::ops::Range<usize>) {
    let at = readme
        .find(&format!("{FENCE}{PROMPT}run "))
        .expect("README has a ```\\n$ ztsim run block");
    let cmd_start = at + FENCE.len() + PROMPT.len();
    let cmd_end = cmd_start + readme[cmd_start..].find('\n').expect("command line ends");
    let out_start = cmd_end + 1;
    let out_end = out_start + readme[out_start..].find(FENCE).expect("block is closed");
    (
        readme[cmd_start..cmd_end].to_string(),
        readme[out_start..out_end].to_string(),
        out_start..out_end,
    )
}

#[test]
fn the_readme_sample_output_is_what_ztsim_prints() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).expect("README.md");
    let (command, shown, range) = sample(&readme);
    let out = ztsim()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(command.split_whitespace())
        // The width a reader without a terminal gets; the test's own terminal must not leak in.
        .env("COLUMNS", "100")
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "`ztsim {command}` failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).expect("UTF-8");
    if printed != shown && std::env::var_os("ZTSIM_BLESS").is_some() {
        let mut updated = readme.clone();
        updated.replace_range(range, &printed);
        std::fs::write(path, updated).expect("README.md rewritten");
        return;
    }
    assert_eq!(
        printed, shown,
        "README.md's sample of `ztsim {command}` is stale; if the change is deliberate, \
         rerun with ZTSIM_BLESS=1 to rewrite it"
    );
}

#[test]
fn the_sample_block_is_found_and_has_a_table() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let (command, shown, _) = sample(&readme);
    assert!(command.starts_with("run scenarios/"), "{command}");
    assert!(shown.contains("blast radius"), "{shown}");
}
