//! Narration: the engine's journal in plain words. Each journal entry becomes at most one
//! [`Line`] with a time, a tag (what kind of news it is, and so who may see it) and a
//! sentence naming the assets by display name and id and the ATT&CK technique by id and
//! name. The same lines feed the live terminal output and the Markdown transcript.

use super::command::fmt_time;
use crate::estate::{Estate, INTERNET, NO_SOURCE, NodeId, bits};
use crate::sim::{Happening, JournalEntry};
use crate::techniques::TechniqueCatalog;

/// What a line is about; decides whether the defenders' (trainer) view shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    /// An attack step the defenders got an alert for.
    Alert,
    /// An attack step nobody saw (god view only).
    Unseen,
    /// An attack step cut short by containment (god view only).
    Aborted,
    /// What the attacker gained from an inject (god view only).
    Gain,
    /// A crown jewel fell (god view only).
    CrownJewel,
    /// What a defender action took from the attacker (god view only).
    Effect,
    /// A defender action took effect (containment, revocation).
    Defender,
    /// An automatic response was scheduled after an alert.
    Response,
    /// Session information (controls switched, clock moved, the end of the attack).
    Info,
}

impl Tag {
    pub(crate) fn visible(self, god: bool) -> bool {
        god || !matches!(
            self,
            Tag::Unseen | Tag::Aborted | Tag::Gain | Tag::CrownJewel | Tag::Effect
        )
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            Tag::Alert => "ALERT",
            Tag::Unseen => "(no alert)",
            Tag::Aborted => "(aborted)",
            Tag::Gain => "(gain)",
            Tag::CrownJewel => "CROWN JEWEL",
            Tag::Effect => "(effect)",
            Tag::Defender => "DEFENDER",
            Tag::Response => "RESPONSE",
            Tag::Info => "",
        }
    }
}

/// One line of narration.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// Exercise time, in hours since the start.
    pub t: f64,
    /// What kind of event it tells, and who may see it.
    pub tag: Tag,
    /// The sentence.
    pub text: String,
}

impl Line {
    pub(crate) fn info(t: f64, text: impl Into<String>) -> Line {
        Line {
            t,
            tag: Tag::Info,
            text: text.into(),
        }
    }

    /// `T+02:15  ALERT       The attacker ...` (untrusted names made terminal-safe).
    pub fn render(&self) -> String {
        crate::report::terminal_safe(&format!(
            "{}  {:<11} {}",
            fmt_time(self.t),
            self.tag.label(),
            self.text
        ))
    }
}

/// An asset as people read it: `Display name (id)`, or the id alone when it has no name.
pub fn label(est: &Estate, n: NodeId) -> String {
    if n == NO_SOURCE {
        return "the network".into();
    }
    let node = est.node(n);
    if node.virtual_kind.is_some() {
        return node.name.clone();
    }
    if n == INTERNET {
        return "the internet".into();
    }
    if node.name == node.id {
        node.id.clone()
    } else {
        format!("{} ({})", node.name, node.id)
    }
}

/// State bits in words.
pub fn bits_words(b: u8) -> String {
    let names = [
        (bits::ACCESS, "access"),
        (bits::ADMIN, "admin"),
        (bits::PASSWORD, "password"),
        (bits::HASH, "password hash"),
        (bits::TOKEN, "session token"),
        (bits::SIGNED_IN, "signed-in session"),
        (bits::EXFIL, "exfiltrated copy"),
        (bits::IMPACT, "encrypted/destroyed"),
    ];
    let v: Vec<&str> = names
        .iter()
        .filter(|(m, _)| b & m != 0)
        .map(|(_, s)| *s)
        .collect();
    if v.is_empty() {
        "nothing".into()
    } else {
        v.join(", ")
    }
}

/// What the attacker did with attack edge `e`, as a phrase after "The attacker".
pub fn phrase(est: &Estate, e: u32) -> String {
    let edge = &est.edges[e as usize];
    let tc = TechniqueCatalog::builtin();
    let t = tc.get(edge.tech);
    let src = label(est, edge.src);
    let dst = label(est, edge.dst);
    let src_is_identity = edge.src != NO_SOURCE
        && est.node(edge.src).kind.is_identity()
        && est.node(edge.src).virtual_kind.is_none();
    let creds = if src_is_identity && est.node(edge.src).kind == crate::model::AssetKind::Group {
        format!("the rights of a member of {src}")
    } else if src_is_identity {
        format!("stolen credentials of {src}")
    } else {
        format!("credentials from {src}")
    };
    if let Some(text) = intrusion_phrase(est, edge, t.id.as_str(), &src, &dst) {
        return text;
    }
    match t.id.as_str() {
        "T1566.001" => format!("sent a malicious attachment that a user opened on {dst}"),
        "T1566.002" => format!("phished the password of {dst} with a fake sign-in page"),
        "T1110.003" => format!("sprayed common passwords against the account of {dst}"),
        "T1078.004" if edge.src == edge.dst => {
            format!("signed in to the cloud identity provider as {dst} with its password")
        }
        "T1078.004" => format!("signed in to {dst} with {creds}"),
        "T1550.004" if edge.src == edge.dst => {
            format!("replayed a stolen session cookie of {dst}")
        }
        "T1550.004" | "T1550.001" => format!("used a stolen session of {src} on {dst}"),
        "T1078.002" => format!("used {creds} to log on to {dst}"),
        "T1078" if src_is_identity => format!("used {creds} to sign in to {dst}"),
        "T1078" => format!("used its admin rights on {src} to take over {dst}"),
        "T1133" => format!("connected to {dst} with {creds}"),
        "T1190" => format!("exploited a vulnerability in the internet-facing {dst}"),
        "T1210" => format!("exploited a vulnerable service on {dst}"),
        "T1003.001" => {
            format!("dumped LSASS memory on {src} and got the password hash of {dst}")
        }
        "T1003.002" => format!("dumped the SAM database of {src} and got the {dst} hash"),
        "T1003.006" => format!("ran DCSync against {src} and got every password hash of {dst}"),
        "T1558.003" => format!("Kerberoasted {dst} and cracked its password"),
        "T1539" => format!("stole the web session cookie of {dst} from {src}"),
        "T1528" => format!("stole access tokens of {dst} from {src}"),
        "T1550.002" if est.node(edge.src).virtual_kind.is_some() => {
            format!("passed the shared local administrator hash to get admin on {dst}")
        }
        "T1550.002" => format!("passed the hash of {src} to get admin on {dst} over SMB"),
        "T1021.001" => format!("used {creds} to log on to {dst} over RDP"),
        "T1021.002" => format!("used {creds} to get admin on {dst} over SMB admin shares"),
        "T1021.004" => format!("used {creds} to log on to {dst} over SSH"),
        "T1021.006" => format!("used {creds} to run commands on {dst} over WinRM"),
        "T1021.007" => format!("used its admin rights on {src} to take over {dst}"),
        "T1068" => format!("escalated to administrator on {dst} through an unpatched flaw"),
        "T1098" => format!("used its admin rights on {src} to take over the account of {dst}"),
        "T1606" => format!("forged credentials with {src} to take over {dst}"),
        "T1199" => format!("abused the trust of {dst} in {src}"),
        "T1557" => {
            format!("poisoned name resolution in {src} and caught the password hash of {dst}")
        }
        "T1530" | "T1213" | "T1114" => format!("read {dst} with the access of {src}"),
        "T1005" => format!("collected {dst} from {src}"),
        "T1567" => format!("exfiltrated a copy of {dst}"),
        "T1486" => format!("encrypted {dst}"),
        "T1490" => format!("destroyed the backups in {dst}"),
        _ if edge.src == NO_SOURCE || edge.src == edge.dst => format!("acted on {dst}"),
        _ => format!("moved from {src} to {dst}"),
    }
}

/// The phrase for a step of the intrusion model's rules (discovery, credentials as
/// objects, shared content) and of the directory takeovers, or `None` for the older rules.
fn intrusion_phrase(
    est: &Estate,
    edge: &crate::estate::AttackEdge,
    tech: &str,
    src: &str,
    dst: &str,
) -> Option<String> {
    let kind = |n: NodeId| (n != NO_SOURCE).then(|| est.node(n).kind);
    let from_credential = kind(edge.src) == Some(crate::model::AssetKind::Credential);
    // A principal acting on another account's directory object (src/rules/takeover.rs).
    let principal = kind(edge.src).is_some_and(|k| k.is_identity())
        && kind(edge.dst).is_some_and(|k| k.is_identity())
        && est.node(edge.src).virtual_kind.is_none();
    let rights = format!("the rights of {src}");
    let at = label(est, edge.at);
    Some(match tech {
        "T1046" => format!("scanned {dst} for live hosts and open services"),
        "T1087.002" => format!("listed the computers and accounts of {dst} as a domain user"),
        "T1552.001" | "T1552.004" if edge.src == INTERNET => {
            format!("found {dst} exposed by {at}")
        }
        "T1552.001" | "T1552.004" => format!("found {dst} in {src}"),
        "T1080" => format!("planted code in {src} that {dst} runs"),
        "T1072" => format!("pushed its code through {src} to {dst}"),
        "T1195.002" => format!("poisoned {src}, which {dst} builds from"),
        "T1078" | "T1021.004" | "T1550.001" | "T1550.002" | "T1550.004" if from_credential => {
            format!("signed in to {dst} with {src}")
        }
        "T1098" if principal => format!("reset the password of {dst} with {rights}"),
        "T1556" => format!("added a key credential to {dst} with {rights} (shadow credentials)"),
        "T1558.003" if principal => {
            format!("set an SPN on {dst} with {rights}, Kerberoasted it and cracked its password")
        }
        "T1555" => format!("read the managed password of {dst} with {rights}"),
        "T1222.001" => {
            format!("granted itself control of {dst} with {rights} and reset its password")
        }
        "T1187" => format!(
            "made a domain controller authenticate to {src} and replicated {dst} with its ticket"
        ),
        "T1484.001" => format!("pushed a Group Policy to {dst} with {rights}"),
        "T1649" => certificate_phrase(est, edge, src, dst),
        // The Entra and Azure control plane (src/rules/entra.rs).
        "T1098.001" => format!("added a secret to {dst} with {rights} and signed in as it"),
        "T1098.007" => format!("added itself to {dst} with {rights}"),
        "T1098.003" => format!("assigned itself Global Administrator of {dst} with {rights}"),
        "T1651" => format!("ran a command on {dst} through the cloud API with {rights}"),
        "T1552.005" => format!("took the managed identity {dst}'s token from {src}"),
        _ => return None,
    })
}

/// The phrase for a certificate step (src/rules/certificates.rs), by where it starts.
fn certificate_phrase(
    est: &Estate,
    edge: &crate::estate::AttackEdge,
    src: &str,
    dst: &str,
) -> String {
    use crate::model::{AssetKind, RelationKind};
    if est.node(edge.src).virtual_kind.is_some() {
        return format!(
            "relayed a coerced domain controller to web enrollment and replicated {dst} with its certificate"
        );
    }
    if est.node(edge.src).kind == AssetKind::CertificateAuthority {
        return format!(
            "signed a certificate for an administrator with the key of {src} and replicated {dst}"
        );
    }
    if edge.relation == Some(RelationKind::OidGroupLink) {
        return format!(
            "enrolled, with the rights of {src}, in a certificate whose policy makes it a member of {dst}"
        );
    }
    format!(
        "obtained a certificate naming an administrator with the rights of {src} and replicated {dst}"
    )
}

/// `[T1021.001 Remote Desktop Protocol]`.
pub fn technique(est: &Estate, e: u32) -> String {
    let t = TechniqueCatalog::builtin().get(est.edges[e as usize].tech);
    format!("[{} {}]", t.id, t.name)
}

/// `(rule lateral.rdp)`: the attack rule behind edge `e` (see `ztsim rules`).
pub fn rule(est: &Estate, e: u32) -> String {
    let r = crate::rules::REGISTRY[est.origins[e as usize].rule() as usize];
    format!("(rule {})", r.id)
}

/// The sentence for a finished attack step.
pub fn step_sentence(est: &Estate, e: u32, success: bool) -> String {
    format!(
        "The attacker {} {}: {} {}",
        phrase(est, e),
        technique(est, e),
        if success { "success" } else { "failed" },
        rule(est, e)
    )
}

/// Narrates journal entries `from..to`. `first_gain[n]` is the journal index of the first
/// gain of node n (crown jewels are announced there); `inject` marks a slice produced by an
/// attacker inject, whose gains are news of their own.
pub fn narrate(
    est: &Estate,
    journal: &[JournalEntry],
    from: usize,
    to: usize,
    first_gain: &[usize],
    inject: bool,
) -> Vec<Line> {
    let mut out = Vec::new();
    for (i, j) in journal.iter().enumerate().take(to).skip(from) {
        let t = j.t;
        match &j.what {
            Happening::Started { .. } | Happening::Free { .. } => {}
            Happening::Finished {
                edge,
                success,
                detected,
                ..
            } => out.push(Line {
                t,
                tag: if *detected { Tag::Alert } else { Tag::Unseen },
                text: step_sentence(est, *edge, *success),
            }),
            Happening::Aborted { edge } => out.push(Line {
                t,
                tag: Tag::Aborted,
                text: format!(
                    "Cut short by containment: the attacker's attempt to act on {} {} {}",
                    label(est, est.edges[*edge as usize].dst),
                    technique(est, *edge),
                    rule(est, *edge)
                ),
            }),
            Happening::Gained { node, bits } => {
                let n = est.node(*node);
                if inject && n.virtual_kind.is_none() && *node != INTERNET {
                    out.push(Line {
                        t,
                        tag: Tag::Gain,
                        text: format!(
                            "The attacker now holds {} on {}",
                            bits_words(*bits),
                            label(est, *node)
                        ),
                    });
                }
                if n.crown_jewel && first_gain.get(*node as usize) == Some(&i) {
                    out.push(Line {
                        t,
                        tag: Tag::CrownJewel,
                        text: format!("The attacker reached the crown jewel {}", label(est, *node)),
                    });
                }
            }
            Happening::ContainScheduled { node, at } => out.push(Line {
                t,
                tag: Tag::Response,
                text: format!(
                    "The SOC responds: {} will be contained at {}",
                    label(est, *node),
                    fmt_time(*at)
                ),
            }),
            Happening::Contained { node } => {
                let k = est.node(*node).kind;
                let what = if k.is_identity() {
                    "disabled"
                } else if k.is_app() {
                    "taken offline"
                } else if k.is_data() {
                    "locked down"
                } else {
                    "isolated"
                };
                out.push(Line {
                    t,
                    tag: Tag::Defender,
                    text: format!("{} is {what} (contained)", label(est, *node)),
                });
            }
            Happening::Revoked { node } => out.push(Line {
                t,
                tag: Tag::Effect,
                text: format!(
                    "The attacker lost the credentials and sessions it held for {}",
                    label(est, *node)
                ),
            }),
            Happening::EvictionScheduled { at } => out.push(Line {
                t,
                tag: Tag::Response,
                text: format!(
                    "The SOC opens an investigation: eviction planned for {}",
                    fmt_time(*at)
                ),
            }),
            Happening::Evicted { found, missed } => out.push(Line {
                t,
                tag: Tag::Defender,
                text: if *missed == 0 {
                    format!(
                        "The SOC evicts the intrusion: {found} holdings isolated, reset or revoked"
                    )
                } else {
                    format!(
                        "The SOC evicts the intrusion: {found} holdings isolated, reset or revoked; {missed} missed by the investigation"
                    )
                },
            }),
        }
    }
    // A response to a step from a node to itself is scheduled once per end: say it once.
    out.dedup();
    out
}

/// Per node, the journal index of its first gain (`usize::MAX` if none).
pub fn first_gains(nodes: usize, journal: &[JournalEntry]) -> Vec<usize> {
    let mut v = vec![usize::MAX; nodes];
    for (i, j) in journal.iter().enumerate() {
        if let Happening::Gained { node, .. } = j.what
            && v[node as usize] == usize::MAX
        {
            v[node as usize] = i;
        }
    }
    v
}
