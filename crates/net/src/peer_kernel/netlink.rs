//! The four rtnetlink messages the peer view needs, built and parsed as plain bytes (no I/O
//! here: [`super::sys`] sends and receives them). Layouts from the kernel's uapi headers:
//! `linux/netlink.h` (nlmsghdr, nlmsgerr), `linux/rtnetlink.h` (rtattr, ifinfomsg, ifaddrmsg,
//! rtgenmsg), `linux/neighbour.h` (ndmsg, NDA_*, NUD_*), `linux/net_namespace.h` (NETNSA_*),
//! `linux/if_link.h` (IFLA_*); filled by the kernel in net/core/rtnetlink.c (links),
//! net/ipv4/devinet.c (addresses), net/core/neighbour.c `neigh_fill_info()` (neighbours) and
//! net/core/net_namespace.c `rtnl_net_getid()` (namespace ids).
//!
//! Why by hand: four request shapes and a handful of attributes are ~250 lines; the
//! netlink-packet-route/rtnetlink family would add five crates (and an async runtime for
//! `rtnetlink`) for them, and a student can read these bytes against `linux/neighbour.h`.
use std::net::Ipv4Addr;

pub const NLMSG_HDRLEN: usize = 16;
pub const NLMSG_ERROR: u16 = 2;
pub const NLMSG_DONE: u16 = 3;
pub const NLM_F_REQUEST: u16 = 0x1;
/// NLM_F_ROOT | NLM_F_MATCH: "give me the whole table".
pub const NLM_F_DUMP: u16 = 0x300;

pub const RTM_NEWLINK: u16 = 16;
pub const RTM_GETLINK: u16 = 18;
pub const RTM_NEWADDR: u16 = 20;
pub const RTM_GETADDR: u16 = 22;
pub const RTM_NEWNEIGH: u16 = 28;
pub const RTM_GETNEIGH: u16 = 30;
pub const RTM_NEWNSID: u16 = 88;
pub const RTM_GETNSID: u16 = 90;

const IFLA_IFNAME: u16 = 3;
const IFLA_LINK: u16 = 5;
const IFLA_LINKINFO: u16 = 18;
const IFLA_INFO_KIND: u16 = 1;
const IFLA_LINK_NETNSID: u16 = 37;
const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
const NDA_DST: u16 = 1;
const NDA_LLADDR: u16 = 2;
const NDA_CACHEINFO: u16 = 3;
const NDA_PROBES: u16 = 4;
const NETNSA_NSID: u16 = 1;
const NETNSA_FD: u16 = 3;
/// Attribute types carry two flag bits (NLA_F_NESTED, NLA_F_NET_BYTEORDER) above the type.
const NLA_TYPE_MASK: u16 = 0x3fff;

/// One netlink message as the kernel sent it: its type and the bytes after the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Msg<'a> {
    pub kind: u16,
    pub seq: u32,
    pub body: &'a [u8],
}

/// What one message of a reply says, for the receive loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply<'a> {
    Data(Msg<'a>),
    /// NLMSG_DONE: the dump is complete.
    Done,
    /// NLMSG_ERROR with 0: an acknowledgement; negative: the request failed with -errno.
    Error(i32),
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

const fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// Split a datagram from the kernel into its messages (NLMSG_NEXT). A truncated or lying
/// length ends the walk: what came before it is still returned.
pub fn messages(buf: &[u8]) -> Vec<Reply<'_>> {
    let mut out = Vec::new();
    let mut at = 0;
    while let (Some(len), Some(kind), Some(seq)) =
        (u32_at(buf, at), u16_at(buf, at + 4), u32_at(buf, at + 8))
    {
        let len = len as usize;
        if len < NLMSG_HDRLEN || at + len > buf.len() {
            break;
        }
        let body = &buf[at + NLMSG_HDRLEN..at + len];
        out.push(match kind {
            NLMSG_DONE => Reply::Done,
            NLMSG_ERROR => Reply::Error(u32_at(body, 0).map_or(-libc::EPROTO, |e| e as i32)),
            _ => Reply::Data(Msg { kind, seq, body }),
        });
        at += align4(len);
    }
    out
}

/// The attributes (type, payload) in `b`, a run of rtattr/nlattr records.
pub fn attrs(b: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let len = u16_at(b, at)? as usize;
        let kind = u16_at(b, at + 2)? & NLA_TYPE_MASK;
        if len < 4 || at + len > b.len() {
            return None;
        }
        let payload = &b[at + 4..at + len];
        at += align4(len);
        Some((kind, payload))
    })
}

fn attr(b: &[u8], want: u16) -> Option<&[u8]> {
    attrs(b).find(|(k, _)| *k == want).map(|(_, p)| p)
}

/// A request: header, fixed part, attributes. `flags` gets NLM_F_REQUEST added.
fn request(kind: u16, flags: u16, seq: u32, fixed: &[u8], attrs: &[(u16, &[u8])]) -> Vec<u8> {
    let mut m = vec![0u8; NLMSG_HDRLEN];
    m.extend_from_slice(fixed);
    m.resize(align4(m.len()), 0);
    for (kind, payload) in attrs {
        m.extend_from_slice(&((4 + payload.len()) as u16).to_ne_bytes());
        m.extend_from_slice(&kind.to_ne_bytes());
        m.extend_from_slice(payload);
        m.resize(align4(m.len()), 0);
    }
    let len = m.len() as u32;
    m[0..4].copy_from_slice(&len.to_ne_bytes());
    m[4..6].copy_from_slice(&kind.to_ne_bytes());
    m[6..8].copy_from_slice(&(flags | NLM_F_REQUEST).to_ne_bytes());
    m[8..12].copy_from_slice(&seq.to_ne_bytes());
    // nlmsg_pid 0: the kernel fills in our port.
    m
}

/// struct ifinfomsg { u8 family, pad; u16 type; i32 index; u32 flags, change; }: 16 bytes.
fn ifinfomsg(index: u32) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[4..8].copy_from_slice(&index.to_ne_bytes());
    b
}

/// RTM_GETLINK for one interface by index.
pub fn get_link(seq: u32, ifindex: u32) -> Vec<u8> {
    request(RTM_GETLINK, 0, seq, &ifinfomsg(ifindex), &[])
}

/// RTM_GETADDR dump of IPv4 addresses (struct ifaddrmsg, 8 bytes, family AF_INET).
pub fn dump_ipv4_addrs(seq: u32) -> Vec<u8> {
    let mut ifa = [0u8; 8];
    ifa[0] = libc::AF_INET as u8;
    request(RTM_GETADDR, NLM_F_DUMP, seq, &ifa, &[])
}

/// RTM_GETNEIGH dump of the IPv4 neighbour table (struct ndmsg, 12 bytes, family AF_INET).
pub fn dump_ipv4_neighbours(seq: u32) -> Vec<u8> {
    let mut nd = [0u8; 12];
    nd[0] = libc::AF_INET as u8;
    request(RTM_GETNEIGH, NLM_F_DUMP, seq, &nd, &[])
}

/// RTM_GETNSID: "what id does this namespace (an open nsfs fd) have, seen from mine?"
/// (struct rtgenmsg: one family byte, padded to 4).
pub fn get_nsid(seq: u32, ns_fd: u32) -> Vec<u8> {
    request(
        RTM_GETNSID,
        0,
        seq,
        &[libc::AF_UNSPEC as u8],
        &[(NETNSA_FD, &ns_fd.to_ne_bytes())],
    )
}

/// What RTM_NEWLINK says about one interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkInfo {
    pub index: u32,
    pub name: String,
    /// IFLA_INFO_KIND: "veth", "bridge", ... (None for a physical card).
    pub kind: Option<String>,
    /// IFLA_LINK: for a veth, the other end's ifindex (in the other end's namespace).
    pub link: Option<u32>,
    /// IFLA_LINK_NETNSID: the other end's namespace id, present when it is another namespace.
    pub link_netnsid: Option<i32>,
}

fn c_string(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

pub fn parse_link(m: &Msg<'_>) -> Option<LinkInfo> {
    if m.kind != RTM_NEWLINK {
        return None;
    }
    let index = u32_at(m.body, 4)?;
    let a = m.body.get(16..)?;
    Some(LinkInfo {
        index,
        name: attr(a, IFLA_IFNAME).map(c_string).unwrap_or_default(),
        kind: attr(a, IFLA_LINKINFO)
            .and_then(|info| attr(info, IFLA_INFO_KIND))
            .map(c_string),
        link: attr(a, IFLA_LINK).and_then(|p| u32_at(p, 0)),
        link_netnsid: attr(a, IFLA_LINK_NETNSID).and_then(|p| u32_at(p, 0).map(|v| v as i32)),
    })
}

/// An IPv4 address of interface `ifindex` from RTM_NEWADDR (IFA_LOCAL, else IFA_ADDRESS).
pub fn parse_ipv4_addr(m: &Msg<'_>) -> Option<(u32, Ipv4Addr)> {
    if m.kind != RTM_NEWADDR || m.body.first() != Some(&(libc::AF_INET as u8)) {
        return None;
    }
    let index = u32_at(m.body, 4)?;
    let a = m.body.get(8..)?;
    let ip = attr(a, IFA_LOCAL).or_else(|| attr(a, IFA_ADDRESS))?;
    let ip: [u8; 4] = ip.get(..4)?.try_into().ok()?;
    Some((index, Ipv4Addr::from(ip)))
}

/// One entry of the neighbour (ARP) table, from RTM_NEWNEIGH.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Neighbour {
    pub ifindex: u32,
    pub dst: Ipv4Addr,
    /// ndm_state: NUD_* bits (see [`nud_name`]).
    pub state: u16,
    /// NDA_LLADDR: absent while INCOMPLETE or FAILED (nothing learned).
    pub lladdr: Option<Vec<u8>>,
    /// NDA_CACHEINFO's ndm_confirmed: how long ago the neighbour was last confirmed reachable
    /// (an ARP reply), in clock ticks (USER_HZ; `ip -s neigh` prints it in seconds).
    pub confirmed_ticks: Option<u32>,
    /// NDA_PROBES: ARP requests sent for this entry since it was last confirmed.
    pub probes: Option<u32>,
}

/// struct ndmsg { u8 family, pad1; u16 pad2; i32 ifindex; u16 state; u8 flags, type; }.
pub fn parse_neighbour(m: &Msg<'_>) -> Option<Neighbour> {
    if m.kind != RTM_NEWNEIGH || m.body.first() != Some(&(libc::AF_INET as u8)) {
        return None;
    }
    let ifindex = u32_at(m.body, 4)?;
    let state = u16_at(m.body, 8)?;
    let a = m.body.get(12..)?;
    let dst: [u8; 4] = attr(a, NDA_DST)?.get(..4)?.try_into().ok()?;
    Some(Neighbour {
        ifindex,
        dst: Ipv4Addr::from(dst),
        state,
        lladdr: attr(a, NDA_LLADDR).map(<[u8]>::to_vec),
        // struct nda_cacheinfo { u32 ndm_confirmed, ndm_used, ndm_updated, ndm_refcnt; }
        confirmed_ticks: attr(a, NDA_CACHEINFO).and_then(|c| u32_at(c, 0)),
        probes: attr(a, NDA_PROBES).and_then(|p| u32_at(p, 0)),
    })
}

/// RTM_NEWNSID's answer: the namespace id, or None when the namespace has none here (-1,
/// NETNSA_NSID_NOT_ASSIGNED).
pub fn parse_nsid(m: &Msg<'_>) -> Option<i32> {
    if m.kind != RTM_NEWNSID {
        return None;
    }
    let id = u32_at(attr(m.body.get(4..)?, NETNSA_NSID)?, 0)? as i32;
    (id >= 0).then_some(id)
}

/// An ndm_state as `ip neigh` prints it (iproute2 ip/ipneigh.c `print_neigh_state`): each
/// NUD_* bit set, by name, in the kernel's order; NONE for 0.
pub fn nud_name(state: u16) -> String {
    const NAMES: [(u16, &str); 8] = [
        (0x01, "INCOMPLETE"),
        (0x02, "REACHABLE"),
        (0x04, "STALE"),
        (0x08, "DELAY"),
        (0x10, "PROBE"),
        (0x20, "FAILED"),
        (0x40, "NOARP"),
        (0x80, "PERMANENT"),
    ];
    if state == 0 {
        return "NONE".into();
    }
    let mut names: Vec<String> = NAMES
        .iter()
        .filter(|(bit, _)| state & bit != 0)
        .map(|(_, n)| n.to_string())
        .collect();
    let rest = state & !0xff;
    if rest != 0 {
        names.push(format!("{rest:#x}"));
    }
    names.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Recorded from this machine's kernel (Linux 6.18) with a netlink socket in the peer's
    /// namespace, while `ip neigh` showed `198.51.100.2 dev peer0 lladdr 02:52:53:00:00:02
    /// STALE`: one RTM_NEWNEIGH (ifindex 2, state 0x04, type RTN_UNICAST; NDA_DST, NDA_LLADDR,
    /// NDA_PROBES, NDA_CACHEINFO), then NLMSG_DONE.
    const NEIGH_DUMP: &str = concat!(
        "4c0000001c000200010000002d0a000002000000020000000400000108000100c63364020a000200",
        "0252530000020000080004000000000014000300961700002600000026000000000000001400000003",
        "000200010000002d0a000000000000"
    );

    /// RTM_NEWLINK for a lab's rs0, recorded in ringside's namespace: a veth whose other end
    /// is ifindex 2 in the namespace with id 0 (`ip -d link` prints `rs0@if2 ... link-netnsid 0`).
    const RS0_LINK: &str = include_str!("testdata/rs0-link.hex");

    #[test]
    fn a_recorded_veth_names_its_other_end() {
        let buf = hex::decode(RS0_LINK.trim()).unwrap();
        let msgs = messages(&buf);
        let [Reply::Data(m)] = msgs[..] else {
            panic!("{msgs:?}")
        };
        let l = parse_link(&m).unwrap();
        assert_eq!(l.name, "rs0");
        assert_eq!(l.kind.as_deref(), Some("veth"));
        assert_eq!(l.link, Some(2));
        assert_eq!(l.link_netnsid, Some(0));
        assert!(parse_neighbour(&m).is_none() && parse_nsid(&m).is_none());
    }

    #[test]
    fn a_recorded_neighbour_dump_parses() {
        let buf = hex::decode(NEIGH_DUMP).unwrap();
        let msgs = messages(&buf);
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        let Reply::Data(m) = msgs[0] else {
            panic!("{msgs:?}")
        };
        let n = parse_neighbour(&m).unwrap();
        assert_eq!(n.ifindex, 2);
        assert_eq!(n.dst, Ipv4Addr::new(198, 51, 100, 2));
        assert_eq!(nud_name(n.state), "STALE");
        assert_eq!(n.lladdr.as_deref(), Some(&[2, 0x52, 0x53, 0, 0, 2][..]));
        // NDA_CACHEINFO: confirmed 6038 ticks (60.38 s at USER_HZ 100) ago; NDA_PROBES 0.
        assert_eq!((n.confirmed_ticks, n.probes), (Some(6038), Some(0)));
        assert_eq!(msgs[1], Reply::Done);
    }

    #[test]
    fn states_are_named_as_ip_neigh_names_them() {
        assert_eq!(nud_name(0), "NONE");
        assert_eq!(nud_name(0x02), "REACHABLE");
        assert_eq!(nud_name(0x08), "DELAY");
        assert_eq!(nud_name(0x10), "PROBE");
        assert_eq!(nud_name(0x20), "FAILED");
        assert_eq!(nud_name(0x01), "INCOMPLETE");
        assert_eq!(nud_name(0x40), "NOARP");
        assert_eq!(nud_name(0x80), "PERMANENT");
        assert_eq!(nud_name(0x84), "STALE PERMANENT");
        assert_eq!(nud_name(0x102), "REACHABLE 0x100");
    }

    #[test]
    fn requests_have_the_kernels_layout() {
        let r = dump_ipv4_neighbours(7);
        assert_eq!(r.len(), 16 + 12);
        assert_eq!(u32_at(&r, 0), Some(28));
        assert_eq!(u16_at(&r, 4), Some(RTM_GETNEIGH));
        assert_eq!(u16_at(&r, 6), Some(NLM_F_REQUEST | NLM_F_DUMP));
        assert_eq!(u32_at(&r, 8), Some(7));
        assert_eq!(r[16], libc::AF_INET as u8);
        let r = get_nsid(1, 5);
        // header, rtgenmsg padded to 4, one 8-byte attribute NETNSA_FD = 5
        assert_eq!(r.len(), 16 + 4 + 8);
        assert_eq!(&r[20..28], &[8, 0, 3, 0, 5, 0, 0, 0]);
    }

    #[test]
    fn bad_lengths_end_the_walk_without_panicking() {
        let buf = hex::decode(NEIGH_DUMP).unwrap();
        for cut in 0..buf.len() {
            for m in messages(&buf[..cut]) {
                if let Reply::Data(m) = m {
                    let _ = parse_neighbour(&m);
                    let _ = parse_link(&m);
                    let _ = parse_nsid(&m);
                }
            }
        }
        // A message claiming more than there is is not returned.
        let mut lie = buf.clone();
        lie[0] = 0xff;
        assert!(messages(&lie).is_empty());
        // An attribute of length 2 (< its own header) stops the attribute walk.
        assert_eq!(attrs(&[2, 0, 1, 0, 9, 9]).count(), 0);
    }
}
