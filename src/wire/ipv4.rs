//! IPv4 (RFC 791): the protocol number type, the header's field table, a checked view and an
//! emitter.

/// The IPv4 Protocol field, IPv6's Next Header (IANA "Assigned Internet Protocol Numbers").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IpProtocol(pub u8);

impl IpProtocol {
    pub const HOPOPT: IpProtocol = IpProtocol(0);
    pub const ICMP: IpProtocol = IpProtocol(1);
    pub const TCP: IpProtocol = IpProtocol(6);
    pub const UDP: IpProtocol = IpProtocol(17);
    /// IPv6 Authentication Header (RFC 4302): ringside does not decode past it.
    pub const AH: IpProtocol = IpProtocol(51);
    pub const ICMPV6: IpProtocol = IpProtocol(58);

    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "IPv6 hop-by-hop options",
            1 => "ICMP",
            2 => "IGMP",
            6 => "TCP",
            17 => "UDP",
            41 => "IPv6",
            43 => "IPv6 routing",
            44 => "IPv6 fragment",
            58 => "ICMPv6",
            59 => "no next header",
            60 => "IPv6 destination options",
            47 => "GRE",
            50 => "ESP",
            51 => "AH",
            89 => "OSPF",
            132 => "SCTP",
            _ => "unknown",
        }
    }
}
