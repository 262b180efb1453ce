//! `ztsim serve` through the real binary: the JSON API, the WebSocket, durability across a
//! kill -9, and hostile requests. Every server here binds 127.0.0.1 on a free port.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

const EXERCISE: &str = "scenarios/exercises/phish-to-payroll.yaml";

/// A running server and its links.
struct Server {
    child: Child,
    base: String,
    facilitator: String,
    seats: Vec<(String, String)>,
    stderr: String,
}

impl Server {
    fn start(exercise: &str, state: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ztsim"))
            .args(["serve", exercise, "--bind", "127.0.0.1:0", "--state-dir"])
            .arg(state)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("server starts");
        let out = BufReader::new(child.stdout.take().unwrap());
        let (mut base, mut facilitator, mut seats) = (String::new(), String::new(), Vec::new());
        for line in out.lines() {
            let line = line.unwrap();
            if let Some(b) = line.strip_prefix("listening on ") {
                base = b.to_string();
            } else if let Some(f) = line.strip_prefix("facilitator: ") {
                facilitator = token_of(f);
            } else if let Some(s) = line.strip_prefix("seat ") {
                let id = s.split(' ').next().unwrap().to_string();
                seats.push((id, token_of(s)));
                if seats.len() == 4 {
                    break;
                }
            }
        }
        let mut err = String::new();
        if let Some(e) = child.stderr.take() {
            // The first stderr line says whether the session is new or resumed; the rest
            // is drained so the server never writes to a closed pipe.
            let mut r = BufReader::new(e);
            r.read_line(&mut err).unwrap();
            std::thread::spawn(move || std::io::copy(&mut r, &mut std::io::sink()));
        }
        assert!(!base.is_empty(), "no `listening on` line");
        Server {
            child,
            base,
            facilitator,
            seats,
            stderr: err,
        }
    }

    fn seat(&self, id: &str) -> String {
        self.seats.iter().find(|s| s.0 == id).unwrap().1.clone()
    }

    fn post(&self, path: &str, body: &str) -> (u16, Value) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut r = agent
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .send(body)
            .expect("request");
        let status = r.status().as_u16();
        let text = r.body_mut().read_to_string().unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    fn fac(&self, id: &str, cmd: Value) -> (u16, Value) {
        let mut m = cmd.as_object().unwrap().clone();
        m.insert("token".into(), json!(self.facilitator));
        m.insert("id".into(), json!(id));
        self.post("/api/facilitator", &Value::Object(m).to_string())
    }

    fn act(&self, seat: &str, id: &str, action: &str, target: &str) -> (u16, Value) {
        let body = json!({"token": self.seat(seat), "id": id, "action": action, "target": target});
        self.post("/api/act", &body.to_string())
    }

    fn view(&self, token: &str) -> Value {
        let mut r = ureq::get(format!("{}/api/view?token={token}", self.base))
            .call()
            .expect("view");
        serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap()
    }

    fn kill9(mut self) {
        // SIGKILL: no shutdown code runs.
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn token_of(link: &str) -> String {
    link.rsplit("token=").next().unwrap().trim().to_string()
}

#[test]
fn a_session_scores_dedups_and_resumes_after_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s");
    let s = Server::start(EXERCISE, &state, &[]);
    assert!(s.stderr.contains("new session"), "{}", s.stderr);
    let (code, r) = s.fac("f-1", json!({"command": "advance", "by": "1h"}));
    assert_eq!(code, 200, "{r}");
    let (code, r) = s.act("identity-1", "a-1", "reset", "hd-marco");
    assert_eq!(code, 200, "{r}");
    // Taken at T+1h with the exercise's 30-minute reset delay.
    assert_eq!(r["effective_at"], json!(1.5));
    let seq = r["seq"].as_u64().unwrap();
    // The same id again: answered, not applied twice.
    let (_, again) = s.act("identity-1", "a-1", "reset", "hd-marco");
    assert_eq!(again["duplicate"], json!(true));
    assert_eq!(again["seq"].as_u64().unwrap(), seq);
    let (_, r) = s.fac("f-2", json!({"command": "advance", "to": "2h"}));
    assert!(
        r["text"].as_str().unwrap().starts_with("Clock at T+02:00"),
        "{r}"
    );
    let before = s.view(&s.facilitator.clone());
    assert_eq!(before["score"]["total"], json!(30));
    assert_eq!(before["clock"]["now"], json!(2.0));
    let met = &before["score"]["expectations"][0];
    assert_eq!(
        (met["id"].as_str(), met["state"].as_str()),
        (Some("reset-marco"), Some("met"))
    );
    // The identity team was told of Marco's call at T+0:45 (an inject), the finance
    // director was not.
    let id_view = s.view(&s.seat("identity-1"));
    let texts = |v: &Value| -> Vec<String> {
        v["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["text"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(texts(&id_view).iter().any(|t| t.contains("Marco says")));
    assert!(
        !texts(&s.view(&s.seat("exec-1")))
            .iter()
            .any(|t| t.contains("Marco says"))
    );
    // A player never sees the attacker's path unless revealed.
    assert_eq!(id_view["path"], json!([]));
    assert!(!before["path"].as_array().unwrap().is_empty());
    let fac = s.facilitator.clone();
    let identity = s.seat("identity-1");
    s.kill9();

    let s = Server::start(EXERCISE, &state, &[]);
    assert!(
        s.stderr.contains("resumed the session") && s.stderr.contains("3 request(s)"),
        "{}",
        s.stderr
    );
    assert_eq!(
        (s.facilitator.clone(), s.seat("identity-1")),
        (fac.clone(), identity)
    );
    let after = s.view(&fac);
    for k in ["score", "clock", "events", "status", "path"] {
        assert_eq!(after[k], before[k], "{k} differs after the restart");
    }
    let (_, again) = s.act("identity-1", "a-1", "reset", "hd-marco");
    assert_eq!(
        again["duplicate"],
        json!(true),
        "a replay after the restart is not applied"
    );
}

#[test]
fn hostile_requests_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(EXERCISE, &dir.path().join("s"), &[]);
    let fac = s.facilitator.clone();
    let seq0 = s.view(&fac)["seq"].clone();
    let forged =
        json!({"token": "0".repeat(32), "id": "x", "action": "isolate", "target": "lt-ceo"});
    let cases: Vec<(&str, String, u16, &str)> = vec![
        ("forged token", forged.to_string(), 401, "bad_token"),
        (
            "another role's action",
            json!({"token": s.seat("exec-1"), "id": "x", "action": "isolate", "target": "lt-ceo"}).to_string(),
            403,
            "forbidden",
        ),
        (
            "unknown action",
            json!({"token": s.seat("soc-1"), "id": "x", "action": "nuke", "target": "lt-ceo"}).to_string(),
            400,
            "unknown_action",
        ),
        (
            "unknown target",
            json!({"token": s.seat("it-1"), "id": "x", "action": "isolate", "target": "no-such-pc"}).to_string(),
            400,
            "unknown_target",
        ),
        (
            "a decision not offered",
            json!({"token": s.seat("exec-1"), "id": "x", "action": "decide", "target": "pay-ransom"}).to_string(),
            400,
            "unknown_target",
        ),
        ("not JSON", "{\"token\":".into(), 400, "bad_request"),
        (
            "bad id",
            json!({"token": s.seat("soc-1"), "id": "a b", "action": "note", "target": "x"}).to_string(),
            400,
            "bad_request",
        ),
        (
            "unknown field",
            json!({"token": s.seat("soc-1"), "id": "x", "action": "note", "target": "x", "as": "facilitator"}).to_string(),
            400,
            "bad_request",
        ),
        ("oversized", format!("{{\"pad\":\"{}\"}}", "x".repeat(20_000)), 413, "too_large"),
    ];
    for (what, body, code, err) in cases {
        let (c, r) = s.post("/api/act", &body);
        assert_eq!(
            (c, r["error"]["code"].as_str()),
            (code, Some(err)),
            "{what}: {r}"
        );
    }
    // A player's token on a facilitator command.
    let body = json!({"token": s.seat("soc-1"), "id": "x", "command": "end"});
    let (c, r) = s.post("/api/facilitator", &body.to_string());
    assert_eq!(
        (c, r["error"]["code"].as_str()),
        (403, Some("forbidden")),
        "{r}"
    );
    // An unknown facilitator command, and a rewind into the future.
    let (c, r) = s.fac("f-x", json!({"command": "launch"}));
    assert_eq!(
        (c, r["error"]["code"].as_str()),
        (400, Some("unknown_action")),
        "{r}"
    );
    let (c, _) = s.fac("f-y", json!({"command": "rewind", "to": "5h"}));
    assert_eq!(c, 400);
    assert_eq!(
        s.view(&fac)["seq"],
        seq0,
        "a refused request changed the room"
    );
    // While paused, players cannot act; the refusal is not remembered as an answer.
    s.fac("f-p", json!({"command": "pause", "on": true}));
    let (c, r) = s.act("soc-1", "n-1", "note", "hello");
    assert_eq!(
        (c, r["error"]["code"].as_str()),
        (409, Some("paused")),
        "{r}"
    );
    s.fac("f-r", json!({"command": "pause", "on": false}));
    let (c, r) = s.act("soc-1", "n-1", "note", "hello");
    assert_eq!((c, r["duplicate"].clone()), (200, json!(false)), "{r}");
}

#[test]
fn rewind_and_branches_replay_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(EXERCISE, &dir.path().join("s"), &[]);
    s.fac("f-1", json!({"command": "advance", "to": "1h"}));
    s.act("it-1", "i-1", "isolate", "lt-ceo");
    s.fac("f-2", json!({"command": "advance", "to": "2h"}));
    let played = s.view(&s.facilitator);
    assert_eq!(played["status"]["lt-ceo"], json!("contained"));
    s.fac("f-3", json!({"command": "branch", "name": "try-2"}));
    let (c, r) = s.fac("f-4", json!({"command": "rewind", "to": "0.5h"}));
    assert_eq!(c, 200, "{r}");
    let v = s.view(&s.facilitator);
    assert_eq!(v["clock"]["now"], json!(0.5));
    assert_ne!(
        v["status"]["lt-ceo"],
        json!("contained"),
        "the isolation came after T+0:30"
    );
    // Back on main: the same line as played.
    s.fac("f-5", json!({"command": "switch", "name": "main"}));
    let back = s.view(&s.facilitator);
    for k in ["status", "path", "score"] {
        assert_eq!(back[k], played[k], "{k}");
    }
}

#[test]
fn the_websocket_answers_refuses_bad_frames_and_closes_on_oversized_ones() {
    use tungstenite::Message;
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(EXERCISE, &dir.path().join("s"), &[]);
    let url = format!(
        "{}/ws?token={}",
        s.base.replace("http", "ws"),
        s.seat("soc-1")
    );
    let (mut ws, _) = tungstenite::connect(url.as_str()).expect("connects");
    let first: Value = serde_json::from_str(ws.read().unwrap().to_text().unwrap()).unwrap();
    assert_eq!(first["type"], "view");
    assert_eq!(first["view"]["me"]["role"], "soc");
    let next = |ws: &mut tungstenite::WebSocket<_>| -> Value {
        loop {
            let m: Value = serde_json::from_str(ws.read().unwrap().to_text().unwrap()).unwrap();
            if m["type"] != "view" {
                return m;
            }
        }
    };
    ws.send(Message::text("not json")).unwrap();
    assert_eq!(next(&mut ws)["error"]["code"], "bad_request");
    ws.send(Message::text(
        json!({"type": "facilitator", "id": "w-0", "command": "end"}).to_string(),
    ))
    .unwrap();
    assert_eq!(next(&mut ws)["reply"]["error"]["code"], "forbidden");
    ws.send(Message::text(json!({"type": "act", "id": "w-1", "action": "escalate", "target": "EDR alert on the helpdesk group"}).to_string()))
        .unwrap();
    let r = next(&mut ws);
    assert_eq!(
        (r["id"].clone(), r["reply"]["ok"].clone()),
        (json!("w-1"), json!(true)),
        "{r}"
    );
    ws.send(Message::text("x".repeat(40_000))).unwrap();
    let closed =
        (0..10).any(|_| ws.read().is_err() || matches!(ws.read(), Ok(Message::Close(_)) | Err(_)));
    assert!(closed, "an oversized frame closes the socket");
    // The server is still up and the escalation counted once.
    let v = s.view(&s.facilitator);
    let n = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "action")
        .count();
    assert_eq!(n, 1);
}

#[test]
fn a_non_loopback_bind_is_announced() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ztsim"))
        .args(["serve", EXERCISE, "--bind", "0.0.0.0:0", "--state-dir"])
        .arg(dir.path().join("s"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(line.starts_with("WARNING: serving on 0.0.0.0"), "{line}");
}

#[test]
fn a_bad_exercise_names_the_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(EXERCISE).unwrap().replace(
        "    role: identity\n    do: \"reset hd-marco\"",
        "    role: identty\n    do: \"reset hd-marco\"",
    );
    let f = dir.path().join("bad.yaml");
    std::fs::write(&f, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ztsim"))
        .args(["serve"])
        .arg(&f)
        .args([
            "--scenario",
            "scenarios/flat-ad.yaml",
            "--bind",
            "127.0.0.1:0",
            "--state-dir",
        ])
        .arg(dir.path().join("s"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("bad.yaml:")
            && err.contains("expectations[0].role")
            && err.contains("did you mean `identity`"),
        "{err}"
    );
}

#[test]
fn a_changed_exercise_does_not_resume_a_session() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("ex.yaml");
    std::fs::copy(EXERCISE, &f).unwrap();
    let state = dir.path().join("s");
    let args = ["--scenario", "scenarios/flat-ad.yaml"];
    drop(Server::start(f.to_str().unwrap(), &state, &args));
    let text = std::fs::read_to_string(&f).unwrap() + "\n# edited\n";
    std::fs::write(&f, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ztsim"))
        .args([
            "serve",
            f.to_str().unwrap(),
            "--bind",
            "127.0.0.1:0",
            "--state-dir",
        ])
        .arg(&state)
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("the exercise file changed"),
        "{err}"
    );
}

#[test]
fn the_report_its_layer_and_its_pdf_are_served_to_any_seat() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(EXERCISE, &dir.path().join("s"), &["--branches", "20"]);
    s.fac("f-1", json!({"command": "advance", "to": "1h"}));
    s.act("it-1", "i-1", "isolate", "lt-ceo");
    s.fac("f-2", json!({"command": "advance", "to": "3h"}));
    s.fac("f-3", json!({"command": "improve", "issue": "Helpdesk accounts are local admin everywhere", "owner": "IT", "priority": "high"}));
    s.fac("f-4", json!({"command": "end"}));
    let get = |path: &str, tok: &str| {
        let mut r = ureq::get(format!("{}{path}?token={tok}", s.base))
            .call()
            .expect(path);
        r.body_mut()
            .with_config()
            .limit(50_000_000)
            .read_to_vec()
            .unwrap()
    };
    let html = String::from_utf8(get("/report.html", &s.seat("exec-1"))).unwrap();
    for want in [
        "Phish to payroll",
        "isolate lt-ceo",
        "Helpdesk accounts are local admin everywhere",
        "was missed",
    ] {
        assert!(html.contains(want), "the report lacks {want:?}");
    }
    let layer: Value = serde_json::from_slice(&get("/layer.json", &s.facilitator)).unwrap();
    assert!(
        layer["techniques"]
            .as_array()
            .is_some_and(|t| !t.is_empty())
    );
    // A forged token gets nothing.
    let r = ureq::get(format!("{}/report.html?token=nope", s.base)).call();
    assert!(r.is_err());
    if which_chromium() {
        let pdf = get("/report.pdf", &s.seat("soc-1"));
        assert!(pdf.starts_with(b"%PDF"));
    } else if std::env::var("ZTSIM_REQUIRE_CHROMIUM").is_ok_and(|v| v == "1") {
        panic!("ZTSIM_REQUIRE_CHROMIUM=1 but no chromium on PATH");
    } else {
        eprintln!("skipped: the report's PDF needs chromium (apt-get install chromium)");
    }
}

fn which_chromium() -> bool {
    std::env::var_os("ZTSIM_CHROMIUM").is_some()
        || std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("chromium").exists()))
}

#[test]
fn a_reissued_link_replaces_the_old_one_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s");
    let s = Server::start(EXERCISE, &state, &[]);
    let old = s.seat("soc-1");
    // A client cannot choose the new token.
    let (c, _) = s.fac(
        "f-0",
        json!({"command": "reissue", "seat": "soc-1", "new_token": "0".repeat(32)}),
    );
    assert_eq!(c, 400);
    let (c, r) = s.fac("f-1", json!({"command": "reissue", "seat": "soc-1"}));
    assert_eq!(c, 200, "{r}");
    let link = s.view(&s.facilitator)["seats"][0]["link"]
        .as_str()
        .unwrap()
        .to_string();
    let new = token_of(&link);
    assert_ne!(new, old);
    let (c, r) = s.post(
        "/api/act",
        &json!({"token": old, "id": "x", "action": "note", "target": "hi"}).to_string(),
    );
    assert_eq!(
        (c, r["error"]["code"].as_str()),
        (401, Some("bad_token")),
        "the old link is dead: {r}"
    );
    s.kill9();
    let s = Server::start(EXERCISE, &state, &[]);
    assert_eq!(s.seat("soc-1"), new, "the new link survives the restart");
}

#[test]
fn an_injected_detection_reaches_the_roles_that_see_such_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(EXERCISE, &dir.path().join("s"), &[]);
    let (c, r) = s.fac("f-1", json!({"command": "alert", "asset": "hd-marco", "text": "Impossible travel: hd-marco signed in from two countries"}));
    assert_eq!(c, 200, "{r}");
    let alerts = |v: &Value| {
        v["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "alert")
            .count()
    };
    // The identity team sees identity alerts, the SOC every alert, IT only device alerts.
    for (seat, n, status) in [
        ("identity-1", 1, json!("detected")),
        ("soc-1", 1, json!("detected")),
        ("it-1", 0, Value::Null),
    ] {
        let v = s.view(&s.seat(seat));
        assert_eq!(alerts(&v), n, "{seat}");
        assert_eq!(v["status"]["hd-marco"], status, "{seat}");
    }
    let (c, _) = s.fac(
        "f-2",
        json!({"command": "alert", "asset": "no-such", "text": "x"}),
    );
    assert_eq!(c, 400);
}

#[test]
fn after_the_first_view_a_socket_gets_only_the_new_events() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(EXERCISE, &dir.path().join("s"), &[]);
    let url = format!(
        "{}/ws?token={}",
        s.base.replace("http", "ws"),
        s.facilitator
    );
    let (mut ws, _) = tungstenite::connect(url.as_str()).expect("connects");
    let read = |ws: &mut tungstenite::WebSocket<_>| -> Value {
        serde_json::from_str(ws.read().unwrap().to_text().unwrap()).unwrap()
    };
    let first = read(&mut ws);
    assert!(
        first["view"].get("events_from").is_none(),
        "the first view is whole"
    );
    let mut events = first["view"]["events"].as_array().unwrap().clone();
    s.fac("f-1", json!({"command": "advance", "by": "1h"}));
    // Views until one reflects the move (a connection notice may come first).
    let mut seq = first["view"]["seq"].as_u64().unwrap();
    while seq < 1 {
        let v = read(&mut ws);
        if v["type"] != "view" {
            continue;
        }
        let from = v["view"]["events_from"].as_u64().unwrap_or(0) as usize;
        events.truncate(from);
        events.extend(v["view"]["events"].as_array().unwrap().iter().cloned());
        seq = v["view"]["seq"].as_u64().unwrap();
        if seq >= 1 {
            assert!(from > 0, "a delta, not the whole view: {}", v["view"]);
        }
    }
    assert_eq!(
        Value::Array(events),
        s.view(&s.facilitator)["events"],
        "the deltas add up to the whole"
    );
}
