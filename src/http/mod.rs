//! pgcdc's one HTTP server: health (`/healthz`, `/readyz`), Prometheus metrics (`/metrics`), the
//! OpenAPI document of everything it serves (`/openapi.json`), and the routes features mount on
//! it (the audit API and page, [`audit`]).
//!
//! A feature adds its routes with [`Server::mount`]; each route must be described in
//! `src/http/openapi.json` (a test checks both ways). Clients get JSON errors,
//! `{"error": "what is wrong and what to do"}`.

pub mod audit;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use tokio_util::sync::CancellationToken;

/// The OpenAPI document of the server.
pub const OPENAPI: &str = include_str!("openapi.json");

/// An HTTP server failure.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The address cannot be listened on.
    #[error("cannot listen on {address}: {source} (is another process using the port?)")]
    Bind {
        /// The address.
        address: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The address is not `host:port`.
    #[error("{0:?} is not an address to listen on: write host:port, e.g. 127.0.0.1:8080")]
    BadAddress(String),
    /// Serving failed.
    #[error("the HTTP server stopped: {0}")]
    Serve(#[source] std::io::Error),
}

/// What `/readyz` reports: named parts, each ready or not.
#[derive(Debug, Clone, Default)]
pub struct Readiness(Arc<Mutex<BTreeMap<String, bool>>>);

impl Readiness {
    /// Sets whether `part` is ready.
    pub fn set(&self, part: &str, ready: bool) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(part.to_owned(), ready);
    }

    /// Every part and whether it is ready.
    pub fn parts(&self) -> BTreeMap<String, bool> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// A JSON error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The status.
    pub status: StatusCode,
    /// What is wrong and what to do.
    pub message: String,
}

impl ApiError {
    /// A 400: a parameter is wrong.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    /// An error with any status.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.message }).to_string();
        let mut response = (self.status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"pgcdc\""),
            );
        }
        response
    }
}

/// A JSON answer.
pub fn json_response(value: &serde_json::Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

/// The routes every server has.
pub fn base_routes(readiness: Readiness) -> Vec<(&'static str, MethodRouter)> {
    vec![
        (
            "/healthz",
            get(|| async { json_response(&serde_json::json!({"status": "ok"})) }),
        ),
        (
            "/readyz",
            get(move || {
                let parts = readiness.parts();
                async move {
                    let ready = parts.values().all(|r| *r);
                    let status = if ready {
                        StatusCode::OK
                    } else {
                        StatusCode::SERVICE_UNAVAILABLE
                    };
                    (
                        status,
                        json_response(&serde_json::json!({"ready": ready, "parts": parts})),
                    )
                        .into_response()
                }
            }),
        ),
        (
            "/metrics",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                    crate::metrics::global().render(),
                )
            }),
        ),
        (
            "/openapi.json",
            get(|| async { ([(header::CONTENT_TYPE, "application/json")], OPENAPI) }),
        ),
    ]
}

/// The server being assembled.
pub struct Server {
    routes: Vec<(&'static str, MethodRouter)>,
    readiness: Readiness,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("routes", &self.paths())
            .finish_non_exhaustive()
    }
}

impl Default for Server {
    fn default() -> Self {
        Self::new()
    }
}

impl Server {
    /// A server with the base routes.
    pub fn new() -> Self {
        let readiness = Readiness::default();
        Self {
            routes: base_routes(readiness.clone()),
            readiness,
        }
    }

    /// What `/readyz` reports.
    pub fn readiness(&self) -> Readiness {
        self.readiness.clone()
    }

    /// Adds routes.
    pub fn mount(mut self, routes: Vec<(&'static str, MethodRouter)>) -> Self {
        self.routes.extend(routes);
        self
    }

    /// The paths served.
    pub fn paths(&self) -> Vec<&'static str> {
        self.routes.iter().map(|(path, _)| *path).collect()
    }

    /// The router.
    pub fn router(self) -> Router {
        let fallback = || async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "no such path; /openapi.json lists what this server serves",
            )
        };
        self.routes
            .into_iter()
            .fold(Router::new(), |router, (path, route)| {
                router.route(path, route)
            })
            .fallback(fallback)
    }

    /// Listens on `address` and serves until `shutdown`; returns the address bound (a port 0
    /// gets a free one) and the serving task.
    pub async fn start(
        self,
        address: &str,
        shutdown: CancellationToken,
    ) -> Result<(SocketAddr, tokio::task::JoinHandle<Result<(), HttpError>>), HttpError> {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|source| HttpError::Bind {
                address: address.to_owned(),
                source,
            })?;
        let bound = listener.local_addr().map_err(|source| HttpError::Bind {
            address: address.to_owned(),
            source,
        })?;
        let router = self.router();
        tracing::info!(address = %bound, "HTTP server listening");
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move { shutdown.cancelled().await })
                .await
                .map_err(HttpError::Serve)
        });
        Ok((bound, task))
    }
}

/// Checks an address to listen on (`host:port`).
pub fn parse_address(text: &str) -> Result<String, String> {
    match text.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
            Ok(text.to_owned())
        }
        _ => Err(HttpError::BadAddress(text.to_owned()).to_string()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Every route is in the OpenAPI document, and every documented path is served.
    #[test]
    fn openapi_lists_every_route() {
        let document: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
        assert!(document["openapi"].as_str().unwrap().starts_with("3."));
        let documented: std::collections::BTreeSet<String> = document["paths"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        let config = crate::audit::config::AuditConfig::from_properties(&BTreeMap::new()).unwrap();
        let server = Server::new().mount(audit::routes(audit::AuditApi::new(
            crate::config::connection::ConnectionConfig::parse("postgres://u@h/audit").unwrap(),
            config.tokens,
        )));
        // OpenAPI has no catch-all segments: `{*name}` is documented as `{name}`.
        let served: std::collections::BTreeSet<String> = server
            .paths()
            .into_iter()
            .map(|p| p.replace("{*", "{"))
            .collect();
        assert_eq!(served, documented);
    }

    #[test]
    fn addresses_are_checked() {
        assert!(parse_address("127.0.0.1:0").is_ok());
        assert!(parse_address("[::1]:8080").is_ok());
        assert!(parse_address("8080").unwrap_err().contains("host:port"));
    }
}
