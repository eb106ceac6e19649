//! Rows for `COPY ... FROM STDIN` in PostgreSQL's text format.

/// Builds the text of a `COPY` in text format: fields separated by tabs, rows by newlines.
#[derive(Debug, Default)]
pub struct CopyText {
    buffer: Vec<u8>,
    fields_in_row: usize,
}

impl CopyText {
    /// An empty buffer.
    pub fn new() -> Self {
        Self {
            buffer: Vec::with_capacity(1 << 20),
            fields_in_row: 0,
        }
    }

    fn separator(&mut self) {
        if self.fields_in_row > 0 {
            self.buffer.push(b'\t');
        }
        self.fields_in_row += 1;
    }

    /// A text field.
    pub fn text(&mut self, text: &str) {
        self.separator();
        escape_into(&mut self.buffer, text);
    }

    /// A NULL.
    pub fn null(&mut self) {
        self.separator();
        self.buffer.extend_from_slice(b"\\N");
    }

    /// A text field, or NULL.
    pub fn optional(&mut self, text: Option<&str>) {
        match text {
            Some(text) => self.text(text),
            None => self.null(),
        }
    }

    /// A `text[]` literal of `items`.
    pub fn text_array(&mut self, items: &[String]) {
        let mut literal =
            String::with_capacity(2 + items.iter().map(|i| i.len() + 3).sum::<usize>());
        literal.push('{');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                literal.push(',');
            }
            literal.push('"');
            for c in item.chars() {
                if c == '"' || c == '\\' {
                    literal.push('\\');
                }
                literal.push(c);
            }
            literal.push('"');
        }
        literal.push('}');
        self.text(&literal);
    }

    /// Ends the row.
    pub fn end_row(&mut self) {
        self.buffer.push(b'\n');
        self.fields_in_row = 0;
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.buffer.is_empty()
    }

    /// Takes the text written so far.
    pub fn take(&mut self) -> bytes::Bytes {
        self.fields_in_row = 0;
        bytes::Bytes::from(std::mem::take(&mut self.buffer))
    }
}

fn escape_into(out: &mut Vec<u8>, text: &str) {
    for &b in text.as_bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => out.push(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_the_text_format_needs() {
        let mut copy = CopyText::new();
        copy.text("a\tb\\c\nd");
        copy.null();
        copy.text_array(&["x".into(), "say \"hi\"".into()]);
        copy.end_row();
        assert_eq!(
            &copy.take()[..],
            b"a\\tb\\\\c\\nd\t\\N\t{\"x\",\"say \\\\\"hi\\\\\"\"}\n"
        );
    }
}
