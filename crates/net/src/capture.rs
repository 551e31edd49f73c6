//! The capture thread: link -> stack -> replies back to the link, and every frame (in and out)
//! handed to the UI through a bounded channel. It never waits on the UI: when the channel is full the
//! frame is counted in `Status::handoff_dropped` and capture goes on.
pub use crate::link::frame::{Captured, Direction, FrameSink};
use crate::link::{Link, LinkControl, LinkStats, PeerView, Received, RxMeta, Waker};
use crate::recorded::{FrameNote, Responders};
use crate::stack::{ArpEntry, Counters, Outbox, PrintedDatagram, Stack, StackConfig};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Commands from the UI (or a signal handler) to the capture thread.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Control {
    ArpResponder(bool),
    IcmpResponder(bool),
    /// For the link itself (the demo's simulated clock: speed, freeze, step), passed on as is.
    Link(LinkControl),
}

/// A snapshot the capture thread publishes a few times a second (and on every control change).
#[derive(Clone, Debug, Default)]
pub struct Status {
    pub counters: Counters,
    /// Who ringside is (its address goes into the captures `w` writes).
    pub host: StackConfig,
    pub link: LinkStats,
    pub link_desc: String,
    pub arp_cache: Vec<ArpEntry>,
    /// Bytes the stack holds for IPv4 reassembly (bounded by its memory cap).
    pub reassembly_bytes: usize,
    pub arp_responder: bool,
    pub icmp_responder: bool,
    pub peer: Option<PeerView>,
    /// The link's receive ring at the snapshot (the ring panel), None where there is none.
    pub ring: Option<crate::link::ring_view::RingView>,
    /// Live: the real kernel at the other end of the interface (its ARP entry for ringside,
    /// its pings), from [`crate::peer_kernel::Watch`]; None where nobody watches (demo, replay).
    pub peer_kernel: Option<crate::peer_kernel::PeerKernel>,
    /// Frames the UI channel had no room for.
    pub handoff_dropped: u64,
    /// Frames waiting in the UI channel, and its capacity.
    pub handoff_used: usize,
    pub handoff_capacity: usize,
    pub printed: Vec<PrintedDatagram>,
    pub record_errors: u64,
    /// The link's clock at the time of the snapshot.
    pub now: Duration,
    /// For a finite source (a capture file): (bytes read, total bytes), from [`Link::info`].
    pub progress: Option<(u64, u64)>,
    /// Controls applied so far, in the order sent: a UI that sent more than this knows the
    /// snapshot predates its latest change and keeps its own value for what it changed.
    pub controls_applied: u64,
    /// Frames whose source carried ringside's recorded note (a capture ringside wrote).
    pub notes_seen: u64,
    /// Received frames of another link type (Linux cooked, raw IP, from a capture file): shown,
    /// never fed to the stack, which speaks Ethernet. Not in the stack's `frames_in`.
    pub unsupported_link: u64,
    /// Shown verdicts are the recorded ones where a note has them ([`CaptureOptions::recorded_verdicts`]);
    /// false when the user asked to judge the frames again.
    pub recorded_verdicts: bool,
    /// Set when the thread ended (source exhausted or error); the error, if any.
    pub finished: bool,
    pub error: Option<String>,
}

pub struct CaptureOptions {
    /// Capacity of the UI channel, in frames. None: no UI (headless), frames are not handed over.
    pub handoff_capacity: Option<usize>,
    /// ...and in bytes of frame data.
    pub handoff_bytes: usize,
    pub record: Option<Box<dyn FrameSink>>,
    /// How long one `recv_batch` may wait: bounds how late status updates are, and controls
    /// and stops on links without a [`Link::waker`] (AF_PACKET has one: they end the wait).
    pub poll_timeout: Duration,
    /// How often `Status` is republished while something it shows changes (frames counted,
    /// a control applied, a print-sink datagram, the peer kernel's entry).
    pub status_interval: Duration,
    /// How often it is republished when nothing changed: a screen whose ARP ages tick wants
    /// `status_interval` (the default); headless, which shows only changes, can wait long. A
    /// snapshot costs a getsockopt, the ring picture and clones of the ARP cache and the
    /// print-sink payloads, so an idle `live` should not build one 20 times a second.
    pub idle_status_interval: Option<Duration>,
    /// Wait for room in the UI channel instead of dropping. Only for finite sources (a file):
    /// a live link must never wait on the UI, but a replay should show every frame.
    pub lossless: bool,
    /// Hand the stack's replies to the UI too. Off for replay: a capture usually holds the
    /// original replies already, and the verdict column says what ringside would have done.
    pub show_replies: bool,
    /// The source is a recording that already holds what the host sent: frames from the
    /// stack's own MAC are shown as sent (→) instead of being judged again as incoming.
    pub recorded: bool,
    /// Where a frame carries ringside's recorded note (a pcapng ringside wrote), show the
    /// recorded direction, verdict and responder switches instead of judging it again, and count
    /// the status bar's verdicts from them. False: judge every frame with the current settings
    /// (recorded directions still say which frames ringside sent).
    pub recorded_verdicts: bool,
    /// Live: the peer kernel watcher's latest snapshot, copied into each status (a lock and a
    /// clone: the watcher thread does the netlink reads).
    pub peer_kernel: Option<crate::peer_kernel::PeerCell>,
}

impl Default for CaptureOptions {
    fn default() -> Self {
        CaptureOptions {
            handoff_capacity: Some(65_536),
            handoff_bytes: 64 << 20,
            record: None,
            poll_timeout: Duration::from_millis(50),
            status_interval: Duration::from_millis(100),
            idle_status_interval: None,
            lossless: false,
            show_replies: true,
            recorded: false,
            recorded_verdicts: true,
            peer_kernel: None,
        }
    }
}

/// The running capture thread and the UI's ends of its channels.
pub struct CaptureHandle {
    /// None when started without a UI channel (headless).
    pub frames: Option<FrameReceiver>,
    pub status: Arc<Mutex<Status>>,
    /// How many snapshots were published; waiters on it are woken by each (see [`News`]).
    news: Arc<News>,
    control: mpsc::Sender<Control>,
    /// Ends the capture thread's wait for frames, where the link can (see [`Link::waker`]):
    /// a control or a stop then takes effect at once, not at the next poll timeout.
    waker: Option<Waker>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl CaptureHandle {
    pub fn control(&self, c: Control) {
        // The thread only stops listening when it has ended; nothing to do then.
        let _ = self.control.send(c);
        self.wake();
    }
    fn wake(&self) {
        if let Some(w) = &self.waker {
            w.wake();
        }
    }
    pub fn status(&self) -> Status {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }
    /// Wait up to `timeout` for a snapshot newer than the one numbered `seen` and return it
    /// (updating `seen`); None when none came. A reader that only acts on changes (headless
    /// `live`) clones nothing while the capture thread has nothing new, and is woken as soon as
    /// it has.
    pub fn wait_status(&self, seen: &mut u64, timeout: Duration) -> Option<Status> {
        let published = self.news.wait_past(*seen, timeout);
        if published == *seen {
            return None;
        }
        *seen = published;
        Some(self.status())
    }
    /// Ask the thread to stop and wait for it; returns the final status.
    pub fn stop(mut self) -> Status {
        self.stop.store(true, Ordering::Relaxed);
        self.wake();
        // A lossless hand-off may be waiting for room: dropping the receiver releases it.
        self.frames = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.status()
    }
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }
}

impl Drop for CaptureHandle {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.wake();
        self.frames = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A count of published snapshots that readers can wait on.
#[derive(Default)]
struct News {
    published: Mutex<u64>,
    bell: Condvar,
}

impl News {
    fn ring(&self) {
        if let Ok(mut n) = self.published.lock() {
            *n += 1;
            self.bell.notify_all();
        }
    }
    /// The count once it is past `seen`, or when `timeout` passed.
    fn wait_past(&self, seen: u64, timeout: Duration) -> u64 {
        let Ok(n) = self.published.lock() else {
            return seen;
        };
        match self.bell.wait_timeout_while(n, timeout, |n| *n == seen) {
            Ok((n, _)) => *n,
            Err(_) => seen,
        }
    }
}

/// The UI's end of the frame channel; knows how many frames wait in it (ring occupancy).
pub struct FrameReceiver {
    rx: Receiver<Captured>,
    in_flight: Arc<InFlight>,
    capacity: usize,
}

/// Frames and bytes waiting in the UI channel. The channel is bounded in frames; the bytes are
/// bounded here too, so big frames (TAP, loopback) cannot pile up gigabytes behind a stalled UI.
#[derive(Default)]
struct InFlight {
    frames: AtomicUsize,
    bytes: AtomicUsize,
}

impl InFlight {
    fn add(&self, bytes: usize) {
        self.frames.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }
    fn sub(&self, bytes: usize) {
        self.frames.fetch_sub(1, Ordering::Relaxed);
        self.bytes.fetch_sub(bytes, Ordering::Relaxed);
    }
}

impl FrameReceiver {
    /// Take one waiting frame, if any. Never blocks.
    pub fn try_recv(&self) -> Option<Captured> {
        let c = self.rx.try_recv().ok()?;
        self.in_flight.sub(c.data.len());
        Some(c)
    }
    /// Wait up to `timeout` for one frame.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Captured> {
        let c = self.rx.recv_timeout(timeout).ok()?;
        self.in_flight.sub(c.data.len());
        Some(c)
    }
    /// (frames waiting, capacity).
    pub fn occupancy(&self) -> (usize, usize) {
        (self.in_flight.frames.load(Ordering::Relaxed), self.capacity)
    }
}

/// Start the capture thread.
pub fn spawn(mut link: Box<dyn Link>, stack: Stack, opts: CaptureOptions) -> CaptureHandle {
    let waker = link.waker();
    let in_flight = Arc::new(InFlight::default());
    let (tx, rx) = match opts.handoff_capacity {
        Some(cap) => {
            let (tx, rx) = mpsc::sync_channel(cap);
            let rx = FrameReceiver {
                rx,
                in_flight: in_flight.clone(),
                capacity: cap,
            };
            (Some(tx), Some(rx))
        }
        None => (None, None),
    };
    let (ctl_tx, ctl_rx) = mpsc::channel();
    let status = Arc::new(Mutex::new(Status::default()));
    let news = Arc::new(News::default());
    let stop = Arc::new(AtomicBool::new(false));
    let worker = Worker {
        link,
        stack,
        handoff: tx,
        in_flight,
        handoff_bytes: opts.handoff_bytes,
        handoff_capacity: opts.handoff_capacity.unwrap_or(0),
        record: opts.record,
        poll_timeout: opts.poll_timeout,
        status_interval: opts.status_interval,
        idle_status_interval: opts.idle_status_interval.unwrap_or(opts.status_interval),
        changed: true,
        last_peer_kernel: None,
        lossless: opts.lossless,
        show_replies: opts.show_replies,
        recorded: opts.recorded,
        recorded_verdicts: opts.recorded_verdicts,
        peer_kernel: opts.peer_kernel,
        notes_seen: 0,
        unsupported_link: 0,
        shown: Counters::default(),
        control: ctl_rx,
        status: status.clone(),
        news: news.clone(),
        stop: stop.clone(),
        handoff_dropped: 0,
        controls_applied: 0,
        record_errors: 0,
        printed: Vec::new(),
    };
    let thread = std::thread::Builder::new()
        .name("ringside-capture".into())
        .spawn(move || worker.run())
        .expect("spawning the capture thread");
    CaptureHandle {
        frames: rx,
        status,
        news,
        control: ctl_tx,
        waker,
        stop,
        thread: Some(thread),
    }
}

struct Worker {
    link: Box<dyn Link>,
    stack: Stack,
    handoff: Option<SyncSender<Captured>>,
    in_flight: Arc<InFlight>,
    handoff_bytes: usize,
    handoff_capacity: usize,
    record: Option<Box<dyn FrameSink>>,
    poll_timeout: Duration,
    status_interval: Duration,
    idle_status_interval: Duration,
    /// Something a snapshot shows changed since the last one (see [`Worker::publish_due`]).
    changed: bool,
    /// The peer kernel as last published: its watcher changes it on its own timer.
    last_peer_kernel: Option<crate::peer_kernel::PeerKernel>,
    control: Receiver<Control>,
    status: Arc<Mutex<Status>>,
    news: Arc<News>,
    stop: Arc<AtomicBool>,
    handoff_dropped: u64,
    controls_applied: u64,
    lossless: bool,
    show_replies: bool,
    recorded: bool,
    recorded_verdicts: bool,
    peer_kernel: Option<crate::peer_kernel::PeerCell>,
    /// Frames that carried a recorded note.
    notes_seen: u64,
    /// See [`Status::unsupported_link`].
    unsupported_link: u64,
    /// Verdicts as shown (recorded ones where the source had them): the status bar's counters
    /// once a recorded note was seen.
    shown: Counters,
    record_errors: u64,
    printed: Vec<PrintedDatagram>,
}

/// Print-sink payloads kept for the status snapshot.
const PRINTED_KEEP: usize = 32;

impl Worker {
    fn run(mut self) {
        let mut outbox = Outbox::new();
        // A first snapshot before the first wait (which may be long): who ringside is, the link.
        // Then: when the last one was published, and when the worker last asked itself whether
        // one is due (every `status_interval`).
        self.publish(false, None);
        let (mut last_status, mut last_look) = (Instant::now(), Instant::now());
        let mut published_controls = 0;
        let mut error = None;
        while !self.stop.load(Ordering::Relaxed) {
            while let Ok(c) = self.control.try_recv() {
                let for_link = match c {
                    Control::ArpResponder(on) => {
                        self.stack.set_arp_responder(on);
                        None
                    }
                    Control::IcmpResponder(on) => {
                        self.stack.set_icmp_responder(on);
                        None
                    }
                    Control::Link(c) => Some(c),
                };
                // A link without simulated time refuses these, naming why. The UI offers the
                // keys only where the status shows a simulated peer, and tells the user why
                // elsewhere, so a refusal here needs no second answer.
                if let Some(c) = for_link {
                    let _refused = self.link.control(c);
                }
                self.controls_applied += 1;
                self.changed = true;
            }
            if self.controls_applied > published_controls {
                // Published at once, before the next wait: the UI (or headless's log line)
                // waits for it.
                published_controls = self.controls_applied;
                self.publish(false, None);
                (last_status, last_look) = (Instant::now(), Instant::now());
            }
            let poll_timeout = self.poll_timeout;
            let mode = PumpMode {
                recorded: self.recorded,
                show_replies: self.show_replies,
                recorded_verdicts: self.recorded_verdicts,
                // What `keep` below does with a judged frame: record it, hand it to the UI,
                // and (in a recording) count notes and the shown verdicts, which the status
                // shows only once a note was seen. With none of these there is nothing to do.
                visit_judged: self.record.is_some() || self.handoff.is_some() || self.recorded,
            };
            let Worker {
                link,
                stack,
                handoff,
                in_flight,
                handoff_bytes,
                stop,
                record,
                handoff_dropped,
                record_errors,
                lossless,
                notes_seen,
                unsupported_link,
                shown,
                ..
            } = &mut self;
            // Record and hand over one frame; allocates only when there is a UI to hand it to.
            let mut keep = |meta: RxMeta, note: FrameNote, data: &[u8]| {
                if meta.note.is_some() && mode.recorded {
                    *notes_seen += 1;
                }
                match (note.dir, note.verdict) {
                    (Direction::In, Some(v)) => shown.record(v, 0),
                    (Direction::In, None) => {}
                    (Direction::Out, _) => shown.frames_out += 1,
                }
                // A recording is an Ethernet capture: a cooked or raw-IP frame has no place in it.
                let ethernet = meta.link == crate::wire::LinkKind::Ethernet;
                if !ethernet {
                    *unsupported_link += 1;
                }
                if let Some(r) = record.as_mut().filter(|_| ethernet) {
                    if r.write_frame(meta.ts, data, meta.orig_len, Some(&note))
                        .is_err()
                    {
                        *record_errors += 1;
                    }
                }
                if let Some(h) = handoff {
                    let c = Captured {
                        ts: meta.ts,
                        dir: note.dir,
                        data: data.to_vec(),
                        orig_len: meta.orig_len,
                        csum_not_ready: meta.csum_not_ready,
                        verdict: note.verdict,
                        responders: note.responders,
                        source: meta.source,
                        link: meta.link,
                    };
                    offer(
                        h,
                        c,
                        Room {
                            lossless: *lossless,
                            max_bytes: *handoff_bytes,
                            stop,
                        },
                        in_flight,
                        handoff_dropped,
                    );
                }
            };
            match pump(
                &mut **link,
                stack,
                &mut outbox,
                poll_timeout,
                mode,
                &mut keep,
            ) {
                Ok(Received::End) => break,
                Ok(Received::Frames(n)) => self.changed |= n > 0,
                Err(e) => {
                    error = Some(e.to_string());
                    break;
                }
            }
            let now = self.link.now();
            self.stack.poll(now);
            let printed = self.stack.take_printed();
            self.changed |= !printed.is_empty();
            self.printed.extend(printed);
            if self.printed.len() > PRINTED_KEEP {
                let excess = self.printed.len() - PRINTED_KEEP;
                self.printed.drain(..excess);
            }
            if last_look.elapsed() >= self.status_interval {
                last_look = Instant::now();
                if self.publish_due(last_status.elapsed()) {
                    self.publish(false, None);
                    last_status = last_look;
                }
            }
        }
        if let Some(r) = self.record.as_mut() {
            if r.finish().is_err() {
                self.record_errors += 1;
            }
        }
        self.publish(true, error);
    }

    /// Is a snapshot due, `since` the last one? When something it shows changed, or the
    /// idle interval passed (a screen's ARP ages, a simulated LAN's clock).
    fn publish_due(&mut self, since: Duration) -> bool {
        if self.changed || since >= self.idle_status_interval {
            return true;
        }
        // The watcher thread's latest read of the peer kernel (a lock and a clone, far less
        // than a whole snapshot): its ARP entry changes without any frame here.
        match &self.peer_kernel {
            Some(cell) => cell.latest() != self.last_peer_kernel,
            None => false,
        }
    }

    fn publish(&mut self, finished: bool, error: Option<String>) {
        self.changed = false;
        self.last_peer_kernel = self.peer_kernel.as_ref().and_then(|c| c.latest());
        let now = self.link.now();
        // A recording's verdicts, once it has shown some: the status bar then agrees with the
        // list (the stack's own counters judge the frames again).
        let counters = if self.recorded_verdicts && self.notes_seen > 0 {
            self.shown.clone()
        } else {
            self.stack.counters().clone()
        };
        let info = self.link.info();
        let s = Status {
            counters,
            host: self.stack.config().clone(),
            link: info.stats,
            link_desc: info.describe,
            arp_cache: self.stack.arp_cache(now),
            reassembly_bytes: self.stack.reassembly_bytes(),
            arp_responder: self.stack.arp_responder(),
            icmp_responder: self.stack.icmp_responder(),
            peer: info.peer,
            ring: info.ring,
            peer_kernel: self.last_peer_kernel.clone(),
            handoff_dropped: self.handoff_dropped,
            handoff_used: self.in_flight.frames.load(Ordering::Relaxed),
            handoff_capacity: self.handoff_capacity,
            printed: self.printed.clone(),
            record_errors: self.record_errors,
            controls_applied: self.controls_applied,
            notes_seen: self.notes_seen,
            unsupported_link: self.unsupported_link,
            recorded_verdicts: self.recorded_verdicts,
            now,
            progress: info.progress,
            finished,
            error,
        };
        if let Ok(mut g) = self.status.lock() {
            *g = s;
        }
        self.news.ring();
    }
}

/// What went wrong in one [`pump`].
#[derive(Debug)]
pub enum PumpError {
    Receive(String, std::io::Error),
    Send(String, std::io::Error),
}

impl std::fmt::Display for PumpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PumpError::Receive(link, e) => write!(f, "receiving from {link}: {e}"),
            PumpError::Send(link, e) => write!(f, "sending on {link}: {e}"),
        }
    }
}

impl std::error::Error for PumpError {}

/// In a recording, was `frame` sent by the host whose MAC is `mac`? Its source is that MAC and
/// its destination another unicast MAC: the stack never sends to itself or to a broadcast, so
/// a frame from "us" to us or to everyone is a forgery, judged like any incoming frame.
pub fn sent_by(mac: [u8; 6], frame: &[u8]) -> bool {
    match (frame.get(0..6), frame.get(6..12)) {
        (Some(dst), Some(src)) => src == mac && dst != mac && dst[0] & 1 == 0,
        _ => false,
    }
}

/// What [`pump`] hands to its visitor besides received frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PumpMode {
    /// See [`CaptureOptions::recorded`].
    pub recorded: bool,
    /// See [`CaptureOptions::show_replies`].
    pub show_replies: bool,
    /// See [`CaptureOptions::recorded_verdicts`].
    pub recorded_verdicts: bool,
    /// Hand the visitor each received frame the stack judged (true, the default). False when
    /// the visitor would do nothing with those (headless `live`: no UI, no recording), so the
    /// capture loop does not call it for each frame of a flood; the stack's counters count
    /// every verdict either way. Frames not judged (sent, or of another link type) and
    /// replies are handed over regardless.
    pub visit_judged: bool,
}

impl Default for PumpMode {
    /// A live source: every reply shown, every frame judged and handed over.
    fn default() -> Self {
        PumpMode {
            recorded: false,
            show_replies: true,
            recorded_verdicts: true,
            visit_judged: true,
        }
    }
}

/// Receives each frame of a [`pump`]: its metadata, bytes and what happened to it (direction,
/// the stack's verdict for received frames, the responder switches at that moment).
pub type FrameVisitor<'a> = dyn FnMut(RxMeta, FrameNote, &[u8]) + 'a;

/// One wake-up of the capture loop, shared by the capture thread and lockstep runs (tests, the
/// lesson recorder): wait up to `timeout` for a batch, run each frame through the stack, give
/// `keep` each received frame and then the replies it caused (wire order), then send the
/// replies. Says how many frames were received, or that a finite link has ended.
///
/// In a recording (`mode.recorded`), a frame that carries ringside's note (`meta.note`, from a
/// pcapng ringside wrote) keeps its recorded direction: one ringside sent is shown as sent, never judged. With
/// `mode.recorded_verdicts` the stack takes the recorded responder switches before judging a
/// received one (so its ARP cache and timers follow what happened), and the recorded verdict is
/// the one shown.
pub fn pump(
    link: &mut dyn Link,
    stack: &mut Stack,
    outbox: &mut Outbox,
    timeout: Duration,
    mode: PumpMode,
    keep: &mut FrameVisitor<'_>,
) -> Result<Received, PumpError> {
    outbox.clear();
    let own_mac = stack.config().mac;
    // Headless `live`: a live source (no recorded notes or directions) and a visitor that
    // takes no judged frame. Then a flood's frame to another host needs nothing but its count,
    // which `count_if_for_another_host` does inline, in a few instructions and registers;
    // every other frame goes through `pump_one`, out of line. As one closure, every frame paid
    // for saving and restoring the registers the rarer paths need (bench/capture_ir.py).
    let mut p = PumpFrame {
        stack,
        outbox: &mut *outbox,
        keep,
        mode,
        own_mac,
        count_only: !mode.recorded && !mode.visit_judged,
    };
    let got = link.recv_batch(timeout, &mut |frame, meta| {
        if p.count_only
            && meta.link == crate::wire::LinkKind::Ethernet
            && p.stack.count_if_for_another_host(frame)
        {
            return;
        }
        pump_one(&mut p, frame, meta);
    });
    let got = got.map_err(|e| PumpError::Receive(link.info().describe, e))?;
    // The replies reach the link after the batch: the link was busy lending us each frame.
    for frame in outbox.iter() {
        link.send(frame)
            .map_err(|e| PumpError::Send(link.info().describe, e))?;
    }
    if !outbox.is_empty() {
        link.flush()
            .map_err(|e| PumpError::Send(link.info().describe, e))?;
    }
    Ok(got)
}

/// What [`pump`]'s per-frame closure works with, in one struct: the closure then holds one
/// reference and hands [`pump_one`] one argument for all of it, where seven arguments (some
/// passed on the stack) were set up for every frame (bench/capture_ir.py).
struct PumpFrame<'p, 'k> {
    stack: &'p mut Stack,
    outbox: &'p mut Outbox,
    keep: &'p mut FrameVisitor<'k>,
    mode: PumpMode,
    own_mac: [u8; 6],
    /// Headless `live` (see [`pump`]): a frame for another host is only counted.
    count_only: bool,
}

/// One received frame of a [`pump`]: judged by the stack (or, from a recording, shown as
/// recorded), handed to `keep` with the replies it caused. Kept out of line on purpose: see
/// the fast path in [`pump`].
#[inline(never)]
fn pump_one(p: &mut PumpFrame<'_, '_>, frame: &[u8], meta: RxMeta) {
    let (stack, outbox, keep) = (&mut *p.stack, &mut *p.outbox, &mut *p.keep);
    let (mode, own_mac) = (p.mode, p.own_mac);
    let switches = |stack: &Stack| Responders {
        arp: stack.arp_responder(),
        icmp: stack.icmp_responder(),
    };
    if meta.link != crate::wire::LinkKind::Ethernet {
        // A cooked (LINUX_SLL) or raw-IP frame from a capture file: the stack answers
        // Ethernet, so it is shown for what it is, verdict-less, and never judged (the link
        // counts it as `unsupported_link`, beside the stack's `frames_in`).
        let note = FrameNote {
            dir: Direction::In,
            verdict: None,
            responders: switches(stack),
        };
        keep(meta, note, frame);
        return;
    }
    // Notes count only where the source is a recording (`mode.recorded`); a live link's
    // frames never have one, so it is not even read there.
    let note = if mode.recorded { meta.note } else { None };
    let sent = match note {
        Some(n) => n.dir == Direction::Out,
        None => mode.recorded && sent_by(own_mac, frame),
    };
    if sent {
        let responders = match note {
            Some(n) if mode.recorded_verdicts => n.responders,
            _ => switches(stack),
        };
        let note = FrameNote {
            dir: Direction::Out,
            verdict: None,
            responders,
        };
        keep(meta, note, frame);
        return;
    }
    let recorded = note.filter(|_| mode.recorded_verdicts);
    if let Some(n) = recorded {
        stack.set_arp_responder(n.responders.arp);
        stack.set_icmp_responder(n.responders.icmp);
    }
    let before = outbox.len();
    let judged = stack.handle_frame(meta.clock, frame, meta.csum_not_ready, outbox);
    let note = FrameNote {
        dir: Direction::In,
        // A note from a newer ringside may name a verdict this one does not know.
        verdict: Some(recorded.and_then(|n| n.verdict).unwrap_or(judged)),
        responders: switches(stack),
    };
    if mode.visit_judged {
        keep(meta, note, frame);
    }
    // Most frames cause no reply: test that before setting up the walk over the outbox.
    if !mode.show_replies || outbox.len() == before {
        return;
    }
    for reply in outbox.iter().skip(before) {
        let out = RxMeta {
            ts: meta.ts,
            clock: meta.clock,
            orig_len: reply.len() as u32,
            csum_not_ready: false,
            note: None,
            link: crate::wire::LinkKind::Ethernet,
            source: meta.source,
        };
        let note = FrameNote {
            dir: Direction::Out,
            verdict: None,
            responders: note.responders,
        };
        keep(out, note, reply);
    }
}

/// How [`offer`] treats a full channel.
struct Room<'a> {
    /// Wait for room (files) instead of dropping (live links).
    lossless: bool,
    /// Bytes the channel may hold.
    max_bytes: usize,
    /// Waiting ends when the thread is asked to stop.
    stop: &'a AtomicBool,
}

/// Run `link` and `stack` together on the calling thread through the same [`pump`] the capture
/// thread uses (frames in, verdicts, each reply right after its trigger, the stack's timers
/// after each batch), handing every frame to `keep`, until the link's clock reaches `until`, a
/// finite link ends, or nothing moves (a frozen simulated clock). `until` None: to the end of a
/// finite link. Over the simulated LAN in lockstep this is a reproducible lesson
/// ([`run_lockstep`]); over a capture file it is `respond`.
pub fn run_here(
    link: &mut dyn Link,
    stack: &mut Stack,
    until: Option<Duration>,
    mode: PumpMode,
    keep: &mut FrameVisitor<'_>,
) -> Result<(), PumpError> {
    const WAIT: Duration = Duration::from_millis(50);
    let mut outbox = Outbox::new();
    while until.is_none_or(|u| link.now() < u) {
        let before = link.now();
        let timeout = until.map_or(WAIT, |u| (u - before).min(WAIT));
        let got = pump(link, stack, &mut outbox, timeout, mode, keep)?;
        stack.poll(link.now());
        if got == Received::End || (got == Received::Frames(0) && link.now() == before) {
            break; // the end of a file, or time is frozen: nothing will change
        }
    }
    Ok(())
}

/// [`run_here`] up to `until` as a live source would be run (every reply shown, every frame
/// judged), each frame handed to `sink` as the UI gets it. For lockstep links (tests, the
/// lesson recorder) this is a reproducible lesson.
pub fn run_lockstep(
    link: &mut dyn Link,
    stack: &mut Stack,
    until: Duration,
    sink: &mut dyn FnMut(Captured),
) -> std::io::Result<()> {
    run_here(
        link,
        stack,
        Some(until),
        PumpMode::default(),
        &mut |meta, note, data| {
            sink(Captured {
                ts: meta.ts,
                dir: note.dir,
                data: data.to_vec(),
                orig_len: meta.orig_len,
                csum_not_ready: meta.csum_not_ready,
                verdict: note.verdict,
                responders: note.responders,
                source: meta.source,
                link: meta.link,
            })
        },
    )
    .map_err(std::io::Error::other)
}

/// Hand a frame to the UI if there is room (in frames and in bytes); count it as dropped
/// otherwise. Never blocks, unless `room.lossless`.
fn offer(
    h: &SyncSender<Captured>,
    c: Captured,
    room: Room<'_>,
    in_flight: &InFlight,
    dropped: &mut u64,
) {
    let len = c.data.len();
    if in_flight.bytes.load(Ordering::Relaxed) + len > room.max_bytes {
        if !room.lossless {
            *dropped += 1;
            return;
        }
        // A file waits for the reader to take some bytes out.
        while in_flight.bytes.load(Ordering::Relaxed) > 0
            && in_flight.bytes.load(Ordering::Relaxed) + len > room.max_bytes
        {
            if room.stop.load(Ordering::Relaxed) {
                *dropped += 1;
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    // Count first so the receiver can never decrement below zero.
    in_flight.add(len);
    let sent = if room.lossless {
        // The handle drops the receiver before joining, so this cannot outlive the UI.
        h.send(c).is_ok()
    } else {
        !matches!(
            h.try_send(c),
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_))
        )
    };
    if !sent {
        in_flight.sub(len);
        *dropped += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::{LinkInfo, Unsupported, WakeReceiver};

    /// A link that never has frames and waits like a ring does: up to the timeout, or until
    /// its waker rings.
    struct Quiet {
        wake: Option<WakeReceiver>,
    }

    impl Link for Quiet {
        fn recv_batch(
            &mut self,
            timeout: Duration,
            _: &mut dyn FnMut(&[u8], RxMeta),
        ) -> std::io::Result<Received> {
            match &self.wake {
                Some(w) => {
                    let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
                    if crate::sys::poll(w.fd(), libc::POLLIN, ms)? != 0 {
                        w.drain();
                    }
                }
                None => std::thread::sleep(timeout),
            }
            Ok(Received::Frames(0))
        }
        fn send(&mut self, _: &[u8]) -> std::io::Result<()> {
            Ok(())
        }
        fn now(&self) -> Duration {
            crate::link::monotonic_clock()
        }
        fn info(&self) -> LinkInfo {
            LinkInfo::default()
        }
        fn control(&mut self, _: LinkControl) -> Result<(), Unsupported> {
            Err(Unsupported::RealTime)
        }
        fn waker(&mut self) -> Option<Waker> {
            let (w, rx) = WakeReceiver::pair().ok()?;
            self.wake = Some(rx);
            Some(w)
        }
    }

    fn quiet(poll_timeout: Duration) -> CaptureHandle {
        spawn(
            Box::new(Quiet { wake: None }),
            Stack::new(StackConfig::default()),
            CaptureOptions {
                handoff_capacity: None,
                poll_timeout,
                status_interval: Duration::from_millis(20),
                idle_status_interval: Some(Duration::from_secs(30)),
                ..CaptureOptions::default()
            },
        )
    }

    /// Idle, nothing is republished (headless's reader is not woken, nothing is cloned); a
    /// control still reaches the stack and the status at once, though the thread's wait is 30 s
    /// long, because the handle wakes the link; and a stop is as quick.
    #[test]
    fn an_idle_thread_publishes_nothing_yet_controls_and_stop_are_prompt() {
        let h = quiet(Duration::from_secs(30));
        let mut seen = 0;
        let first = h.wait_status(&mut seen, Duration::from_secs(5));
        assert!(first.is_some_and(|s| s.arp_responder), "the first snapshot");
        assert!(
            h.wait_status(&mut seen, Duration::from_millis(300))
                .is_none(),
            "nothing changed: no snapshot"
        );
        let t0 = Instant::now();
        h.control(Control::ArpResponder(false));
        let st = h.wait_status(&mut seen, Duration::from_secs(5)).unwrap();
        assert!(!st.arp_responder && st.controls_applied == 1);
        assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
        let t0 = Instant::now();
        assert!(h.stop().finished);
        assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
    }

    #[test]
    fn a_wake_is_taken_once_and_many_do_not_block() {
        let (w, rx) = WakeReceiver::pair().unwrap();
        assert_eq!(crate::sys::poll(rx.fd(), libc::POLLIN, 0).unwrap(), 0);
        for _ in 0..100_000 {
            w.clone().wake(); // beyond the socket's buffer: still returns
        }
        assert_ne!(crate::sys::poll(rx.fd(), libc::POLLIN, 0).unwrap(), 0);
        rx.drain();
        assert_eq!(crate::sys::poll(rx.fd(), libc::POLLIN, 0).unwrap(), 0);
    }
}
