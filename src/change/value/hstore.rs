//! `hstore` (the contrib extension): a map of text keys to optional text values.

use std::fmt;

use bytes::Bytes;

use super::error::Reason;
use super::scan::{Cursor, is_pg_space, quoted_string, sub_bytes, write_quoted};
use super::text::PgText;

/// An `hstore` value: its pairs in the order PostgreSQL printed them (keys are unique).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Hstore(pub Vec<(PgText, Option<PgText>)>);

impl Hstore {
    /// Parses `hstore_out`'s text: `"a"=>"1", "b"=>NULL` (unquoted keys and values are accepted
    /// too, as `hstore_in` does).
    pub fn parse(text: &Bytes) -> Result<Hstore, Reason> {
        let mut cur = Cursor::new(text);
        let mut pairs = Vec::new();
        loop {
            cur.skip_spaces();
            if cur.is_empty() {
                break;
            }
            let key = token(&mut cur, text)?.ok_or("a key cannot be NULL")?;
            cur.skip_spaces();
            if !(cur.eat(b'=') && cur.eat(b'>')) {
                return Err("expected '=>'");
            }
            cur.skip_spaces();
            let value = token(&mut cur, text)?;
            pairs.push((text_of(key)?, value.map(text_of).transpose()?));
            cur.skip_spaces();
            if !cur.eat(b',') {
                cur.finish("expected ',' between pairs")?;
            }
        }
        Ok(Hstore(pairs))
    }

    /// The value of `key`: `None` when absent, `Some(None)` when NULL.
    pub fn get(&self, key: &str) -> Option<Option<&PgText>> {
        self.0
            .iter()
            .find(|(k, _)| k.as_str() == key)
            .map(|(_, v)| v.as_ref())
    }
}

fn text_of(bytes: Bytes) -> Result<PgText, Reason> {
    PgText::new(bytes).map_err(|_| "not UTF-8")
}

/// A quoted string, or an unquoted word (`NULL`, case-insensitive, gives `None`).
fn token(cur: &mut Cursor<'_>, text: &Bytes) -> Result<Option<Bytes>, Reason> {
    if cur.peek() == Some(b'"') {
        return quoted_string(cur, text, false).map(Some);
    }
    let start = cur.pos();
    let word = cur.take_while(|b| !is_pg_space(b) && !matches!(b, b'=' | b',' | b'"' | b'\\'));
    if word.is_empty() {
        return Err("expected a key or value");
    }
    if word.eq_ignore_ascii_case(b"NULL") {
        return Ok(None);
    }
    Ok(Some(sub_bytes(text, start, cur.pos())))
}

impl fmt::Display for Hstore {
    /// `hstore_out`'s text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (key, value)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write_quoted(f, key.as_str(), false)?;
            f.write_str("=>")?;
            match value {
                Some(value) => write_quoted(f, value.as_str(), false)?,
                None => f.write_str("NULL")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn pairs() {
        let text = r#""a"=>"1", "b\"c"=>NULL, "é"=>"x\\y", ""=>"""#;
        let h = Hstore::parse(&Bytes::copy_from_slice(text.as_bytes())).unwrap();
        assert_eq!(h.0.len(), 4);
        assert_eq!(h.get("a"), Some(Some(&PgText::from("1"))));
        assert_eq!(h.get("b\"c"), Some(None));
        assert_eq!(h.get("é").unwrap().unwrap().as_str(), "x\\y");
        assert_eq!(h.get("zz"), None);
        assert_eq!(h.to_string(), text);
        assert_eq!(Hstore::parse(&Bytes::new()).unwrap(), Hstore::default());
        assert_eq!(Hstore::default().to_string(), "");
        let loose = Hstore::parse(&Bytes::from_static(b"a=>1,b => NULL")).unwrap();
        assert_eq!(loose.to_string(), r#""a"=>"1", "b"=>NULL"#);
        for bad in [
            r#""a"=>"#,
            r#""a""#,
            r#""a"=>"1" "b"=>"2""#,
            r#"NULL=>"1""#,
            r#""a"=>"1"#,
        ] {
            assert!(
                Hstore::parse(&Bytes::copy_from_slice(bad.as_bytes())).is_err(),
                "{bad}"
            );
        }
    }
}
