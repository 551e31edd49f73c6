//! The ring panel (`v`): the link's receive ring as it is now, one cell per slot (or block)
//! coloured by who owns it, with the cursors under it by their real names (netmap's head / cur /
//! tail; the TPACKET slot ringside reads next) and one caption saying how this ring hands frames
//! over. In the demo it draws the simulated NIC's ring, so `space` and `.` show one slot at a time.
use super::chrome::pane_block;
use super::text::{clean, fit};
use crate::link::ring_view::{Owner, RingKind, RingView};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// The glyph and colour of a cell: different glyphs, so it reads without colour too.
fn cell(o: Owner) -> (char, Style) {
    match o {
        Owner::User => (
            '█',
            Style::default()
                .fg(Color::LightGreen)
                .add_modifier(Modifier::BOLD),
        ),
        Owner::Returned => ('▒', Style::default().fg(Color::Yellow)),
        Owner::Kernel => ('·', Style::default().fg(Color::Gray)),
    }
}

/// One line per backend, each checked against the source it names (netmap.h and
/// netmap_user.h for netmap; net/packet/af_packet.c for TPACKET).
pub fn caption(kind: RingKind) -> &'static str {
    match kind {
        RingKind::Simulated => {
            "Like netmap: poll() moves tail over new frames; nm_nextpkt() takes the slot at cur \
             and moves cur and head: no system call, no copy, no waiting."
        }
        RingKind::NetmapRx => {
            "netmap: the NIC writes frames by DMA into slot buffers (no CPU copy); poll() moves \
             tail over new frames and takes back the slots head moved past."
        }
        RingKind::TpacketV2 => {
            "TPACKET_V2: the kernel copies each frame into a slot and sets TP_STATUS_USER; \
             ringside reads it in place, then writes TP_STATUS_KERNEL to hand it back."
        }
        RingKind::TpacketV3 => {
            "TPACKET_V3: the kernel copies frames into a block and hands the block over when \
             full or at its retire timeout; ringside writes TP_STATUS_KERNEL back."
        }
        RingKind::XdpRx => {
            "AF_XDP: the kernel writes each frame into a UMEM chunk ringside lent it on the FILL \
             ring and posts it here (prod); ringside reads it in place, moves cons on and lends \
             the chunk again. FILL has room for the whole UMEM: the kernel frees a FILL entry \
             only after it posts the frame on RX, so a FILL no larger than RX could be full \
             when a chunk must go back."
        }
    }
}

/// The one line shown where frames do not come through a ring: a capture file (`replay`), or a
/// link described as `link_desc`.
pub fn no_ring(replay: bool, link_desc: &str) -> String {
    if replay {
        return "No ring: a capture file is read, not lent slot by slot from a ring.".into();
    }
    let desc = link_desc.to_ascii_lowercase();
    if desc.starts_with("tap") {
        "No ring: a TAP device hands over one frame per read().".into()
    } else {
        "No ring on this link.".into()
    }
}

/// Wrap `s` into lines of at most `w` cells, at spaces.
fn wrap(s: &str, w: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    for word in s.split_whitespace() {
        let n = line.chars().count();
        if n > 0 && n + 1 + word.chars().count() > w {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push(line);
    }
    out.into_iter().map(|l| fit(&l, w)).collect()
}

/// The panel's lines for `v`, `width` cells wide.
pub fn ring_lines(v: &RingView, width: usize) -> Vec<Line<'static>> {
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let dim = Style::default().fg(Color::Gray);
    let mut out = Vec::new();
    let mut title = format!(
        "{}: {} {} x {} B",
        v.kind.name(),
        v.total,
        v.kind.unit(),
        v.slot_bytes
    );
    if v.rings > 1 {
        title.push_str(&format!(" · ring {} of {}", v.ring_index, v.rings));
    }
    out.push(Line::styled(fit(&title, width), bold));

    // The cells, `per_row` to a line after a gutter with the first slot's index.
    let digits = v.total.saturating_sub(1).max(1).to_string().len();
    let gutter = if width >= digits + 9 { digits + 1 } else { 0 };
    let per_row = width.saturating_sub(gutter).max(1);
    for (row, chunk) in v.cells.chunks(per_row).enumerate() {
        let start = row * per_row;
        let mut spans = Vec::new();
        if gutter > 0 {
            spans.push(Span::styled(
                format!("{:>digits$} ", v.index_of(start)),
                dim,
            ));
        }
        spans.extend(chunk.iter().map(|&o| {
            let (c, st) = cell(o);
            Span::styled(c.to_string(), st)
        }));
        out.push(Line::from(spans));
        // Markers under the cells: the cursor's initial, `^` where several meet.
        let mut marks = vec![' '; chunk.len()];
        for c in &v.cursors {
            if let Some(k) = v
                .cell_of(c.at)
                .filter(|k| (start..start + chunk.len()).contains(k))
            {
                let m = &mut marks[k - start];
                *m = if *m == ' ' {
                    c.name.chars().next().unwrap_or('^')
                } else {
                    '^'
                };
            }
        }
        if marks.iter().any(|&m| m != ' ') {
            let s: String = marks.into_iter().collect();
            out.push(Line::styled(
                format!("{}{}", " ".repeat(gutter), s.trim_end()),
                Style::default()
                    .fg(Color::LightCyan)
                    .add_modifier(Modifier::BOLD),
            ));
        }
    }
    if (v.cells.len() as u32) < v.total && !v.cells.is_empty() {
        out.push(Line::styled(
            fit(
                &format!(
                    "({} {}-{} of {})",
                    v.kind.unit(),
                    v.first,
                    v.index_of(v.cells.len() - 1),
                    v.total
                ),
                width,
            ),
            dim,
        ));
    }
    let cursors: Vec<String> = v
        .cursors
        .iter()
        .map(|c| format!("{} {}", c.name, c.at))
        .collect();
    out.push(Line::raw(format!(
        "{}  ({} ringside's)",
        cursors.join("  "),
        v.user
    )));
    if let Some((lent, size)) = v.fill {
        out.extend(
            wrap(
                // One short line: at 80x24 the panel has no room for more (the caption says why
                // FILL is twice the RX ring, where it fits).
                &format!("FILL ring: {lent} of {size} entries lent to the kernel"),
                width,
            )
            .into_iter()
            .map(Line::raw),
        );
    }
    let mut legend = vec![
        Span::styled("█", cell(Owner::User).1),
        Span::raw(" ringside's "),
    ];
    if v.kind == RingKind::Simulated || v.cells.contains(&Owner::Returned) {
        legend.push(Span::styled("▒", cell(Owner::Returned).1));
        legend.push(Span::raw(" handed back "));
    }
    legend.push(Span::styled("·", cell(Owner::Kernel).1));
    legend.push(Span::raw(" kernel's"));
    out.push(Line::from(legend));
    // What just happened (the simulated ring knows), before the caption: stepping with `.`
    // is about this line.
    if let Some(s) = v.last_sync {
        let story = format!(
            "last poll(): {} back to the kernel, {} new for ringside; then nm_nextpkt() took {}",
            s.reclaimed, s.published, s.taken
        );
        out.extend(wrap(&story, width).into_iter().map(Line::raw));
    }
    for l in wrap(caption(v.kind), width) {
        out.push(Line::styled(l, dim));
    }
    for c in &v.cursors {
        out.push(Line::raw(fit(&format!("{}: {}", c.name, c.meaning), width)));
    }
    out.into_iter().map(|l| clip(l, width)).collect()
}

/// `line` cut to `w` cells (spans kept with their styles).
fn clip(line: Line<'static>, w: usize) -> Line<'static> {
    let mut left = w;
    let spans = line
        .spans
        .into_iter()
        .filter_map(|s| {
            let n = s.content.chars().count();
            if left == 0 {
                return None;
            }
            if n <= left {
                left -= n;
                return Some(s);
            }
            let cut: String = s.content.chars().take(left).collect();
            left = 0;
            Some(Span::styled(cut, s.style))
        })
        .collect::<Vec<_>>();
    Line::from(spans).style(line.style)
}

/// The ring panel: a [`Widget`] over the link's ring as the capture thread last reported it.
pub struct RingPanel<'a> {
    /// The ring now, or `None` where frames do not come through one.
    pub ring: Option<&'a RingView>,
    /// Frames come from a capture file.
    pub replay: bool,
    /// The link's description (names a TAP device).
    pub link_desc: &'a str,
}

impl Widget for RingPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let block = pane_block(" Ring ", false);
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.width == 0 || inner.height == 0 {
            return;
        }
        let width = inner.width as usize;
        let lines = match self.ring {
            Some(v) => ring_lines(v, width),
            None => wrap(&clean(&no_ring(self.replay, self.link_desc)), width)
                .into_iter()
                .map(Line::raw)
                .collect(),
        };
        Paragraph::new(lines).render(inner, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::ring_view::{Cursor, LastSync};

    fn text(lines: &[Line]) -> String {
        lines
            .iter()
            .map(|l| {
                l.spans
                    .iter()
                    .map(|s| s.content.as_ref())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn cells_markers_and_a_caption_at_any_width() {
        let v = RingView {
            kind: RingKind::Simulated,
            total: 16,
            slot_bytes: 2048,
            first: 0,
            cells: (0..16)
                .map(|i| match i {
                    5 => Owner::Returned,
                    6 | 7 => Owner::User,
                    _ => Owner::Kernel,
                })
                .collect(),
            user: 2,
            cursors: vec![
                Cursor {
                    name: "head",
                    at: 6,
                    meaning: "m",
                },
                Cursor {
                    name: "cur",
                    at: 6,
                    meaning: "m",
                },
                Cursor {
                    name: "tail",
                    at: 8,
                    meaning: "m",
                },
            ],
            rings: 1,
            ring_index: 0,
            last_sync: Some(LastSync {
                reclaimed: 1,
                published: 2,
                taken: 1,
            }),
            fill: None,
        };
        let s = text(&ring_lines(&v, 38));
        assert!(s.contains("simulated netmap: 16 slots x 2048 B"), "{s}");
        let rows: Vec<&str> = s.lines().collect();
        assert_eq!(rows[1], " 0 ·····▒██········", "{s}");
        assert_eq!(
            rows[2], "         ^ t",
            "head and cur meet at 6, tail at 8:\n{s}"
        );
        assert!(s.contains("head 6  cur 6  tail 8  (2 ringside's)"), "{s}");
        assert!(s.contains("last poll(): 1 back to the kernel"), "{s}");
        for w in 0..60 {
            for l in ring_lines(&v, w) {
                let n: usize = l.spans.iter().map(|s| s.content.chars().count()).sum();
                assert!(n <= w, "width {w}: {n} cells");
            }
        }
    }

    /// AF_XDP's FILL line says how many chunks the kernel holds in at most two lines of the
    /// 80x24 panel; the caption says why the ring is larger than RX.
    #[test]
    fn the_fill_line_is_short_and_the_caption_says_why_fill_holds_the_whole_umem() {
        let v = RingView {
            kind: RingKind::XdpRx,
            total: 2048,
            slot_bytes: 2048,
            first: 0,
            cells: vec![Owner::Kernel; 64],
            user: 0,
            cursors: vec![],
            rings: 1,
            ring_index: 0,
            last_sync: None,
            fill: Some((2048, 4096)),
        };
        let s = text(&ring_lines(&v, 38)).replace('\n', " ");
        assert!(
            s.contains("FILL ring: 2048 of 4096 entries lent to the kernel"),
            "{s}"
        );
        // Two lines at the 80x24 panel's 38 cells, so the cursors' legend still fits below.
        let fill_rows = text(&ring_lines(&v, 38))
            .lines()
            .skip_while(|l| !l.starts_with("FILL"))
            .take_while(|l| !l.starts_with('█'))
            .count();
        assert!(fill_rows <= 2, "{s}");
        assert!(
            caption(RingKind::XdpRx).contains("only after it posts the frame on RX"),
            "the caption says why FILL holds the whole UMEM"
        );
        for l in ring_lines(&v, 38) {
            let n: usize = l.spans.iter().map(|s| s.content.chars().count()).sum();
            assert!(n <= 38, "{n} cells");
        }
    }

    /// A default TPACKET_V2 ring at 38 cells (the 80x24 panel): two rows of 32 slots after a
    /// 5-digit gutter, the cursors' initials under them, which slots the window holds.
    #[test]
    fn a_large_tpacket_ring_in_a_small_panel() {
        let mut cells = vec![Owner::Kernel; 64];
        cells[8] = Owner::User;
        let v = RingView {
            kind: RingKind::TpacketV2,
            total: 41_984,
            slot_bytes: 1584,
            first: 992,
            cells,
            user: 1,
            cursors: vec![
                Cursor {
                    name: "next",
                    at: 1000,
                    meaning: "ringside reads here next",
                },
                Cursor {
                    name: "kernel",
                    at: 1001,
                    meaning: "the kernel copies the next frame here",
                },
            ],
            rings: 1,
            ring_index: 0,
            last_sync: None,
            fill: None,
        };
        let s = text(&ring_lines(&v, 38));
        let rows: Vec<&str> = s.lines().collect();
        assert_eq!(rows[0], "TPACKET_V2: 41984 frame slots x 1584 B");
        assert_eq!(
            rows[1],
            format!("  992 {}█{}", "·".repeat(8), "·".repeat(23))
        );
        assert_eq!(rows[2], format!("{}nk", " ".repeat(14)));
        assert_eq!(rows[3], format!(" 1024 {}", "·".repeat(32)));
        assert_eq!(rows[4], "(frame slots 992-1055 of 41984)");
        assert_eq!(rows[5], "next 1000  kernel 1001  (1 ringside's)");
        assert!(!s.contains("handed back"), "no such state in TPACKET: {s}");
        assert!(s.replace('\n', " ").contains("sets TP_STATUS_USER"), "{s}");
    }
}
