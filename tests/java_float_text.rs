//! `float32` / `float64` text against Java's own: every line of
//! `tests/data/java17_float_text.tsv`, which `tests/support/java/FloatText.java` writes on Java
//! 17 (`java tests/support/java/FloatText.java golden > tests/data/java17_float_text.tsv`).
//!
//! The Java 17 text must be the file's text exactly. The shortest text (Java 19 and later) must
//! read back as the same value and have no more digits than Java 17's, which also reads back.
//!
//! `compare_with_java_output` (ignored) checks any such file, for instance millions of random
//! values piped from Java:
//! `mkfifo /tmp/f && java tests/support/java/FloatText.java random 10000000 1 > /tmp/f &`
//! `JAVA_FLOAT_TEXT=/tmp/f cargo test --release --test java_float_text -- --ignored`.
#![allow(clippy::expect_used)]

use std::io::BufRead;

use pgcdc::debezium::java_float::{FloatText, write_f32, write_f64};

/// The Java 17 text and the shortest text of `value`, and whether the shortest reads back as
/// `value`.
fn texts<T: Copy>(
    value: T,
    write: fn(&mut Vec<u8>, T, FloatText),
    reads_back: fn(T, &str) -> bool,
) -> (Vec<u8>, Vec<u8>, bool) {
    let mut java17 = Vec::new();
    let mut shortest = Vec::new();
    write(&mut java17, value, FloatText::Java17);
    write(&mut shortest, value, FloatText::Shortest);
    let same = reads_back(value, String::from_utf8_lossy(&shortest).trim_matches('"'));
    (java17, shortest, same)
}

/// One mismatch, or None.
fn check_line(line: &str) -> Option<String> {
    let mut fields = line.split('\t');
    let (kind, bits, java) = (fields.next()?, fields.next()?, fields.next()?);
    let (out, shortest, parses_back) = match kind {
        "f32" => texts(
            f32::from_bits(u32::from_str_radix(bits, 16).ok()?),
            write_f32,
            |v, text| v.is_nan() || text.parse::<f32>().ok().map(f32::to_bits) == Some(v.to_bits()),
        ),
        "f64" => texts(
            f64::from_bits(u64::from_str_radix(bits, 16).ok()?),
            write_f64,
            |v, text| v.is_nan() || text.parse::<f64>().ok().map(f64::to_bits) == Some(v.to_bits()),
        ),
        _ => return Some(format!("unknown kind in {line:?}")),
    };
    // NaN and the infinities are JSON strings; the number text is the same.
    let ours = String::from_utf8_lossy(&out);
    let ours = ours.trim_matches('"');
    if ours != java {
        return Some(format!("{kind} {bits}: Java 17 {java}, pgcdc {ours}"));
    }
    let digits = |t: &str| {
        let mantissa = t.split('E').next().unwrap_or(t);
        mantissa
            .trim_start_matches(['-', '0', '.'])
            .trim_end_matches('0')
            .bytes()
            .filter(u8::is_ascii_digit)
            .count()
    };
    let short = String::from_utf8_lossy(&shortest);
    let short = short.trim_matches('"');
    if !parses_back || digits(short) > digits(java).max(2) {
        return Some(format!(
            "{kind} {bits}: shortest text {short} (Java 17 {java})"
        ));
    }
    None
}

fn check_lines(lines: impl Iterator<Item = String>) -> (usize, Vec<String>) {
    let mut count = 0;
    let mut failures = Vec::new();
    for line in lines.filter(|l| !l.starts_with('#') && !l.is_empty()) {
        count += 1;
        if let Some(failure) = check_line(&line) {
            failures.push(failure);
        }
    }
    (count, failures)
}

#[test]
fn java17_text_of_every_golden_value() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/java17_float_text.tsv"
    );
    let text = std::fs::read_to_string(path).expect("the golden file");
    let (count, failures) = check_lines(text.lines().map(str::to_owned));
    assert!(count > 40_000, "only {count} values in {path}");
    assert!(
        failures.is_empty(),
        "{} of {count} values differ, the first:\n{}",
        failures.len(),
        failures[..failures.len().min(30)].join("\n")
    );
}

#[test]
#[ignore = "reads the file named by JAVA_FLOAT_TEXT (see the module documentation)"]
fn compare_with_java_output() {
    let path = std::env::var("JAVA_FLOAT_TEXT").expect("JAVA_FLOAT_TEXT names a file");
    let file = std::fs::File::open(&path).expect("the file");
    let lines = std::io::BufReader::new(file).lines().map_while(Result::ok);
    let (count, failures) = check_lines(lines);
    println!("{count} values compared, {} differ", failures.len());
    assert!(
        failures.is_empty(),
        "{} of {count} values differ, the first:\n{}",
        failures.len(),
        failures[..failures.len().min(30)].join("\n")
    );
}
