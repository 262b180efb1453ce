//! "Did you mean": the one rule for suggesting a known name in place of a mistyped one, used
//! by every message about an unknown id, field, variant, command or control.

/// How similar (Jaro-Winkler, 0 to 1) a candidate must be to be suggested.
const THRESHOLD: f64 = 0.8;

/// The known name `got` was probably meant to be: a candidate that differs from it only in
/// letter case or in the leading zeros of a number (`c1` for `C01`), else the most similar
/// candidate above [`THRESHOLD`]. Ties go to the alphabetically first candidate, so the
/// answer does not depend on the order of `candidates`.
pub(crate) fn did_you_mean<'a>(
    got: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let key = loose(got);
    let mut best: Option<(bool, f64, &'a str)> = None;
    for c in candidates {
        if c == got {
            continue;
        }
        let same = loose(c) == key;
        let score = strsim::jaro_winkler(got, c);
        if !same && score <= THRESHOLD {
            continue;
        }
        let better = match best {
            None => true,
            Some((b_same, b_score, b)) => {
                (same, score)
                    .partial_cmp(&(b_same, b_score))
                    .is_some_and(|o| o.is_gt())
                    || (same == b_same && score == b_score && c < b)
            }
        };
        if better {
            best = Some((same, score, c));
        }
    }
    best.map(|(_, _, c)| c)
}

/// The hint "did you mean `x`?" when [`did_you_mean`] finds a candidate.
pub(crate) fn did_you_mean_hint<'a>(
    got: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    did_you_mean(got, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// How many "did you mean" searches one input may cost: each search compares the name
/// with every candidate, so a file with N dangling references to N ids would otherwise take
/// time quadratic in its size. The first few errors get a suggestion, the rest a plain hint.
pub(crate) const MAX_HINT_SEARCHES: usize = 20;

/// A budget of [`did_you_mean_hint`] searches, for checks that may report many unknown
/// names: after [`MAX_HINT_SEARCHES`] searches it answers `None` without looking.
#[derive(Debug, Default)]
pub(crate) struct HintBudget {
    used: usize,
}

impl HintBudget {
    /// [`did_you_mean_hint`] while the budget lasts, else `None` (the candidates untouched).
    pub(crate) fn hint<'a>(
        &mut self,
        got: &str,
        candidates: impl IntoIterator<Item = &'a str>,
    ) -> Option<String> {
        if self.used >= MAX_HINT_SEARCHES {
            return None;
        }
        self.used += 1;
        did_you_mean_hint(got, candidates)
    }
}

/// A one-line message about an unknown name: `problem`, then "; did you mean `x`?" when there
/// is a suggestion, then where the names are listed (`listed`, e.g. "`help` lists them"): in
/// parentheses after a suggestion, after a semicolon without one.
pub(crate) fn unknown_message(
    problem: &str,
    suggestion: Option<&str>,
    listed: Option<&str>,
) -> String {
    match (suggestion, listed) {
        (Some(s), Some(l)) => format!("{problem}; did you mean `{s}`? ({l})"),
        (Some(s), None) => format!("{problem}; did you mean `{s}`?"),
        (None, Some(l)) => format!("{problem}; {l}"),
        (None, None) => problem.to_string(),
    }
}

/// `s` folded for the loose comparison: lower case, leading zeros of numbers dropped.
fn loose(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_digit = false;
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let next_digit = chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if c == '0' && !prev_digit && next_digit {
            continue;
        }
        prev_digit = c.is_ascii_digit();
        out.extend(c.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_name_above_the_threshold() {
        let fields = ["seed", "trials", "scenarios", "profiles"];
        assert_eq!(did_you_mean("trails", fields), Some("trials"));
        assert_eq!(did_you_mean("profils", fields), Some("profiles"));
        assert_eq!(did_you_mean("zzzzzz", fields), None);
        assert_eq!(
            did_you_mean("isolat", ["isolate", "status"]),
            Some("isolate")
        );
        assert_eq!(did_you_mean("srv-2", ["srv-1", "ws-1"]), Some("srv-1"));
        // The exact name is not a suggestion.
        assert_eq!(did_you_mean("seed", ["seed"]), None);
    }

    #[test]
    fn case_and_leading_zeros_beat_similarity() {
        let ids = ["C01", "C10", "C19", "C11"];
        assert_eq!(did_you_mean("C1", ids), Some("C01"));
        assert_eq!(did_you_mean("c01", ids), Some("C01"));
        assert_eq!(did_you_mean("C011", ids), Some("C11"));
        assert_eq!(loose("T1566.002"), "t1566.2");
        assert_eq!(loose("C100"), "c100");
    }

    #[test]
    fn ties_do_not_depend_on_order() {
        let a = did_you_mean("srv-1", ["srv-3", "srv-2"]);
        let b = did_you_mean("srv-1", ["srv-2", "srv-3"]);
        assert_eq!(a, b);
        assert_eq!(a, Some("srv-2"));
    }

    #[test]
    fn messages_have_one_shape() {
        assert_eq!(
            unknown_message("unknown command `x`", Some("y"), Some("`help` lists them")),
            "unknown command `x`; did you mean `y`? (`help` lists them)"
        );
        assert_eq!(
            unknown_message("unknown command `x`", None, Some("`help` lists them")),
            "unknown command `x`; `help` lists them"
        );
        assert_eq!(
            unknown_message("no asset `x`", Some("y"), None),
            "no asset `x`; did you mean `y`?"
        );
        assert_eq!(unknown_message("no asset `x`", None, None), "no asset `x`");
        assert_eq!(
            did_you_mean_hint("segmnt", ["segment", "kind"]).as_deref(),
            Some("did you mean `segment`?")
        );
    }

    #[test]
    fn hint_searches_are_capped() {
        let mut budget = HintBudget::default();
        let ids = ["alpha", "bravo"];
        for _ in 0..MAX_HINT_SEARCHES {
            assert!(budget.hint("alpah", ids.iter().copied()).is_some());
        }
        // Past the budget the candidates are not even looked at.
        let never = std::iter::from_fn(|| -> Option<&str> { panic!("searched") });
        assert!(budget.hint("alpah", never).is_none());
    }
}
