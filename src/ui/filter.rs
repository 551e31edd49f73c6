//! Display filters typed after `/`: a small language over the field map, with Wireshark's
//! shape and ringside's own field names (the same as `dump`'s columns).
//!
//! ```text
//! expr  := or
//! or    := and ( ("or" | "||") and )*
//! and   := not ( ("and" | "&&") not )*       -- two terms with no operator are an error
//! not   := ("not" | "!") not | atom
//! atom  := "(" expr ")" | arp | icmp | udp | ip | ipv4 | vlan | eth
//!        | in | out | dropped | answered | bad
//!        | [host] A.B.C.D | [host] MAC | port N
//!        | FIELD [ ("==" | "!=" | "<" | "<=" | ">" | ">=") VALUE ]
//! ```
//! An address matches any IPv4 address field (source, destination, ARP sender/target, quoted);
//! `port N` any UDP port field; `dropped` a received frame the stack did not answer; `bad` a
//! malformed frame (bad checksum, truncated...).
//!
//! FIELD is a field-map key (`ipv4.ttl`, `icmp.type`, `arp.opcode`, ...) or one of
//! `frame.len` (bytes captured), `ipv4.addr` (source or destination), `udp.port` (either port),
//! `eth.addr` (either MAC). A FIELD alone tests that the frame has it. VALUE is a number
//! (decimal or 0x hex), an IPv4 address or prefix (`198.51.100.0/24`, `==` only) or a MAC. As
//! in Wireshark, `==` holds when any of the fields matches and `!=` when none does.
use crate::capture::Direction;
use crate::stack::Verdict;
use crate::wire::{Dissection, LayerKind, Value};
use std::net::Ipv4Addr;

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Layer(LayerKind),
    /// Any frame with an IPv4 header.
    Ip,
    All,
    Dir(Direction),
    Dropped,
    Answered,
    Malformed,
    Host(Ipv4Addr),
    Mac([u8; 6]),
    Port(u16),
    /// A field compared with a value (`None`: the field is present).
    Cmp(FieldName, Option<(Op, Operand)>),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// What a field is compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operand {
    Num(u64),
    /// An address and prefix length (32 for one address).
    Net(Ipv4Addr, u8),
    Mac([u8; 6]),
}

/// A field name: one field-map key, or a name that stands for several (`udp.port`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldName {
    Key(&'static str),
    Any(&'static [&'static str]),
    FrameLen,
}

/// `dump` columns that are not fields of the frame's headers (frame facts and summaries).
const NOT_FIELDS: &[&str] = &[
    "no", "time", "cap_len", "orig_len", "data", "problems", "protocol", "info",
];

/// Is `tok` a field-map key a filter may name? The dissector's keys, exactly as `dump` prints
/// them as columns: one list, so a field `dump` gains (IPv6, LLC...) is filterable at once.
fn field_key(tok: &str) -> Option<&'static str> {
    crate::wire::columns::COLUMNS
        .iter()
        .copied()
        .find(|k| *k == tok && !NOT_FIELDS.contains(k))
}

fn field_name(tok: &str) -> Option<FieldName> {
    Some(match tok {
        "frame.len" => FieldName::FrameLen,
        "ipv4.addr" => FieldName::Any(&["ipv4.src", "ipv4.dst"]),
        "udp.port" => FieldName::Any(&["udp.srcport", "udp.dstport"]),
        "eth.addr" => FieldName::Any(&["eth.src", "eth.dst"]),
        _ => FieldName::Key(field_key(tok)?),
    })
}

fn operand(tok: &str) -> Option<Operand> {
    if let Some(h) = tok.strip_prefix("0x") {
        return u64::from_str_radix(h, 16).ok().map(Operand::Num);
    }
    if let Ok(n) = tok.parse::<u64>() {
        return Some(Operand::Num(n));
    }
    if let Ok(a) = tok.parse::<Ipv4Addr>() {
        return Some(Operand::Net(a, 32));
    }
    if let Some((a, len)) = tok.split_once('/') {
        let (a, len) = (a.parse::<Ipv4Addr>().ok()?, len.parse::<u8>().ok()?);
        return (len <= 32).then_some(Operand::Net(a, len));
    }
    crate::wire::parse_mac(tok).map(Operand::Mac)
}

/// Does one field value satisfy `op operand`?
fn compare(v: Value, op: Op, rhs: Operand) -> bool {
    use std::cmp::Ordering;
    let ord = match (v, rhs) {
        (Value::Dec(x) | Value::Hex(x, _) | Value::Named(x, _, _), Operand::Num(n)) => x.cmp(&n),
        (Value::Flags(x, _), Operand::Num(n)) => u64::from(x).cmp(&n),
        (Value::Bytes(x), Operand::Num(n)) => u64::from(x).cmp(&n),
        (Value::Ipv4(o), Operand::Net(a, len)) => {
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            let (x, y) = (u32::from_be_bytes(o), u32::from(a));
            if len < 32 {
                // A prefix only says in or out.
                return match op {
                    Op::Eq | Op::Ne => x & mask == y & mask,
                    _ => false,
                };
            }
            x.cmp(&y)
        }
        (Value::Mac(m), Operand::Mac(n)) => m.cmp(&n),
        _ => return false,
    };
    match op {
        Op::Eq | Op::Ne => ord == Ordering::Equal,
        Op::Lt => ord == Ordering::Less,
        Op::Le => ord != Ordering::Greater,
        Op::Gt => ord == Ordering::Greater,
        Op::Ge => ord != Ordering::Less,
    }
}

fn eval_cmp(name: FieldName, test: Option<(Op, Operand)>, d: &Dissection) -> bool {
    let keys: &[&str] = match name {
        FieldName::Key(ref k) => std::slice::from_ref(k),
        FieldName::Any(ks) => ks,
        FieldName::FrameLen => {
            let len = Value::Dec(d.frame_len as u64);
            return match test {
                None => true,
                Some((op, rhs)) => compare(len, op, rhs) != (op == Op::Ne),
            };
        }
    };
    let mut values = d
        .fields
        .iter()
        .filter(|f| keys.contains(&f.key))
        .map(|f| f.value);
    match test {
        None => values.next().is_some(),
        // Wireshark's rule: `!=` is "no such field equals", so `udp.port != 9` drops both
        // directions of a port-9 exchange.
        Some((Op::Ne, rhs)) => !values.any(|v| compare(v, Op::Eq, rhs)),
        Some((op, rhs)) => values.any(|v| compare(v, op, rhs)),
    }
}

/// What a filter looks at besides the bytes.
#[derive(Clone, Copy, Debug)]
pub struct FrameFacts {
    pub dir: Direction,
    pub verdict: Option<Verdict>,
}

/// A parsed filter with its source text.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    pub text: String,
    pub expr: Expr,
}

impl Filter {
    pub fn parse(text: &str) -> Result<Filter, String> {
        let tokens = tokenize(text);
        if tokens.is_empty() {
            return Err("empty filter".into());
        }
        let mut p = Parser { t: &tokens, i: 0 };
        let expr = p.or()?;
        if let Some(t) = p.peek() {
            return Err(format!("unexpected '{t}'"));
        }
        Ok(Filter {
            text: text.trim().to_string(),
            expr,
        })
    }

    pub fn matches(&self, d: &Dissection, facts: FrameFacts) -> bool {
        eval(&self.expr, d, facts)
    }
}

fn tokenize(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '=' | '!' | '<' | '>' if chars.peek() == Some(&'=') => {
                chars.next();
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                out.push(format!("{c}="));
            }
            '(' | ')' | '!' | '<' | '>' | '=' => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                out.push(c.to_string());
            }
            '&' | '|' if chars.peek() == Some(&c) => {
                chars.next();
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                out.push(format!("{c}{c}"));
            }
            c if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

struct Parser<'a> {
    t: &'a [String],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&str> {
        self.t.get(self.i).map(|s| s.as_str())
    }
    fn next(&mut self) -> Option<&str> {
        let t = self.t.get(self.i)?;
        self.i += 1;
        Some(t.as_str())
    }
    fn or(&mut self) -> Result<Expr, String> {
        let mut e = self.and()?;
        while matches!(
            self.peek().map(str::to_ascii_lowercase).as_deref(),
            Some("or" | "||")
        ) {
            self.i += 1;
            e = Expr::Or(Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }
    fn and(&mut self) -> Result<Expr, String> {
        let mut e = self.not()?;
        loop {
            match self.peek().map(str::to_ascii_lowercase).as_deref() {
                Some("and" | "&&") => {
                    self.i += 1;
                }
                None | Some("or" | "||" | ")") => break,
                Some(t) => {
                    // `arp icmp` used to mean "arp and icmp" and silently showed nothing.
                    return Err(format!(
                        "'{t}' follows another term with no operator: put and / or / && / || between them"
                    ));
                }
            }
            e = Expr::And(Box::new(e), Box::new(self.not()?));
        }
        Ok(e)
    }
    fn not(&mut self) -> Result<Expr, String> {
        match self.peek().map(str::to_ascii_lowercase).as_deref() {
            Some("not" | "!") => {
                self.i += 1;
                Ok(Expr::Not(Box::new(self.not()?)))
            }
            _ => self.atom(),
        }
    }
    fn atom(&mut self) -> Result<Expr, String> {
        let Some(tok) = self.next() else {
            return Err("filter ends too early".into());
        };
        let low = tok.to_ascii_lowercase();
        Ok(match low.as_str() {
            "(" => {
                let e = self.or()?;
                if self.next() != Some(")") {
                    return Err("missing ')'".into());
                }
                e
            }
            "arp" => Expr::Layer(LayerKind::Arp),
            "icmp" => Expr::Layer(LayerKind::Icmp),
            "udp" => Expr::Layer(LayerKind::Udp),
            "vlan" => Expr::Layer(LayerKind::Vlan),
            "ip" | "ipv4" => Expr::Ip,
            "eth" | "ether" | "frame" => Expr::All,
            "in" => Expr::Dir(Direction::In),
            "out" | "sent" => Expr::Dir(Direction::Out),
            "dropped" | "drop" => Expr::Dropped,
            "answered" => Expr::Answered,
            "bad" | "malformed" => Expr::Malformed,
            "port" => {
                let n = self.next().ok_or("'port' needs a number")?;
                Expr::Port(
                    n.parse()
                        .map_err(|_| format!("'{n}' is not a port number (0-65535)"))?,
                )
            }
            "host" => {
                let a = self.next().ok_or("'host' needs an address")?.to_string();
                address(&a).ok_or_else(|| format!("'{a}' is not an IPv4 or MAC address"))?
            }
            "=" => return Err("use == to compare".into()),
            t if t.contains('.') && t.starts_with(|c: char| c.is_ascii_alphabetic()) => {
                let name = field_name(t).ok_or_else(|| {
                    format!("unknown field '{t}' (fields are dump's column names: ipv4.ttl, udp.port, icmp.type, frame.len, ...)")
                })?;
                let op = match self.peek() {
                    Some("==") => Op::Eq,
                    Some("!=") => Op::Ne,
                    Some("<") => Op::Lt,
                    Some("<=") => Op::Le,
                    Some(">") => Op::Gt,
                    Some(">=") => Op::Ge,
                    Some("=") => return Err("use == to compare".into()),
                    _ => return Ok(Expr::Cmp(name, None)),
                };
                self.i += 1;
                let v = self
                    .next()
                    .ok_or_else(|| format!("'{t}' and its operator need a value"))?;
                let rhs = operand(v).ok_or_else(|| {
                    format!("'{v}' is not a number, an IPv4 address or prefix, or a MAC")
                })?;
                if matches!(rhs, Operand::Net(_, l) if l < 32) && !matches!(op, Op::Eq | Op::Ne) {
                    return Err("a prefix (a.b.c.d/n) takes == or != only".into());
                }
                Expr::Cmp(name, Some((op, rhs)))
            }
            _ => address(tok).ok_or_else(|| {
                format!("unknown filter word '{tok}' (try arp, icmp, udp, an address, port N; ? for help)")
            })?,
        })
    }
}

fn address(s: &str) -> Option<Expr> {
    if let Ok(a) = s.parse::<Ipv4Addr>() {
        return Some(Expr::Host(a));
    }
    crate::wire::parse_mac(s).map(Expr::Mac)
}

fn eval(e: &Expr, d: &Dissection, f: FrameFacts) -> bool {
    match e {
        Expr::Layer(k) => d.has_layer(*k),
        Expr::Ip => d.has_layer(LayerKind::Ipv4),
        Expr::All => true,
        Expr::Dir(dir) => f.dir == *dir,
        Expr::Dropped => matches!(f.verdict, Some(Verdict::NoReply(_))),
        Expr::Answered => matches!(f.verdict, Some(Verdict::Answered(_))),
        Expr::Malformed => !d.problems.is_empty(),
        Expr::Host(a) => {
            let o = a.octets();
            d.fields.iter().any(|x| x.value == Value::Ipv4(o))
        }
        Expr::Mac(m) => d.fields.iter().any(|x| x.value == Value::Mac(*m)),
        Expr::Port(p) => d.layers.iter().any(|l| {
            l.kind == LayerKind::Udp
                && d.layer_fields(l).iter().any(|x| {
                    x.key.contains("port")
                        && matches!(x.value, Value::Dec(v) | Value::Named(v, _, _) if v == u64::from(*p))
                })
        }),
        Expr::Cmp(name, test) => eval_cmp(*name, *test, d),
        Expr::Not(a) => !eval(a, d, f),
        Expr::And(a, b) => eval(a, d, f) && eval(b, d, f),
        Expr::Or(a, b) => eval(a, d, f) || eval(b, d, f),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_words_addresses_ports_and_combinations() {
        assert_eq!(
            Filter::parse("arp").unwrap().expr,
            Expr::Layer(LayerKind::Arp)
        );
        assert_eq!(
            Filter::parse("198.51.100.1").unwrap().expr,
            Expr::Host(Ipv4Addr::new(198, 51, 100, 1))
        );
        assert_eq!(Filter::parse("port 9").unwrap().expr, Expr::Port(9));
        let e = Filter::parse("udp and not port 9 || arp").unwrap().expr;
        assert_eq!(
            e,
            Expr::Or(
                Box::new(Expr::And(
                    Box::new(Expr::Layer(LayerKind::Udp)),
                    Box::new(Expr::Not(Box::new(Expr::Port(9))))
                )),
                Box::new(Expr::Layer(LayerKind::Arp))
            )
        );
        assert_eq!(
            Filter::parse("(icmp)").unwrap().expr,
            Expr::Layer(LayerKind::Icmp)
        );
    }

    #[test]
    fn bad_filters_say_what_is_wrong() {
        assert!(Filter::parse("").unwrap_err().contains("empty"));
        assert!(Filter::parse("tcp")
            .unwrap_err()
            .contains("unknown filter word 'tcp'"));
        assert!(Filter::parse("port")
            .unwrap_err()
            .contains("needs a number"));
        assert!(Filter::parse("port 70000")
            .unwrap_err()
            .contains("not a port"));
        assert!(Filter::parse("(arp").unwrap_err().contains("missing ')'"));
        assert!(Filter::parse("arp )")
            .unwrap_err()
            .contains("unexpected ')'"));
        assert!(Filter::parse("arp and")
            .unwrap_err()
            .contains("ends too early"));
        assert!(Filter::parse("arp icmp")
            .unwrap_err()
            .contains("no operator"));
        assert!(Filter::parse("ipv4.tll == 1")
            .unwrap_err()
            .contains("unknown field 'ipv4.tll'"));
        assert!(Filter::parse("ipv4.ttl = 1").unwrap_err().contains("=="));
        assert!(Filter::parse("ipv4.ttl ==")
            .unwrap_err()
            .contains("need a value"));
        assert!(Filter::parse("ipv4.addr > 198.51.100.0/24")
            .unwrap_err()
            .contains("== or != only"));
    }

    fn dissect(frame: &[u8]) -> Dissection {
        let mut d = Dissection::default();
        d.parse(frame, false);
        d
    }

    fn hits(filter: &str, frames: &[Dissection]) -> Vec<usize> {
        let f = Filter::parse(filter).unwrap_or_else(|e| panic!("{filter}: {e}"));
        let facts = FrameFacts {
            dir: Direction::In,
            verdict: None,
        };
        (0..frames.len())
            .filter(|&i| f.matches(&frames[i], facts))
            .collect()
    }

    #[test]
    fn field_filters_compare_what_the_dissector_decoded() {
        use crate::wire::build::{icmp_echo, udp, EthIp};
        let h = |ttl| EthIp {
            src_mac: [2, 0, 0, 0, 0, 1],
            dst_mac: [2, 0, 0, 0, 0, 2],
            src_ip: Ipv4Addr::new(198, 51, 100, 1),
            dst_ip: Ipv4Addr::new(192, 0, 2, 7),
            ttl,
            ip_id: 1,
        };
        let mut a = Vec::new();
        icmp_echo(&mut a, &h(1), false, 7, 1, &[0; 56]); // 98 bytes, TTL 1, type 8
        let mut b = Vec::new();
        udp(&mut b, &h(64), 40000, 9, b"hi"); // 44 bytes
        let mut c = Vec::new();
        udp(&mut c, &h(64), 9, 40000, b"hello"); // port 9 as the source
        let frames = [dissect(&a), dissect(&b), dissect(&c)];
        assert_eq!(hits("ipv4.ttl == 1", &frames), [0]);
        assert_eq!(hits("ipv4.ttl < 2 && icmp", &frames), [0]);
        assert_eq!(hits("udp.port == 9", &frames), [1, 2], "either port");
        assert_eq!(hits("udp.port != 9", &frames), [0], "no port is 9");
        assert_eq!(hits("udp.dstport == 9", &frames), [1]);
        assert_eq!(hits("ipv4.addr == 198.51.100.0/24", &frames), [0, 1, 2]);
        assert_eq!(
            hits("ipv4.dst == 198.51.100.0/24", &frames),
            Vec::<usize>::new()
        );
        assert_eq!(hits("ipv4.dst == 192.0.2.7", &frames), [0, 1, 2]);
        assert_eq!(hits("frame.len > 50", &frames), [0]);
        assert_eq!(hits("icmp.type == 8", &frames), [0]);
        assert_eq!(
            hits("icmp.type == 0x8 || udp.srcport == 9", &frames),
            [0, 2]
        );
        assert_eq!(hits("!(udp.port == 9) && ipv4.ttl >= 1", &frames), [0]);
        assert_eq!(hits("eth.addr == 02:00:00:00:00:02", &frames), [0, 1, 2]);
        assert_eq!(hits("icmp.seq", &frames), [0], "a field alone: present");
        // The simple words keep working beside them.
        assert_eq!(hits("udp and port 9 and not icmp.type", &frames), [1, 2]);
    }

    #[test]
    fn every_field_dump_prints_is_filterable_ipv6_too() {
        // A router solicitation (RFC 4861 4.1): Ethernet, IPv6 with hop limit 255, ICMPv6 133.
        let mut f = vec![0x33, 0x33, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd];
        f.extend_from_slice(&[0x60, 0, 0, 0, 0, 8, 58, 255]);
        f.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        f.extend_from_slice(&[0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        f.extend_from_slice(&[133, 0, 0, 0, 0, 0, 0, 0]);
        let frames = [dissect(&f)];
        assert_eq!(hits("ipv6.hlim == 255", &frames), [0]);
        assert_eq!(hits("ipv6.nxt == 58 && !ipv4.ttl", &frames), [0]);
        // dump's non-field columns are not fields.
        assert!(Filter::parse("info == 1").is_err());
    }
}
