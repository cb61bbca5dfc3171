//! The reusable parts of the `axum_service` example: an upstream price server whose faults can be
//! switched on and off, a client whose calls to it are made resilient by attributes, and the
//! service's router (`/price/{sku}`, `/health`, `/metrics`). `main.rs` runs them;
//! `tests/axum_service.rs` includes this file and drives them over loopback.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use resilience::{CircuitState, bulkhead, circuit_breaker, fallback, retry, timeout};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

// ---------------------------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------------------------

/// The process's Prometheus recorder, installed on first use.
///
/// A callsite registers its metric handles on its first call, so call this before the first
/// annotated call (at the start of `main`, or of a test). A recorder can be installed once per
/// process: every caller shares this one handle.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .install_recorder()
                .expect("no other metrics recorder is installed in this process")
        })
        .clone()
}

/// Drains histogram samples every 5 s (`install_recorder` leaves this to the caller, so that
/// memory stays bounded in a long-running service).
pub fn spawn_metrics_upkeep(handle: PrometheusHandle) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            handle.run_upkeep();
        }
    });
}

// ---------------------------------------------------------------------------------------------
// The upstream: a price server that can be made to fail or stall
// ---------------------------------------------------------------------------------------------

/// How the upstream answers `GET /price/{sku}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// 200 with a price (404 for an unknown sku).
    None,
    /// 500 Internal Server Error, at once.
    Fail,
    /// No answer until healed (or 30 s).
    Stall,
}

/// A running upstream: its address, its fault switch and a count of the requests it received.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// Where it listens.
    pub addr: SocketAddr,
    fault: Arc<watch::Sender<Fault>>,
    requests: Arc<AtomicU64>,
}

impl Upstream {
    /// Its base URL, `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Switches its behaviour (the same as `POST /fault/{fail,stall,heal}`). Healing releases
    /// stalled requests at once.
    pub fn set_fault(&self, fault: Fault) {
        self.fault.send_replace(fault);
    }

    /// `GET /price/{sku}` requests received so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

/// What the upstream returns for a sku.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UpstreamPrice {
    /// The sku asked for.
    pub sku: String,
    /// Its price in cents.
    pub cents: u64,
}

/// Starts the upstream on `addr` (port 0 picks a free one) in a background task.
pub async fn spawn_upstream(addr: SocketAddr) -> std::io::Result<Upstream> {
    let listener = TcpListener::bind(addr).await?;
    let upstream = Upstream {
        addr: listener.local_addr()?,
        fault: Arc::new(watch::channel(Fault::None).0),
        requests: Arc::new(AtomicU64::new(0)),
    };
    let app = Router::new()
        .route("/price/{sku}", get(upstream_price))
        .route("/fault/{fault}", post(upstream_set_fault))
        .route("/stats", get(upstream_stats))
        .with_state(upstream.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(upstream)
}

async fn upstream_price(State(up): State<Upstream>, Path(sku): Path<String>) -> Response {
    up.requests.fetch_add(1, Ordering::Relaxed);
    let mut fault = up.fault.subscribe();
    let now = *fault.borrow_and_update();
    match now {
        Fault::Fail => {
            return (StatusCode::INTERNAL_SERVER_ERROR, "injected failure").into_response();
        }
        Fault::Stall => {
            // Hold the request until healed; the caller's timeout normally gives up first and
            // drops the connection, which cancels this handler.
            let healed = fault.wait_for(|f| *f != Fault::Stall);
            let _ = tokio::time::timeout(Duration::from_secs(30), healed).await;
        }
        Fault::None => {}
    }
    if sku.starts_with("unknown") {
        return (StatusCode::NOT_FOUND, "no such sku").into_response();
    }
    let cents = 100 + sku.bytes().map(u64::from).sum::<u64>() % 900;
    Json(UpstreamPrice { sku, cents }).into_response()
}

/// `GET /stats`: `{"fault": "none"|"fail"|"stall", "requests": n}`.
async fn upstream_stats(State(up): State<Upstream>) -> Json<serde_json::Value> {
    let fault = *up.fault.borrow();
    Json(serde_json::json!({ "fault": fault, "requests": up.requests() }))
}

async fn upstream_set_fault(State(up): State<Upstream>, Path(fault): Path<String>) -> Response {
    let fault = match fault.as_str() {
        "fail" => Fault::Fail,
        "stall" => Fault::Stall,
        "heal" => Fault::None,
        other => {
            let msg = format!("unknown fault `{other}`; use fail, stall or heal");
            return (StatusCode::NOT_FOUND, msg).into_response();
        }
    };
    up.set_fault(fault);
    Json(serde_json::json!({ "fault": fault })).into_response()
}

// ---------------------------------------------------------------------------------------------
// The client: the annotated calls
// ---------------------------------------------------------------------------------------------

/// Why a call to the upstream failed.
#[derive(Debug)]
pub enum UpstreamError {
    /// The upstream answered with this error status.
    Status(u16),
    /// The request did not complete (connection refused or reset, unreadable body).
    Transport(String),
    /// The upstream does not know the sku: the caller's mistake, neither retried nor counted
    /// against the upstream.
    UnknownSku(String),
    /// A policy cut the call off (timeout) or refused it (open breaker, full bulkhead).
    Resilience(resilience::Error),
}

impl From<resilience::Error> for UpstreamError {
    fn from(e: resilience::Error) -> Self {
        UpstreamError::Resilience(e)
    }
}

impl std::fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UpstreamError::Status(s) => write!(f, "upstream answered {s}"),
            UpstreamError::Transport(e) => write!(f, "upstream unreachable: {e}"),
            UpstreamError::UnknownSku(sku) => write!(f, "unknown sku `{sku}`"),
            UpstreamError::Resilience(e) => write!(f, "{e}"),
        }
    }
}

/// Worth retrying, and a sign the upstream is unwell: everything but an unknown sku and a
/// 4xx answer.
fn is_transient(e: &UpstreamError) -> bool {
    match e {
        UpstreamError::UnknownSku(_) => false,
        UpstreamError::Status(s) => *s >= 500,
        UpstreamError::Transport(_) | UpstreamError::Resilience(_) => true,
    }
}

/// A price as the service returns it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Price {
    /// The sku.
    pub sku: String,
    /// Its price in cents.
    pub cents: u64,
    /// True when the upstream failed and this is the last price seen (the fallback).
    pub stale: bool,
}

/// Calls the upstream over HTTP and remembers the last price of each sku for the fallback.
#[derive(Debug)]
pub struct UpstreamClient {
    http: reqwest::Client,
    base: String,
    last_seen: Mutex<HashMap<String, u64>>,
}

impl UpstreamClient {
    /// A client for the upstream at `base` (`http://host:port`). It sets no timeout of its
    /// own: `#[timeout]` bounds each attempt.
    pub fn new(base: impl Into<String>) -> Self {
        UpstreamClient {
            http: reqwest::Client::new(),
            base: base.into(),
            last_seen: Mutex::new(HashMap::new()),
        }
    }

    /// The price of `sku`, resilient:
    ///
    /// - `fallback`: when the upstream fails, the last price seen, marked stale;
    /// - `retry`: 3 attempts, 10ms then 20ms apart (full jitter), for transient errors;
    /// - `circuit_breaker` "upstream": opens at 50% failures over the last 10 calls (from 4
    ///   calls on), stays open 1s, then closes after 2 good probes;
    /// - `timeout`: 300ms per attempt;
    /// - `bulkhead` "upstream_pool": at most 8 requests to the upstream at once.
    #[fallback(Self::last_seen, when = is_transient)]
    #[retry(name = "upstream", attempts = 3, backoff = exponential(10ms, max = 100ms), when = is_transient)]
    #[circuit_breaker(name = "upstream", failure_rate = 50%, window = 10, min_calls = 4, open_for = 1s, half_open_calls = 2, when = is_transient)]
    #[timeout(duration = 300ms, name = "upstream")]
    #[bulkhead(name = "upstream_pool", max_concurrent = 8)]
    pub async fn fetch_price(&self, sku: &str) -> Result<Price, UpstreamError> {
        let url = format!("{}/price/{sku}", self.base);
        let transport = |e: reqwest::Error| UpstreamError::Transport(e.to_string());
        let resp = self.http.get(url).send().await.map_err(transport)?;
        match resp.status() {
            s if s.is_success() => {
                let p: UpstreamPrice = resp.json().await.map_err(transport)?;
                self.last_seen
                    .lock()
                    .unwrap()
                    .insert(p.sku.clone(), p.cents);
                Ok(Price {
                    sku: p.sku,
                    cents: p.cents,
                    stale: false,
                })
            }
            reqwest::StatusCode::NOT_FOUND => Err(UpstreamError::UnknownSku(sku.to_owned())),
            s => Err(UpstreamError::Status(s.as_u16())),
        }
    }

    /// The fallback: the last price seen for `sku`, or the error when there is none.
    fn last_seen(&self, sku: &str, error: UpstreamError) -> Result<Price, UpstreamError> {
        match self.last_seen.lock().unwrap().get(sku) {
            Some(&cents) => Ok(Price {
                sku: sku.to_owned(),
                cents,
                stale: true,
            }),
            None => Err(error),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The service
// ---------------------------------------------------------------------------------------------

/// What the service's handlers share.
#[derive(Debug, Clone)]
pub struct AppState {
    client: Arc<UpstreamClient>,
    critical: Arc<[&'static str]>,
    metrics: PrometheusHandle,
}

impl AppState {
    /// The state of a service calling the upstream at `upstream_url`. `/health` answers 503
    /// while a breaker named in `critical` is open.
    pub fn new(upstream_url: &str, critical: &[&'static str], metrics: PrometheusHandle) -> Self {
        AppState {
            client: Arc::new(UpstreamClient::new(upstream_url)),
            critical: critical.into(),
            metrics,
        }
    }
}

/// The service's routes: `GET /price/{sku}`, `GET /health`, `GET /metrics`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/price/{sku}", get(price))
        .route("/health", get(health))
        .route("/metrics", get(prometheus))
        .with_state(state)
}

/// Starts the service on `addr` (port 0 picks a free one) in a background task.
pub async fn spawn_service(addr: SocketAddr, state: AppState) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, router(state)).await });
    Ok(addr)
}

/// `GET /price/{sku}`: 200 with the price (`"stale": true` from the fallback), else an error
/// status with `{"error": "..", "kind": ".."}`.
async fn price(State(state): State<AppState>, Path(sku): Path<String>) -> Response {
    match state.client.fetch_price(&sku).await {
        Ok(price) => Json(price).into_response(),
        Err(e) => {
            let (status, kind) = match &e {
                UpstreamError::UnknownSku(_) => (StatusCode::NOT_FOUND, "unknown_sku"),
                UpstreamError::Status(_) => (StatusCode::BAD_GATEWAY, "upstream_status"),
                UpstreamError::Transport(_) => (StatusCode::BAD_GATEWAY, "upstream_transport"),
                UpstreamError::Resilience(r @ resilience::Error::Timeout { .. }) => {
                    (StatusCode::GATEWAY_TIMEOUT, r.kind())
                }
                UpstreamError::Resilience(r) => (StatusCode::SERVICE_UNAVAILABLE, r.kind()),
            };
            let body = serde_json::json!({ "error": e.to_string(), "kind": kind });
            (status, Json(body)).into_response()
        }
    }
}

/// The critical breakers that are open (or forced open) now.
fn critical_open(critical: &[&'static str]) -> Vec<&'static str> {
    critical
        .iter()
        .copied()
        .filter(|name| {
            resilience::registry()
                .circuit_breaker(name)
                .is_some_and(|b| matches!(b.state(), CircuitState::Open | CircuitState::ForcedOpen))
        })
        .collect()
}

/// The body of `GET /health`.
#[derive(Debug, Serialize)]
struct Health {
    /// `"ok"` or `"degraded"`.
    status: &'static str,
    /// The critical breakers that are open.
    critical_open: Vec<&'static str>,
    /// Every policy instance with its live figures.
    registry: resilience::Snapshot,
}

/// `GET /health`: 200 `{"status": "ok", ..}` while every critical breaker is closed, half-open
/// or disabled (or not called yet), 503 `{"status": "degraded", ..}` while one is open or
/// forced open; `critical_open` names those, `registry` is the registry's snapshot.
async fn health(State(state): State<AppState>) -> Response {
    let critical_open = critical_open(&state.critical);
    let (code, status) = if critical_open.is_empty() {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "degraded")
    };
    let body = Health {
        status,
        critical_open,
        registry: resilience::registry().snapshot(),
    };
    (code, Json(body)).into_response()
}

/// `GET /metrics`: every metric in Prometheus's text format.
async fn prometheus(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}
