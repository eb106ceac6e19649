//! Topic and schema names: `<prefix>.<schema>.<table>`, with every character Kafka does not
//! allow in a topic name replaced by `_`.

/// Replaces characters outside `[A-Za-z0-9._-]` with `_` (each character once, whatever its
/// UTF-8 length).
pub fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The topic of a table's changes, also the stem of its schema names.
pub fn table_topic(prefix: &str, schema: &str, table: &str) -> String {
    sanitize(&format!("{prefix}.{schema}.{table}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn replaces_invalid_characters() {
        assert_eq!(
            table_topic("oracle", "public", "Weird Table"),
            "oracle.public.Weird_Table"
        );
        assert_eq!(table_topic("o", "s", "größe-x"), "o.s.gr__e-x");
    }
}
