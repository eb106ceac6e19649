//! The geometric types: `point`, `line`, `lseg`, `box`, `path`, `polygon`, `circle`.
//! Coordinates are `float8`.

use std::fmt;

use super::error::Reason;
use super::scalar::{parse_number, write_float8};
use super::scan::Cursor;

/// A `point`: `(x,y)`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Point {
    /// The x coordinate.
    pub x: f64,
    /// The y coordinate.
    pub y: f64,
}

/// A `line`: `{A,B,C}`, the points where `Ax + By + C = 0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line {
    /// A.
    pub a: f64,
    /// B.
    pub b: f64,
    /// C.
    pub c: f64,
}

/// An `lseg`: `[(x1,y1),(x2,y2)]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lseg {
    /// The first end.
    pub start: Point,
    /// The second end.
    pub end: Point,
}

/// A `box`: `(x1,y1),(x2,y2)`, the upper right corner first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PgBox {
    /// The upper right corner.
    pub high: Point,
    /// The lower left corner.
    pub low: Point,
}

/// A `path`: open `[(x1,y1),...]` or closed `((x1,y1),...)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    /// Whether the last point connects back to the first.
    pub closed: bool,
    /// The points.
    pub points: Vec<Point>,
}

/// A `polygon`: `((x1,y1),...)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Polygon {
    /// The vertices.
    pub points: Vec<Point>,
}

/// A `circle`: `<(x,y),r>`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Circle {
    /// The center.
    pub center: Point,
    /// The radius.
    pub radius: f64,
}

fn float(cur: &mut Cursor<'_>) -> Result<f64, Reason> {
    let token = cur.take_while(|b| !matches!(b, b',' | b')' | b']' | b'}' | b'>' | b'('));
    parse_number(token.trim_ascii()).map_err(|_| "bad coordinate")
}

fn point(cur: &mut Cursor<'_>) -> Result<Point, Reason> {
    cur.skip_spaces();
    cur.expect(b'(', "expected '('")?;
    let x = float(cur)?;
    cur.expect(b',', "expected ','")?;
    let y = float(cur)?;
    cur.expect(b')', "expected ')'")?;
    cur.skip_spaces();
    Ok(Point { x, y })
}

fn points(cur: &mut Cursor<'_>) -> Result<Vec<Point>, Reason> {
    let mut points = vec![point(cur)?];
    while cur.eat(b',') {
        points.push(point(cur)?);
    }
    Ok(points)
}

/// Runs `parse` over the whole text.
fn whole<T>(
    text: &[u8],
    parse: impl FnOnce(&mut Cursor<'_>) -> Result<T, Reason>,
) -> Result<T, Reason> {
    let mut cur = Cursor::new(text);
    let value = parse(&mut cur)?;
    cur.skip_spaces();
    cur.finish("unexpected text after the value")?;
    Ok(value)
}

impl Point {
    /// Parses `point_out`'s text.
    pub fn parse(text: &[u8]) -> Result<Point, Reason> {
        whole(text, point)
    }
}

impl Line {
    /// Parses `line_out`'s text.
    pub fn parse(text: &[u8]) -> Result<Line, Reason> {
        whole(text, |cur| {
            cur.expect(b'{', "expected '{'")?;
            let a = float(cur)?;
            cur.expect(b',', "expected ','")?;
            let b = float(cur)?;
            cur.expect(b',', "expected ','")?;
            let c = float(cur)?;
            cur.expect(b'}', "expected '}'")?;
            Ok(Line { a, b, c })
        })
    }
}

impl Lseg {
    /// Parses `lseg_out`'s text.
    pub fn parse(text: &[u8]) -> Result<Lseg, Reason> {
        whole(text, |cur| {
            cur.expect(b'[', "expected '['")?;
            let start = point(cur)?;
            cur.expect(b',', "expected ','")?;
            let end = point(cur)?;
            cur.expect(b']', "expected ']'")?;
            Ok(Lseg { start, end })
        })
    }
}

impl PgBox {
    /// Parses `box_out`'s text.
    pub fn parse(text: &[u8]) -> Result<PgBox, Reason> {
        whole(text, |cur| {
            let high = point(cur)?;
            cur.expect(b',', "expected ','")?;
            let low = point(cur)?;
            Ok(PgBox { high, low })
        })
    }
}

impl Path {
    /// Parses `path_out`'s text.
    pub fn parse(text: &[u8]) -> Result<Path, Reason> {
        whole(text, |cur| {
            let closed = match cur.next_byte() {
                Some(b'(') => true,
                Some(b'[') => false,
                _ => return Err("expected '(' or '['"),
            };
            let points = points(cur)?;
            cur.expect(if closed { b')' } else { b']' }, "unterminated path")?;
            Ok(Path { closed, points })
        })
    }
}

impl Polygon {
    /// Parses `poly_out`'s text.
    pub fn parse(text: &[u8]) -> Result<Polygon, Reason> {
        whole(text, |cur| {
            cur.expect(b'(', "expected '('")?;
            let points = points(cur)?;
            cur.expect(b')', "expected ')'")?;
            Ok(Polygon { points })
        })
    }
}

impl Circle {
    /// Parses `circle_out`'s text.
    pub fn parse(text: &[u8]) -> Result<Circle, Reason> {
        whole(text, |cur| {
            cur.expect(b'<', "expected '<'")?;
            let center = point(cur)?;
            cur.expect(b',', "expected ','")?;
            let radius = float(cur)?;
            cur.expect(b'>', "expected '>'")?;
            Ok(Circle { center, radius })
        })
    }
}

fn write_point(f: &mut fmt::Formatter<'_>, p: &Point) -> fmt::Result {
    f.write_str("(")?;
    write_float8(f, p.x)?;
    f.write_str(",")?;
    write_float8(f, p.y)?;
    f.write_str(")")
}

fn write_points(f: &mut fmt::Formatter<'_>, points: &[Point]) -> fmt::Result {
    for (i, p) in points.iter().enumerate() {
        if i > 0 {
            f.write_str(",")?;
        }
        write_point(f, p)?;
    }
    Ok(())
}

impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_point(f, self)
    }
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        write_float8(f, self.a)?;
        f.write_str(",")?;
        write_float8(f, self.b)?;
        f.write_str(",")?;
        write_float8(f, self.c)?;
        f.write_str("}")
    }
}

impl fmt::Display for Lseg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        write_points(f, &[self.start, self.end])?;
        f.write_str("]")
    }
}

impl fmt::Display for PgBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_points(f, &[self.high, self.low])
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (open, close) = if self.closed { ("(", ")") } else { ("[", "]") };
        f.write_str(open)?;
        write_points(f, &self.points)?;
        f.write_str(close)
    }
}

impl fmt::Display for Polygon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(")?;
        write_points(f, &self.points)?;
        f.write_str(")")
    }
}

impl fmt::Display for Circle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<")?;
        write_point(f, &self.center)?;
        f.write_str(",")?;
        write_float8(f, self.radius)?;
        f.write_str(">")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn round_trip<T: fmt::Display>(text: &str, parse: fn(&[u8]) -> Result<T, Reason>) {
        assert_eq!(parse(text.as_bytes()).unwrap().to_string(), text);
    }

    #[test]
    fn every_shape_round_trips() {
        round_trip("(1,2)", Point::parse);
        round_trip("(-1.5,1e+100)", Point::parse);
        round_trip("(NaN,-Infinity)", Point::parse);
        round_trip("{1,2,3}", Line::parse);
        round_trip("[(1,2),(3,4)]", Lseg::parse);
        round_trip("(3,4),(1,2)", PgBox::parse);
        round_trip("[(1,2),(3,4)]", Path::parse);
        round_trip("((1,2),(3,4),(5,6))", Path::parse);
        round_trip("((0,0),(1,0),(0,1))", Polygon::parse);
        round_trip("<(1,2),3>", Circle::parse);
        assert_eq!(
            Point::parse(b" ( 1 , 2 ) ").unwrap(),
            Point { x: 1.0, y: 2.0 }
        );
        assert!(Path::parse(b"[(1,2))").is_err());
        assert!(Path::parse(b"[]").is_err());
        assert!(Circle::parse(b"<(1,2)>").is_err());
        assert!(Point::parse(b"(1,2)x").is_err());
        assert!(Point::parse(b"(a,2)").is_err());
    }
}
