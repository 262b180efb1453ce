//! The timeline a view sends, kept as JSON text per event: alerts and attack steps from the
//! engine's journal, the room's events and the facilitator's notices. Each event is written
//! out once and kept (the journal and the room's events only grow within a line of play),
//! so a view costs a filter and a sort, not a serialisation of the whole exercise; and a
//! socket that has the first `n` events of a line is sent only the rest.

use super::Room;
use super::request::Who;
use crate::estate::NO_SOURCE;
use crate::sim::Happening;
use crate::tabletop::exercise::Channel;
use crate::tabletop::narrate;
use serde_json::json;
use std::sync::Arc;

/// One journal event: an alert, or an attack step (the facilitator's, or after a reveal).
pub(super) struct JournalItem {
    t: f64,
    alert: bool,
    identity: bool,
    device: bool,
    json: Arc<str>,
}

/// The events written out so far.
#[derive(Default)]
pub(super) struct Items {
    line: u64,
    journal_seen: usize,
    journal: Vec<JournalItem>,
    play: Vec<(f64, Arc<str>)>,
    meta: Vec<(f64, Arc<str>)>,
}

/// What a socket was last sent: the line, how many events, the last one.
#[derive(Clone, Debug)]
pub struct Sent {
    line: u64,
    count: usize,
    last: Option<Arc<str>>,
}

fn text(v: &serde_json::Value) -> Arc<str> {
    v.to_string().into()
}

impl Room {
    /// Writes out the events not written yet.
    fn refresh_items(&self) {
        let mut it = self.items.borrow_mut();
        let journal = &self.session.state().journal;
        if it.line != self.line_version || journal.len() < it.journal_seen {
            it.line = self.line_version;
            it.journal_seen = 0;
            it.journal.clear();
            it.play.clear();
        }
        let est = self.session.estate();
        let tc = crate::techniques::TechniqueCatalog::builtin();
        for j in &journal[it.journal_seen..] {
            if let Happening::Finished {
                edge,
                success,
                detected,
                ..
            } = j.what
            {
                let e = &est.edges[edge as usize];
                let words = narrate::step_sentence(est, edge, success);
                let src = (e.src != NO_SOURCE).then(|| est.node(e.src).id.clone());
                let dst = est.node(e.dst).id.clone();
                if detected {
                    let names: Vec<u32> =
                        crate::tabletop::map::alert_names(est, edge, success).collect();
                    let kinds: Vec<_> = names.iter().map(|&n| est.node(n).kind).collect();
                    let assets: Vec<&str> =
                        names.iter().map(|&n| est.node(n).id.as_str()).collect();
                    it.journal.push(JournalItem {
                        t: j.t,
                        alert: true,
                        identity: kinds.iter().any(|k| k.is_identity()),
                        device: kinds.iter().any(|k| k.is_device() || k.is_app() || k.is_infra()),
                        json: text(&json!({"t": j.t, "kind": "alert", "text": words, "assets": assets, "seat": null})),
                    });
                }
                it.journal.push(JournalItem {
                    t: j.t,
                    alert: false,
                    identity: false,
                    device: false,
                    json: text(&json!({"t": j.t, "kind": "attack", "text": words, "assets": [src, dst], "seat": null, "technique": tc.get(e.tech).id, "success": success})),
                });
            }
        }
        it.journal_seen = journal.len();
        let from = it.play.len();
        for e in &self.play.events[from..] {
            it.play
                .push((e.t, text(&serde_json::to_value(e).unwrap_or_default())));
        }
        let from = it.meta.len();
        for e in &self.meta.events[from..] {
            it.meta
                .push((e.t, text(&serde_json::to_value(e).unwrap_or_default())));
        }
    }

    /// The events `who` sees, in time order, as JSON texts.
    pub(super) fn event_texts(&self, who: Who) -> Vec<Arc<str>> {
        self.refresh_items();
        let it = self.items.borrow();
        let ch = self.channels(who);
        let god = self.god(who);
        let mut out: Vec<(f64, Arc<str>)> = Vec::new();
        for j in it.journal.iter().filter(|j| j.alert) {
            if ch.contains(&Channel::Alerts)
                || (j.identity && ch.contains(&Channel::IdentityAlerts))
                || (j.device && ch.contains(&Channel::DeviceAlerts))
            {
                out.push((j.t, j.json.clone()));
            }
        }
        // The room's events and the notices, merged in time order as they were.
        let mut room: Vec<(f64, Arc<str>)> = Vec::new();
        for (e, x) in self.play.events.iter().zip(&it.play) {
            if self.sees(who, &e.to) {
                room.push(x.clone());
            }
        }
        for (e, x) in self.meta.events.iter().zip(&it.meta) {
            if self.sees(who, &e.to) {
                room.push(x.clone());
            }
        }
        room.sort_by(|a, b| a.0.total_cmp(&b.0));
        out.extend(room);
        if god {
            out.extend(
                it.journal
                    .iter()
                    .filter(|j| !j.alert)
                    .map(|j| (j.t, j.json.clone())),
            );
        }
        out.sort_by(|a, b| a.0.total_cmp(&b.0));
        out.into_iter().map(|(_, x)| x).collect()
    }

    /// The view for `who` as text: the whole view when `sent` is `None` or from another
    /// line; else only the events after those sent (`events_from` says how many the
    /// socket has). `sent` becomes what this sends.
    pub fn view_since(&self, who: Who, sent: &mut Option<Sent>) -> String {
        let (rest, events) = self.view_parts(who);
        let from = match sent {
            Some(s)
                if s.line == self.line_version
                    && s.count <= events.len()
                    && (s.count == 0 || Some(&events[s.count - 1]) == s.last.as_ref()) =>
            {
                s.count
            }
            _ => 0,
        };
        let mut list =
            String::with_capacity(2 + events[from..].iter().map(|e| e.len() + 1).sum::<usize>());
        list.push('[');
        for (i, e) in events[from..].iter().enumerate() {
            if i > 0 {
                list.push(',');
            }
            list.push_str(e);
        }
        list.push(']');
        let events_part = if from > 0 {
            format!("\"events\":{list},\"events_from\":{from}")
        } else {
            format!("\"events\":{list}")
        };
        *sent = Some(Sent {
            line: self.line_version,
            count: events.len(),
            last: events.last().cloned(),
        });
        let me = self.me(who).to_string();
        let body = rest.replacen("\"events\":null", &events_part, 1);
        match body.strip_prefix('{') {
            Some(r) if r.starts_with('}') => format!("{{\"me\":{me}}}"),
            Some(r) => format!("{{\"me\":{me},{r}"),
            None => body,
        }
    }
}
