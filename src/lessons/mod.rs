//! The classroom lessons of LESSONS.md as data: what each opens and the caption shown on screen.
//! `ringside lesson N` reads this table; the tests check LESSONS.md against it.
pub mod assets;
pub mod embedded;

/// What a lesson opens.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Opens {
    /// A capture from `assets/`, replayed through the stack.
    Capture(&'static str),
    /// The simulated LAN, with the peer's ARP entry lifetime in seconds.
    Demo { arp_timeout: f64 },
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lesson {
    pub number: u32,
    pub title: &'static str,
    pub opens: Opens,
    /// One line on screen: what to look at and which key to press.
    pub caption: &'static str,
}

pub const LESSONS: &[Lesson] = &[
    Lesson {
        number: 1,
        title: "Anatomy of a UDP datagram",
        opens: Opens::Capture("udp-exchange.pcapng"),
        caption: "Lesson 1 · select frame 3 (j), Tab to the layers: MAC = link, IP = network, port = transport",
    },
    Lesson {
        number: 2,
        title: "Packed vs padded: the course's struct udppkt",
        opens: Opens::Capture("udp-exchange.pcapng"),
        caption: "Lesson 2 · frame 3, v for the C struct: the course's udppkt is 44 bytes, the wire 42; hole at 14-15",
    },
    Lesson {
        number: 3,
        title: "Flexible payloads and lying lengths",
        opens: Opens::Capture("udp-lengths.pcapng"),
        caption: "Lesson 3 · the UDP length says where the payload ends: n steps through truth, then lies",
    },
    Lesson {
        number: 4,
        title: "ARP, and why ping stops working",
        opens: Opens::Demo { arp_timeout: 10.0 },
        caption: "Lesson 4 · press a (ARP off): pings work until the PC's entry expires, then fail; a again",
    },
    Lesson {
        number: 5,
        title: "ICMP echo, checksums and TTL",
        opens: Opens::Capture("ping.pcapng"),
        caption: "Lesson 5 · n steps: odd length (seq 3), TTL 1 (seq 5), bad checksum (seq 6), broadcast (7)",
    },
    Lesson {
        number: 6,
        title: "MTU 1500 vs IPv4's 65,535: fragments",
        opens: Opens::Capture("fragments.pcapng"),
        caption: "Lesson 6 · a 4000-byte ping in 3 fragments: watch offset, MF, and the reply fragmented back",
    },
    Lesson {
        number: 7,
        title: "Where the copies go",
        opens: Opens::Demo { arp_timeout: 15.0 },
        caption: "Lesson 7 · DMA is no CPU copy: recv copies once, a TPACKET ring once, netmap none",
    },
    Lesson {
        number: 8,
        title: "UDP keeps message boundaries, and nothing else",
        opens: Opens::Capture("udp-messages.pcapng"),
        caption: "Lesson 8 · each datagram arrives whole (1, 1473 in 2 fragments, 4, 4); the two \"same\" look alike",
    },
    Lesson {
        number: 9,
        title: "Layers and devices: which headers a box reads",
        opens: Opens::Capture("udp-exchange.pcapng"),
        caption: "Lesson 9 · frame 3, Tab, j: switch reads Ethernet, router + IPv4, NAT/L4 + ports, L7 the payload",
    },
    Lesson {
        number: 10,
        title: "The ring itself: nm_open, poll, nm_nextpkt",
        opens: Opens::Demo { arp_timeout: 15.0 },
        caption: "Lesson 10 · v until Ring, space, then . : poll hands slots over, nm_nextpkt takes one, no read",
    },
];

/// Lesson `n`, if there is one.
pub fn lesson(n: u32) -> Option<&'static Lesson> {
    LESSONS.iter().find(|l| l.number == n)
}
