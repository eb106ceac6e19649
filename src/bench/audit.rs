//! The audit writer's rate: a backlog drained into a fresh audit store (`pgcdc bench --audit`).

use std::time::Duration;

use super::{Backlog, DrainError, time_drain_into};
use crate::audit::config::AuditConfig;
use crate::audit::sink::AuditSink;
use crate::localpg::Cluster;

/// Drains the backlog into a new audit store (database `database` of the same cluster, created
/// here) and returns how long it took and how many audit rows the store holds.
pub async fn time_audit_drain(
    cluster: &Cluster,
    backlog: &Backlog,
    database: &str,
) -> Result<(Duration, u64), DrainError> {
    cluster.create_database(database).map_err(|e| {
        DrainError::Io(std::io::Error::other(format!(
            "creating the audit database: {e}"
        )))
    })?;
    let properties = [("pgcdc.audit.url".to_owned(), cluster.url(database))]
        .into_iter()
        .collect();
    let config = AuditConfig::from_properties(&properties)?;
    // Opened (connected, migrated, partitions made) before the clock starts.
    let sink = AuditSink::open("bench", config.clone()).await?;
    let (took, _) = time_drain_into(cluster, backlog, Box::new(sink)).await?;
    let store = crate::audit::connect(&config.connection()?).await?;
    let rows: i64 = store
        .client
        .query_one("SELECT count(*) FROM pgcdc_audit.changes", &[])
        .await
        .and_then(|row| row.try_get(0))
        .map_err(crate::audit::AuditError::sql("counting audit rows"))?;
    Ok((took, u64::try_from(rows).unwrap_or(0)))
}
