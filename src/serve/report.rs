//! The after-action report's routes: `/report.html`, `/report.pdf`, `/layer.json`, for any
//! valid token. The report is built off the room's lock (on a copy of the played session)
//! and kept until the room changes.

use super::http::{App, refusal};
use crate::room::RoomError;
use crate::tabletop::aar;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A built report and the room's change counter it was built at.
#[derive(Default)]
pub struct Cache {
    built: Mutex<Option<(u64, Arc<Built>)>>,
}

/// One build of the report.
pub struct Built {
    html: String,
    layer: String,
    pdf: Mutex<Option<Vec<u8>>>,
}

type Shared = Arc<App>;
type Params = Query<HashMap<String, String>>;

/// Adds the report's routes.
pub fn routes(r: Router, app: Shared) -> Router {
    r.merge(
        Router::new()
            .route("/report.html", get(html))
            .route("/report.pdf", get(pdf))
            .route("/layer.json", get(layer))
            .with_state(app),
    )
}

fn failed(m: String) -> RoomError {
    RoomError::new("storage", m)
}

/// The report for the room as it is now: from the cache, or built off the lock.
async fn build(app: &Shared, q: &HashMap<String, String>) -> Result<Arc<Built>, RoomError> {
    let tok = q.get("token").map(String::as_str).unwrap_or("");
    let (seq, copy, input, branches, seed) = {
        let room = app.room();
        room.who(tok)?;
        let seq = room.seq();
        if let Some((s, b)) = app
            .report
            .built
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            && *s == seq
        {
            return Ok(b.clone());
        }
        let copy = room.session_copy().map_err(|e| failed(e.to_string()))?;
        (
            seq,
            copy,
            room.after_action(),
            app.branches,
            room.session().cfg.seed,
        )
    };
    let built = tokio::task::spawn_blocking(move || -> Result<Built, String> {
        let cf = aar::counterfactuals(&copy, &input.decisions, branches, seed)
            .map_err(|e| e.to_string())?;
        let html = aar::report_html(&copy, &input, &cf).map_err(|e| e.to_string())?;
        let layer = aar::layer(&copy, &input.title).to_string();
        Ok(Built {
            html,
            layer,
            pdf: Mutex::new(None),
        })
    })
    .await
    .map_err(|e| failed(format!("the report could not be built: {e}")))?
    .map_err(failed)?;
    let built = Arc::new(built);
    *app.report.built.lock().unwrap_or_else(|p| p.into_inner()) = Some((seq, built.clone()));
    Ok(built)
}

async fn html(State(app): State<Shared>, Query(q): Params) -> Response {
    match build(&app, &q).await {
        Ok(b) => axum::response::Html(b.html.clone()).into_response(),
        Err(e) => refusal(&e),
    }
}

async fn layer(State(app): State<Shared>, Query(q): Params) -> Response {
    match build(&app, &q).await {
        Ok(b) => (
            [
                (header::CONTENT_TYPE, "application/json"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"exercise-layer.json\"",
                ),
            ],
            b.layer.clone(),
        )
            .into_response(),
        Err(e) => refusal(&e),
    }
}

async fn pdf(State(app): State<Shared>, Query(q): Params) -> Response {
    let b = match build(&app, &q).await {
        Ok(b) => b,
        Err(e) => return refusal(&e),
    };
    let done = b.pdf.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let bytes = match done {
        Some(p) => p,
        None => {
            let html = b.html.clone();
            match tokio::task::spawn_blocking(move || aar::pdf(&html)).await {
                Ok(Ok(p)) => {
                    *b.pdf.lock().unwrap_or_else(|p| p.into_inner()) = Some(p.clone());
                    p
                }
                Ok(Err(e)) => return refusal(&RoomError::new("storage", e.to_string())),
                Err(e) => return refusal(&failed(e.to_string())),
            }
        }
    };
    (
        [
            (header::CONTENT_TYPE, "application/pdf"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"after-action.pdf\"",
            ),
        ],
        bytes,
    )
        .into_response()
}
