//! Java's text of `double` and `float` values (`Double.toString`, `Float.toString`), which
//! Jackson writes for Connect's `float64` and `float32`, in the two forms Java has had:
//!
//! * [`FloatText::Java17`]: the digits of the `FloatingDecimal` conversion of Java 18 and
//!   earlier (Debezium on Java 17). They read back as the same value but are not always the
//!   shortest such digits: the float `1.5e10` prints as `1.50000005E10`, the double `1e23` as
//!   `9.999999999999999E22`, `2^62` as `4.6116860184273879E18`.
//! * [`FloatText::Shortest`]: Java 19 and later (JDK-4511638): the shortest digits that read
//!   back as the same value, the closest of them to the exact value.
//!
//! Both lay the digits out alike: plain notation with at least one fraction digit for
//! 10^-3 <= |x| < 10^7 (`100.0`, `0.001`), otherwise `d.dddE±n` with at least one fraction digit
//! (`1.0E10`, `4.9E-324`); NaN and the infinities as the JSON strings `"NaN"`, `"Infinity"`,
//! `"-Infinity"` (Jackson's `JsonConverter` writes them quoted).
//!
//! The Java 17 digits come from an exact rendering of the old algorithm's arithmetic: integers
//! below 2^63 are printed from their integer value, rounded to the digits the format carries
//! (`insignificant` low digits dropped); every other value is divided out digit by digit with
//! the value, the divisor and half an ULP scaled to integers (in `i32`, `i64` or a big integer,
//! whichever holds them, with the comparisons each of those variants makes), stopping when the
//! remainder is within half an ULP of either neighbour, and the last digit rounded after the
//! stopping test. `tests/java_float_text.rs` checks the text against a file written by Java 17.

use std::cmp::Ordering;

use super::json::write_int;

/// Which Java's number text `float32` and `float64` values are written in
/// (`pgcdc.debezium.java.version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FloatText {
    /// Java 17 and 18 (and earlier): `FloatingDecimal`'s digits, not always the shortest.
    #[default]
    Java17,
    /// Java 19 and later: the shortest digits that read back as the same value.
    Shortest,
}

/// Appends a `float64` as Jackson writes a Java `double` on the Java of `text`.
pub fn write_f64(out: &mut Vec<u8>, value: f64, text: FloatText) {
    if write_special(out, value) {
        return;
    }
    let digits = match text {
        FloatText::Java17 => double_digits(value),
        FloatText::Shortest => shortest_digits(value),
    };
    write_layout(out, value.is_sign_negative(), &digits);
}

/// Appends a `float32` as Jackson writes a Java `float` on the Java of `text`.
pub fn write_f32(out: &mut Vec<u8>, value: f32, text: FloatText) {
    if write_special(out, f64::from(value)) {
        return;
    }
    let digits = match text {
        FloatText::Java17 => float_digits(value),
        FloatText::Shortest => shortest_digits(value),
    };
    write_layout(out, value.is_sign_negative(), &digits);
}

/// Writes NaN, the infinities and the zeros; false for any other value.
fn write_special(out: &mut Vec<u8>, value: f64) -> bool {
    let text: &[u8] = if value.is_nan() {
        b"\"NaN\""
    } else if value == f64::INFINITY {
        b"\"Infinity\""
    } else if value == f64::NEG_INFINITY {
        b"\"-Infinity\""
    } else if value == 0.0 && value.is_sign_negative() {
        b"-0.0"
    } else if value == 0.0 {
        b"0.0"
    } else {
        return false;
    };
    out.extend_from_slice(text);
    true
}

/// The most digits kept. The Java 17 conversion gives at most 18 for a double (its buffer
/// holds 20); the generation stops here whatever happens.
const MAX_DIGITS: usize = 24;

/// Decimal digits `d₁d₂…dₙ` and the exponent `e` of a value `0.d₁d₂…dₙ × 10^e`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digits {
    buf: [u8; MAX_DIGITS],
    len: usize,
    /// The power of ten of the place before the first digit.
    pub exponent: i32,
}

impl Digits {
    fn new() -> Self {
        Self {
            buf: [b'0'; MAX_DIGITS],
            len: 0,
            exponent: 0,
        }
    }

    /// The ASCII digits.
    pub fn digits(&self) -> &[u8] {
        &self.buf[..self.len.min(MAX_DIGITS)]
    }

    /// Appends one digit (a value 0 to 9); false when the buffer is full.
    fn push(&mut self, digit: u32) -> bool {
        match self.buf.get_mut(self.len) {
            Some(slot) => {
                *slot = b'0'.wrapping_add(digit as u8);
                self.len += 1;
                true
            }
            None => false,
        }
    }

    /// Adds one to the last digit, carrying; `99` becomes `10` with the exponent one higher
    /// (the old algorithm keeps the zero).
    fn round_up(&mut self) {
        let Some(mut i) = self.len.checked_sub(1) else {
            return;
        };
        while self.buf[i] == b'9' && i > 0 {
            self.buf[i] = b'0';
            i -= 1;
        }
        if self.buf[i] == b'9' {
            self.exponent += 1;
            self.buf[0] = b'1';
        } else {
            self.buf[i] += 1;
        }
    }
}

/// Lays `digits` out as Java's `toString` does.
fn write_layout(out: &mut Vec<u8>, negative: bool, digits: &Digits) {
    let d = digits.digits();
    let Some((&first, rest)) = d.split_first() else {
        out.extend_from_slice(b"0.0");
        return;
    };
    if negative {
        out.push(b'-');
    }
    let e = digits.exponent;
    if e > 0 && e < 8 {
        let whole = e as usize;
        if d.len() <= whole {
            out.extend_from_slice(d);
            out.resize(out.len() + whole - d.len(), b'0');
            out.extend_from_slice(b".0");
        } else {
            out.extend_from_slice(&d[..whole]);
            out.push(b'.');
            out.extend_from_slice(&d[whole..]);
        }
    } else if e <= 0 && e > -3 {
        out.extend_from_slice(b"0.");
        out.resize(out.len() + (-e) as usize, b'0');
        out.extend_from_slice(d);
    } else {
        out.push(first);
        out.push(b'.');
        if rest.is_empty() {
            out.push(b'0');
        } else {
            out.extend_from_slice(rest);
        }
        out.push(b'E');
        write_int(out, e - 1);
    }
}

/// The shortest digits that read back as `value` (of its own width), at least two when the
/// value's text is in `E` notation as Java writes `4.9E-324`: what Rust's `{:e}` prints.
fn shortest_digits<T: std::fmt::LowerExp>(value: T) -> Digits {
    use std::io::Write as _;
    let mut text = [0u8; 48];
    let mut cursor = std::io::Cursor::new(&mut text[..]);
    let _ = write!(cursor, "{value:e}");
    let mut written = usize::try_from(cursor.position()).unwrap_or(0);
    let digit_count = cursor.get_ref()[..written.min(48)]
        .iter()
        .take_while(|&&b| b != b'e')
        .filter(|b| b.is_ascii_digit())
        .count();
    if digit_count == 1 {
        // Java writes two digits where one would do (`4.9E-324` for 5e-324).
        cursor.set_position(0);
        let _ = write!(cursor, "{value:.1e}");
        written = usize::try_from(cursor.position()).unwrap_or(0);
    }
    let text = &text[..written.min(48)];
    let (mantissa, exponent) = match text.iter().position(|&b| b == b'e') {
        Some(at) => (&text[..at], &text[at + 1..]),
        None => (text, &b"0"[..]),
    };
    let exponent: i32 = std::str::from_utf8(exponent)
        .ok()
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    let mut digits = Digits::new();
    for &b in mantissa.iter().filter(|b| b.is_ascii_digit()) {
        digits.push(u32::from(b - b'0'));
    }
    while digits.len > 1 && digits.buf[digits.len - 1] == b'0' {
        digits.len -= 1;
    }
    digits.exponent = exponent + 1;
    digits
}

/// Bits of a `double`'s fraction field (where the old algorithm keeps every significand).
const FRACTION_BITS: i32 = 52;

/// Java 17's digits of a finite non-zero `double` (the sign is ignored).
pub fn double_digits(value: f64) -> Digits {
    let bits = value.to_bits();
    let fraction = bits & ((1 << FRACTION_BITS) - 1);
    let biased = ((bits >> FRACTION_BITS) & 0x7ff) as i32;
    if biased == 0 {
        if fraction == 0 {
            return zero_digits();
        }
        // Subnormal: normalize, counting only the bits the value has.
        let leading = fraction.leading_zeros() as i32;
        let shift = leading - (63 - FRACTION_BITS);
        generate(1 - shift - 1023, fraction << shift, 64 - leading)
    } else {
        generate(
            biased - 1023,
            fraction | 1 << FRACTION_BITS,
            FRACTION_BITS + 1,
        )
    }
}

/// Java 17's digits of a finite non-zero `float` (the sign is ignored). The old algorithm runs
/// the `double` conversion on the float's significand, with a float's precision.
pub fn float_digits(value: f32) -> Digits {
    let bits = value.to_bits();
    let fraction = bits & ((1 << 23) - 1);
    let biased = ((bits >> 23) & 0xff) as i32;
    let widen = |f: u32| u64::from(f) << (FRACTION_BITS - 23);
    if biased == 0 {
        if fraction == 0 {
            return zero_digits();
        }
        let leading = fraction.leading_zeros() as i32;
        let shift = leading - 8;
        generate(1 - shift - 127, widen(fraction << shift), 32 - leading)
    } else {
        generate(biased - 127, widen(fraction | 1 << 23), 24)
    }
}

fn zero_digits() -> Digits {
    let mut digits = Digits::new();
    digits.push(0);
    digits.exponent = 1;
    digits
}

/// `5^i` for every `i` that fits in an `i64`.
const POW5: [u64; 28] = {
    let mut table = [1u64; 28];
    let mut i = 1;
    while i < 28 {
        table[i] = table[i - 1] * 5;
        i += 1;
    }
    table
};

/// The bits of `5^i` the old algorithm reckons with when it decides whether its integers fit
/// a machine word: the bit length of `5^i` below 27 (0 for `5^0`), `3i` from there on.
fn five_pow_bits(i: i32) -> i32 {
    match usize::try_from(i) {
        Ok(0) => 0,
        Ok(i) if i < 27 => 64 - POW5[i].leading_zeros() as i32,
        _ => i.saturating_mul(3),
    }
}

/// How many low decimal digits of an integer value with `2^p2` between two neighbours carry no
/// information: the digits of `2^p2` but one (none below `2^2`).
fn insignificant_digits(p2: i32) -> u32 {
    if !(2..64).contains(&p2) {
        return 0;
    }
    let mut pow = 1u64 << p2;
    let mut digits = 0;
    while pow >= 10 {
        pow /= 10;
        digits += 1;
    }
    digits
}

/// The old algorithm's first guess of `floor(log10(value))` for a significand `fraction`
/// (hidden bit at bit 52) times `2^(bin_exp - 52)`: a line through log10 at 1.5. It is never
/// below the true value for the values it meets; when it is one too high the first digit comes
/// out 0 and is dropped.
fn estimate_decimal_exponent(fraction: u64, bin_exp: i32) -> i32 {
    // log10(2) cut to 15 digits: the estimate must use the old constant, not a closer one.
    #[allow(clippy::approx_constant)]
    const LOG10_2_CUT: f64 = 0.301_029_995_663_981;
    let d2 = f64::from_bits((1023u64 << FRACTION_BITS) | (fraction & ((1 << FRACTION_BITS) - 1)));
    let d = (d2 - 1.5) * 0.289_529_654 + 0.176_091_259 + f64::from(bin_exp) * LOG10_2_CUT;
    d.floor() as i32
}

/// The powers of 5 and 2 of the scaled value `B`, divisor `S` and half-ULP `M`.
#[derive(Debug, Clone, Copy)]
struct Scales {
    b5: i32,
    b2: i32,
    s5: i32,
    s2: i32,
    m5: i32,
    m2: i32,
}

/// Where digit generation stopped: whether the remainder was within half an ULP of the lower
/// (`low`) and of the upper (`high`) neighbour, and how twice the last remainder compares with
/// the divisor (which way a tie between the two goes).
struct Stop {
    low: bool,
    high: bool,
    half: Ordering,
}

/// Java 17's digits of `fraction × 2^(bin_exp - 52)` (`fraction` with its leading bit at bit
/// 52), a value with `significant` bits of precision.
fn generate(bin_exp: i32, fraction: u64, significant: i32) -> Digits {
    let tail_zeros = fraction.trailing_zeros() as i32;
    let fraction_bits = FRACTION_BITS + 1 - tail_zeros;
    // The bits right of the binary point.
    let tiny_bits = (fraction_bits - bin_exp - 1).max(0);
    if tiny_bits == 0 && bin_exp <= 62 {
        // An integer below 2^63: its own digits, less those below the format's precision.
        let insignificant = if bin_exp > significant {
            insignificant_digits(bin_exp - significant - 1)
        } else {
            0
        };
        let whole = if bin_exp >= FRACTION_BITS {
            fraction << (bin_exp - FRACTION_BITS)
        } else {
            fraction >> (FRACTION_BITS - bin_exp)
        };
        return integer_digits(whole, insignificant);
    }

    let mut decimal_exponent = estimate_decimal_exponent(fraction, bin_exp);
    let b5 = (-decimal_exponent).max(0);
    let s5 = decimal_exponent.max(0);
    let mut scales = Scales {
        b5,
        b2: b5 + tiny_bits + bin_exp - (fraction_bits - 1),
        s5,
        s2: s5 + tiny_bits,
        m5: b5,
        m2: b5 + tiny_bits + bin_exp - significant,
    };
    let common = scales.b2.min(scales.s2);
    scales.b2 -= common;
    scales.s2 -= common;
    scales.m2 -= common;
    if fraction_bits == 1 {
        // A power of two: the ULP below is half the ULP above (the test stays symmetric).
        scales.m2 -= 1;
    }
    if scales.m2 < 0 {
        scales.b2 -= scales.m2;
        scales.s2 -= scales.m2;
        scales.m2 = 0;
    }
    let significand = fraction >> tail_zeros;
    let b_bits = fraction_bits + scales.b2 + five_pow_bits(scales.b5);
    let ten_s_bits = scales.s2 + 1 + five_pow_bits(scales.s5 + 1);

    let mut digits = Digits::new();
    let stop = if b_bits < 32 && ten_s_bits < 32 {
        divide_words::<i32>(significand, scales, &mut decimal_exponent, &mut digits)
    } else if b_bits < 64 && ten_s_bits < 64 {
        divide_words::<i64>(significand, scales, &mut decimal_exponent, &mut digits)
    } else {
        divide_big(significand, scales, &mut decimal_exponent, &mut digits)
    };
    digits.exponent = decimal_exponent + 1;
    let round_up = match (stop.high, stop.low) {
        (true, true) => match stop.half {
            Ordering::Equal => digits.digits().last().is_some_and(|d| d & 1 == 1),
            Ordering::Greater => true,
            Ordering::Less => false,
        },
        (true, false) => true,
        (false, _) => false,
    };
    if round_up {
        digits.round_up();
    }
    digits
}

/// The digits of an integer with its `insignificant` low digits rounded off (half up), without
/// trailing zeros.
fn integer_digits(whole: u64, insignificant: u32) -> Digits {
    let mut value = whole;
    let mut exponent = 0i32;
    if insignificant > 0 {
        let pow = 10u64.saturating_pow(insignificant);
        let rest = value % pow;
        value /= pow;
        exponent += insignificant as i32;
        if rest >= pow / 2 {
            value += 1;
        }
    }
    let mut digits = Digits::new();
    if value == 0 {
        return zero_digits();
    }
    let mut text = itoa::Buffer::new();
    let text = text.format(value).as_bytes();
    let kept = text.iter().rposition(|&b| b != b'0').map_or(1, |i| i + 1);
    for &b in &text[..kept] {
        digits.push(u32::from(b - b'0'));
    }
    digits.exponent = exponent + text.len() as i32;
    digits
}

/// A machine word the digit loop runs in (`int` or `long` in the old algorithm), with its
/// wrapping arithmetic.
trait Word: Copy + Ord {
    const ZERO: Self;
    const TEN: Self;
    /// The low bits of `v`.
    fn truncate(v: u64) -> Self;
    fn mul(self, o: Self) -> Self;
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn shl(self, n: i32) -> Self;
    fn div(self, o: Self) -> Self;
    fn rem(self, o: Self) -> Self;
    fn digit(self) -> u32;
}

macro_rules! word {
    ($t:ty) => {
        impl Word for $t {
            const ZERO: Self = 0;
            const TEN: Self = 10;
            fn truncate(v: u64) -> Self {
                v as $t
            }
            fn mul(self, o: Self) -> Self {
                self.wrapping_mul(o)
            }
            fn add(self, o: Self) -> Self {
                self.wrapping_add(o)
            }
            fn sub(self, o: Self) -> Self {
                self.wrapping_sub(o)
            }
            fn shl(self, n: i32) -> Self {
                self.wrapping_shl(n as u32)
            }
            fn div(self, o: Self) -> Self {
                self.checked_div(o).unwrap_or(0)
            }
            fn rem(self, o: Self) -> Self {
                self.checked_rem(o).unwrap_or(0)
            }
            fn digit(self) -> u32 {
                self as u32
            }
        }
    };
}
word!(i32);
word!(i64);

fn pow5<W: Word>(i: i32) -> W {
    W::truncate(
        usize::try_from(i)
            .ok()
            .and_then(|i| POW5.get(i))
            .copied()
            .unwrap_or(0),
    )
}

/// Whether the text is in `E` notation, where at least two digits are written: the stopping
/// test is skipped after the first digit.
fn needs_second_digit(decimal_exponent: i32) -> bool {
    !(-3..8).contains(&decimal_exponent)
}

/// The digit loop in a machine word (all of `B`, `10·S` and `M` fit): the upper test is strict
/// here (`B + M > 10·S`).
fn divide_words<W: Word>(
    significand: u64,
    scales: Scales,
    decimal_exponent: &mut i32,
    digits: &mut Digits,
) -> Stop {
    let mut b = W::truncate(significand).mul(pow5(scales.b5)).shl(scales.b2);
    let s = pow5::<W>(scales.s5).shl(scales.s2);
    let mut m = pow5::<W>(scales.m5).shl(scales.m2);
    let tens = s.mul(W::TEN);

    let q = b.div(s);
    b = W::TEN.mul(b.rem(s));
    m = m.mul(W::TEN);
    let mut low = b < m;
    let mut high = b.add(m) > tens;
    if q == W::ZERO && !high {
        // The estimate was one too high.
        *decimal_exponent -= 1;
    } else {
        digits.push(q.digit());
    }
    if needs_second_digit(*decimal_exponent) {
        low = false;
        high = false;
    }
    while !low && !high {
        let q = b.div(s);
        b = W::TEN.mul(b.rem(s));
        m = m.mul(W::TEN);
        if m > W::ZERO {
            low = b < m;
            high = b.add(m) > tens;
        } else {
            // M overflowed: it is larger than anything left.
            low = true;
            high = true;
        }
        if !digits.push(q.digit()) {
            break;
        }
    }
    Stop {
        low,
        high,
        half: b.shl(1).sub(tens).cmp(&W::ZERO),
    }
}

/// The digit loop in big integers: the upper test is not strict here (`B + M >= 10·S`).
fn divide_big(
    significand: u64,
    scales: Scales,
    decimal_exponent: &mut i32,
    digits: &mut Digits,
) -> Stop {
    let s = Big::pow52(scales.s5, scales.s2);
    let mut b = Big::from(significand);
    b.mul_pow5(scales.b5);
    b.shl(scales.b2);
    let mut m = Big::pow52(scales.m5 + 1, scales.m2 + 1);
    let tens = Big::pow52(scales.s5 + 1, scales.s2 + 1);

    let q = b.quotient_step(&s);
    let mut low = b.cmp(&m) == Ordering::Less;
    let mut high = b.sum_cmp(&m, &tens) != Ordering::Less;
    if q == 0 && !high {
        *decimal_exponent -= 1;
    } else {
        digits.push(q);
    }
    if needs_second_digit(*decimal_exponent) {
        low = false;
        high = false;
    }
    while !low && !high {
        let q = b.quotient_step(&s);
        m.mul_small(10);
        low = b.cmp(&m) == Ordering::Less;
        high = b.sum_cmp(&m, &tens) != Ordering::Less;
        if !digits.push(q) {
            break;
        }
    }
    let half = if high && low {
        b.shl(1);
        b.cmp(&tens)
    } else {
        Ordering::Equal
    };
    Stop { low, high, half }
}

/// 64-bit limbs of a [`Big`]: the largest scaled value of a `double` takes about 800 bits.
const LIMBS: usize = 24;

/// An unsigned integer of up to `64 × LIMBS` bits, little-endian limbs (bits past the end are
/// dropped, which the values met here never reach).
#[derive(Debug, Clone, Copy)]
struct Big {
    limbs: [u64; LIMBS],
    len: usize,
}

impl From<u64> for Big {
    fn from(v: u64) -> Self {
        let mut limbs = [0; LIMBS];
        limbs[0] = v;
        Self {
            limbs,
            len: usize::from(v != 0),
        }
    }
}

impl Big {
    /// `5^p5 × 2^p2`.
    fn pow52(p5: i32, p2: i32) -> Self {
        let mut big = Self::from(1);
        big.mul_pow5(p5);
        big.shl(p2);
        big
    }

    fn used(&self) -> &[u64] {
        &self.limbs[..self.len.min(LIMBS)]
    }

    fn trim(&mut self) {
        while self.len > 0 && self.limbs[self.len - 1] == 0 {
            self.len -= 1;
        }
    }

    fn mul_small(&mut self, factor: u64) {
        let mut carry = 0u128;
        for limb in &mut self.limbs[..self.len.min(LIMBS)] {
            let product = u128::from(*limb) * u128::from(factor) + carry;
            *limb = product as u64;
            carry = product >> 64;
        }
        if carry != 0 && self.len < LIMBS {
            self.limbs[self.len] = carry as u64;
            self.len += 1;
        }
    }

    fn mul_pow5(&mut self, mut p: i32) {
        while p > 0 {
            let step = p.min(27);
            self.mul_small(POW5[step as usize]);
            p -= step;
        }
    }

    fn shl(&mut self, bits: i32) {
        let Ok(bits) = usize::try_from(bits) else {
            return;
        };
        if bits == 0 || self.len == 0 {
            return;
        }
        let words = bits / 64;
        let rest = (bits % 64) as u32;
        let new_len = (self.len + words + 1).min(LIMBS);
        for i in (0..new_len).rev() {
            let hi = i
                .checked_sub(words)
                .and_then(|j| self.limbs.get(j))
                .copied()
                .unwrap_or(0);
            let lo = i
                .checked_sub(words + 1)
                .and_then(|j| self.limbs.get(j))
                .copied()
                .unwrap_or(0);
            self.limbs[i] = if rest == 0 {
                hi
            } else {
                hi << rest | lo >> (64 - rest)
            };
        }
        self.len = new_len;
        self.trim();
    }

    fn cmp(&self, other: &Self) -> Ordering {
        self.len.cmp(&other.len).then_with(|| {
            for (a, b) in self.used().iter().rev().zip(other.used().iter().rev()) {
                match a.cmp(b) {
                    Ordering::Equal => {}
                    unequal => return unequal,
                }
            }
            Ordering::Equal
        })
    }

    /// How `self + addend` compares with `other`.
    fn sum_cmp(&self, addend: &Self, other: &Self) -> Ordering {
        let mut sum = *self;
        let len = self.len.max(addend.len).min(LIMBS);
        let mut carry = false;
        for i in 0..len {
            let (partial, c1) = sum.limbs[i].overflowing_add(addend.limbs[i]);
            let (total, c2) = partial.overflowing_add(u64::from(carry));
            sum.limbs[i] = total;
            carry = c1 || c2;
        }
        sum.len = len;
        if carry && len < LIMBS {
            sum.limbs[len] = 1;
            sum.len += 1;
        }
        sum.cmp(other)
    }

    /// `self -= other`, for `other <= self`.
    fn sub_assign(&mut self, other: &Self) {
        let mut borrow = false;
        for i in 0..self.len.min(LIMBS) {
            let (partial, b1) = self.limbs[i].overflowing_sub(other.limbs[i]);
            let (total, b2) = partial.overflowing_sub(u64::from(borrow));
            self.limbs[i] = total;
            borrow = b1 || b2;
        }
        self.trim();
    }

    /// `q = self / divisor; self = 10 × (self mod divisor)`, returning `q` (a digit: the
    /// caller keeps `self < 10 × divisor`).
    fn quotient_step(&mut self, divisor: &Self) -> u32 {
        // A guess from the leading limbs (off by one at most), then corrected exactly.
        let mut q = self.quotient_guess(divisor);
        if q > 0 {
            let mut product = *divisor;
            product.mul_small(u64::from(q));
            while q > 0 && product.cmp(self) == Ordering::Greater {
                product.sub_assign(divisor);
                q -= 1;
            }
            self.sub_assign(&product);
        }
        while q < 16 && self.cmp(divisor) != Ordering::Less {
            self.sub_assign(divisor);
            q += 1;
        }
        self.mul_small(10);
        q
    }

    /// `self / divisor` from the three limbs of each from the divisor's top limb up, in
    /// floating point (at most 15).
    fn quotient_guess(&self, divisor: &Self) -> u32 {
        let Some(top) = divisor.len.checked_sub(1) else {
            return 0;
        };
        let lead = |big: &Self| {
            [(top + 1, 18_446_744_073_709_551_616.0), (top, 1.0)]
                .into_iter()
                .chain(
                    top.checked_sub(1)
                        .map(|i| (i, 1.0 / 18_446_744_073_709_551_616.0)),
                )
                .map(|(i, scale)| big.limbs.get(i).map_or(0.0, |&l| l as f64 * scale))
                .sum::<f64>()
        };
        let guess = (lead(self) / lead(divisor)).floor();
        if guess >= 1.0 {
            (guess as u32).min(15)
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn f64s(v: f64, text: FloatText) -> String {
        let mut out = Vec::new();
        write_f64(&mut out, v, text);
        String::from_utf8(out).unwrap()
    }

    fn f32s(v: f32, text: FloatText) -> String {
        let mut out = Vec::new();
        write_f32(&mut out, v, text);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn doubles_as_java_17_prints_them() {
        for (v, want) in [
            (0.1, "0.1"),
            (1.5, "1.5"),
            (1e20, "1.0E20"),
            (1e23, "9.999999999999999E22"),
            (2e23, "1.9999999999999998E23"),
            (8.41e21, "8.409999999999999E21"),
            (2e-3, "0.002"),
            (1e-3, "0.001"),
            (5e-324, "4.9E-324"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (f64::MAX, "1.7976931348623157E308"),
            (f64::MIN_POSITIVE, "2.2250738585072014E-308"),
            (4_611_686_018_427_387_904.0, "4.6116860184273879E18"),
            (9_223_372_036_854_775_808.0, "9.223372036854776E18"),
            (100.0, "100.0"),
            (1e7, "1.0E7"),
            (9_999_999.0, "9999999.0"),
            (-2.5, "-2.5"),
            (f64::NAN, "\"NaN\""),
            (f64::NEG_INFINITY, "\"-Infinity\""),
        ] {
            assert_eq!(f64s(v, FloatText::Java17), want, "{v:e}");
        }
    }

    #[test]
    fn floats_as_java_17_prints_them() {
        for (v, want) in [
            (1.5e10f32, "1.50000005E10"),
            (1.175_494_4e-38, "1.17549435E-38"),
            (123_456_789.0, "1.23456792E8"),
            (f32::MAX, "3.4028235E38"),
            (1e-45, "1.4E-45"),
            (0.1, "0.1"),
            (1.0, "1.0"),
            (f32::INFINITY, "\"Infinity\""),
        ] {
            assert_eq!(f32s(v, FloatText::Java17), want, "{v:e}");
        }
    }

    #[test]
    fn shortest_text_as_java_19_prints_it() {
        for (v, want) in [
            (2e-3, "0.002"),
            (5e-324, "4.9E-324"),
            (1e23, "1.0E23"),
            (8.41e21, "8.41E21"),
            (4_611_686_018_427_387_904.0, "4.611686018427388E18"),
            (1_234_567_890.123_456_8, "1.2345678901234567E9"),
            (0.000_999, "9.99E-4"),
            (123_456.789, "123456.789"),
        ] {
            assert_eq!(f64s(v, FloatText::Shortest), want, "{v:e}");
        }
        assert_eq!(f32s(1.5e10, FloatText::Shortest), "1.5E10");
        assert_eq!(f32s(1e-45, FloatText::Shortest), "1.4E-45");
    }
}
