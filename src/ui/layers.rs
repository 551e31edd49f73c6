//! The selected frame layer by layer, each header drawn like an RFC header diagram: 32-bit rows,
//! every field as wide as its bits (4-bit Version, 3-bit Flags, 13-bit Fragment Offset), wide
//! fields (48-bit MACs) wrapping onto the next row as in RFC 826/894, variable runs (options,
//! data) as one row. Cells show the field's label and decoded value; bad checksums are flagged.
use super::chrome::pane_block;
use super::fragments::Fragments;
use super::links::Link;
use super::meaning;
use super::text::{ascii, center, clean, fit, layer_color, pad, width};
use crate::wire::{Check, Dissection, Field, LayerKind, Value};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, StatefulWidget, Widget};

/// One cell of a diagram row: bits `b0..b1` of the row (0..=32).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Seg {
    field: Option<usize>,
    b0: u32,
    b1: u32,
    /// Continues the field from the row above.
    cont: bool,
}

/// A rendered diagram: its lines and where each field's cells are.
#[derive(Debug, Default)]
pub struct Diagram {
    pub lines: Vec<Line<'static>>,
    /// One per line: it continues the line above (the rest of a wrapped line, a value under its
    /// label, a flag bit under its field), so it must never be the pane's top line: a student
    /// would see half a sentence with its beginning scrolled away.
    pub cont: Vec<bool>,
    /// (line, x0, x1, field): the cells of each field.
    pub hits: Vec<(usize, u16, u16, usize)>,
}

impl Diagram {
    /// Add a line that starts something (`cont` false) or continues the one above.
    fn push(&mut self, line: Line<'static>, cont: bool) {
        self.lines.push(line);
        self.cont.push(cont);
    }

    /// Put `top` (with its continuation marks) above the diagram.
    fn prepend(&mut self, top: Vec<(Line<'static>, bool)>) {
        let n = top.len();
        let (lines, cont): (Vec<_>, Vec<_>) = top.into_iter().unzip();
        self.lines.splice(0..0, lines);
        self.cont.splice(0..0, cont);
        for h in &mut self.hits {
            h.0 += n;
        }
    }

    /// The nearest line at or above `i` that starts something (0 if none).
    fn start_at_or_above(&self, i: usize) -> usize {
        (0..=i.min(self.cont.len().saturating_sub(1)))
            .rev()
            .find(|&j| !self.cont[j])
            .unwrap_or(0)
    }

    /// The nearest line at or below `i` that starts something.
    fn start_at_or_below(&self, i: usize) -> Option<usize> {
        (i..self.cont.len()).find(|&j| !self.cont[j])
    }

    /// Lines on which field `fi` is drawn (first, last).
    pub fn lines_of(&self, fi: usize) -> Option<(usize, usize)> {
        let mut it = self.hits.iter().filter(|h| h.3 == fi).map(|h| h.0);
        let first = it.next()?;
        Some((first, it.fold(first, |_, l| l)))
    }
}

/// Fields this long (or runs of bytes) are drawn as one row, not bit by bit.
fn collapsed(f: &Field) -> bool {
    matches!(f.value, Value::Bytes(_)) || f.bit_len > 64
}

/// Split a layer's fields into 32-bit rows.
fn rows_of(d: &Dissection, li: usize) -> Vec<Vec<Seg>> {
    let layer = &d.layers[li];
    let base = layer.bytes.start as u32 * 8;
    let mut rows: Vec<Vec<Seg>> = vec![Vec::new()];
    let mut col = 0u32; // where the current row ends so far
    let mut row_abs = 0u32; // which 32-bit row of the layer the current row is
    let mut covered = base;
    for (k, f) in d.layer_fields(layer).iter().enumerate() {
        let fi = layer.fields.start + k;
        if f.bit_start < covered || f.bit_len == 0 {
            continue;
        }
        covered = f.bit_start + f.bit_len;
        let rel = f.bit_start - base;
        if collapsed(f) {
            if !rows.last().is_some_and(|r| r.is_empty()) {
                rows.push(Vec::new());
            }
            rows.last_mut().unwrap().push(Seg {
                field: Some(fi),
                b0: 0,
                b1: 32,
                cont: false,
            });
            rows.push(Vec::new());
            col = 0;
            row_abs = (rel + f.bit_len).div_ceil(32);
            continue;
        }
        let (want_row, want_col) = (rel / 32, rel % 32);
        if want_row > row_abs {
            // Close this row's trailing gap, start the field's row.
            if col > 0 && col < 32 {
                rows.last_mut().unwrap().push(Seg {
                    field: None,
                    b0: col,
                    b1: 32,
                    cont: false,
                });
            }
            if !rows.last().is_some_and(|r| r.is_empty()) {
                rows.push(Vec::new());
            }
            col = 0;
            row_abs = want_row;
        }
        if want_col > col {
            rows.last_mut().unwrap().push(Seg {
                field: None,
                b0: col,
                b1: want_col,
                cont: false,
            });
            col = want_col;
        }
        let mut left = f.bit_len;
        let mut first = true;
        while left > 0 {
            let take = left.min(32 - col);
            rows.last_mut().unwrap().push(Seg {
                field: Some(fi),
                b0: col,
                b1: col + take,
                cont: !first,
            });
            left -= take;
            col += take;
            first = false;
            if col == 32 {
                rows.push(Vec::new());
                col = 0;
                row_abs += 1;
            }
        }
    }
    rows.retain(|r| !r.is_empty());
    rows
}

/// Where a header sits in the layered model, as the course teaches it (RFC 1122's layers).
/// ICMP is part of IP, not a transport (RFC 792: "an integral part of IP"); ARP is a helper
/// of the link layer, carried directly in Ethernet frames.
pub fn layer_role(k: LayerKind) -> &'static str {
    match k {
        LayerKind::Ethernet | LayerKind::Vlan => "link layer",
        // What Linux wrote in place of the link header (`tcpdump -i any`).
        LayerKind::Sll => "link layer (Linux cooked)",
        // IEEE 802.2: the upper half of the data link layer.
        LayerKind::Llc => "link layer (LLC)",
        LayerKind::Arp => "link-layer helper",
        // ICMPv6 is part of IPv6 as ICMP is of IPv4 (RFC 4443).
        LayerKind::Ipv4
        | LayerKind::Icmp
        | LayerKind::IcmpQuote
        | LayerKind::Ipv6
        | LayerKind::Ipv6Ext
        | LayerKind::Icmpv6 => "network layer",
        LayerKind::Udp => "transport layer",
        LayerKind::Payload => "application data",
        LayerKind::Trailer => "link layer padding",
    }
}

/// The IPv4 flag bits one per line, Wireshark style: `.1.. Don't fragment: set`.
pub fn flag_lines(bits: u8) -> [String; 3] {
    let names = ["Reserved", "Don't fragment (DF)", "More fragments (MF)"];
    let pats = ["0..", ".0.", "..0"];
    std::array::from_fn(|i| {
        let on = bits >> (2 - i) & 1 == 1;
        let pat = pats[i].replace('0', if on { "1" } else { "0" });
        format!("{pat} {}: {}", names[i], if on { "set" } else { "not set" })
    })
}

/// A field's value as the layers pane shows it (decoded, with its checksum verdict).
pub fn value_text(f: &Field, frame: &[u8]) -> String {
    let mut v = match f.value {
        // The field counts 8-byte units (RFC 791): say what that is in bytes.
        Value::Dec(n) if f.key == "ipv4.frag_offset" => format!("{n} (x8 = {} bytes)", n * 8),
        Value::Bytes(n) => {
            let r = f.byte_range();
            let bytes = frame.get(r.start..r.end.min(frame.len())).unwrap_or(&[]);
            let preview = ascii(&bytes[..bytes.len().min(48)]);
            format!("{n} bytes \"{preview}\"")
        }
        v => clean(&v.to_string()),
    };
    match f.check {
        Some(Check::Good) => v.push_str(" ✓"),
        Some(Check::Bad { .. }) => v.push_str(" ✗ BAD"),
        Some(Check::Absent) => v.push_str(" (none)"),
        Some(Check::Unverified) => v.push_str(" ?"),
        None => {}
    }
    v
}

/// Build the diagram of every layer. `bit_w`: columns per bit (2 like the RFCs, 1 when narrow);
/// `two_line`: label and value on separate lines.
pub fn build(
    d: &Dissection,
    frame: &[u8],
    selected: Option<usize>,
    bit_w: u32,
    two_line: bool,
) -> Diagram {
    let mut out = Diagram::default();
    let x = |b: u32| (b * bit_w) as usize;
    if bit_w == 2 {
        let mut tens = String::new();
        let mut ones = String::new();
        for b in 0..32 {
            tens.push_str(if b % 10 == 0 {
                ["0", "1", "2", "3"][(b / 10) as usize]
            } else {
                " "
            });
            tens.push(' ');
            ones.push_str(&format!("{} ", b % 10));
        }
        let dim = Style::default().fg(Color::DarkGray);
        out.push(Line::styled(format!(" {}", tens.trim_end()), dim), false);
        out.push(Line::styled(format!(" {}", ones.trim_end()), dim), true);
    }
    for (li, layer) in d.layers.iter().enumerate() {
        let color = layer_color(layer.kind);
        out.push(
            Line::styled(
                layer_title(d, li),
                Style::default().fg(color).add_modifier(Modifier::BOLD),
            ),
            false,
        );
        let rows = rows_of(d, li);
        let fields = &d.fields;
        let end_of = |r: &[Seg]| r.last().map_or(0, |s| s.b1);
        for (ri, row) in rows.iter().enumerate() {
            // Separator above this row.
            let above = if ri == 0 { None } else { Some(&rows[ri - 1]) };
            out.push(
                separator(above.map(|v| v.as_slice()), Some(row), bit_w),
                false,
            );
            let n_text = if two_line { 2 } else { 1 };
            for t in 0..n_text {
                let line_idx = out.lines.len();
                let mut spans = vec![Span::raw("|")];
                for s in row {
                    let w = x(s.b1) - x(s.b0) - 1;
                    let (text, style) = match s.field {
                        None => (" ".repeat(w), Style::default()),
                        Some(fi) => {
                            let f = &fields[fi];
                            let label = clean(f.label);
                            let value = value_text(f, frame);
                            let text = if s.cont {
                                if t == 0 {
                                    format!("({label} cont.)")
                                } else {
                                    String::new()
                                }
                            } else if two_line {
                                if t == 0 {
                                    label
                                } else {
                                    value
                                }
                            } else {
                                let both = format!("{label}: {value}");
                                if width(&both) <= w {
                                    both
                                } else if width(&value) <= w && !collapsed(f) {
                                    value
                                } else if collapsed(f) {
                                    fit(&both, w)
                                } else {
                                    fit(&value, w)
                                }
                            };
                            let mut st = Style::default();
                            if matches!(f.check, Some(Check::Bad { .. })) {
                                st = st.fg(Color::White).bg(Color::Red);
                            }
                            if selected == Some(fi) {
                                st = st
                                    .fg(Color::Black)
                                    .bg(Color::Yellow)
                                    .add_modifier(Modifier::BOLD);
                            }
                            out.hits
                                .push((line_idx, x(s.b0) as u16 + 1, x(s.b1) as u16, fi));
                            (center(&text, w), st)
                        }
                    };
                    spans.push(Span::styled(text, style));
                    spans.push(Span::raw("|"));
                }
                // The value line under the labels means nothing without them.
                out.push(Line::from(spans), t > 0);
            }
            let _ = end_of(row);
        }
        if let Some(last) = rows.last() {
            out.push(separator(Some(last), None, bit_w), false);
        }
    }
    out
}

/// A header's title line: name, layer, size, offset, and what is wrong with it.
fn layer_title(d: &Dissection, li: usize) -> String {
    let layer = &d.layers[li];
    let mut title = format!(
        "{} ({}) · {} bytes · offset {}",
        layer.kind.name(),
        layer_role(layer.kind),
        layer.bytes.len(),
        layer.bytes.start
    );
    if layer.declared_len > layer.bytes.len() && layer.kind != LayerKind::Payload {
        title.push_str(&format!(" · cut short (declares {})", layer.declared_len));
    }
    for p in &d.problems {
        let name = p.name();
        if name.contains(match layer.kind {
            LayerKind::Ipv4 => "ip",
            LayerKind::Udp => "udp",
            LayerKind::Icmp => "icmp",
            LayerKind::Arp => "arp",
            LayerKind::Ethernet => "ethernet",
            _ => "\u{0}",
        }) {
            title.push_str(&format!(" · {name}"));
        }
    }
    title
}

/// The compact form, one field per line (like Wireshark's packet details), for panes too
/// narrow for a diagram that keeps its labels: `  TTL: 64`. Flag bits get a line each.
pub fn build_compact(
    d: &Dissection,
    frame: &[u8],
    selected: Option<usize>,
    width: usize,
) -> Diagram {
    let mut out = Diagram::default();
    for (li, layer) in d.layers.iter().enumerate() {
        out.push(
            Line::styled(
                fit(&layer_title(d, li), width),
                Style::default()
                    .fg(layer_color(layer.kind))
                    .add_modifier(Modifier::BOLD),
            ),
            false,
        );
        for (k, f) in d.layer_fields(layer).iter().enumerate() {
            let fi = layer.fields.start + k;
            let mut st = Style::default();
            if matches!(f.check, Some(Check::Bad { .. })) {
                st = st.fg(Color::White).bg(Color::Red);
            }
            if selected == Some(fi) {
                st = st
                    .fg(Color::Black)
                    .bg(Color::Yellow)
                    .add_modifier(Modifier::BOLD);
            }
            let text = fit(
                &format!("  {}: {}", clean(f.label), value_text(f, frame)),
                width,
            );
            out.hits
                .push((out.lines.len(), 0, width.min(u16::MAX as usize) as u16, fi));
            out.push(Line::styled(text, st), false);
            if let Value::Flags(bits, _) = f.value {
                for l in flag_lines(bits) {
                    out.hits
                        .push((out.lines.len(), 0, width.min(u16::MAX as usize) as u16, fi));
                    out.push(Line::styled(fit(&format!("    {l}"), width), st), true);
                }
            }
        }
    }
    out
}

/// The `+-+-+` line between two rows: `+` where a cell boundary is above or below, blank where a
/// field continues from one row into the next.
fn separator(above: Option<&[Seg]>, below: Option<&[Seg]>, bit_w: u32) -> Line<'static> {
    let end = |r: Option<&[Seg]>| r.and_then(|r| r.last()).map_or(0, |s| s.b1);
    let n = end(above).max(end(below));
    let at = |r: Option<&[Seg]>, b: u32| -> Option<Seg> {
        r.and_then(|r| r.iter().find(|s| s.b0 <= b && b < s.b1).copied())
    };
    let boundary =
        |r: Option<&[Seg]>, b: u32| r.is_some_and(|r| r.iter().any(|s| s.b0 == b || s.b1 == b));
    let mut s = String::new();
    for b in 0..=n {
        let plus = boundary(above, b) || boundary(below, b);
        let cont = match (at(above, b), at(below, b)) {
            (Some(a), Some(c)) => c.cont && a.field == c.field && a.field.is_some(),
            _ => false,
        };
        s.push(if plus {
            '+'
        } else if cont {
            ' '
        } else {
            '-'
        });
        if b < n {
            for _ in 1..bit_w {
                s.push(if cont { ' ' } else { '-' });
            }
        }
    }
    Line::raw(s)
}

/// The layers pane's own state: its scroll (in lines) and, from the last draw, where it was and
/// where each field's cells were (for the mouse).
#[derive(Clone, Debug, Default)]
pub struct LayersState {
    pub scroll: u16,
    /// The scroll of the last draw: whether the wheel since moved down or up.
    drawn_scroll: u16,
    pub area: Rect,
    /// (screen rect, field index) of each field cell drawn.
    pub fields: Vec<(Rect, usize)>,
}

impl LayersState {
    /// The field whose cell is at `p`, if any.
    pub fn field_at(&self, p: ratatui::layout::Position) -> Option<usize> {
        self.fields
            .iter()
            .find(|(r, _)| r.contains(p))
            .map(|&(_, fi)| fi)
    }
}

/// The layers pane: a [`StatefulWidget`] over the selected frame's dissection.
pub struct Layers<'a> {
    /// The selected frame's bytes and dissection, if any.
    pub frame: Option<(&'a [u8], &'a Dissection)>,
    /// The selected field.
    pub field: usize,
    /// Scroll to keep the selected field in view (off once the wheel scrolled).
    pub follow_field: bool,
    /// The request/reply pair the frame belongs to, drawn above its headers.
    pub link: Option<Link>,
    /// IPv4 reassembly of the frame, drawn above its headers.
    pub fragments: Option<Fragments>,
    pub focused: bool,
}

impl StatefulWidget for Layers<'_> {
    type State = LayersState;

    fn render(self, area: Rect, buf: &mut Buffer, state: &mut LayersState) {
        let block = pane_block(
            if inner_is_compact(area) {
                " Layers (one field per line) "
            } else {
                " Layers (RFC header diagrams) "
            },
            self.focused,
        );
        let inner = block.inner(area);
        block.render(area, buf);
        state.area = area;
        state.fields.clear();
        if inner.height == 0 || inner.width == 0 {
            return;
        }
        let Some((frame, d)) = self.frame else {
            Paragraph::new("No frame selected yet.")
                .style(Style::default().fg(Color::DarkGray))
                .render(inner, buf);
            return;
        };
        let sel = (self.field < d.fields.len()).then_some(self.field);
        // The selected field at the bottom: its description and, once the student is in the
        // pane walking its fields, what it means (with the RFC or IEEE clause); at most half
        // the pane (the larger half when focused), and never its last line for the diagram.
        let footer_lines = sel.map_or_else(Vec::new, |i| {
            let half = (inner.height + u16::from(self.focused)) / 2;
            let budget = half.min(inner.height - 1) as usize;
            footer(d, i, frame, inner.width as usize, budget, self.focused)
        });
        let footer_h = footer_lines.len() as u16;
        let body_h = inner.height.saturating_sub(footer_h);
        // Lines above the headers, as Wireshark's bracketed ones: the request/reply pair
        // ("[Response frame: 12]"), then IPv4 reassembly ("[Reassembled in #5]"), wrapped;
        // each wrapped piece after the first marked as a continuation.
        let mut top: Vec<(Line<'static>, bool)> = Vec::new();
        if let Some(link) = self.link {
            top.push((
                Line::styled(
                    fit(&format!("[{}]", link.describe()), inner.width as usize),
                    Style::default().fg(Color::LightCyan),
                ),
                false,
            ));
        }
        if let Some(fr) = &self.fragments {
            let style = match fr {
                Fragments::Incomplete(_) => Style::default().fg(Color::Yellow),
                _ => Style::default().fg(Color::LightCyan),
            };
            for l in fr.lines() {
                for (k, w) in wrap(&l, inner.width as usize).into_iter().enumerate() {
                    top.push((Line::styled(w, style), k > 0));
                }
            }
        }
        // The two-line diagram only when it fits beside the lines above it.
        let room = body_h.saturating_sub(top.len() as u16);
        let mut diag = diagram_for(d, frame, sel, inner.width, room);
        diag.prepend(top);
        let scroll = top_line(
            &diag,
            state.scroll,
            state.drawn_scroll,
            body_h,
            sel.filter(|_| self.follow_field),
        );
        state.scroll = scroll;
        state.drawn_scroll = scroll;
        let body = Rect {
            height: body_h,
            ..inner
        };
        state.fields = diag
            .hits
            .iter()
            .filter(|h| (h.0 as u16) >= scroll && (h.0 as u16) < scroll + body_h)
            .filter_map(|&(line, x0, x1, fi)| {
                let x = inner.x + x0;
                if x >= inner.right() {
                    return None;
                }
                Some((
                    Rect {
                        x,
                        y: body.y + line as u16 - scroll,
                        width: (x1 - x0).min(inner.right() - x),
                        height: 1,
                    },
                    fi,
                ))
            })
            .collect();
        Paragraph::new(diag.lines)
            .scroll((scroll, 0))
            .render(body, buf);
        if footer_h > 0 {
            let r = Rect {
                y: inner.bottom() - footer_h,
                height: footer_h,
                ..inner
            };
            let lines: Vec<Line> = footer_lines
                .into_iter()
                .map(|(l, meaning)| {
                    let style = if meaning {
                        Style::default().add_modifier(Modifier::ITALIC)
                    } else {
                        Style::default()
                    };
                    Line::styled(pad(&l, r.width as usize), style)
                })
                .collect();
            Paragraph::new(lines)
                .style(Style::default().fg(Color::Black).bg(Color::Gray))
                .render(r, buf);
        }
    }
}

/// The line at the pane's top, for a body `body_h` lines high: `asked` (the wheel's), or, when
/// `follow` names the selected field, just far enough to show it with a line of context. Never
/// a line that continues the one above (the rest of a wrapped sentence, a value under its
/// label): the top moves to the start of that line, or past it when the field would not fit
/// (and the wheel, moving down, goes to the next start, so it never sticks).
fn top_line(diag: &Diagram, asked: u16, drawn: u16, body_h: u16, follow: Option<usize>) -> u16 {
    let len = diag.lines.len();
    let mut scroll = asked as usize;
    let span = follow.and_then(|i| diag.lines_of(i));
    if let Some((a, b)) = span {
        if a < scroll + 1 {
            scroll = a.saturating_sub(2);
        } else if b + 1 >= scroll + body_h as usize {
            scroll = (b + 2).saturating_sub(body_h as usize);
        }
        // A field taller than the pane (flags in a short terminal): its first line on top.
        scroll = scroll.min(a);
    }
    // The furthest the top can go: the last screenful, or the start after it.
    let last = len.saturating_sub(body_h as usize);
    let limit = diag
        .start_at_or_below(last)
        .unwrap_or_else(|| diag.start_at_or_above(last));
    scroll = scroll.min(limit);
    if diag.cont.get(scroll).copied().unwrap_or(false) {
        let up = diag.start_at_or_above(scroll);
        let down = diag.start_at_or_below(scroll).unwrap_or(up);
        scroll = match span {
            // Up if the whole field still fits below, else down (the field's first line starts
            // something, so the top never passes it).
            Some((_, b)) if b < up + body_h as usize => up,
            Some(_) => down,
            None if scroll > drawn as usize => down,
            None => up,
        };
    }
    scroll.min(u16::MAX as usize) as u16
}

/// The best drawing of `d` for a pane `w` x `h`: the RFC diagram at 2 columns per bit when it
/// fits the width (label and value on two lines when that fits the height too), else the
/// compact field-per-line form: a 1-column-per-bit diagram cannot keep the labels.
pub fn diagram_for(d: &Dissection, frame: &[u8], sel: Option<usize>, w: u16, h: u16) -> Diagram {
    if w >= 65 {
        let diag = build(d, frame, sel, 2, true);
        if diag.lines.len() <= h as usize {
            return diag;
        }
        return build(d, frame, sel, 2, false);
    }
    build_compact(d, frame, sel, w as usize)
}

/// Lines the bracketed context above the headers takes at pane width `w` (the request/reply
/// `link`, the reassembly lines of `fragments`), for the layout's height.
pub fn context_height(link: Option<&Link>, fragments: Option<&Fragments>, w: u16) -> u16 {
    let inner = w.saturating_sub(2) as usize;
    let link = u16::from(link.is_some());
    let frags = fragments.map_or(0, |f| {
        f.lines()
            .iter()
            .map(|l| wrap(l, inner).len())
            .sum::<usize>()
    });
    link + frags as u16
}

/// Lines the layers pane needs to show the whole frame at width `w` (borders and the field
/// line included): the layout gives it this much height when it can.
pub fn height_needed(d: &Dissection, frame: &[u8], w: u16) -> u16 {
    let inner = w.saturating_sub(2);
    let diag = if inner >= 65 {
        build(d, frame, None, 2, false)
    } else {
        build_compact(d, frame, None, inner as usize)
    };
    diag.lines.len() as u16 + 2 + 2
}

/// Greedy word wrap at `w` columns (a word longer than a line is cut into pieces).
pub fn wrap(text: &str, w: usize) -> Vec<String> {
    let w = w.max(1);
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let wl = width(word);
        let ll = width(&line);
        if ll > 0 && ll + 1 + wl > w {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
        while width(&line) > w {
            let head: String = line.chars().take(w).collect();
            let rest: String = line.chars().skip(w).collect();
            out.push(head);
            line = rest;
        }
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}

/// Most lines the selected field's meaning takes at the pane's foot (the layout grows the pane
/// by as much while it is focused).
pub const MEANING_LINES: u16 = 2;

/// The layers pane's foot for field `i`, in at most `budget` lines of `w` columns: the field's
/// description ([`describe_field`], wrapped), then what it means and where that is defined
/// ([`meaning::lines`]; `true` marks those lines). The meaning gets up to [`MEANING_LINES`]
/// (leaving the description one) and the description the rest, cut (ending in `…`) if it must
/// be; below two lines, or with `meaning` false (the pane not focused), the meaning is left out.
pub fn footer(
    d: &Dissection,
    i: usize,
    frame: &[u8],
    w: usize,
    budget: usize,
    meaning: bool,
) -> Vec<(String, bool)> {
    let f = &d.fields[i];
    let mut desc = wrap(&describe_field(d, i, frame), w);
    let meaning = match meaning::about(f.key) {
        Some(about) if meaning && budget >= 2 => {
            let room = (budget - 1).min(MEANING_LINES as usize);
            meaning::lines(f.label, about, w, room)
        }
        _ => Vec::new(),
    };
    let keep = budget - meaning.len();
    if desc.len() > keep {
        desc.truncate(keep);
        if let Some(last) = desc.last_mut() {
            *last = fit(&format!("{last}…"), w);
        }
    }
    desc.into_iter()
        .map(|l| (l, false))
        .chain(meaning.into_iter().map(|l| (l, true)))
        .collect()
}

/// "IPv4 › TTL = 64 · bits 176–183 · byte 22".
pub fn describe_field(d: &Dissection, i: usize, frame: &[u8]) -> String {
    let f = &d.fields[i];
    let layer = d
        .layers
        .iter()
        .find(|l| l.fields.contains(&i))
        .map_or("", |l| l.kind.name());
    let r = f.byte_range();
    let bytes = if r.len() == 1 {
        format!("byte {}", r.start)
    } else {
        format!("bytes {}–{}", r.start, r.end - 1)
    };
    let mut s = format!(
        "{layer} › {} = {} · {} bits at bit {} · {bytes}",
        clean(f.label),
        value_text(f, frame),
        f.bit_len,
        f.bit_start
    );
    if let Some(Check::Bad { expected }) = f.check {
        // A no-break space: the wrapped field line keeps "should be 0x…" together.
        s.push_str(&format!(" · should\u{a0}be 0x{expected:04x}"));
    }
    if let Value::Flags(bits, _) = f.value {
        for l in flag_lines(bits) {
            s.push_str(&format!(" · {l}"));
        }
    }
    s
}

/// The pane at `area` is too narrow for the diagram: [`diagram_for`] draws it field per line.
fn inner_is_compact(area: Rect) -> bool {
    area.width.saturating_sub(2) < 65
}
