//! `GET /metrics`: the layer's signals (feature `metrics`) in Prometheus' text format, through
//! `metrics-exporter-prometheus` installed as the process's recorder. Served outside the
//! session layer, so scrapes open no session and count in no signal.

use axum::Router;
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Installs the Prometheus recorder and returns the route that renders it; `None` (with the
/// reason on standard error) when another recorder is already installed.
pub fn routes() -> Option<Router> {
    let handle: PrometheusHandle = match PrometheusBuilder::new().install_recorder() {
        Ok(handle) => handle,
        Err(e) => {
            eprintln!("demo: no /metrics: {e}");
            return None;
        }
    };
    Some(Router::new().route("/metrics", get(move || async move { handle.render() })))
}
