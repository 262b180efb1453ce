//! Resource limits on untrusted input: file size, counts, nesting, string length, YAML
//! alias expansion. Defaults are generous enough for a 1,000,000-asset estate; every limit
//! can be raised from the command line.

use crate::error::Diagnostic;

#[derive(Clone, Debug)]
pub struct Limits {
    pub max_file_bytes: u64,
    pub max_assets: usize,
    pub max_relations: usize,
    pub max_string_len: usize,
    pub max_depth: usize,
    pub max_aliases: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 1 << 30,
            max_assets: 5_000_000,
            max_relations: 50_000_000,
            max_string_len: 4096,
            max_depth: 64,
            max_aliases: 10_000,
        }
    }
}

impl Limits {
    /// The YAML parser's budget: bounds events, nodes, depth and aliases so that a "billion
    /// laughs" document fails fast instead of expanding.
    pub fn yaml_budget(&self) -> serde_saphyr::Budget {
        let scale = (self.max_file_bytes as usize).max(1 << 20);
        let mut b = serde_saphyr::Budget::default();
        b.max_events = scale;
        b.max_nodes = scale;
        b.max_total_scalar_bytes = scale;
        b.max_depth = self.max_depth;
        b.max_aliases = self.max_aliases;
        b.max_anchors = self.max_aliases;
        b.max_reader_input_bytes = Some(scale);
        b
    }

    /// Cheap checks on the raw text before any parser sees it.
    pub fn check_text(&self, text: &str) -> Option<Diagnostic> {
        if text.len() as u64 > self.max_file_bytes {
            return Some(
                Diagnostic::error(
                    "",
                    format!(
                        "input is {} bytes, over the limit of {}",
                        text.len(),
                        self.max_file_bytes
                    ),
                )
                .with_hint("raise the limit with --max-file-bytes if the file is trusted"),
            );
        }
        None
    }
}
