//! A real HTTP service whose handler calls an upstream through resilient functions: retry,
//! circuit breaker, timeout and bulkhead on each call, a fallback to the last price seen,
//! `GET /health` from the registry and `GET /metrics` for Prometheus.
//!
//! ```text
//! cargo run --example axum_service --features serde,metrics
//! ```
//!
//! It starts two servers on loopback: the upstream price server (`UPSTREAM_PORT`, default a
//! free port), whose faults you switch with `POST /fault/{fail,stall,heal}`, and the service
//! (`PORT`, default 3000).

#[path = "service.rs"]
mod service;

use std::net::{Ipv4Addr, SocketAddr};

fn port(var: &str, default: u16) -> u16 {
    match std::env::var(var) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{var}={v:?} is not a port number")),
        Err(_) => default,
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    // Before the first annotated call: metric handles are registered at a callsite's first call.
    let metrics = service::metrics_handle();
    service::spawn_metrics_upkeep(metrics.clone());

    let localhost = |port| SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let upstream = service::spawn_upstream(localhost(port("UPSTREAM_PORT", 0))).await?;
    let state = service::AppState::new(&upstream.url(), &["upstream"], metrics);
    let addr = service::spawn_service(localhost(port("PORT", 3000)), state).await?;

    let up = upstream.url();
    let me = format!("http://{addr}");
    println!("upstream  {up}  GET /price/{{sku}}, GET /stats, POST /fault/{{fail,stall,heal}}");
    println!("service   {me}  GET /price/{{sku}}, GET /health, GET /metrics");
    println!();
    println!("try:");
    for (cmd, what) in [
        (format!("curl -s {me}/price/sku-42"), "200, a fresh price"),
        (
            format!("curl -s -X POST {up}/fault/fail"),
            "the upstream answers 500 from now on",
        ),
        (
            format!("curl -s {me}/price/sku-42"),
            "the last price seen, \"stale\": true",
        ),
        (
            format!("curl -s {me}/price/sku-7"),
            "502 (3 attempts failed) or 503 (breaker open)",
        ),
        (
            format!("curl -si {me}/health"),
            "503 \"degraded\", breaker \"upstream\" open",
        ),
        (
            format!("curl -s {me}/metrics | grep ^resilience_"),
            "calls, retries, breaker state",
        ),
        (
            format!("curl -s -X POST {up}/fault/heal"),
            "after 1s, 2 good probes close the breaker",
        ),
        (
            format!("curl -s -X POST {up}/fault/stall"),
            "each attempt times out after 300ms: 504",
        ),
    ] {
        println!("  {cmd:<56} # {what}");
    }
    println!();
    println!("Ctrl-C to stop.");
    std::future::pending::<()>().await;
    Ok(())
}
