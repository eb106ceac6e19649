//! The iteration order of a `java.util.HashMap` with `String` keys, which Debezium's output
//! follows wherever it serializes such a map (hstore values, a transaction's data collections).

/// Java's `String.hashCode` (over UTF-16 code units), as an unsigned 32-bit value.
pub fn string_hash(text: &str) -> u32 {
    text.encode_utf16().fold(0u32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(u32::from(unit))
    })
}

/// The indexes of `keys` (distinct, in insertion order) in the order a `HashMap` filled in
/// that order iterates them: by bucket of the spread hash in a table grown from 16 buckets at
/// load factor 0.75, and by insertion within a bucket. Tree bins (8 or more keys colliding in
/// one bucket) are not modelled.
pub fn hash_map_order<'a>(keys: impl ExactSizeIterator<Item = &'a str>) -> Vec<usize> {
    let len = keys.len();
    let mut capacity = 16usize;
    while len * 4 > capacity * 3 {
        capacity *= 2;
    }
    let mut entries: Vec<(usize, usize)> = keys
        .enumerate()
        .map(|(i, key)| {
            let hash = string_hash(key);
            (((hash ^ (hash >> 16)) as usize) & (capacity - 1), i)
        })
        .collect();
    entries.sort_unstable();
    entries.into_iter().map(|(_, i)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_of_the_golden_transactions() {
        // From txmeta.jsonl: the END records' data_collections.
        assert_eq!(string_hash("ab"), 97 * 31 + 98);
        assert_eq!(
            hash_map_order(["public.t_bool", "public.t_enum"].into_iter()),
            [0, 1]
        );
        assert_eq!(
            hash_map_order(
                [
                    "public.t_msg",
                    "io.debezium.connector.postgresql.LogicalDecodingMessageMonitor$LogicalDecodingMessageId@3190cbfb"
                ]
                .into_iter()
            ),
            [1, 0]
        );
    }
}
