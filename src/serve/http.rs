//! The routes: pages, embedded assets, the JSON API, the WebSocket, the report.
//!
//! Every request that acts goes through [`crate::room::Room::handle`] under one lock, so
//! requests are applied one at a time in the order they are taken, each written to the
//! journal before it is answered. After each change the room's counter goes out on a
//! watch channel and every open socket sends its seat's new view.

use super::setup::Opened;
use crate::error::{Error, Result};
use crate::room::{FacCommand, Room, RoomError, What, Who};
use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::watch;

/// The least time between two views sent on one socket.
const VIEW_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// The largest request body or WebSocket message taken.
pub const MAX_MESSAGE: usize = 16 * 1024;

/// What every handler shares.
pub struct App {
    room: Mutex<Room>,
    changed: watch::Sender<u64>,
    /// Paired futures per counterfactual in the report.
    pub branches: u32,
    /// The last report built.
    pub report: super::report::Cache,
}

impl App {
    /// The room, locked. A panic while it was held leaves it as the last request left
    /// it (requests are checked before they change anything), so the lock is taken back.
    pub fn room(&self) -> MutexGuard<'_, Room> {
        self.room.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn notify(&self, seq: u64) {
        self.changed.send_replace(seq);
    }
}

type Shared = Arc<App>;
type Params = Query<HashMap<String, String>>;

/// The app's router on a room (tests drive it without a socket).
pub fn router(room: Room, branches: u32) -> (Router, Shared) {
    let (changed, _) = watch::channel(room.seq());
    let app = Arc::new(App {
        room: Mutex::new(room),
        changed,
        branches,
        report: Default::default(),
    });
    let r = Router::new()
        .route("/", get(|| async { Html(super::assets::INDEX) }))
        .route("/console", get(|| async { Html(super::assets::CONSOLE) }))
        .route("/seat", get(|| async { Html(super::assets::SEAT) }))
        .route("/assets/{*path}", get(asset))
        .route("/api/view", get(view))
        .route("/api/act", post(act))
        .route("/api/facilitator", post(facilitator))
        .route("/ws", get(socket))
        .layer(DefaultBodyLimit::max(MAX_MESSAGE))
        .with_state(app.clone());
    (super::report::routes(r, app.clone()), app)
}

/// Serves until Ctrl-C: prints where, and the join links.
pub async fn run(addr: SocketAddr, opened: Opened, branches: u32) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Error::Usage(format!("cannot listen on {addr}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| Error::Usage(format!("cannot listen on {addr}: {e}")))?;
    let base = format!("http://{local}");
    if !local.ip().is_loopback() {
        eprintln!(
            "WARNING: serving on {local}, which is not a loopback address: anyone who can reach it and holds a join link can play. Use --bind 127.0.0.1:PORT to keep it on this machine."
        );
    }
    if opened.resumed > 0 {
        eprintln!(
            "resumed the session in {} ({} request(s) replayed)",
            opened.journal.display(),
            opened.resumed
        );
    } else {
        eprintln!("new session, journal {}", opened.journal.display());
    }
    let (r, _app) = router(opened.room, branches);
    print_links(&base, &_app.room());
    axum::serve(listener, r)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| Error::Usage(format!("server error: {e}")))
}

fn print_links(base: &str, room: &Room) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "listening on {base}");
    let _ = writeln!(
        out,
        "facilitator: {base}/console?token={}",
        room.facilitator_token()
    );
    for s in room.seats() {
        let title = &room.live().roles[s.role].title;
        let _ = writeln!(
            out,
            "seat {} ({title}): {base}/seat?token={}",
            s.id, s.token
        );
    }
    let _ = out.flush();
}

/// A refusal as the API answers it.
pub fn refusal(e: &RoomError) -> Response {
    let code = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    (
        code,
        axum::Json(json!({"ok": false, "error": {"code": e.code, "message": e.message}})),
    )
        .into_response()
}

async fn asset(axum::extract::Path(path): axum::extract::Path<String>) -> Response {
    match super::assets::get(&path) {
        Some((ty, bytes)) => ([(header::CONTENT_TYPE, ty)], bytes).into_response(),
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}

fn token(q: &HashMap<String, String>) -> &str {
    q.get("token").map(String::as_str).unwrap_or("")
}

async fn view(State(app): State<Shared>, Query(q): Params) -> Response {
    let room = app.room();
    match room.who(token(&q)) {
        Ok(who) => (
            [(header::CONTENT_TYPE, "application/json")],
            room.view_text(who),
        )
            .into_response(),
        Err(e) => refusal(&e),
    }
}

/// Reads a request body: a JSON object with `token` and `id`.
fn body(
    b: std::result::Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> std::result::Result<serde_json::Map<String, Value>, RoomError> {
    let b = b.map_err(|_| {
        RoomError::new(
            "too_large",
            format!("a request is at most {MAX_MESSAGE} bytes"),
        )
    })?;
    match serde_json::from_slice::<Value>(&b) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(RoomError::new(
            "bad_request",
            "the body must be a JSON object",
        )),
    }
}

fn text_field(
    m: &serde_json::Map<String, Value>,
    k: &str,
) -> std::result::Result<String, RoomError> {
    match m.get(k) {
        Some(Value::String(s)) => Ok(s.clone()),
        None => Ok(String::new()),
        Some(_) => Err(RoomError::new(
            "bad_request",
            format!("`{k}` must be a string"),
        )),
    }
}

/// Parses what a message asks: a player action or a facilitator command.
fn what(
    m: &serde_json::Map<String, Value>,
    facilitator: bool,
) -> std::result::Result<What, RoomError> {
    if !facilitator {
        for k in m.keys() {
            if !matches!(k.as_str(), "token" | "id" | "action" | "target" | "type") {
                return Err(RoomError::new(
                    "bad_request",
                    format!("unknown field `{k}`"),
                ));
            }
        }
        return Ok(What::Act {
            action: text_field(m, "action")?,
            target: text_field(m, "target")?,
        });
    }
    let mut rest = m.clone();
    rest.remove("token");
    rest.remove("id");
    rest.remove("type");
    serde_json::from_value::<FacCommand>(Value::Object(rest))
        .map(What::Facilitator)
        .map_err(|e| RoomError::new("unknown_action", format!("facilitator command: {e}")))
}

/// Handles one action or command from a parsed message.
pub fn handle(
    app: &App,
    tok: &str,
    m: &serde_json::Map<String, Value>,
    facilitator: bool,
) -> std::result::Result<crate::room::Reply, RoomError> {
    let id = text_field(m, "id")?;
    let w = what(m, facilitator)?;
    let reply = app.room().handle(tok, &id, w)?;
    if !reply.duplicate {
        app.notify(reply.seq);
    }
    Ok(reply)
}

fn answer(
    app: &App,
    b: std::result::Result<Bytes, axum::extract::rejection::BytesRejection>,
    facilitator: bool,
) -> Response {
    let r = body(b).and_then(|m| {
        let tok = text_field(&m, "token")?;
        handle(app, &tok, &m, facilitator)
    });
    match r {
        Ok(reply) => axum::Json(reply).into_response(),
        Err(e) => refusal(&e),
    }
}

async fn act(
    State(app): State<Shared>,
    b: std::result::Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    answer(&app, b, false)
}

async fn facilitator(
    State(app): State<Shared>,
    b: std::result::Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    answer(&app, b, true)
}

async fn socket(ws: WebSocketUpgrade, State(app): State<Shared>, Query(q): Params) -> Response {
    let tok = token(&q).to_string();
    let who = match app.room().who(&tok) {
        Ok(w) => w,
        Err(e) => return refusal(&e),
    };
    ws.max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .on_upgrade(move |s| live(s, app, tok, who))
}

/// The view for a socket: whole the first time, then only the events it does not have.
fn view_message(app: &App, who: Who, sent: &mut Option<crate::room::timeline::Sent>) -> Message {
    let v = app.room().view_since(who, sent);
    Message::Text(format!("{{\"type\":\"view\",\"view\":{v}}}").into())
}

/// A seat's live connection: its view after every change; its actions answered.
async fn live(mut s: WebSocket, app: Shared, tok: String, who: Who) {
    let mut rx = app.changed.subscribe();
    app.room().connection(who, true);
    app.notify(app.room().seq());
    let mut sent = None;
    if s.send(view_message(&app, who, &mut sent)).await.is_ok() {
        // After a change, the view goes out a moment later, so a burst of changes (thirty
        // seats acting) costs one view per socket; actions are read and answered meanwhile.
        let mut due: Option<tokio::time::Instant> = None;
        loop {
            let wait = async {
                match due {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                msg = s.recv() => {
                    let Some(Ok(msg)) = msg else { break };
                    let out = match msg {
                        Message::Text(t) => frame(&app, &tok, who, t.as_str()),
                        Message::Binary(_) => Some(error_frame(&RoomError::new("bad_request", "send JSON text frames"))),
                        Message::Close(_) => break,
                        _ => None,
                    };
                    if let Some(o) = out && s.send(Message::Text(o.into())).await.is_err() {
                        break;
                    }
                }
                r = rx.changed(), if due.is_none() => {
                    if r.is_err() {
                        break;
                    }
                    due = Some(tokio::time::Instant::now() + VIEW_EVERY);
                }
                () = wait => {
                    due = None;
                    rx.borrow_and_update();
                    if s.send(view_message(&app, who, &mut sent)).await.is_err() {
                        break;
                    }
                }
            }
        }
    }
    app.room().connection(who, false);
    app.notify(app.room().seq());
}

fn error_frame(e: &RoomError) -> String {
    json!({"type": "error", "error": {"code": e.code, "message": e.message}}).to_string()
}

/// One text frame: an action or a command; the reply frame.
fn frame(app: &App, tok: &str, who: Who, text: &str) -> Option<String> {
    let m = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => m,
        _ => {
            return Some(error_frame(&RoomError::new(
                "bad_request",
                "a frame is a JSON object with `type`",
            )));
        }
    };
    let id = m.get("id").cloned().unwrap_or(Value::Null);
    let facilitator = match m.get("type").and_then(Value::as_str) {
        Some("act") => false,
        Some("facilitator") => true,
        _ => {
            return Some(error_frame(&RoomError::new(
                "bad_request",
                "`type` is `act` or `facilitator`",
            )));
        }
    };
    let _ = who;
    let reply = match handle(app, tok, &m, facilitator) {
        Ok(r) => serde_json::to_value(r).unwrap_or(Value::Null),
        Err(e) => json!({"ok": false, "error": {"code": e.code, "message": e.message}}),
    };
    Some(json!({"type": "reply", "id": id, "reply": reply}).to_string())
}
