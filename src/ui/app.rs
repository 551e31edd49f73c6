//! The UI state: history, selection, panes, filter, what the capture thread last reported. No
//! terminal here: [`App::ingest`], [`App::set_status`] and [`App::handle`] change it,
//! [`super::draw`] renders it, so tests drive it without a terminal or a clock.
use super::filter::{Filter, FrameFacts};
use super::hexview::HexState;
use super::history::{FrameRef, History};
use super::layers::LayersState;
use super::list::PacketListState;
use crate::capture::{Captured, Control, Status};
use crate::link::LinkControl;
use crate::wire::{Dissection, Summary};
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// Between the file names of a merged replay in [`Mode::Replay`]'s `file`.
pub const SOURCE_SEP: &str = " + ";

/// What the screen is showing, for the title bar and which panels make sense.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    Demo,
    Live { interface: String },
    Replay { file: String },
}

/// Which keys mean what: a prompt open takes every key as text, the help overlay waits for its
/// own close keys, else the keys act on the panes and the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyMode {
    /// Typing a filter (`/`).
    Filter,
    /// Typing a frame number (`:` or Ctrl-G).
    GoTo,
    /// The `?` overlay.
    Help,
    Normal,
}

/// The pane keyboard focus is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    List,
    Layers,
    Hex,
}

/// What the right-hand detail panel shows when the screen is too small for all of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SideView {
    Hex,
    Struct,
    Arp,
    /// The link's receive ring (who owns each slot).
    Ring,
}

/// Something the user asked for, from a key or the mouse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Quit,
    /// Ctrl-C: quit from anywhere (help, prompt).
    Interrupt,
    Up,
    Down,
    PageUp,
    PageDown,
    First,
    Last,
    NextFrame,
    PrevFrame,
    TogglePause,
    /// Demo: let one event of simulated time happen, then stop (freezes time first).
    Step,
    NextPane,
    PrevPane,
    StartFilter,
    /// `:` or Ctrl-G: type a frame number to jump to.
    StartGoto,
    Escape,
    ToggleArp,
    ToggleIcmp,
    Faster,
    Slower,
    WritePcap,
    /// Replay: switch between the recorded verdicts and judging the frames again.
    Rejudge,
    ToggleHelp,
    CycleSide,
    /// Typing into the filter prompt.
    Char(char),
    Backspace,
    Submit,
    /// Mouse: left click / wheel at a screen cell.
    Click(u16, u16),
    ScrollUp(u16, u16),
    ScrollDown(u16, u16),
}

/// See [`App::background`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Background {
    span: (u64, u64),
    /// Bytes indexed, and whether the index is complete.
    index: Option<(u64, bool)>,
    filter_checked: Option<(u64, u64)>,
}

/// A line for the status bar: what just happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub text: String,
    pub error: bool,
}

/// The states of the panes that keep one between draws: scroll positions, and where each was
/// drawn last (for the mouse).
#[derive(Clone, Debug, Default)]
pub struct Panes {
    pub list: PacketListState,
    pub layers: LayersState,
    pub hex: HexState,
}

impl Panes {
    /// Before a draw: a pane not drawn again cannot be clicked or scrolled by the mouse.
    pub fn forget_areas(&mut self) {
        self.list.area = Default::default();
        self.list.rows_area = Default::default();
        self.layers.area = Default::default();
        self.layers.fields.clear();
        self.hex.area = Default::default();
    }
}

/// What the layers pane's height was measured for: the selected frame, the pane's width, and
/// the lines kept for the selected field's meaning (focused pane).
pub type NeedKey = (Option<u64>, u16, u16);

/// Cached packet-list columns of one frame.
#[derive(Clone, Debug)]
pub struct Row {
    pub summary: Summary,
}

const ROW_CACHE_MAX: usize = 4096;
/// Packets-per-second history kept (seconds of the link's clock).
const PPS_KEEP: usize = 120;

pub struct App {
    pub mode: Mode,
    /// A lesson's caption, drawn under the title.
    pub caption: Option<String>,
    pub history: History,
    pub status: Status,
    pub focus: Pane,
    /// Selected frame number.
    pub selected: Option<u64>,
    /// Follow the newest frame (the live tail).
    pub follow: bool,
    /// Paused: the list shows frames up to this number only (capture goes on).
    pub frozen: Option<u64>,
    /// Selected field (index into the selected frame's dissection), and its key to keep it
    /// selected when stepping to another frame.
    pub field: usize,
    field_key: Option<&'static str>,
    pub filter: Option<Filter>,
    /// Frame numbers matching the filter, oldest first.
    matches: VecDeque<u64>,
    /// With a file behind the history: the next frame the filter has to check (the filter runs
    /// over the file in steps, [`App::filter_step`], never in one go).
    filter_cursor: u64,
    /// The prompt's text while typing (a filter, or a frame number for go-to).
    pub input: Option<String>,
    /// Which prompt `input` belongs to.
    pub goto: bool,
    pub message: Option<Message>,
    pub show_help: bool,
    pub side: SideView,
    /// The last frame was drawn in the wide layout (hex always shown, `v` picks the panel
    /// under it).
    pub wide: bool,
    /// (layers pane width, lines it needed): the tallest frame selected at that width.
    pub layers_need: (u16, u16),
    /// (what was measured, lines its diagram needs): measured once per selection.
    pub need_cache: Option<(NeedKey, u16)>,
    /// The panes' own states (scroll, where they were drawn).
    pub panes: Panes,
    /// Scroll requested by the mouse wheel in the layers/hex panes (kept until selection moves).
    pub(crate) scroll_pinned: bool,
    rows: HashMap<u64, Row>,
    /// Request/response pairs (ICMP echo, ARP) found so far.
    pub links: super::links::Links,
    /// Inputs seen (more than 1: a merged replay, and the list tags each frame's file).
    pub sources: u32,
    scratch: Dissection,
    sel: Dissection,
    sel_no: Option<u64>,
    /// (second of the link clock, frames) for the sparkline.
    pps: VecDeque<(u64, u64)>,
    /// Controls for the capture thread, taken by the run loop.
    pub controls: Vec<Control>,
    /// Controls queued since the start (compared with `Status::controls_applied`).
    controls_sent: u64,
    /// Set by `w`; the run loop writes the file and reports back.
    pub write_requested: bool,
    /// Set by `J` in a replay; the run loop reads the file again (see [`App::restart`]).
    pub rejudge_requested: bool,
    /// Added to every timestamp written by `w`. The demo's simulated clock starts at 0, which a
    /// pcap would date 1 January 1970, so for the demo this is the wall-clock time (since the
    /// Unix epoch) it started: its pcaps carry real dates, frames as far apart as on screen.
    /// Zero for live and replay, whose timestamps are real dates already. The screen's `t=`
    /// stays the simulated clock.
    pub pcap_epoch: Duration,
    pub quit: bool,
}

impl App {
    pub fn new(mode: Mode, history_bytes: usize) -> Self {
        // A capture file opens at its first frame (like Wireshark); live sources follow the tail.
        let follow = !matches!(mode, Mode::Replay { .. });
        let pcap_epoch = match mode {
            Mode::Demo => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default(),
            _ => Duration::ZERO,
        };
        App {
            mode,
            caption: None,
            history: History::new(history_bytes),
            status: Status::default(),
            focus: Pane::List,
            selected: None,
            follow,
            frozen: None,
            field: 0,
            field_key: None,
            filter: None,
            matches: VecDeque::new(),
            filter_cursor: 1,
            input: None,
            goto: false,
            message: None,
            show_help: false,
            side: SideView::Hex,
            wide: false,
            layers_need: (0, 0),
            need_cache: None,
            panes: Panes::default(),
            scroll_pinned: false,
            rows: HashMap::new(),
            links: Default::default(),
            sources: 1,
            scratch: Dissection::default(),
            sel: Dissection::default(),
            sel_no: None,
            pps: VecDeque::new(),
            controls: Vec::new(),
            controls_sent: 0,
            write_requested: false,
            rejudge_requested: false,
            pcap_epoch,
            quit: false,
        }
    }

    /// Take one frame from the capture thread.
    pub fn ingest(&mut self, c: &Captured) {
        let no = self.history.push(c);
        self.sources = self.sources.max(u32::from(c.source) + 1);
        self.links.add(no, c.ts, c.source, &c.data);
        self.count_pps(c.ts.as_secs());
        let file_backed = self.history.file().is_some();
        // With a file behind, the filter checks frames in its own steps (filter_step).
        if let Some(f) = self.filter.as_ref().filter(|_| !file_backed) {
            self.scratch.parse_link(&c.data, c.link, c.csum_not_ready);
            let facts = FrameFacts {
                dir: c.dir,
                verdict: c.verdict,
            };
            if f.matches(&self.scratch, facts) {
                self.matches.push_back(no);
            }
        }
        let first = self.history.span().0;
        while self.matches.front().is_some_and(|&n| n < first) {
            self.matches.pop_front();
        }
        if self.rows.len() > ROW_CACHE_MAX {
            self.rows.clear();
        }
        if self.selected.is_some_and(|s| s < first) {
            self.selected = self.view_no(0);
        }
        if self.follow && self.frozen.is_none() {
            self.selected = self.view_len().checked_sub(1).and_then(|i| self.view_no(i));
        } else if self.selected.is_none() {
            self.selected = self.view_no(0);
        }
    }

    /// Start over with an empty history, for a capture read again from its start (`J`): frame
    /// numbers restart at 1; the filter, panes and side view stay.
    pub fn restart(&mut self) {
        let mut fresh = History::new(self.history.budget());
        if let Some(fb) = self.history.file() {
            fresh = fresh.with_file(fb.index().clone());
        }
        self.history = fresh;
        self.rows.clear();
        self.matches.clear();
        self.filter_cursor = 1;
        self.pps.clear();
        self.selected = None;
        self.sel_no = None;
        self.frozen = None;
        self.panes.list.top = 0;
        self.field = 0;
        self.status = Status::default();
        self.controls_sent = 0;
    }

    /// Count one frame in second `sec` of the link clock. The series stays sorted by second
    /// whatever order frames come in: a capture merged from two files, or a clock stepped back,
    /// has timestamps that go backwards. A frame up to [`PPS_KEEP`] seconds in the past is
    /// counted in its own second; a step back further than that starts the series afresh (the
    /// clock was reset: what came before says nothing about the new rate).
    fn count_pps(&mut self, sec: u64) {
        let newest = self.pps.back().map(|&(s, _)| s);
        match newest {
            Some(s) if s == sec => {
                if let Some((_, n)) = self.pps.back_mut() {
                    *n += 1;
                }
            }
            Some(s) if sec < s && s - sec < PPS_KEEP as u64 => {
                match self.pps.binary_search_by_key(&sec, |&(s, _)| s) {
                    Ok(i) => self.pps[i].1 += 1,
                    Err(i) => self.pps.insert(i, (sec, 1)),
                }
            }
            Some(s) if sec < s => {
                self.pps.clear();
                self.pps.push_back((sec, 1));
            }
            _ => self.pps.push_back((sec, 1)),
        }
        while self.pps.len() > PPS_KEEP {
            self.pps.pop_front();
        }
    }

    /// Take the capture thread's snapshot. While controls this UI sent are not applied yet, the
    /// snapshot predates them: keep the values they changed, or quick presses (`a a`, `+ + +`)
    /// would act on stale state.
    pub fn set_status(&mut self, mut s: Status) {
        if s.controls_applied < self.controls_sent {
            s.arp_responder = self.status.arp_responder;
            s.icmp_responder = self.status.icmp_responder;
            if let (Some(p), Some(old)) = (s.peer.as_mut(), self.status.peer.as_ref()) {
                p.speed = old.speed;
                p.frozen = old.frozen;
            }
        }
        self.status = s;
    }

    /// Queue a control for the capture thread (the run loop sends them).
    pub(super) fn send(&mut self, c: Control) {
        self.controls.push(c);
        self.controls_sent += 1;
    }

    /// Frames in the list (after the filter; up to the pause point).
    pub fn view_len(&self) -> usize {
        let (first, count) = self.history.span();
        let all = match &self.filter {
            Some(_) => self.matches.len(),
            None => count as usize,
        };
        match self.frozen {
            None => all,
            Some(last) => match &self.filter {
                Some(_) => self.matches.partition_point(|&n| n <= last),
                None => (last + 1).saturating_sub(first).min(all as u64) as usize,
            },
        }
    }

    /// Frame number of list row `i`.
    pub fn view_no(&self, i: usize) -> Option<u64> {
        if i >= self.view_len() {
            return None;
        }
        match &self.filter {
            Some(_) => self.matches.get(i).copied(),
            None => Some(self.history.span().0 + i as u64),
        }
    }

    /// List row of frame `no`, or where it would be.
    pub fn view_pos(&self, no: u64) -> Result<usize, usize> {
        match &self.filter {
            Some(_) => self.matches.binary_search(&no),
            None => {
                let first = self.history.span().0;
                if no < first {
                    Err(0)
                } else if ((no - first) as usize) < self.view_len() {
                    Ok((no - first) as usize)
                } else {
                    Err(self.view_len())
                }
            }
        }
    }

    pub fn selected_pos(&self) -> Option<usize> {
        let no = self.selected?;
        Some(match self.view_pos(no) {
            Ok(i) => i,
            Err(i) => i.min(self.view_len().saturating_sub(1)),
        })
    }

    /// The packet-list columns of frame `no` (dissected once, then cached).
    pub fn row(&mut self, no: u64) -> Option<Row> {
        if let Some(r) = self.rows.get(&no) {
            return Some(r.clone());
        }
        self.prefetch(&[no]);
        let f = self.history.get(no)?;
        self.scratch
            .parse_link(f.data, f.entry.link, f.entry.csum_not_ready);
        let r = Row {
            summary: self.scratch.summary(),
        };
        self.rows.insert(no, r.clone());
        Some(r)
    }

    pub fn frame(&self, no: u64) -> Option<FrameRef<'_>> {
        self.history.get(no)
    }

    /// Make frames `nos` (sorted) available to [`Self::frame`]: with a file behind the history,
    /// those not held are read from it. A read error is said on the status line.
    pub fn prefetch(&mut self, nos: &[u64]) {
        if let Some(e) = self.history.prefetch(nos) {
            self.say(format!("reading the capture: {e}"), true);
        }
    }

    /// With a file behind the history and a filter set: check frames against the filter for
    /// up to `budget` (the run loop calls this each tick, so typing never waits for a scan of
    /// the file). Only frames the judge pass has reached are checked (a filter may ask about
    /// verdicts). Returns true while frames are left to check.
    pub fn filter_step(&mut self, budget: Duration) -> bool {
        let App {
            history,
            filter,
            matches,
            filter_cursor,
            scratch,
            ..
        } = self;
        let (Some(fb), Some(f)) = (history.file(), filter.as_ref()) else {
            return false;
        };
        let judged = fb.judged_frames();
        let start = std::time::Instant::now();
        // Small steps: the budget is checked between them.
        const STEP: u64 = 256;
        while *filter_cursor <= judged && start.elapsed() < budget {
            let from = *filter_cursor;
            let to = (from + STEP - 1).min(judged);
            let held_from = history.first_no();
            if from >= held_from {
                for no in from..=to {
                    let Some(fr) = history.get(no) else { break };
                    scratch.parse_link(fr.data, fr.entry.link, fr.entry.csum_not_ready);
                    let facts = FrameFacts {
                        dir: fr.entry.dir,
                        verdict: fr.entry.verdict,
                    };
                    if f.matches(scratch, facts) {
                        matches.push_back(no);
                    }
                }
                *filter_cursor = to + 1;
            } else {
                // Evicted frames: read again from the file, with the verdicts logged for them.
                let to = to.min(held_from - 1);
                let count = (to - from + 1) as usize;
                let read = fb.index().read(from, count, &mut |no, fr| {
                    scratch.parse_link(fr.data, fr.link, false);
                    let (dir, verdict) = fb
                        .verdict(no)
                        .unwrap_or((crate::capture::Direction::In, None));
                    if f.matches(scratch, FrameFacts { dir, verdict }) {
                        matches.push_back(no);
                    }
                });
                match read {
                    Ok(n) if n > 0 => *filter_cursor = from + n as u64,
                    // The file changed or cannot be read: the filter stops where it is.
                    _ => return false,
                }
            }
        }
        *filter_cursor <= judged || !fb.index().done() || judged < history.span().1
    }

    /// What the screen shows that other threads than the capture's move on, with no frame or
    /// snapshot to say so: a file's index growing (the title's "indexing N%", the list's
    /// length) and the filter's "checked N of M". The run loop redraws when it changes.
    pub fn background(&self) -> Background {
        let index = self.history.file().map(|fb| {
            let ix = fb.index();
            (ix.progress().0, ix.done())
        });
        Background {
            span: self.history.span(),
            index,
            filter_checked: self.filter_checked(),
        }
    }

    /// With a file behind the history and a filter: frames checked so far, of all.
    pub fn filter_checked(&self) -> Option<(u64, u64)> {
        self.history.file()?;
        self.filter.as_ref()?;
        Some((self.filter_cursor - 1, self.history.span().1))
    }

    /// The selected frame's dissection (re-parsed when the selection changes).
    pub fn selection(&mut self) -> Option<(u64, &Dissection)> {
        let no = self.selected?;
        self.prefetch(&[no]);
        if self.sel_no != Some(no) {
            let f = self.history.get(no)?;
            self.sel
                .parse_link(f.data, f.entry.link, f.entry.csum_not_ready);
            self.sel_no = Some(no);
            // Keep the same field selected across frames when it exists there.
            self.field = self
                .field_key
                .and_then(|k| self.sel.fields.iter().position(|f| f.key == k))
                .unwrap_or(0);
        }
        self.history.get(no)?;
        Some((no, &self.sel))
    }

    /// The selected frame and its dissection together.
    pub fn selection_with_frame(&mut self) -> Option<(FrameRef<'_>, &Dissection)> {
        let (no, _) = self.selection()?;
        let f = self.history.get(no)?;
        Some((f, &self.sel))
    }

    /// The selected frame and its dissection beside the panes' states, borrowed apart: a pane
    /// is drawn from the one into the other.
    pub fn selection_and_panes(&mut self) -> (Option<(FrameRef<'_>, &Dissection)>, &mut Panes) {
        let selection = self
            .selection()
            .map(|(no, _)| no)
            .and_then(|no| self.history.get(no))
            .map(|f| (f, &self.sel));
        (selection, &mut self.panes)
    }

    /// Packets per second over the last `n` seconds of the link clock, oldest first.
    /// (The series is sorted by second, see `count_pps`; the bounds are checked anyway.)
    pub fn pps_series(&self, n: usize) -> Vec<u64> {
        let Some(&(last, _)) = self.pps.back() else {
            return Vec::new();
        };
        if n == 0 {
            return Vec::new();
        }
        let from = last.saturating_sub(n as u64 - 1);
        let mut out = vec![0; (last - from + 1) as usize];
        for &(s, c) in &self.pps {
            if (from..=last).contains(&s) {
                out[(s - from) as usize] += c;
            }
        }
        out
    }

    pub(super) fn select_pos(&mut self, i: usize) {
        if let Some(no) = self.view_no(i) {
            self.selected = Some(no);
            self.scroll_pinned = false;
        }
    }

    fn move_selection(&mut self, delta: i64) {
        let len = self.view_len();
        if len == 0 {
            return;
        }
        self.follow = false;
        let cur = self.selected_pos().unwrap_or(len - 1) as i64;
        let to = (cur + delta).clamp(0, len as i64 - 1) as usize;
        self.select_pos(to);
    }

    fn move_field(&mut self, delta: i64) {
        let n = match self.selection() {
            Some((_, d)) => d.fields.len(),
            None => return,
        };
        if n == 0 {
            return;
        }
        self.field = (self.field as i64 + delta).clamp(0, n as i64 - 1) as usize;
        self.field_key = Some(self.sel.fields[self.field].key);
        self.scroll_pinned = false;
    }

    pub fn select_field(&mut self, i: usize) {
        if i < self.sel.fields.len() {
            self.field = i;
            self.field_key = Some(self.sel.fields[i].key);
        }
    }

    /// Apply a filter (recomputes the matching frames once over the whole history).
    pub fn set_filter(&mut self, f: Option<Filter>) {
        self.matches.clear();
        self.filter_cursor = 1;
        let file_backed = self.history.file().is_some();
        if let Some(f) = f.as_ref().filter(|_| !file_backed) {
            for fr in self.history.iter() {
                self.scratch
                    .parse_link(fr.data, fr.entry.link, fr.entry.csum_not_ready);
                let facts = FrameFacts {
                    dir: fr.entry.dir,
                    verdict: fr.entry.verdict,
                };
                if f.matches(&self.scratch, facts) {
                    self.matches.push_back(fr.no);
                }
            }
        }
        self.filter = f;
        // With a file behind: a first step now, the rest in the background of later ticks.
        self.filter_step(Duration::from_millis(10));
        self.panes.list.top = 0;
        // Keep the selection if it is still listed, else the nearest row.
        let len = self.view_len();
        self.selected = match self.selected.map(|s| self.view_pos(s)) {
            Some(Ok(_)) => self.selected,
            Some(Err(i)) => self.view_no(i.min(len.saturating_sub(1))),
            None => None,
        };
        if self.follow && self.frozen.is_none() {
            self.selected = len.checked_sub(1).and_then(|i| self.view_no(i));
        }
    }

    pub(super) fn say(&mut self, text: impl Into<String>, error: bool) {
        self.message = Some(Message {
            text: text.into(),
            error,
        });
    }

    /// The current simulated speed (demo), if the link has one.
    pub fn speed(&self) -> Option<f64> {
        self.status.peer.as_ref().map(|p| p.speed)
    }

    /// What the wide layout shows under the hex view: the ARP caches where there is a peer or
    /// a live link to watch, the C struct for a capture file, unless `v` chose.
    pub fn lower_panel(&self) -> SideView {
        match self.side {
            SideView::Hex if matches!(self.mode, Mode::Replay { .. }) => SideView::Struct,
            SideView::Hex => SideView::Arp,
            v => v,
        }
    }

    /// The short name of merged input `i` (its file name), for the list's tag.
    pub fn source_name(&self, i: u16) -> String {
        let Mode::Replay { file } = &self.mode else {
            return String::new();
        };
        let path = file.split(SOURCE_SEP).nth(usize::from(i)).unwrap_or("?");
        std::path::Path::new(path)
            .file_name()
            .map_or(path.to_string(), |n| n.to_string_lossy().into_owned())
    }

    /// Simulated time is stopped by the teacher (demo only; a real wire cannot be).
    pub fn time_frozen(&self) -> bool {
        self.status.peer.as_ref().is_some_and(|p| p.frozen)
    }

    /// Freeze or restart simulated time (the demo's `space`).
    pub(super) fn set_time_frozen(&mut self, frozen: bool) {
        self.send(Control::Link(LinkControl::Freeze(frozen)));
        if let Some(p) = self.status.peer.as_mut() {
            p.frozen = frozen;
        }
    }

    /// Which keys mean what now.
    pub fn key_mode(&self) -> KeyMode {
        match (&self.input, self.goto) {
            (Some(_), false) => KeyMode::Filter,
            (Some(_), true) => KeyMode::GoTo,
            (None, _) if self.show_help => KeyMode::Help,
            (None, _) => KeyMode::Normal,
        }
    }

    /// Do what `a` means in the current [`KeyMode`]: each mode's keys are handled in the module
    /// of what they drive.
    pub fn handle(&mut self, a: Action) {
        match self.key_mode() {
            KeyMode::Filter => super::prompt::filter_key(self, a),
            KeyMode::GoTo => super::prompt::goto_key(self, a),
            KeyMode::Help => super::help::key(self, a),
            KeyMode::Normal => self.normal_key(a),
        }
    }

    /// A key or mouse action on the panes: the view's keys are here, the source's in
    /// [`super::controls`].
    fn normal_key(&mut self, a: Action) {
        if !matches!(
            a,
            Action::Click(..) | Action::ScrollUp(..) | Action::ScrollDown(..)
        ) {
            self.message = None;
        }
        if super::controls::key(self, a) {
            return;
        }
        match a {
            Action::Quit | Action::Interrupt => self.quit = true,
            Action::ToggleHelp => self.show_help = true,
            Action::StartGoto => super::prompt::open_goto(self),
            Action::StartFilter => super::prompt::open_filter(self),
            Action::Up => self.pane_step(-1),
            Action::Down => self.pane_step(1),
            Action::PageUp => self.move_selection(-(self.panes.list.page.max(1) as i64)),
            Action::PageDown => self.move_selection(self.panes.list.page.max(1) as i64),
            Action::First => {
                self.follow = false;
                self.select_pos(0);
            }
            Action::Last => {
                self.follow = true;
                self.frozen = None;
                let n = self.view_len();
                if n > 0 {
                    self.select_pos(n - 1);
                }
            }
            Action::NextFrame => self.move_selection(1),
            Action::PrevFrame => self.move_selection(-1),
            // Enter in the panes: the next pane, as Tab.
            Action::NextPane | Action::Submit => {
                // Looking into a frame's fields: stop jumping to each new frame.
                self.follow = false;
                self.focus = match self.focus {
                    Pane::List => Pane::Layers,
                    Pane::Layers => Pane::Hex,
                    Pane::Hex => Pane::List,
                }
            }
            Action::PrevPane => {
                self.focus = match self.focus {
                    Pane::List => Pane::Hex,
                    Pane::Layers => Pane::List,
                    Pane::Hex => Pane::Layers,
                }
            }
            Action::Escape => {
                if self.filter.is_some() {
                    self.set_filter(None);
                } else if self.focus != Pane::List {
                    self.focus = Pane::List;
                }
            }
            Action::CycleSide => self.cycle_side(),
            Action::Click(x, y) => self.click(x, y),
            Action::ScrollUp(x, y) => self.wheel(x, y, -3),
            Action::ScrollDown(x, y) => self.wheel(x, y, 3),
            // The source's keys were handled above; text keys mean nothing outside a prompt.
            _ => {}
        }
    }

    /// `v`: one press per view, the one this mode needs first: the ARP caches where there is a
    /// peer to watch (lesson 4), the C struct for a capture file (lesson 2); the ring last
    /// (lesson 10). Wide screens always show the hex view above.
    fn cycle_side(&mut self) {
        use SideView::{Arp, Hex, Ring, Struct};
        let replay = matches!(self.mode, Mode::Replay { .. });
        let order: &[SideView] = match (self.wide, replay) {
            (true, false) => &[Arp, Struct, Ring],
            (true, true) => &[Struct, Arp, Ring],
            (false, false) => &[Hex, Arp, Struct, Ring],
            (false, true) => &[Hex, Struct, Arp, Ring],
        };
        let now = if self.wide {
            self.lower_panel()
        } else {
            self.side
        };
        let at = order.iter().position(|&v| v == now);
        self.side = order[at.map_or(0, |i| (i + 1) % order.len())];
        let name = match self.side {
            Arp => "ARP caches",
            Struct => "C struct (packed vs padded)",
            Hex => "hex view",
            Ring => "the receive ring (who owns each slot)",
        };
        self.say(format!("v: {name}"), false);
    }

    fn pane_step(&mut self, delta: i64) {
        match self.focus {
            Pane::List => self.move_selection(delta),
            Pane::Layers => self.move_field(delta),
            Pane::Hex => {
                self.panes.hex.scroll = (self.panes.hex.scroll as i64 + delta).max(0) as u16;
                self.scroll_pinned = true;
            }
        }
    }

    fn click(&mut self, x: u16, y: u16) {
        let p = ratatui::layout::Position { x, y };
        if let Some(i) = self.panes.list.row_at(p) {
            self.focus = Pane::List;
            if i < self.view_len() {
                self.follow = false;
                self.select_pos(i);
            }
        } else if let Some(fi) = self.panes.layers.field_at(p) {
            self.focus = Pane::Layers;
            self.follow = false;
            self.select_field(fi);
            self.scroll_pinned = false;
        } else if self.panes.layers.area.contains(p) {
            self.focus = Pane::Layers;
        } else if self.panes.hex.area.contains(p) {
            self.focus = Pane::Hex;
        } else if self.panes.list.area.contains(p) {
            self.focus = Pane::List;
        }
    }

    fn wheel(&mut self, x: u16, y: u16, delta: i64) {
        let p = ratatui::layout::Position { x, y };
        if self.panes.layers.area.contains(p) {
            self.panes.layers.scroll = (self.panes.layers.scroll as i64 + delta).max(0) as u16;
            self.scroll_pinned = true;
        } else if self.panes.hex.area.contains(p) {
            self.panes.hex.scroll = (self.panes.hex.scroll as i64 + delta).max(0) as u16;
            self.scroll_pinned = true;
        } else {
            self.move_selection(delta);
        }
    }
}
