//! The HTTP API: JSON in, `roe run`'s decision lines out.
//!
//! - `GET /healthz`, `GET /readyz`: liveness and readiness.
//! - `GET /metrics`: Prometheus metrics.
//! - `GET /openapi.json`: the OpenAPI 3 document of this API.
//! - `GET /v1/policies`: every served policy, its version and fingerprint.
//! - `POST /v1/admin/reload`: reloads the folder now (admin token).
//! - `POST /v1/policies/{name}/decide`: one record (a JSON object) gives
//!   its decision line; a JSON array gives an array of lines, and NDJSON
//!   (`Content-Type: application/x-ndjson`) a line per record, in input
//!   order. `?now=RFC3339` decides at that instant, else at the server's
//!   clock. The response names the deciding version in `roe-policy-version`.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jiff::Timestamp;
use serde_json::value::RawValue;

use super::assigning::Assigning;
use super::catalog::Served;
use super::decider::{Decider, Outcomes};
use super::metrics::Metrics;
use super::reload::Live;
use crate::diagnostics::codes;

/// The header that names the version of the policy that decided.
pub const VERSION_HEADER: &str = "roe-policy-version";

/// The largest JSON body decided on the runtime's own thread, in bytes.
const QUICK_BODY: usize = 16 * 1024;

/// The OpenAPI 3 document of this API (`GET /openapi.json`).
pub const OPENAPI: &str = include_str!("openapi.json");

/// In shadow mode, the header that names the candidate decided beside it.
pub const CANDIDATE_HEADER: &str = "roe-candidate-version";

/// What every handler shares.
#[derive(Debug)]
pub struct Shared {
    /// The served policies, reloaded in place.
    pub live: Arc<Live>,
    /// The metrics.
    pub metrics: Arc<Metrics>,
    /// The most records one request may carry.
    pub max_batch: usize,
    /// The bearer token admin calls need; without one they are off.
    pub admin_token: Option<String>,
    /// The bearer token decide calls need, if they need one.
    pub decide_token: Option<String>,
    /// With assignment on, the assigners.
    pub assigning: Option<Assigning>,
    /// The largest JSON body, in bytes (NDJSON streams have no limit).
    pub max_body: usize,
    /// How long an NDJSON stream may send nothing before it is ended.
    pub idle: std::time::Duration,
}

/// The service's routes over `shared`, refusing bodies over `max_body` bytes.
pub fn router(shared: Arc<Shared>, max_body: usize) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(|| async { "ready\n" }))
        .route("/metrics", get(metrics))
        .route(
            "/openapi.json",
            get(|| async { json_response(StatusCode::OK, OPENAPI.to_owned(), None) }),
        )
        .route("/v1/policies", get(policies))
        .route("/v1/policies/{name}/decide", post(decide))
        .route("/v1/admin/reload", post(reload))
        .route("/v1/admin/roster", get(roster).put(save_roster))
        .fallback(|| async {
            problem(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such endpoint: see `GET /v1/policies` and `POST /v1/policies/NAME/decide`",
            )
        })
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn(super::logs::requests))
        .with_state(shared)
}

/// An error response: `{"error":{"code":...,"message":...}}`.
pub(super) fn problem(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(status, problem_text(code, message), None)
}

/// The text of an error object, `{"error":{"code":...,"message":...}}`: an
/// answer's body, or a stream's last line.
pub(super) fn problem_text(code: &str, message: &str) -> String {
    serde_json::json!({"error": {"code": code, "message": message}}).to_string()
}

/// A response with a JSON (or NDJSON) body and the deciding version.
pub(super) fn json_response(status: StatusCode, body: String, version: Option<&str>) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(version) = version.and_then(|v| HeaderValue::from_str(v).ok()) {
        headers.insert(VERSION_HEADER, version);
    }
    response
}

/// Whether `headers` carry `Authorization: Bearer TOKEN` for `token`,
/// compared in time that does not depend on where they differ.
fn authorized(headers: &HeaderMap, token: &str) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    given.len() == token.len()
        && given
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |differ, (a, b)| differ | (a ^ b))
            == 0
}

/// The refusal of a call without the token it needs.
fn unauthorized(what: &str) -> Response {
    let mut response = problem(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        &format!("{what} need `Authorization: Bearer TOKEN` with the service's token"),
    );
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// `GET /metrics`.
async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    let mut response = (StatusCode::OK, shared.metrics.text()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    response
}

/// `POST /v1/admin/reload`: 200 when every file is served, else 422 with
/// the problems (and the versions still served).
async fn reload(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if let Some(refused) = admin_refused(&shared, &headers) {
        return refused;
    }
    let (live, metrics) = (shared.live.clone(), shared.metrics.clone());
    let Ok(report) = tokio::task::spawn_blocking(move || live.reload(&metrics)).await else {
        return problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the reload stopped unexpectedly; the policies served before still are",
        );
    };
    let status = match report.problems.is_empty() {
        true => StatusCode::OK,
        false => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let body = serde_json::to_string(&report).unwrap_or_default();
    json_response(status, body, None)
}

/// The refusal of an admin call: off, or without its token.
fn admin_refused(shared: &Shared, headers: &HeaderMap) -> Option<Response> {
    let Some(token) = &shared.admin_token else {
        return Some(problem(
            StatusCode::FORBIDDEN,
            "admin_off",
            "admin calls are off: start the service with --admin-token-file FILE (or ROE_ADMIN_TOKEN)",
        ));
    };
    (!authorized(headers, token)).then(|| unauthorized("admin calls"))
}

/// The refusal of a roster call to a service that does not assign.
fn not_assigning() -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "not_assigning",
        "the service does not assign people: start it with --assign (or --state)",
    )
}

/// `GET /v1/admin/roster`: the roster assignment uses.
async fn roster(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if let Some(refused) = admin_refused(&shared, &headers) {
        return refused;
    }
    if shared.assigning.is_none() {
        return not_assigning();
    }
    let reading = shared.clone();
    let kept =
        tokio::task::spawn_blocking(move || reading.assigning.as_ref().map(Assigning::roster))
            .await;
    match kept {
        Ok(Some(Ok(text))) => json_response(StatusCode::OK, text, None),
        Ok(Some(Err(e))) => problem(StatusCode::SERVICE_UNAVAILABLE, e.code, &e.message),
        _ => problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the roster could not be read",
        ),
    }
}

/// `PUT /v1/admin/roster`: checks a roster (a JSON array, or CSV with
/// `Content-Type: text/csv`) and keeps it for every assigner, and with a
/// shared state every replica, from their next request on.
async fn save_roster(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refused) = admin_refused(&shared, &headers) {
        return refused;
    }
    if shared.assigning.is_none() {
        return not_assigning();
    }
    let Ok(text) = std::str::from_utf8(&body) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "bad_roster",
            "the roster is not UTF-8 text",
        );
    };
    let csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv"));
    let (json, people) = match crate::assign::Roster::import(text, csv) {
        Ok((json, roster)) => (json, roster.len()),
        Err(e) => return problem(StatusCode::UNPROCESSABLE_ENTITY, "bad_roster", &e),
    };
    let saving = shared.clone();
    let saved = tokio::task::spawn_blocking(move || {
        saving.assigning.as_ref().map(|a| a.save_roster(&json))
    })
    .await;
    match saved {
        Ok(Some(Ok(()))) => json_response(
            StatusCode::OK,
            serde_json::json!({ "people": people }).to_string(),
            None,
        ),
        Ok(Some(Err(e))) => problem(StatusCode::SERVICE_UNAVAILABLE, e.code, &e.message),
        _ => problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the roster could not be kept",
        ),
    }
}

/// `GET /v1/policies`.
async fn policies(State(shared): State<Arc<Shared>>) -> Response {
    let catalog = shared.live.catalog();
    let list: Vec<serde_json::Value> = catalog
        .all()
        .map(|s| {
            serde_json::json!({
                "name": s.name,
                "policy": s.policy_name,
                "version": s.version,
                "fingerprint": s.fingerprint,
                "candidate": s.candidate.as_ref().map(|c| &c.version),
            })
        })
        .collect();
    json_response(
        StatusCode::OK,
        serde_json::json!({ "policies": list }).to_string(),
        None,
    )
}

/// The query of a decide call.
#[derive(Debug, serde::Deserialize)]
struct DecideQuery {
    /// The instant to decide at (RFC 3339), else the server's clock.
    now: Option<String>,
}

/// `POST /v1/policies/{name}/decide`.
async fn decide(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    Query(query): Query<DecideQuery>,
    request_id: Option<axum::Extension<super::logs::RequestId>>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    if let Some(token) = &shared.decide_token
        && !authorized(&headers, token)
    {
        return unauthorized("decide calls");
    }
    let started = Instant::now();
    let Some(served) = shared.live.catalog().get(&name) else {
        return problem(
            StatusCode::NOT_FOUND,
            "unknown_policy",
            &format!("no policy is served as `{name}`: `GET /v1/policies` lists them"),
        );
    };
    let now = match query.now {
        None => Timestamp::now(),
        Some(text) => match crate::time::rfc3339::instant(&text) {
            Ok(now) => now,
            Err(_) => {
                return problem(
                    StatusCode::BAD_REQUEST,
                    "bad_now",
                    &format!(
                        "`now` must be an RFC 3339 instant such as 2026-11-30T10:00:00Z, not {text:?}"
                    ),
                );
            }
        },
    };
    let request_id = request_id.map(|r| r.0.0).unwrap_or_default();
    let ndjson = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-ndjson"));
    if ndjson {
        return super::stream::decide(shared, served, now, request_id, body, name, started);
    }
    // A body that stalls is given up, as a stalled stream is.
    let read = tokio::time::timeout(shared.idle, axum::body::to_bytes(body, shared.max_body));
    let body = match read.await {
        Ok(Ok(body)) => body,
        Err(_) => {
            return problem(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                &format!(
                    "the body did not arrive within {} s (`roe serve --idle-timeout`)",
                    shared.idle.as_secs_f64()
                ),
            );
        }
        Ok(Err(_)) => {
            return problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "the body is larger than the service takes (`roe serve --max-body`): send a smaller batch, or several, or stream NDJSON",
            );
        }
    };
    let Ok(text) = std::str::from_utf8(&body) else {
        return problem(
            StatusCode::BAD_REQUEST,
            codes::RECORD_MALFORMED,
            "the body is not UTF-8 text",
        );
    };
    let max_batch = shared.max_batch;
    let work = move |shared: &Shared, served: &Served, text: &str| {
        let mut decider = Decider::new(served, now, request_id);
        let assigning = shared.assigning.as_ref();
        let mut response = decide_json(&mut decider, served, assigning, text, max_batch);
        name_candidate(&mut response, served);
        (response, decider.outcomes)
    };
    // A small body decided in memory takes microseconds: on the runtime's
    // thread, as a handler's own work. Anything more, or a state that does
    // I/O, goes to a thread of its own.
    let quick =
        text.len() <= QUICK_BODY && shared.assigning.as_ref().is_none_or(Assigning::in_memory);
    let (response, outcomes) = if quick {
        work(&shared, &served, text)
    } else {
        let text = text.to_owned();
        let deciding = shared.clone();
        let decided = tokio::task::spawn_blocking(move || work(&deciding, &served, &text)).await;
        decided.unwrap_or_else(|_| {
            let response = problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "deciding stopped unexpectedly; the request was not decided",
            );
            (response, Outcomes::default())
        })
    };
    shared.metrics.request(
        &name,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
        &outcomes,
    );
    response
}

/// One record (an object) or a batch (an array) of JSON.
fn decide_json(
    decider: &mut Decider<'_>,
    served: &Served,
    assigning: Option<&Assigning>,
    text: &str,
    max_batch: usize,
) -> Response {
    let version = Some(served.version.as_str());
    if text.trim_start().starts_with('[') {
        let records: Vec<&RawValue> = match serde_json::from_str(text) {
            Ok(records) => records,
            Err(e) => {
                return problem(
                    StatusCode::BAD_REQUEST,
                    codes::RECORD_MALFORMED,
                    &format!("the body is not a JSON array of records: {e}"),
                );
            }
        };
        if records.len() > max_batch {
            return too_many(records.len(), max_batch);
        }
        let records: Vec<&str> = records.iter().map(|r| r.get()).collect();
        let made = match decider.lines(0, &records, assigning) {
            Ok(made) => made,
            Err(e) => return problem(StatusCode::SERVICE_UNAVAILABLE, e.code, &e.message),
        };
        let mut out =
            String::with_capacity(made.iter().map(|(l, _)| l.len() + 1).sum::<usize>() + 2);
        out.push('[');
        for (index, (line, _)) in made.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            out.push_str(line);
        }
        out.push(']');
        return json_response(StatusCode::OK, out, version);
    }
    let made = match decider.lines(0, &[text], assigning) {
        Ok(made) => made,
        Err(e) => return problem(StatusCode::SERVICE_UNAVAILABLE, e.code, &e.message),
    };
    let Some((line, error)) = made.into_iter().next() else {
        return problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "no line was made",
        );
    };
    let status = match error {
        None => StatusCode::OK,
        Some(codes::RECORD_MALFORMED) => StatusCode::BAD_REQUEST,
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
    };
    json_response(status, line, version)
}

/// Names `served`'s candidate, if it has one, in the response's header.
pub(super) fn name_candidate(response: &mut Response, served: &Served) {
    if let Some(candidate) = served
        .candidate
        .as_ref()
        .and_then(|c| HeaderValue::from_str(&c.version).ok())
    {
        response.headers_mut().insert(CANDIDATE_HEADER, candidate);
    }
}

/// The response to a batch over the limit.
fn too_many(records: usize, max_batch: usize) -> Response {
    problem(
        StatusCode::PAYLOAD_TOO_LARGE,
        "batch_too_large",
        &format!(
            "the batch has {records} records, more than the {max_batch} a request may carry (`roe serve --max-batch`): split it"
        ),
    )
}
