//! `inet`, `cidr`, `macaddr` and `macaddr8`.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::error::Reason;
use super::scan::{hex_digit, hex_value};

/// An `inet` or `cidr` value: an address and a network prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Inet {
    /// The address (for `cidr`, the network address: host bits are zero).
    pub addr: IpAddr,
    /// The prefix length: 0-32 for IPv4, 0-128 for IPv6.
    pub prefix: u8,
}

impl Inet {
    /// Parses `inet_out`'s and `cidr_out`'s text: `192.168.0.1`, `10.0.0.0/8`, `::1`,
    /// `fe80::/64`. Without a `/`, the prefix is the whole address.
    pub fn parse(text: &[u8]) -> Result<Inet, Reason> {
        let text = std::str::from_utf8(text).map_err(|_| "not UTF-8")?;
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| "not an IP address")?;
        let max = Self::max_prefix_of(addr);
        let prefix = match prefix {
            Some(prefix) => prefix.parse().map_err(|_| "bad prefix length")?,
            None => max,
        };
        if prefix > max {
            return Err("prefix length too long");
        }
        Ok(Inet { addr, prefix })
    }

    fn max_prefix_of(addr: IpAddr) -> u8 {
        match addr {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        }
    }

    /// The text PostgreSQL prints: `inet` omits a prefix covering the whole address, `cidr`
    /// always shows it.
    pub fn to_pg_string(&self, cidr: bool) -> String {
        let mut text = String::new();
        let _ = self.write_pg(&mut text, cidr);
        text
    }

    /// Writes the text PostgreSQL prints (see [`Inet::to_pg_string`]).
    pub fn write_pg(&self, w: &mut dyn fmt::Write, cidr: bool) -> fmt::Result {
        match self.addr {
            IpAddr::V4(v4) => write!(w, "{v4}")?,
            IpAddr::V6(v6) => write_ipv6(w, v6)?,
        }
        if cidr || self.prefix != Self::max_prefix_of(self.addr) {
            write!(w, "/{}", self.prefix)?;
        }
        Ok(())
    }
}

/// An IPv6 address as PostgreSQL prints it: lowercase, the first longest run of two or more
/// zero groups as `::`, and an embedded IPv4 address after `::` or `::ffff:`.
fn write_ipv6(w: &mut dyn fmt::Write, addr: Ipv6Addr) -> fmt::Result {
    let words = addr.segments();
    let (mut best_start, mut best_len) = (0usize, 0usize);
    let mut run_start = None;
    for i in 0..=words.len() {
        match (words.get(i), run_start) {
            (Some(0), None) => run_start = Some(i),
            (Some(0), Some(_)) => {}
            (_, Some(start)) => {
                if i - start > best_len {
                    (best_start, best_len) = (start, i - start);
                }
                run_start = None;
            }
            (_, None) => {}
        }
    }
    if best_len < 2 {
        best_len = 0;
    }
    let embedded_v4 = best_len > 0
        && best_start == 0
        && (best_len == 6 || (best_len == 5 && words.get(5) == Some(&0xffff)));
    let mut i = 0;
    while i < words.len() {
        if best_len > 0 && i == best_start {
            w.write_str(if i == 0 { "::" } else { ":" })?;
            i += best_len;
            continue;
        }
        if embedded_v4 && i == 6 {
            let [.., a, b, c, d] = addr.octets();
            return write!(w, "{}", Ipv4Addr::new(a, b, c, d));
        }
        let word = words.get(i).copied().unwrap_or(0);
        write!(w, "{word:x}")?;
        i += 1;
        if i < words.len() {
            w.write_str(":")?;
        }
    }
    Ok(())
}

/// A `macaddr` (6 bytes) or `macaddr8` (8 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MacAddr<const N: usize>(pub [u8; N]);

impl<const N: usize> MacAddr<N> {
    /// Parses the hex digits of a MAC address, whatever the separators (`:`, `-`, `.`) or their
    /// absence. A `macaddr8` also accepts a 6-byte address, which becomes EUI-64 with `ff:fe` in
    /// the middle, as PostgreSQL converts it.
    pub fn parse(text: &[u8]) -> Result<Self, Reason> {
        let mut bytes = [0u8; 8];
        let mut count = 0;
        let mut digits = text
            .iter()
            .copied()
            .filter(|b| !matches!(b, b':' | b'-' | b'.'));
        while let Some(high) = digits.next() {
            let low = digits.next().ok_or("odd number of hex digits")?;
            let (Some(high), Some(low)) = (hex_value(high), hex_value(low)) else {
                return Err("invalid hex digit");
            };
            *bytes.get_mut(count).ok_or("too many bytes")? = high << 4 | low;
            count += 1;
        }
        let mut out = [0u8; N];
        match (N, count) {
            (n, c) if n == c => out.copy_from_slice(bytes.get(..N).unwrap_or_default()),
            (8, 6) => {
                let [a, b, c, d, e, f, ..] = bytes;
                let eui64 = [a, b, c, 0xff, 0xfe, d, e, f];
                out.copy_from_slice(eui64.get(..N).unwrap_or_default());
            }
            _ => return Err("wrong number of bytes"),
        }
        Ok(Self(out))
    }
}

impl<const N: usize> fmt::Display for MacAddr<N> {
    /// Lowercase hex pairs separated by `:`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{}{}", hex_digit(b >> 4), hex_digit(*b))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn inet(text: &str) -> Inet {
        Inet::parse(text.as_bytes()).unwrap()
    }

    #[test]
    fn addresses_print_as_postgresql_prints_them() {
        for (text, cidr, shown) in [
            ("::1", false, "::1"),
            ("::1.2.3.4", false, "::1.2.3.4"),
            ("::ffff:1.2.3.4", false, "::ffff:1.2.3.4"),
            ("1:0:2:0:0:3:0:4", false, "1:0:2::3:0:4"),
            ("1:0:2:3:4:5:6:7", false, "1:0:2:3:4:5:6:7"),
            ("0:0:0:0:0:1:0:0", false, "::1:0:0"),
            ("1::", false, "1::"),
            ("::", false, "::"),
            ("FE80::/64", true, "fe80::/64"),
            ("::1.2.3.4/120", false, "::1.2.3.4/120"),
            ("2001:db8:0:0:1:0:0:1", false, "2001:db8::1:0:0:1"),
            ("10.0.0.0/8", true, "10.0.0.0/8"),
            ("1.2.3.4", false, "1.2.3.4"),
            ("1.2.3.4/32", true, "1.2.3.4/32"),
            ("1.2.3.4/24", false, "1.2.3.4/24"),
            ("0.0.0.0/0", true, "0.0.0.0/0"),
        ] {
            assert_eq!(inet(text).to_pg_string(cidr), shown, "{text}");
        }
        assert_eq!(inet("1.2.3.4").prefix, 32);
        assert_eq!(inet("::/0").prefix, 0);
        for bad in ["", "1.2.3", "1.2.3.4/33", "::/129", "1.2.3.4/", "x"] {
            assert!(Inet::parse(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn mac_addresses() {
        let m = MacAddr::<6>::parse(b"08:00:2B:01:02:03").unwrap();
        assert_eq!(m.to_string(), "08:00:2b:01:02:03");
        assert_eq!(MacAddr::<6>::parse(b"0800.2b01.0203").unwrap(), m);
        assert_eq!(MacAddr::<6>::parse(b"08002b010203").unwrap(), m);
        let m8 = MacAddr::<8>::parse(b"08:00:2b:01:02:03").unwrap();
        assert_eq!(m8.to_string(), "08:00:2b:ff:fe:01:02:03");
        assert_eq!(MacAddr::<8>::parse(b"08-00-2b-ff-fe-01-02-03").unwrap(), m8);
        for bad in [
            "",
            "08:00:2b:01:02",
            "08:00:2b:01:02:03:04",
            "0g:00:2b:01:02:03",
            "080",
        ] {
            assert!(MacAddr::<6>::parse(bad.as_bytes()).is_err(), "{bad}");
        }
        assert!(MacAddr::<8>::parse(b"08:00:2b:01:02:03:04").is_err());
    }
}
