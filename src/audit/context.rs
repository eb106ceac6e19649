//! Who made a change: the context JSON of a transaction.
//!
//! An application tells pgcdc inside its transaction:
//!
//! ```sql
//! SELECT pg_logical_emit_message(true, 'pgcdc.audit', '{"user": "alice", "request_id": "r-17"}');
//! ```
//!
//! The message may come anywhere in the transaction; its JSON object becomes the context of
//! every change of that transaction. Several messages are merged (later keys win). Content that
//! is not a JSON object is kept as `{"message": ...}`.

use serde_json::{Map, Value as Json};

/// The context carried by a message's content.
pub fn parse(content: &[u8]) -> Json {
    let text = String::from_utf8_lossy(content);
    match serde_json::from_str::<Json>(&text) {
        Ok(Json::Object(map)) => Json::Object(map),
        Ok(other) => single("message", other),
        Err(_) => {
            tracing::warn!(content = %text, "an audit context message is not JSON; kept as text");
            single("message", Json::String(text.into_owned()))
        }
    }
}

fn single(key: &str, value: Json) -> Json {
    let mut map = Map::new();
    map.insert(key.to_owned(), value);
    Json::Object(map)
}

/// `current` with the keys of `more` added (replacing those it had).
pub fn merge(current: Option<Json>, more: Json) -> Json {
    match (current, more) {
        (Some(Json::Object(mut base)), Json::Object(extra)) => {
            base.extend(extra);
            Json::Object(base)
        }
        (_, more) => more,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_are_merged_and_other_content_is_kept() {
        let first = parse(br#"{"user":"alice","request_id":"r-1"}"#);
        let merged = merge(
            Some(first),
            parse(br#"{"request_id":"r-2","ip":"10.0.0.1"}"#),
        );
        assert_eq!(
            merged,
            json!({"user": "alice", "request_id": "r-2", "ip": "10.0.0.1"})
        );
        assert_eq!(parse(b"not json"), json!({"message": "not json"}));
        assert_eq!(parse(b"[1]"), json!({"message": [1]}));
    }
}
