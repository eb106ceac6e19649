//! The audit API and page: who changed what, read from the audit store.
//!
//! Every `/api/audit/...` route needs `Authorization: Bearer TOKEN` with a token of
//! `pgcdc.audit.token.NAME`; a token reads only the tables of its `.tables` list. No token or an
//! unknown one: 401; a table outside the token's list: 403; a bad parameter: 400 with a message.
//! The routes, their parameters and answers are in `openapi.json`.

use std::sync::Arc;

use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use serde_json::{Value as Json, json};

use super::{ApiError, json_response};
use crate::audit::config::ApiToken;
use crate::audit::query::{self, ChangeFilter, TableName};
use crate::audit::row::Operation;
use crate::audit::{StoreConnection, connect};
use crate::config::connection::ConnectionConfig;
use crate::metrics::Counter;

/// The page: look up a row, see its history.
const PAGE: &str = include_str!("audit_page.html");

/// Changes per page by default, and at most.
const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;

/// The audit API's state: the store and the tokens.
#[derive(Clone)]
pub struct AuditApi {
    inner: Arc<Inner>,
}

struct Inner {
    store: ConnectionConfig,
    connection: tokio::sync::Mutex<Option<Arc<StoreConnection>>>,
    tokens: Vec<ApiToken>,
    requests: Arc<Counter>,
    refused: Arc<Counter>,
}

impl std::fmt::Debug for AuditApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditApi")
            .field("store", &self.inner.store.redacted())
            .field("tokens", &self.inner.tokens.len())
            .finish()
    }
}

impl AuditApi {
    /// The API over the store at `store`, for `tokens`. It connects on the first request (and
    /// again after the connection is lost).
    pub fn new(store: ConnectionConfig, tokens: Vec<ApiToken>) -> Self {
        let registry = crate::metrics::global();
        Self {
            inner: Arc::new(Inner {
                store,
                connection: tokio::sync::Mutex::new(None),
                tokens,
                requests: registry.counter(
                    "pgcdc_audit_api_requests_total",
                    "Audit API requests answered with data.",
                ),
                refused: registry.counter(
                    "pgcdc_audit_api_refused_total",
                    "Audit API requests refused (400, 401, 403).",
                ),
            }),
        }
    }

    async fn store(&self) -> Result<Arc<StoreConnection>, ApiError> {
        let mut current = self.inner.connection.lock().await;
        if let Some(connection) = current.as_ref().filter(|c| !c.client.is_closed()) {
            return Ok(connection.clone());
        }
        let connection = Arc::new(connect(&self.inner.store).await.map_err(|error| {
            tracing::warn!(%error, "audit API: cannot reach the audit store");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the audit store is unavailable: {error}"),
            )
        })?);
        *current = Some(connection.clone());
        Ok(connection)
    }

    /// The token of the request.
    fn authorize(&self, headers: &HeaderMap) -> Result<&ApiToken, ApiError> {
        let unauthorized = |message: &str| ApiError::new(StatusCode::UNAUTHORIZED, message);
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Err(unauthorized(
                "no token: send the header Authorization: Bearer TOKEN (a pgcdc.audit.token.NAME of the configuration)",
            ));
        };
        let secret = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| unauthorized("the Authorization header is not \"Bearer TOKEN\""))?;
        if self.inner.tokens.is_empty() {
            return Err(unauthorized(
                "the server has no API tokens: configure pgcdc.audit.token.NAME and pgcdc.audit.token.NAME.tables",
            ));
        }
        self.inner
            .tokens
            .iter()
            .find(|token| constant_time_eq(token.secret.as_bytes(), secret.as_bytes()))
            .ok_or_else(|| unauthorized("the token is not valid"))
    }

    fn check_scope(token: &ApiToken, table: &TableName) -> Result<(), ApiError> {
        if token.allows(&table.schema, &table.table) {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!("token {:?} may not read table {table}", token.name),
            ))
        }
    }

    /// The tables a token may read.
    async fn visible_tables(
        &self,
        store: &StoreConnection,
        token: &ApiToken,
    ) -> Result<Vec<TableName>, ApiError> {
        Ok(query::tables(&store.client)
            .await
            .map_err(store_error)?
            .into_iter()
            .filter(|t| token.allows(&t.schema, &t.table))
            .collect())
    }

    /// Counts the answer in the metrics.
    fn answer(&self, result: Result<Response, ApiError>) -> Response {
        match result {
            Ok(response) => {
                self.inner.requests.inc();
                response
            }
            Err(error) => {
                if error.status.is_client_error() {
                    self.inner.refused.inc();
                }
                error.into_response()
            }
        }
    }

    async fn list_changes(
        &self,
        headers: HeaderMap,
        raw: Option<String>,
    ) -> Result<Response, ApiError> {
        let token = self.authorize(&headers)?;
        let params = Params::parse(raw.as_deref(), LIST_PARAMS)?;
        let mut filter = filter_of(&params)?;
        let store = self.store().await?;
        match params.get("table") {
            Some(table) => {
                let table = TableName::parse(table).map_err(ApiError::bad_request)?;
                Self::check_scope(token, &table)?;
                filter.tables = vec![table];
            }
            None => filter.tables = self.visible_tables(&store, token).await?,
        }
        page_response(&store, &filter).await
    }

    async fn history(&self, headers: HeaderMap, raw: Option<String>) -> Result<Response, ApiError> {
        let token = self.authorize(&headers)?;
        let params = Params::parse(
            raw.as_deref(),
            &["table", "pk", "source", "limit", "cursor", "order"],
        )?;
        let mut filter = filter_of(&params)?;
        let table = params
            .get("table")
            .ok_or_else(|| {
                ApiError::bad_request("table is required: ?table=public.customers&pk={\"id\":1}")
            })
            .and_then(|t| TableName::parse(t).map_err(ApiError::bad_request))?;
        if filter.pk.is_none() {
            return Err(ApiError::bad_request(
                "pk is required: the row's primary key as JSON, e.g. pk={\"id\":1}",
            ));
        }
        Self::check_scope(token, &table)?;
        filter.tables = vec![table];
        if params.get("order").is_none() {
            filter.ascending = true;
        }
        let store = self.store().await?;
        page_response(&store, &filter).await
    }

    async fn transaction(
        &self,
        headers: HeaderMap,
        lsn: String,
        raw: Option<String>,
    ) -> Result<Response, ApiError> {
        let token = self.authorize(&headers)?;
        let params = Params::parse(raw.as_deref(), &["source", "limit", "cursor"])?;
        let mut filter = filter_of(&params)?;
        filter.commit_lsn = Some(lsn.parse().map_err(|_| {
            ApiError::bad_request(format!(
                "{lsn:?} is not a commit LSN: write it as PostgreSQL prints it, e.g. 0/1A2B3C4"
            ))
        })?);
        filter.ascending = true;
        if params.get("limit").is_none() {
            filter.limit = MAX_LIMIT;
        }
        let store = self.store().await?;
        filter.tables = self.visible_tables(&store, token).await?;
        let page = query::list(&store.client, &filter)
            .await
            .map_err(store_error)?;
        if page.changes.is_empty() && filter.cursor.is_none() {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("no changes of a transaction committed at {lsn} that this token may read"),
            ));
        }
        let first = &page.changes[0];
        Ok(json_response(&json!({
            "commit_lsn": first["commit_lsn"],
            "xid": first["xid"],
            "commit_time": first["commit_time"],
            "context": first["context"],
            "changes": page.changes,
            "next_cursor": page.next_cursor,
        })))
    }

    async fn one_change(
        &self,
        headers: HeaderMap,
        id: String,
        raw: Option<String>,
    ) -> Result<Response, ApiError> {
        let token = self.authorize(&headers)?;
        Params::parse(raw.as_deref(), &[])?;
        let id: i64 = id.parse().map_err(|_| {
            ApiError::bad_request(format!("{id:?} is not a change id (a whole number)"))
        })?;
        let store = self.store().await?;
        let Some((table, change)) = query::change(&store.client, id)
            .await
            .map_err(store_error)?
        else {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("no change {id}"),
            ));
        };
        Self::check_scope(token, &table)?;
        Ok(json_response(&change))
    }

    async fn tables(&self, headers: HeaderMap, raw: Option<String>) -> Result<Response, ApiError> {
        let token = self.authorize(&headers)?;
        Params::parse(raw.as_deref(), &[])?;
        let store = self.store().await?;
        let tables: Vec<String> = self
            .visible_tables(&store, token)
            .await?
            .iter()
            .map(TableName::to_string)
            .collect();
        Ok(json_response(&json!({ "tables": tables })))
    }
}

/// The routes of the audit API and page.
pub fn routes(api: AuditApi) -> Vec<(&'static str, MethodRouter)> {
    let (a, b, c, d, e) = (api.clone(), api.clone(), api.clone(), api.clone(), api);
    vec![
        (
            "/api/audit/changes",
            get(
                move |headers: HeaderMap, RawQuery(raw): RawQuery| async move {
                    a.answer(a.list_changes(headers, raw).await)
                },
            ),
        ),
        (
            "/api/audit/changes/{id}",
            get(
                move |headers: HeaderMap, Path(id): Path<String>, RawQuery(raw): RawQuery| async move {
                    b.answer(b.one_change(headers, id, raw).await)
                },
            ),
        ),
        (
            "/api/audit/history",
            get(
                move |headers: HeaderMap, RawQuery(raw): RawQuery| async move {
                    c.answer(c.history(headers, raw).await)
                },
            ),
        ),
        (
            // A catch-all: an LSN has a slash (0/1A2B3C4).
            "/api/audit/transactions/{*commit_lsn}",
            get(
                move |headers: HeaderMap, Path(lsn): Path<String>, RawQuery(raw): RawQuery| async move {
                    d.answer(d.transaction(headers, lsn, raw).await)
                },
            ),
        ),
        (
            "/api/audit/tables",
            get(
                move |headers: HeaderMap, RawQuery(raw): RawQuery| async move {
                    e.answer(e.tables(headers, raw).await)
                },
            ),
        ),
        ("/audit", get(|| async { Html(PAGE) })),
    ]
}

const LIST_PARAMS: &[&str] = &[
    "table", "pk", "op", "since", "until", "xid", "source", "limit", "cursor", "order",
];

/// Query parameters, checked against the names a route takes (and `context.*` for listing).
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(raw: Option<&str>, known: &[&str]) -> Result<Self, ApiError> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (key, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            let context = key.starts_with("context.") && known.contains(&"op");
            if !known.contains(&key.as_ref()) && !context {
                let mut names: Vec<&str> = known.to_vec();
                if known.contains(&"op") {
                    names.push("context.KEY");
                }
                return Err(ApiError::bad_request(if names.is_empty() {
                    format!("unknown parameter {key:?}: this route takes none")
                } else {
                    format!("unknown parameter {key:?}; use {}", names.join(", "))
                }));
            }
            if !context && pairs.iter().any(|(k, _)| *k == key) {
                return Err(ApiError::bad_request(format!(
                    "parameter {key:?} is given twice"
                )));
            }
            pairs.push((key.into_owned(), value.into_owned()));
        }
        Ok(Self(pairs))
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// The filter of the parameters (all but `table`, which the routes handle).
fn filter_of(params: &Params) -> Result<ChangeFilter, ApiError> {
    let bad = ApiError::bad_request;
    let mut filter = ChangeFilter {
        limit: DEFAULT_LIMIT,
        ..ChangeFilter::default()
    };
    for (key, value) in &params.0 {
        match key.as_str() {
            "table" => {}
            "source" => filter.source = Some(value.clone()),
            "pk" => match serde_json::from_str::<Json>(value) {
                Ok(pk @ Json::Object(_)) => filter.pk = Some(pk),
                _ => {
                    return Err(bad(format!(
                        "pk: {value:?} is not a JSON object; write the primary key as JSON, e.g. pk={{\"id\":1}}"
                    )));
                }
            },
            "op" => {
                filter.op = Some(Operation::parse(value).ok_or_else(|| {
                    bad(format!(
                        "op: {value:?} is not an operation; use insert, update, delete or truncate"
                    ))
                })?);
            }
            "since" => filter.since = Some(query::check_time("since", value).map_err(bad)?),
            "until" => filter.until = Some(query::check_time("until", value).map_err(bad)?),
            "xid" => {
                filter.xid = Some(value.parse().map_err(|_| {
                    bad(format!(
                        "xid: {value:?} is not a transaction id (0 to 4294967295)"
                    ))
                })?);
            }
            "limit" => {
                filter.limit = value
                    .parse()
                    .ok()
                    .filter(|l| (1..=MAX_LIMIT).contains(l))
                    .ok_or_else(|| {
                        bad(format!(
                            "limit: {value:?} is not a page size from 1 to {MAX_LIMIT}"
                        ))
                    })?;
            }
            "cursor" => {
                filter.cursor = Some(value.parse().ok().filter(|c: &i64| *c >= 0).ok_or_else(|| {
                    bad(format!("cursor: {value:?} is not a cursor; pass next_cursor of the previous page"))
                })?);
            }
            "order" => {
                filter.ascending = match value.as_str() {
                    "asc" => true,
                    "desc" => false,
                    _ => return Err(bad(format!("order: {value:?}; use asc or desc"))),
                };
            }
            context => {
                let path: Vec<String> = context
                    .strip_prefix("context.")
                    .unwrap_or_default()
                    .split('.')
                    .map(str::to_owned)
                    .collect();
                if path.iter().any(|p| p.is_empty() || p.len() > 100) || path.len() > 10 {
                    return Err(bad(format!(
                        "{context:?} is not a context field; write context.KEY=VALUE, e.g. context.user=alice (context.a.b for nested keys)"
                    )));
                }
                filter.context.push((path, value.clone()));
            }
        }
    }
    Ok(filter)
}

async fn page_response(
    store: &StoreConnection,
    filter: &ChangeFilter,
) -> Result<Response, ApiError> {
    let page = query::list(&store.client, filter)
        .await
        .map_err(store_error)?;
    Ok(json_response(&json!({
        "changes": page.changes,
        "next_cursor": page.next_cursor,
    })))
}

/// A store error: a value the server refused (a date out of range) is the client's; the rest
/// means the store is unavailable.
fn store_error(error: tokio_postgres::Error) -> ApiError {
    let pg = crate::sql::PgError(error);
    match pg.code() {
        Some(code) if code.starts_with("22") => {
            ApiError::bad_request(format!("a parameter is out of range: {pg}"))
        }
        _ => {
            tracing::warn!(error = %pg, "audit API: a query failed");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the audit store cannot answer: {pg}"),
            )
        }
    }
}

/// Compares secrets in time independent of where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parameters_are_checked() {
        let params = Params::parse(
            Some("table=public.t&pk=%7B%22id%22%3A1%7D&context.user=alice&limit=5"),
            LIST_PARAMS,
        )
        .unwrap();
        let filter = filter_of(&params).unwrap();
        assert_eq!(filter.pk, Some(json!({"id": 1})));
        assert_eq!(
            filter.context,
            vec![(vec!["user".to_owned()], "alice".to_owned())]
        );
        assert_eq!(filter.limit, 5);
        let error = |q: &str| match Params::parse(Some(q), LIST_PARAMS).and_then(|p| filter_of(&p))
        {
            Err(e) => {
                assert_eq!(e.status, StatusCode::BAD_REQUEST);
                e.message
            }
            Ok(_) => panic!("{q} accepted"),
        };
        assert!(error("limit=0").contains("1 to 1000"));
        assert!(error("limit=5000").contains("1 to 1000"));
        assert!(error("op=upsert").contains("insert, update"));
        assert!(error("pk=1").contains("JSON object"));
        assert!(error("xid=-1").contains("transaction id"));
        assert!(error("since=today").contains("ISO 8601"));
        assert!(error("cursor=abc").contains("next_cursor"));
        assert!(error("colour=red").contains("unknown parameter"));
        assert!(error("limit=1&limit=2").contains("twice"));
        assert!(error("context.=x").contains("context.KEY"));
        assert!(
            constant_time_eq(b"abc", b"abc")
                && !constant_time_eq(b"abc", b"abd")
                && !constant_time_eq(b"a", b"ab")
        );
    }
}
