//! The routes: the page's three files and the JSON API. Handlers check their input, answer
//! from the commit's cache when the same request was answered before, and otherwise run
//! one library lookup on a blocking thread and write its answer as `--format json` does.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, Response, StatusCode};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::cache::Cached;
use super::{assets, Loaded, Shared};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::lookup::{self, Related, Request, TermsRequest};
use crate::render::{Json, Renderer};
use crate::search::{Mode, Results};

/// Longest query, term or prefix accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 256;
/// Largest `limit` accepted.
pub const MAX_LIMIT: usize = 100;

/// The routes, with the shared state.
pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/app.js", get(script))
        .route("/app.css", get(style))
        .route("/api/search", get(search_route))
        .route("/api/terms", get(terms_route))
        .route("/api/related", get(related_route))
        .route("/api/status", get(status_route))
        .fallback(not_found)
        .with_state(shared)
}

/// A JSON error body `{"error": message}` with `status`.
pub(super) fn error(status: StatusCode, message: &str) -> Response<Body> {
    let body = serde_json::json!({ "error": message }).to_string();
    json_response(status, body.into())
}

fn json_response(status: StatusCode, body: Bytes) -> Response<Body> {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn asset(content_type: &'static str, body: &'static str) -> Response<Body> {
    let mut response = Response::new(Body::from(body));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

async fn page() -> Response<Body> {
    asset("text/html; charset=utf-8", assets::INDEX_HTML)
}

async fn script() -> Response<Body> {
    asset("text/javascript; charset=utf-8", assets::APP_JS)
}

async fn style() -> Response<Body> {
    asset("text/css; charset=utf-8", assets::APP_CSS)
}

async fn not_found() -> Response<Body> {
    error(
        StatusCode::NOT_FOUND,
        "no such page: try / or /api/search?q=",
    )
}

/// A JSON answer with the server's notice (notes folder missing, refresh failing) in the
/// `X-Gloss-Notice` header, so the body stays exactly the CLI's document, and whether it
/// came from the cache in `X-Gloss-Cache` (`hit` or `miss`).
fn answer(shared: &Shared, cached: Cached, hit: bool) -> Response<Body> {
    let mut response = json_response(cached.status, cached.body);
    let headers = response.headers_mut();
    let how = if hit { "hit" } else { "miss" };
    headers.insert("x-gloss-cache", HeaderValue::from_static(how));
    if let Some(notice) = shared.status().notice() {
        if let Ok(value) = HeaderValue::from_str(&notice) {
            headers.insert("x-gloss-notice", value);
        }
    }
    response
}

/// Answers `key` from the commit's cache, or runs `work` (a lookup answering a status and
/// a JSON body) on the blocking pool and keeps what it answered.
async fn cached_or<F>(shared: &Arc<Shared>, key: String, work: F) -> Response<Body>
where
    F: FnOnce(&Loaded) -> Result<Cached> + Send + 'static,
{
    let loaded = shared.loaded();
    if let Some(hit) = loaded.answers.get(&key) {
        return answer(shared, hit, true);
    }
    let done = shared.blocking(loaded.clone(), work).await;
    match done {
        Some(Ok(found)) => {
            loaded.answers.put(key, found.clone());
            answer(shared, found, false)
        }
        Some(Err(err)) => failed(shared, &err),
        None => busy(),
    }
}

fn ok(body: Vec<u8>) -> Cached {
    Cached {
        status: StatusCode::OK,
        body: body.into(),
    }
}

fn render_json(results: &Results) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = Json.render(results, &mut out);
    out
}

/// Bad input, found before any lookup: answered with 400 and the message.
struct BadRequest(String);

impl BadRequest {
    fn response(&self) -> Response<Body> {
        error(StatusCode::BAD_REQUEST, &self.0)
    }
}

fn bad_request(message: &str) -> BadRequest {
    BadRequest(message.to_string())
}

fn busy() -> Response<Body> {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "the server is shutting down",
    )
}

/// A lookup that failed: the index is rebuilt when reading it was the problem.
fn failed(shared: &Shared, err: &Error) -> Response<Body> {
    if matches!(err, Error::Index { .. } | Error::Engine { .. }) {
        shared.index_failed();
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!("{err}; rebuilding the index, try again in a moment"),
        );
    }
    error(StatusCode::INTERNAL_SERVER_ERROR, &err.to_string())
}

/// Checks a text parameter: present, not blank, not too long.
fn text_param(value: Option<String>, name: &str) -> Result<String, BadRequest> {
    let value = value.unwrap_or_default();
    if value.trim().is_empty() {
        return Err(bad_request(&format!(
            "the {name} is empty: give at least one word, e.g. ?{name}=token"
        )));
    }
    if value.chars().count() > MAX_QUERY_CHARS {
        return Err(bad_request(&format!(
            "the {name} is longer than {MAX_QUERY_CHARS} characters"
        )));
    }
    Ok(value)
}

fn params<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, BadRequest> {
    query
        .map(|Query(p)| p)
        .map_err(|e| bad_request(&format!("bad query string: {}", e.body_text())))
}

#[derive(Debug, Deserialize)]
struct SearchParams {
    q: Option<String>,
    mode: Option<String>,
    limit: Option<String>,
}

/// A checked search request.
struct SearchRequest {
    query: String,
    mode: Mode,
    limit: usize,
}

impl SearchRequest {
    /// The request as a cache key: same key, same answer (for one commit).
    fn key(&self) -> String {
        format!("search\0{:?}\0{}\0{}", self.mode, self.limit, self.query)
    }
}

impl SearchParams {
    fn check(self, default_limit: usize) -> Result<SearchRequest, BadRequest> {
        let query = text_param(self.q, "q")?;
        let mode = match self.mode.as_deref() {
            None | Some("search") => Mode::Search,
            Some("define") => Mode::Define,
            Some(other) => {
                return Err(bad_request(&format!(
                    "unknown mode {other:?}: use mode=search or mode=define"
                )))
            }
        };
        let limit = match self.limit.as_deref() {
            None => default_limit.clamp(1, MAX_LIMIT),
            Some(text) => match text.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(bad_request(&format!(
                        "limit must be a whole number from 1 to {MAX_LIMIT}"
                    )))
                }
            },
        };
        Ok(SearchRequest { query, mode, limit })
    }
}

/// The lookup `gloss search` / `gloss define` make, with the same settings.
fn lookup(config: &Config, loaded: &Loaded, request: &SearchRequest) -> Result<Results> {
    let request = Request {
        limit: request.limit,
        ..Request::configured(request.query.clone(), request.mode, config)
    };
    Ok(crate::lookup(&loaded.store, &request)?.results)
}

async fn search_route(
    State(shared): State<Arc<Shared>>,
    query: Result<Query<SearchParams>, QueryRejection>,
) -> Response<Body> {
    let request = match params(query).and_then(|p| p.check(shared.config.limit.value)) {
        Ok(r) => r,
        Err(bad) => return bad.response(),
    };
    let key = request.key();
    let settings = shared.clone();
    cached_or(&shared, key, move |loaded| {
        lookup(&settings.config, loaded, &request).map(|r| ok(render_json(&r)))
    })
    .await
}

#[derive(Debug, Deserialize)]
struct TermsParams {
    prefix: Option<String>,
}

async fn terms_route(
    State(shared): State<Arc<Shared>>,
    query: Result<Query<TermsParams>, QueryRejection>,
) -> Response<Body> {
    let prefix = match params(query) {
        Ok(p) => p.prefix.filter(|p| !p.trim().is_empty()),
        Err(bad) => return bad.response(),
    };
    if prefix
        .as_ref()
        .is_some_and(|p| p.chars().count() > MAX_QUERY_CHARS)
    {
        return bad_request(&format!(
            "the prefix is longer than {MAX_QUERY_CHARS} characters"
        ))
        .response();
    }
    let key = format!("terms\0{}", prefix.as_deref().unwrap_or(""));
    cached_or(&shared, key, move |loaded| {
        let request = TermsRequest {
            prefix,
            ..TermsRequest::default()
        };
        lookup::terms(&loaded.store, &request).map(|a| ok(render_json(&a.results)))
    })
    .await
}

#[derive(Debug, Deserialize)]
struct RelatedParams {
    term: Option<String>,
}

/// `gloss related TERM --format json`: the term, then the terms it mentions and those that
/// mention it. `None` when no definition matches.
fn related(loaded: &Loaded, name: &str) -> Result<Option<serde_json::Value>> {
    let Some(found) = lookup::related(&loaded.store, name, None)? else {
        return Ok(None);
    };
    let Related {
        term,
        mentions,
        mentioned_by,
    } = &found;
    Ok(Some(serde_json::json!({
        "term": term.term,
        "aliases": term.aliases,
        "file": term.file,
        "line": term.line,
        "mentions": mentions,
        "mentioned_by": mentioned_by,
    })))
}

async fn related_route(
    State(shared): State<Arc<Shared>>,
    query: Result<Query<RelatedParams>, QueryRejection>,
) -> Response<Body> {
    let term = match params(query).and_then(|p| text_param(p.term, "term")) {
        Ok(t) => t,
        Err(bad) => return bad.response(),
    };
    let key = format!("related\0{term}");
    cached_or(&shared, key, move |loaded| {
        Ok(match related(loaded, &term)? {
            Some(doc) => {
                let mut body = serde_json::to_vec_pretty(&doc).unwrap_or_default();
                body.push(b'\n');
                Cached {
                    status: StatusCode::OK,
                    body: body.into(),
                }
            }
            None => {
                let doc = serde_json::json!({ "error": format!("no definition for {term:?}") });
                Cached {
                    status: StatusCode::NOT_FOUND,
                    body: doc.to_string().into(),
                }
            }
        })
    })
    .await
}

async fn status_route(State(shared): State<Arc<Shared>>) -> Response<Body> {
    let status = shared.status();
    let doc = serde_json::json!({
        "notes_missing": status.notes_missing,
        "error": status.error,
        "refreshes": status.refreshes,
        "notice": status.notice(),
        "cache": shared.loaded().answers.counts(),
    });
    json_response(StatusCode::OK, doc.to_string().into())
}
