//! A tabletop exercise room: one [`Session`] (the one engine) played by a facilitator and
//! seats of players in roles, as `ztsim serve` hosts it.
//!
//! - [`request`]: what the browser asks (player actions, facilitator commands) and the
//!   replies and refusals.
//! - [`play`]: the state of the line being played (events, pending actions, scores,
//!   fired injects), rebuilt from the requests that made it.
//! - [`clock`]: moving the clock, split at every modelled effect and scheduled inject.
//! - [`triggers`]: injects, hints and expectations.
//! - [`view`]: what each seat sees (its role's channels; the facilitator sees all).
//! - [`store`]: the session journal on disk, one accepted request a line.
//!
//! The room is event-sourced: its state is a pure function of the exercise, the scenario
//! and the accepted requests in order. Every accepted request is written to the journal
//! before it is answered, so a restarted server replays the journal into the same room;
//! a request's client id is remembered, so a repeat is answered and not applied again.
//! Rewind and branches work on the list of requests that made the current line.

pub mod clock;
pub mod play;
pub mod report;
pub mod request;
pub mod store;
pub mod timeline;
pub mod triggers;
pub mod view;

pub use request::{FacCommand, Reply, Request, RoomError, What, Who};

use crate::tabletop::exercise::{Action, LivePlay, Typed};
use crate::tabletop::session::Session;
use play::{Event, Meta, Play};
use std::collections::HashMap;

/// A seat: a join link for one player in a role.
#[derive(Clone, Debug)]
pub struct Seat {
    /// `soc-1`, `it-2`.
    pub id: String,
    /// Index of its role in the exercise's roles.
    pub role: usize,
    /// The seat's secret token.
    pub token: String,
}

/// The exercise's header as the room shows it.
#[derive(Clone, Debug, Default)]
pub struct Info {
    /// Title.
    pub title: String,
    /// Learning objectives.
    pub objectives: Vec<String>,
    /// Planned length in words.
    pub duration: Option<String>,
    /// Notes for the facilitator.
    pub notes: Option<String>,
}

/// The tokens of a room: the facilitator's and one per seat, in seat order.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tokens {
    /// The facilitator's token.
    pub facilitator: String,
    /// (seat id, token), in seat order.
    pub seats: Vec<(String, String)>,
}

impl Tokens {
    /// Fresh random tokens (128 bits each, from the operating system's generator) for
    /// the seats of `live`'s roles.
    pub fn fresh(live: &LivePlay) -> Tokens {
        let tok = || format!("{:032x}", rand::random::<u128>());
        Tokens {
            facilitator: tok(),
            seats: seat_ids(live)
                .into_iter()
                .map(|(id, _)| (id, tok()))
                .collect(),
        }
    }
}

/// Seat ids of the roles in order: `soc-1`, `soc-2`, `it-1`, with their role index.
pub fn seat_ids(live: &LivePlay) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (r, role) in live.roles.iter().enumerate() {
        for k in 1..=role.seats {
            out.push((format!("{}-{k}", role.id), r));
        }
    }
    out
}

/// A room: the session, the exercise's live-play part, the seats, and the play.
pub struct Room {
    session: Session,
    live: LivePlay,
    info: Info,
    seats: Vec<Seat>,
    facilitator_token: String,
    play: Play,
    meta: Meta,
    /// Every accepted request, in order (what the journal holds).
    raw: Vec<Request>,
    replies: HashMap<(Who, String), Reply>,
    store: Option<store::Store>,
    seq: u64,
    /// Open live connections per seat id (shown on the console).
    connected: std::collections::BTreeMap<String, u32>,
    /// During a rewind's rebuild: no clock move goes past this time.
    clock_cap: Option<f64>,
    /// Bumped when a seat connects or leaves (the console shows who is connected).
    conn_version: u64,
    /// Views built at (seq, conn_version), per role (`None`: the facilitator's).
    view_cache: std::cell::RefCell<ViewCache>,
    /// Bumped when the line is rebuilt (rewind, switch): events written out before are void.
    line_version: u64,
    /// The timeline's events written out as JSON.
    items: std::cell::RefCell<timeline::Items>,
}

/// A role's view but `me`, and its events, as text.
type ViewParts = (
    std::sync::Arc<str>,
    std::sync::Arc<Vec<std::sync::Arc<str>>>,
);

/// Views built at one (seq, connection version), per role (`None`: the facilitator's).
type ViewCache = ((u64, u64), HashMap<Option<usize>, ViewParts>);

impl Room {
    /// A room on a session at its start, with the given tokens (which must match the
    /// exercise's seats).
    pub fn new(
        session: Session,
        live: LivePlay,
        info: Info,
        tokens: Tokens,
    ) -> Result<Room, RoomError> {
        let ids = seat_ids(&live);
        if ids.len() != tokens.seats.len() || ids.iter().zip(&tokens.seats).any(|(a, b)| a.0 != b.0)
        {
            return Err(RoomError::new(
                "bad_request",
                "the saved seats do not match the exercise's roles",
            ));
        }
        let seats = ids
            .into_iter()
            .zip(tokens.seats)
            .map(|((id, role), (_, token))| Seat { id, role, token })
            .collect();
        let play = Play::new(&live);
        let mut room = Room {
            session,
            live,
            info,
            seats,
            facilitator_token: tokens.facilitator,
            play,
            meta: Meta::default(),
            raw: Vec::new(),
            replies: HashMap::new(),
            store: None,
            seq: 0,
            connected: Default::default(),
            clock_cap: None,
            conn_version: 0,
            view_cache: std::cell::RefCell::new(((u64::MAX, 0), HashMap::new())),
            line_version: 0,
            items: Default::default(),
        };
        // Injects at T+0 fire before anyone acts.
        room.process_due();
        Ok(room)
    }

    /// Attaches the journal: from now on every accepted request is written to it before
    /// it is answered.
    pub fn attach(&mut self, store: store::Store) {
        self.store = Some(store);
    }

    /// Counts a live connection of `who` opening (`true`) or closing.
    pub fn connection(&mut self, who: Who, open: bool) {
        if let Who::Seat(s) = who {
            let c = self.connected.entry(self.seats[s].id.clone()).or_insert(0);
            *c = if open { *c + 1 } else { c.saturating_sub(1) };
            self.conn_version += 1;
        }
    }

    /// The session being played.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The seats.
    pub fn seats(&self) -> &[Seat] {
        &self.seats
    }

    /// The facilitator's token.
    pub fn facilitator_token(&self) -> &str {
        &self.facilitator_token
    }

    /// The change counter: bumped by every accepted request.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The exercise's header.
    pub fn info(&self) -> &Info {
        &self.info
    }

    /// The live-play definitions.
    pub fn live(&self) -> &LivePlay {
        &self.live
    }

    /// Every accepted request, in order.
    pub fn requests(&self) -> &[Request] {
        &self.raw
    }

    /// Who holds `token` (compared in constant time per candidate).
    pub fn who(&self, token: &str) -> Result<Who, RoomError> {
        let eq = |a: &str, b: &str| {
            a.len() == b.len()
                && a.bytes()
                    .zip(b.bytes())
                    .fold(0u8, |acc, (x, y)| acc | (x ^ y))
                    == 0
        };
        if eq(token, &self.facilitator_token) {
            return Ok(Who::Facilitator);
        }
        self.seats
            .iter()
            .position(|s| eq(token, &s.token))
            .map(Who::Seat)
            .ok_or_else(|| {
                RoomError::new(
                    "bad_token",
                    "this link's token is not valid for this session",
                )
            })
    }

    fn who_name(&self, who: Who) -> String {
        match who {
            Who::Facilitator => "facilitator".into(),
            Who::Seat(i) => self.seats[i].id.clone(),
        }
    }

    fn who_of(&self, name: &str) -> Option<Who> {
        if name == "facilitator" {
            return Some(Who::Facilitator);
        }
        self.seats.iter().position(|s| s.id == name).map(Who::Seat)
    }

    /// Handles a request from the holder of `token`: checks who may ask it, answers a
    /// repeated id with the first reply, applies it, writes it to the journal, and
    /// answers. A refused request leaves the room as it was.
    pub fn handle(&mut self, token: &str, id: &str, what: What) -> Result<Reply, RoomError> {
        let who = self.who(token)?;
        request::check_id(id)?;
        if let Some(r) = self.replies.get(&(who, id.to_string())) {
            return Ok(Reply {
                duplicate: true,
                ..r.clone()
            });
        }
        self.permit(who, &what)?;
        let mut what = what;
        if let What::Facilitator(FacCommand::Reissue { new_token, .. }) = &mut what {
            if new_token.is_some() {
                return Err(RoomError::new(
                    "bad_request",
                    "the room chooses a new token; send only `seat`",
                ));
            }
            *new_token = Some(format!("{:032x}", rand::random::<u128>()));
        }
        let req = Request {
            who: self.who_name(who),
            id: id.to_string(),
            what,
        };
        // Check on a dry basis what can be checked without changing anything, then apply.
        self.precheck(who, &req.what)?;
        if let Some(store) = &mut self.store {
            store.append(&req).map_err(|e| {
                RoomError::new("storage", format!("the session could not be saved: {e}"))
            })?;
        }
        let reply = self.accept(who, req);
        Ok(reply)
    }

    /// Applies an accepted request (from a client, or replayed from the journal).
    fn accept(&mut self, who: Who, req: Request) -> Reply {
        let (text, effective_at) = self.apply(who, &req);
        self.seq += 1;
        let reply = Reply {
            ok: true,
            seq: self.seq,
            duplicate: false,
            text,
            effective_at,
        };
        self.replies.insert((who, req.id.clone()), reply.clone());
        self.raw.push(req);
        reply
    }

    /// Replays a journal's requests into a fresh room (a restarted server).
    pub fn replay(&mut self, reqs: Vec<Request>) -> Result<(), RoomError> {
        for (i, req) in reqs.into_iter().enumerate() {
            let who = self.who_of(&req.who).ok_or_else(|| {
                RoomError::new(
                    "bad_request",
                    format!("journal request {}: no seat `{}`", i + 1, req.who),
                )
            })?;
            self.precheck(who, &req.what).map_err(|e| {
                RoomError::new(
                    e.code,
                    format!(
                        "journal request {} (`{}`) no longer applies: {}",
                        i + 1,
                        req.id,
                        e.message
                    ),
                )
            })?;
            self.accept(who, req);
        }
        Ok(())
    }

    /// Whether `who` may ask `what` at all.
    fn permit(&self, who: Who, what: &What) -> Result<(), RoomError> {
        match (who, what) {
            (Who::Seat(_), What::Facilitator(_)) => Err(RoomError::new(
                "forbidden",
                "only the facilitator can give this command",
            )),
            (Who::Facilitator, What::Act { .. }) => Err(RoomError::new(
                "forbidden",
                "the facilitator acts through `inject`; player actions come from seats",
            )),
            _ => Ok(()),
        }
    }

    /// Every check a request must pass before it changes anything.
    fn precheck(&self, who: Who, what: &What) -> Result<(), RoomError> {
        if self.meta.ended && !matches!(what, What::Facilitator(FacCommand::Improve { .. })) {
            return Err(RoomError::new("ended", "the exercise has ended"));
        }
        match (who, what) {
            (Who::Seat(s), What::Act { action, target }) => {
                if self.meta.paused {
                    return Err(RoomError::new(
                        "paused",
                        "the facilitator has paused the exercise",
                    ));
                }
                self.check_act(s, action, target).map(|_| ())
            }
            (_, What::Facilitator(c)) => {
                if self.meta.paused && c.moves_play() {
                    return Err(RoomError::new(
                        "paused",
                        "resume the exercise first (pause off)",
                    ));
                }
                self.check_fac(c)
            }
            _ => Err(RoomError::new("forbidden", "not allowed")),
        }
    }

    /// Checks a player's action: the role may take it, the target exists and fits.
    fn check_act(&self, seat: usize, action: &str, target: &str) -> Result<Action, RoomError> {
        let role = &self.live.roles[self.seats[seat].role];
        let a = Action::from_name(action).ok_or_else(|| {
            RoomError::new(
                "unknown_action",
                format!(
                    "unknown action `{}`; the {} can {}",
                    crate::report::terminal_safe(action),
                    role.title,
                    role.can
                        .iter()
                        .map(|a| a.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
        if !role.can.contains(&a) {
            return Err(RoomError::new(
                "forbidden",
                format!(
                    "the {} cannot `{}`; that is another role's action",
                    role.title,
                    a.name()
                ),
            ));
        }
        if target.len() > 500 || target.chars().any(|c| c.is_control()) {
            return Err(RoomError::new(
                "bad_request",
                "the target is at most 500 characters, without control characters",
            ));
        }
        match a {
            Action::Decide if !role.decisions.iter().any(|d| d == target) => Err(RoomError::new(
                "unknown_target",
                format!("decide one of: {}", role.decisions.join(", ")),
            )),
            Action::Escalate | Action::Note if target.trim().is_empty() => Err(RoomError::new(
                "bad_request",
                "say what you escalate or note",
            )),
            _ => match a.command(target) {
                Some(cmd) => {
                    if target.is_empty() {
                        return Err(RoomError::new(
                            "unknown_target",
                            format!("`{}` needs a target", a.name()),
                        ));
                    }
                    self.session
                        .check_static(&cmd)
                        .map_err(|m| RoomError::new("unknown_target", m))?;
                    Ok(a)
                }
                None => Ok(a),
            },
        }
    }

    /// The current line's events, for views and the report.
    pub fn events(&self) -> Vec<&Event> {
        let mut v: Vec<&Event> = self.play.events.iter().chain(&self.meta.events).collect();
        v.sort_by(|a, b| a.t.total_cmp(&b.t));
        v
    }

    /// Expected action `e` as typed.
    fn expected(&self, e: usize) -> Typed {
        Typed::parse(&self.live.expectations[e].action).unwrap_or(Typed {
            action: Action::Note,
            target: String::new(),
        })
    }
}
