//! The unit-carrying scalar types of hl and their validation: CPU, memory/storage quantities,
//! durations, ports, DNS labels, hostnames, IP addresses, CIDRs and image references.
//!
//! These are pure functions from literal text to a normalised value or an error that says
//! what is wrong; the type checker turns the errors into diagnostics with spans.

pub mod schedule;

use std::fmt;
use std::net::IpAddr;

/// The scalar types that the language checks beyond plain strings and numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scalar {
    Cpu,
    Memory,
    Duration,
    Port,
    DnsLabel,
    Hostname,
    Ip,
    Cidr,
    Image,
    Path,
    Schedule,
    /// A port of a container by number or by name (Kubernetes' `IntOrString` of probes).
    PortRef,
    /// A DNS subdomain (RFC 1123): dot-separated DNS labels, the names Kubernetes allows for
    /// ConfigMaps, Secrets and most other objects (`mailserver.config`).
    DnsSubdomain,
    /// A count or a percentage (`1`, `"25%"`: a rollout's `max_surge`).
    IntOrPercent,
    /// A container port's name (Kubernetes' IANA_SVC_NAME): at most 15 lowercase letters,
    /// digits and `-`, with a letter (`http`, `metrics`).
    PortName,
}

impl Scalar {
    pub const ALL: &'static [Scalar] = &[
        Scalar::Cpu,
        Scalar::Memory,
        Scalar::Duration,
        Scalar::Port,
        Scalar::DnsLabel,
        Scalar::Hostname,
        Scalar::Ip,
        Scalar::Cidr,
        Scalar::Image,
        Scalar::Path,
        Scalar::Schedule,
        Scalar::PortRef,
        Scalar::IntOrPercent,
        Scalar::DnsSubdomain,
        Scalar::PortName,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scalar::Cpu => "Cpu",
            Scalar::Memory => "Memory",
            Scalar::Duration => "Duration",
            Scalar::Port => "Port",
            Scalar::DnsLabel => "DnsLabel",
            Scalar::Hostname => "Hostname",
            Scalar::Ip => "Ip",
            Scalar::Cidr => "Cidr",
            Scalar::Image => "Image",
            Scalar::Path => "Path",
            Scalar::PortRef => "PortRef",
            Scalar::IntOrPercent => "IntOrPercent",
            Scalar::DnsSubdomain => "DnsSubdomain",
            Scalar::Schedule => "Schedule",
            Scalar::PortName => "PortName",
        }
    }

    pub fn from_name(name: &str) -> Option<Scalar> {
        // `Storage` is the same quantity as `Memory` (bytes with binary or decimal suffixes).
        if name == "Storage" {
            return Some(Scalar::Memory);
        }
        Scalar::ALL.iter().copied().find(|s| s.name() == name)
    }

    /// Whether values of this type are written as quantities (numbers with units).
    pub fn is_quantity(self) -> bool {
        matches!(self, Scalar::Cpu | Scalar::Memory | Scalar::Duration)
    }

    /// A short description for hover and messages.
    pub fn describe(self) -> &'static str {
        match self {
            Scalar::Cpu => "CPU as cores (`1`, `0.5`) or millicores (`15m`)",
            Scalar::Memory => "bytes with a suffix: `Ki`, `Mi`, `Gi`, `Ti` (binary) or `k`, `M`, `G`, `T` (decimal)",
            Scalar::Duration => "a duration: `500ms`, `30s`, `15m`, `3h`, `7d`",
            Scalar::Port => "a TCP/UDP port, 1 to 65535",
            Scalar::DnsLabel => "a DNS label (RFC 1123): lowercase letters, digits and `-`, at most 63 characters",
            Scalar::Hostname => "a DNS hostname: dot-separated DNS labels, at most 253 characters",
            Scalar::Ip => "an IPv4 or IPv6 address",
            Scalar::Cidr => "an IP network in CIDR form, such as `192.0.2.0/24`",
            Scalar::Image => "a container image reference: `[registry/]repository[:tag][@digest]`",
            Scalar::Path => "an absolute file-system path",
            Scalar::PortRef => "a container port: its number (1 to 65535) or its name (`http`)",
            Scalar::IntOrPercent => "a count (`1`) or a percentage (`\"25%\"`)",
            Scalar::PortName => "a container port's name: 1 to 15 lowercase letters, digits and `-`, with a letter",
            Scalar::DnsSubdomain => {
                "a DNS subdomain (RFC 1123): dot-separated DNS labels, at most 253 characters (`mailserver.config`)"
            }
            Scalar::Schedule => {
                "a schedule: a cron expression (`0 3 * * *`, `@daily`) or a systemd calendar event (`*-*-* 03:00:00`, `Sun *-*-* 01:00`)"
            }
        }
    }
}

/// What kind of quantity a unit suffix denotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnitKind {
    Memory,
    /// `m` is millicores for CPU and minutes for durations.
    MilliOrMinute,
    Duration,
}

pub fn unit_kind(unit: &str) -> Option<UnitKind> {
    Some(match unit {
        "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" | "k" | "K" | "M" | "G" | "T" | "P" | "E" => UnitKind::Memory,
        "m" => UnitKind::MilliOrMinute,
        "ms" | "s" | "h" | "d" => UnitKind::Duration,
        _ => return None,
    })
}

/// Why a literal is not a valid value of its type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValueError {
    /// The unit belongs to another kind of quantity (`cpu = 256Mi`).
    WrongUnit { unit: String, found: &'static str, expected: Scalar },
    /// The unit is not known at all.
    UnknownUnit { unit: String, expected: Scalar },
    /// The number is outside the allowed range.
    OutOfRange { value: String, min: String, max: String },
    /// The text does not have the shape of the type.
    Invalid { reason: String },
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueError::WrongUnit { unit, found, expected } => {
                write!(f, "`{unit}` is a {found} unit, not a {} unit", expected.name())
            }
            ValueError::UnknownUnit { unit, expected } => write!(f, "`{unit}` is not a unit of {}", expected.name()),
            ValueError::OutOfRange { value, min, max } => write!(f, "{value} is outside {min}..={max}"),
            ValueError::Invalid { reason } => f.write_str(reason),
        }
    }
}

fn invalid(reason: impl Into<String>) -> ValueError {
    ValueError::Invalid { reason: reason.into() }
}

fn unit_kind_name(unit: &str) -> &'static str {
    match unit_kind(unit) {
        Some(UnitKind::Memory) => "memory",
        Some(UnitKind::Duration) => "duration",
        Some(UnitKind::MilliOrMinute) => "CPU or duration",
        None => "unknown",
    }
}

/// CPU in millicores from `number` and an optional unit (`m` or none for cores).
pub fn cpu_millis(number: f64, unit: Option<&str>) -> Result<u64, ValueError> {
    let millis = match unit {
        None => number * 1000.0,
        Some("m") => number,
        Some(u) => return Err(wrong_unit(u, Scalar::Cpu)),
    };
    // A fraction of a millicore is out of range like a fraction of a byte (`Memory`) or of a
    // millisecond (`Duration`): E0203, whose docs page uses `0.5m` as its example.
    if !(0.0..=1_000_000_000.0).contains(&millis) || millis.fract() != 0.0 {
        return Err(ValueError::OutOfRange {
            value: format_number(number, unit),
            min: "0".into(),
            max: "1000000 cores in whole millicores".into(),
        });
    }
    Ok(millis as u64)
}

/// Memory or storage in bytes.
pub fn memory_bytes(number: f64, unit: Option<&str>) -> Result<u64, ValueError> {
    let mult: f64 = match unit {
        None => 1.0,
        Some("Ki") => 1024.0,
        Some("Mi") => 1024f64.powi(2),
        Some("Gi") => 1024f64.powi(3),
        Some("Ti") => 1024f64.powi(4),
        Some("Pi") => 1024f64.powi(5),
        Some("Ei") => 1024f64.powi(6),
        Some("k" | "K") => 1e3,
        Some("M") => 1e6,
        Some("G") => 1e9,
        Some("T") => 1e12,
        Some("P") => 1e15,
        Some("E") => 1e18,
        Some(u) => return Err(wrong_unit(u, Scalar::Memory)),
    };
    let bytes = number * mult;
    if !(0.0..=9.2e18).contains(&bytes) || bytes.fract() != 0.0 {
        return Err(ValueError::OutOfRange {
            value: format_number(number, unit),
            min: "0".into(),
            max: "8Ei in whole bytes".into(),
        });
    }
    Ok(bytes as u64)
}

/// A duration in milliseconds.
pub fn duration_millis(number: f64, unit: Option<&str>) -> Result<u64, ValueError> {
    let mult = match unit {
        Some("ms") => 1.0,
        Some("s") => 1e3,
        Some("m") => 60e3,
        Some("h") => 3600e3,
        Some("d") => 86_400e3,
        None => {
            return Err(invalid(format!(
                "a duration needs a unit: `{}s`, `{}m` or `{}h`",
                format_number(number, None),
                format_number(number, None),
                format_number(number, None)
            )));
        }
        Some(u) => return Err(wrong_unit(u, Scalar::Duration)),
    };
    let ms = number * mult;
    if !(0.0..=3.2e12).contains(&ms) || ms.fract() != 0.0 {
        return Err(ValueError::OutOfRange {
            value: format_number(number, unit),
            min: "0ms".into(),
            max: "100 years in whole milliseconds".into(),
        });
    }
    Ok(ms as u64)
}

fn wrong_unit(unit: &str, expected: Scalar) -> ValueError {
    if unit_kind(unit).is_some() {
        ValueError::WrongUnit { unit: unit.to_string(), found: unit_kind_name(unit), expected }
    } else {
        ValueError::UnknownUnit { unit: unit.to_string(), expected }
    }
}

fn format_number(n: f64, unit: Option<&str>) -> String {
    format!("{n}{}", unit.unwrap_or(""))
}

pub fn port(n: i64) -> Result<u16, ValueError> {
    if (1..=65535).contains(&n) {
        Ok(n as u16)
    } else {
        Err(ValueError::OutOfRange { value: n.to_string(), min: "1".into(), max: "65535".into() })
    }
}

/// A port's name as Kubernetes takes it (an IANA service name): 1 to 15 lowercase letters,
/// digits and `-`, with at least one letter, no `-` at either end and no `--`.
pub fn port_name(s: &str) -> Result<(), ValueError> {
    let ok_chars = s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if s.is_empty() || s.len() > 15 || !ok_chars {
        return Err(invalid("a port name has 1 to 15 lowercase letters, digits and `-`"));
    }
    if !s.chars().any(|c| c.is_ascii_lowercase()) || s.starts_with('-') || s.ends_with('-') || s.contains("--") {
        return Err(invalid("a port name has a letter, and no `-` at either end or twice in a row"));
    }
    Ok(())
}

/// A percentage as Kubernetes writes one in an `IntOrString`: digits and `%` (`25%`).
pub fn percent(s: &str) -> Result<(), ValueError> {
    match s.strip_suffix('%') {
        Some(n) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => Ok(()),
        _ => Err(invalid("a percentage is digits followed by `%` (`25%`)")),
    }
}

/// An RFC 1123 DNS label, as Kubernetes requires for most object names.
pub fn dns_label(s: &str) -> Result<(), ValueError> {
    if s.is_empty() {
        return Err(invalid("a DNS label cannot be empty"));
    }
    if s.len() > 63 {
        return Err(invalid(format!("a DNS label has at most 63 characters; this one has {}", s.len())));
    }
    if let Some(c) = s.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')) {
        // A letter outside ASCII is often a look-alike of an ASCII one (Cyrillic `е`, `о`).
        let which =
            if c.is_ascii() { String::new() } else { format!(" (U+{:04X}, not an ASCII letter)", u32::from(c)) };
        return Err(invalid(format!(
            "`{c}`{which} is not allowed in a DNS label (only lowercase letters, digits and `-`)"
        )));
    }
    if s.starts_with('-') || s.ends_with('-') {
        return Err(invalid("a DNS label must start and end with a letter or digit"));
    }
    Ok(())
}

/// A DNS hostname: labels separated by dots (a leading `*.` wildcard is allowed).
pub fn hostname(s: &str) -> Result<(), ValueError> {
    if s.is_empty() {
        return Err(invalid("a hostname cannot be empty"));
    }
    if s.len() > 253 {
        return Err(invalid(format!("a hostname has at most 253 characters; this one has {}", s.len())));
    }
    let body = s.strip_prefix("*.").unwrap_or(s);
    for label in body.split('.') {
        dns_label(label).map_err(|e| invalid(format!("label `{label}`: {e}")))?;
    }
    Ok(())
}

/// An RFC 1123 DNS subdomain: what Kubernetes allows as the name of a ConfigMap, a Secret and
/// most other objects.
pub fn dns_subdomain(s: &str) -> Result<(), ValueError> {
    if s.is_empty() || s.len() > 253 {
        return Err(invalid("a DNS subdomain has 1 to 253 characters"));
    }
    for label in s.split('.') {
        dns_label(label).map_err(|e| invalid(format!("label `{label}`: {e}")))?;
    }
    Ok(())
}

pub fn ip(s: &str) -> Result<IpAddr, ValueError> {
    s.parse::<IpAddr>().map_err(|_| invalid(format!("`{s}` is not an IPv4 or IPv6 address")))
}

pub fn cidr(s: &str) -> Result<(IpAddr, u8), ValueError> {
    let Some((addr, len)) = s.split_once('/') else {
        return Err(invalid(format!("`{s}` has no prefix length (write it as `address/length`)")));
    };
    let addr = ip(addr)?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len: u8 = len.parse().map_err(|_| invalid(format!("`{len}` is not a prefix length")))?;
    if len > max {
        return Err(ValueError::OutOfRange { value: len.to_string(), min: "0".into(), max: max.to_string() });
    }
    Ok((addr, len))
}

/// An absolute path without `..` components.
pub fn abs_path(s: &str) -> Result<(), ValueError> {
    if !s.starts_with('/') {
        return Err(invalid(format!("`{s}` is not an absolute path")));
    }
    if s.split('/').any(|c| c == "..") {
        return Err(invalid("a path must not contain `..`"));
    }
    Ok(())
}

/// A parsed container image reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef {
    pub registry: Option<String>,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageRef {
    /// True when the image is pinned to a version: a digest, or a tag other than `latest`.
    pub fn is_pinned(&self) -> bool {
        self.digest.is_some() || self.tag.as_deref().is_some_and(|t| t != "latest")
    }
}

/// Parse an image reference following the distribution reference grammar.
pub fn image(s: &str) -> Result<ImageRef, ValueError> {
    if s.is_empty() {
        return Err(invalid("an image reference cannot be empty"));
    }
    if s.chars().any(char::is_whitespace) {
        return Err(invalid("an image reference cannot contain spaces"));
    }
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => {
            let ok = d.split_once(':').is_some_and(|(alg, hex)| {
                !alg.is_empty() && hex.len() >= 32 && hex.chars().all(|c| c.is_ascii_hexdigit())
            });
            if !ok {
                return Err(invalid(format!("`{d}` is not a digest (expected `sha256:<hex>`)")));
            }
            (r, Some(d.to_string()))
        }
        None => (s, None),
    };
    // A tag follows the last `:` that comes after the last `/`.
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    if let Some(t) = tag {
        let valid = !t.is_empty()
            && t.len() <= 128
            && t.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
            && !t.starts_with(['.', '-']);
        if !valid {
            return Err(invalid(format!("`{t}` is not a valid image tag")));
        }
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    let registry = if parts.len() > 1 && (parts[0].contains('.') || parts[0].contains(':') || parts[0] == "localhost") {
        Some(parts.remove(0).to_string())
    } else {
        None
    };
    for p in &parts {
        let ok = !p.is_empty()
            && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
            && p.starts_with(|c: char| c.is_ascii_alphanumeric())
            && p.ends_with(|c: char| c.is_ascii_alphanumeric());
        if !ok {
            return Err(invalid(format!(
                "`{p}` is not a valid repository path component (lowercase letters, digits, `.`, `_`, `-`)"
            )));
        }
    }
    Ok(ImageRef { registry, repository: parts.join("/"), tag: tag.map(str::to_string), digest })
}

/// Render a byte count the way Kubernetes quantities are usually written, keeping the
/// author's unit when it was given.
pub fn quantity_text(number: &str, unit: Option<&str>) -> String {
    format!("{number}{}", unit.unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_rejects_memory_units() {
        assert_eq!(cpu_millis(15.0, Some("m")), Ok(15));
        assert_eq!(cpu_millis(2.0, None), Ok(2000));
        assert!(matches!(cpu_millis(256.0, Some("Mi")), Err(ValueError::WrongUnit { .. })));
        assert_eq!(cpu_millis(0.5, None), Ok(500));
        assert!(matches!(cpu_millis(0.5, Some("m")), Err(ValueError::OutOfRange { .. })));
        assert!(matches!(cpu_millis(0.0005, None), Err(ValueError::OutOfRange { .. })));
    }

    #[test]
    fn memory_units() {
        assert_eq!(memory_bytes(256.0, Some("Mi")), Ok(256 * 1024 * 1024));
        assert!(matches!(memory_bytes(15.0, Some("m")), Err(ValueError::WrongUnit { .. })));
        assert!(matches!(memory_bytes(1.0, Some("Xi")), Err(ValueError::UnknownUnit { .. })));
    }

    #[test]
    fn ports_and_names() {
        assert!(port(70000).is_err());
        assert!(port(0).is_err());
        assert_eq!(port(443), Ok(443));
        assert!(dns_label("freshrss").is_ok());
        assert!(dns_label("Fresh").is_err());
        assert!(dns_label("-a").is_err());
        assert!(hostname("rss.viktorbarzin.me").is_ok());
        assert!(hostname("a..b").is_err());
        assert!(cidr("10.0.20.0/24").is_ok());
        assert!(cidr("10.0.20.0/33").is_err());
    }

    #[test]
    fn images() {
        let i = image("ghcr.io/immich-app/immich-server:v3.1.0").expect("valid");
        assert_eq!(i.registry.as_deref(), Some("ghcr.io"));
        assert_eq!(i.tag.as_deref(), Some("v3.1.0"));
        assert!(i.is_pinned());
        let i = image("freshrss/freshrss").expect("valid");
        assert!(!i.is_pinned());
        let i = image("10.0.20.10:5000/library/alpine:3.20").expect("valid");
        assert_eq!(i.registry.as_deref(), Some("10.0.20.10:5000"));
        assert!(image("Fresh/RSS").is_err());
        assert!(image("alpine:").is_err());
    }
}
