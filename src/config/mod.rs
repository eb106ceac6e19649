//! Configuration: connection settings, pgcdc's own settings, and Debezium connector properties.

pub mod connection;
pub mod connector;
pub mod filter;
pub mod kafka;
pub mod load;
pub mod snapshot;
pub mod source;

/// Connector properties from pairs (for the tests of every module that reads properties).
#[cfg(test)]
pub(crate) fn test_props(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}
