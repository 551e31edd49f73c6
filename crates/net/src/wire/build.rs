//! Frame-level composition: the frames the stack sends (and that tests, lessons and the simulated
//! LAN send to it), made of the per-protocol emitters (`EthernetRepr`, `ArpRepr`, `Ipv4Repr`,
//! `EchoRepr`, `ErrorRepr`, `UdpRepr`, each in its header's file, written through its field
//! table). Each builder APPENDS one complete Ethernet frame to `out` (the shape of
//! `Outbox::push_with`), computing every checksum, and never allocates beyond growing `out`.
//!
//! Frames are written unpadded (a 42-byte ARP frame stays 42 bytes, as `tcpdump` shows it on the
//! sending host; the NIC pads on the wire). [`pad_to_min`] pads to the 60-byte minimum when a test
//! wants what the receiver sees.
//!
//! Layering: [`ethernet`] writes an Ethernet header (optionally with 802.1Q/802.1ad tags),
//! [`arp_payload`] an ARP packet, [`Ipv4Datagram::write_fragment`] one IPv4 fragment of any L4
//! payload. The convenience builders ([`arp`], [`icmp_echo`], [`udp`], [`icmp_error`],
//! [`ipv4_fragmented`]) are made of those.
use std::net::Ipv4Addr;

use super::arp::ArpRepr;
pub use super::checksum::{internet_checksum, pseudo_header, udp_checksum_field, Checksum};
pub use super::ethernet::pad_to_min;
use super::ethernet::{EtherType, EthernetRepr, Mac};
use super::icmp::{EchoRepr, ErrorRepr};
use super::ipv4::{IpProtocol, Ipv4Repr};
use super::udp::UdpRepr;
use super::{arp as arp_wire, ethernet as eth_wire, icmp as icmp_wire, ipv4 as ipv4_wire};

// Aliases of the per-protocol constants, for older callers: each value is written once, in its
// header's file.
/// Ethernet header length without VLAN tags.
pub const ETH_HDR_LEN: usize = eth_wire::HEADER_LEN;
/// Ethernet frames shorter than this (without FCS) are padded on the wire.
pub const ETH_MIN_FRAME: usize = eth_wire::MIN_FRAME;
/// IPv4 header length without options (all headers built here have no options).
pub const IPV4_HDR_LEN: usize = ipv4_wire::HEADER_LEN;
/// Largest IPv4 datagram (total length is 16 bits).
pub const IPV4_MAX_LEN: usize = ipv4_wire::MAX_LEN;
/// Smallest IPv4 MTU every link must carry (RFC 791: 68 bytes).
pub const IPV4_MIN_MTU: usize = ipv4_wire::MIN_MTU;

// The protocol numbers are defined once, as associated constants of their types
// (`EtherType::IPV4`, `IpProtocol::UDP`); these plain aliases keep older callers working.
pub const ETHERTYPE_IPV4: u16 = EtherType::IPV4.0;
pub const ETHERTYPE_ARP: u16 = EtherType::ARP.0;
pub const ETHERTYPE_VLAN: u16 = EtherType::VLAN.0;
pub const ETHERTYPE_QINQ: u16 = EtherType::QINQ.0;

pub const ARP_REQUEST: u16 = arp_wire::OP_REQUEST;
pub const ARP_REPLY: u16 = arp_wire::OP_REPLY;

pub const IP_PROTO_ICMP: u8 = IpProtocol::ICMP.0;
pub const IP_PROTO_TCP: u8 = IpProtocol::TCP.0;
pub const IP_PROTO_UDP: u8 = IpProtocol::UDP.0;

pub const ICMP_ECHO_REPLY: u8 = icmp_wire::ECHO_REPLY;
pub const ICMP_DEST_UNREACHABLE: u8 = icmp_wire::DEST_UNREACHABLE;
pub const ICMP_ECHO_REQUEST: u8 = icmp_wire::ECHO_REQUEST;
pub const ICMP_TIME_EXCEEDED: u8 = icmp_wire::TIME_EXCEEDED;
/// Destination unreachable codes.
pub const ICMP_CODE_PROTOCOL_UNREACHABLE: u8 = icmp_wire::CODE_PROTOCOL_UNREACHABLE;
pub const ICMP_CODE_PORT_UNREACHABLE: u8 = icmp_wire::CODE_PORT_UNREACHABLE;
/// Time exceeded code: fragment reassembly time exceeded.
pub const ICMP_CODE_REASSEMBLY_TIMEOUT: u8 = icmp_wire::CODE_REASSEMBLY_TIMEOUT;

pub const BROADCAST_MAC: [u8; 6] = Mac::BROADCAST.0;

/// Ethernet and IPv4 addressing of one frame, plus the two IPv4 header fields a sender chooses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EthIp {
    pub src_mac: [u8; 6],
    pub dst_mac: [u8; 6],
    pub src_ip: Ipv4Addr,
    pub dst_ip: Ipv4Addr,
    pub ttl: u8,
    pub ip_id: u16,
}

// ---------------------------------------------------------------------------------------------
// Ethernet and ARP
// ---------------------------------------------------------------------------------------------

/// Append an Ethernet header. `vlan_tags` is the raw 802.1Q/802.1ad tag stack (4 bytes per tag:
/// TPID then TCI, outermost first) written between the source MAC and `ethertype`; usually empty.
pub fn ethernet(out: &mut Vec<u8>, dst: [u8; 6], src: [u8; 6], vlan_tags: &[u8], ethertype: u16) {
    EthernetRepr {
        dst: Mac(dst),
        src: Mac(src),
        ethertype: EtherType(ethertype),
    }
    .emit(out, vlan_tags);
}

/// Append a 28-byte Ethernet/IPv4 ARP packet (no Ethernet header).
pub fn arp_payload(
    out: &mut Vec<u8>,
    op: u16,
    sender_mac: [u8; 6],
    sender_ip: Ipv4Addr,
    target_mac: [u8; 6],
    target_ip: Ipv4Addr,
) {
    ArpRepr {
        op,
        sha: Mac(sender_mac),
        spa: sender_ip,
        tha: Mac(target_mac),
        tpa: target_ip,
    }
    .emit(out);
}

/// Append a 42-byte unpadded ARP frame from `sender_mac` to `eth_dst`. A request has `op`
/// [`ARP_REQUEST`], `eth_dst` [`BROADCAST_MAC`] (or the target's MAC for a unicast probe) and an
/// all-zero `target_mac`; a gratuitous ARP has `sender_ip == target_ip`.
pub fn arp(
    out: &mut Vec<u8>,
    eth_dst: [u8; 6],
    op: u16,
    sender_mac: [u8; 6],
    sender_ip: Ipv4Addr,
    target_mac: [u8; 6],
    target_ip: Ipv4Addr,
) {
    ethernet(out, eth_dst, sender_mac, &[], ETHERTYPE_ARP);
    arp_payload(out, op, sender_mac, sender_ip, target_mac, target_ip);
}

// ---------------------------------------------------------------------------------------------
// IPv4
// ---------------------------------------------------------------------------------------------

/// Append a 20-byte IPv4 header (no options) with its checksum. `frag_offset` is in bytes and
/// must be a multiple of 8 (the low 3 bits are dropped).
#[allow(clippy::too_many_arguments)]
pub fn ipv4_header(
    out: &mut Vec<u8>,
    h: &EthIp,
    protocol: u8,
    payload_len: usize,
    dont_fragment: bool,
    more_fragments: bool,
    frag_offset: usize,
) {
    Ipv4Repr {
        src: h.src_ip,
        dst: h.dst_ip,
        protocol: IpProtocol(protocol),
        ttl: h.ttl,
        ident: h.ip_id,
        dont_frag: dont_fragment,
        more_frags: more_fragments,
        frag_offset,
        payload_len,
    }
    .emit(out);
}

/// One IPv4 datagram to be written as one or more frames: header fields from `eth_ip`, L4 bytes
/// (header with its checksum already filled in, then data) given in up to two parts so a reply
/// can be built from a fresh 8-byte header plus the request's data without copying it first.
#[derive(Clone, Copy, Debug)]
pub struct Ipv4Datagram<'a> {
    pub eth_ip: &'a EthIp,
    /// 802.1Q/802.1ad tags for the Ethernet header (see [`ethernet`]); usually empty.
    pub vlan_tags: &'a [u8],
    pub protocol: u8,
    /// DF flag; only honoured when the datagram fits in one frame (a fragmented datagram has DF
    /// clear by construction).
    pub dont_fragment: bool,
    pub l4: [&'a [u8]; 2],
}

impl<'a> Ipv4Datagram<'a> {
    /// L4 bytes, capped so the datagram fits the 16-bit total length (more is silently cut).
    pub fn l4_len(&self) -> usize {
        (self.l4[0].len() + self.l4[1].len()).min(IPV4_MAX_LEN - IPV4_HDR_LEN)
    }

    /// Data bytes per non-final fragment for this MTU: a multiple of 8. MTUs below 68 are treated
    /// as 68 and above 65,535 as 65,535.
    pub fn fragment_payload(mtu: usize) -> usize {
        (mtu.clamp(IPV4_MIN_MTU, IPV4_MAX_LEN) - IPV4_HDR_LEN) & !7
    }

    /// How many frames [`Self::write_fragment`] produces at `mtu` (1 if it fits).
    pub fn fragment_count(&self, mtu: usize) -> usize {
        let len = self.l4_len();
        if IPV4_HDR_LEN + len <= mtu.clamp(IPV4_MIN_MTU, IPV4_MAX_LEN) {
            1
        } else {
            len.div_ceil(Self::fragment_payload(mtu))
        }
    }

    /// Append the frame carrying L4 bytes from `offset` (0, or a value this returned earlier) and
    /// return the offset of the next fragment; `>= l4_len()` means this was the last. Each frame
    /// is at most `14 + vlan_tags.len() + mtu` bytes.
    ///
    /// ```
    /// # use ringside_net::wire::build::*;
    /// # let h = EthIp { src_mac: [2;6], dst_mac: [4;6], src_ip: [10,0,0,1].into(),
    /// #                 dst_ip: [10,0,0,2].into(), ttl: 64, ip_id: 7 };
    /// let data = vec![0u8; 3000];
    /// let d = Ipv4Datagram { eth_ip: &h, vlan_tags: &[], protocol: IP_PROTO_UDP,
    ///                        dont_fragment: false, l4: [&data, &[]] };
    /// let (mut frames, mut off) = (Vec::new(), 0);
    /// loop {
    ///     let mut buf = Vec::new();
    ///     off = d.write_fragment(&mut buf, 1500, off);
    ///     frames.push(buf);
    ///     if off >= d.l4_len() { break; }
    /// }
    /// assert_eq!(frames.len(), d.fragment_count(1500));
    /// assert_eq!(frames.len(), 3);
    /// ```
    pub fn write_fragment(&self, out: &mut Vec<u8>, mtu: usize, offset: usize) -> usize {
        let len = self.l4_len();
        let single = self.fragment_count(mtu) == 1;
        let chunk = if single {
            len
        } else {
            Self::fragment_payload(mtu)
        };
        let offset = offset.min(len);
        let end = (offset + chunk).min(len);
        let more = end < len;
        let h = self.eth_ip;
        ethernet(out, h.dst_mac, h.src_mac, self.vlan_tags, ETHERTYPE_IPV4);
        ipv4_header(
            out,
            h,
            self.protocol,
            end - offset,
            self.dont_fragment && single,
            more,
            offset,
        );
        let [a, b] = self.l4;
        if offset < a.len() {
            out.extend_from_slice(&a[offset..end.min(a.len())]);
        }
        if end > a.len() {
            out.extend_from_slice(&b[offset.max(a.len()) - a.len()..end - a.len()]);
        }
        if end == offset {
            // An empty datagram still takes one frame; step past it.
            return len.max(1);
        }
        end
    }

    /// Write every frame into `scratch` (cleared first each time) and hand it to `push`, in order.
    /// To write straight into an `Outbox`, loop over [`Self::write_fragment`] instead.
    pub fn for_each_frame(&self, mtu: usize, scratch: &mut Vec<u8>, push: &mut dyn FnMut(&[u8])) {
        let mut off = 0;
        loop {
            scratch.clear();
            off = self.write_fragment(scratch, mtu, off);
            push(scratch);
            if off >= self.l4_len() {
                break;
            }
        }
    }
}

/// Build an IPv4 datagram carrying `l4` (an L4 header with its checksum set, then data) and split
/// it into frames each ≤ 14 + `mtu` bytes: fragments carry 8-byte-aligned offsets and MF on all
/// but the last; a datagram that fits is one unfragmented frame. `push` gets each frame in order
/// (the frame slice is reused between calls: copy it if kept).
pub fn ipv4_fragmented(
    h: &EthIp,
    protocol: u8,
    l4: &[u8],
    mtu: usize,
    push: &mut dyn FnMut(&[u8]),
) {
    let d = Ipv4Datagram {
        eth_ip: h,
        vlan_tags: &[],
        protocol,
        dont_fragment: false,
        l4: [l4, &[]],
    };
    let mut scratch = Vec::with_capacity(ETH_HDR_LEN + mtu.min(IPV4_MAX_LEN));
    d.for_each_frame(mtu, &mut scratch, push);
}

// ---------------------------------------------------------------------------------------------
// ICMP and UDP
// ---------------------------------------------------------------------------------------------

/// The 8-byte ICMP echo header (type, code, checksum, identifier, sequence) for `data`, checksum
/// included.
pub fn icmp_echo_header(reply: bool, ident: u16, seq: u16, data: &[u8]) -> [u8; 8] {
    EchoRepr { reply, ident, seq }.header(data)
}

/// The 8-byte UDP header for `payload`, checksum over the pseudo-header included (0 becomes
/// 0xffff). Payloads longer than 65,527 bytes cannot be expressed; the length field saturates.
pub fn udp_header(
    src_ip: Ipv4Addr,
    dst_ip: Ipv4Addr,
    src_port: u16,
    dst_port: u16,
    payload: &[u8],
) -> [u8; 8] {
    UdpRepr { src_port, dst_port }.header(src_ip, dst_ip, payload)
}

/// The 8-byte ICMP error header (type, code, checksum, 4 unused bytes) for `quoted`.
pub fn icmp_error_header(icmp_type: u8, code: u8, quoted: &[u8]) -> [u8; 8] {
    ErrorRepr {
        msg_type: icmp_type,
        code,
    }
    .header(quoted)
}

/// Most bytes after an 8-byte L4 header that fit one IPv4 datagram (65,535 - 20 - 8).
pub const MAX_L4_BODY: usize = IPV4_MAX_LEN - IPV4_HDR_LEN - 8;

fn fit(body: &[u8]) -> &[u8] {
    &body[..body.len().min(MAX_L4_BODY)]
}

fn single_frame(out: &mut Vec<u8>, h: &EthIp, protocol: u8, hdr: &[u8], body: &[u8]) {
    let d = Ipv4Datagram {
        eth_ip: h,
        vlan_tags: &[],
        protocol,
        dont_fragment: false,
        l4: [hdr, body],
    };
    d.write_fragment(out, IPV4_MAX_LEN, 0);
}

/// Append one unfragmented ICMP echo request (or reply) frame (data past [`MAX_L4_BODY`] is cut;
/// the checksum covers what is sent). For data that does not fit one
/// frame, build the L4 bytes with [`icmp_echo_header`] and use [`ipv4_fragmented`].
pub fn icmp_echo(out: &mut Vec<u8>, h: &EthIp, reply: bool, ident: u16, seq: u16, data: &[u8]) {
    let data = fit(data);
    let hdr = icmp_echo_header(reply, ident, seq, data);
    single_frame(out, h, IP_PROTO_ICMP, &hdr, data);
}

/// Append one unfragmented UDP frame (payload past [`MAX_L4_BODY`] is cut).
pub fn udp(out: &mut Vec<u8>, h: &EthIp, src_port: u16, dst_port: u16, payload: &[u8]) {
    let payload = fit(payload);
    let hdr = udp_header(h.src_ip, h.dst_ip, src_port, dst_port, payload);
    single_frame(out, h, IP_PROTO_UDP, &hdr, payload);
}

/// Append one ICMP error frame (destination unreachable, time exceeded...). `quoted` is the
/// offending datagram's IP header and the first 8 bytes of its payload, copied unchanged.
pub fn icmp_error(out: &mut Vec<u8>, h: &EthIp, icmp_type: u8, code: u8, quoted: &[u8]) {
    let quoted = fit(quoted);
    let hdr = icmp_error_header(icmp_type, code, quoted);
    single_frame(out, h, IP_PROTO_ICMP, &hdr, quoted);
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::{NetSlice, SlicedPacket, TransportSlice};

    fn hdr() -> EthIp {
        EthIp {
            src_mac: [0x02, 0, 0, 0, 0, 1],
            dst_mac: [0x02, 0, 0, 0, 0, 2],
            src_ip: Ipv4Addr::new(198, 51, 100, 1),
            dst_ip: Ipv4Addr::new(198, 51, 100, 2),
            ttl: 64,
            ip_id: 0x1234,
        }
    }

    /// Parse an IPv4 frame, check the IPv4 header checksum, return (ip header slice, L4 bytes).
    fn ip_parts(frame: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let p = SlicedPacket::from_ethernet(frame).expect("parses");
        let Some(NetSlice::Ipv4(ip)) = p.net else {
            panic!("not ipv4")
        };
        let h = ip.header();
        assert_eq!(internet_checksum(h.slice()), 0, "ipv4 header checksum");
        assert_eq!(
            usize::from(h.total_len()),
            frame.len() - ETH_HDR_LEN,
            "total length matches frame"
        );
        (h.slice().to_vec(), ip.payload().payload.to_vec())
    }

    #[test]
    fn arp_frame_is_42_bytes_and_parses() {
        let mut out = vec![0xee]; // appends, never overwrites
        arp(
            &mut out,
            BROADCAST_MAC,
            ARP_REQUEST,
            [2, 0, 0, 0, 0, 1],
            Ipv4Addr::new(10, 0, 0, 1),
            [0; 6],
            Ipv4Addr::new(10, 0, 0, 2),
        );
        assert_eq!(out[0], 0xee);
        let f = &out[1..];
        assert_eq!(f.len(), 42);
        let p = SlicedPacket::from_ethernet(f).unwrap();
        let Some(NetSlice::Arp(a)) = p.net else {
            panic!("not arp")
        };
        assert_eq!(a.operation(), etherparse::ArpOperation::REQUEST);
        assert_eq!(a.sender_hw_addr(), &[2, 0, 0, 0, 0, 1]);
        assert_eq!(a.sender_protocol_addr(), &[10, 0, 0, 1]);
        assert_eq!(a.target_protocol_addr(), &[10, 0, 0, 2]);
        let mut padded = out.clone();
        pad_to_min(&mut padded, 1);
        assert_eq!(padded.len(), 61);
        assert!(padded[43..].iter().all(|&b| b == 0));
    }

    #[test]
    fn echo_and_udp_checksums_valid_for_odd_and_even_lengths() {
        for n in [0usize, 1, 7, 56, 57, 1471, 1472] {
            let data: Vec<u8> = (0..n).map(|i| (i * 7 + 3) as u8).collect();
            let mut out = Vec::new();
            icmp_echo(&mut out, &hdr(), false, 0xbeef, 9, &data);
            let (_, l4) = ip_parts(&out);
            assert_eq!(internet_checksum(&l4), 0, "icmp checksum, {n} bytes");
            assert_eq!(&l4[8..], &data[..]);
            let p = SlicedPacket::from_ethernet(&out).unwrap();
            let Some(TransportSlice::Icmpv4(icmp)) = p.transport else {
                panic!("not icmp")
            };
            assert_eq!(
                icmp.icmp_type(),
                etherparse::Icmpv4Type::EchoRequest(etherparse::IcmpEchoHeader {
                    id: 0xbeef,
                    seq: 9
                })
            );

            let mut out = Vec::new();
            udp(&mut out, &hdr(), 4000, 7, &data);
            let p = SlicedPacket::from_ethernet(&out).unwrap();
            let Some(TransportSlice::Udp(u)) = p.transport else {
                panic!("not udp")
            };
            let h = hdr();
            let expect = u
                .to_header()
                .calc_checksum_ipv4_raw(h.src_ip.octets(), h.dst_ip.octets(), u.payload())
                .unwrap();
            assert_eq!(u.checksum(), expect, "udp checksum, {n} bytes");
            assert_ne!(u.checksum(), 0);
            assert_eq!(u.payload(), &data[..]);
            assert_eq!(usize::from(u.length()), 8 + n);
        }
    }

    #[test]
    fn oversized_single_frames_are_cut_with_valid_checksums() {
        let big = vec![0xa5u8; 70_000];
        let mut out = Vec::new();
        icmp_echo(&mut out, &hdr(), false, 1, 1, &big);
        assert_eq!(out.len(), ETH_HDR_LEN + IPV4_MAX_LEN);
        let (_, l4) = ip_parts(&out);
        assert_eq!(internet_checksum(&l4), 0);
        let mut out = Vec::new();
        udp(&mut out, &hdr(), 1, 2, &big);
        let (_, l4) = ip_parts(&out);
        assert_eq!(usize::from(u16::from_be_bytes([l4[4], l4[5]])), l4.len());
        let h = hdr();
        let mut c = pseudo_header(h.src_ip, h.dst_ip, IP_PROTO_UDP, l4.len() as u16);
        assert_eq!(c.add(&l4).finish(), 0);
    }

    #[test]
    fn icmp_error_quotes_unchanged() {
        let quoted: Vec<u8> = (0..28u8).collect();
        let mut out = Vec::new();
        icmp_error(
            &mut out,
            &hdr(),
            ICMP_DEST_UNREACHABLE,
            ICMP_CODE_PORT_UNREACHABLE,
            &quoted,
        );
        let (_, l4) = ip_parts(&out);
        assert_eq!(internet_checksum(&l4), 0);
        assert_eq!(&l4[..2], &[3, 3]);
        assert_eq!(&l4[8..], &quoted[..]);
    }

    #[test]
    fn fragments_align_and_reassemble() {
        let data: Vec<u8> = (0..65_000u32).map(|i| (i % 251) as u8).collect();
        let ehdr = icmp_echo_header(false, 1, 2, &data);
        let mut l4 = ehdr.to_vec();
        l4.extend_from_slice(&data);
        for mtu in [68usize, 576, 1500, 9000] {
            let mut frames = Vec::new();
            ipv4_fragmented(&hdr(), IP_PROTO_ICMP, &l4, mtu, &mut |f| {
                frames.push(f.to_vec())
            });
            let mut whole = vec![0u8; l4.len()];
            let mut covered = 0;
            for (i, f) in frames.iter().enumerate() {
                assert!(f.len() <= ETH_HDR_LEN + mtu, "frame {i} at mtu {mtu}");
                let (iph, payload) = ip_parts(f);
                let ff = u16::from_be_bytes([iph[6], iph[7]]);
                let off = usize::from(ff & 0x1fff) * 8;
                let mf = ff & 0x2000 != 0;
                assert_eq!(ff & 0x4000, 0, "DF clear on fragments");
                assert_eq!(mf, i + 1 < frames.len());
                assert_eq!(off, covered);
                if mf {
                    assert_eq!(payload.len() % 8, 0);
                }
                whole[off..off + payload.len()].copy_from_slice(&payload);
                covered += payload.len();
            }
            assert_eq!(covered, l4.len());
            assert_eq!(whole, l4);
            assert_eq!(internet_checksum(&whole), 0);
        }
    }

    #[test]
    fn two_part_fragments_match_one_part() {
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 13) as u8).collect();
        let h = hdr();
        let hd = icmp_echo_header(true, 3, 4, &data);
        let mut joined = hd.to_vec();
        joined.extend_from_slice(&data);
        let split = Ipv4Datagram {
            eth_ip: &h,
            vlan_tags: &[0x81, 0x00, 0x00, 0x05],
            protocol: IP_PROTO_ICMP,
            dont_fragment: true,
            l4: [&hd, &data],
        };
        let one = Ipv4Datagram {
            l4: [&joined, &[]],
            ..split
        };
        for mtu in [68, 100, 1500] {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            split.for_each_frame(mtu, &mut Vec::new(), &mut |f| a.push(f.to_vec()));
            one.for_each_frame(mtu, &mut Vec::new(), &mut |f| b.push(f.to_vec()));
            assert_eq!(a, b);
            assert_eq!(a.len(), split.fragment_count(mtu));
            assert!(a
                .iter()
                .all(|f| f.len() <= 18 + mtu && f[12..16] == [0x81, 0, 0, 5]));
        }
    }

    #[test]
    fn small_datagram_is_one_frame_keeping_df() {
        let h = hdr();
        let d = Ipv4Datagram {
            eth_ip: &h,
            vlan_tags: &[],
            protocol: 253, // experimental: no L4 header for etherparse to expect
            dont_fragment: true,
            l4: [&[1, 2, 3], &[]],
        };
        let mut out = Vec::new();
        assert_eq!(d.write_fragment(&mut out, 1500, 0), 3);
        let (iph, payload) = ip_parts(&out);
        assert_eq!(iph[6] & 0x40, 0x40);
        assert_eq!(payload, [1, 2, 3]);
        // An empty datagram is still one frame and the loop ends.
        let e = Ipv4Datagram {
            l4: [&[], &[]],
            ..d
        };
        let mut n = 0;
        e.for_each_frame(1500, &mut Vec::new(), &mut |_| n += 1);
        assert_eq!(n, 1);
    }
}
