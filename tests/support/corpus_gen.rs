//! Reproducible corpora for the proof tests (tests/wire/agreement.rs, tests/stack/corpus_respond.rs): a
//! seeded generator of valid frames (ARP, ICMP echo and errors, UDP, VLAN tags, IP options,
//! fragments, padding, non-IP), hostile variants of them (lying lengths, bad checksums, bad
//! version/IHL, truncation), every-byte truncations, and `editcap`-mutated copies.
//!
//! Same seed, same bytes, on every machine: no corpus file needs checking in, and a failing frame
//! is named by (seed, index). Part of tests/support; its own checks (reproducible, valid really
//! valid) run once, in tests/wire/corpus_gen.rs.

use ringside::pcap::PcapRecorder;
use ringside::wire::build::{self, EthIp};
use std::net::Ipv4Addr;
use std::path::Path;
use std::time::Duration;

pub use super::rng::Rng;

/// One capture record: the bytes captured and the length the frame had on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rec {
    pub data: Vec<u8>,
    pub orig_len: u32,
}

impl Rec {
    pub fn whole(data: Vec<u8>) -> Self {
        let orig_len = data.len() as u32;
        Rec { data, orig_len }
    }
}

/// Locally administered MACs and TEST-NET addresses only (see /work/shared/README.md).
fn mac(r: &mut Rng) -> [u8; 6] {
    let mut m = [0x02, 0, 0, 0, 0, 0];
    for b in &mut m[1..] {
        *b = r.u8();
    }
    m
}

fn addr(r: &mut Rng) -> Ipv4Addr {
    if r.chance(50) {
        Ipv4Addr::new(198, 51, 100, r.u8())
    } else {
        Ipv4Addr::new(192, 0, 2, r.u8())
    }
}

/// The host frames are aimed at (the stack's MAC and address), or None for anyone.
pub type Target = Option<([u8; 6], Ipv4Addr)>;

fn eth_ip(r: &mut Rng) -> EthIp {
    eth_ip_to(r, None)
}

fn eth_ip_to(r: &mut Rng, target: Target) -> EthIp {
    let mut h = EthIp {
        src_mac: mac(r),
        dst_mac: if r.chance(10) {
            build::BROADCAST_MAC
        } else {
            mac(r)
        },
        src_ip: addr(r),
        dst_ip: if r.chance(5) {
            Ipv4Addr::new(198, 51, 100, 255)
        } else {
            addr(r)
        },
        ttl: if r.chance(10) { r.u8() } else { 64 },
        ip_id: r.u16(),
    };
    if let Some((mac, ip)) = target {
        match r.below(10) {
            0 => {} // someone else
            1 => {
                h.dst_mac = build::BROADCAST_MAC;
                h.dst_ip = Ipv4Addr::new(198, 51, 100, 255);
            }
            _ => {
                h.dst_mac = mac;
                h.dst_ip = ip;
            }
        }
    }
    h
}

fn payload(r: &mut Rng) -> Vec<u8> {
    let n = match r.below(10) {
        0 => 0,
        1..=6 => r.range(1, 64),
        7 | 8 => r.range(65, 300),
        _ => r.range(301, 1472),
    };
    r.bytes(n)
}

/// Offset of the IPv4 header in a frame built by `build` (untagged).
const IP: usize = 14;

/// Recompute the IPv4 header checksum of the header at `ip`.
pub fn fix_ip_checksum(f: &mut [u8], ip: usize) {
    let ihl = usize::from(f[ip] & 0x0f) * 4;
    f[ip + 10] = 0;
    f[ip + 11] = 0;
    let c = build::internet_checksum(&f[ip..ip + ihl]);
    f[ip + 10..ip + 12].copy_from_slice(&c.to_be_bytes());
}

/// Recompute the ICMP checksum of the message at `at..end`.
pub fn fix_icmp_checksum(f: &mut [u8], at: usize, end: usize) {
    f[at + 2] = 0;
    f[at + 3] = 0;
    let c = build::internet_checksum(&f[at..end]);
    f[at + 2..at + 4].copy_from_slice(&c.to_be_bytes());
}

/// Recompute the UDP checksum of the datagram at `at..end` under the IPv4 header at `ip`.
pub fn fix_udp_checksum(f: &mut [u8], ip: usize, at: usize, end: usize) {
    f[at + 6] = 0;
    f[at + 7] = 0;
    let src = Ipv4Addr::new(f[ip + 12], f[ip + 13], f[ip + 14], f[ip + 15]);
    let dst = Ipv4Addr::new(f[ip + 16], f[ip + 17], f[ip + 18], f[ip + 19]);
    let mut c = build::pseudo_header(src, dst, 17, (end - at) as u16);
    c.add(&f[at..end]);
    let v = build::udp_checksum_field(&c);
    f[at + 6..at + 8].copy_from_slice(&v.to_be_bytes());
}

/// Insert IPv4 options (NOP-padded, ending in EOL) into the untagged frame: IHL, total length and
/// header checksum follow; L4 checksums do not cover the options and stay right.
fn add_ip_options(r: &mut Rng, f: &mut Vec<u8>) {
    let words = r.range(1, 10);
    let mut opts = vec![1u8; words * 4]; // NOP
    if r.chance(50) {
        *opts.last_mut().unwrap() = 0; // EOL
    }
    let ihl = 5 + words as u8;
    f[IP] = 0x40 | ihl;
    let total = u16::from_be_bytes([f[IP + 2], f[IP + 3]]) + opts.len() as u16;
    f[IP + 2..IP + 4].copy_from_slice(&total.to_be_bytes());
    f.splice(IP + 20..IP + 20, opts);
    fix_ip_checksum(f, IP);
}

/// Random DSCP/ECN, DF: only the IPv4 header changes.
fn vary_ip_header(r: &mut Rng, f: &mut [u8]) {
    if r.chance(30) {
        f[IP + 1] = r.u8();
    }
    if r.chance(30) {
        f[IP + 6] |= 0x40; // DF
    }
    fix_ip_checksum(f, IP);
}

/// 802.1Q / 802.1ad tags spliced in after the MACs (checksums do not cover Ethernet).
fn add_vlan_tags(r: &mut Rng, f: &mut Vec<u8>, n: usize) {
    let mut tags = Vec::new();
    for i in 0..n {
        let tpid: u16 = if i + 1 < n && r.chance(50) {
            0x88a8
        } else {
            0x8100
        };
        let tci = r.u16();
        tags.extend_from_slice(&tpid.to_be_bytes());
        tags.extend_from_slice(&tci.to_be_bytes());
    }
    f.splice(12..12, tags);
}

fn frame(build: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut v = Vec::new();
    build(&mut v);
    v
}

/// The offending datagram an ICMP error quotes: a UDP or ICMP datagram's IP header + 8 bytes.
fn offender(r: &mut Rng) -> Vec<u8> {
    let h = eth_ip(r);
    let f = if r.chance(60) {
        let p = payload(r);
        frame(|b| build::udp(b, &h, r.u16(), r.u16(), &p))
    } else {
        let p = payload(r);
        frame(|b| build::icmp_echo(b, &h, false, r.u16(), r.u16(), &p))
    };
    let mut q = f[IP..].to_vec();
    let keep = if r.chance(80) {
        28
    } else {
        r.range(20, q.len())
    };
    q.truncate(keep);
    q
}

/// One valid frame of a random kind, every length and checksum right.
pub fn valid_frame(r: &mut Rng) -> Vec<u8> {
    valid_frame_to(r, None)
}

/// Like [`valid_frame`], but most frames are addressed to `target` (ARP requests ask for it; UDP
/// goes to its echo (7), print (9) or a closed port), so a stack fed them has something to answer.
pub fn valid_frame_to(r: &mut Rng, target: Target) -> Vec<u8> {
    let h = eth_ip_to(r, target);
    let mut return_ipv6 = false;
    let mut f = match r.below(100) {
        0..=14 => {
            let op = if r.chance(70) {
                build::ARP_REQUEST
            } else {
                build::ARP_REPLY
            };
            let spa = addr(r);
            let tpa = match target {
                Some((_, ip)) if r.chance(80) => ip,
                _ if r.chance(10) => spa,
                _ => addr(r),
            };
            let tha = if op == build::ARP_REQUEST {
                [0; 6]
            } else {
                mac(r)
            };
            let dst = if op == build::ARP_REQUEST {
                build::BROADCAST_MAC
            } else {
                mac(r)
            };
            frame(|b| build::arp(b, dst, op, h.src_mac, spa, tha, tpa))
        }
        15..=39 => {
            let p = payload(r);
            let reply = r.chance(30);
            frame(|b| build::icmp_echo(b, &h, reply, r.u16(), r.u16(), &p))
        }
        40..=64 => {
            let p = payload(r);
            let sport = r.pick(&[7u16, 9, 53, 5353, 40000]);
            let dport = if r.chance(50) {
                r.u16()
            } else {
                r.pick(&[7, 9])
            };
            let mut f = frame(|b| build::udp(b, &h, sport, dport, &p));
            if r.chance(10) {
                f[IP + 26] = 0; // checksum not sent
                f[IP + 27] = 0;
            }
            f
        }
        65..=79 => {
            let q = offender(r);
            let (ty, code) = r.pick(&[
                (3u8, 3u8),
                (3, 1),
                (3, 2),
                (3, 4),
                (11, 0),
                (11, 1),
                (12, 0),
            ]);
            let mut f = frame(|b| build::icmp_error(b, &h, ty, code, &q));
            if ty == 3 && code == 4 {
                f[IP + 26..IP + 28].copy_from_slice(&r.u16().to_be_bytes()); // next-hop MTU
            } else if ty == 12 {
                f[IP + 24] = r.u8(); // pointer
            }
            let end = f.len();
            fix_icmp_checksum(&mut f, IP + 20, end);
            f
        }
        80..=89 => {
            // One fragment of a datagram bigger than a small MTU.
            let mut p = payload(r);
            p.resize(p.len().max(200), 0xa5);
            let l4 = if r.chance(50) {
                let mut l = build::udp_header(h.src_ip, h.dst_ip, 9, 9, &p).to_vec();
                l.extend_from_slice(&p);
                (build::IP_PROTO_UDP, l)
            } else {
                let mut l = build::icmp_echo_header(false, 1, 1, &p).to_vec();
                l.extend_from_slice(&p);
                (build::IP_PROTO_ICMP, l)
            };
            let mtu = r.range(68, 200);
            let mut frags = Vec::new();
            build::ipv4_fragmented(&h, l4.0, &l4.1, mtu, &mut |f| frags.push(f.to_vec()));
            let i = r.below(frags.len() as u64) as usize;
            frags.swap_remove(i)
        }
        90..=93 => {
            // An IP protocol ringside does not decode (TCP shape, or an experimental number).
            let proto = r.pick(&[6u8, 253, 47, 132]);
            let n = r.range(0, 60);
            let p = r.bytes(n);
            let d = build::Ipv4Datagram {
                eth_ip: &h,
                vlan_tags: &[],
                protocol: proto,
                dont_fragment: true,
                l4: [&p, &[]],
            };
            frame(|b| {
                d.write_fragment(b, 1500, 0);
            })
        }
        _ => {
            // Not IPv4 or ARP: IPv6, LLDP, 802.3 length, an unknown type.
            let et = r.pick(&[0x86ddu16, 0x88cc, 0x0040, 0x9000, 0x88b5]);
            if et == 0x86dd {
                return_ipv6 = true;
            }
            // 0x0040 is an 802.3 length: the LLC data is then exactly that long.
            let n = if et == 0x0040 { 64 } else { r.range(0, 80) };
            let p = r.bytes(n);
            frame(|b| {
                build::ethernet(b, h.dst_mac, h.src_mac, &[], et);
                b.extend_from_slice(&p);
            })
        }
    };
    if return_ipv6 {
        // IPv6 is decoded: a valid frame carries a valid datagram.
        f = ipv6_frame_untagged(r);
    }
    let is_ipv4 = f.len() >= 34 && f[12..14] == [0x08, 0x00];
    if is_ipv4 && r.chance(15) {
        vary_ip_header(r, &mut f);
    }
    if is_ipv4 && r.chance(10) {
        add_ip_options(r, &mut f);
    }
    if r.chance(15) {
        let n = r.range(1, 3);
        add_vlan_tags(r, &mut f, n);
    }
    if r.chance(40) {
        build::pad_to_min(&mut f, 0);
    }
    f
}

/// Where the first IPv4 header sits (after any VLAN tags), if the frame is IPv4.
pub fn ip_offset(f: &[u8]) -> Option<usize> {
    let mut at = 12;
    while at + 2 <= f.len() {
        match u16::from_be_bytes([f[at], f[at + 1]]) {
            0x8100 | 0x88a8 | 0x9100 => at += 4,
            0x0800 => return Some(at + 2),
            _ => return None,
        }
    }
    None
}

/// A valid frame made hostile in one way: the damage a real network (or an attacker) produces.
pub fn hostile_frame(r: &mut Rng) -> Rec {
    hostile_frame_to(r, None)
}

pub fn hostile_frame_to(r: &mut Rng, target: Target) -> Rec {
    let mut f = valid_frame_to(r, target);
    let ip = ip_offset(&f).filter(|&ip| f.len() >= ip + 20);
    match (r.below(10), ip) {
        // Cut short on the wire (the frame really is this long).
        (0, _) => {
            let n = r.range(0, f.len());
            f.truncate(n);
            Rec::whole(f)
        }
        // Cut by a snap length (the wire frame was longer).
        (1, _) => {
            let orig = f.len() as u32;
            let n = r.range(0, f.len());
            f.truncate(n);
            Rec {
                data: f,
                orig_len: orig,
            }
        }
        // IPv4 total length that lies (bigger or smaller), checksum fixed so only the lie shows.
        (2, Some(ip)) => {
            let total = u16::from_be_bytes([f[ip + 2], f[ip + 3]]);
            let lie = match r.below(4) {
                0 => total.saturating_add(r.range(1, 100) as u16),
                1 => total.saturating_sub(r.range(1, 30) as u16),
                2 => r.range(0, 19) as u16,
                _ => r.u16(),
            };
            f[ip + 2..ip + 4].copy_from_slice(&lie.to_be_bytes());
            fix_ip_checksum(&mut f, ip);
            Rec::whole(f)
        }
        // IHL that lies (below 5, or past the header), checksum recomputed over what IHL says.
        (3, Some(ip)) => {
            let ihl = r.range(0, 15) as u8;
            f[ip] = (f[ip] & 0xf0) | ihl;
            if ihl >= 5 && f.len() >= ip + usize::from(ihl) * 4 {
                fix_ip_checksum(&mut f, ip);
            }
            Rec::whole(f)
        }
        // IP version not 4.
        (4, Some(ip)) => {
            f[ip] = (r.range(0, 15) as u8) << 4 | (f[ip] & 0x0f);
            fix_ip_checksum(&mut f, ip);
            Rec::whole(f)
        }
        // A bad checksum somewhere (IP header, ICMP or UDP).
        (5, Some(ip)) => {
            let ihl = usize::from(f[ip] & 0x0f) * 4;
            let at = match r.below(3) {
                0 => ip + 10,
                _ => ip + ihl + if f[ip + 9] == 17 { 6 } else { 2 },
            };
            if at + 1 < f.len() {
                f[at + 1] ^= 1 << r.below(8);
            }
            Rec::whole(f)
        }
        // UDP length that lies (checksum recomputed with the lie, so only the length is wrong).
        (6, Some(ip)) if f[ip + 9] == 17 => {
            let ihl = usize::from(f[ip] & 0x0f) * 4;
            let u = ip + ihl;
            if f.len() >= u + 8 {
                let lie = match r.below(3) {
                    0 => r.range(0, 7) as u16,
                    1 => (f.len() - u + r.range(1, 50)) as u16,
                    _ => r.u16(),
                };
                f[u + 4..u + 6].copy_from_slice(&lie.to_be_bytes());
            }
            Rec::whole(f)
        }
        // A random byte anywhere.
        _ => {
            if !f.is_empty() {
                let i = r.below(f.len() as u64) as usize;
                f[i] = r.u8();
            }
            Rec::whole(f)
        }
    }
}

/// Frames of the kinds real networks carry that the valid corpus does not (issue 16): IEEE 802.3
/// length fields with LLC/SNAP (STP, CDP, also behind VLAN tags), ARP with other address sizes,
/// RARP, the ICMP query messages besides echo, and IPv4 datagrams whose padding looks like a
/// header. Every checksum is right; the bytes past a datagram are left as they are.
pub fn odd_frame(r: &mut Rng) -> Vec<u8> {
    let h = eth_ip(r);
    let mut f = match r.below(6) {
        0 => {
            // 802.3 length + LLC: STP BPDU (SAP 0x42, UI), SNAP (CDP/DTP: OUI 00000c), or
            // random SAPs with I/S-format (2-byte) control fields.
            let body: Vec<u8> = match r.below(3) {
                0 => {
                    let mut b = vec![0x42, 0x42, 0x03];
                    b.extend(r.bytes(35));
                    b
                }
                1 => {
                    let mut b = vec![0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c];
                    b.extend(r.pick(&[[0x20u8, 0x00], [0x20, 0x04], [0x01, 0x0b]]));
                    let n = r.range(0, 60);
                    b.extend(r.bytes(n));
                    b
                }
                _ => {
                    let n = r.range(3, 60);
                    r.bytes(n)
                }
            };
            frame(|b| {
                build::ethernet(b, h.dst_mac, h.src_mac, &[], body.len() as u16);
                b.extend_from_slice(&body);
            })
        }
        1 => {
            // ARP / RARP with other hardware/protocol types and sizes.
            let (htype, hlen) = r.pick(&[(1u16, 6u8), (6, 6), (1, 8), (24, 16), (32, 20), (1, 0)]);
            let (ptype, plen) = r.pick(&[(0x0800u16, 4u8), (0x86dd, 16), (0x0800, 2), (0x9000, 6)]);
            let (et, op) = r.pick(&[(0x0806u16, 1u16), (0x0806, 2), (0x8035, 3), (0x8035, 4)]);
            let mut p = Vec::new();
            p.extend_from_slice(&htype.to_be_bytes());
            p.extend_from_slice(&ptype.to_be_bytes());
            p.extend_from_slice(&[hlen, plen]);
            p.extend_from_slice(&op.to_be_bytes());
            let n = 2 * (hlen as usize + plen as usize);
            p.extend(r.bytes(n));
            frame(|b| {
                build::ethernet(b, build::BROADCAST_MAC, h.src_mac, &[], et);
                b.extend_from_slice(&p);
            })
        }
        2 => {
            // ICMP timestamp (13/14), information (15/16), address mask (17/18).
            let ty = r.range(13, 18) as u8;
            let mut m = vec![ty, 0, 0, 0];
            m.extend(r.bytes(4)); // identifier, sequence
            m.extend(r.bytes(match ty {
                13 | 14 => 12,
                17 | 18 => 4,
                _ => 0,
            }));
            let n = r.range(0, 4);
            m.extend(r.bytes(n)); // some send more
            let d = build::Ipv4Datagram {
                eth_ip: &h,
                vlan_tags: &[],
                protocol: 1,
                dont_fragment: false,
                l4: [&m, &[]],
            };
            let mut f = frame(|b| {
                d.write_fragment(b, 1500, 0);
            });
            let end = f.len();
            fix_icmp_checksum(&mut f, IP + 20, end);
            f
        }
        _ => {
            // An IPv4 datagram shorter than its frame: total length 20 (no payload) or cut
            // inside its transport header, followed by bytes that look like ICMP/UDP.
            let p = payload(r);
            let mut f = if r.chance(50) {
                frame(|b| build::icmp_echo(b, &h, false, r.u16(), r.u16(), &p))
            } else {
                frame(|b| build::udp(b, &h, r.u16(), r.u16(), &p))
            };
            let total = u16::from_be_bytes([f[IP + 2], f[IP + 3]]) as usize;
            let keep = if r.chance(60) { 20 } else { r.range(20, total) };
            f[IP + 2..IP + 4].copy_from_slice(&(keep as u16).to_be_bytes());
            fix_ip_checksum(&mut f, IP);
            f
        }
    };
    if r.chance(20) {
        let n = r.range(1, 2);
        add_vlan_tags(r, &mut f, n);
    }
    if r.chance(50) {
        build::pad_to_min(&mut f, 0);
    }
    f
}

/// An IPv6 address for tests: link-local or the documentation prefix 2001:db8::/32 (RFC 3849).
fn addr6(r: &mut Rng) -> [u8; 16] {
    let mut a = [0u8; 16];
    if r.chance(50) {
        a[..2].copy_from_slice(&[0xfe, 0x80]);
    } else {
        a[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
    }
    for b in &mut a[8..] {
        *b = r.u8();
    }
    a
}

/// The IPv6 upper-layer checksum (RFC 8200 8.1) of `l4` (its checksum field zeroed) at `at`.
fn fix_checksum6(src: &[u8; 16], dst: &[u8; 16], proto: u8, l4: &mut [u8], at: usize) {
    l4[at] = 0;
    l4[at + 1] = 0;
    let mut c = build::Checksum::new();
    c.add(src).add(dst);
    c.add(&(l4.len() as u32).to_be_bytes())
        .add(&[0, 0, 0, proto]);
    c.add(l4);
    let mut v = c.finish();
    if proto == 17 && v == 0 {
        v = 0xffff;
    }
    l4[at..at + 2].copy_from_slice(&v.to_be_bytes());
}

/// An ND option: type, length in 8-octet units, value padded.
fn nd_opt(ty: u8, value: &[u8]) -> Vec<u8> {
    let len = (2 + value.len()).div_ceil(8) * 8;
    let mut o = vec![ty, (len / 8) as u8];
    o.extend_from_slice(value);
    o.resize(len, 0);
    o
}

/// IPv6 frames as a classroom network carries them: ICMPv6 echo, neighbour discovery (RS, RA,
/// NS, NA, redirect with their options), MLD v1/v2 reports behind a hop-by-hop header, errors,
/// UDP (mDNS and others), extension header chains (hop-by-hop, destination options, routing with
/// no segments left, fragments). Every checksum right.
pub fn ipv6_frame(r: &mut Rng) -> Vec<u8> {
    let mut f = ipv6_frame_untagged(r);
    if r.chance(10) {
        let n = r.range(1, 2);
        add_vlan_tags(r, &mut f, n);
    }
    if r.chance(30) {
        build::pad_to_min(&mut f, 0);
    }
    f
}

/// [`ipv6_frame`] without VLAN tags or padding.
pub fn ipv6_frame_untagged(r: &mut Rng) -> Vec<u8> {
    let src_mac = mac(r);
    let src = addr6(r);
    let mut dst = addr6(r);
    let mac_opt = |ty: u8| nd_opt(ty, &src_mac);
    let (proto, mut l4, ck): (u8, Vec<u8>, Option<usize>) = match r.below(9) {
        0 => {
            let mut m = vec![if r.chance(50) { 128 } else { 129 }, 0, 0, 0];
            m.extend(r.bytes(4));
            let n = r.range(0, 64);
            m.extend(r.bytes(n));
            (58, m, Some(2))
        }
        1 => {
            // Neighbour solicitation (to the solicited-node group) or advertisement.
            let target = addr6(r);
            let mut m = if r.chance(50) {
                let mut m = vec![135, 0, 0, 0, 0, 0, 0, 0];
                m.extend_from_slice(&target);
                if r.chance(70) {
                    m.extend(mac_opt(1));
                }
                dst = [
                    0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, target[13], target[14], target[15],
                ];
                m
            } else {
                let mut m = vec![136, 0, 0, 0, r.pick(&[0x60u8, 0x40, 0x20, 0xe0]), 0, 0, 0];
                m.extend_from_slice(&target);
                if r.chance(70) {
                    m.extend(mac_opt(2));
                }
                m
            };
            if r.chance(10) {
                let ty = r.pick(&[14u8, 31, 200]);
                let n = r.range(0, 20);
                m.extend(nd_opt(ty, &r.bytes(n)));
            }
            (58, m, Some(2))
        }
        2 => {
            // Router solicitation / advertisement.
            if r.chance(50) {
                let mut m = vec![133, 0, 0, 0, 0, 0, 0, 0];
                m.extend(mac_opt(1));
                dst = [0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
                (58, m, Some(2))
            } else {
                let mut m = vec![134, 0, 0, 0, 64, r.pick(&[0u8, 0x80, 0x40, 0xc0, 0x08])];
                m.extend_from_slice(&1800u16.to_be_bytes());
                m.extend(r.bytes(8));
                m.extend(mac_opt(1));
                let mut prefix = vec![64, 0xc0];
                prefix.extend_from_slice(&[0, 0, 0x0e, 0x10, 0, 0, 0x0e, 0x10, 0, 0, 0, 0]);
                prefix.extend_from_slice(&addr6(r)[..8]);
                prefix.extend_from_slice(&[0; 8]);
                m.extend(nd_opt(3, &prefix));
                m.extend(nd_opt(5, &[0, 0, 0, 0, 0x05, 0xdc]));
                dst = [0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
                (58, m, Some(2))
            }
        }
        3 => {
            // MLD: v1 report/done (24 bytes) or a v2 report with one record.
            let group = {
                let mut g = addr6(r);
                g[..2].copy_from_slice(&[0xff, 0x02]);
                g
            };
            let m = if r.chance(50) {
                let mut m = vec![r.pick(&[131u8, 132, 130]), 0, 0, 0, 0, 0, 0, 0];
                m.extend_from_slice(&group);
                m
            } else {
                let mut m = vec![143, 0, 0, 0, 0, 0, 0, 1];
                m.extend_from_slice(&[4, 0, 0, 0]);
                m.extend_from_slice(&group);
                m
            };
            dst = [0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x16];
            (58, m, Some(2))
        }
        4 => {
            // Packet too big / parameter problem / unreachable quoting a datagram.
            let ty = r.pick(&[1u8, 2, 3, 4]);
            let mut m = vec![ty, r.range(0, 3) as u8, 0, 0];
            m.extend_from_slice(&(r.range(1280, 1500) as u32).to_be_bytes());
            let n = r.range(40, 100);
            m.extend(r.bytes(n));
            (58, m, Some(2))
        }
        5 => {
            let mut m = vec![137, 0, 0, 0, 0, 0, 0, 0];
            m.extend_from_slice(&addr6(r));
            m.extend_from_slice(&addr6(r));
            m.extend(mac_opt(2));
            (58, m, Some(2))
        }
        _ => {
            let p = payload(r);
            let sport = r.pick(&[5353u16, 547, 546, 40000]);
            let dport = if r.chance(50) { sport } else { r.u16() };
            let mut u = Vec::new();
            u.extend_from_slice(&sport.to_be_bytes());
            u.extend_from_slice(&dport.to_be_bytes());
            u.extend_from_slice(&((8 + p.len()) as u16).to_be_bytes());
            u.extend_from_slice(&[0, 0]);
            u.extend_from_slice(&p);
            (17, u, Some(6))
        }
    };
    if let Some(at) = ck {
        fix_checksum6(&src, &dst, proto, &mut l4, at);
    }
    // Extension headers in front (RFC 8200 4.1 order), each 8 bytes.
    let mut exts: Vec<(u8, Vec<u8>)> = Vec::new();
    if proto == 58 && matches!(l4[0], 130..=132 | 143) || r.chance(10) {
        exts.push((0, vec![0, 0, 5, 2, 0, 0, 1, 0])); // hop-by-hop: router alert, PadN
    }
    if r.chance(8) {
        exts.push((60, vec![0, 0, 1, 4, 0, 0, 0, 0])); // destination options: PadN
    }
    let mut hdr_dst = dst;
    if r.chance(8) {
        // Routing: no segments left, or (types 0, 2, 4) one left: the header's address is then
        // the final destination the checksum covers, the IPv6 header names the next hop.
        let rtype = r.pick(&[0u8, 2, 3, 4]);
        let left = if rtype != 3 && r.chance(50) { 1 } else { 0 };
        let mut h = vec![0, 2, rtype, left, 0, 0, 0, 0];
        if left == 1 {
            h.extend_from_slice(&dst);
            hdr_dst = addr6(r);
        } else {
            h.extend_from_slice(&addr6(r));
        }
        exts.push((43, h));
    }
    let mut frag_tail = false;
    if r.chance(8) {
        let later = r.chance(50);
        let off: u16 = if later { r.range(1, 100) as u16 } else { 0 };
        let m = if later { r.below(2) as u16 } else { 1 };
        let mut h = vec![0, 0];
        h.extend_from_slice(&((off << 3) | m).to_be_bytes());
        h.extend(r.bytes(4));
        exts.push((44, h));
        frag_tail = later;
    }
    let mut body = Vec::new();
    let mut next = proto;
    for (i, (ty, h)) in exts.iter().enumerate() {
        let mut h = h.clone();
        let nxt = exts.get(i + 1).map(|e| e.0).unwrap_or(proto);
        h[0] = nxt;
        if *ty != 44 {
            h[1] = (h.len() / 8 - 1) as u8;
        }
        if i == 0 {
            next = *ty;
        }
        body.extend(h);
    }
    if frag_tail {
        body.extend(r.bytes(l4.len()));
    } else {
        body.extend(l4);
    }
    let mut f = Vec::new();
    let dst_mac = if dst[0] == 0xff {
        [0x33, 0x33, dst[12], dst[13], dst[14], dst[15]]
    } else {
        mac(r)
    };
    build::ethernet(&mut f, dst_mac, src_mac, &[], 0x86dd);
    f.extend_from_slice(&[0x60 | (r.u8() & 0x0f), r.u8(), r.u8(), r.u8()]);
    f.extend_from_slice(&(body.len() as u16).to_be_bytes());
    f.extend_from_slice(&[next, r.pick(&[255u8, 64, 1])]);
    f.extend_from_slice(&src);
    f.extend_from_slice(&hdr_dst);
    f.extend(body);
    f
}

pub fn ipv6_corpus(seed: u64, n: usize) -> Vec<Rec> {
    let mut r = Rng::new(seed);
    (0..n).map(|_| Rec::whole(ipv6_frame(&mut r))).collect()
}

pub fn odd_corpus(seed: u64, n: usize) -> Vec<Rec> {
    let mut r = Rng::new(seed);
    (0..n).map(|_| Rec::whole(odd_frame(&mut r))).collect()
}

pub fn valid_corpus(seed: u64, n: usize) -> Vec<Rec> {
    let mut r = Rng::new(seed);
    (0..n).map(|_| Rec::whole(valid_frame(&mut r))).collect()
}

pub fn hostile_corpus(seed: u64, n: usize) -> Vec<Rec> {
    let mut r = Rng::new(seed);
    (0..n).map(|_| hostile_frame(&mut r)).collect()
}

pub fn valid_corpus_to(seed: u64, n: usize, target: Target) -> Vec<Rec> {
    let mut r = Rng::new(seed);
    (0..n)
        .map(|_| Rec::whole(valid_frame_to(&mut r, target)))
        .collect()
}

pub fn hostile_corpus_to(seed: u64, n: usize, target: Target) -> Vec<Rec> {
    let mut r = Rng::new(seed);
    (0..n).map(|_| hostile_frame_to(&mut r, target)).collect()
}

/// Every prefix of each base frame, both as a short frame and as a snap-length cut.
pub fn truncation_sweep(bases: &[Vec<u8>]) -> Vec<Rec> {
    let mut out = Vec::new();
    for b in bases {
        for n in 0..b.len() {
            out.push(Rec::whole(b[..n].to_vec()));
            out.push(Rec {
                data: b[..n].to_vec(),
                orig_len: b.len() as u32,
            });
        }
    }
    out
}

/// A few valid frames of every kind, for the truncation sweep.
pub fn sweep_bases(seed: u64, n: usize) -> Vec<Vec<u8>> {
    let mut r = Rng::new(seed);
    (0..n)
        .map(|_| {
            let mut f = valid_frame(&mut r);
            f.truncate(160); // the headers are in the first bytes; keep the sweep small
            f
        })
        .collect()
}

/// Write records as a pcap, one per millisecond.
pub fn write_pcap(path: &Path, recs: &[Rec]) {
    let mut w = PcapRecorder::create(path).expect("create pcap");
    for (i, rec) in recs.iter().enumerate() {
        w.write(
            Duration::from_millis(1_700_000_000_000 + i as u64),
            &rec.data,
            rec.orig_len,
        )
        .expect("write pcap");
    }
    w.close().expect("close pcap");
}

/// Write records as a classic pcap of any link type (PcapRecorder writes Ethernet only).
pub fn write_pcap_link(path: &Path, link_type: u32, recs: &[Rec]) {
    let mut b = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    b.extend_from_slice(&262_144u32.to_le_bytes());
    b.extend_from_slice(&link_type.to_le_bytes());
    for (i, rec) in recs.iter().enumerate() {
        b.extend_from_slice(&(1_700_000_000u32 + i as u32 / 1000).to_le_bytes());
        b.extend_from_slice(&((i as u32 % 1000) * 1000).to_le_bytes());
        b.extend_from_slice(&(rec.data.len() as u32).to_le_bytes());
        b.extend_from_slice(&rec.orig_len.max(rec.data.len() as u32).to_le_bytes());
        b.extend_from_slice(&rec.data);
    }
    std::fs::write(path, b).expect("write pcap");
}

/// The frames as `tcpdump -i any` records them: the Ethernet header replaced by a Linux cooked
/// header (v1, 16 bytes; v2, 20 bytes) with the source MAC and the EtherType.
pub fn to_sll(r: &mut Rng, recs: &[Rec], v2: bool) -> Vec<Rec> {
    recs.iter()
        .filter(|rec| rec.data.len() >= 14)
        .map(|rec| {
            let f = &rec.data;
            let pkttype = r.range(0, 4) as u8;
            let mut h = Vec::new();
            if v2 {
                h.extend_from_slice(&f[12..14]); // protocol
                h.extend_from_slice(&[0, 0]); // reserved
                h.extend_from_slice(&(r.range(1, 9) as u32).to_be_bytes()); // ifindex
                h.extend_from_slice(&1u16.to_be_bytes()); // ARPHRD_ETHER
                h.extend_from_slice(&[pkttype, 6]);
                h.extend_from_slice(&f[6..12]);
                h.extend_from_slice(&[0, 0]);
            } else {
                h.extend_from_slice(&(pkttype as u16).to_be_bytes());
                h.extend_from_slice(&1u16.to_be_bytes());
                h.extend_from_slice(&6u16.to_be_bytes());
                h.extend_from_slice(&f[6..12]);
                h.extend_from_slice(&[0, 0]);
                h.extend_from_slice(&f[12..14]);
            }
            h.extend_from_slice(&f[14..]);
            let grow = h.len() - f.len();
            Rec {
                data: h,
                orig_len: rec.orig_len + grow as u32,
            }
        })
        .collect()
}

/// The untagged IPv4 and IPv6 frames as a raw-IP capture records them: the datagram alone.
/// `ipv4_only` for LINKTYPE_IPV4 (228), which holds nothing else.
pub fn to_raw_ip(recs: &[Rec], ipv4_only: bool) -> Vec<Rec> {
    recs.iter()
        .filter(|rec| {
            rec.data.len() > 14
                && (rec.data[12..14] == [0x08, 0x00]
                    || (!ipv4_only && rec.data[12..14] == [0x86, 0xdd]))
        })
        .map(|rec| Rec {
            data: rec.data[14..].to_vec(),
            orig_len: rec.orig_len.saturating_sub(14),
        })
        .collect()
}

pub fn have(tool: &str) -> bool {
    std::process::Command::new(tool)
        .arg("-v")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok()
}

/// `editcap -E prob --seed seed src dst`: each byte changed with probability `prob`,
/// reproducibly. Panics if editcap fails (a silent empty corpus would prove nothing).
pub fn editcap_mutate(src: &Path, dst: &Path, prob: f64, seed: u64) {
    let out = std::process::Command::new("editcap")
        .arg("-E")
        .arg(prob.to_string())
        .arg("--seed")
        .arg(seed.to_string())
        .arg(src)
        .arg(dst)
        .output()
        .expect("run editcap");
    assert!(
        out.status.success(),
        "editcap failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Size knob shared by the proof tests: `RINGSIDE_PROOF_SCALE=N` multiplies every corpus (CI: 1).
pub fn scale() -> usize {
    std::env::var("RINGSIDE_PROOF_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&n| n >= 1)
        .unwrap_or(1)
}
