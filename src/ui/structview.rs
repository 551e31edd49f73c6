//! The C struct panel. For the frames the course has a struct for (UDP, ICMP echo, ARP) it shows
//! the course's own nested struct (`struct udppkt { struct etherhdr eth; struct iphdr ip; ... }`)
//! laid out by C's rules: each member's natural and packed offset, the padding holes where gcc
//! puts them, and what the course's program, which casts the frame to the unpacked struct, really
//! reads for each member from the selected frame. Other frames (VLAN tags, IP options, fragments,
//! ICMP errors) have no course struct: their headers are shown flattened into one struct, labelled.
use super::chrome::pane_block;
use super::packing::{common_prefix, CType, CourseFrame, Layout, Leaf, Read, Row};
use super::text::{fit, layer_color, pad};
use crate::wire::{Dissection, LayerKind};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// Said under the panel: what every multi-byte member needs before use on a little-endian CPU.
pub const BYTE_ORDER_NOTE: &str = "multi-byte members are big-endian on the wire: ntohs()/ntohl()";

/// Said under the course's structs: what gcc does with the course's bit-fields, and byte order.
pub const COURSE_NOTE: &str =
    "gcc gives version:4 the LOW nibble: ip.version reads the IHL · ntohs()/ntohl() multi-byte";

/// The declaration of one member, e.g. `uint8_t  eth_dst[6];`, or for fields narrower than a
/// byte, one plain integer with its parts listed high bits first:
/// `uint8_t  ipv4_version_ihl; /* version:4 | ihl:4 */`; a multi-byte one says to convert it
/// from big-endian first: `uint16_t ipv4_flags_frag_offset; /* flags:3 | frag_offset:13, ntohs() */`. Not C bit-fields: GCC and Clang on
/// little-endian CPUs fill those from the low bit, so `version:4, ihl:4` would read the wrong
/// nibbles (see [`super::packing`]).
pub fn declaration(ty: &CType, name: &str) -> String {
    let t = ty.type_name();
    match ty {
        CType::Uint(_) => format!("{t:<9}{name};"),
        CType::Bytes(n) => format!("{t:<9}{name}[{n}];"),
        CType::Flexible(_) => format!("{t:<9}{name}[];"),
        CType::Subfields(bits, parts) => {
            let names: Vec<&str> = parts
                .iter()
                .map(|(n, _, _)| n.as_str())
                .filter(|n| !n.is_empty())
                .collect();
            let p = common_prefix(&names);
            let list: Vec<String> = parts
                .iter()
                .map(|(n, bits, _)| {
                    if n.is_empty() {
                        format!("unused:{bits}")
                    } else {
                        format!("{}:{bits}", &n[p..])
                    }
                })
                .collect();
            let order = match bits {
                8 => "",
                16 => ", ntohs()",
                32 => ", ntohl()",
                _ => ", be64toh()",
            };
            format!("{t:<9}{name}; /* {}{order} */", list.join(" | "))
        }
    }
}

/// The panel's lines, and the line of the member holding the selected field.
pub fn lines(
    l: &Layout,
    selected_field: Option<usize>,
    width: usize,
) -> (Vec<Line<'static>>, Option<usize>) {
    let mut out = Vec::new();
    let holes: usize = l.padding();
    let mut summary = format!(
        "natural {} B (align {}) · packed {} B · {} B of padding",
        l.natural_size, l.align, l.packed_size, holes
    );
    if summary.chars().count() > width {
        // Small screens: the same three numbers, shorter words.
        summary = format!(
            "natural {} B · packed {} B · {} B pad",
            l.natural_size, l.packed_size, holes
        );
    }
    out.push(Line::styled(
        fit(&summary, width),
        Style::default().add_modifier(Modifier::BOLD),
    ));
    // Offsets in two 8-column columns when there is room, 6 otherwise.
    let col = if width >= 60 { 8 } else { 6 };
    let decl_w = width.saturating_sub(2 + 2 * col).max(12);
    let (nat, pak) = if col == 8 {
        ("natural", "packed")
    } else {
        ("nat.", "pack.")
    };
    out.push(Line::styled(
        fit(
            &format!(
                "{}{nat:>col$}{pak:>col$}",
                pad("struct frame {", decl_w + 2)
            ),
            width,
        ),
        Style::default().fg(Color::Gray),
    ));
    let sel_member = selected_field.and_then(|f| l.member_of_field(f));
    let mut sel_line = None;
    let hole_style = Style::default().fg(Color::Black).bg(Color::LightRed);
    for (i, m) in l.members.iter().enumerate() {
        for h in l.holes.iter().filter(|h| h.before == i) {
            out.push(Line::from(vec![
                Span::raw("  "),
                Span::styled(
                    pad(&format!("/* {} bytes of padding */", h.at.len()), decl_w),
                    hole_style,
                ),
                Span::styled(
                    format!("{:>col$}", format!("{}–{}", h.at.start, h.at.end - 1)),
                    hole_style,
                ),
            ]));
        }
        let decl = declaration(&m.ty, &m.name);
        let mut st = Style::default().fg(layer_color(m.layer));
        if sel_member == Some(i) {
            st = Style::default()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD);
            sel_line = Some(out.len());
        }
        // A declaration too long for the column keeps its comment on a line of its own, so
        // small screens still show what the sub-fields are.
        let (decl, comment) = match decl.split_once(" /* ") {
            Some((d, c)) if decl.chars().count() > decl_w => (d.to_string(), Some(c.to_string())),
            _ => (decl, None),
        };
        let mut text = format!(
            "  {}{:>col$}{:>col$}",
            pad(&decl, decl_w),
            m.natural,
            m.packed
        );
        if let CType::Flexible(n) = m.ty {
            text.push_str(&format!("  ({n} bytes follow)"));
        }
        out.push(Line::styled(fit(&text, width), st));
        if let Some(c) = comment {
            out.push(Line::styled(fit(&format!("      /* {c}"), width), st));
        }
    }
    for h in l.holes.iter().filter(|h| h.before == l.members.len()) {
        out.push(Line::from(vec![
            Span::raw("  "),
            Span::styled(
                pad(
                    &format!("/* {} bytes of tail padding */", h.at.len()),
                    decl_w,
                ),
                hole_style,
            ),
            Span::styled(
                format!("{:>col$}", format!("{}–{}", h.at.start, h.at.end - 1)),
                hole_style,
            ),
        ]));
    }
    out.push(Line::raw(fit(
        &format!(
            "}};  sizeof: {} natural, {} with __attribute__((packed))",
            l.natural_size, l.packed_size
        ),
        width,
    )));
    (out, sel_line)
}

/// The member (by its `wire` keys, else by its bytes) that holds dissector field `field`.
fn leaf_of_field<'a>(leaves: &'a [Leaf], d: &Dissection, field: usize) -> Option<&'a Leaf> {
    let f = d.fields.get(field)?;
    leaves
        .iter()
        .find(|l| {
            l.field
                .wire
                .is_some_and(|w| w.split('+').any(|k| k == f.key))
        })
        .or_else(|| {
            let b = f.bit_start as usize / 8;
            leaves
                .iter()
                .find(|l| (l.packed..l.packed + l.size.max(1)).contains(&b))
        })
}

fn layer_of(path: &str) -> LayerKind {
    match path.split('.').next().unwrap_or("") {
        "eth" => LayerKind::Ethernet,
        "ip" => LayerKind::Ipv4,
        "udp" => LayerKind::Udp,
        "icmp" => LayerKind::Icmp,
        "arp" => LayerKind::Arp,
        _ => LayerKind::Payload,
    }
}

/// `0x11 (17)`, `0x461c` as a little-endian CPU loads it, or the bytes of an array.
fn shown(r: &Read, frame: &[u8], size: usize) -> String {
    match r.value {
        Some(v) if size == 1 => format!("{v:#04x} ({v})"),
        Some(v) => format!("{v:#0w$x}", w = 2 + 2 * size),
        None if r.bytes.end <= frame.len() && !r.bytes.is_empty() => {
            let b = &frame[r.bytes.clone()];
            hex::encode(&b[..b.len().min(6)])
        }
        None => "-".into(),
    }
}

fn bytes_of(r: &Read) -> String {
    if r.bytes.len() <= 1 {
        format!("byte {}", r.bytes.start)
    } else {
        format!("bytes {}-{}", r.bytes.start, r.bytes.end - 1)
    }
}

/// Where the payload starts for the program (`pkt->payload`), against where the data really is.
fn payload_read(leaf: &Leaf, d: &Dissection, packed: bool) -> (bool, String) {
    let at = if packed { leaf.packed } else { leaf.natural };
    let data = d
        .fields
        .iter()
        .find(|f| f.key == "data")
        .map(|f| f.bit_start as usize / 8);
    match data {
        Some(s) if s == at => (true, format!("byte {at}: the data")),
        Some(s) if at > s => (false, format!("byte {at}: skips {} data bytes", at - s)),
        Some(s) => (false, format!("byte {at}: {} B before the data", s - at)),
        None => (false, format!("byte {at}: no data in this frame")),
    }
}

/// The "reads" column for one member: `✓ 0x11 (17)` or `✗ byte 25: Header Checksum, low byte`.
fn reads(leaf: &Leaf, frame: &[u8], d: &Dissection, packed: bool) -> (bool, String) {
    if leaf.size == 0 {
        let (ok, t) = payload_read(leaf, d, packed);
        return (ok, format!("{} {t}", if ok { "✓" } else { "✗" }));
    }
    let r = leaf.read(frame, d, packed);
    if r.right {
        // What the CPU loaded, and the number after the byte-order fix the program must apply.
        let fixed = match (r.value, leaf.size, leaf.field.bits) {
            (Some(v), 2, None) => format!(", ntohs() {:#06x}", (v as u16).swap_bytes()),
            (Some(v), 4, None) => format!(", ntohl() {:#010x}", (v as u32).swap_bytes()),
            _ => String::new(),
        };
        (true, format!("✓ {}{fixed}", shown(&r, frame, leaf.size)))
    } else {
        let what = match (leaf.bit_natural, leaf.field.bits) {
            (Some((_, b)), Some(w)) => format!("{} bits {b}-{}", bytes_of(&r), b + w - 1),
            _ => bytes_of(&r),
        };
        (false, format!("✗ {what}: {}", r.actually))
    }
}

/// The panel for a frame the course has a struct for: the lines, the line of the selected member,
/// and a few lines about the selected member for the panel's foot.
pub fn course_lines(
    which: CourseFrame,
    frame: &[u8],
    d: &Dissection,
    selected_field: Option<usize>,
    width: usize,
) -> (Vec<Line<'static>>, Option<usize>, Vec<Line<'static>>) {
    let st = which.c_struct();
    let nat = st.layout(false);
    let pak = st.layout(true);
    let rows = st.rows();
    let leaves = st.leaves();
    let selected = selected_field.and_then(|f| leaf_of_field(&leaves, d, f));
    let mut out = Vec::new();
    let holes: Vec<String> = rows
        .iter()
        .filter_map(|r| match r {
            Row::Hole { at, .. } => Some(format!("{}-{}", at.start, at.end - 1)),
            _ => None,
        })
        .collect();
    let mut summary = format!(
        "sizeof(struct {}) {} (align {}) · packed {} = the wire · holes at {}",
        st.name,
        nat.size,
        nat.align,
        pak.size,
        holes.join(", ")
    );
    if summary.chars().count() > width {
        // Small screens: the same numbers, fewer words.
        summary = format!(
            "{} {} B · packed {} · hole {}",
            st.name,
            nat.size,
            pak.size,
            holes.join(", ")
        );
    }
    out.push(Line::styled(
        fit(&summary, width),
        Style::default().add_modifier(Modifier::BOLD),
    ));
    // Columns: declaration, natural offset, packed offset, then (when there is room) what the
    // unpacked program reads.
    let decl_w = 30.min(width.saturating_sub(12)).max(12);
    let reads_col = width >= decl_w + 12 + 24;
    out.push(Line::styled(
        fit(
            &format!(
                "{}{:>5}{:>5}  {}",
                pad(&format!("struct {} {{", st.name), decl_w),
                "nat",
                "pack",
                if reads_col {
                    "the course's program (unpacked) reads"
                } else {
                    ""
                }
            ),
            width,
        ),
        Style::default().fg(Color::Gray),
    ));
    let hole_style = Style::default().fg(Color::Black).bg(Color::LightRed);
    let mut sel_line = None;
    for row in &rows {
        match row {
            Row::Hole { depth, at, tail } => {
                let text = format!(
                    "{}/* {} bytes of {}padding */",
                    " ".repeat(if width >= 60 { 2 } else { 1 } * (depth + 1)),
                    at.len(),
                    if *tail { "tail " } else { "" }
                );
                out.push(Line::from(vec![
                    Span::styled(pad(&text, decl_w), hole_style),
                    Span::styled(
                        format!("{:>5}", format!("{}-{}", at.start, at.end - 1)),
                        hole_style,
                    ),
                ]));
            }
            Row::Open(l) | Row::Leaf(l) => {
                let indent = " ".repeat(if width >= 60 { 2 } else { 1 } * (l.depth + 1));
                let decl = format!(
                    "{indent}{} {};",
                    l.field.ty.spelling(),
                    l.field.ty.declarator(l.field.name, l.field.bits)
                );
                let is_sel = selected.is_some_and(|s| s.path == l.path);
                let mut st = Style::default().fg(layer_color(layer_of(&l.path)));
                if is_sel {
                    st = Style::default()
                        .fg(Color::Black)
                        .bg(Color::Yellow)
                        .add_modifier(Modifier::BOLD);
                    sel_line = Some(out.len());
                }
                let (nat_at, pak_at) = match (l.bit_natural, l.bit_packed) {
                    (Some((n, nb)), Some((p, pb))) => (
                        format!("{}.{nb}", n + nb as usize / 8),
                        format!("{}.{pb}", p + pb as usize / 8),
                    ),
                    _ => (l.natural.to_string(), l.packed.to_string()),
                };
                let mut spans = vec![Span::styled(
                    format!("{}{nat_at:>5}{pak_at:>5}", pad(&decl, decl_w)),
                    st,
                )];
                if reads_col {
                    let text = match row {
                        Row::Open(_) if l.natural != l.packed => {
                            format!("  starts {} B late", l.natural - l.packed)
                        }
                        Row::Open(_) => String::new(),
                        _ => format!("  {}", reads(l, frame, d, false).1),
                    };
                    let rest = width.saturating_sub(decl_w + 10);
                    let ok = text.contains('✓') || matches!(row, Row::Open(_));
                    spans.push(Span::styled(
                        fit(&text, rest),
                        if ok {
                            Style::default().fg(Color::Green)
                        } else {
                            Style::default().fg(Color::LightRed)
                        },
                    ));
                }
                out.push(Line::from(spans));
            }
        }
    }
    out.push(Line::raw(fit(
        &format!(
            "}};  sizeof {} natural, {} with __attribute__((packed))",
            nat.size, pak.size
        ),
        width,
    )));
    let foot = selected
        .map(|l| foot_lines(l, frame, d, width))
        .unwrap_or_default();
    (out, sel_line, foot)
}

/// Under the struct, for the selected member: where the wire has it, and what the unpacked and
/// the packed program read instead.
fn foot_lines(l: &Leaf, frame: &[u8], d: &Dissection, width: usize) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let line = |s: String, ok: bool| {
        Line::styled(
            fit(&s, width),
            Style::default().fg(if ok { Color::Green } else { Color::LightRed }),
        )
    };
    let wire: Vec<String> = l
        .field
        .wire
        .unwrap_or("")
        .split('+')
        .filter_map(|k| d.fields.iter().find(|f| f.key == k))
        .map(|f| {
            let r = f.byte_range();
            if r.len() <= 1 {
                format!("{} in byte {}", f.label, r.start)
            } else {
                format!("{} at {}-{}", f.label, r.start, r.end - 1)
            }
        })
        .collect();
    out.push(Line::styled(
        fit(
            &format!("pkt->{}: the wire has {}", l.path, wire.join(" + ")),
            width,
        ),
        Style::default().add_modifier(Modifier::BOLD),
    ));
    for (packed, name) in [(false, "unpacked"), (true, "packed")] {
        let text = if l.size == 0 {
            let (ok, t) = payload_read(l, d, packed);
            let mark = if ok { "✓" } else { "✗" };
            (ok, format!(" {name}: pkt->payload is {t} {mark}"))
        } else {
            let r = l.read(frame, d, packed);
            let bits = match (packed, l.bit_natural, l.bit_packed, l.field.bits) {
                (false, Some((_, b)), _, Some(w)) | (true, _, Some((_, b)), Some(w)) => {
                    format!(" bits {b}-{}", b + w - 1)
                }
                _ => String::new(),
            };
            let verdict = if r.right {
                "✓".to_string()
            } else {
                format!("✗ that is {}", r.actually)
            };
            (
                r.right,
                format!(
                    " {name}: reads {}{bits} = {} {verdict}",
                    bytes_of(&r),
                    shown(&r, frame, l.size)
                ),
            )
        };
        out.push(line(text.1, text.0));
    }
    if let (Some(_), Some(w)) = (l.bit_packed, l.field.bits) {
        let why = if w == 4 {
            "gcc on little-endian CPUs fills bit-fields from the LOW bit: version:4 is the low nibble"
        } else {
            "bit-field order is the compiler's: ntohs() the 16 bits, then shift and mask"
        };
        out.push(line(format!(" {why}"), false));
    }
    out
}

/// The C struct panel: a [`Widget`] over the selected frame and field.
pub struct StructPanel<'a> {
    /// The selected frame's bytes and dissection, if any.
    pub frame: Option<(&'a [u8], &'a Dissection)>,
    /// The selected field (its member is highlighted and kept in view).
    pub field: usize,
}

impl Widget for StructPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let field = self.field;
        let Some((data, d)) = self.frame else {
            pane_block(" C struct ", false).render(area, buf);
            return;
        };
        let course = CourseFrame::of(d);
        let title = match course {
            Some(c) => format!(
                " The course's struct {}, unpacked vs packed ",
                c.c_struct().name
            ),
            None => {
                " No course struct for this frame: its headers flattened into one C struct ".into()
            }
        };
        let note = if matches!(course, Some(CourseFrame::Udp | CourseFrame::Icmp)) {
            COURSE_NOTE
        } else {
            BYTE_ORDER_NOTE
        };
        let block = pane_block(title, false).title_bottom(format!(" {note} "));
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.height == 0 || inner.width == 0 {
            return;
        }
        let width = inner.width as usize;
        let (mut ls, sel_line, foot) = match course {
            Some(c) => course_lines(c, data, d, Some(field), width),
            None => {
                let (ls, sel) = lines(&Layout::of(d), Some(field), width);
                (ls, sel, Vec::new())
            }
        };
        // The size summary stays on top, the selected member's reads at the foot (when there
        // is room); the struct scrolls between them to keep the selected member in view.
        let summary = ls.remove(0);
        Paragraph::new(summary).render(Rect { height: 1, ..inner }, buf);
        // The foot gets what is left after 6 rows of struct (its first lines, the selected
        // member's, matter most).
        let foot_h = foot.len().min((inner.height as usize).saturating_sub(7)) as u16;
        let body = Rect {
            y: inner.y + 1,
            height: inner.height - 1 - foot_h,
            ..inner
        };
        if foot_h > 0 {
            Paragraph::new(foot).render(
                Rect {
                    y: body.y + body.height,
                    height: foot_h,
                    ..inner
                },
                buf,
            );
        }
        let h = body.height as usize;
        let mut scroll = 0;
        if let Some(s) = sel_line.map(|s| s - 1) {
            if s + 2 > h {
                scroll = (s + 2).saturating_sub(h).min(ls.len().saturating_sub(h));
            }
        }
        Paragraph::new(ls)
            .scroll((scroll as u16, 0))
            .render(body, buf);
    }
}
