//! The capture path of `ringside live --headless --ring v3`, per frame, without a kernel: a
//! link that hands over synthetic TPACKET_V3 blocks (laid out as the kernel fills them, each
//! frame the UDP frame bench/capture_cost.py's trafgen floods, addressed to another host)
//! through the same block walk as the AF_PACKET ring ([`deliver_v3_block`]), run by the same
//! capture thread as headless `live` (`capture::spawn`, no UI channel, no recording).
//!
//! Meant to run under callgrind, which counts instructions exactly, free of the machine's
//! noise: `bench/capture_ir.py` does that and prints instructions per frame.
//!
//!   capture_ir [FRAME_LEN [BLOCKS]]   (defaults: 60 bytes without FCS, 200 blocks of 256 KiB)
use libc::{tpacket3_hdr, tpacket_block_desc, tpacket_hdr_v1};
use ringside_net::capture::{self, CaptureOptions};
use ringside_net::link::afpacket::{deliver_v3_block, RxCounts};
use ringside_net::link::{Link, LinkControl, LinkInfo, Received, RxMeta, Unsupported};
use ringside_net::stack::{DropReason, Stack, StackConfig};
use std::mem::{offset_of, size_of};
use std::time::Duration;

/// `ringside live --ring v3`'s block size.
const BLOCK: usize = 256 << 10;
/// Where the kernel puts the first frame: after the block descriptor, 8-aligned.
const FIRST: usize = (size_of::<tpacket_block_desc>() + 7) & !7;
/// tp_mac of an Ethernet frame in a V3 block (`tpacket_rcv`: TPACKET_ALIGN(68 + 16) - 14).
const MAC: usize = 82;

/// bench/live.py's `trafgen_conf(len)`: UDP from 198.51.100.1 to 198.51.100.99 (not ringside,
/// which is .2), Ethernet destination 02:52:53:00:00:99 (not ringside's MAC either).
fn flood_frame(len: usize) -> Vec<u8> {
    let mut f = vec![0x5a; len];
    f[..14].copy_from_slice(&[
        0x02, 0x52, 0x53, 0, 0, 0x99, 0x02, 0x52, 0x53, 0, 0, 0x01, 0x08, 0x00,
    ]);
    let ip_len = (len - 14) as u16;
    f[14..34].copy_from_slice(&[
        0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0, 198, 51, 100, 1, 198, 51, 100, 99,
    ]);
    f[16..18].copy_from_slice(&ip_len.to_be_bytes());
    f[34..42].copy_from_slice(&[0, 9, 0, 9, 0, 0, 0, 0]);
    f[38..40].copy_from_slice(&(ip_len - 20).to_be_bytes());
    f
}

fn put_u32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_ne_bytes());
}

/// One full block of copies of `frame`, as the kernel retires it under a flood.
fn v3_block(frame: &[u8]) -> (Vec<u8>, usize) {
    let mut b = vec![0u8; BLOCK];
    let step = (MAC + frame.len() + 15) & !15;
    let n = (BLOCK - FIRST) / step;
    let h = offset_of!(tpacket_block_desc, hdr);
    put_u32(&mut b, h + offset_of!(tpacket_hdr_v1, block_status), 1);
    put_u32(&mut b, h + offset_of!(tpacket_hdr_v1, num_pkts), n as u32);
    put_u32(
        &mut b,
        h + offset_of!(tpacket_hdr_v1, offset_to_first_pkt),
        FIRST as u32,
    );
    for i in 0..n {
        let off = FIRST + i * step;
        let next = if i + 1 < n { step } else { 0 };
        put_u32(
            &mut b,
            off + offset_of!(tpacket3_hdr, tp_next_offset),
            next as u32,
        );
        put_u32(
            &mut b,
            off + offset_of!(tpacket3_hdr, tp_sec),
            1_764_633_600,
        );
        put_u32(&mut b, off + offset_of!(tpacket3_hdr, tp_nsec), i as u32);
        put_u32(
            &mut b,
            off + offset_of!(tpacket3_hdr, tp_snaplen),
            frame.len() as u32,
        );
        put_u32(
            &mut b,
            off + offset_of!(tpacket3_hdr, tp_len),
            frame.len() as u32,
        );
        // TP_STATUS_USER | TP_STATUS_CSUMNOTREADY, as a veth flood shows it.
        put_u32(&mut b, off + offset_of!(tpacket3_hdr, tp_status), 1 | 8);
        b[off + offset_of!(tpacket3_hdr, tp_mac)..][..2]
            .copy_from_slice(&(MAC as u16).to_ne_bytes());
        // sll_pkttype PACKET_OTHERHOST (3): the frame is for another MAC.
        b[off + 48 + offset_of!(libc::sockaddr_ll, sll_pkttype)] = libc::PACKET_OTHERHOST;
        b[off + MAC..off + MAC + frame.len()].copy_from_slice(frame);
    }
    (b, n)
}

/// A link that hands over the same block `left` times, one per `recv_batch`, then ends.
struct Blocks {
    block: Vec<u8>,
    left: usize,
    rx: RxCounts,
    scratch: Vec<u8>,
}

impl Link for Blocks {
    fn recv_batch(
        &mut self,
        _: Duration,
        on_frame: &mut dyn FnMut(&[u8], RxMeta),
    ) -> std::io::Result<Received> {
        if self.left == 0 {
            return Ok(Received::End);
        }
        self.left -= 1;
        let n = deliver_v3_block(&self.block, &mut self.rx, &mut self.scratch, on_frame);
        Ok(Received::Frames(n))
    }
    fn send(&mut self, _: &[u8]) -> std::io::Result<()> {
        Ok(())
    }
    fn now(&self) -> Duration {
        ringside_net::link::monotonic_clock()
    }
    fn info(&self) -> LinkInfo {
        LinkInfo::default()
    }
    fn control(&mut self, _: LinkControl) -> Result<(), Unsupported> {
        Err(Unsupported::RealTime)
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let frame_len: usize = args.next().map_or(60, |a| a.parse().expect("FRAME_LEN"));
    let blocks: usize = args.next().map_or(200, |a| a.parse().expect("BLOCKS"));
    let (block, per_block) = v3_block(&flood_frame(frame_len));
    let link = Blocks {
        block,
        left: blocks,
        rx: RxCounts::default(),
        scratch: Vec::with_capacity(2048),
    };
    // What `ringside live --headless` passes (src/cli/live.rs), less the peer kernel watcher.
    let handle = capture::spawn(
        Box::new(link),
        Stack::new(StackConfig::default()),
        CaptureOptions {
            handoff_capacity: None,
            poll_timeout: Duration::from_millis(100),
            status_interval: Duration::from_millis(50),
            idle_status_interval: Some(Duration::from_secs(1)),
            ..CaptureOptions::default()
        },
    );
    let mut seen = 0;
    let status = loop {
        match handle.wait_status(&mut seen, Duration::from_secs(1)) {
            Some(s) if s.finished => break s,
            _ => {}
        }
    };
    let c = &status.counters;
    let not_for_us = c.no_reply(DropReason::NotForUs);
    println!(
        "frames {} ({} blocks x {per_block}) judged {} not_for_us {not_for_us}",
        blocks * per_block,
        blocks,
        c.frames_in
    );
    assert_eq!(
        c.frames_in as usize,
        blocks * per_block,
        "every frame judged"
    );
    assert_eq!(not_for_us, c.frames_in, "every frame NotForUs");
    drop(handle);
}
