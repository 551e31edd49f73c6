//! Display filters typed after `/`: a small language over the field map.
//!
//! ```text
//! expr  := or
//! or    := and ( ("or" | "||") and )*
//! and   := not ( ("and" | "&&")? not )*      -- juxtaposition means "and"
//! not   := ("not" | "!") not | atom
//! atom  := "(" expr ")" | arp | icmp | udp | ip | ipv4 | vlan | eth
//!        | in | out | dropped | answered | bad
//!        | [host] A.B.C.D | [host] MAC | port N
//! ```
//! An address matches any IPv4 address field (source, destination, ARP sender/target, quoted);
//! `port N` any UDP port field; `dropped` a received frame the stack did not answer; `bad` a
//! malformed frame (bad checksum, truncated...).
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
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
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
            '(' | ')' | '!' => {
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
                Some(_) => {}
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
    }
}
